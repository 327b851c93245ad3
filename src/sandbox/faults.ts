/**
 * Fault switches for tests (`PUT /_test/faults`): each one makes an endpoint misbehave the way
 * a real EHR sometimes does, so the gateway's error handling can be exercised.
 */
import type { FastifyReply } from 'fastify';

export interface SandboxFaults {
  /** deny: authorize redirects `access_denied` / `…grant:denied-by-user` (S4.12). */
  authorize?: 'deny';
  /** http_500 | hang (never answers until close) | malformed_json (200 with truncated JSON). */
  token?: 'http_500' | 'hang' | 'malformed_json';
  /** unknown_kid: the id_token is signed by a key that /jwk does not publish. */
  id_token?: 'unknown_kid';
  /** not_found: smart-configuration answers 404, so clients must fall back to /metadata. */
  smart_configuration?: 'not_found';
}

const ALLOWED: { [K in keyof SandboxFaults]-?: readonly NonNullable<SandboxFaults[K]>[] } = {
  authorize: ['deny'],
  token: ['http_500', 'hang', 'malformed_json'],
  id_token: ['unknown_kid'],
  smart_configuration: ['not_found'],
};

export class FaultSwitches {
  private faults: SandboxFaults = {};

  get current(): Readonly<SandboxFaults> {
    return this.faults;
  }

  /**
   * Merges a `PUT /_test/faults` body; `null` clears one switch. Returns an error message for an
   * unknown switch or value and changes nothing in that case.
   */
  apply(body: unknown): string | undefined {
    if (typeof body !== 'object' || body === null || Array.isArray(body)) return 'body must be a JSON object';
    const next: Record<string, string> = { ...this.faults };
    for (const [name, value] of Object.entries(body)) {
      if (!Object.hasOwn(ALLOWED, name)) return `unknown fault "${name}"`;
      const allowed = ALLOWED[name as keyof SandboxFaults] as readonly string[];
      if (value === null) {
        delete next[name];
      } else if (typeof value === 'string' && allowed.includes(value)) {
        next[name] = value;
      } else {
        return `fault "${name}" must be one of ${allowed.join(', ')} or null`;
      }
    }
    this.faults = next as SandboxFaults;
    return undefined;
  }

  clear(): void {
    this.faults = {};
  }
}

/**
 * Requests held open by the `token: hang` fault. close() releases them by destroying their
 * sockets, so shutting the sandbox down never waits on a hung request.
 */
export class HeldRequests {
  private readonly held = new Set<{ reply: FastifyReply; release: () => void }>();

  hold(reply: FastifyReply): Promise<void> {
    return new Promise((resolve) => {
      const entry = {
        reply,
        release: () => {
          this.held.delete(entry);
          resolve();
        },
      };
      this.held.add(entry);
      reply.raw.on('close', entry.release);
    });
  }

  releaseAll(): void {
    for (const entry of [...this.held]) {
      entry.reply.raw.destroy();
      entry.release();
    }
  }
}
