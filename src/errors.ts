// Typed errors, raised where a failure is understood. Each carries what a user
// needs to fix the problem (object, field, region) and how it should be
// reported; src/server/status.ts is the one place that maps them to gRPC codes.
// Messages never include secret values, tokens or the request's `secrets`.

/**
 * How a failure is reported to the driver. Every kind maps to a gRPC code that
 * kubelet treats as final (src/server/status.ts): a non-final code makes kubelet
 * keep the target directory, and driver v1.6 then skips the next publish and
 * reports success with an empty directory. Transient failures are retried
 * inside the mount first; what is left is reported, final, as 'transient'.
 */
export type FailureKind =
  | 'invalid-argument' // the request, the SecretProviderClass or a fetched value cannot be used as asked
  | 'not-found' // the object, parameter, service account, target directory ... does not exist
  | 'permission-denied' // AWS or Kubernetes refused the pod's identity
  | 'unauthenticated' // the pod has no usable identity (no role, token rejected)
  | 'transient' // throttling, 5xx, network, timeouts: still failing after the mount's own retries
  | 'deadline' // the mount's deadline passed or its caller went away
  | 'internal'; // a bug, a response we cannot make sense of, a file system failure

export abstract class ProviderError extends Error {
  abstract readonly kind: FailureKind;
  /** A short stable label for metrics and logs (never user data). */
  abstract readonly code: string;
  /** The error a waiter of a shared (coalesced) call receives: its own object where it matters. */
  forWaiter(): ProviderError {
    return this;
  }
}

/** The MountRequest or the SecretProviderClass parameters are invalid. */
export class RequestError extends ProviderError {
  readonly kind = 'invalid-argument';
  readonly code = 'InvalidRequest';
  constructor(message: string) {
    super(message);
    this.name = 'RequestError';
  }
}

/** An `objects` entry breaks a rule; the message names its index and field. */
export class ObjectSpecError extends ProviderError {
  readonly kind = 'invalid-argument';
  readonly code = 'InvalidObject';
  constructor(
    readonly index: number | undefined,
    readonly field: string | undefined,
    readonly reason: string,
  ) {
    const where = [
      index === undefined ? undefined : `objects[${index}]`,
      field,
    ].filter(Boolean);
    super(where.length ? `${where.join(' ')}: ${reason}` : reason);
    this.name = 'ObjectSpecError';
  }
}

/**
 * The one classification of a failed call (AWS, STS, the Pod Identity agent): it decides
 * retries and failover, the error kind (and so the gRPC code), the log text and the
 * metrics' outcome label. src/aws/classify.ts assigns it.
 */
export type FailureClass =
  | 'client' // 4xx: fatal, never retried or failed over
  | 'throttled' // 429 / throttling codes: transient
  | 'server' // 5xx: transient
  | 'network' // reset, refused, timeout, DNS: transient
  | 'aborted'; // the mount's deadline or cancellation

export interface AwsErrorDetails {
  service: 'secretsmanager' | 'ssm' | 'sts' | 'pod-identity-agent';
  operation: string;
  region: string;
  /** What was being fetched, e.g. `secret "db-creds"`, for the message. */
  subject?: string;
  failureClass: FailureClass;
  httpStatus?: number;
  awsCode?: string;
  awsMessage?: string;
}

export class AwsRequestError extends ProviderError {
  readonly details: AwsErrorDetails;
  constructor(details: AwsErrorDetails, cause?: unknown) {
    super(describeAwsFailure(details), { cause });
    this.name = 'AwsRequestError';
    this.details = details;
  }
  get code(): string {
    return this.details.awsCode ?? this.details.failureClass;
  }
  override forWaiter(): AwsRequestError {
    return new AwsRequestError({ ...this.details }, this.cause);
  }
  get kind(): FailureKind {
    const { failureClass, awsCode, httpStatus } = this.details;
    switch (failureClass) {
      case 'throttled':
      case 'server':
      case 'network':
        return 'transient';
      case 'aborted':
        return 'deadline';
      case 'client':
        if (awsCode && NOT_FOUND_CODES.has(awsCode)) return 'not-found';
        if (awsCode && UNAUTHENTICATED_CODES.has(awsCode)) return 'unauthenticated';
        if (httpStatus === 401) return 'unauthenticated';
        if (httpStatus === 403 || (awsCode && DENIED_CODES.has(awsCode))) return 'permission-denied';
        return 'invalid-argument';
    }
  }
  /** Transient failures are the ones that are retried and that a failover region may stand in for. */
  get transient(): boolean {
    return this.kind === 'transient';
  }
}

