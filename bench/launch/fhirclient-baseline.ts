/**
 * The baseline for `npm run bench:launch`: the same EHR launch done the way fhirclient 2.6.3's
 * Node documentation shows it, an Express app with express-session (its default MemoryStore)
 * holding the SMART state. `GET /launch` → `authorize()`, `GET /callback` → `ready()`, then the
 * browser goes on to the app launch URL (the client stays in the session, no token in the URL).
 * It authenticates with client_secret_basic (`clientSecret`) or private_key_jwt: the key is
 * imported once and handed to `ready({ privateKey })`, fhirclient's cheapest way (rather than a
 * `clientPrivateJwk` kept in the session and imported again at every callback).
 *
 * What it does not do, and Chartside does: verify the id_token, keep state single-use and
 * server-side across processes, seal tokens at rest, write launch and audit rows.
 *
 * Configuration: the `BASELINE_CONFIG` environment variable, JSON {@link BaselineConfig}.
 */
import { createPrivateKey, type JsonWebKey, randomBytes } from 'node:crypto';
import express, { type NextFunction, type Request, type Response } from 'express';
import session from 'express-session';
import smart from 'fhirclient';

export interface BaselineConfig {
  port: number;
  clientId: string;
  /** client_secret_basic; else `privateJwk` (private_key_jwt). */
  clientSecret?: string;
  privateJwk?: JsonWebKey & { kid: string; alg: 'RS384' };
  scope: string;
  appLaunchUrl: string;
}

const config = JSON.parse(process.env.BASELINE_CONFIG ?? '{}') as BaselineConfig;
const { privateJwk } = config;
// fhirclient's jose signs with a node:crypto KeyObject as well as a CryptoKey.
const privateKey = privateJwk
  ? {
      key: createPrivateKey({ key: privateJwk, format: 'jwk' }) as unknown as CryptoKey,
      alg: privateJwk.alg,
      kid: privateJwk.kid,
    }
  : undefined;
const app = express();
app.use(session({ secret: randomBytes(32).toString('hex'), resave: false, saveUninitialized: false }));

app.get('/health', (_request, response) => {
  response.json({ ok: true });
});

// The SMART launch URI the EHR opens.
app.get('/launch', (request, response, next) => {
  smart(request, response)
    .authorize({
      clientId: config.clientId,
      // As Chartside's connection authenticates: a fair comparison.
      ...(config.clientSecret ? { clientSecret: config.clientSecret } : {}),
      redirectUri: '/callback',
      scope: config.scope,
      iss: String(request.query.iss ?? ''),
      launch: String(request.query.launch ?? ''),
    })
    .catch(next);
});

// The redirect URI: exchange the code, keep the client in the session, go on to the app.
app.get('/callback', (request, response, next) => {
  smart(request, response)
    .ready(privateKey ? { privateKey } : undefined)
    .then(() => response.redirect(302, config.appLaunchUrl))
    .catch(next);
});

app.use((error: Error, _request: Request, response: Response, _next: NextFunction) => {
  process.stderr.write(`${error.message}\n`);
  response.status(500).type('text/plain').send('launch failed');
});

const server = app.listen(config.port, '127.0.0.1');
server.keepAliveTimeout = 60_000;
process.once('SIGTERM', () => server.close(() => process.exit(0)));
