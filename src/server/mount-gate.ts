// At most `limit` mounts run at once; the rest wait in order. Bounds memory
// and AWS concurrency under bursts (1000 pods scheduled at once) without
// failing anyone. A waiter whose deadline passes leaves the queue.
import { abortError } from '../util/abort.js';

export class MountGate {
  private running = 0;
  private readonly waiting: Array<{ start: () => void }> = [];

  constructor(private readonly limit: number) {}

  get queued(): number {
    return this.waiting.length;
  }

  /** Resolves with a release function once the mount may run. */
  async enter(signal: AbortSignal, onQueued?: (delta: 1 | -1) => void): Promise<() => void> {
    if (this.running < this.limit) {
      this.running++;
      return this.releaser();
    }
    if (signal.aborted) throw abortError();
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
    }).finally(() => onQueued?.(-1));
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
