/**
 * A fast local EHR for `npm run bench:launch`: SMART discovery, an authorize endpoint that
 * approves at once, a token endpoint (client_secret_basic or private_key_jwt, PKCE S256, RS256
 * id_token with `fhirUser`) and its JWKS. Its own process, so its CPU is measured apart from the
 * subjects'.
 *
 * It checks what a real EHR checks (client, redirect URI, `aud` = the FHIR base byte for byte,
 * single-use codes, the PKCE verifier, the client secret, or the client assertion: signature by
 * a key registered for the client, iss, sub, aud, exp, single-use jti) so no subject can get away
 * with a sloppy request. The client's keys are the baseline's and the floor's (in the
 * configuration) and the gateway's JWKS, which the benchmark posts to `/_bench/client-keys` once
 * the gateway has made its keys. It does not import the gateway (or its sandbox): node:http,
 * node:crypto and jose only.
 *
 * The id_token is signed once per (client, user, second) and reused within that second: RSA
 * signing was about half the stub's CPU per launch, and on a 2-CPU machine the stub shares the
 * cores with the subject it measures. Every claim is still exact for the moment of issue (`iat`
 * is the current second, `exp` 10 minutes on), and no subject sends a `nonce` that would make
 * id_tokens unique — a real EHR may hand two launches in one second the same id_token too.
 *
 * Every answer carries `Server-Timing: ehr;dur=<ms>` (time spent in this process). The token
 * endpoint's time is also kept per `launch` value, so the driver can subtract the EHR's share
 * of a callback it did not see: `GET /_bench/timings` returns and forgets them.
 *
 * Configuration: the `EHR_STUB_CONFIG` environment variable, JSON {@link StubConfig}.
 */
import { createHash, type JsonWebKey, randomBytes, timingSafeEqual } from 'node:crypto';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import { exportJWK, generateKeyPair, SignJWT } from 'jose';
import { AssertionRefused, AssertionVerifier } from './assertion.ts';

export interface StubConfig {
  port: number;
  clientId: string;
  clientSecret: string;
  /** Registered redirect URIs (exact match, as Cerner does). */
  redirectUris: string[];
  /** private_key_jwt: public keys registered for the client (more come by `/_bench/client-keys`). */
  clientKeys: JsonWebKey[];
  patient: string;
  encounter: string;
  practitioner: string;
}

interface IssuedCode {
  clientId: string;
  redirectUri: string;
  scope: string;
  launch: string;
  codeChallenge: string | null;
  expiresAt: number;
}

const CODE_LIFETIME_MS = 60_000;
const ACCESS_TOKEN_LIFETIME_SECONDS = 570;
const ID_TOKEN_LIFETIME_SECONDS = 600;
const MAX_BODY_BYTES = 64 * 1024;

const config = JSON.parse(process.env.EHR_STUB_CONFIG ?? '{}') as StubConfig;
const origin = `http://127.0.0.1:${config.port}`;
const fhirBase = `${origin}/fhir`;
const redirectUris = new Set(config.redirectUris);
const codes = new Map<string, IssuedCode>();
const assertions = new AssertionVerifier(config.clientId, `${origin}/token`);
assertions.addKeys(config.clientKeys);
/**
 * The id_tokens of the current second, by audience and user; the promise, so requests arriving
 * while one is being signed share it. Emptied when the second changes, so it never grows.
 */
let idTokens = { second: 0, byKey: new Map<string, Promise<string>>() };
/** Token-endpoint time per launch (ms), and the time of every other request, until drained. */
let tokenTimes: Record<string, number> = {};
let otherRequests = { count: 0, ms: 0 };

const { privateKey, publicKey } = await generateKeyPair('RS256', { extractable: true });
const kid = randomBytes(8).toString('hex');
const jwks = JSON.stringify({ keys: [{ ...(await exportJWK(publicKey)), kid, alg: 'RS256', use: 'sig' }] });

const smartConfiguration = JSON.stringify({
  issuer: origin,
  authorization_endpoint: `${origin}/authorize`,
  token_endpoint: `${origin}/token`,
  jwks_uri: `${origin}/jwks`,
  token_endpoint_auth_methods_supported: ['client_secret_basic', 'private_key_jwt'],
  token_endpoint_auth_signing_alg_values_supported: ['RS384', 'ES384'],
  grant_types_supported: ['authorization_code', 'refresh_token'],
  code_challenge_methods_supported: ['S256'],
  scopes_supported: ['openid', 'fhirUser', 'launch', 'online_access', 'offline_access'],
  response_types_supported: ['code'],
  capabilities: [
    'launch-ehr',
    'client-confidential-symmetric',
    'client-confidential-asymmetric',
    'context-ehr-patient',
    'sso-openid-connect',
  ],
});
const capabilityStatement = JSON.stringify({
  resourceType: 'CapabilityStatement',
  status: 'active',
  kind: 'instance',
  fhirVersion: '4.0.1',
  format: ['json'],
  rest: [
    {
      mode: 'server',
      security: {
        extension: [
          {
            url: 'http://fhir-registry.smarthealthit.org/StructureDefinition/oauth-uris',
            extension: [
              { url: 'authorize', valueUri: `${origin}/authorize` },
              { url: 'token', valueUri: `${origin}/token` },
            ],
          },
        ],
      },
    },
  ],
});

