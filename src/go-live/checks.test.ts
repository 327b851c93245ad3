/**
 * The go-live check over an in-memory database and an injected fetch: a ready deployment passes
 * all seven checks, and each check fails, alone where it can, for the reason it exists.
 */
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { after, describe, it } from 'node:test';
import { openSeededMemoryDatabase, TEST_ISS, TEST_SOURCE_ID } from '../../test/support/memory-database.ts';
import type { PlatformClient } from '../config/index.ts';
import { createSealer } from '../crypto/sealing.ts';
import type { DatabaseHandle } from '../db/index.ts';
import { type AddressRanges, NO_ADDRESS_RANGES, parseAddressRanges } from '../http/address-ranges.ts';
import { createOutboundHttp } from '../http/outbound.ts';
import { loadKeyRing } from '../keys/key-ring.ts';
import { ensureSigningKeys } from '../keys/signing-keys.ts';
import { callbackUrl, launchUrl } from '../launch/urls.ts';
import { type ConnectionChanges, setConnection } from '../settings/connections.ts';
import { linkOrgToSource } from '../settings/org-links.ts';
import { GO_LIVE_CHECKS, type GoLiveReport, runGoLiveChecks } from './checks.ts';
import { placeholderProblem } from './org-checks.ts';

const PUBLIC_URL = 'https://gw.clinic-software.com';
const APP_LAUNCH_URL = 'https://app.clinic-software.com/smart/launch';

type Answer = (init: RequestInit) => Response | Promise<Response>;

interface WorldOptions {
  publicUrl?: string;
  platformClients?: Partial<Record<'cerner', PlatformClient>>;
  allowPrivateUpstreams?: AddressRanges;
  /** The production EHR's host resolves to this (default: a public address). */
  ehrAddress?: string;
  /** The connection as saved; default: custom production credentials and a real App launch URL. */
  connection?: ConnectionChanges | null;
  linked?: boolean;
}

const handles: DatabaseHandle[] = [];
after(async () => {
  for (const handle of handles) await handle.close();
});

/** A deployment where everything is ready, unless `options` says otherwise. */
async function world(options: WorldOptions = {}) {
  const publicUrl = options.publicUrl ?? PUBLIC_URL;
  const { handle, orgId } = await openSeededMemoryDatabase();
  handles.push(handle);
  const { db } = handle;
  const sealer = createSealer(randomBytes(32));
  await ensureSigningKeys(db, sealer);
  const keyRing = await loadKeyRing(db, sealer);
  if (options.linked !== false) await linkOrgToSource(db, { orgId, sourceId: TEST_SOURCE_ID, actor: 'test' });
  if (options.connection !== null) {
    await setConnection(
      db,
      sealer,
      { mode: 'development' },
      orgId,
      'cerner',
      options.connection ?? {
        appLaunchUrl: APP_LAUNCH_URL,
        useCustomCredentials: true,
        clientId: 'prod-client',
        clientSecret: 'prod-secret',
        authMethod: 'client_secret_basic',
      },
    );
  }

  const answers = new Map<string, Answer>([
    [`${publicUrl}/health`, () => Response.json({ ok: true, server_time: new Date().toISOString() })],
    [`${publicUrl}/api/auth/.well-known/jwks`, () => Response.json(keyRing.jwks)],
    [
      `${TEST_ISS}/.well-known/smart-configuration`,
      () =>
        Response.json({
          authorization_endpoint: 'https://ehr.example/auth/authorize',
          token_endpoint: 'https://ehr.example/auth/token',
          code_challenge_methods_supported: ['S256'],
        }),
    ],
  ]);
  const requests: { url: string; signal: AbortSignal | null | undefined }[] = [];
  const fetchImpl = (async (url: string | URL, init: RequestInit = {}) => {
    requests.push({ url: String(url), signal: init.signal });
    const answer = answers.get(String(url));
    return answer ? answer(init) : new Response('no such page', { status: 404 });
  }) as typeof fetch;
  const http = createOutboundHttp({
    timeoutMs: 5000,
    fetchImpl,
    resolveHost: async (host) => {
      if (host !== 'ehr.example') throw new Error(`unexpected lookup of ${host}`);
      return [{ address: options.ehrAddress ?? '93.184.216.34', family: 4 }];
    },
  });
  const config = {
    publicUrl,
    platformClients: options.platformClients ?? {},
    allowPrivateUpstreams: options.allowPrivateUpstreams ?? NO_ADDRESS_RANGES,
    outboundTimeoutMs: 200,
  };
  const deps = { db, sealer, http, keyRing, config };
  return {
    orgId,
    db,
    sealer,
    config,
    keyRing,
    answers,
    requests,
    run: () => runGoLiveChecks(deps, orgId),
  };
}

