// The one place a failed call is classified (FailureClass, src/errors.ts): SDK
// errors from Secrets Manager, SSM and STS (the SDK's own throttling
// classification, then the HTTP status), and Pod Identity agent answers. The
// class decides retries and failover (transient or not), the error's kind and
// so its gRPC code, the log text and the metrics' outcome label. 4xx is fatal
// by HTTP status, except throttling, which is transient like 5xx and network
// failures (docs/parity.md).
import { isThrottlingError } from '@smithy/core/retry';
import { AwsRequestError, type AwsErrorDetails, type FailureClass } from '../errors.js';

type Context = Pick<AwsErrorDetails, 'service' | 'operation' | 'region' | 'subject'>;

interface SdkLikeError {
  name?: string;
  code?: string;
  message?: string;
  $metadata?: { httpStatusCode?: number };
  $retryable?: { throttling?: boolean };
}

/** The class of any failure of a call: an SDK error, a network error, an agent's HTTP status. */
export function classifyFailure(err: unknown, signal?: AbortSignal, httpStatus = httpStatusOf(err)): FailureClass {
  const e = (err ?? {}) as SdkLikeError;
  if (signal?.aborted || e.name === 'AbortError') return 'aborted';
  if (httpStatus === 429 || isThrottlingError(e as never)) return 'throttled';
  if (httpStatus === undefined) return 'network';
  if (httpStatus >= 500) return 'server';
  if (httpStatus >= 400) return 'client';
  // A 2xx/3xx that still failed: the response could not be read; try again.
  return 'server';
}

export function httpStatusOf(err: unknown): number | undefined {
  return (err as SdkLikeError | undefined)?.$metadata?.httpStatusCode;
}

/** An AwsRequestError for whatever an SDK call threw (kept as the cause). */
export function toAwsError(err: unknown, context: Context, signal?: AbortSignal): AwsRequestError {
  if (err instanceof AwsRequestError) return err;
  const e = (err ?? {}) as SdkLikeError;
  const httpStatus = httpStatusOf(err);
  const awsCode = e.name && e.name !== 'Error' ? e.name : e.code;
  return new AwsRequestError(
    {
      ...context,
      failureClass: classifyFailure(err, signal, httpStatus),
      ...(httpStatus !== undefined && { httpStatus }),
      ...(awsCode && { awsCode }),
      ...(e.message && { awsMessage: sanitizeMessage(e.message) }),
    },
    err,
  );
}

/** AWS messages do not carry secret values, but keep anything token-like and overlong out. */
export function sanitizeMessage(message: string): string {
  return message
    .replace(/eyJ[\w-]+\.[\w-]+\.[\w-]*/g, '<redacted>')
    .replace(/[\r\n]+/g, ' ')
    .slice(0, 300);
}
