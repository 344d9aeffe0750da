// Typed errors, raised where a failure is understood. Each carries what a user
// needs to fix the problem (object, field, region) and how it should be
// reported; src/server/status.ts is the one place that maps them to gRPC codes.
// Messages never include secret values, tokens or the request's `secrets`.

/** How a failure is reported to the driver. */
export type FailureKind =
  | 'invalid-argument' // the request or SecretProviderClass is wrong
  | 'not-found' // the object, parameter, service account ... does not exist
  | 'permission-denied' // AWS or Kubernetes refused the pod's identity
  | 'failed-precondition' // a permanent failure that is not the request's fault
  | 'unavailable' // transient: throttling, 5xx, network; the driver may retry
  | 'deadline-exceeded' // the mount's deadline passed
  | 'internal'; // a bug or a response we cannot make sense of

export abstract class ProviderError extends Error {
  abstract readonly kind: FailureKind;
  /** A short stable label for metrics and logs (never user data). */
  abstract readonly code: string;
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

/** How an AWS (or agent) failure behaves for failover and retries. */
export type AwsFailureClass =
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
  failureClass: AwsFailureClass;
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
  get kind(): FailureKind {
    const { failureClass, awsCode, httpStatus } = this.details;
    switch (failureClass) {
      case 'throttled':
      case 'server':
      case 'network':
        return 'unavailable';
      case 'aborted':
        return 'deadline-exceeded';
      case 'client':
        if (awsCode && NOT_FOUND_CODES.has(awsCode)) return 'not-found';
        if (httpStatus === 403 || (awsCode && DENIED_CODES.has(awsCode))) return 'permission-denied';
        return 'failed-precondition';
    }
  }
  /** Transient failures are the ones a failover region may stand in for. */
  get transient(): boolean {
    return this.kind === 'unavailable';
  }
}

const NOT_FOUND_CODES = new Set([
  'ResourceNotFoundException',
  'ParameterNotFound',
  'ParameterVersionNotFound',
  'InvalidParameters',
]);
const DENIED_CODES = new Set([
  'AccessDeniedException',
  'AccessDenied',
  'UnrecognizedClientException',
  'InvalidClientTokenId',
  'InvalidIdentityToken',
  'ExpiredToken',
  'ExpiredTokenException',
  'IDPRejectedClaim',
  'IDPCommunicationError',
  'IncompleteSignature',
  'SignatureDoesNotMatch',
  'KMSAccessDeniedException',
  'DecryptionFailure',
]);

function describeAwsFailure(d: AwsErrorDetails): string {
  const what = d.subject ? ` for ${d.subject}` : '';
  const status = d.httpStatus ? ` (HTTP ${d.httpStatus})` : '';
  const code = d.awsCode ? `: ${d.awsCode}` : '';
  const msg = d.awsMessage ? `: ${d.awsMessage}` : '';
  return `${d.service} ${d.operation}${what} failed in region ${d.region}${status}${code}${msg}`;
}

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
    if (s === undefined || s === 429 || s >= 500) return 'unavailable';
    if (s === 404) return 'not-found';
    if (s === 401 || s === 403) return 'permission-denied';
    return 'failed-precondition';
  }
}

/** Set-up that must exist outside the request (a role annotation, a node label). */
export class PreconditionError extends ProviderError {
  readonly kind = 'failed-precondition';
  readonly code = 'FailedPrecondition';
  constructor(message: string) {
    super(message);
    this.name = 'PreconditionError';
  }
}

/** A fetched value cannot be mounted as asked (not JSON, JMESPath result not a string). */
export class ValueError extends ProviderError {
  readonly kind = 'failed-precondition';
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

/** Adds context (pod, object) in front of a ProviderError's message, keeping its type. */
export function withContext<E extends ProviderError>(err: E, prefix: string): E {
  err.message = `${prefix}: ${err.message}`;
  return err;
}
