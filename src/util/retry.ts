// Retries inside a mount. A mount must end with a code kubelet treats as final
// (src/server/status.ts), so a transient failure (throttling, 5xx, reset,
// timeout, both regions down) is retried here, with exponential backoff and
// full jitter, a bounded number of times and only while the mount's deadline
// leaves room for another attempt. Within one attempt the AWS SDK applies its
// own retry strategy and throttling classification; this loop spans what the
// SDK cannot see: both regions of a failover pair, the credential source, the
// Kubernetes reads.
import { ProviderError, type FailureKind } from '../errors.js';
import { abortError } from './abort.js';

export interface RetryBudget {
  signal: AbortSignal;
  /** Epoch ms by which the mount must have answered (Infinity when the caller set none). */
  deadlineAt: number;
}

export interface RetryOptions {
  /** Attempts in all, the first included. */
  attempts: number;
  /** Upper bound of the first backoff; doubles per retry, capped by maxDelayMs. */
  baseDelayMs: number;
  maxDelayMs: number;
  /** Do not start an attempt with less time than this left before the deadline. */
  minAttemptMs: number;
  /** For tests: a source of [0, 1). */
  random?: () => number;
}

export const MOUNT_RETRY: RetryOptions = { attempts: 3, baseDelayMs: 250, maxDelayMs: 4_000, minAttemptMs: 1_000 };

/** Raised when a transient failure outlived its retries; keeps the last failure's kind and code. */
export class RetriesExhaustedError extends ProviderError {
  readonly kind: FailureKind;
  readonly code: string;
  constructor(
    readonly last: ProviderError,
    readonly attempts: number,
    elapsedMs: number,
  ) {
    super(`${last.message}; still failing after ${attempts} attempt${attempts === 1 ? '' : 's'} over ${(elapsedMs / 1000).toFixed(1)}s`, { cause: last });
    this.name = 'RetriesExhaustedError';
    this.kind = last.kind;
    this.code = last.code;
  }
}

export function isTransientFailure(err: unknown): err is ProviderError {
  return err instanceof ProviderError && err.kind === 'transient';
}

/**
 * A failure that has already outlived retries of its own (the Pod Identity agent's wait), possibly
 * wrapped with context: retrying it again would multiply the time spent.
 */
function alreadyRetried(err: unknown): boolean {
  for (let e = err, depth = 0; e instanceof Error && depth < 8; e = e.cause, depth++) {
    if (e instanceof RetriesExhaustedError) return true;
  }
  return false;
}

export async function retryTransient<T>(call: (attempt: number) => Promise<T>, budget: RetryBudget, options: RetryOptions = MOUNT_RETRY): Promise<T> {
  const started = Date.now();
  const random = options.random ?? Math.random;
  for (let attempt = 1; ; attempt++) {
    try {
      return await call(attempt);
    } catch (err) {
      if (!isTransientFailure(err) || budget.signal.aborted || alreadyRetried(err)) throw err;
      const delay = Math.floor(random() * Math.min(options.maxDelayMs, options.baseDelayMs * 2 ** (attempt - 1)));
      const roomLeft = budget.deadlineAt - Date.now() - delay >= options.minAttemptMs;
      if (attempt >= options.attempts || !roomLeft) throw new RetriesExhaustedError(err, attempt, Date.now() - started);
      await sleep(delay, budget.signal);
    }
  }
}

function sleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal.aborted) return reject(abortError());
    const onAbort = () => {
      clearTimeout(timer);
      reject(abortError());
    };
    const timer = setTimeout(() => {
      signal.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    signal.addEventListener('abort', onAbort, { once: true });
  });
}
