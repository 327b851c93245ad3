/**
 * SSRF test helpers: a listener that counts connections (any connection reaching it is the
 * SSRF), and DNS answers made up per name for the outbound wrapper's injectable `resolveHost`,
 * so a name can "resolve" to a private address without touching real DNS.
 */
import type { LookupAddress } from 'node:dns';
import { createServer, type Server } from 'node:net';
import { ChartsideError } from '../../src/errors/catalogue.ts';
import type { ResolveHost } from '../../src/http/url-policy.ts';

export interface CountingListener {
  readonly server: Server;
  readonly port: number;
  connections(): number;
  close(): Promise<void>;
}

/** A TCP listener on `host` that only counts connections and drops them. */
export async function countingListener(host = '127.0.0.1'): Promise<CountingListener> {
  let count = 0;
  const server = createServer((socket) => {
    count += 1;
    socket.destroy();
  });
  await new Promise<void>((resolve) => server.listen(0, host, resolve));
  const address = server.address();
  return {
    server,
    port: typeof address === 'object' && address ? address.port : 0,
    connections: () => count,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

/** A public (routable, not TEST-NET) address: what every name not listed resolves to. */
export const PUBLIC_ADDRESS = '93.184.215.14';

/** A `resolveHost` answering `names[hostname]` when listed, else {@link PUBLIC_ADDRESS}. */
export function resolverFor(names: Readonly<Record<string, string>>): ResolveHost {
  return async (hostname: string): Promise<LookupAddress[]> => {
    const address = names[hostname] ?? PUBLIC_ADDRESS;
    return [{ address, family: address.includes(':') ? 6 : 4 }];
  };
}

/** The outbound guard's refusal of a non-public address. */
export const isRefusal = (error: unknown) =>
  error instanceof ChartsideError && error.code === 'ehr_endpoint_not_allowed';
