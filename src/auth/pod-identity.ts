// EKS Pod Identity: the node's agent exchanges the pod's pods.eks.amazonaws.com
// token for credentials. We choose the endpoint: IPv4 or IPv6 as preferred, or
// IPv4 then IPv6 (auto); a timeout, refusal, reset or 5xx of the first moves on
// to the second. Each attempt is one call through the AwsPort.
// On a fresh node (EKS Auto Mode above all) the agent may not listen yet when
// the first pods mount: a round that fails transiently on every endpoint is
// repeated with backoff for up to `waitMs` (30 s by default), within the
// mount's deadline, before the mount fails saying the agent was unreachable
// and for how long. A 4xx is the agent's answer and is never repeated.
import { classifyFailure, sanitizeMessage } from '../aws/classify.js';
import { AgentHttpError, type AwsPort, type FetchedCredentials } from '../aws/port.js';
import type { MountContext } from '../context.js';
import { AwsRequestError, ContextError, MalformedResponseError } from '../errors.js';
import type { AddressPreference } from '../plan/request.js';
import { RetriesExhaustedError, retryTransient, type RetryOptions } from '../util/retry.js';

export interface PodIdentityEndpoints {
  ipv4: string;
  ipv6: string;
  timeoutMs: number;
  /** How long to keep trying an agent that refuses, resets, times out or answers 5xx (0: one round). */
  waitMs?: number;
}

/** --pod-identity-agent-wait's default. */
export const DEFAULT_AGENT_WAIT_MS = 30_000;

/**
 * Rounds over the endpoints while the agent is not ready: at most 250 ms before the second round,
 * doubling up to 2 s (full jitter), until waitMs has passed or the mount's deadline is 1 s away.
 */
const AGENT_RETRY: RetryOptions = { attempts: Number.POSITIVE_INFINITY, baseDelayMs: 250, maxDelayMs: 2_000, minAttemptMs: 0 };
/** Room the mount keeps after the agent wait, to report the failure before its deadline. */
const MOUNT_MARGIN_MS = 1_000;

/**
 * The agent's credentials: rounds over the endpoints until one answers, a 4xx, waitMs, or the
 * deadline of the mount that started the load (`ctx`; `signal` is the shared load's).
 */
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
  const waitMs = endpoints.waitMs ?? DEFAULT_AGENT_WAIT_MS;
  const started = Date.now();
  const budget = { signal, deadlineAt: Math.min(started + waitMs, ctx.deadlineAt - MOUNT_MARGIN_MS) };
  try {
    return await retryTransient((round) => fetchOnce(port, endpoints, order, token, region, signal, ctx, round), budget, AGENT_RETRY);
  } catch (err) {
    if (!(err instanceof RetriesExhaustedError)) throw err;
    const state = err.last instanceof AwsRequestError && err.last.details.failureClass === 'network' ? 'unreachable' : 'failing';
    const elapsed = ((Date.now() - started) / 1000).toFixed(1);
    throw new ContextError(
      `the EKS Pod Identity agent (${order.join(', ')}) was ${state} for ${elapsed}s (${err.attempts} round${err.attempts === 1 ? '' : 's'}): is the eks-pod-identity-agent add-on running on the node?`,
      err,
    );
  }
}

/** One round: each endpoint in order, the next one after a transient failure. */
async function fetchOnce(
  port: AwsPort,
  endpoints: PodIdentityEndpoints,
  order: string[],
  token: string,
  region: string,
  signal: AbortSignal,
  ctx: MountContext,
  round: number,
): Promise<FetchedCredentials> {
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
      if (round === 1 && i < order.length - 1) ctx.log.warn({ error: lastError.message }, `Pod Identity agent ${endpoint} failed; trying the next endpoint`);
    }
  }
  if (round === 1) ctx.log.warn({ error: lastError!.message }, 'Pod Identity agent not answering (it may still be starting); trying again with backoff');
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
