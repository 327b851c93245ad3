/**
 * `chartside keys …`, the gateway's signing keys:
 *
 * - `rotate [--alg RS384|ES384] [--json]`: the new key is published at once and signs after
 *   CHARTSIDE_KEY_PUBLICATION_LEAD_SECONDS; the key it replaces stays published
 *   CHARTSIDE_KEY_RETIREMENT_GRACE_SECONDS longer.
 * - `export --out FILE --passphrase-stdin [--json]`: every published key, private parts
 *   included, into a passphrase-encrypted file (keys/key-transfer.ts).
 * - `import --in FILE --passphrase-stdin [--json]`: those keys become this deployment's signing
 *   keys; its own keys of the same algorithms stop signing and leave the JWKS.
 *
 * Running gateways pick any of these up within CHARTSIDE_KEY_RELOAD_SECONDS, without a restart.
 */
import { readFileSync, statSync, writeFileSync } from 'node:fs';
import { recordAudit } from '../audit/audit-log.ts';
import { exportSigningKeys, importSigningKeys } from '../keys/key-transfer.ts';
import { rotateSigningKey, SIGNING_ALGORITHMS, type SigningAlgorithm } from '../keys/signing-keys.ts';
import { CliUsageError } from './cli-errors.ts';
import type { CliIo } from './cli-io.ts';
import { parseFlags, runOnDatabase } from './command-runner.ts';
import { readSecretLine } from './stdin.ts';

/** An export holds a handful of keys (a few KB); anything much larger is not one. */
const MAX_EXPORT_FILE_BYTES = 1024 * 1024;

export async function keysCommand(sub: string, args: string[], io: CliIo): Promise<number> {
  if (sub === 'rotate') return rotate(args, io);
  if (sub === 'export') return exportKeys(args, io);
  if (sub === 'import') return importKeys(args, io);
  throw new CliUsageError(`unknown command "keys ${sub}" (see chartside --help)`);
}

async function rotate(args: string[], io: CliIo): Promise<number> {
  const values = parseFlags(args, { alg: { type: 'string' } });
  const alg = (values.alg ?? 'RS384') as SigningAlgorithm;
  if (!SIGNING_ALGORITHMS.includes(alg)) {
    throw new CliUsageError(`--alg must be one of ${SIGNING_ALGORITHMS.join(', ')}`);
  }
  return runOnDatabase(io, values.json, async ({ db, sealer, config }) => {
    const rotation = await rotateSigningKey(db, sealer, {
      alg,
      leadSeconds: config.keyPublicationLeadSeconds,
      graceSeconds: config.keyRetirementGraceSeconds,
    });
    await recordAudit(db, {
      action: 'signing_key.rotated',
      actor: 'cli',
      details: { kid: rotation.kid, alg, activates_at: rotation.activatesAt },
    });
    return {
      json: {
        id: rotation.kid,
        alg,
        activates_at: rotation.activatesAt,
        replaces: rotation.replaced.map((key) => ({ id: key.kid, retires_at: key.retiresAt })),
      },
      text: [
        `New ${alg} signing key ${rotation.kid}: published now, signs from ${rotation.activatesAt}.`,
        ...rotation.replaced.map(
          (key) => `Key ${key.kid} stops signing then and leaves the JWKS at ${key.retiresAt}.`,
        ),
      ].join('\n'),
    };
  });
}

async function exportKeys(args: string[], io: CliIo) {
  const values = parseFlags(args, { out: { type: 'string' }, 'passphrase-stdin': { type: 'boolean' } });
  const out = values.out;
  if (!out) throw new CliUsageError('--out FILE is required');
  const passphrase = await passphraseFrom(io.stdin, values['passphrase-stdin']);
  return runOnDatabase(io, values.json, async ({ db, sealer }) => {
    const exported = await exportSigningKeys(db, sealer, passphrase);
    writeExportFile(out, exported.file);
    await recordAudit(db, {
      action: 'signing_key.exported',
      actor: 'cli',
      details: { kids: exported.keys.map((key) => key.kid).join(',') },
    });
    return {
      json: { out, keys: exported.keys.map((key) => ({ id: key.kid, alg: key.alg, state: key.state })) },
      text: [
        `Exported to ${out}, encrypted with the passphrase:`,
        ...exported.keys.map((key) => `  ${key.kid} ${key.alg} ${key.state}`),
      ].join('\n'),
    };
  });
}

async function importKeys(args: string[], io: CliIo) {
  const values = parseFlags(args, { in: { type: 'string' }, 'passphrase-stdin': { type: 'boolean' } });
  const from = values.in;
  if (!from) throw new CliUsageError('--in FILE is required');
  const file = readExportFile(from);
  const passphrase = await passphraseFrom(io.stdin, values['passphrase-stdin']);
  return runOnDatabase(io, values.json, async ({ db, sealer }) => {
    const imported = await importSigningKeys(db, sealer, file, passphrase);
    await recordAudit(db, {
      action: 'signing_key.imported',
      actor: 'cli',
      details: {
        kids: imported.keys.map((key) => key.kid).join(','),
        added: imported.keys.filter((key) => key.added).length,
        retired: imported.retired.map((key) => key.kid).join(','),
      },
    });
    return {
      json: {
        in: from,
        keys: imported.keys.map((key) => ({ id: key.kid, alg: key.alg, added: key.added })),
        retired: imported.retired.map((key) => ({ id: key.kid, alg: key.alg })),
      },
      text: [
        `Imported from ${from}:`,
        ...imported.keys.map((key) => `  ${key.kid} ${key.alg}${key.added ? '' : ' (already here)'}`),
        ...imported.retired.map(
          (key) => `This gateway's own key ${key.kid} stopped signing and left the JWKS.`,
        ),
      ].join('\n'),
    };
  });
}

async function passphraseFrom(stdin: NodeJS.ReadableStream, fromStdin: boolean | undefined) {
  if (!fromStdin) {
    throw new CliUsageError('--passphrase-stdin is required: pipe the passphrase on standard input');
  }
  const passphrase = await readSecretLine(stdin, 'passphrase');
  if (!passphrase) throw new CliUsageError('no passphrase on standard input');
  return passphrase;
}

/** Readable by its owner only; never over an existing file (it may be the only copy of other keys). */
function writeExportFile(path: string, contents: string): void {
  try {
    writeFileSync(path, `${contents}\n`, { mode: 0o600, flag: 'wx' });
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'EEXIST')
      throw new CliUsageError(`${path} already exists: choose another --out or remove it`);
    throw new CliUsageError(`cannot write ${path}: ${code ?? (error as Error).message}`);
  }
}

function readExportFile(path: string): string {
  try {
    if (statSync(path).size > MAX_EXPORT_FILE_BYTES) {
      throw new CliUsageError(`${path} is too large to be a signing-key export`);
    }
    return readFileSync(path, 'utf8');
  } catch (error) {
    if (error instanceof CliUsageError) throw error;
    const code = (error as NodeJS.ErrnoException).code;
    const reason = code === 'ENOENT' ? 'no such file' : (code ?? (error as Error).message);
    throw new CliUsageError(`cannot read ${path}: ${reason}`);
  }
}
