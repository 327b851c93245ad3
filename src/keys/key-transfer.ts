/**
 * Moving our signing keys from one deployment to another (`chartside keys export` / `keys
 * import`), so production, dev and local sign with one keypair: the EHR knows one JWKS URL per
 * app (Cerner Central's "JSON Web Key Set URL") and accepts only assertions whose kid it finds
 * there.
 *
 * The file is a compact JWE under a passphrase (PBES2-HS512+A256KW, A256GCM): it opens on a
 * deployment with another database and another master key, where each private key is sealed
 * again with that deployment's sealer. An import replaces the importer's signing keys: for each
 * algorithm in the file, the importer's own keys stop signing and leave its JWKS at once, and the
 * imported keys keep the exporter's schedule (created_at, activates_at, retires_at), so both
 * deployments sign with the same kid at the same moment.
 */
import { createPrivateKey, createPublicKey, type KeyObject } from 'node:crypto';
import {
  CompactEncrypt,
  CompactSign,
  calculateJwkThumbprint,
  compactDecrypt,
  compactVerify,
  decodeProtectedHeader,
  type JWK,
} from 'jose';
import type { Sealer } from '../crypto/sealing.ts';
import type { Db } from '../db/index.ts';
import { ChartsideError } from '../errors/catalogue.ts';
import { type KeyState, keyStatesAt } from './key-ring.ts';
import { SIGNING_ALGORITHMS, type SigningAlgorithm, sealContext } from './signing-keys.ts';

export const MIN_PASSPHRASE_LENGTH = 12;
/**
 * PBKDF2-HMAC-SHA512 rounds that turn the passphrase into the key-wrapping key: about 0.3 s per
 * export or import on a two-core server, and as much per guess for whoever holds a copied file.
 * Imports refuse higher counts, so a crafted file cannot make us spin for minutes.
 */
export const PBES2_COUNT = 600_000;
const KEY_MANAGEMENT = 'PBES2-HS512+A256KW';
const CONTENT_ENCRYPTION = 'A256GCM';
/** The JWE's `cty`: checked before the passphrase is spent on a file that is not ours. */
export const EXPORT_CONTENT_TYPE = 'chartside-signing-keys+json';
/** Inside the encrypted document: which layout of `keys` follows. */
const FORMAT = 'chartside.signing-keys.v1';

/** One key as it travels (spec-style names: this is a file format). */
interface ExportedKey {
  kid: string;
  alg: SigningAlgorithm;
  public_jwk: JWK;
  private_jwk: JWK;
  created_at: string;
  activates_at: string | null;
  retires_at: string | null;
}

interface ExportDocument {
  format: typeof FORMAT;
  exported_at: string;
  keys: ExportedKey[];
}

export interface SigningKeyExport {
  /** The compact JWE: what goes into the file. */
  readonly file: string;
  readonly keys: { kid: string; alg: SigningAlgorithm; state: KeyState }[];
}

export interface SigningKeyImport {
  /** `added: false` for keys this deployment already had (an import run again). */
  readonly keys: { kid: string; alg: SigningAlgorithm; added: boolean }[];
  /** This deployment's own keys that stopped signing and left the JWKS. */
  readonly retired: { kid: string; alg: string }[];
}

const refused = (message: string) => new ChartsideError('invalid_data', { message });
const utf8 = (text: string) => new TextEncoder().encode(text);

