/**
 * A small SMART App Launch 2 EHR for tests, for what the local Cerner sandbox does not do:
 * SMART v2 scopes, `fhirContext`, `intent`, standalone launch, ES384 client assertions, `jku`,
 * a refreshed id_token without `aud`, an `error_description` on refusals. Its discovery document
 * is whatever the test gives it, so a test can leave out a capability.
 *
 * It checks what a conformant EHR checks, and records every request for the test to assert:
 * authorize (client, redirect URI, `aud` = its FHIR base byte for byte, S256, state, `launch`
 * single use or `launch/patient` for a standalone launch), the token endpoint (client_secret_basic,
 * or private_key_jwt verified against the gateway's JWKS with the advertised algorithms, `typ`,
 * `kid`, `jku` = the registered JWKS URL when sent, `iss` = `sub` = client id, `aud` = the token
 * URL, `exp` within five minutes, `jti` once), PKCE, and a bearer-protected FHIR read.
 * node:http and jose only; it imports nothing of the gateway.
 */
import { createHash, randomBytes, randomUUID } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import {
  createLocalJWKSet,
  decodeProtectedHeader,
  exportJWK,
  generateKeyPair,
  type JWTPayload,
  jwtVerify,
  SignJWT,
} from 'jose';

export interface SmartEhrOptions {
  clientId: string;
  clientSecret: string;
  redirectUri: string;
  /** The gateway's JWKS URL, registered as the client's key set. */
  jwksUrl: string;
  /** The discovery document: fields here replace the defaults ({@link defaultConfiguration}). */
  configuration?: Record<string, unknown>;
  /** Fields added to (or replacing) the code exchange's answer. */
  tokenExtras?: Record<string, unknown>;
  /** The refresh answer's id_token: none, a good one, or one without `aud`. */
  refreshIdToken?: 'none' | 'valid' | 'no-aud';
  /** Refuse every code exchange with this OAuth error body (HTTP 400/401). */
  refuseToken?: { status: number; body: Record<string, unknown> };
}

export interface RecordedRequest {
  method: string;
  path: string;
  query: Record<string, string>;
  headers: Record<string, string | string[] | undefined>;
  form: Record<string, string>;
  /** A client assertion's protected header and claims, when one was sent. */
  assertion?: { header: Record<string, unknown>; claims: JWTPayload };
}

export interface SmartEhr {
  readonly origin: string;
  readonly fhirBase: string;
  readonly tokenUrl: string;
  readonly requests: RecordedRequest[];
  /** Options for the next requests (merged into the current ones). */
  configure(options: Partial<SmartEhrOptions>): void;
  /** An EHR launch of `patient` (and `encounter`): the `launch` value to open the app with. */
  newLaunch(context?: { patient?: string; encounter?: string }): string;
  /** The access tokens issued so far, newest last. */
  readonly accessTokens: string[];
  close(): Promise<void>;
}

export const STUB_PRACTITIONER = 'Practitioner/prac-1';
export const STUB_USER_NAME = 'Dr. Ada Lovelace';
export const STANDALONE_PATIENT = 'pat-standalone';

/** A SMART 2.2 EHR offering everything (SMART App Launch 2.2 §Conformance). */
export function defaultConfiguration(origin: string): Record<string, unknown> {
  return {
    issuer: origin,
    jwks_uri: `${origin}/jwks`,
    authorization_endpoint: `${origin}/auth/authorize`,
    token_endpoint: `${origin}/auth/token`,
    revocation_endpoint: `${origin}/auth/revoke`,
    grant_types_supported: ['authorization_code', 'refresh_token'],
    token_endpoint_auth_methods_supported: ['client_secret_basic', 'private_key_jwt'],
    token_endpoint_auth_signing_alg_values_supported: ['RS384', 'ES384'],
    code_challenge_methods_supported: ['S256'],
    scopes_supported: ['openid', 'fhirUser', 'launch', 'launch/patient', 'launch/encounter', 'online_access'],
    response_types_supported: ['code'],
    capabilities: [
      'launch-ehr',
      'launch-standalone',
      'client-confidential-symmetric',
      'client-confidential-asymmetric',
      'context-ehr-patient',
      'context-ehr-encounter',
      'context-standalone-patient',
      'context-standalone-encounter',
      'context-banner',
      'context-style',
      'sso-openid-connect',
      'permission-online',
      'permission-patient',
      'permission-user',
      'permission-v1',
      'permission-v2',
    ],
  };
}

interface Issued {
  scope: string;
  redirectUri: string;
  challenge: string;
  patient: string;
  encounter: string | null;
  expiresAt: number;
}

class Refusal extends Error {
  constructor(
    readonly status: number,
    readonly body: Record<string, unknown>,
  ) {
    super(String(body.error));
  }
}

