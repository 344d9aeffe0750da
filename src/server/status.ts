// The one place typed errors become gRPC statuses. Every failed Mount carries a
// code kubelet treats as final: kubelet keeps the target directory after
// UNAVAILABLE, DEADLINE_EXCEEDED, RESOURCE_EXHAUSTED, ABORTED, CANCELLED and
// (older kubelets) FAILED_PRECONDITION, and driver v1.6 then reports the next
// publish of that directory as a success with nothing mounted. Transient
// failures are retried inside the mount; what still fails is UNKNOWN (as the
// Go provider reports everything), and kubelet retries it with its backoff.
import { status as Status } from '@grpc/grpc-js';
import { ProviderError, type FailureKind } from '../errors.js';

const CODES: Record<FailureKind, Status> = {
  'invalid-argument': Status.INVALID_ARGUMENT,
  'not-found': Status.NOT_FOUND,
  'permission-denied': Status.PERMISSION_DENIED,
  unauthenticated: Status.UNAUTHENTICATED,
  transient: Status.UNKNOWN,
  deadline: Status.UNKNOWN,
  internal: Status.INTERNAL,
};

/** Codes kubelet treats as final; a Mount never fails with any other. */
export const FINAL_CODES: ReadonlySet<Status> = new Set(Object.values(CODES));

export interface MappedError {
  code: Status;
  /** Shown to users in the pod's events. */
  details: string;
  /** Short label for logs and metrics. */
  errorCode: string;
}

export function toGrpcError(err: unknown, podLabel: string | undefined): MappedError {
  const prefix = podLabel ? `pod ${podLabel}: ` : '';
  if (err instanceof ProviderError) {
    return { code: CODES[err.kind], details: prefix + err.message, errorCode: err.code };
  }
  if ((err as Error)?.name === 'AbortError') {
    return { code: CODES.deadline, details: `${prefix}the mount was cancelled or its deadline passed before it finished`, errorCode: 'DeadlineExceeded' };
  }
  // Not one of ours: a bug. Say so without echoing arbitrary data; the log line carries the cause.
  return { code: Status.INTERNAL, details: `${prefix}internal error (${(err as Error)?.name ?? 'unknown'}); see the provider logs`, errorCode: 'Internal' };
}

/**
 * An unexpected error's stack and cause chain, for the log line (a maintainer's view;
 * the user's message stays generic). Our errors never carry secret values or tokens.
 */
export function describeCauses(err: unknown): string {
  const parts: string[] = [];
  for (let e: unknown = err, depth = 0; e !== undefined && depth < 5; e = (e as { cause?: unknown } | null)?.cause, depth++) {
    parts.push(e instanceof Error ? (e.stack ?? `${e.name}: ${e.message}`) : String(e));
  }
  return parts.join('\ncaused by: ').slice(0, 4000);
}