/** Every key still in the JWKS at `now` (next, active, retiring), private parts included. */
export async function exportSigningKeys(
  db: Db,
  sealer: Sealer,
  passphrase: string,
  now = new Date(),
): Promise<SigningKeyExport> {
  if ([...passphrase].length < MIN_PASSPHRASE_LENGTH) {
    throw refused(`the passphrase must be at least ${MIN_PASSPHRASE_LENGTH} characters`);
  }
  const rows = await db
    .selectFrom('signing_key')
    .selectAll()
    .where('status', '=', 'active')
    .orderBy('created_at', 'asc')
    .orderBy('kid', 'asc')
    .execute();
  const states = keyStatesAt(rows, now);
  const published = rows.filter((row) => states.get(row.kid) !== 'retired');
  if (published.length === 0) {
    throw refused('there are no signing keys to export: the gateway creates them when it first starts');
  }
  const document: ExportDocument = {
    format: FORMAT,
    exported_at: now.toISOString(),
    keys: published.map((row) => ({
      kid: row.kid,
      alg: row.alg as SigningAlgorithm,
      public_jwk: JSON.parse(row.public_jwk) as JWK,
      private_jwk: JSON.parse(sealer.open(row.private_jwk, sealContext(row.kid))) as JWK,
      created_at: row.created_at,
      activates_at: row.activates_at,
      retires_at: row.retires_at,
    })),
  };
  const file = await new CompactEncrypt(utf8(JSON.stringify(document)))
    .setProtectedHeader({ alg: KEY_MANAGEMENT, enc: CONTENT_ENCRYPTION, cty: EXPORT_CONTENT_TYPE })
    .setKeyManagementParameters({ p2c: PBES2_COUNT })
    .encrypt(utf8(passphrase));
  return {
    file,
    keys: published.map((row) => ({
      kid: row.kid,
      alg: row.alg as SigningAlgorithm,
      state: states.get(row.kid) as KeyState,
    })),
  };
}

/**
 * Store the file's keys (sealed with this deployment's `sealer`) and retire this deployment's
 * own keys of the same algorithms, in one transaction. Everything is checked first: a wrong
 * passphrase, a changed file or a key that does not hold together changes nothing.
 */
export async function importSigningKeys(
  db: Db,
  sealer: Sealer,
  file: string,
  passphrase: string,
  now = new Date(),
): Promise<SigningKeyImport> {
  const document = await openExport(file.trim(), passphrase);
  const keys = await Promise.all(document.keys.map(checkKey));
  const kids = new Set(keys.map((key) => key.kid));
  if (kids.size !== keys.length) throw refused('the export names a key twice');
  const algorithms = [...new Set(keys.map((key) => key.alg))];
  // The importer's own keys are retired below, so the file must bring a signer for each of them.
  const states = keyStatesAt(
    keys.map((key) => ({ ...key, status: 'active' })),
    now,
  );
  for (const alg of algorithms) {
    if (!keys.some((key) => key.alg === alg && states.get(key.kid) === 'active')) {
      throw refused(`no ${alg} key in the export signs now (retired or not active yet): export again`);
    }
  }

  return db.transaction().execute(async (trx) => {
    const present = await trx
      .selectFrom('signing_key')
      .select(['kid', 'alg', 'status', 'retires_at'])
      .execute();
    const known = new Set(present.map((row) => row.kid));
    for (const key of keys) {
      const schedule = { activates_at: key.activates_at, retires_at: key.retires_at };
      if (known.has(key.kid)) {
        // The same key (kid is its thumbprint): follow the exporter's schedule, which may have
        // moved since an earlier import (a rotation on production).
        await trx.updateTable('signing_key').set(schedule).where('kid', '=', key.kid).execute();
        continue;
      }
      await trx
        .insertInto('signing_key')
        .values({
          kid: key.kid,
          alg: key.alg,
          public_jwk: key.publicJwk,
          private_jwk: sealer.seal(key.privateJwk, sealContext(key.kid)),
          status: 'active',
          created_at: key.created_at,
          ...schedule,
        })
        .execute();
    }
    const retired = present.filter(
      (row) =>
        row.status === 'active' &&
        !kids.has(row.kid) &&
        algorithms.includes(row.alg as SigningAlgorithm) &&
        (row.retires_at === null || Date.parse(row.retires_at) > now.getTime()),
    );
    if (retired.length > 0) {
      await trx
        .updateTable('signing_key')
        .set({ retires_at: now.toISOString() })
        .where(
          'kid',
          'in',
          retired.map((row) => row.kid),
        )
        .execute();
    }
    return {
      keys: keys.map((key) => ({ kid: key.kid, alg: key.alg, added: !known.has(key.kid) })),
      retired: retired.map((row) => ({ kid: row.kid, alg: row.alg })),
    };
  });
}

