/** `chartside audit --org ID [--launch ID] [--since ISO]`: read the audit trail. */
export async function auditCommand(_args: string[], _env: NodeJS.ProcessEnv): Promise<number> {
  throw new Error('not implemented yet');
}
