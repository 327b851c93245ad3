/** `chartside admin create --email E --password-stdin` (admin console operators). */
export async function operatorCommand(
  _sub: string,
  _args: string[],
  _env: NodeJS.ProcessEnv,
): Promise<number> {
  throw new Error('not implemented yet');
}