async function openExport(file: string, passphrase: string): Promise<ExportDocument> {
  const notOurs = () => refused('the file is not a Chartside signing-key export');
  let header: ReturnType<typeof decodeProtectedHeader>;
  try {
    header = decodeProtectedHeader(file);
  } catch {
    throw notOurs();
  }
  if (
    header.cty !== EXPORT_CONTENT_TYPE ||
    header.alg !== KEY_MANAGEMENT ||
    header.enc !== CONTENT_ENCRYPTION ||
    typeof header.p2c !== 'number' ||
    header.p2c > PBES2_COUNT
  ) {
    throw notOurs();
  }
  let plaintext: Uint8Array;
  try {
    ({ plaintext } = await compactDecrypt(file, utf8(passphrase), {
      keyManagementAlgorithms: [KEY_MANAGEMENT],
      contentEncryptionAlgorithms: [CONTENT_ENCRYPTION],
      maxPBES2Count: PBES2_COUNT,
    }));
  } catch {
    // The header is authenticated too: any changed byte lands here, as does a wrong passphrase.
    throw refused('the export does not open: wrong passphrase, or the file was changed or truncated');
  }
  let document: Partial<ExportDocument> | null = null;
  try {
    document = JSON.parse(new TextDecoder().decode(plaintext));
  } catch {
    // Not JSON: refused just below, as not ours.
  }
  if (document?.format !== FORMAT || !Array.isArray(document.keys) || document.keys.length === 0) {
    throw notOurs();
  }
  for (const key of document.keys) if (!isExportedKey(key)) throw notOurs();
  return document as ExportDocument;
}

function isExportedKey(value: unknown): value is ExportedKey {
  const key = value as Partial<Record<keyof ExportedKey, unknown>> | null;
  const time = (field: unknown) => typeof field === 'string' && !Number.isNaN(Date.parse(field));
  return (
    typeof key?.kid === 'string' &&
    SIGNING_ALGORITHMS.includes(key.alg as SigningAlgorithm) &&
    typeof key.public_jwk === 'object' &&
    key.public_jwk !== null &&
    typeof key.private_jwk === 'object' &&
    key.private_jwk !== null &&
    time(key.created_at) &&
    (key.activates_at === null || time(key.activates_at)) &&
    (key.retires_at === null || time(key.retires_at))
  );
}

interface CheckedKey extends ExportedKey {
  /** The row's `public_jwk`: the file's own JSON, once it is known to hold only public members. */
  publicJwk: string;
  /** The private key as Node exports it (canonical members only), to be sealed. */
  privateJwk: string;
}

/** A key is stored only if its public part is exactly the public half of its private part. */
async function checkKey(key: ExportedKey): Promise<CheckedKey> {
  const mismatch = () =>
    refused(`key ${key.kid} in the export: its public part does not match its private part`);
  let privateKey: KeyObject;
  let publicKey: KeyObject;
  try {
    privateKey = createPrivateKey({ key: key.private_jwk, format: 'jwk' });
    publicKey = createPublicKey(privateKey);
  } catch {
    throw refused(`key ${key.kid} in the export: the private part is not a usable key`);
  }
  const derived = publicKey.export({ format: 'jwk' }) as JWK;
  const { kid, alg, use, ...members } = key.public_jwk;
  // Same member names and values: an extra member (a private `d` among them) would be served.
  const same =
    Object.keys(members).length === Object.keys(derived).length &&
    Object.entries(derived).every(([name, value]) => (members as Record<string, unknown>)[name] === value);
  if (!same || kid !== key.kid || alg !== key.alg || use !== 'sig') throw mismatch();
  if ((await calculateJwkThumbprint(derived)) !== key.kid) throw mismatch();
  // The public members can match while the private exponent or primes were damaged: sign once.
  try {
    const probe = await new CompactSign(utf8(key.kid)).setProtectedHeader({ alg: key.alg }).sign(privateKey);
    await compactVerify(probe, publicKey, { algorithms: [key.alg] });
  } catch {
    throw mismatch();
  }
  return {
    ...key,
    publicJwk: JSON.stringify(key.public_jwk),
    privateJwk: JSON.stringify(privateKey.export({ format: 'jwk' })),
  };
}
