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

  forget(key: string): void {
    this.entries.delete(key);
  }
}
