// Coalesces identical concurrent work: callers asking for the same key while a
// call is in flight share its result instead of making their own (50 pods of
// one deployment remounting at once -> one GetSecretValue per distinct secret
// and identity). Nothing is kept once the call settles. The shared call is
// cancelled only when every caller waiting for it has gone.
import { ProviderError } from '../errors.js';
import { abortError } from './abort.js';

interface Entry<T> {
  promise: Promise<T>;
  controller: AbortController;
  waiters: number;
}

export class InFlight<T> {
  private readonly entries = new Map<string, Entry<T>>();

  run(key: string, call: (signal: AbortSignal) => Promise<T>, signal: AbortSignal): Promise<T> {
    let entry = this.entries.get(key);
    if (!entry) {
      const controller = new AbortController();
      const promise = call(controller.signal).finally(() => {
        if (this.entries.get(key) === entry) this.entries.delete(key);
      });
      entry = { promise, controller, waiters: 0 };
      this.entries.set(key, entry);
    }
    return this.wait(entry, signal);
  }

  private wait(entry: Entry<T>, signal: AbortSignal): Promise<T> {
    if (signal.aborted) return Promise.reject(abortError());
    entry.waiters++;
    return new Promise<T>((resolve, reject) => {
      const onAbort = () => {
        reject(abortError());
        if (--entry.waiters === 0) entry.controller.abort();
      };
      signal.addEventListener('abort', onAbort, { once: true });
      entry.promise.then(
        (v) => {
          signal.removeEventListener('abort', onAbort);
          entry.waiters--;
          resolve(v);
        },
        (e) => {
          signal.removeEventListener('abort', onAbort);
          entry.waiters--;
          // Each waiter gets its own error object (errors are wrapped, never changed, but a
          // waiter's error must not be another's): ProviderErrors make their own copy.
          reject(e instanceof ProviderError ? e.forWaiter() : e);
        },
      );
    });
  }
}
