/**
 * The floor for `npm run bench:launch`: the cheapest EHR launch a Node gateway can do on this
 * machine. A bare fastify 5 app with the same protocol hops as Chartside and nothing else:
 * SMART discovery (cached forever), the nine-parameter authorize redirect with PKCE S256, the
 * code exchange with client_secret_basic or a private_key_jwt assertion signed with node:crypto,
 * and the 302 to the app with an `mb_launch` id.
 *
 * What it leaves out, on purpose (Chartside does all of it): a database (state lives in this
 * process's memory, so it works for one process only and forgets launches on restart), id_token
 * verification, sealing tokens at rest, audit, logging, rate limiting, expiry of abandoned
 * launch states. It is NOT a product component and imports nothing from src/: it only shows how
 * much of a launch's cost the protocol hops alone take, so the gateway's figure can be read
 * against what is physically reachable.
 *
 * Configuration: the `BARE_RELAY_CONFIG` environment variable, JSON {@link BareRelayConfig}.
 */
import { createHash, createPrivateKey, type JsonWebKey, randomBytes, randomUUID } from 'node:crypto';
import Fastify, { type FastifyReply } from 'fastify';
import * as undici from 'undici';
import { JWT_BEARER, signAssertion } from './assertion.ts';

export interface BareRelayConfig {
  port: number;
  clientId: string;
  /** client_secret_basic; else `privateJwk` (private_key_jwt). */
  clientSecret?: string;
  privateJwk?: JsonWebKey & { kid: string; alg: 'RS384' };
  scope: string;
  appLaunchUrl: string;
  /** The redirect URI registered at the EHR: this app's `/callback`, absolute. */
  callbackUrl: string;
}

interface EhrEndpoints {
  readonly authorizationEndpoint: string;
  readonly tokenEndpoint: string;
}

interface PendingLaunch {
  readonly verifier: string;
  /** The launch's EHR: the callback carries only code and state. */
  readonly tokenEndpoint: string;
}

const config = JSON.parse(process.env.BARE_RELAY_CONFIG ?? '{}') as BareRelayConfig;
const ehr = new undici.Agent({ keepAliveTimeout: 60_000, connections: 128 });
/** Per iss, for the life of the process; the promise, so a burst of first launches fetches once. */
const discovered = new Map<string, Promise<EhrEndpoints>>();
const pending = new Map<string, PendingLaunch>();

/** RFC 6749 §2.3.1: id and secret are form-encoded before base64; computed once. */
const formEncode = (value: string) => new URLSearchParams({ v: value }).toString().slice(2);
const basicAuthorization = `Basic ${Buffer.from(
  `${formEncode(config.clientId)}:${formEncode(config.clientSecret ?? '')}`,
).toString('base64')}`;
const signingKey = config.privateJwk ? createPrivateKey({ key: config.privateJwk, format: 'jwk' }) : null;

/** The token request's client authentication: a header, or two more form fields. */
function authenticate(tokenEndpoint: string, headers: Record<string, string>, form: URLSearchParams): void {
  if (!signingKey || !config.privateJwk) {
    headers.authorization = basicAuthorization;
    return;
  }
  form.set('client_assertion_type', JWT_BEARER);
  form.set(
    'client_assertion',
    signAssertion(signingKey, config.privateJwk.kid, config.clientId, tokenEndpoint),
  );
}

const app = Fastify({ logger: false, keepAliveTimeout: 60_000 });

app.get('/health', async () => ({ ok: true }));

app.get<{ Querystring: { iss?: string; launch?: string } }>('/launch', async (request, reply) => {
  const { iss, launch } = request.query;
  if (typeof iss !== 'string' || !iss || typeof launch !== 'string' || !launch)
    return refuse(reply, 400, 'one iss and one launch are required');
  const endpoints = await discover(iss);
  const state = randomBytes(32).toString('base64url');
  const verifier = randomBytes(32).toString('base64url');
  pending.set(state, { verifier, tokenEndpoint: endpoints.tokenEndpoint });
  // The same nine parameters Chartside sends (src/smart/authorize-request.ts).
  const query = new URLSearchParams({
    response_type: 'code',
    client_id: config.clientId,
    redirect_uri: config.callbackUrl,
    scope: config.scope,
    state,
    aud: iss,
    launch,
    code_challenge: createHash('sha256').update(verifier, 'ascii').digest('base64url'),
    code_challenge_method: 'S256',
  });
  const separator = endpoints.authorizationEndpoint.includes('?') ? '&' : '?';
  return reply.code(302).header('location', `${endpoints.authorizationEndpoint}${separator}${query}`).send();
});

app.get<{ Querystring: { code?: string; state?: string } }>('/callback', async (request, reply) => {
  const { code, state } = request.query;
  const launch = typeof state === 'string' ? pending.get(state) : undefined;
  if (typeof code !== 'string' || !code || typeof state !== 'string' || !launch)
    return refuse(reply, 400, 'unknown state');
  pending.delete(state); // single use, whatever happens next
  const headers: Record<string, string> = {
    'content-type': 'application/x-www-form-urlencoded',
    accept: 'application/json',
  };
  const form = new URLSearchParams({
    grant_type: 'authorization_code',
    code,
    redirect_uri: config.callbackUrl,
    code_verifier: launch.verifier,
  });
  authenticate(launch.tokenEndpoint, headers, form);
  const response = await undici.request(launch.tokenEndpoint, {
    method: 'POST',
    dispatcher: ehr,
    headers,
    body: form.toString(),
  });
  const text = await response.body.text();
  if (response.statusCode !== 200)
    return refuse(reply, 502, `token endpoint answered ${response.statusCode}`);
  const tokens = JSON.parse(text) as { access_token?: unknown };
  if (typeof tokens.access_token !== 'string') return refuse(reply, 502, 'no access_token');
  return reply.code(302).header('location', `${config.appLaunchUrl}?mb_launch=${randomUUID()}`).send();
});

async function discover(iss: string): Promise<EhrEndpoints> {
  let endpoints = discovered.get(iss);
  if (!endpoints) {
    endpoints = fetchSmartConfiguration(iss);
    discovered.set(iss, endpoints);
    // A failed discovery is not remembered: the next launch tries again.
    endpoints.catch(() => discovered.delete(iss));
  }
  return endpoints;
}

async function fetchSmartConfiguration(iss: string): Promise<EhrEndpoints> {
  const response = await undici.request(`${iss.replace(/\/+$/, '')}/.well-known/smart-configuration`, {
    dispatcher: ehr,
    headers: { accept: 'application/json' },
  });
  const text = await response.body.text();
  const document = response.statusCode === 200 ? (JSON.parse(text) as Record<string, unknown>) : {};
  const { authorization_endpoint: authorizationEndpoint, token_endpoint: tokenEndpoint } = document;
  if (typeof authorizationEndpoint !== 'string' || typeof tokenEndpoint !== 'string')
    throw new Error(`${iss}: no usable SMART configuration (${response.statusCode})`);
  return { authorizationEndpoint, tokenEndpoint };
}

/** Plain text: the bench driver shows the start of a failed hop's body. */
function refuse(reply: FastifyReply, status: number, message: string): FastifyReply {
  return reply.code(status).type('text/plain').send(message);
}

await app.listen({ port: config.port, host: '127.0.0.1' });
process.once('SIGTERM', () => {
  void app.close().then(() => process.exit(0));
});
