// Helpers to honour a mount's deadline, also around work that is shared between
// mounts (a cached credential load must not be cancelled by one caller).

export function abortError(): Error {
  return new DOMException('the mount was cancelled or its deadline passed', 'AbortError');
}

/** Settles like promise, or rejects with an AbortError as soon as signal aborts. */
export function raceSignal<T>(promise: Promise<T>, signal: AbortSignal): Promise<T> {
  if (signal.aborted) {
    promise.catch(() => undefined);
    return Promise.reject(abortError());
  }
  return new Promise((resolve, reject) => {
    const onAbort = () => reject(abortError());
    signal.addEventListener('abort', onAbort, { once: true });
    promise.then(resolve, reject).finally(() => signal.removeEventListener('abort', onAbort));
  });
}

