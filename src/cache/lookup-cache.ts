/**
 * The one in-process cache: a short-lived, bounded memory of what a process has just read or
 * fetched (an API key, a launch, a launch's settings, an EHR's key set, an app's CDS discovery).
 * One rule for all of them: an entry lives `ttlMs`, so a change made by another process is seen
 * within that time; the process that makes a change calls forget() and sees it at once; at
 * `maxEntries` the oldest entry goes. A ttl of 0 turns the cache off. Nothing else in src/ keeps
 * a Map of remembered values (test/boundaries.test.ts).
 */
export class LookupCache<V> {
  private readonly entries = new Map<string, { value: V; expiresAt: number }>();
  private readonly loading = new Map<string, Promise<V>>();

  constructor(
    private readonly ttlMs: number,
    private readonly maxEntries = 10_000,
    private readonly clock: () => number = Date.now,
  ) {}

  get(key: string): V | undefined {
    const entry = this.entries.get(key);
    if (!entry) return undefined;
    if (entry.expiresAt <= this.clock()) {
      this.entries.delete(key);
      return undefined;
    }
    return entry.value;
  }

  set(key: string, value: V): void {
    if (this.ttlMs <= 0) return;
    this.entries.delete(key);
    // Maps iterate in insertion order: the first key is the oldest entry.
    if (this.entries.size >= this.maxEntries) this.entries.delete(this.entries.keys().next().value as string);
    this.entries.set(key, { value, expiresAt: this.clock() + this.ttlMs });
  }

  /**
   * The entry for `key`, else what `load` gives, remembered. Callers that miss together share
   * one load: when an entry everybody reads expires under load, the requests in flight would
   * otherwise each read the database at once. A failed load is not remembered; every caller
   * waiting on it gets its error.
   */
  getOrLoad(key: string, load: () => Promise<V>): Promise<V> {
    const remembered = this.get(key);
    if (remembered !== undefined) return Promise.resolve(remembered);
    let pending = this.loading.get(key);
    if (!pending) {
      pending = load();
      this.loading.set(key, pending);
      const mine = pending;
      // forget() during the load wins: the value may be what it asked to drop.
      const stillMine = () => this.loading.get(key) === mine;
      mine.then(
        (value) => {
          if (!stillMine()) return;
          this.loading.delete(key);
          this.set(key, value);
        },
        () => {
          if (stillMine()) this.loading.delete(key);
        },
      );
    }
    return pending;
  }

  forget(key: string): void {
    this.entries.delete(key);
    this.loading.delete(key);
  }
}
