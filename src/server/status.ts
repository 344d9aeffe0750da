// The one place typed errors become gRPC statuses. UNAVAILABLE only for
// transient failures: the driver retries UNAVAILABLE, and nothing else.
import { status as Status } from '@grpc/grpc-js';
import { ProviderError, type FailureKind } from '../errors.js';

const CODES: Record<FailureKind, Status> = {
  'invalid-argument': Status.INVALID_ARGUMENT,
  'not-found': Status.NOT_FOUND,
  'permission-denied': Status.PERMISSION_DENIED,
  'failed-precondition': Status.FAILED_PRECONDITION,
  unavailable: Status.UNAVAILABLE,
  'deadline-exceeded': Status.DEADLINE_EXCEEDED,
  internal: Status.INTERNAL,
};

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
    return { code: Status.DEADLINE_EXCEEDED, details: `${prefix}the mount was cancelled or its deadline passed`, errorCode: 'DeadlineExceeded' };
  }
  // Not one of ours: a bug. Say so without echoing arbitrary data.
  return { code: Status.INTERNAL, details: `${prefix}internal error (${(err as Error)?.name ?? 'unknown'}); see the provider logs`, errorCode: 'Internal' };
}
