// EKS Pod Identity: the node's agent exchanges the pod's pods.eks.amazonaws.com
// token for credentials. We choose the endpoint: IPv4 or IPv6 as preferred, or
// IPv4 then IPv6 (auto), and call it with the SDK's HTTP handler.
import { AwsRequestError, MalformedResponseError, type AwsFailureClass } from '../errors.js';
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
  for (const [i, endpoint] of order.entries()) {
    const isLast = i === order.length - 1;
    try {
      return await getAgentCredentials(endpoint, token, endpoints.timeoutMs, signal);
    } catch (err) {
      lastError = toAgentError(err, endpoint, region, signal);
      if (lastError.details.failureClass === 'aborted' || lastError.details.failureClass === 'client') throw lastError;
      // A timeout, refusal, reset or 5xx: the other address family may be the one the agent listens on.
      if (!isLast) onFallback?.({ endpoint, error: lastError });
    }
  }
  throw lastError!;
}

/**
 * One GET to the agent, with the SDK's HTTP handler and an enforced time limit for the
 * connection and for the answer (the SDK's fromHttp only warns when its request timeout
 * passes, so a silent agent would hold the mount and the other address family would
 * never be tried). The response is read as the SDK's container credential format.
 */
async function getAgentCredentials(endpoint: string, token: string, timeoutMs: number, signal: AbortSignal): Promise<FetchedCredentials> {
  const [{ NodeHttpHandler }, { HttpRequest }, { parseRfc3339DateTime, sdkStreamMixin }] = await Promise.all([
    import('@smithy/node-http-handler'),
    import('@smithy/core/protocols'),
    import('@smithy/core/serde'),
  ]);
  const url = new URL(endpoint);
  const handler = new NodeHttpHandler({ connectionTimeout: timeoutMs, requestTimeout: timeoutMs, throwOnRequestTimeout: true });
  try {
    const { response } = await handler.handle(
      new HttpRequest({
        protocol: url.protocol,
        hostname: url.hostname.replace(/^\[(.*)\]$/, '$1'),
        ...(url.port && { port: Number(url.port) }),
        path: url.pathname,
        headers: { host: url.host, authorization: token },
      }),
      { abortSignal: signal },
    );
    // The body is small; its read is bounded by the same time limit.
    const body = await raceSignal(sdkStreamMixin(response.body).transformToString(), AbortSignal.any([signal, AbortSignal.timeout(timeoutMs)]));
    if (response.statusCode !== 200) throw new AgentHttpError(response.statusCode, agentMessage(body));
    let parsed: Record<string, unknown>;
    try {
      parsed = JSON.parse(body) as Record<string, unknown>;
    } catch {
      throw new MalformedResponseError(`the Pod Identity agent at ${endpoint} answered with a body that is not JSON`);
    }
    const { AccessKeyId, SecretAccessKey, Token, Expiration } = parsed;
    if (typeof AccessKeyId !== 'string' || typeof SecretAccessKey !== 'string' || typeof Token !== 'string' || typeof Expiration !== 'string') {
      throw new MalformedResponseError(`the Pod Identity agent at ${endpoint} answered without AccessKeyId, SecretAccessKey, Token and Expiration`);
    }
    return { accessKeyId: AccessKeyId, secretAccessKey: SecretAccessKey, sessionToken: Token, expiration: parseRfc3339DateTime(Expiration) };
  } finally {
    handler.destroy();
  }
}

class AgentHttpError extends Error {
  constructor(
    readonly statusCode: number,
    agentText: string | undefined,
  ) {
    super(`the agent responded with status ${statusCode}${agentText ? `: ${agentText}` : ''}`);
    this.name = 'AgentHttpError';
  }
}

/** The agent's error body is JSON with a Message; never echo anything else it sent. */
function agentMessage(body: string): string | undefined {
  try {
    const { Message } = JSON.parse(body) as { Message?: unknown };
    return typeof Message === 'string' ? Message.slice(0, 200) : undefined;
  } catch {
    return undefined;
  }
}

function toAgentError(err: unknown, endpoint: string, region: string, signal: AbortSignal): AwsRequestError {
  if (err instanceof MalformedResponseError) throw err;
  const message = err instanceof Error ? err.message : String(err);
  const httpStatus = err instanceof AgentHttpError ? err.statusCode : undefined;
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
