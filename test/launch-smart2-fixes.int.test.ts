/**
 * Issue 15's fixes, found against a SMART reference EHR, each held here against the test EHR
 * (support/smart-ehr.ts): a refused code exchange shows the EHR's `error_description` (escaped,
 * capped) on the page, in the log and in the audit trail; a refresh whose new id_token lacks `aud`
 * still renews the token and keeps the launch's identity.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { launchIdFrom } from './support/launch-driver.ts';
import { STUB_USER_NAME } from './support/smart-ehr.ts';
import { driveSmartLaunch, type SmartStack, startSmartStack } from './support/smart-stack.ts';

for (const engine of ['sqlite', 'postgres'] as const) {
  describe(`issue 15 fixes against a SMART 2 EHR (${engine})`, () => {
    let stack: SmartStack;
    before(async () => {
      stack = await startSmartStack(engine, 'smart');
    });
    after(() => stack.close());

    it('a refused code exchange shows the EHR’s error_description, escaped and capped, and logs and audits it', async () => {
      const description = `<script>alert(1)</script> The client assertion's kid is unknown.\n${'x'.repeat(600)}`;
      stack.ehr.configure({
        refuseToken: { status: 401, body: { error: 'invalid_client', error_description: description } },
      });
      try {
        const { callbackResponse } = await driveSmartLaunch(stack, 'ehr');
        assert.equal(callbackResponse.status, 502);
        const page = await callbackResponse.text();
        assert.match(page, /token_exchange_failed/);
        assert.match(page, /invalid_client/);
        assert.ok(!page.includes('<script>alert(1)'), 'never reflected unescaped');
        assert.match(
          page,
          /&lt;script&gt;alert\(1\)&lt;\/script&gt; The client assertion(&#39;|&#x27;|')s kid is unknown\. x+…/,
        );
        assert.ok(!page.includes('x'.repeat(300)), 'capped at 300 characters');

        const { db } = stack.gateway.services;
        const launch = await db
          .selectFrom('ehr_launch')
          .select(['id', 'status', 'ehr_error', 'ehr_error_description'])
          .orderBy('created_at', 'desc')
          .executeTakeFirstOrThrow();
        assert.equal(launch.status, 'failed');
        assert.equal(launch.ehr_error, 'invalid_client');
        const kept = launch.ehr_error_description as string;
        assert.equal(kept.length, 300);
        assert.ok(kept.startsWith("<script>alert(1)</script> The client assertion's kid is unknown. xxx"));
        assert.ok(kept.endsWith('…') && !kept.includes('\n'));

        const audit = await db
          .selectFrom('audit_event')
          .select('details')
          .where('launch_id', '=', launch.id)
          .where('action', '=', 'launch.failed')
          .executeTakeFirstOrThrow();
        const details = JSON.parse(audit.details as string) as Record<string, unknown>;
        assert.equal(details.code, 'token_exchange_failed');
        assert.equal(details.ehr_error, 'invalid_client');
        assert.equal(details.ehr_error_description, kept);

        const logged = stack.logs.filter((line) => line.includes('token_exchange_failed'));
        assert.ok(
          logged.some((line) => line.includes("The client assertion's kid is unknown.")),
          'the log line carries the description',
        );
      } finally {
        stack.ehr.configure({ refuseToken: undefined });
      }
    });

    it('a refresh whose id_token lacks aud renews the token all the same: logged, ignored, identity kept', async () => {
      stack.ehr.configure({ refreshIdToken: 'no-aud' });
      try {
        const id = launchIdFrom((await driveSmartLaunch(stack, 'ehr')).callbackResponse);
        const { db } = stack.gateway.services;
        // The access token runs out now: the next FHIR call renews it first.
        await db
          .updateTable('ehr_launch')
          .set({ token_expires_at: new Date(Date.now() - 1000).toISOString() })
          .where('id', '=', id)
          .execute();
        const issuedBefore = stack.ehr.accessTokens.length;
        const response = await fetch(`${stack.gatewayUrl}/fhir/${id}/Patient/pat-1`, {
          headers: { authorization: `Bearer ${stack.apiKey}` },
        });
        assert.equal(response.status, 200, await response.clone().text());
        assert.deepEqual(await response.json(), { resourceType: 'Patient', id: 'pat-1' });

        assert.equal(stack.ehr.accessTokens.length, issuedBefore + 1, 'one refresh');
        const read = stack.ehr.requests.filter((r) => r.path === '/fhir/Patient/pat-1').at(-1);
        assert.equal(
          read?.headers.authorization,
          `Bearer ${stack.ehr.accessTokens.at(-1)}`,
          'the new token is used',
        );

        const row = await db
          .selectFrom('ehr_launch')
          .select(['status', 'fhir_user', 'token_expires_at'])
          .where('id', '=', id)
          .executeTakeFirstOrThrow();
        assert.equal(row.status, 'ready');
        assert.equal(row.fhir_user, 'Practitioner/prac-1', 'the identity of the code exchange');
        assert.ok(Date.parse(row.token_expires_at as string) > Date.now() + 3_000_000);

        const context = (await (
          await fetch(`${stack.gatewayUrl}/launch-contexts/${id}`, {
            headers: { authorization: `Bearer ${stack.apiKey}` },
          })
        ).json()) as Record<string, unknown>;
        assert.equal(context.fhir_user, 'Practitioner/prac-1');
        assert.equal(context.user_name, STUB_USER_NAME);

        const refreshed = await db
          .selectFrom('audit_event')
          .select('details')
          .where('launch_id', '=', id)
          .where('action', '=', 'token.refreshed')
          .executeTakeFirstOrThrow();
        assert.equal(JSON.parse(refreshed.details as string).id_token_ignored, 'id_token has no aud');
        assert.ok(
          stack.logs.some(
            (line) => line.includes('refreshed id_token ignored') && line.includes('id_token has no aud'),
          ),
        );
      } finally {
        stack.ehr.configure({ refreshIdToken: 'none' });
      }
    });
  });
}
