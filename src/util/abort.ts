// Helpers to honour a mount's deadline, also around work that is shared between
// mounts (a cached credential load must not be cancelled by one caller).

export function abortError(): Error {
  return new DOMException('the mount was cancelled or its deadline passed', 'AbortError');
}

/**
 * Settles like promise, or rejects as soon as signal aborts: with an AbortError, or with the
 * TimeoutError of an AbortSignal.timeout (a time limit is a transient failure, not a cancellation).
 */
export function raceSignal<T>(promise: Promise<T>, signal: AbortSignal): Promise<T> {
  const reason = () => ((signal.reason as Error | undefined)?.name === 'TimeoutError' ? (signal.reason as Error) : abortError());
  if (signal.aborted) {
    promise.catch(() => undefined);
    return Promise.reject(reason());
  }
  return new Promise((resolve, reject) => {
    const onAbort = () => reject(reason());
    signal.addEventListener('abort', onAbort, { once: true });
    promise.then(resolve, reject).finally(() => signal.removeEventListener('abort', onAbort));
  });
}

