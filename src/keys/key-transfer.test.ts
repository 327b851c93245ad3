import assert from 'node:assert/strict';
import { generateKeyPairSync, randomBytes } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import {
  CompactEncrypt,
  compactDecrypt,
  decodeProtectedHeader,
  importJWK,
  type JWK,
  jwtVerify,
  SignJWT,
} from 'jose';
import { createSealer, type Sealer } from '../crypto/sealing.ts';
import { type DatabaseHandle, migrateToLatest, openDatabase } from '../db/index.ts';
import { keyStatesAt, loadKeyRing } from './key-ring.ts';
import { EXPORT_CONTENT_TYPE, exportSigningKeys, importSigningKeys, PBES2_COUNT } from './key-transfer.ts';
import { ensureSigningKeys, rotateSigningKey, sealContext } from './signing-keys.ts';

const PASSPHRASE = 'correct horse battery staple';

interface Deployment {
  handle: DatabaseHandle;
  sealer: Sealer;
}

/** A gateway's database after its first start: its own RS384 and ES384 keys, its own master key. */
async function deployment(): Promise<Deployment> {
  const handle = openDatabase('sqlite::memory:');
  await migrateToLatest(handle);
  const sealer = createSealer(randomBytes(32));
  await ensureSigningKeys(handle.db, sealer);
  return { handle, sealer };
}

const signingKeyRows = ({ handle }: Deployment) =>
  handle.db.selectFrom('signing_key').selectAll().orderBy('kid').execute();

/** The export's plaintext, as only the passphrase holder can read it. */
async function openWithPassphrase(file: string) {
  const { plaintext } = await compactDecrypt(file, new TextEncoder().encode(PASSPHRASE), {
    keyManagementAlgorithms: ['PBES2-HS512+A256KW'],
    maxPBES2Count: PBES2_COUNT,
  });
  return JSON.parse(new TextDecoder().decode(plaintext)) as {
    keys: { kid: string; alg: string; public_jwk: JWK; private_jwk: JWK; activates_at: string | null }[];
  };
}

/** A file made with the passphrase (so it opens) but whose content we chose. */
function encryptWithPassphrase(document: unknown, cty = EXPORT_CONTENT_TYPE): Promise<string> {
  return new CompactEncrypt(new TextEncoder().encode(JSON.stringify(document)))
    .setProtectedHeader({ alg: 'PBES2-HS512+A256KW', enc: 'A256GCM', cty })
    .setKeyManagementParameters({ p2c: 1000 })
    .encrypt(new TextEncoder().encode(PASSPHRASE));
}

/** Assert that `attempt` is refused with `reason` and that the deployment's keys and audit are as before. */
async function assertRefusedUnchanged(target: Deployment, attempt: () => Promise<unknown>, reason: RegExp) {
  const rows = await signingKeyRows(target);
  await assert.rejects(attempt, (error: Error) => {
    assert.equal(error.name, 'ChartsideError');
    assert.match(error.message, reason);
    return true;
  });
  assert.deepEqual(await signingKeyRows(target), rows, 'the database is unchanged');
}