export async function startSmartEhr(initial: SmartEhrOptions): Promise<SmartEhr> {
  let options = { ...initial };
  const requests: RecordedRequest[] = [];
  const accessTokens: string[] = [];
  const launches = new Map<string, { patient: string; encounter: string | null }>();
  const codes = new Map<string, Issued>();
  const refreshTokens = new Map<string, Issued>();
  const seenJti = new Set<string>();
  const idKey = await generateKeyPair('RS256', { extractable: true });
  const idKid = randomUUID();
  const idJwks = { keys: [{ ...(await exportJWK(idKey.publicKey)), kid: idKid, alg: 'RS256', use: 'sig' }] };

  const server: Server = createServer((request, response) => {
    handle(request, response).catch((error: unknown) => {
      const refusal = error instanceof Refusal ? error : new Refusal(500, { error: 'server_error' });
      if (!(error instanceof Refusal)) process.stderr.write(`smart-ehr: ${(error as Error).stack}\n`);
      send(response, refusal.status, refusal.body);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  const origin = `http://127.0.0.1:${typeof address === 'object' && address ? address.port : 0}`;
  const fhirBase = `${origin}/fhir`;
  const configuration = () => ({ ...defaultConfiguration(origin), ...options.configuration });
  const tokenUrl = () => String(configuration().token_endpoint);

  async function handle(request: IncomingMessage, response: ServerResponse): Promise<void> {
    const url = new URL(request.url ?? '/', origin);
    const body = request.method === 'POST' ? await readBody(request) : '';
    const recorded: RecordedRequest = {
      method: request.method ?? 'GET',
      path: url.pathname,
      query: Object.fromEntries(url.searchParams),
      headers: request.headers,
      form: Object.fromEntries(new URLSearchParams(body)),
    };
    requests.push(recorded);
    const route = `${recorded.method} ${url.pathname}`;
    if (route === 'GET /fhir/.well-known/smart-configuration') return send(response, 200, configuration());
    if (route === 'GET /jwks') return send(response, 200, idJwks);
    if (route === 'GET /auth/authorize') return authorize(url, response);
    if (route === 'POST /auth/token') return token(recorded, response);
    if (route === 'POST /auth/revoke') {
      await authenticateClient(recorded, String(configuration().revocation_endpoint));
      return send(response, 200, {});
    }
    if (request.method === 'GET' && url.pathname.startsWith('/fhir/Patient/'))
      return patient(request, url, response);
    throw new Refusal(404, { error: 'not_found' });
  }

  /** Approve at once: 302 to the redirect URI with `code` and `state` (SMART 2.2 §App Launch). */
  function authorize(url: URL, response: ServerResponse): void {
    const q = (name: string) => url.searchParams.get(name) ?? '';
    const refuse = (message: string) => {
      throw new Refusal(400, { error: 'invalid_request', error_description: message });
    };
    if (q('response_type') !== 'code') refuse('response_type');
    if (q('client_id') !== options.clientId) refuse('client_id');
    if (q('redirect_uri') !== options.redirectUri) refuse('redirect_uri');
    if (q('aud') !== fhirBase) refuse('aud');
    if (!q('state')) refuse('state');
    if (q('code_challenge_method') !== 'S256' || !/^[A-Za-z0-9_-]{43}$/.test(q('code_challenge')))
      refuse('pkce');
    const scopes = q('scope').split(' ');
    let context: { patient: string; encounter: string | null };
    if (url.searchParams.has('launch')) {
      if (!scopes.includes('launch')) refuse('an EHR launch needs the launch scope');
      const known = launches.get(q('launch'));
      if (!known) refuse('unknown launch');
      launches.delete(q('launch'));
      context = known as typeof context;
    } else {
      // Standalone: the user picks a patient at sign-in (here, at once).
      if (!scopes.includes('launch/patient')) refuse('a standalone launch asks for launch/patient');
      context = {
        patient: STANDALONE_PATIENT,
        encounter: scopes.includes('launch/encounter') ? 'enc-standalone' : null,
      };
    }
    const code = randomBytes(24).toString('base64url');
    codes.set(code, {
      scope: q('scope'),
      redirectUri: q('redirect_uri'),
      challenge: q('code_challenge'),
      ...context,
      expiresAt: Date.now() + 60_000,
    });
    const target = new URL(options.redirectUri);
    target.searchParams.set('code', code);
    target.searchParams.set('state', q('state'));
    response.writeHead(302, { location: target.href }).end();
  }

  async function token(recorded: RecordedRequest, response: ServerResponse): Promise<void> {
    await authenticateClient(recorded, tokenUrl());
    const { form } = recorded;
    if (form.grant_type === 'refresh_token') return refresh(form, response);
    if (form.grant_type !== 'authorization_code') throw new Refusal(400, { error: 'unsupported_grant_type' });
    if (options.refuseToken) throw new Refusal(options.refuseToken.status, options.refuseToken.body);
    const issued = codes.get(form.code ?? '');
    codes.delete(form.code ?? '');
    if (!issued || issued.expiresAt < Date.now()) throw new Refusal(400, { error: 'invalid_grant' });
    if (form.redirect_uri !== issued.redirectUri) throw new Refusal(400, { error: 'invalid_grant' });
    const challenge = createHash('sha256')
      .update(form.code_verifier ?? '')
      .digest('base64url');
    if (challenge !== issued.challenge)
      throw new Refusal(400, { error: 'invalid_grant', error_description: 'pkce' });
    const refreshToken = randomBytes(24).toString('base64url');
    refreshTokens.set(refreshToken, issued);
    send(response, 200, {
      access_token: newAccessToken(),
      token_type: 'Bearer',
      expires_in: 3600,
      scope: issued.scope,
      refresh_token: refreshToken,
      id_token: await idToken({ aud: options.clientId }),
      patient: issued.patient,
      ...(issued.encounter ? { encounter: issued.encounter } : {}),
      ...options.tokenExtras,
    });
  }

  async function refresh(form: Record<string, string>, response: ServerResponse): Promise<void> {
    const issued = refreshTokens.get(form.refresh_token ?? '');
    if (!issued) throw new Refusal(400, { error: 'invalid_grant' });
    const kind = options.refreshIdToken ?? 'none';
    const idTokenField =
      kind === 'none' ? {} : { id_token: await idToken(kind === 'valid' ? { aud: options.clientId } : {}) };
    send(response, 200, {
      access_token: newAccessToken(),
      token_type: 'Bearer',
      expires_in: 3600,
      scope: issued.scope,
      ...idTokenField,
    });
  }

  function newAccessToken(): string {
    const value = randomBytes(24).toString('base64url');
    accessTokens.push(value);
    return value;
  }

  function idToken(claims: { aud?: string }): Promise<string> {
    const jwt = new SignJWT({ fhirUser: `${fhirBase}/${STUB_PRACTITIONER}`, name: STUB_USER_NAME })
      .setProtectedHeader({ alg: 'RS256', kid: idKid, typ: 'JWT' })
      .setIssuer(origin)
      .setSubject('prac-1')
      .setIssuedAt()
      .setExpirationTime('10m');
    if (claims.aud) jwt.setAudience(claims.aud);
    return jwt.sign(idKey.privateKey);
  }

  /** client_secret_basic, or a private_key_jwt assertion checked as SMART 2.2 §Asymmetric says. */
  async function authenticateClient(recorded: RecordedRequest, audience: string): Promise<void> {
    const invalid = (description: string) =>
      new Refusal(401, { error: 'invalid_client', error_description: description });
    const { form } = recorded;
    const authorization = recorded.headers.authorization;
    if (typeof authorization === 'string') {
      const expected = `Basic ${Buffer.from(`${options.clientId}:${options.clientSecret}`).toString('base64')}`;
      if (authorization !== expected) throw invalid('bad client secret');
      return;
    }
    if (form.client_assertion_type !== 'urn:ietf:params:oauth:client-assertion-type:jwt-bearer')
      throw invalid('no client authentication');
    const assertion = form.client_assertion ?? '';
    const header = decodeProtectedHeader(assertion) as Record<string, unknown>;
    const algorithms = configuration().token_endpoint_auth_signing_alg_values_supported as string[];
    if (!algorithms.includes(String(header.alg))) throw invalid(`alg ${String(header.alg)} not accepted`);
    if (header.typ !== 'JWT' || typeof header.kid !== 'string') throw invalid('typ and kid required');
    if (header.jku !== undefined && header.jku !== options.jwksUrl)
      throw invalid('jku is not the registered JWKS URL');
    const keys = (await (await fetch(options.jwksUrl)).json()) as Parameters<typeof createLocalJWKSet>[0];
    const { payload } = await jwtVerify(assertion, createLocalJWKSet(keys), {
      algorithms,
      issuer: options.clientId,
      subject: options.clientId,
      audience,
    }).catch((error: unknown) => {
      throw invalid(`assertion: ${(error as Error).message}`);
    });
    if ((payload.exp ?? 0) - Math.floor(Date.now() / 1000) > 300)
      throw invalid('exp more than 5 minutes ahead');
    if (typeof payload.jti !== 'string' || seenJti.has(payload.jti)) throw invalid('jti missing or reused');
    seenJti.add(payload.jti);
    recorded.assertion = { header, claims: payload };
  }

  function patient(request: IncomingMessage, url: URL, response: ServerResponse): void {
    const bearer = /^Bearer (.+)$/.exec(request.headers.authorization ?? '')?.[1];
    if (!bearer || !accessTokens.includes(bearer)) throw new Refusal(401, { error: 'invalid_token' });
    const id = url.pathname.slice('/fhir/Patient/'.length);
    response.writeHead(200, { 'content-type': 'application/fhir+json' });
    response.end(JSON.stringify({ resourceType: 'Patient', id }));
  }

  return {
    origin,
    fhirBase,
    get tokenUrl() {
      return tokenUrl();
    },
    requests,
    accessTokens,
    configure(next) {
      options = { ...options, ...next };
    },
    newLaunch(context = {}) {
      const launch = randomBytes(12).toString('base64url');
      launches.set(launch, { patient: context.patient ?? 'pat-1', encounter: context.encounter ?? 'enc-1' });
      return launch;
    },
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

function send(response: ServerResponse, status: number, body: unknown): void {
  response.writeHead(status, { 'content-type': 'application/json', 'cache-control': 'no-store' });
  response.end(JSON.stringify(body));
}

async function readBody(request: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of request) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}
