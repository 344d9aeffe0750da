// A small bounded cache of values that expire, with single-flight loading:
// concurrent callers asking for the same missing key share one load, so 100
// pods of one service account mounting at once cause one STS call, not 100.
// Instances are created in main.ts and passed in; nothing here is global.

export interface Expiring<V> {
  value: V;
  /** Epoch ms after which the value must not be served. */
  expiresAt: number;
}

export class ExpiringCache<V> {
  private readonly entries = new Map<string, Expiring<V>>();
  private readonly inflight = new Map<string, Promise<Expiring<V>>>();

  constructor(
    private readonly maxEntries: number,
    private readonly now: () => number = Date.now,
  ) {}

  get size(): number {
    return this.entries.size;
  }

  /** The cached value for key, or the result of load (shared with concurrent callers). */
  async get(key: string, load: () => Promise<Expiring<V>>): Promise<V> {
    const hit = this.entries.get(key);
    if (hit && hit.expiresAt > this.now()) {
      // Re-insert to keep Map order = least recently used first.
      this.entries.delete(key);
      this.entries.set(key, hit);
      return hit.value;
    }
    if (hit) this.entries.delete(key);

    const pending = this.inflight.get(key);
    if (pending) return (await pending).value;
    const promise = load().finally(() => this.inflight.delete(key));
    this.inflight.set(key, promise);
    const loaded = await promise;
    if (loaded.expiresAt > this.now()) this.store(key, loaded);
    return loaded.value;
  }

  delete(key: string): void {
    this.entries.delete(key);
  }

  private store(key: string, entry: Expiring<V>): void {
    this.entries.delete(key);
    this.entries.set(key, entry);
    while (this.entries.size > this.maxEntries) {
      const oldest = this.entries.keys().next().value as string;
      this.entries.delete(oldest);
    }
  }
}