const NOT_FOUND_CODES = new Set([
  'ResourceNotFoundException',
  'ParameterNotFound',
  'ParameterVersionNotFound',
  'InvalidParameters',
]);
/** The credentials or the token were not accepted: who the pod is was not established. */
const UNAUTHENTICATED_CODES = new Set([
  'UnrecognizedClientException',
  'InvalidClientTokenId',
  'InvalidIdentityToken',
  'ExpiredToken',
  'ExpiredTokenException',
  'IDPRejectedClaim',
  'IDPCommunicationError',
  'IncompleteSignature',
  'SignatureDoesNotMatch',
]);
/** The pod is known but not allowed. */
const DENIED_CODES = new Set([
  'AccessDeniedException',
  'AccessDenied',
  'KMSAccessDeniedException',
  'DecryptionFailure',
]);

function describeAwsFailure(d: AwsErrorDetails): string {
  const what = d.subject ? ` for ${d.subject}` : '';
  const status = d.httpStatus ? ` (HTTP ${d.httpStatus})` : '';
  const code = d.awsCode ? `: ${d.awsCode}` : '';
  const msg = d.awsMessage ? `: ${d.awsMessage}` : '';
  const transient = TRANSIENT_NOTES[d.failureClass];
  return `${d.service} ${d.operation}${what} failed in region ${d.region}${status}${code}${msg}${transient ? ` (${transient})` : ''}`;
}

const TRANSIENT_NOTES: Partial<Record<FailureClass, string>> = {
  throttled: 'transient: throttled',
  server: 'transient: server error',
  network: 'transient: network error or timeout',
};

/** A Kubernetes API read the mount depends on failed. */
export class KubernetesError extends ProviderError {
  constructor(
    message: string,
    readonly httpStatus: number | undefined,
  ) {
    super(message);
    this.name = 'KubernetesError';
  }
  get code(): string {
    return this.httpStatus ? `Kubernetes${this.httpStatus}` : 'KubernetesUnreachable';
  }
  get kind(): FailureKind {
    const s = this.httpStatus;
    if (s === undefined || s === 429 || s >= 500) return 'transient';
    if (s === 404) return 'not-found';
    if (s === 401 || s === 403) return 'permission-denied';
    return 'internal';
  }
}

/** The pod has no AWS identity to use: its service account has no IAM role annotation. */
export class MissingIdentityError extends ProviderError {
  readonly kind = 'unauthenticated';
  readonly code = 'NoPodIdentity';
  constructor(message: string) {
    super(message);
    this.name = 'MissingIdentityError';
  }
}

/** Set-up outside the request that the SecretProviderClass relies on is missing (a node's region label). */
export class SetupError extends ProviderError {
  readonly kind = 'invalid-argument';
  readonly code = 'MissingSetup';
  constructor(message: string) {
    super(message);
    this.name = 'SetupError';
  }
}

/** A transient condition that is not an AWS or Kubernetes call (a pod not yet scheduled). */
export class TransientError extends ProviderError {
  readonly kind = 'transient';
  readonly code = 'Transient';
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'TransientError';
  }
}

/** A request is over one of the provider's bounds; the message names the bound. */
export class LimitError extends ProviderError {
  readonly kind = 'invalid-argument';
  readonly code = 'LimitExceeded';
  constructor(message: string) {
    super(message);
    this.name = 'LimitError';
  }
}

/** The mount's deadline passed, or its caller went away, before it finished. */
export class DeadlineError extends ProviderError {
  readonly kind = 'deadline';
  readonly code = 'DeadlineExceeded';
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'DeadlineError';
  }
}

/** The target directory is missing or not a directory. */
export class TargetPathError extends ProviderError {
  readonly kind = 'not-found';
  readonly code = 'TargetPathMissing';
  constructor(message: string) {
    super(message);
    this.name = 'TargetPathError';
  }
}

/** A fetched value cannot be mounted as asked (not JSON, JMESPath result not a string). */
export class ValueError extends ProviderError {
  readonly kind = 'invalid-argument';
  readonly code = 'InvalidSecretValue';
  constructor(message: string) {
    super(message);
    this.name = 'ValueError';
  }
}

/** AWS answered with something we cannot use (missing fields): never crash on it. */
export class MalformedResponseError extends ProviderError {
  readonly kind = 'internal';
  readonly code = 'MalformedResponse';
  constructor(message: string) {
    super(message);
    this.name = 'MalformedResponseError';
  }
}

/** Writing the files into the pod's volume failed. */
export class FileWriteError extends ProviderError {
  readonly kind = 'internal';
  readonly code = 'FileWriteFailed';
  constructor(message: string, cause?: unknown) {
    super(message, { cause });
    this.name = 'FileWriteError';
  }
}

/**
 * Context added to a failure by wrapping, never by rewriting its message: the
 * original stays the `cause`, this error reports the same kind and code.
 */
export class ContextError extends ProviderError {
  readonly kind: FailureKind;
  readonly code: string;
  constructor(
    readonly context: string,
    readonly original: ProviderError,
  ) {
    super(`${context}: ${original.message}`, { cause: original });
    this.name = original.name;
    this.kind = original.kind;
    this.code = original.code;
  }
}
