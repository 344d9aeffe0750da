// At most `limit` mounts run at once; the rest wait in order. Bounds memory
// and AWS concurrency under bursts (1000 pods scheduled at once) without
// failing anyone. A waiter whose deadline passes leaves the queue. The queue
// itself is bounded in requests and in the bytes they hold: past that a mount
// fails at once with a final, transient error and kubelet retries it later.
import { TransientError } from '../errors.js';
import { abortError } from '../util/abort.js';

export interface MountGateLimits {
  /** Mounts waiting at most. */
  maxQueued: number;
  /** Bytes of requests waiting at most (their attributes, as received). */
  maxQueuedBytes: number;
}

export const DEFAULT_GATE_LIMITS: MountGateLimits = { maxQueued: 4096, maxQueuedBytes: 32 * 1024 * 1024 };

export class MountGate {
  private running = 0;
  private queuedBytes = 0;
  private readonly waiting: Array<{ start: () => void }> = [];

  constructor(
    private readonly limit: number,
    private readonly limits: MountGateLimits = DEFAULT_GATE_LIMITS,
  ) {}

  get queued(): number {
    return this.waiting.length;
  }

  /** Resolves with a release function once the mount may run. */
  async enter(signal: AbortSignal, onQueued?: (delta: 1 | -1) => void, requestBytes = 0): Promise<() => void> {
    if (this.running < this.limit) {
      this.running++;
      return this.releaser();
    }
    if (signal.aborted) throw abortError();
    if (this.waiting.length >= this.limits.maxQueued || this.queuedBytes + requestBytes > this.limits.maxQueuedBytes) {
      throw new TransientError(
        `the provider is overloaded: ${this.running} mounts running and ${this.waiting.length} waiting (${Math.round(this.queuedBytes / 1024)} KiB of requests); kubelet retries this mount`,
      );
    }
    this.queuedBytes += requestBytes;
    onQueued?.(1);
    await new Promise<void>((resolve, reject) => {
      const entry = {
        start: () => {
          signal.removeEventListener('abort', onAbort);
          resolve();
        },
      };
      const onAbort = () => {
        const i = this.waiting.indexOf(entry);
        if (i >= 0) this.waiting.splice(i, 1);
        reject(abortError());
      };
      this.waiting.push(entry);
      signal.addEventListener('abort', onAbort, { once: true });
    }).finally(() => {
      this.queuedBytes -= requestBytes;
      onQueued?.(-1);
    });
    return this.releaser();
  }

  private releaser(): () => void {
    let released = false;
    return () => {
      if (released) return;
      released = true;
      const next = this.waiting.shift();
      if (next) next.start(); // the slot passes straight to the next waiter
      else this.running--;
    };
  }
}
