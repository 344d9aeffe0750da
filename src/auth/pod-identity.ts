// EKS Pod Identity: the node's agent exchanges the pod's pods.eks.amazonaws.com
// token for credentials. We choose the endpoint: IPv4 or IPv6 as preferred, or
// IPv4 then IPv6 (auto); a timeout, refusal, reset or 5xx of the first moves on
// to the second. Each attempt is one call through the AwsPort.
import { classifyFailure, sanitizeMessage } from '../aws/classify.js';
import { AgentHttpError, type AwsPort, type FetchedCredentials } from '../aws/port.js';
import type { MountContext } from '../context.js';
import { AwsRequestError, MalformedResponseError } from '../errors.js';
import type { AddressPreference } from '../plan/request.js';

export interface PodIdentityEndpoints {
  ipv4: string;
  ipv6: string;
  timeoutMs: number;
}

export async function fetchPodIdentityCredentials(
  port: AwsPort,
  endpoints: PodIdentityEndpoints,
  preference: AddressPreference,
  token: string,
  region: string,
  signal: AbortSignal,
  ctx: MountContext,
): Promise<FetchedCredentials> {
  const order = preference === 'ipv4' ? [endpoints.ipv4] : preference === 'ipv6' ? [endpoints.ipv6] : [endpoints.ipv4, endpoints.ipv6];
  let lastError: AwsRequestError | undefined;
  for (const [i, endpoint] of order.entries()) {
    const started = performance.now();
    try {
      const credentials = await port.getAgentCredentials(endpoint, token, endpoints.timeoutMs, signal);
      ctx.record.attempt({ service: 'pod-identity-agent', operation: 'GetCredentials', region, outcome: 'ok', seconds: (performance.now() - started) / 1000 });
      return credentials;
    } catch (err) {
      if (err instanceof MalformedResponseError) throw err;
      lastError = toAgentError(err, endpoint, region, signal);
      const { failureClass } = lastError.details;
      ctx.record.attempt({ service: 'pod-identity-agent', operation: 'GetCredentials', region, outcome: failureClass, seconds: (performance.now() - started) / 1000 });
      if (failureClass === 'aborted' || failureClass === 'client') throw lastError;
      // A timeout, refusal, reset or 5xx: the other address family may be the one the agent listens on.
      if (i < order.length - 1) ctx.log.warn({ error: lastError.message }, `Pod Identity agent ${endpoint} failed; trying the next endpoint`);
    }
  }
  throw lastError!;
}

function toAgentError(err: unknown, endpoint: string, region: string, signal: AbortSignal): AwsRequestError {
  const message = err instanceof Error ? err.message : String(err);
  const httpStatus = err instanceof AgentHttpError ? err.statusCode : undefined;
  return new AwsRequestError(
    {
      service: 'pod-identity-agent',
      operation: 'GetCredentials',
      region,
      subject: `endpoint ${endpoint}`,
      failureClass: classifyFailure(err, signal, httpStatus),
      ...(httpStatus !== undefined && { httpStatus }),
      awsMessage: sanitizeMessage(message),
    },
    err,
  );
}
