/**
 * Secrets stay secret through a whole launch, a context read, FHIR reads and a token refresh,
 * on SQLite and PostgreSQL: none of the access tokens, refresh tokens, id_token, authorization
 * code, PKCE verifier, client secret, API key or master key appears in the gateway's logs (at
 * trace level), in any text of any table of the database, or in a URL the gateway generates
 * (Location headers carry only what the protocol needs: `state` and the PKCE challenge towards
 * the EHR, `mb_launch` towards the app).
 *
 * The real tokens are captured where they enter the gateway: a wrapper around its outbound
 * HTTP reads the EHR's token responses.
 */
import assert from 'node:assert/strict';
import { Readable } from 'node:stream';
import { after, before, describe, it } from 'node:test';
import { sql } from 'kysely';
import { createOutboundHttp, type OutboundHttp } from '../../src/http/outbound.ts';
import { expireStoredToken, proxyFetch, sandboxSettings } from '../support/fhir-proxy.ts';
import {
  AUTHORIZE_PARAMETERS,
  authorizeAtEhr,
  launchIdFrom,
  readContext,
  startLaunch,
} from '../support/launch-driver.ts';
import { recordedRequests } from '../support/sandbox-controls.ts';
import { type Stack, startStack } from '../support/stack.ts';

/** The outbound wrapper, plus a copy of every token the EHR's token endpoint handed out. */
function capturingHttp(captured: Set<string>): OutboundHttp {
  const real = createOutboundHttp({ timeoutMs: 5000 });
  const remember = (body: Record<string, unknown>) => {
    for (const name of ['access_token', 'refresh_token', 'id_token']) {
      if (typeof body[name] === 'string') captured.add(body[name] as string);
    }
  };
  return {
    ...real,
    timeoutMs: real.timeoutMs,
    close: () => real.close(),
    // The code exchange may use either call: both are read.
    async stream(url, init) {
      const response = await real.stream(url, init);
      if (!url.pathname.endsWith('/token') || response.status !== 200) return response;
      const body = await response.bytes();
      remember(JSON.parse(body.toString('utf8')) as Record<string, unknown>);
      return {
        ...response,
        status: response.status,
        header: response.header,
        body: Readable.from([body]),
        bytes: async () => body,
        discard: async () => {},
      };
    },
    async fetch(url, init) {
      const response = await real.fetch(url, init);
      if (new URL(String(url)).pathname.endsWith('/token') && response.ok) {
        remember((await response.clone().json()) as Record<string, unknown>);
      }
      return response;
    },
  };
}

/** Every text value of every table, as one string per row. */
async function databaseText(stack: Stack): Promise<string[]> {
  const { db } = stack.gateway.services;
  const tables = await db.introspection.getTables();
  assert.ok(tables.length >= 10, `found ${tables.length} tables`);
  const rows: string[] = [];
  for (const table of tables) {
    const result = await sql<Record<string, unknown>>`select * from ${sql.table(table.name)}`.execute(db);
    for (const row of result.rows) rows.push(`${table.name}: ${JSON.stringify(row)}`);
  }
  return rows;
}

