// Client-side rate limit for the Kubernetes API (--qps / --burst), a token
// bucket like client-go's: callers wait for a token instead of failing. The
// wait is bounded and fair: waiters are queued per key (the pod's namespace)
// and tokens go round-robin across keys, so one namespace's flood cannot
// starve another's mounts; a waiter whose mount ends leaves the queue at once;
// past the queue bounds a read fails fast with a TransientError.
import { TransientError } from '../errors.js';
import { abortError } from '../util/abort.js';

export interface TokenBucketOptions {
  /** Waiters across all keys; one more is refused. */
  maxWaiting?: number;
  /** Waiters of one key, well below maxWaiting so one namespace cannot fill the queue. */
  maxWaitingPerKey?: number;
  /** Monotonic milliseconds; tests pass a fake clock. */
  now?: () => number;
}

interface Waiter {
  grant(): void;
}

export class TokenBucket {
  private tokens: number;
  private last: number;
  /** Map order is the round-robin order: a key that was just served moves to the end. */
  private readonly queues = new Map<string, Waiter[]>();
  private waitingCount = 0;
  private timer: NodeJS.Timeout | undefined;
  private readonly maxWaiting: number;
  private readonly maxWaitingPerKey: number;
  private readonly now: () => number;

  constructor(
    private readonly qps: number,
    private readonly burst: number,
    options: TokenBucketOptions = {},
  ) {
    if (!(qps > 0) || !(burst >= 1)) throw new RangeError(`the rate limit needs qps > 0 and burst >= 1, got qps ${qps}, burst ${burst}`);
    this.maxWaiting = options.maxWaiting ?? 1024;
    this.maxWaitingPerKey = options.maxWaitingPerKey ?? 256;
    this.now = options.now ?? (() => performance.now());
    this.tokens = burst;
    this.last = this.now();
  }

  /** Reads waiting for a token now. */
  get waiting(): number {
    return this.waitingCount;
  }

  /**
   * Resolves when a request may be sent. Rejects with an AbortError when signal
   * aborts first (the place in the queue is freed at once), and with a
   * TransientError when the queue is full.
   */
  take(signal: AbortSignal, fairnessKey: string): Promise<void> {
    if (signal.aborted) return Promise.reject(abortError());
    if (this.waitingCount === 0) {
      this.refill();
      if (this.tokens >= 1) {
        this.tokens -= 1;
        return Promise.resolve();
      }
    }
    const queue = this.queues.get(fairnessKey);
    if (this.waitingCount >= this.maxWaiting) {
      return Promise.reject(new TransientError(`too many Kubernetes API reads waiting for the client-side rate limit (${this.maxWaiting} queued; --qps ${this.qps}, --burst ${this.burst})`));
    }
    if (queue && queue.length >= this.maxWaitingPerKey) {
      return Promise.reject(
        new TransientError(`too many Kubernetes API reads waiting for the client-side rate limit from namespace ${fairnessKey} (${this.maxWaitingPerKey} queued; --qps ${this.qps}, --burst ${this.burst})`),
      );
    }
    return new Promise<void>((resolve, reject) => {
      const onAbort = () => {
        this.remove(fairnessKey, waiter);
        reject(abortError());
      };
      const waiter: Waiter = {
        grant: () => {
          signal.removeEventListener('abort', onAbort);
          resolve();
        },
      };
      signal.addEventListener('abort', onAbort, { once: true });
      if (queue) queue.push(waiter);
      else this.queues.set(fairnessKey, [waiter]);
      this.waitingCount++;
      this.schedule();
    });
  }

  private refill(): void {
    const now = this.now();
    this.tokens = Math.min(this.burst, this.tokens + ((now - this.last) / 1000) * this.qps);
    this.last = now;
  }

  private remove(key: string, waiter: Waiter): void {
    const queue = this.queues.get(key);
    const at = queue?.indexOf(waiter) ?? -1;
    if (!queue || at < 0) return;
    queue.splice(at, 1);
    if (queue.length === 0) this.queues.delete(key);
    this.waitingCount--;
    if (this.waitingCount === 0) this.stopTimer();
  }

  /** One timer at most, and none while nobody waits: it fires when the next token is due. */
  private schedule(): void {
    if (this.timer || this.waitingCount === 0) return;
    const dueInMs = Math.max(0, Math.ceil(((1 - this.tokens) / this.qps) * 1000));
    this.timer = setTimeout(() => {
      this.timer = undefined;
      this.grantDue();
      this.schedule();
    }, dueInMs);
  }

  private grantDue(): void {
    this.refill();
    while (this.tokens >= 1 && this.waitingCount > 0) {
      const [key, queue] = this.queues.entries().next().value as [string, Waiter[]];
      const waiter = queue.shift()!;
      this.queues.delete(key);
      if (queue.length > 0) this.queues.set(key, queue);
      this.waitingCount--;
      this.tokens -= 1;
      waiter.grant();
    }
  }

  private stopTimer(): void {
    clearTimeout(this.timer);
    this.timer = undefined;
  }
}