class Refusal extends Error {
  constructor(
    readonly status: number,
    readonly error: string,
    message: string,
  ) {
    super(message);
  }
}

const server = createServer((request, response) => {
  const started = process.hrtime.bigint();
  handle(request, response, started).catch((error: unknown) => {
    const refusal =
      error instanceof Refusal ? error : new Refusal(500, 'server_error', (error as Error).message);
    process.stderr.write(`${request.method} ${request.url?.split('?')[0]}: ${refusal.message}\n`);
    send(response, started, refusal.status, JSON.stringify({ error: refusal.error }), 'application/json');
  });
});
server.keepAliveTimeout = 60_000;
server.listen(config.port, '127.0.0.1');
process.once('SIGTERM', () => server.close(() => process.exit(0)));

async function handle(request: IncomingMessage, response: ServerResponse, started: bigint): Promise<void> {
  const url = new URL(request.url ?? '/', origin);
  const route = `${request.method} ${url.pathname}`;
  switch (route) {
    case 'GET /fhir/.well-known/smart-configuration':
      return send(response, started, 200, smartConfiguration, 'application/json');
    case 'GET /fhir/metadata':
      return send(response, started, 200, capabilityStatement, 'application/fhir+json');
    case 'GET /jwks':
      return send(response, started, 200, jwks, 'application/json');
    case 'GET /authorize':
      return authorize(url, response, started);
    case 'POST /token':
      return token(request, response, started);
    case 'POST /_bench/client-keys': {
      const { keys } = JSON.parse(await readBody(request)) as { keys?: JsonWebKey[] };
      assertions.addKeys(keys ?? []);
      response.writeHead(204).end();
      return;
    }
    case 'GET /_bench/timings': {
      const body = JSON.stringify({ token: tokenTimes, other: otherRequests, pendingCodes: codes.size });
      tokenTimes = {};
      otherRequests = { count: 0, ms: 0 };
      response.writeHead(200, { 'content-type': 'application/json' }).end(body);
      return;
    }
    default:
      throw new Refusal(404, 'not_found', `no route ${route}`);
  }
}

/** Approve at once: 302 to the redirect URI with `code` and `state`. */
function authorize(url: URL, response: ServerResponse, started: bigint): void {
  const param = (name: string) => url.searchParams.get(name) ?? '';
  const refuse = (message: string) => {
    throw new Refusal(400, 'invalid_request', `authorize: ${message}`);
  };
  if (param('response_type') !== 'code') refuse('response_type must be code');
  if (param('client_id') !== config.clientId) refuse('unknown client_id');
  const redirectUri = param('redirect_uri');
  if (!redirectUris.has(redirectUri)) refuse(`unregistered redirect_uri ${redirectUri}`);
  if (param('aud') !== fhirBase) refuse(`aud must be ${fhirBase}`);
  if (!param('state')) refuse('no state');
  if (!param('launch')) refuse('no launch');
  const scope = param('scope');
  if (!scope.split(' ').includes('launch')) refuse('the scope has no launch');
  const challenge = url.searchParams.get('code_challenge');
  if (challenge !== null) {
    if (param('code_challenge_method') !== 'S256') refuse('code_challenge_method must be S256');
    if (!/^[A-Za-z0-9_-]{43}$/.test(challenge)) refuse('malformed code_challenge');
  }
  const code = randomBytes(24).toString('base64url');
  codes.set(code, {
    clientId: config.clientId,
    redirectUri,
    scope,
    launch: param('launch'),
    codeChallenge: challenge,
    expiresAt: Date.now() + CODE_LIFETIME_MS,
  });
  const target = new URL(redirectUri);
  target.searchParams.set('code', code);
  target.searchParams.set('state', param('state'));
  response.setHeader('location', target.href);
  send(response, started, 302, '', 'text/plain');
}

