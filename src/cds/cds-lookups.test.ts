import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { createSealer } from '../crypto/sealing.ts';
import { type DatabaseHandle, migrateToLatest, openDatabase } from '../db/index.ts';
import { ChartsideError } from '../errors/catalogue.ts';
import { setConnection } from '../settings/connections.ts';
import { createOrganization } from '../settings/organizations.ts';
import { createCdsLookups } from './cds-lookups.ts';
import { addTrustedCdsIssuer } from './issuers.ts';

const config = { mode: 'development' as const };
const ISSUER = 'https://cds-hooks.ehr.example';

describe('CDS lookups (connection and trusted issuer of a hook call)', () => {
  let handle: DatabaseHandle;
  let queries = 0;
  let orgId: string;
  let otherOrgId: string;

  before(async () => {
    handle = openDatabase('sqlite::memory:', { onQuery: () => queries++ });
    await migrateToLatest(handle);
    const { db } = handle;
    orgId = (await createOrganization(db, { name: 'A' })).id;
    otherOrgId = (await createOrganization(db, { name: 'B' })).id;
    const sealer = createSealer(Buffer.alloc(32, 7));
    await setConnection(db, sealer, config, orgId, 'cerner', {
      cdsEndpoint: 'http://127.0.0.1:9/cds-services',
    });
    await addTrustedCdsIssuer(db, config, orgId, { issuer: ISSUER, jwksUrl: 'http://127.0.0.1:9/jwks' });
  });
  after(() => handle.close());

  it('reads each once within the time to live, and again once it is over', async () => {
    let now = 0;
    const lookups = createCdsLookups(handle.db, 2000, () => now);
    queries = 0;
    assert.equal((await lookups.connection(orgId)).cdsEndpoint, 'http://127.0.0.1:9/cds-services');
    assert.equal((await lookups.trustedIssuer(orgId, ISSUER))?.jwksUrl, 'http://127.0.0.1:9/jwks');
    const first = queries;
    assert.ok(first >= 2);
    await lookups.connection(orgId);
    await lookups.trustedIssuer(orgId, ISSUER);
    assert.equal(queries, first, 'the second hook call reads neither again');
    now = 2000;
    await lookups.connection(orgId);
    await lookups.trustedIssuer(orgId, ISSUER);
    assert.equal(queries, 2 * first, 'past the time to live both are read again');
  });

  it('remembers nothing with a time to live of 0 (the tests’ setting)', async () => {
    const lookups = createCdsLookups(handle.db, 0);
    queries = 0;
    await lookups.connection(orgId);
    await lookups.connection(orgId);
    assert.equal(queries, 2);
  });

  it('keeps organizations apart: another org has no connection and trusts no issuer of this one', async () => {
    const lookups = createCdsLookups(handle.db, 60_000);
    await lookups.connection(orgId);
    assert.ok(await lookups.trustedIssuer(orgId, ISSUER));
    await assert.rejects(
      lookups.connection(otherOrgId),
      (error: unknown) => error instanceof ChartsideError && error.code === 'cds_not_configured',
    );
    assert.equal(await lookups.trustedIssuer(otherOrgId, ISSUER), undefined);
    // A refusal is not remembered: the connection set a moment later is found.
    const sealer = createSealer(Buffer.alloc(32, 7));
    await setConnection(handle.db, sealer, config, otherOrgId, 'cerner', {
      cdsEndpoint: 'http://127.0.0.1:9/other',
    });
    assert.equal((await lookups.connection(otherOrgId)).cdsEndpoint, 'http://127.0.0.1:9/other');
  });
});
