/**
 * The cheapest proxy one can write in Node, for `bench:proxy`'s "ceiling" row: node:http in,
 * an undici keep-alive pool out, the EHR token added, the answer piped back untouched. No API
 * key, no launch lookup, no audit, no URL rewriting, no limits. It is NOT a product component:
 * it only shows how much throughput any extra Node hop costs on this machine, so the gateway's
 * own figure can be read against it.
 *
 * Usage (started by bench/proxy.ts): PASS_THROUGH_PORT, PASS_THROUGH_TARGET (the FHIR base) and
 * PASS_THROUGH_TOKEN (the EHR access token) in the environment.
 */
import { createServer } from 'node:http';
import { Pool } from 'undici';

const port = Number(process.env.PASS_THROUGH_PORT);
const target = new URL(process.env.PASS_THROUGH_TARGET ?? '');
const authorization = `Bearer ${process.env.PASS_THROUGH_TOKEN ?? ''}`;
const basePath = target.pathname.replace(/\/+$/, '');
const pool = new Pool(target.origin, { connections: 32, pipelining: 1 });

createServer((request, response) => {
  // /<anything> → <FHIR base>/<anything>
  pool.request(
    {
      method: 'GET',
      path: basePath + (request.url ?? '/'),
      headers: { accept: request.headers.accept ?? 'application/fhir+json', authorization },
    },
    (error, upstream) => {
      if (error || !upstream) {
        response.writeHead(502).end();
        return;
      }
      const contentType = upstream.headers['content-type'];
      response.writeHead(upstream.statusCode, contentType ? { 'content-type': contentType } : {});
      upstream.body.pipe(response);
    },
  );
}).listen(port, '127.0.0.1');
