/**
 * SSRF: what an `iss` or an EHR's discovery document can make the gateway call.
 *
 * - An unregistered `iss` causes no outbound request at all (a listener we own sees zero
 *   connections).
 * - A production source whose discovery names private, loopback, link-local or metadata
 *   endpoints fails the launch with `ehr_endpoint_not_allowed`, and nothing is sent there: the
 *   transport (our recording `fetchImpl`) sees only the discovery request, and a listener at the
 *   advertised loopback address sees no connection.
 * - The outbound guard itself resolves names: a host that resolves to a private address is
 *   refused before connecting, for `fetch` and for the FHIR proxy's streamed calls.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { FastifyInstance } from 'fastify';
import { createOutboundHttp } from '../../src/http/outbound.ts';
import { setConnection } from '../../src/settings/connections.ts';
import { addFhirSource } from '../../src/settings/fhir-sources.ts';
import { linkOrgToSource } from '../../src/settings/org-links.ts';
import { countingListener, isRefusal, resolverFor } from '../support/ssrf.ts';
import { type Stack, startStack } from '../support/stack.ts';
import { inProcessGateway } from './gateway.ts';

/** Public answers for every name except the ones meant to be private. */
const PRIVATE_NAMES: Record<string, string> = {
  'internal.ehr.example.test': '10.1.2.3',
  'rebind.ehr.example.test': '169.254.169.254',
  'mapped.ehr.example.test': '::ffff:127.0.0.1',
};
const resolveHost = resolverFor(PRIVATE_NAMES);

describe('SSRF: an unregistered iss', () => {
  let stack: Stack;
  before(async () => {
    stack = await startStack();
  });
  after(() => stack.close());

  it('causes no connection to the host it names (network-level)', async () => {
    const listener = await countingListener();
    try {
      for (const iss of [
        `http://127.0.0.1:${listener.port}/r4/tenant`,
        `http://127.0.0.1:${listener.port}`,
        `http://localhost:${listener.port}/r4/${stack.sandbox.fhirBaseUrl.split('/r4/')[1]}`,
      ]) {
        const response = await fetch(
          `${stack.gatewayUrl}/api/auth/smart/launch/${stack.orgId}?iss=${encodeURIComponent(iss)}&launch=abc`,
          { redirect: 'manual' },
        );
        assert.equal(response.status, 400, iss);
        assert.equal(response.headers.get('location'), null);
        const body = await response.text();
        assert.match(body, /fhir_source_not_found/);
        assert.match(body, new RegExp(response.headers.get('x-request-id') as string));
      }
      // Give any stray asynchronous request time to arrive before counting.
      await new Promise((resolve) => setTimeout(resolve, 300));
      assert.equal(listener.connections(), 0, 'the unregistered iss was contacted');
    } finally {
      listener.server.close();
    }
  });
});