async function token(request: IncomingMessage, response: ServerResponse, started: bigint): Promise<void> {
  if (!String(request.headers['content-type']).startsWith('application/x-www-form-urlencoded'))
    throw new Refusal(400, 'invalid_request', 'token: not a form');
  const form = new URLSearchParams(await readBody(request));
  if (form.has('client_assertion')) authenticateAssertion(form);
  else authenticateClient(request.headers.authorization);
  if (form.get('grant_type') !== 'authorization_code')
    throw new Refusal(400, 'unsupported_grant_type', 'token: grant_type');
  const code = form.get('code') ?? '';
  const issued = codes.get(code);
  codes.delete(code); // single use, whatever happens next
  if (!issued || issued.expiresAt < Date.now())
    throw new Refusal(400, 'invalid_grant', 'token: unknown code');
  if (form.get('redirect_uri') !== issued.redirectUri)
    throw new Refusal(400, 'invalid_grant', 'token: redirect_uri differs from the authorize request');
  if (issued.codeChallenge !== null) {
    const verifier = form.get('code_verifier') ?? '';
    const challenge = createHash('sha256').update(verifier).digest('base64url');
    if (!safeEqual(challenge, issued.codeChallenge))
      throw new Refusal(400, 'invalid_grant', 'token: PKCE verifier does not match');
  }
  const idToken = await idTokenFor(issued.clientId, config.practitioner);
  const body = JSON.stringify({
    access_token: randomBytes(32).toString('base64url'),
    token_type: 'Bearer',
    expires_in: ACCESS_TOKEN_LIFETIME_SECONDS,
    scope: issued.scope,
    refresh_token: randomBytes(32).toString('base64url'),
    id_token: idToken,
    patient: config.patient,
    encounter: config.encounter,
    need_patient_banner: true,
  });
  response.setHeader('cache-control', 'no-store');
  send(response, started, 200, body, 'application/json', issued.launch);
}

/** The id_token for `clientId` and the practitioner `user`, signed at most once per second. */
function idTokenFor(clientId: string, user: string): Promise<string> {
  const now = Math.floor(Date.now() / 1000);
  if (idTokens.second !== now) idTokens = { second: now, byKey: new Map() };
  const fhirUser = `${fhirBase}/Practitioner/${user}`;
  const key = `${clientId}\n${fhirUser}`;
  let idToken = idTokens.byKey.get(key);
  if (!idToken) {
    idToken = new SignJWT({ fhirUser })
      .setProtectedHeader({ alg: 'RS256', kid, typ: 'JWT' })
      .setIssuer(origin)
      .setSubject(user)
      .setAudience(clientId)
      .setIssuedAt(now)
      .setExpirationTime(now + ID_TOKEN_LIFETIME_SECONDS)
      .sign(privateKey);
    const signing = idToken;
    const cache = idTokens.byKey;
    // A failed signature is not reused: the next request signs again.
    signing.catch(() => {
      if (cache.get(key) === signing) cache.delete(key);
    });
    cache.set(key, signing);
  }
  return idToken;
}

/** client_secret_basic: RFC 6749 §2.3.1 form-encodes id and secret before base64. */
function authenticateClient(header: string | undefined): void {
  const match = /^Basic ([A-Za-z0-9+/=]+)$/.exec(header ?? '');
  const decoded = match ? Buffer.from(match[1] as string, 'base64').toString('utf8') : '';
  const colon = decoded.indexOf(':');
  const formDecode = (value: string) => decodeURIComponent(value.replace(/\+/g, ' '));
  const id = colon > 0 ? formDecode(decoded.slice(0, colon)) : '';
  const secret = colon > 0 ? formDecode(decoded.slice(colon + 1)) : '';
  if (id !== config.clientId || !safeEqual(secret, config.clientSecret))
    throw new Refusal(401, 'invalid_client', 'token: client authentication failed');
}

/** private_key_jwt: RFC 7523 §3 as SMART's asymmetric client authentication profiles it. */
function authenticateAssertion(form: URLSearchParams): void {
  try {
    assertions.check(form);
  } catch (error) {
    if (error instanceof AssertionRefused)
      throw new Refusal(401, 'invalid_client', `token: ${error.message}`);
    throw error;
  }
}

function safeEqual(a: string, b: string): boolean {
  const left = Buffer.from(a);
  const right = Buffer.from(b);
  return left.length === right.length && timingSafeEqual(left, right);
}

async function readBody(request: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of request as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size > MAX_BODY_BYTES) throw new Refusal(413, 'invalid_request', 'token: body too large');
    chunks.push(chunk);
  }
  return Buffer.concat(chunks).toString('utf8');
}

/** Answer, with this process's time in `Server-Timing`, and keep that time (per launch for tokens). */
function send(
  response: ServerResponse,
  started: bigint,
  status: number,
  body: string,
  contentType: string,
  launch?: string,
): void {
  const ms = Number(process.hrtime.bigint() - started) / 1e6;
  response.setHeader('server-timing', `ehr;dur=${ms.toFixed(3)}`);
  response.writeHead(status, { 'content-type': contentType, 'content-length': Buffer.byteLength(body) });
  response.end(body);
  if (launch === undefined) {
    otherRequests.count += 1;
    otherRequests.ms += ms;
  } else {
    tokenTimes[launch] = ms;
  }
}
