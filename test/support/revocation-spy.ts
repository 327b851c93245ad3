/**
 * A stand-in revocation endpoint for the failures the sandbox does not play (an EHR refusing a
 * revocation, one that never answers), and how to point a source's kept SMART discovery at it.
 */
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Db } from '../../src/db/index.ts';

export interface RevocationSpy {
  readonly url: string;
  /** Form bodies received, in order. */
  readonly received: Record<string, string>[];
  /** `hold` never answers; otherwise the status and JSON body to answer with. */
  answer: 'hold' | { status: number; body: Record<string, unknown> };
  close(): Promise<void>;
}

export async function startRevocationSpy(): Promise<RevocationSpy> {
  const held: ServerResponse[] = [];
  const spy: RevocationSpy = {
    url: '',
    received: [],
    answer: { status: 200, body: {} },
    close: async () => {
      for (const response of held) response.destroy();
      server.closeAllConnections();
      await new Promise((resolve) => server.close(resolve));
    },
  };
  const server = createServer((request: IncomingMessage, response: ServerResponse) => {
    const chunks: Buffer[] = [];
    request.on('data', (chunk: Buffer) => chunks.push(chunk));
    request.on('end', () => {
      spy.received.push(Object.fromEntries(new URLSearchParams(Buffer.concat(chunks).toString('utf8'))));
      if (spy.answer === 'hold') {
        held.push(response);
        return;
      }
      response.writeHead(spy.answer.status, { 'content-type': 'application/json' });
      response.end(JSON.stringify(spy.answer.body));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  Object.assign(spy, { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/revoke` });
  return spy;
}

/**
 * Rewrite the `revocation_endpoint` of every source's kept discovery (`null`: the EHR advertises
 * none), fresh, so the gateway uses it without discovering again.
 */
export async function setKeptRevocationEndpoint(db: Db, endpoint: string | null): Promise<void> {
  for (const source of await db.selectFrom('fhir_source').select(['id', 'discovery']).execute()) {
    const discovery = JSON.parse(source.discovery ?? 'null') as Record<string, unknown> | null;
    if (!discovery) throw new Error(`source ${source.id} has no kept discovery yet: launch first`);
    await db
      .updateTable('fhir_source')
      .set({
        discovery: JSON.stringify({ ...discovery, revocationEndpoint: endpoint }),
        discovered_at: new Date().toISOString(),
      })
      .where('id', '=', source.id)
      .execute();
  }
}
