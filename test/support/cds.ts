/**
 * CDS Hooks test doubles on real ports: a fake EHR CDS client (its signing keys, a JWKS URL and a
 * "hostile" JWKS URL, each recording whether it was fetched) and a fake app CDS service that
 * records every request exactly as it arrived and answers as a test tells it to.
 */
import { randomUUID } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import {
  type CryptoKey,
  createLocalJWKSet,
  exportJWK,
  generateKeyPair,
  type JWK,
  type JWTPayload,
  jwtVerify,
  SignJWT,
} from 'jose';

async function listen(
  handler: (req: IncomingMessage, res: ServerResponse) => void,
): Promise<{ server: Server; url: string }> {
  const server = createServer(handler);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return { server, url: `http://127.0.0.1:${port}` };
}

function readBody(req: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    req.on('error', reject);
  });
}

interface KeyPair {
  kid: string;
  privateKey: CryptoKey;
  publicJwk: JWK;
}

async function newKey(alg: 'ES384' | 'RS384'): Promise<KeyPair> {
  const { privateKey, publicKey } = await generateKeyPair(alg, { extractable: true });
  const kid = randomUUID();
  return { kid, privateKey, publicJwk: { ...(await exportJWK(publicKey)), kid, alg, use: 'sig' } };
}

export interface FakeEhr {
  readonly issuer: string;
  readonly jwksUrl: string;
  /** A second key set the EHR may name with `jku` when it is allowlisted. */
  readonly altJwksUrl: string;
  /** A key set nobody allowlisted (an attacker's). */
  readonly hostileJwksUrl: string;
  /** Paths fetched so far (`/jwk`, `/alt-jwk`, `/hostile-jwk`). */
  readonly fetched: string[];
  /** A signed CDS Hooks JWT; `claims` and `header` override the defaults. */
  sign(
    aud: string,
    options?: {
      claims?: JWTPayload;
      header?: Record<string, unknown>;
      key?: 'main' | 'alt' | 'hostile';
      /** Use the hostile key but the main key's kid (a forged signature). */
      forge?: boolean;
    },
  ): Promise<string>;
  close(): Promise<void>;
}

export async function startFakeEhr(issuer = 'https://cds-hooks.cerner.example'): Promise<FakeEhr> {
  const main = await newKey('ES384');
  const alt = await newKey('RS384');
  const hostile = await newKey('ES384');
  const fetched: string[] = [];
  const { server, url } = await listen((req, res) => {
    fetched.push(req.url ?? '');
    const keys =
      req.url === '/jwk'
        ? [main.publicJwk]
        : req.url === '/alt-jwk'
          ? [alt.publicJwk]
          : req.url === '/hostile-jwk'
            ? [hostile.publicJwk]
            : null;
    if (!keys) {
      res.writeHead(404).end();
      return;
    }
    res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ keys }));
  });
  return {
    issuer,
    jwksUrl: `${url}/jwk`,
    altJwksUrl: `${url}/alt-jwk`,
    hostileJwksUrl: `${url}/hostile-jwk`,
    fetched,
    async sign(aud, options = {}) {
      const choice = options.key ?? 'main';
      const key = options.forge ? hostile : choice === 'alt' ? alt : choice === 'hostile' ? hostile : main;
      const kid = options.forge ? main.kid : key.kid;
      const alg = key === alt ? 'RS384' : 'ES384';
      const now = Math.floor(Date.now() / 1000);
      return new SignJWT({ iss: issuer, aud, iat: now, exp: now + 300, jti: randomUUID(), ...options.claims })
        .setProtectedHeader({ alg, kid, typ: 'JWT', ...options.header })
        .sign(key.privateKey);
    },
    close: () => new Promise((resolve) => server.close(() => resolve())),
  };
}

/** An unsigned JWT (`alg: none`) or any hand-built token. */
export function rawJwt(
  header: Record<string, unknown>,
  payload: Record<string, unknown>,
  signature = '',
): string {
  const part = (value: unknown) => Buffer.from(JSON.stringify(value)).toString('base64url');
  return `${part(header)}.${part(payload)}.${signature}`;
}

export interface RecordedCdsRequest {
  method: string;
  path: string;
  headers: IncomingMessage['headers'];
  body: string;
}

export interface AppAnswer {
  status?: number;
  body?: unknown;
  /** Raw body text (overrides `body`). */
  text?: string;
  delayMs?: number;
}

export interface FakeCdsApp {
  /** The CDS endpoint to configure on the connection (a base with its own path). */
  readonly endpoint: string;
  readonly origin: string;
  readonly requests: RecordedCdsRequest[];
  /** How the app answers a path (`/cds-services`, `/cds-services/<id>`…). */
  answer(path: string, answer: AppAnswer): void;
  close(): Promise<void>;
}

export async function startFakeCdsApp(): Promise<FakeCdsApp> {
  const requests: RecordedCdsRequest[] = [];
  const answers = new Map<string, AppAnswer>();
  const { server, url } = await listen(async (req, res) => {
    const body = await readBody(req);
    const path = (req.url ?? '').replace(/^\/app/, '');
    requests.push({ method: req.method ?? '', path, headers: req.headers, body });
    const answer = answers.get(path) ?? { status: 404, body: { error: 'no such service' } };
    if (answer.delayMs) await new Promise((resolve) => setTimeout(resolve, answer.delayMs));
    if (res.destroyed) return;
    res
      .writeHead(answer.status ?? 200, { 'content-type': 'application/json' })
      .end(answer.text ?? JSON.stringify(answer.body ?? {}));
  });
  return {
    endpoint: `${url}/app`,
    origin: url,
    requests,
    answer: (path, answer) => answers.set(path, answer),
    close: () =>
      new Promise((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

/** Verify a JWT the gateway sent against the gateway's published JWKS. */
export async function verifyGatewayJwt(gatewayUrl: string, token: string, audience: string) {
  const jwks = (await (await fetch(`${gatewayUrl}/api/auth/.well-known/jwks`)).json()) as { keys: JWK[] };
  return jwtVerify(token, createLocalJWKSet({ keys: jwks.keys }), { issuer: gatewayUrl, audience });
}

/** A `patient-view` call without fhirServer or fhirAuthorization (what the app may receive). */
export const PATIENT_VIEW_HOOK = {
  hook: 'patient-view',
  hookInstance: 'd1577c69-dfbe-44ad-ba6d-3e05e953b2ea',
  context: { userId: 'Practitioner/1', patientId: '12742400' },
  prefetch: { patient: { resourceType: 'Patient', id: '12742400' } },
};

/** A valid CDS Hooks 2.0 card, as the fake app answers. */
export const STATIN_CARD = {
  uuid: 'card-1',
  summary: 'Consider a statin',
  indicator: 'info',
  source: { label: 'Example CDS' },
};
