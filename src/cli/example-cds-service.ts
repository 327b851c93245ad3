/**
 * A tiny example CDS service, the app side of the CDS Hooks relay, started by `chartside dev` so
 * `npm start` shows a card end to end. It stands for a customer's own service: it checks the
 * relay's JWT against Chartside's JWKS, and reads the patient's data through Chartside with the
 * `fhirAuthorization` it was given (falling back to `prefetch`). Not part of the gateway.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createRemoteJWKSet, jwtVerify } from 'jose';

export const EXAMPLE_CDS_SERVICE_ID = 'chartside-hello';

export interface ExampleCdsService {
  /** The CDS endpoint to configure on the connection (`<url>/cds-services` is its discovery). */
  readonly url: string;
  close(): Promise<void>;
}

interface FhirAuthorization {
  access_token?: string;
}

export async function startExampleCdsService(options: {
  port: number;
  host: string;
  /** Chartside's public URL: the JWT issuer, and where its JWKS is. */
  gatewayUrl: string;
}): Promise<ExampleCdsService> {
  const jwks = createRemoteJWKSet(new URL(`${options.gatewayUrl}/api/auth/.well-known/jwks`));
  let base = '';
  const server: Server = createServer((request, response) => {
    handle(request, response).catch(() => send(response, 500, { error: 'example service failed' }));
  });

  async function handle(request: IncomingMessage, response: ServerResponse) {
    const path = (request.url ?? '/').split('?')[0];
    if (request.method === 'GET' && path === '/cds-services') {
      return send(response, 200, {
        services: [
          {
            hook: 'patient-view',
            id: EXAMPLE_CDS_SERVICE_ID,
            title: 'Chartside hello',
            description: 'Greets the patient and counts their observations, read through Chartside.',
            prefetch: { patient: 'Patient/{{context.patientId}}' },
          },
        ],
      });
    }
    if (request.method !== 'POST' || path !== `/cds-services/${EXAMPLE_CDS_SERVICE_ID}`) {
      return send(response, 404, { error: 'no such service' });
    }
    const token = /^Bearer (.+)$/.exec(request.headers.authorization ?? '')?.[1];
    try {
      if (!token) throw new Error('no token');
      await jwtVerify(token, jwks, { issuer: options.gatewayUrl, audience: `${base}${path}` });
    } catch {
      return send(response, 401, { error: 'unauthorized' });
    }
    const hook = JSON.parse(await readBody(request)) as {
      context?: { patientId?: string };
      fhirServer?: string;
      fhirAuthorization?: FhirAuthorization;
      prefetch?: { patient?: { name?: { text?: string; given?: string[]; family?: string }[] } | null };
    };
    const patientId = hook.context?.patientId ?? '';
    let name = nameOf(hook.prefetch?.patient ?? null);
    let observations: number | null = null;
    if (hook.fhirServer && hook.fhirAuthorization?.access_token) {
      const headers = {
        authorization: `Bearer ${hook.fhirAuthorization.access_token}`,
        accept: 'application/fhir+json',
      };
      const patient = await fetch(`${hook.fhirServer}/Patient/${encodeURIComponent(patientId)}`, { headers });
      if (patient.ok) name = nameOf((await patient.json()) as Parameters<typeof nameOf>[0]) ?? name;
      const search = await fetch(
        `${hook.fhirServer}/Observation?patient=${encodeURIComponent(patientId)}&_count=100`,
        { headers },
      );
      if (search.ok) observations = ((await search.json()) as { entry?: unknown[] }).entry?.length ?? 0;
    }
    const summary = `Hello from the example CDS service${name ? `: ${name}` : ''}`.slice(0, 140);
    return send(response, 200, {
      cards: [
        {
          summary,
          indicator: 'info',
          detail:
            observations === null
              ? 'No FHIR access was granted; this card was built from prefetch only.'
              : `${observations} observation(s) read through Chartside's FHIR relay, without the EHR's token.`,
          source: { label: 'Chartside example CDS service' },
        },
      ],
    });
  }

  await new Promise<void>((resolve) => server.listen(options.port, options.host, resolve));
  const { port } = server.address() as AddressInfo;
  base = `http://${options.host === '0.0.0.0' ? '127.0.0.1' : options.host}:${port}`;
  return {
    url: base,
    close: () =>
      new Promise((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

function nameOf(
  patient: { name?: { text?: string; given?: string[]; family?: string }[] } | null,
): string | null {
  const name = patient?.name?.[0];
  if (!name) return null;
  return name.text ?? [...(name.given ?? []), name.family ?? ''].join(' ').trim();
}

function send(response: ServerResponse, status: number, body: unknown) {
  response.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify(body));
}

function readBody(request: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    request.on('data', (chunk: Buffer) => chunks.push(chunk));
    request.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    request.on('error', reject);
  });
}
