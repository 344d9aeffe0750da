// Turns whatever the AWS SDK (or the Pod Identity agent) threw into an
// AwsRequestError with a failure class. 4xx is fatal by HTTP status, except
// throttling, which is transient like 5xx and network failures (ascp-parity.md).
import { isThrottlingError } from '@smithy/core/retry';
import { AwsRequestError, type AwsErrorDetails, type AwsFailureClass } from '../errors.js';

type Context = Pick<AwsErrorDetails, 'service' | 'operation' | 'region' | 'subject'>;

interface SdkLikeError {
  name?: string;
  code?: string;
  message?: string;
  $metadata?: { httpStatusCode?: number };
  $retryable?: { throttling?: boolean };
}

export function toAwsError(err: unknown, context: Context, signal?: AbortSignal): AwsRequestError {
  if (err instanceof AwsRequestError) return err;
  const e = (err ?? {}) as SdkLikeError;
  const httpStatus = e.$metadata?.httpStatusCode;
  const awsCode = e.name && e.name !== 'Error' ? e.name : e.code;
  return new AwsRequestError(
    {
      ...context,
      failureClass: classify(e, httpStatus, signal),
      ...(httpStatus !== undefined && { httpStatus }),
      ...(awsCode && { awsCode }),
      ...(e.message && { awsMessage: sanitizeMessage(e.message) }),
    },
    err,
  );
}

function classify(e: SdkLikeError, httpStatus: number | undefined, signal?: AbortSignal): AwsFailureClass {
  if (signal?.aborted || e.name === 'AbortError') return 'aborted';
  if (isThrottling(e)) return 'throttled';
  if (httpStatus === undefined) return 'network';
  if (httpStatus >= 500) return 'server';
  if (httpStatus >= 400) return 'client';
  // A 2xx/3xx that still failed: the response could not be read; try again.
  return 'server';
}

/** AWS messages do not carry secret values, but keep anything token-like and overlong out. */
export function sanitizeMessage(message: string): string {
  return message
    .replace(/eyJ[\w-]+\.[\w-]+\.[\w-]*/g, '<redacted>')
    .replace(/[\r\n]+/g, ' ')
    .slice(0, 300);
}

/** Throttling by the SDK's own classification, or a bare HTTP 429 (a proxy or load balancer). */
export function isThrottling(err: unknown): boolean {
  const e = (err ?? {}) as SdkLikeError;
  return e.$metadata?.httpStatusCode === 429 || isThrottlingError(e as never);
}