const failing = (report: GoLiveReport) => report.checks.filter((c) => !c.ok).map((c) => c.name);
const detailOf = (report: GoLiveReport, name: string) => {
  const check = report.checks.find((c) => c.name === name);
  assert.ok(check, `a ${name} check`);
  return check.detail;
};

describe('go-live check', () => {
  it('passes every check, in order, for a ready deployment, and every call it makes has a timeout', async () => {
    const w = await world();
    const report = await w.run();
    assert.deepEqual(
      report.checks.map((c) => c.name),
      [...GO_LIVE_CHECKS],
    );
    assert.deepEqual(failing(report), [], JSON.stringify(report, null, 2));
    assert.equal(report.ok, true);
    assert.deepEqual(
      w.requests.map((r) => r.url).sort(),
      [
        `${PUBLIC_URL}/api/auth/.well-known/jwks`,
        `${PUBLIC_URL}/health`,
        `${TEST_ISS}/.well-known/smart-configuration`,
      ].sort(),
    );
    for (const request of w.requests) assert.ok(request.signal instanceof AbortSignal, request.url);
    assert.match(detailOf(report, 'production_credentials'), /custom client prod-client/);
    assert.match(
      detailOf(report, 'app_launch_url'),
      /Cerner: https:\/\/app\.clinic-software\.com\/smart\/launch\./,
    );
  });

  it('public_url_https: an http PUBLIC_URL fails, and our own URL is then not called at all', async () => {
    const w = await world({ publicUrl: 'http://gw.clinic-software.com' });
    const report = await w.run();
    assert.equal(report.ok, false);
    assert.deepEqual(failing(report), [
      'public_url_https',
      'public_url_answers',
      'jwks_reachable',
      'launch_uri',
    ]);
    assert.match(
      detailOf(report, 'public_url_https'),
      /PUBLIC_URL is http:\/\/gw\.clinic-software\.com: .*https/,
    );
    assert.match(detailOf(report, 'public_url_answers'), /not called, because PUBLIC_URL is plain http/);
    assert.ok(!w.requests.some((r) => r.url.startsWith('http://gw.')), 'no plain-http request');
  });

  it('public_url_https: a loopback http PUBLIC_URL fails, but /health there is still probed', async () => {
    const w = await world({ publicUrl: 'http://localhost:3000' });
    const report = await w.run();
    assert.deepEqual(failing(report), ['public_url_https', 'launch_uri']);
    assert.ok(w.requests.some((r) => r.url === 'http://localhost:3000/health'));
  });

  it('public_url_answers: /health answering 503 fails, naming the URL and the status', async () => {
    const w = await world();
    w.answers.set(`${PUBLIC_URL}/health`, () => new Response('down', { status: 503 }));
    const report = await w.run();
    assert.deepEqual(failing(report), ['public_url_answers']);
    assert.match(
      detailOf(report, 'public_url_answers'),
      /^GET https:\/\/gw\.clinic-software\.com\/health answered 503/,
    );
  });

  it('public_url_answers: no answer fails within the timeout, and says so', async () => {
    const w = await world();
    w.answers.set(
      `${PUBLIC_URL}/health`,
      (init) =>
        new Promise((_, reject) => {
          // A real socket keeps the process alive while it waits; AbortSignal.timeout alone does not.
          const socket = setTimeout(() => {}, 10_000);
          init.signal?.addEventListener('abort', () => {
            clearTimeout(socket);
            reject(init.signal?.reason);
          });
        }),
    );
    const started = Date.now();
    const report = await w.run();
    assert.ok(Date.now() - started < 2000, 'bounded by the 200 ms timeout');
    assert.deepEqual(failing(report), ['public_url_answers']);
    assert.match(
      detailOf(report, 'public_url_answers'),
      /no answer from https:\/\/gw\.clinic-software\.com within 200 ms/,
    );
  });

  it('jwks_reachable: a JWKS without the kid we sign with fails, naming the kid', async () => {
    const w = await world();
    const signing = w.keyRing.signingKey('RS384').kid;
    w.answers.set(`${PUBLIC_URL}/api/auth/.well-known/jwks`, () =>
      Response.json({ keys: w.keyRing.jwks.keys.filter((key) => key.kid !== signing) }),
    );
    const report = await w.run();
    assert.deepEqual(failing(report), ['jwks_reachable']);
    const detail = detailOf(report, 'jwks_reachable');
    assert.ok(detail.includes(signing), detail);
    assert.ok(!detail.includes(w.keyRing.signingKey('ES384').kid), 'only the missing kid is named');
  });

  it('production_sources_discovery: no linked production source fails, and so do the checks that need one', async () => {
    const w = await world({ linked: false });
    const report = await w.run();
    assert.deepEqual(failing(report), [
      'production_sources_discovery',
      'production_credentials',
      'app_launch_url',
    ]);
    assert.match(detailOf(report, 'production_sources_discovery'), /No production FHIR source is linked/);
    assert.ok(!w.requests.some((r) => r.url.startsWith(TEST_ISS)), 'no EHR was called');
  });

  it('production_sources_discovery: a source whose discovery fails is named, with what failed', async () => {
    const w = await world();
    w.answers.delete(`${TEST_ISS}/.well-known/smart-configuration`);
    const report = await w.run();
    assert.deepEqual(failing(report), ['production_sources_discovery']);
    const detail = detailOf(report, 'production_sources_discovery');
    assert.ok(detail.includes(TEST_SOURCE_ID) && detail.includes(TEST_ISS), detail);
    assert.match(detail, /smart-configuration answered 404/);
    assert.match(detail, /metadata answered 404/);
  });

  it('production_sources_discovery: what the EHR advertises is held against the connection (issue 15)', async () => {
    const w = await world();
    w.answers.set(`${TEST_ISS}/.well-known/smart-configuration`, () =>
      Response.json({
        authorization_endpoint: 'https://ehr.example/auth/authorize',
        token_endpoint: 'https://ehr.example/auth/token',
        code_challenge_methods_supported: ['S256'],
        token_endpoint_auth_methods_supported: ['private_key_jwt'],
      }),
    );
    const report = await w.run();
    assert.deepEqual(failing(report), ['production_sources_discovery']);
    const detail = detailOf(report, 'production_sources_discovery');
    assert.ok(detail.includes(TEST_SOURCE_ID), detail);
    assert.match(
      detail,
      /does not offer what the connection asks for: The connection authenticates with client_secret_basic, but the EHR’s token endpoint accepts only private_key_jwt\./,
    );
  });

  it('production_sources_discovery: a production EHR on a private address is refused unless its range is allowed', async () => {
    const refused = await (await world({ ehrAddress: '10.1.2.3' })).run();
    assert.deepEqual(failing(refused), ['production_sources_discovery']);
    assert.match(
      detailOf(refused, 'production_sources_discovery'),
      /private or local network.*CHARTSIDE_ALLOW_PRIVATE_UPSTREAMS/,
    );

    const allowed = await (
      await world({ ehrAddress: '10.1.2.3', allowPrivateUpstreams: parseAddressRanges('10.0.0.0/8') })
    ).run();
    assert.deepEqual(failing(allowed), []);
  });

  it('production_credentials: no production client fails; the platform client, or a secret-less client_secret_basic, is judged too', async () => {
    const none = await world({
      connection: { appLaunchUrl: APP_LAUNCH_URL, useCustomCredentials: false },
    });
    const report = await none.run();
    assert.deepEqual(failing(report), ['production_credentials']);
    assert.match(detailOf(report, 'production_credentials'), /^Cerner: no production credentials/);

    const platform = await (
      await world({
        connection: { appLaunchUrl: APP_LAUNCH_URL, useCustomCredentials: false },
        platformClients: {
          cerner: {
            clientId: 'platform-id',
            clientSecret: 'platform-secret',
            authMethod: 'client_secret_basic',
          },
        },
      })
    ).run();
    assert.deepEqual(failing(platform), []);
    assert.match(detailOf(platform, 'production_credentials'), /platform client platform-id/);

    const noSecret = await world({
      connection: {
        appLaunchUrl: APP_LAUNCH_URL,
        environment: 'production',
        useCustomCredentials: true,
        clientId: 'prod-client',
        authMethod: 'client_secret_basic',
      },
    });
    const secretless = await noSecret.run();
    assert.deepEqual(failing(secretless), ['production_credentials']);
    assert.match(
      detailOf(secretless, 'production_credentials'),
      /client_secret_basic but has no client secret/,
    );
  });

  it('production_credentials: only the production environment counts', async () => {
    const w = await world({ connection: { appLaunchUrl: APP_LAUNCH_URL } });
    await setConnection(w.db, w.sealer, { mode: 'development' }, w.orgId, 'cerner', {
      environment: 'sandbox',
      useCustomCredentials: true,
      clientId: 'sandbox-client',
      authMethod: 'private_key_jwt',
    });
    assert.deepEqual(failing(await w.run()), ['production_credentials']);
  });

  it('app_launch_url: a placeholder App launch URL fails, saying why', async () => {
    const w = await world({
      connection: {
        appLaunchUrl: 'https://app.example.com/launch',
        useCustomCredentials: true,
        clientId: 'prod-client',
        authMethod: 'private_key_jwt',
      },
    });
    const report = await w.run();
    assert.deepEqual(failing(report), ['app_launch_url']);
    assert.match(
      detailOf(report, 'app_launch_url'),
      /https:\/\/app\.example\.com\/launch points at app\.example\.com/,
    );
  });

  it('app_launch_url: what counts as a placeholder', () => {
    for (const url of [
      'http://localhost:3000/launch-debug',
      'https://localhost/launch',
      'https://127.0.0.1:8443/launch',
      'https://[::1]/launch',
      'https://gw.clinic-software.com/launch-debug',
      'https://example.org/',
      'https://apps.example.net/launch',
      'https://app.test/launch',
      'http://app.clinic-software.com/launch',
    ]) {
      assert.ok(placeholderProblem(url), url);
    }
    for (const url of [APP_LAUNCH_URL, 'https://example-app.com/launch', 'https://app.example.com.au/x']) {
      assert.equal(placeholderProblem(url), null, url);
    }
  });

  it('launch_uri: the detail carries the exact Launch URI for this org, not the callback', async () => {
    const w = await world();
    const report = await w.run();
    const detail = detailOf(report, 'launch_uri');
    const uri = launchUrl(w.config, w.orgId);
    assert.equal(uri, `${PUBLIC_URL}/api/auth/smart/launch/${w.orgId}`);
    assert.ok(detail.includes(uri), detail);
    assert.equal(detail.match(/https:\/\/\S+/)?.[0], uri, 'the URI to register is the launch one');
    assert.ok(!detail.includes(callbackUrl(w.config)), 'the callback URL is not offered');
    assert.match(detail, /Not the callback \/api\/auth\/smart\/launch-callback/);
  });

  it('an unknown organization is resource_not_found', async () => {
    const w = await world();
    await assert.rejects(
      runGoLiveChecks(
        {
          db: w.db,
          sealer: w.sealer,
          http: createOutboundHttp({ timeoutMs: 100 }),
          keyRing: w.keyRing,
          config: w.config,
        },
        'org_nope',
      ),
      (error: Error & { code?: string }) => error.code === 'resource_not_found',
    );
  });
});
