// The documented failover contract: with a failover region, both regions are
// queried (concurrently). A 4xx from either fails the mount; a primary success
// is mounted; a primary 5xx/throttle/network failure with a failover success
// mounts the failover value.
import { AwsRequestError, ProviderError } from '../errors.js';
import { isTransientFailure } from '../util/retry.js';

export interface FailoverOutcome<T> {
  value: T;
  usedFailover: boolean;
}

type Settled<T> = { ok: true; value: T } | { ok: false; error: unknown };

/**
 * Once the primary has answered, how long the failover region may take to
 * report a 4xx before its silence counts as a transient failure.
 */
export const FAILOVER_GRACE_MS = 2_000;

export async function withFailover<T>(
  primary: (signal: AbortSignal) => Promise<T>,
  failover: ((signal: AbortSignal) => Promise<T>) | undefined,
  signal: AbortSignal,
): Promise<FailoverOutcome<T>> {
  if (!failover) return { value: await primary(signal), usedFailover: false };

  const both = new AbortController();
  const onAbort = () => both.abort();
  signal.addEventListener('abort', onAbort, { once: true });
  const linked = both.signal;
  try {
    const [p, f] = await new Promise<[Settled<T>, Settled<T>]>((resolve, reject) => {
      const results: [Settled<T> | undefined, Settled<T> | undefined] = [undefined, undefined];
      let grace: NodeJS.Timeout | undefined;
      const settle = (i: 0 | 1, r: Settled<T>) => {
        if (results[i]) return;
        results[i] = r;
        if (results[0] && results[1]) {
          clearTimeout(grace);
          resolve(results as [Settled<T>, Settled<T>]);
        } else if (i === 0 && r.ok) {
          grace = setTimeout(() => {
            settle(1, { ok: false, error: new Error('no answer from the failover region in time') });
            both.abort();
          }, FAILOVER_GRACE_MS);
        }
      };
      [primary, failover].forEach((fetch, i) => {
        fetch(linked).then(
          (value) => settle(i as 0 | 1, { ok: true, value }),
          (error) => {
            // A fatal error in either region decides the mount at once.
            if (results[i]) return;
            if (!isTransient(error)) {
              clearTimeout(grace);
              both.abort();
              reject(error);
            } else settle(i as 0 | 1, { ok: false, error });
          },
        );
      });
    });
    if (p.ok) return { value: p.value, usedFailover: false };
    if (f.ok) return { value: f.value, usedFailover: true };
    throw bothFailed(p.error, f.error);
  } finally {
    signal.removeEventListener('abort', onAbort);
  }
}

function isTransient(error: unknown): boolean {
  return error instanceof AwsRequestError && error.transient;
}

/** Both regions failed transiently: transient itself, so the mount retries the pair. */
export class BothRegionsFailedError extends ProviderError {
  readonly kind = 'transient';
  readonly code: string;
  constructor(
    readonly primaryError: ProviderError,
    readonly failoverError: unknown,
  ) {
    const failoverText = failoverError instanceof Error ? failoverError.message : String(failoverError);
    super(`${primaryError.message}; the failover region also failed: ${failoverText}`, { cause: primaryError });
    this.name = 'BothRegionsFailedError';
    this.code = primaryError.code;
  }
}

function bothFailed(primaryError: unknown, failoverError: unknown): unknown {
  return isTransientFailure(primaryError) ? new BothRegionsFailedError(primaryError, failoverError) : primaryError;
}
