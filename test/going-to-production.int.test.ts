/**
 * The guide's "Going to Production" on both engines: an organization launches only against the
 * tenants linked to it, a production tenant belongs to one organization, API keys read only their
 * own environment's launches, and each environment launches with its own credentials.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { createApiKey } from '../src/api/api-keys.ts';
import { setConnection } from '../src/settings/connections.ts';
import { addFhirSource, findFhirSourceByIss, updateFhirSource } from '../src/settings/fhir-sources.ts';
import { linkOrgToSource, unlinkOrgFromSource } from '../src/settings/org-links.ts';
import { createOrganization } from '../src/settings/organizations.ts';
import type { TestEngine } from './support/databases.ts';
import { driveLaunch, launchIdFrom, readContext, startLaunch } from './support/launch-driver.ts';
import { clearRecordedRequests, recordedRequests } from './support/sandbox-controls.ts';
import { type Stack, startStack } from './support/stack.ts';

for (const engine of ['sqlite', 'postgres'] as const satisfies readonly TestEngine[]) {
  describe(`going to production (${engine})`, () => {
    let stack: Stack;
    before(async () => {
      stack = await startStack({ engine });
    });
    after(() => stack.close());

    async function secondOrg(name: string) {
      const { db, sealer, config } = stack.gateway.services;
      const org = await createOrganization(db, { name });
      await setConnection(db, sealer, config, org.id, 'cerner', {
        appLaunchUrl: 'https://other.example.org/launch',
        useCustomCredentials: true,
        clientId: stack.clientId,
        clientSecret: 'whatever',
      });
      return org;
    }

    it('a launch from a registered tenant not linked to the org: 403 fhir_source_not_linked, no request to the EHR, audited', async () => {
      const other = await secondOrg('Hospital <B>');
      await clearRecordedRequests(stack.sandbox);
      const iss = stack.sandbox.fhirBaseUrl;
      const response = await fetch(
        `${stack.gatewayUrl}/api/auth/smart/launch/${other.id}?iss=${encodeURIComponent(iss)}&launch=abc`,
        { redirect: 'manual' },
      );
      const body = await response.text();
      assert.equal(response.status, 403);
      assert.equal(response.headers.get('location'), null, 'no authorize redirect');
      assert.match(response.headers.get('content-type') as string, /^text\/html/);
      assert.ok(body.includes('fhir_source_not_linked'));
      assert.ok(body.includes(response.headers.get('x-request-id') as string), 'request id on the page');
      assert.ok(body.includes('Hospital &lt;B&gt;'), 'names the organization, escaped');
      assert.ok(!body.includes('Hospital <B>'));
      assert.ok(body.includes(iss), 'names the iss');
      assert.deepEqual(await recordedRequests(stack.sandbox), [], 'nothing was sent to the EHR');

      const { db } = stack.gateway.services;
      const events = await db
        .selectFrom('audit_event')
        .select(['action', 'details', 'request_id'])
        .where('org_id', '=', other.id)
        .where('action', '=', 'launch.refused')
        .execute();
      assert.equal(events.length, 1);
      assert.equal(events[0]?.request_id, response.headers.get('x-request-id'));
      assert.equal(JSON.parse(events[0]?.details ?? '{}').code, 'fhir_source_not_linked');
      const launches = await db
        .selectFrom('ehr_launch')
        .select('id')
        .where('org_id', '=', other.id)
        .execute();
      assert.deepEqual(launches, [], 'no launch row');
    });

    it('an unregistered iss still answers the guide’s “FHIR source not found for iss”', async () => {
      const response = await fetch(
        `${stack.gatewayUrl}/api/auth/smart/launch/${stack.orgId}?iss=${encodeURIComponent('https://nowhere.example.org/r4/x')}&launch=abc`,
        { redirect: 'manual' },
      );
      assert.equal(response.status, 400);
      assert.ok((await response.text()).includes('FHIR source not found for iss'));
    });

    it('linking makes the same launch work; unlinking stops it again', async () => {
      const { db } = stack.gateway.services;
      const other = await secondOrg('Hospital C');
      const source = await findFhirSourceByIss(db, stack.sandbox.fhirBaseUrl);
      assert.ok(source);
      // A sandbox tenant may be shared by several organizations.
      assert.deepEqual(await linkOrgToSource(db, { orgId: other.id, sourceId: source.id, actor: 'test' }), {
        org: other.id,
        source: source.id,
        linked: true,
      });
      const url = `${stack.gatewayUrl}/api/auth/smart/launch/${other.id}?iss=${encodeURIComponent(source.fhir_base_url)}&launch=abc`;
      const linked = await fetch(url, { redirect: 'manual' });
      assert.equal(linked.status, 302);
      assert.equal(
        new URL(linked.headers.get('location') as string).searchParams.get('aud'),
        source.fhir_base_url,
      );

      await unlinkOrgFromSource(db, { orgId: other.id, sourceId: source.id, actor: 'test' });
      const unlinked = await fetch(url, { redirect: 'manual' });
      assert.equal(unlinked.status, 403);
      assert.ok((await unlinked.text()).includes('fhir_source_not_linked'));
    });

    it('a production source belongs to one organization: a second link is source_already_linked (409)', async () => {
      const { db } = stack.gateway.services;
      const production = await addFhirSource(db, {
        iss: `https://fhir.hospital-${engine}.example.org/r4/tenant`,
        vendor: 'cerner',
        environment: 'production',
      });
      const first = await createOrganization(db, { name: 'Hospital D' });
      const second = await createOrganization(db, { name: 'Hospital E' });
      await linkOrgToSource(db, { orgId: first.id, sourceId: production.id, actor: 'test' });
      // Linking the owner again changes nothing and is not an error.
      await linkOrgToSource(db, { orgId: first.id, sourceId: production.id, actor: 'test' });
      await assert.rejects(
        linkOrgToSource(db, { orgId: second.id, sourceId: production.id, actor: 'test' }),
        {
          code: 'source_already_linked',
          status: 409,
        },
      );
      const owners = await db
        .selectFrom('org_fhir_source')
        .select('org_id')
        .where('fhir_source_id', '=', production.id)
        .execute();
      assert.deepEqual(owners, [{ org_id: first.id }]);

      // Two at once: exactly one wins.
      const racing = await addFhirSource(db, {
        iss: `https://fhir.race-${engine}.example.org/r4/tenant`,
        vendor: 'cerner',
        environment: 'production',
      });
      const results = await Promise.allSettled(
        [first, second].map((org) =>
          linkOrgToSource(db, { orgId: org.id, sourceId: racing.id, actor: 'test' }),
        ),
      );
      assert.equal(results.filter((result) => result.status === 'fulfilled').length, 1);
      const linked = await db
        .selectFrom('org_fhir_source')
        .select('org_id')
        .where('fhir_source_id', '=', racing.id)
        .execute();
      assert.equal(linked.length, 1);
    });

    it('a shared sandbox source cannot become production while several organizations use it', async () => {
      const { db } = stack.gateway.services;
      const shared = await addFhirSource(db, {
        iss: `https://fhir.shared-${engine}.example.org/r4/tenant`,
        vendor: 'cerner',
        environment: 'sandbox',
      });
      for (const name of ['Clinic F', 'Clinic G']) {
        const org = await createOrganization(db, { name });
        await linkOrgToSource(db, { orgId: org.id, sourceId: shared.id, actor: 'test' });
      }
      await assert.rejects(
        updateFhirSource(db, shared.id, {
          iss: shared.fhir_base_url,
          vendor: 'cerner',
          environment: 'production',
          name: undefined,
        }),
        { code: 'source_already_linked' },
      );
      const after = await db
        .selectFrom('fhir_source')
        .select('environment')
        .where('id', '=', shared.id)
        .executeTakeFirst();
      assert.equal(after?.environment, 'sandbox', 'nothing changed');
    });

    it('API keys read only their environment: a sandbox key gets 404 for a production launch, a production key reads it', async () => {
      const { db } = stack.gateway.services;
      const launched = await driveLaunch(stack);
      const id = launchIdFrom(launched.callbackResponse);
      // A launch made while its tenant was production stays production (the row keeps it).
      await db.updateTable('ehr_launch').set({ environment: 'production' }).where('id', '=', id).execute();
      const live = await createApiKey(db, stack.orgId, 'test', 'production');
      assert.match(live.key, /^cs_live_[A-Za-z0-9]{12}_[A-Za-z0-9]{40}$/);
      assert.match(stack.apiKey, /^cs_test_/, 'the stack’s default key is a sandbox key');

      const missing = await readContext(stack, '00000000-0000-4000-8000-000000000000');
      const sandboxRead = await readContext(stack, id);
      assert.equal(sandboxRead.response.status, 404);
      assert.equal((sandboxRead.body.error as { code: string }).code, 'resource_not_found');
      assert.equal(
        (sandboxRead.body.error as { message: string }).message,
        (missing.body.error as { message: string }).message,
        'exactly like a launch that does not exist',
      );
      const liveRead = await readContext(stack, id, live.key);
      assert.equal(liveRead.response.status, 200);
      assert.equal(liveRead.body.environment, 'production');
      assert.equal(liveRead.body.status, 'ready');

      const patient = String(liveRead.body.patient);
      const fhir = (key: string) =>
        fetch(`${stack.gatewayUrl}/fhir/${id}/${patient}`, { headers: { authorization: `Bearer ${key}` } });
      const sandboxFhir = await fhir(stack.apiKey);
      assert.equal(sandboxFhir.status, 404);
      const outcome = (await sandboxFhir.json()) as {
        issue: { details: { coding: { code: string }[] } }[];
      };
      assert.equal(outcome.issue[0]?.details.coding[0]?.code, 'resource_not_found');
      const liveFhir = await fhir(live.key);
      assert.equal(liveFhir.status, 200);
      assert.equal(((await liveFhir.json()) as { resourceType: string }).resourceType, 'Patient');
    });

    it('each environment launches with its own credentials', async () => {
      const { db, sealer, config } = stack.gateway.services;
      await setConnection(db, sealer, config, stack.orgId, 'cerner', {
        environment: 'production',
        clientId: 'production-client-id',
      });
      // The stack's tenant is a sandbox source: the sandbox credentials are untouched and used.
      const { authorizeUrl } = await startLaunch(stack);
      assert.equal(authorizeUrl.searchParams.get('client_id'), stack.clientId);
      const row = await db
        .selectFrom('connection_credential')
        .innerJoin('connection', 'connection.id', 'connection_credential.connection_id')
        .select(['environment', 'client_id'])
        .where('org_id', '=', stack.orgId)
        .orderBy('environment')
        .execute();
      assert.deepEqual(row, [
        { environment: 'production', client_id: 'production-client-id' },
        { environment: 'sandbox', client_id: stack.clientId },
      ]);
      await setConnection(db, sealer, config, stack.orgId, 'cerner', {
        environment: 'sandbox',
        clientId: 'sandbox-client-id',
      });
      // The gateway now asks the (sandbox) EHR with the new sandbox client id.
      const { authorizeUrl: again } = await startLaunch(stack);
      assert.equal(again.searchParams.get('client_id'), 'sandbox-client-id');
      await setConnection(db, sealer, config, stack.orgId, 'cerner', { clientId: stack.clientId });
    });
  });
}
