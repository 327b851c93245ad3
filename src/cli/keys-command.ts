/**
 * `chartside keys rotate [--alg RS384|ES384] [--json]`: start a signing-key rotation. The new
 * key is published at once and signs after CHARTSIDE_KEY_PUBLICATION_LEAD_SECONDS; the key it
 * replaces stays published CHARTSIDE_KEY_RETIREMENT_GRACE_SECONDS longer. Running gateways pick
 * it up within CHARTSIDE_KEY_RELOAD_SECONDS, without a restart.
 */
import { parseArgs } from 'node:util';
import { recordAudit } from '../audit/audit-log.ts';
import { loadConfig } from '../config/index.ts';
import { createSealer } from '../crypto/sealing.ts';
import { migrateToLatest, openDatabase } from '../db/index.ts';
import { rotateSigningKey, SIGNING_ALGORITHMS, type SigningAlgorithm } from '../keys/signing-keys.ts';
import { CliUsageError } from './cli-errors.ts';

export async function keysCommand(sub: string, args: string[], env: NodeJS.ProcessEnv): Promise<number> {
  if (sub !== 'rotate') throw new CliUsageError(`unknown command "keys ${sub}" (see chartside --help)`);
  const { values } = parseArgs({
    args,
    options: { alg: { type: 'string' }, json: { type: 'boolean' } },
    strict: true,
    allowPositionals: false,
  });
  const alg = (values.alg ?? 'RS384') as SigningAlgorithm;
  if (!SIGNING_ALGORITHMS.includes(alg)) {
    throw new CliUsageError(`--alg must be one of ${SIGNING_ALGORITHMS.join(', ')}`);
  }
  const config = loadConfig(env);
  const database = openDatabase(config.databaseUrl, { poolSize: 1 });
  try {
    await migrateToLatest(database);
    const rotation = await rotateSigningKey(database.db, createSealer(config.masterKey), {
      alg,
      leadSeconds: config.keyPublicationLeadSeconds,
      graceSeconds: config.keyRetirementGraceSeconds,
    });
    await recordAudit(database.db, {
      action: 'signing_key.rotated',
      actor: 'cli',
      details: { kid: rotation.kid, alg, activates_at: rotation.activatesAt },
    });
    const json = {
      id: rotation.kid,
      alg,
      activates_at: rotation.activatesAt,
      replaces: rotation.replaced.map((key) => ({ id: key.kid, retires_at: key.retiresAt })),
    };
    const text = [
      `New ${alg} signing key ${rotation.kid}: published now, signs from ${rotation.activatesAt}.`,
      ...rotation.replaced.map(
        (key) => `Key ${key.kid} stops signing then and leaves the JWKS at ${key.retiresAt}.`,
      ),
    ].join('\n');
    console.log(values.json ? JSON.stringify(json) : text);
    return 0;
  } finally {
    await database.close();
  }
}
