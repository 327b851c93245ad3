/**
 * `npm run bench:cds`: what the CDS Hooks relay adds. Loopback only, bounded (well under a minute).
 *
 * Starts a gateway (`chartside serve`, SQLite) as a child process, and in this process a fake EHR
 * key set and a fake app CDS service answering one card. Then, in the same run, one request at a
 * time (latency without queueing):
 *   direct   POST <app>/cds-services/bench                          (the app alone)
 *   relay    POST <gateway>/api/cds/<org>/cds-services/bench         (EHR JWT checked, jti stored,
 *            our JWT signed, app called, cards checked)
 *   cached   the relay with the connection's CDS caching on, every request a cache hit
 * and prints p50/p99 of each, the relay's added p50/p99 and the cache-hit latency.
 * Targets: added p99 ≤ 5 ms, cache hit ≤ 1 ms.
 *
 * Environment: BENCH_REQUESTS (measured requests per run, default 2000), BENCH_EHR_ALG (the
 * EHR's JWT algorithm, RS384 as Epic signs, or ES384; P-384 verification costs about 0.8 ms more
 * per request), BENCH_LOG_LEVEL (gateway log level, default warn).
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { randomBytes, randomUUID } from 'node:crypto';
import { once } from 'node:events';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer as createHttpServer } from 'node:http';
import { type AddressInfo, createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { exportJWK, generateKeyPair, SignJWT } from 'jose';
import { addTrustedCdsIssuer } from '../src/cds/issuers.ts';
import { loadConfig } from '../src/config/index.ts';
import { createSealer } from '../src/crypto/sealing.ts';
import { migrateToLatest, openDatabase } from '../src/db/index.ts';
import { setConnection } from '../src/settings/connections.ts';
import { createOrganization } from '../src/settings/organizations.ts';

const bin = fileURLToPath(new URL('../bin/chartside.js', import.meta.url));
const REQUESTS = positive(process.env.BENCH_REQUESTS, 2000);
const WARMUP = 200;
const EHR_ALG = process.env.BENCH_EHR_ALG === 'ES384' ? 'ES384' : 'RS384';
const ISSUER = 'https://cds-hooks.bench.example';
const CARD = { summary: 'Bench card', indicator: 'info', source: { label: 'Bench' } };
const HOOK = {
  hook: 'patient-view',
  hookInstance: randomUUID(),
  context: { userId: 'Practitioner/1', patientId: '12742400' },
  prefetch: {
    patient: { resourceType: 'Patient', id: '12742400', name: [{ family: 'PETERS', given: ['Tim'] }] },
  },
};

function positive(value: string | undefined, fallback: number): number {
  const n = Number(value);
  return Number.isFinite(n) && n > 0 ? Math.floor(n) : fallback;
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as AddressInfo;
      server.close(() => resolve(port));
    });
  });
}

function percentile(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? Number.NaN;
}

async function main() {
  // The fake EHR's key, served as its JWKS.
  const { privateKey, publicKey } = await generateKeyPair(EHR_ALG);
  const kid = randomUUID();
  const jwk = { ...(await exportJWK(publicKey)), kid, alg: EHR_ALG, use: 'sig' };
  const body = JSON.stringify({ cards: [CARD] });
  const servers = createHttpServer((request, response) => {
    if (request.url === '/jwk') {
      response.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ keys: [jwk] }));
      return;
    }
    // The app's CDS service: read the body, answer one card.
    request.resume();
    request.on('end', () =>
      response
        .writeHead(200, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) })
        .end(body),
    );
  });
  servers.keepAliveTimeout = 60_000;
  await new Promise<void>((resolve) => servers.listen(0, '127.0.0.1', resolve));
  const fakeOrigin = `http://127.0.0.1:${(servers.address() as AddressInfo).port}`;

  const folder = mkdtempSync(join(tmpdir(), 'chartside-bench-cds-'));
  const port = await freePort();
  const publicUrl = `http://127.0.0.1:${port}`;
  const env = {
    PATH: process.env.PATH,
    CHARTSIDE_ENV: 'test',
    HOST: '127.0.0.1',
    PORT: String(port),
    PUBLIC_URL: publicUrl,
    DATABASE_URL: `sqlite:${join(folder, 'bench.db')}`,
    CHARTSIDE_MASTER_KEY: randomBytes(32).toString('base64'),
    LOG_LEVEL: process.env.BENCH_LOG_LEVEL ?? 'warn',
    CHARTSIDE_SWEEP_INTERVAL_SECONDS: '0',
  };
  const config = loadConfig(env);
  const database = openDatabase(config.databaseUrl, { poolSize: 1 });
  await migrateToLatest(database);
  const org = await createOrganization(database.db, { name: 'Bench Clinic' });
  const sealer = createSealer(config.masterKey);
  await setConnection(database.db, sealer, config, org.id, 'cerner', { cdsEndpoint: fakeOrigin });
  await addTrustedCdsIssuer(database.db, config, org.id, { issuer: ISSUER, jwksUrl: `${fakeOrigin}/jwk` });

  let gateway: ChildProcess | undefined;
  try {
    gateway = spawn(process.execPath, [bin, 'serve'], { env, stdio: ['ignore', 'inherit', 'inherit'] });
    const deadline = Date.now() + 30_000;
    while (
      !(await fetch(`${publicUrl}/health`).then(
        (r) => r.ok,
        () => false,
      ))
    ) {
      if (Date.now() > deadline || gateway.exitCode !== null) throw new Error('the gateway did not start');
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    const relayUrl = `${publicUrl}/api/cds/${org.id}/cds-services/bench`;
    const directUrl = `${fakeOrigin}/cds-services/bench`;
    const payload = JSON.stringify(HOOK);
    const sign = () => {
      const now = Math.floor(Date.now() / 1000);
      return new SignJWT({})
        .setProtectedHeader({ alg: EHR_ALG, kid, typ: 'JWT' })
        .setIssuer(ISSUER)
        .setAudience(relayUrl)
        .setIssuedAt(now)
        .setExpirationTime(now + 300)
        .setJti(randomUUID())
        .sign(privateKey);
    };

    /** Sequential requests; the EHR's JWTs are signed beforehand (the EHR's cost, not ours). */
    async function run(url: string, count: number, check: (response: Response) => void): Promise<number[]> {
      const tokens = await Promise.all(Array.from({ length: count }, sign));
      const times: number[] = [];
      for (const token of tokens) {
        const started = performance.now();
        const response = await fetch(url, {
          method: 'POST',
          headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
          body: payload,
        });
        await response.arrayBuffer();
        times.push(performance.now() - started);
        check(response);
      }
      return times.sort((a, b) => a - b);
    }
    const expectOk = (response: Response) => {
      if (response.status !== 200) throw new Error(`unexpected status ${response.status}`);
    };
    const expectHit = (response: Response) => {
      expectOk(response);
      if (response.headers.get('x-chartside-cds-cache') !== 'hit') throw new Error('expected a cache hit');
    };

    await run(directUrl, WARMUP, expectOk);
    await run(relayUrl, WARMUP, expectOk);
    const direct = await run(directUrl, REQUESTS, expectOk);
    const relay = await run(relayUrl, REQUESTS, expectOk);
    await setConnection(database.db, sealer, config, org.id, 'cerner', { cdsCaching: true });
    await run(relayUrl, 1, () => {}); // fills the cache
    await run(relayUrl, WARMUP, expectHit);
    const cached = await run(relayUrl, REQUESTS, expectHit);

    const fmt = (n: number) => `${n.toFixed(2)} ms`;
    const row = (name: string, times: number[]) =>
      `  ${name.padEnd(28)} p50 ${fmt(percentile(times, 50)).padStart(9)}   p99 ${fmt(percentile(times, 99)).padStart(9)}`;
    const addedP50 = percentile(relay, 50) - percentile(direct, 50);
    const addedP99 = percentile(relay, 99) - percentile(direct, 99);
    console.log(`
CDS Hooks relay, ${REQUESTS} sequential requests each (loopback, one card, EHR JWT ${EHR_ALG}):
${row('direct (app alone)', direct)}
${row('relay (no cache)', relay)}
${row('relay (cache hit)', cached)}

  added by the relay            p50 ${fmt(addedP50)}   p99 ${fmt(addedP99)}   target p99 ≤ 5 ms: ${addedP99 <= 5 ? 'met' : 'NOT met'}
  cache hit (whole request)     p50 ${fmt(percentile(cached, 50))}   p99 ${fmt(percentile(cached, 99))}   target ≤ 1 ms (p50): ${percentile(cached, 50) <= 1 ? 'met' : 'NOT met'}
`);
  } finally {
    if (gateway && gateway.exitCode === null) {
      const exited = once(gateway, 'exit');
      gateway.kill('SIGTERM');
      await exited;
    }
    await database.close();
    servers.closeAllConnections();
    servers.close();
    rmSync(folder, { recursive: true, force: true });
  }
}

await main();