describe('SSRF: a production source whose discovery names private endpoints', () => {
  const ISS = 'https://ehr.example.test/r4/tenant';
  let app: FastifyInstance;
  let orgId: string;
  let listener: Awaited<ReturnType<typeof countingListener>>;
  /** What the EHR's smart-configuration says this time. */
  let document: Record<string, string> = {};
  /** Every URL the transport was asked to fetch. */
  const transported: string[] = [];

  before(async () => {
    listener = await countingListener();
    const fetchImpl = (async (input: string | URL | Request, init?: RequestInit) => {
      const url = String(input instanceof Request ? input.url : input);
      transported.push(url);
      if (url === `${ISS}/.well-known/smart-configuration`) {
        return new Response(JSON.stringify(document), { headers: { 'content-type': 'application/json' } });
      }
      // Anything else really goes out, so a request to the loopback listener would be counted.
      return fetch(input, init);
    }) as typeof fetch;
    ({ app, orgId } = await inProcessGateway(
      {},
      { http: createOutboundHttp({ timeoutMs: 2000, fetchImpl, resolveHost }) },
    ));
    const { db, sealer } = app.services;
    const source = await addFhirSource(db, {
      iss: ISS,
      vendor: 'cerner',
      environment: 'production',
      name: 'Prod',
    });
    await linkOrgToSource(db, { orgId, sourceId: source.id, actor: 'test' });
    await setConnection(db, sealer, app.services.config, orgId, 'cerner', {
      appLaunchUrl: 'https://app.example.org/launch',
      useCustomCredentials: true,
      clientId: 'client-1',
      clientSecret: 'secret-1',
      authMethod: 'client_secret_basic',
    });
  });
  after(async () => {
    await app.close();
    listener.server.close();
  });

  const launch = () =>
    app.inject({
      method: 'GET',
      url: `/api/auth/smart/launch/${orgId}?iss=${encodeURIComponent(ISS)}&launch=l-1`,
    });

  for (const [label, endpoint] of [
    ['plain http on loopback', () => `http://127.0.0.1:${listener.port}/authorize`],
    ['a private IPv4 address', () => 'https://10.0.0.5/authorize'],
    ['IPv6 loopback', () => 'https://[::1]/authorize'],
    ['the cloud metadata address', () => 'https://169.254.169.254/latest/meta-data'],
    ['IPv4-mapped IPv6 loopback', () => 'https://[::ffff:127.0.0.1]/authorize'],
    ['a unique-local IPv6 address', () => 'https://[fd00:ec2::254]/authorize'],
    ['CGNAT space', () => 'https://100.64.1.1/authorize'],
    ['a metadata host name', () => 'https://metadata.google.internal/authorize'],
    ['decimal-encoded loopback', () => 'https://2130706433/authorize'],
  ] as const) {
    it(`refuses ${label} and sends nothing there`, async () => {
      transported.length = 0;
      const host = endpoint();
      document = {
        authorization_endpoint: host,
        token_endpoint: `https://auth.ehr.example.test/token`,
        jwks_uri: `https://auth.ehr.example.test/jwks`,
      };
      const response = await launch();
      assert.equal(response.statusCode, 502, response.body);
      assert.equal(response.headers.location, undefined);
      assert.match(String(response.headers['content-type']), /^text\/html/);
      assert.match(response.body, /ehr_endpoint_not_allowed/);
      assert.match(response.body, new RegExp(String(response.headers['x-request-id'])));
      assert.doesNotMatch(
        response.body,
        /10\.0\.0\.5|169\.254|::1|127\.0\.0\.1|metadata\.google/,
        'input not reflected',
      );
      assert.deepEqual(transported, [`${ISS}/.well-known/smart-configuration`]);

      // The token and JWKS endpoints are judged the same way.
      transported.length = 0;
      document = {
        authorization_endpoint: 'https://auth.ehr.example.test/authorize',
        token_endpoint: host.replace('/authorize', '/token'),
      };
      const viaToken = await launch();
      assert.equal(viaToken.statusCode, 502);
      assert.match(viaToken.body, /ehr_endpoint_not_allowed/);
      assert.deepEqual(transported, [`${ISS}/.well-known/smart-configuration`]);
    });
  }

  it('lets public endpoints through (the refusals above are not a blanket failure)', async () => {
    transported.length = 0;
    document = {
      authorization_endpoint: 'https://auth.ehr.example.test/authorize',
      token_endpoint: 'https://auth.ehr.example.test/token',
    };
    const response = await launch();
    assert.equal(response.statusCode, 302, response.body);
    assert.ok(String(response.headers.location).startsWith('https://auth.ehr.example.test/authorize?'));
    assert.equal(listener.connections(), 0, 'the loopback listener was never contacted');
  });
});

describe('SSRF: the outbound guard resolves names before connecting', () => {
  const production = { allowLoopbackHttp: false, publicAddressesOnly: true };

  it('refuses a name that resolves to a private address, without calling the transport', async () => {
    const calls: string[] = [];
    const http = createOutboundHttp({
      timeoutMs: 2000,
      resolveHost,
      fetchImpl: (async (input: string | URL | Request) => {
        calls.push(String(input));
        return new Response('{}');
      }) as typeof fetch,
    });
    try {
      for (const name of Object.keys(PRIVATE_NAMES)) {
        await assert.rejects(
          http.fetch(`https://${name}/token`, { method: 'POST', policy: production }),
          isRefusal,
        );
      }
      await assert.rejects(http.fetch('http://auth.ehr.example.test/token', { policy: production }), /https/);
      assert.deepEqual(calls, []);
      // A public name goes through; without a policy (a sandbox source) no lookup is made.
      assert.equal(
        (await http.fetch('https://auth.ehr.example.test/token', { policy: production })).status,
        200,
      );
      assert.equal((await http.fetch('https://internal.ehr.example.test/x')).status, 200);
      assert.equal(calls.length, 2);
    } finally {
      await http.close();
    }
  });

  it('connects the FHIR proxy’s streamed calls only to the checked address (no connection made)', async () => {
    const listener = await countingListener();
    // The name resolves to our loopback listener: a rebinding attack's second answer.
    const http = createOutboundHttp({
      timeoutMs: 2000,
      resolveHost: async () => [{ address: '127.0.0.1', family: 4 }],
    });
    try {
      await assert.rejects(
        http.stream(new URL(`https://fhir.ehr.example.test:${listener.port}/r4/Patient/1`), {
          method: 'GET',
          headers: {},
          policy: production,
        }),
        isRefusal,
      );
      await assert.rejects(
        http.stream(new URL(`https://127.0.0.1:${listener.port}/r4/Patient/1`), {
          method: 'GET',
          headers: {},
          policy: production,
        }),
        isRefusal,
      );
      await new Promise((resolve) => setTimeout(resolve, 200));
      assert.equal(listener.connections(), 0);
    } finally {
      await http.close();
      listener.server.close();
    }
  });
});
