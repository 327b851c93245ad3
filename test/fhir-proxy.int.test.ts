/**
 * The FHIR proxy through the local Cerner sandbox: reads and paged searches, who may call, paths
 * outside the FHIR base, token refresh (before expiry, on 401, throttled, rotated, refused), the
 * launch lifecycle, and the audit trail.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { Bundle } from 'fhir/r4.js';
import { createApiKey } from '../src/api/api-keys.ts';
import { tokenContext } from '../src/launch/ehr-launches.ts';
import { createOrganization } from '../src/settings/organizations.ts';
import {
  advanceSandboxClock,
  auditEvents,
  auditOfRequest,
  endEhrSessions,
  expireStoredToken,
  firstIssue,
  proxyFetch,
  rawGet,
  resetSandboxClock,
  revokeRefreshTokens,
  sandboxCounts,
  sandboxSettings,
  waitForAudit,
} from './support/fhir-proxy.ts';
import { driveLaunch, launchIdFrom, readContext } from './support/launch-driver.ts';
import {
  clearFaults,
  clearRecordedRequests,
  recordedRequests,
  setFaults,
} from './support/sandbox-controls.ts';
import { type Stack, startStack } from './support/stack.ts';

const TIM = { patient: '12742400', encounter: '97953530' };

describe('FHIR proxy through the sandbox', () => {
  let stack: Stack;
  let launchId: string;
  const fhir = (path: string, init?: RequestInit, id = launchId) =>
    proxyFetch(stack.gatewayUrl, stack.apiKey, id, path, init);
  const newLaunch = async () => launchIdFrom((await driveLaunch(stack, TIM)).callbackResponse);
  const launchRow = (id: string) =>
    stack.gateway.services.db
      .selectFrom('ehr_launch')
      .selectAll()
      .where('id', '=', id)
      .executeTakeFirstOrThrow();
  const openToken = (id: string, sealed: string | null, column: 'access_token' | 'refresh_token') =>
    stack.gateway.services.sealer.open(sealed as string, tokenContext(id, column));

  before(async () => {
    stack = await startStack({});
    launchId = await newLaunch();
  });
  after(() => stack.close());

  describe('reads and searches', () => {
    it('reads a Patient with the launch’s token and relays status, ETag and the EHR’s request id', async () => {
      await clearRecordedRequests(stack.sandbox);
      const { response, body } = await fhir('Patient/12742400');
      assert.equal(response.status, 200);
      assert.equal(response.headers.get('content-type'), 'application/fhir+json; charset=utf-8');
      assert.equal(body?.resourceType, 'Patient');
      assert.equal(body?.id, '12742400');
      assert.equal(response.headers.get('etag'), 'W/"1"');
      assert.equal(response.headers.get('cache-control'), 'no-store');
      assert.match(response.headers.get('x-request-id') as string, /^[0-9a-f-]{36}$/);
      assert.match(response.headers.get('x-ehr-request-id') as string, /^[0-9a-f-]{36}$/);
      assert.notEqual(response.headers.get('x-request-id'), response.headers.get('x-ehr-request-id'));

      const [sent] = await recordedRequests(stack.sandbox, 'fhir');
      const row = await launchRow(launchId);
      assert.equal(sent?.path, `/r4/${stack.sandbox.tenant}/Patient/12742400`);
      assert.equal(
        sent?.headers.authorization,
        `Bearer ${openToken(launchId, row.access_token, 'access_token')}`,
      );
      assert.equal(sent?.headers.accept, 'application/fhir+json');
      assert.ok(!JSON.stringify(sent).includes(stack.apiKey), 'the API key never reaches the EHR');
    });

    it('keeps paging inside Chartside: next links and fullUrls point at the proxy and reach every page', async () => {
      const proxyBase = `${stack.gatewayUrl}/fhir/${launchId}/`;
      let path: string | null = 'Observation?patient=12742400&category=vital-signs&_count=5';
      const ids: string[] = [];
      let pages = 0;
      while (path !== null) {
        const { response, body } = await fhir(path);
        assert.equal(response.status, 200, JSON.stringify(body));
        const bundle = body as unknown as Bundle;
        pages += 1;
        for (const link of bundle.link ?? []) assert.ok(link.url.startsWith(proxyBase), link.url);
        for (const entry of bundle.entry ?? []) {
          assert.ok(entry.fullUrl?.startsWith(`${proxyBase}Observation/`), entry.fullUrl);
          ids.push(entry.resource?.id as string);
        }
        assert.ok(!JSON.stringify(bundle).includes(stack.sandbox.origin), 'no EHR URL left in the Bundle');
        const next = bundle.link?.find((link) => link.relation === 'next')?.url;
        path = next ? next.slice(proxyBase.length) : null;
      }
      assert.equal(pages, 3, '12 vital signs at 5 a page');
      assert.equal(new Set(ids).size, 12);
    });

    it('relays If-None-Match and the EHR’s 304', async () => {
      await clearRecordedRequests(stack.sandbox);
      const { response, body } = await fhir('Patient/12742400', { headers: { 'if-none-match': 'W/"1"' } });
      assert.equal(response.status, 304);
      assert.equal(body, null);
      const [sent] = await recordedRequests(stack.sandbox, 'fhir');
      assert.equal(sent?.headers['if-none-match'], 'W/"1"');
    });

    it('passes EHR errors through with their status and OperationOutcome', async () => {
      const missing = await fhir('Patient/99999999');
      assert.equal(missing.response.status, 404);
      assert.equal(missing.body?.resourceType, 'OperationOutcome');
      assert.match(JSON.stringify(missing.body), /Patient\/99999999 not found/);
      const unqualified = await fhir('Observation');
      assert.equal(unqualified.response.status, 400);
      assert.match(JSON.stringify(unqualified.body), /no supported search parameters provided/);
      const xml = await fhir('Patient/12742400', { headers: { accept: 'application/fhir+xml' } });
      assert.equal(xml.response.status, 406);
    });
  });

  describe('who may call, and where', () => {
    function assertOutcome(
      body: Record<string, unknown> | null,
      response: Response,
      code: string,
      issue: string,
    ) {
      assert.equal(response.headers.get('content-type'), 'application/fhir+json; charset=utf-8');
      assert.equal(body?.resourceType, 'OperationOutcome');
      const first = firstIssue(body);
      assert.equal(first.code, issue);
      assert.equal(first.details.coding[0]?.code, code);
      assert.equal(first.diagnostics, `Chartside request id ${response.headers.get('x-request-id')}`);
    }

    it('without an API key: 401 OperationOutcome with our request id', async () => {
      const { response, body } = await fhir('Patient/12742400', { headers: { authorization: '' } });
      assert.equal(response.status, 401);
      assertOutcome(body, response, 'missing_api_key', 'login');
    });

    it('another org’s key: 404, exactly as for a launch that does not exist, and the EHR is not called', async () => {
      const { db } = stack.gateway.services;
      const other = await createOrganization(db, { name: 'Other clinic' });
      const { key } = await createApiKey(db, other.id, 'test');
      await clearRecordedRequests(stack.sandbox);
      const foreign = await proxyFetch(stack.gatewayUrl, key, launchId, 'Patient/12742400');
      const unknown = await fhir('Patient/12742400', {}, '00000000-0000-4000-8000-000000000000');
      assert.equal(foreign.response.status, 404);
      assertOutcome(foreign.body, foreign.response, 'resource_not_found', 'not-found');
      assert.equal(unknown.response.status, 404);
      const withoutId = (body: Record<string, unknown> | null) =>
        JSON.stringify(body).replace(/[0-9a-f-]{36}/g, '');
      assert.equal(withoutId(foreign.body), withoutId(unknown.body));
      assert.equal((await sandboxCounts(stack.sandbox)).fhir, undefined);
      const refused = await auditOfRequest(db, foreign.response.headers.get('x-request-id'));
      assert.equal(refused?.org_id, other.id, 'recorded in the caller’s trail');
      assert.equal(refused?.launch_id, null, 'not under the other org’s launch');
    });

    it('refuses traversal, encoded traversal, absolute URLs and other hosts before calling the EHR', async () => {
      await clearRecordedRequests(stack.sandbox);
      const base = `/fhir/${launchId}`;
      const targets = [
        `${base}/../../launch-contexts/${launchId}`,
        `${base}/Patient/../../../admin`,
        `${base}/%2e%2e/%2e%2e/api/auth/.well-known/jwks`,
        `${base}/Patient/%2E%2E/x`,
        `${base}/Patient%2F..%2F..%2Fmetadata`,
        `${base}/%252e%252e/metadata`,
        `${base}/Patient%5C..%5C..`,
        `${base}//evil.example/r4/Patient`,
        `${base}/https://evil.example/Patient/1`,
        `${base}/http:%2F%2Fevil.example`,
        `${base}/@evil.example/Patient`,
        `${base}/Patient/12742400%00`,
      ];
      for (const target of targets) {
        const answer = await rawGet(stack.gatewayUrl, target, { authorization: `Bearer ${stack.apiKey}` });
        assert.equal(answer.status, 400, `${target} → ${answer.status} ${answer.body}`);
        assert.match(answer.body, /"code":"fhir_path_not_allowed"/, target);
      }
      assert.equal((await sandboxCounts(stack.sandbox)).fhir, undefined, 'nothing reached the EHR');
    });

    it('refuses bodies it does not relay: unknown media types (415) and malformed FHIR JSON (400)', async () => {
      await clearRecordedRequests(stack.sandbox);
      const xml = await fhir('Observation', {
        method: 'POST',
        headers: { 'content-type': 'application/fhir+xml' },
        body: '<Observation/>',
      });
      assert.equal(xml.response.status, 415);
      assertOutcome(xml.body, xml.response, 'unsupported_media_type', 'not-supported');
      const broken = await fhir('Observation', {
        method: 'POST',
        headers: { 'content-type': 'application/fhir+json' },
        body: '{"resourceType":',
      });
      assert.equal(broken.response.status, 400);
      assertOutcome(broken.body, broken.response, 'bad_request', 'invalid');
      assert.equal((await sandboxCounts(stack.sandbox)).fhir, undefined);
    });
  });

  describe('token refresh', () => {
    it('refreshes before expiry, once, keeping Cerner’s refresh token, and audits it', async () => {
      const id = await newLaunch();
      const before = await launchRow(id);
      await expireStoredToken(stack.gateway.services.db, id);
      await clearRecordedRequests(stack.sandbox);
      const { response } = await fhir('Patient/12742400', {}, id);
      assert.equal(response.status, 200);

      const counts = await sandboxCounts(stack.sandbox);
      assert.equal(counts.refresh_token, 1);
      const [refresh] = await recordedRequests(stack.sandbox, 'token');
      assert.equal(refresh?.form?.refresh_token, openToken(id, before.refresh_token, 'refresh_token'));
      assert.match(
        refresh?.headers.authorization as string,
        /^Basic /,
        'the confidential client authenticates',
      );
      const after = await launchRow(id);
      assert.equal(after.status, 'ready');
      assert.equal(
        after.refresh_token,
        before.refresh_token,
        'no new refresh token from Cerner: the old one is kept',
      );
      const renewed = openToken(id, after.access_token, 'access_token');
      assert.notEqual(renewed, openToken(id, before.access_token, 'access_token'));
      assert.ok(Date.parse(after.token_expires_at as string) > Date.now() + 500_000);
      const [sent] = await recordedRequests(stack.sandbox, 'fhir');
      assert.equal(
        sent?.headers.authorization,
        `Bearer ${renewed}`,
        'the request went out with the new token',
      );

      const [audit] = await auditEvents(stack.gateway.services.db, {
        launchId: id,
        action: 'token.refreshed',
      });
      assert.deepEqual(audit?.details, { trigger: 'expiry', rotated: false, expires_in: 570 });
      assert.equal(audit?.request_id, response.headers.get('x-request-id'));
      assert.match(audit?.actor as string, /^api_key:[A-Za-z0-9]{12}$/);
      const logs = stack.logs.join('\n');
      assert.ok(
        !logs.includes(renewed) && !logs.includes(refresh?.form?.refresh_token as string),
        'no token in logs',
      );
    });

    it('refreshes once when the EHR answers 401, then sends the request again', async () => {
      const id = await newLaunch();
      await clearRecordedRequests(stack.sandbox);
      await advanceSandboxClock(stack.sandbox, 700); // the EHR's token has expired; ours says it has not
      try {
        const { response, body } = await fhir('Patient/12742400', {}, id);
        assert.equal(response.status, 200, JSON.stringify(body));
      } finally {
        await resetSandboxClock(stack.sandbox);
      }
      const counts = await sandboxCounts(stack.sandbox);
      assert.equal(counts.refresh_token, 1);
      const sent = await recordedRequests(stack.sandbox, 'fhir');
      assert.equal(sent.length, 2, 'refused once, then sent again');
      assert.notEqual(sent[0]?.headers.authorization, sent[1]?.headers.authorization);
      const [audit] = await auditEvents(stack.gateway.services.db, {
        launchId: id,
        action: 'token.refreshed',
      });
      assert.equal(audit?.details.trigger, 'unauthorized');
    });

    it('never refreshes a launch more than once a minute', async () => {
      const id = await newLaunch();
      await expireStoredToken(stack.gateway.services.db, id);
      assert.equal((await fhir('Patient/12742400', {}, id)).response.status, 200);
      await expireStoredToken(stack.gateway.services.db, id);
      await clearRecordedRequests(stack.sandbox);
      const again = await fhir('Patient/12742400', {}, id);
      assert.equal(again.response.status, 200, 'the current token is used meanwhile');
      assert.equal((await sandboxCounts(stack.sandbox)).refresh_token, undefined, 'no second refresh call');
    });

    it('stores a rotated refresh token atomically and uses it for the next refresh', async () => {
      await sandboxSettings(stack.sandbox, { rotate_refresh_tokens: true });
      try {
        const id = await newLaunch();
        const { db } = stack.gateway.services;
        const first = await launchRow(id);
        await expireStoredToken(db, id);
        assert.equal((await fhir('Patient/12742400', {}, id)).response.status, 200);
        const second = await launchRow(id);
        assert.notEqual(
          openToken(id, second.refresh_token, 'refresh_token'),
          openToken(id, first.refresh_token, 'refresh_token'),
        );
        // A minute later (the throttle, moved back) the rotated token must be the one that works.
        await db
          .updateTable('lease')
          .set({ acquired_at: new Date(Date.now() - 120_000).toISOString() })
          .where('name', '=', `refresh:${id}`)
          .execute();
        await expireStoredToken(db, id);
        const { response, body } = await fhir('Patient/12742400', {}, id);
        assert.equal(response.status, 200, JSON.stringify(body));
        assert.equal((await launchRow(id)).status, 'ready');
        const refreshes = await auditEvents(db, { launchId: id, action: 'token.refreshed' });
        assert.deepEqual(
          refreshes.map((row) => row.details.rotated),
          [true, true],
        );
      } finally {
        await sandboxSettings(stack.sandbox, { rotate_refresh_tokens: false });
      }
    });

    it('a revoked refresh token ends the launch as refresh_failed, deletes its tokens and answers token_unavailable', async () => {
      const id = await newLaunch();
      const { db } = stack.gateway.services;
      await revokeRefreshTokens(stack.sandbox, { client_id: stack.clientId });
      await expireStoredToken(db, id);
      const { response, body } = await fhir('Patient/12742400', {}, id);
      assert.equal(response.status, 502);
      const issue = firstIssue(body);
      assert.equal(issue.details.coding[0]?.code, 'token_unavailable');
      assert.equal(issue.code, 'expired');
      assert.match(issue.details.text, /launch the app again/);

      const row = await launchRow(id);
      assert.equal(row.status, 'refresh_failed');
      assert.equal(row.access_token, null);
      assert.equal(row.refresh_token, null);
      assert.equal(row.ehr_error, 'invalid_grant');
      assert.equal(row.end_reason, 'refresh_refused');
      assert.ok(row.ended_at);
      assert.equal((await readContext(stack, id)).body.status, 'refresh_failed');
      const [failed] = await auditEvents(db, { launchId: id, action: 'token.refresh_failed' });
      assert.deepEqual(failed?.details, { reason: 'refresh_refused', ehr_error: 'invalid_grant' });

      await clearRecordedRequests(stack.sandbox);
      const later = await fhir('Patient/12742400', {}, id);
      assert.equal(later.response.status, 502);
      assert.deepEqual(await sandboxCounts(stack.sandbox), {}, 'an ended launch never calls the EHR');
    });

    it('a transient refresh failure (token endpoint 500) keeps the launch; the current token is used meanwhile', async () => {
      const id = await newLaunch();
      const { db } = stack.gateway.services;
      await expireStoredToken(db, id);
      await setFaults(stack.sandbox, { token: 'http_500' });
      try {
        const { response, body } = await fhir('Patient/12742400', {}, id);
        assert.equal(response.status, 502);
        assert.equal(firstIssue(body).details.coding[0]?.code, 'token_unavailable');
        assert.match(firstIssue(body).details.text, /try again in a minute/);
      } finally {
        await clearFaults(stack.sandbox);
      }
      const row = await launchRow(id);
      assert.equal(row.status, 'ready', 'an EHR outage does not end the clinician’s session');
      assert.ok(row.refresh_token);
      const [error] = await auditEvents(db, { launchId: id, action: 'token.refresh_error' });
      assert.equal(error?.details.trigger, 'expiry');
      // Within the minute no new refresh is tried; the EHR still accepts the current token.
      await clearRecordedRequests(stack.sandbox);
      assert.equal((await fhir('Patient/12742400', {}, id)).response.status, 200);
      assert.equal((await sandboxCounts(stack.sandbox)).refresh_token, undefined);
    });

    it('an early renewal that fails while the token is still valid goes on with the current token (issue 15)', async () => {
      const id = await newLaunch();
      const { db } = stack.gateway.services;
      // Inside the renewal window (CHARTSIDE_REFRESH_SKEW_SECONDS) but not run out yet.
      await db
        .updateTable('ehr_launch')
        .set({ token_expires_at: new Date(Date.now() + 30_000).toISOString() })
        .where('id', '=', id)
        .execute();
      await setFaults(stack.sandbox, { token: 'http_500' });
      try {
        await clearRecordedRequests(stack.sandbox);
        const { response } = await fhir('Patient/12742400', {}, id);
        assert.equal(response.status, 200, 'the EHR still takes the current token');
        assert.equal((await sandboxCounts(stack.sandbox)).refresh_token, 1, 'the renewal was tried');
      } finally {
        await clearFaults(stack.sandbox);
      }
      const [error] = await auditEvents(db, { launchId: id, action: 'token.refresh_error' });
      assert.equal(error?.details.trigger, 'expiry');
      assert.equal((await launchRow(id)).status, 'ready');
    });

    it('an online_access launch whose EHR session ended ends the same way', async () => {
      const id = await newLaunch();
      await endEhrSessions(stack.sandbox);
      await expireStoredToken(stack.gateway.services.db, id);
      const { response, body } = await fhir('Patient/12742400', {}, id);
      assert.equal(response.status, 502);
      assert.match(JSON.stringify(body), /EHR session has ended/);
      const row = await launchRow(id);
      assert.equal(row.status, 'refresh_failed');
      assert.equal(row.end_reason, 'session_ended');
      assert.equal(row.refresh_token, null);
    });

    it('a launch past the maximum session age expires, whatever its tokens', async () => {
      const id = await newLaunch();
      const { db } = stack.gateway.services;
      await db
        .updateTable('ehr_launch')
        .set({ created_at: new Date(Date.now() - 13 * 3_600_000).toISOString() })
        .where('id', '=', id)
        .execute();
      const { response, body } = await fhir('Patient/12742400', {}, id);
      assert.equal(response.status, 502);
      assert.match(JSON.stringify(body), /This launch has expired/);
      const row = await launchRow(id);
      assert.equal(row.status, 'expired');
      assert.equal(row.end_reason, 'max_session_age');
      assert.equal(row.access_token, null);
      assert.equal((await readContext(stack, id)).body.status, 'expired');
    });
  });

  describe('audit trail', () => {
    it('records every proxied request with org, launch, key prefix, interaction, status, bytes and duration', async () => {
      const id = await newLaunch();
      const read = await fhir('Patient/12742400', {}, id);
      const search = await fhir('Encounter?patient=12742400', {}, id);
      const missing = await fhir('Patient/99999999', {}, id);
      const refused = await rawGet(stack.gatewayUrl, `/fhir/${id}/Patient/%2e%2e`, {
        authorization: `Bearer ${stack.apiKey}`,
      });
      const { db } = stack.gateway.services;
      const rows = await waitForAudit(db, { launchId: id, action: 'fhir.request' }, 4);
      assert.equal(rows.length, 4, 'one row per request, refused ones included');
      const prefix = stack.apiKey.split('_')[2];
      for (const row of rows) {
        assert.equal(row.org_id, stack.orgId);
        assert.equal(row.actor, `api_key:${prefix}`);
        assert.equal(row.details.api_key_prefix, prefix);
        assert.equal(typeof row.details.duration_ms, 'number');
      }
      assert.deepEqual(
        rows.map((row) => [
          row.request_id,
          row.details.method,
          row.details.interaction,
          row.details.resource_type,
          row.details.resource_id,
          row.details.search,
          row.details.status,
        ]),
        [
          [read.response.headers.get('x-request-id'), 'GET', 'read', 'Patient', '12742400', null, 200],
          [
            search.response.headers.get('x-request-id'),
            'GET',
            'search-type',
            'Encounter',
            null,
            'patient=12742400',
            200,
          ],
          [missing.response.headers.get('x-request-id'), 'GET', 'read', 'Patient', '99999999', null, 404],
          [refused.headers['x-request-id'], 'GET', null, null, null, null, 400],
        ],
      );
      assert.equal(rows[2]?.details.ehr_status, 404);
      assert.equal(rows[3]?.details.error_code, 'fhir_path_not_allowed');
      assert.equal(rows[3]?.details.ehr_status, null, 'the refused request never reached the EHR');
      assert.ok((rows[0]?.details.bytes as number) > 100);
      const dump = JSON.stringify(await auditEvents(db));
      const row = await launchRow(id);
      assert.ok(!dump.includes(openToken(id, row.access_token, 'access_token')), 'no token in the trail');
      assert.ok(!dump.includes(stack.apiKey), 'no API key in the trail');
      assert.ok(!dump.includes('"resourceType"'), 'no bodies in the trail');
    });
  });
});
