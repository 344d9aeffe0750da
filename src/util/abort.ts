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


/**
 * A time limit that does not fire just because the process was not scheduled. When the
 * process gets the CPU back (a CFS quota like the chart's 50m, a busy node), Node runs due
 * timers before it reads the sockets: a plain timeout would fail a call whose answer is
 * already waiting. This one, when due, first lets the event loop handle the I/O that is
 * ready (two check phases, after two poll phases), then aborts with a TimeoutError
 * (a time limit is a transient failure) unless clear() was called.
 */
export function patientTimeout(ms: number, message: string): { signal: AbortSignal; clear(): void } {
  const controller = new AbortController();
  let immediate: NodeJS.Immediate | undefined;
  const timer = setTimeout(() => {
    immediate = setImmediate(() => {
      immediate = setImmediate(() => controller.abort(new DOMException(message, 'TimeoutError')));
    });
  }, ms);
  return {
    signal: controller.signal,
    clear() {
      clearTimeout(timer);
      if (immediate) clearImmediate(immediate);
    },
  };
}
