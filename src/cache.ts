// A bounded cache of values that expire, with single-flight loading: concurrent
// callers asking for the same missing key share one load, so 100 pods of one
// service account mounting at once cause one STS call, not 100. Bounded by
// lru-cache (least recently used entries go first); single flight by InFlight,
// so a shared load is cancelled only when every caller waiting for it has gone
// (one mount's deadline never fails another's). Instances are created by their
// owners (main.ts, the resolvers) and passed in; nothing here is global.
import { LRUCache } from 'lru-cache';
import { InFlight } from './util/in-flight.js';

export interface Expiring<V> {
  value: V;
  /** Epoch ms after which the value must not be served. */
  expiresAt: number;
}

const NEVER = new AbortController().signal;

export class ExpiringCache<V> {
  private readonly entries: LRUCache<string, Expiring<V>>;
  private readonly loads = new InFlight<Expiring<V>>();

  constructor(
    maxEntries: number,
    private readonly now: () => number = Date.now,
  ) {
    this.entries = new LRUCache<string, Expiring<V>>({ max: maxEntries });
  }

  get size(): number {
    return this.entries.size;
  }

  /**
   * The cached value for key, or the result of load (shared with concurrent callers; not kept
   * when it fails or has already expired). Rejects with an AbortError as soon as signal aborts;
   * `shared` aborts only when every caller of the load has gone.
   */
  async get(key: string, load: (shared: AbortSignal) => Promise<Expiring<V>>, signal: AbortSignal = NEVER): Promise<V> {
    for (;;) {
      const hit = this.entries.get(key);
      if (hit && hit.expiresAt > this.now()) return hit.value;
      if (hit) this.entries.delete(key);
      try {
        const loaded = await this.loads.run(
          key,
          async (shared) => {
            const entry = await load(shared);
            if (entry.expiresAt > this.now()) this.entries.set(key, entry);
            return entry;
          },
          signal,
        );
        return loaded.value;
      } catch (err) {
        // An AbortError while our signal is live: we joined a load its last other caller had
        // just abandoned. Start a fresh one.
        if ((err as Error)?.name === 'AbortError' && !signal.aborted) continue;
        throw err;
      }
    }
  }
}
