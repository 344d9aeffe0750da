// EKS Pod Identity: the node's agent exchanges the pod's pods.eks.amazonaws.com
// token for credentials. The SDK's HTTP credential provider does the call; we
// choose the endpoint: IPv4 or IPv6 as preferred, or IPv4 then IPv6 (auto).
import { AwsRequestError, type AwsFailureClass } from '../errors.js';
import { sanitizeMessage } from '../aws/classify.js';
import { raceSignal } from '../util/abort.js';
import type { AddressPreference } from '../plan/request.js';
import type { FetchedCredentials } from './types.js';

export interface PodIdentityEndpoints {
  ipv4: string;
  ipv6: string;
  timeoutMs: number;
}

export interface PodIdentityAttempt {
  endpoint: string;
  error: AwsRequestError;
}

export async function fetchPodIdentityCredentials(
  endpoints: PodIdentityEndpoints,
  preference: AddressPreference,
  token: string,
  region: string,
  signal: AbortSignal,
  onFallback?: (attempt: PodIdentityAttempt) => void,
): Promise<FetchedCredentials> {
  const order = preference === 'ipv4' ? [endpoints.ipv4] : preference === 'ipv6' ? [endpoints.ipv6] : [endpoints.ipv4, endpoints.ipv6];
  let lastError: AwsRequestError | undefined;
  const { fromHttp } = await import('@aws-sdk/credential-provider-http');
  for (const [i, endpoint] of order.entries()) {
    const isLast = i === order.length - 1;
    try {
      // With a fallback endpoint waiting, fail over instead of retrying the first.
      return await raceSignal(fromHttp({
        awsContainerCredentialsFullUri: endpoint,
        awsContainerAuthorizationToken: token,
        timeout: endpoints.timeoutMs,
        maxRetries: isLast ? 1 : 0,
      })(), signal);
    } catch (err) {
      lastError = toAgentError(err, endpoint, region, signal);
      if (lastError.details.failureClass === 'aborted' || lastError.details.failureClass === 'client') throw lastError;
      if (!isLast) onFallback?.({ endpoint, error: lastError });
    }
  }
  throw lastError!;
}

/** The SDK reports agent failures as text; recover the HTTP status class from it. */
function toAgentError(err: unknown, endpoint: string, region: string, signal: AbortSignal): AwsRequestError {
  const message = err instanceof Error ? err.message : String(err);
  const status = /status(?:Code)?:? (\d{3})/i.exec(message)?.[1];
  const httpStatus = status ? Number(status) : undefined;
  let failureClass: AwsFailureClass;
  if (signal.aborted) failureClass = 'aborted';
  else if (httpStatus === 429) failureClass = 'throttled';
  else if (httpStatus !== undefined && httpStatus >= 400 && httpStatus < 500) failureClass = 'client';
  else if (httpStatus !== undefined) failureClass = 'server';
  else failureClass = 'network';
  return new AwsRequestError(
    {
      service: 'pod-identity-agent',
      operation: 'GetCredentials',
      region,
      subject: `endpoint ${endpoint}`,
      failureClass,
      ...(httpStatus !== undefined && { httpStatus }),
      awsMessage: sanitizeMessage(message),
    },
    err,
  );
}