describe('moving signing keys between deployments (keys export / keys import)', () => {
  let production: Deployment;
  let exported: Awaited<ReturnType<typeof exportSigningKeys>>;
  const now = new Date('2026-06-01T00:00:00Z');

  before(async () => {
    production = await deployment();
    // A rotation in progress: the export must carry the schedule, not only the current keys.
    await rotateSigningKey(production.handle.db, production.sealer, {
      alg: 'RS384',
      leadSeconds: 3600,
      graceSeconds: 86_400,
      now,
    });
    exported = await exportSigningKeys(production.handle.db, production.sealer, PASSPHRASE, now);
  });
  after(() => production.handle.close());

  it('writes a high-cost PBES2 JWE of our content type, with no private key material in clear', async () => {
    const header = decodeProtectedHeader(exported.file);
    assert.equal(header.alg, 'PBES2-HS512+A256KW');
    assert.equal(header.enc, 'A256GCM');
    assert.equal(header.cty, EXPORT_CONTENT_TYPE);
    assert.equal(header.p2c, 600_000);
    assert.deepEqual(exported.keys.map((key) => key.state).sort(), ['active', 'active', 'next']);
    const segments = exported.file
      .split('.')
      .map((part) => Buffer.from(part, 'base64url').toString('latin1'));
    for (const row of await signingKeyRows(production)) {
      const { d } = JSON.parse(production.sealer.open(row.private_jwk, sealContext(row.kid))) as JWK;
      assert.ok(d && d.length > 40);
      assert.ok(!exported.file.includes(d), `the private d of ${row.kid} is not in the file`);
      for (const segment of segments) assert.ok(!segment.includes(d));
    }
  });

  it('imports with the same kids, public JWKs and schedule, re-sealed under the importer’s master key', async () => {
    const dev = await deployment();
    try {
      const ownKids = (await signingKeyRows(dev)).map((row) => row.kid);
      const result = await importSigningKeys(dev.handle.db, dev.sealer, exported.file, PASSPHRASE, now);
      assert.deepEqual(result.keys.map((key) => key.kid).sort(), exported.keys.map((key) => key.kid).sort());
      assert.ok(result.keys.every((key) => key.added));
      assert.deepEqual(result.retired.map((key) => key.kid).sort(), [...ownKids].sort());

      const productionRing = await loadKeyRing(production.handle.db, production.sealer, () => now);
      const devRing = await loadKeyRing(dev.handle.db, dev.sealer, () => now);
      const byKid = (keys: JWK[]) => [...keys].sort((a, b) => String(a.kid).localeCompare(String(b.kid)));
      assert.deepEqual(byKid(devRing.jwks.keys), byKid(productionRing.jwks.keys), 'the same JWKS');
      for (const alg of ['RS384', 'ES384'] as const) {
        const signer = devRing.signingKey(alg);
        assert.equal(
          signer.kid,
          productionRing.signingKey(alg).kid,
          `dev signs ${alg} with production’s key`,
        );
        // Signed by the importer, verified with the exporter's published key: what the EHR does.
        const jwt = await new SignJWT({ sub: 'client' })
          .setProtectedHeader({ alg, kid: signer.kid })
          .sign(signer.privateKey);
        const published = productionRing.jwks.keys.find((key) => key.kid === signer.kid) as JWK;
        await jwtVerify(jwt, await importJWK(published, alg), { algorithms: [alg] });
      }
      const later = new Date(now.getTime() + 3600_000 + 1000);
      const states = async (deploymentRows: Deployment, at: Date) =>
        Object.fromEntries(
          [...keyStatesAt(await signingKeyRows(deploymentRows), at)].filter(
            ([kid]) => !ownKids.includes(kid),
          ),
        );
      assert.deepEqual(await states(dev, now), await states(production, now));
      assert.deepEqual(await states(dev, later), await states(production, later), 'the rotation goes on');

      for (const row of await signingKeyRows(dev)) {
        if (ownKids.includes(row.kid)) {
          assert.equal(row.retires_at, now.toISOString(), 'the importer’s own key left the JWKS');
          continue;
        }
        assert.doesNotThrow(() => dev.sealer.open(row.private_jwk, sealContext(row.kid)));
        assert.throws(
          () => production.sealer.open(row.private_jwk, sealContext(row.kid)),
          /different master key/,
        );
      }
    } finally {
      await dev.handle.close();
    }
  });

  it('is idempotent: the same file again adds nothing and changes nothing', async () => {
    const dev = await deployment();
    try {
      await importSigningKeys(dev.handle.db, dev.sealer, exported.file, PASSPHRASE, now);
      const rows = await signingKeyRows(dev);
      const again = await importSigningKeys(dev.handle.db, dev.sealer, exported.file, PASSPHRASE, now);
      assert.ok(again.keys.every((key) => !key.added));
      assert.deepEqual(again.retired, []);
      assert.deepEqual(await signingKeyRows(dev), rows);
    } finally {
      await dev.handle.close();
    }
  });

  describe('refuses, changing nothing', () => {
    let dev: Deployment;
    before(async () => {
      dev = await deployment();
    });
    after(() => dev.handle.close());

    const refuse = (file: string, reason: RegExp, passphrase = PASSPHRASE) =>
      assertRefusedUnchanged(
        dev,
        () => importSigningKeys(dev.handle.db, dev.sealer, file, passphrase, now),
        reason,
      );

    it('a wrong passphrase', async () => {
      await refuse(exported.file, /wrong passphrase/, 'correct horse battery stapler');
    });

    it('a file with one byte changed, or cut short', async () => {
      const [header, key, iv, ciphertext, tag] = exported.file.split('.') as [string, ...string[]];
      const middle = Math.floor((ciphertext as string).length / 2);
      const flipped = (ciphertext as string)[middle] === 'A' ? 'B' : 'A';
      const changed = `${(ciphertext as string).slice(0, middle)}${flipped}${(ciphertext as string).slice(middle + 1)}`;
      await refuse([header, key, iv, changed, tag].join('.'), /changed or truncated/);
      await refuse(exported.file.slice(0, exported.file.length - 10), /changed or truncated/);
    });

    it('a file that is not our export', async () => {
      await refuse('{"keys": []}', /not a Chartside signing-key export/);
      await refuse(
        await encryptWithPassphrase({ hello: 'world' }, 'json'),
        /not a Chartside signing-key export/,
      );
      await refuse(await encryptWithPassphrase({ format: 'other' }), /not a Chartside signing-key export/);
    });

    it('a key whose public part is not the public half of its private part', async () => {
      const document = await openWithPassphrase(exported.file);
      const rs384 = document.keys.find((key) => key.alg === 'RS384') as (typeof document.keys)[number];
      const other = generateKeyPairSync('rsa', { modulusLength: 2048 }).publicKey.export({ format: 'jwk' });
      rs384.public_jwk = { ...rs384.public_jwk, n: other.n };
      await refuse(await encryptWithPassphrase(document), /public part does not match its private part/);
    });

    it('a private part damaged where its public members do not show it', async () => {
      const document = await openWithPassphrase(exported.file);
      const rs384 = document.keys.find((key) => key.alg === 'RS384') as (typeof document.keys)[number];
      const other = generateKeyPairSync('rsa', { modulusLength: 2048 }).privateKey.export({ format: 'jwk' });
      // Another key's private members under our modulus: n and e (all the public part shows) agree.
      rs384.private_jwk = { ...other, n: rs384.private_jwk.n, e: rs384.private_jwk.e };
      await refuse(await encryptWithPassphrase(document), new RegExp(`key ${rs384.kid} in the export: `));
    });

    it('a public part that carries a private member', async () => {
      const document = await openWithPassphrase(exported.file);
      const es384 = document.keys.find((key) => key.alg === 'ES384') as (typeof document.keys)[number];
      es384.public_jwk = { ...es384.public_jwk, d: es384.private_jwk.d as string };
      await refuse(await encryptWithPassphrase(document), /public part does not match its private part/);
    });

    it('an export with no key that signs now for an algorithm', async () => {
      const document = await openWithPassphrase(exported.file);
      for (const key of document.keys) if (key.alg === 'ES384') key.activates_at = '2030-01-01T00:00:00.000Z';
      await refuse(await encryptWithPassphrase(document), /no ES384 key in the export signs now/);
    });
  });

  it('does not export with a passphrase shorter than 12 characters', async () => {
    await assert.rejects(
      exportSigningKeys(production.handle.db, production.sealer, 'short pass!', now),
      /at least 12 characters/,
    );
  });
});
