/**
 * One deadline over an outbound exchange, body included, for undici's `request`.
 *
 * `AbortSignal.timeout(ms)` does the same, but in Node 20 it costs about 7 µs to make (an
 * EventTarget, a weak timer), undici adds and removes an abort listener on it, and when its timer
 * fires — long after most exchanges ended — it still builds a `DOMException` for any signal not
 * yet collected. The FHIR proxy and every launch's code exchange make one per request.
 *
 * undici takes any EventEmitter with `aborted` and `reason` as a request's `signal`, and calls
 * `removeListener('abort', …)` once it is done with the exchange (the body ended or failed), so
 * the timer is cleared right there.
 */
import { EventEmitter } from 'node:events';

/** The reason an exchange was cut: named like the platform's own timeout. */
export class DeadlineExceeded extends Error {
  override readonly name = 'TimeoutError';
  constructor(readonly timeoutMs: number) {
    super(`the exchange took longer than ${timeoutMs} ms`);
  }
}

export class ExchangeDeadline extends EventEmitter {
  aborted = false;
  reason: DeadlineExceeded | undefined;
  readonly #timer: NodeJS.Timeout;

  constructor(timeoutMs: number) {
    super();
    this.#timer = setTimeout(() => this.#expire(timeoutMs), timeoutMs);
    // A pending deadline never keeps the process alive on its own.
    this.#timer.unref();
  }

  /** The exchange is over (or never started): the timer goes. */
  end(): void {
    clearTimeout(this.#timer);
  }

  /** undici lets go of the signal when the exchange is over, body included. */
  override removeListener(event: string | symbol, listener: (...args: unknown[]) => void): this {
    if (event === 'abort') this.end();
    return super.removeListener(event, listener);
  }

  #expire(timeoutMs: number): void {
    this.aborted = true;
    this.reason = new DeadlineExceeded(timeoutMs);
    this.emit('abort', this.reason);
  }
}