for (const engine of ['sqlite', 'postgres'] as const) {
  describe(`secrets are absent from logs, the database and generated URLs (${engine})`, () => {
    let stack: Stack;
    const tokens = new Set<string>();
    const secrets = new Map<string, string>();
    const generatedUrls: string[] = [];

    before(async () => {
      stack = await startStack({
        engine,
        env: { LOG_LEVEL: 'trace' },
        build: { http: capturingHttp(tokens) },
      });
      // The sandbox issues a new refresh token on refresh, so both get stored and checked.
      await sandboxSettings(stack.sandbox, { rotate_refresh_tokens: true });

      const { ehrLaunch, authorizeUrl } = await startLaunch(stack);
      generatedUrls.push(authorizeUrl.href);
      const callbackUrl = await authorizeAtEhr(authorizeUrl, ehrLaunch.session_cookie);
      const callbackResponse = await fetch(callbackUrl, { redirect: 'manual' });
      generatedUrls.push(callbackResponse.headers.get('location') as string);
      const id = launchIdFrom(callbackResponse);

      assert.equal((await readContext(stack, id)).response.status, 200);
      assert.equal(
        (await proxyFetch(stack.gatewayUrl, stack.apiKey, id, 'Patient/12724066')).response.status,
        200,
      );
      await expireStoredToken(stack.gateway.services.db, id);
      assert.equal(
        (await proxyFetch(stack.gatewayUrl, stack.apiKey, id, 'Patient/12724066')).response.status,
        200,
      );
      // Refusals log too: a replayed callback (code in its URL) and a near-miss API key.
      assert.equal((await fetch(callbackUrl, { redirect: 'manual' })).status, 400);
      const wrongKey = `${stack.apiKey.slice(0, -4)}abcd`;
      secrets.set('wrong API key', wrongKey);
      assert.equal((await readContext(stack, id, wrongKey)).response.status, 401);
      // Let the audit writer flush before the database is read.
      await new Promise((resolve) => setTimeout(resolve, 500));

      const tokenRequests = await recordedRequests(stack.sandbox, 'token');
      const grants = tokenRequests.map((request) => request.form?.grant_type);
      assert.deepEqual(
        grants,
        ['authorization_code', 'refresh_token'],
        'a code exchange and a refresh happened',
      );
      const exchange = tokenRequests[0];
      const basic = exchange?.headers.authorization ?? '';
      const clientSecret = decodeURIComponent(
        Buffer.from(basic.replace(/^Basic /, ''), 'base64')
          .toString()
          .split(':')[1] ?? '',
      );
      assert.ok(clientSecret.length >= 16, 'the client secret was sent');
      secrets.set('client secret', clientSecret);
      secrets.set('authorization code', callbackUrl.searchParams.get('code') as string);
      secrets.set('PKCE verifier', exchange?.form?.code_verifier as string);
      secrets.set('API key', stack.apiKey);
      secrets.set('API key secret part', stack.apiKey.split('_').at(-1) as string);
      const masterKey = stack.gateway.services.config.masterKey;
      secrets.set('master key (base64)', masterKey.toString('base64'));
      secrets.set('master key (hex)', masterKey.toString('hex'));
      secrets.set('master key (base64url)', masterKey.toString('base64url'));
      assert.ok(tokens.size >= 5, `captured ${tokens.size} tokens (2 access, 2 refresh, id_token)`);
      for (const [n, token] of [...tokens].entries()) secrets.set(`EHR token #${n}`, token);
      for (const [name, value] of secrets) assert.ok(value && value.length >= 16, `${name} is a real value`);
    });
    after(() => stack.close());

    it('keeps every secret out of the logs', () => {
      const logs = stack.logs.join('');
      assert.ok(stack.logs.length > 10, `${stack.logs.length} log lines captured`);
      assert.ok(logs.includes('launch-callback'), 'the callback request was logged (its query redacted)');
      for (const [name, value] of secrets) assert.ok(!logs.includes(value), `${name} is in the logs`);
    });

    it('stores no secret in plaintext in any table', async () => {
      const rows = await databaseText(stack);
      for (const [name, value] of secrets) {
        const hit = rows.find((row) => row.includes(value));
        assert.equal(hit, undefined, `${name} is stored in plaintext: ${hit?.slice(0, 80)}`);
      }
      // The tokens are there, sealed (so the check above is looking at the right rows).
      assert.ok(rows.some((row) => row.startsWith('ehr_launch:') && /"access_token":"[^"]{40,}"/.test(row)));
    });

    it('puts no secret in a URL it generates: only state/challenge to the EHR, only mb_launch to the app', () => {
      for (const url of generatedUrls) {
        for (const [name, value] of secrets) assert.ok(!url.includes(value), `${name} in ${url}`);
      }
      const [authorize, app] = generatedUrls.map((url) => new URL(url)) as [URL, URL];
      assert.deepEqual([...authorize.searchParams.keys()].sort(), AUTHORIZE_PARAMETERS);
      const appKeys = [...new URL(stack.appLaunchUrl).searchParams.keys()];
      assert.deepEqual([...app.searchParams.keys()].sort(), [...appKeys, 'mb_launch'].sort());
    });
  });
}
