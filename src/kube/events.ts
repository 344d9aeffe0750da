// Warning Events on pods (--emit-events): the Event object, and posting it through
// @kubernetes/client-node's KubeConfig (its authentication and TLS) to the core/v1 events API,
// rate limited with the other Kubernetes requests. Like the reads in lookups.ts we send the one
// request ourselves instead of loading the generated CoreV1Api: its models are 4 MB of code and
// about 15 MiB of resident memory once loaded (measured), for one POST under a 100Mi limit.
import { hostname } from 'node:os';
import type { CoreV1Event } from '@kubernetes/client-node';
import { KubernetesError } from '../errors.js';
import { raceSignal } from '../util/abort.js';
import { loadKubeConfig, sendJson } from './lookups.js';
import type { TokenBucket } from './rate-limiter.js';

export const EVENT_SOURCE = 'secrets-store-csi-driver-provider-aws';
/** kubelet and the API server cut event messages at 1 KiB; so do we, rather than be refused. */
export const MAX_EVENT_MESSAGE = 1024;

/** CoreV1Api.createNamespacedEvent's shape. */
export interface EventWriter {
  createNamespacedEvent(p: { namespace: string; body: CoreV1Event }, signal: AbortSignal): Promise<unknown>;
}

export interface EventPod {
  name: string;
  namespace: string;
  uid: string;
}

/** A Warning Event about a pod, as kubelet's recorder writes one (named <pod>.<time in ns, hex>). */
export function podWarningEvent(pod: EventPod, reason: string, message: string, now: Date, instance = hostname()): CoreV1Event {
  return {
    apiVersion: 'v1',
    kind: 'Event',
    metadata: { name: `${pod.name}.${(BigInt(now.getTime()) * 1_000_000n).toString(16)}`, namespace: pod.namespace },
    involvedObject: { apiVersion: 'v1', kind: 'Pod', name: pod.name, namespace: pod.namespace, uid: pod.uid },
    reason,
    message: message.length > MAX_EVENT_MESSAGE ? `${message.slice(0, MAX_EVENT_MESSAGE - 3)}...` : message,
    type: 'Warning',
    source: { component: EVENT_SOURCE },
    reportingComponent: EVENT_SOURCE,
    reportingInstance: instance,
    firstTimestamp: now,
    lastTimestamp: now,
    count: 1,
  };
}

/** POST /api/v1/namespaces/<ns>/events with the kubeconfig (or in-cluster) credentials. */
export async function connectEventWriter(kubeconfigPath: string): Promise<EventWriter> {
  const { kc, server } = await loadKubeConfig(kubeconfigPath);
  return {
    createNamespacedEvent: ({ namespace, body }, signal) =>
      sendJson(kc, new URL(`/api/v1/namespaces/${encodeURIComponent(namespace)}/events`, server), signal, { body }),
  };
}

/** Posts events: connected on first use, each post rate limited and ended when `signal` aborts. */
export class EventPoster {
  private writer: Promise<EventWriter> | undefined;

  constructor(
    private readonly connect: () => Promise<EventWriter>,
    private readonly limiter: TokenBucket,
  ) {}

  async post(event: CoreV1Event, signal: AbortSignal): Promise<void> {
    const namespace = event.metadata.namespace ?? '';
    this.writer ??= this.connect().catch((err) => {
      this.writer = undefined;
      throw new KubernetesError(`cannot configure the Kubernetes client: ${(err as Error).message}`, undefined);
    });
    const writer = await raceSignal(this.writer, signal);
    await this.limiter.take(signal, namespace);
    try {
      await raceSignal(writer.createNamespacedEvent({ namespace, body: event }, signal), signal);
    } catch (err) {
      const status = (err as { code?: unknown }).code;
      if (typeof status === 'number') {
        const hint = status === 401 || status === 403 ? ': the provider needs create on events (emitEvents in the chart grants it)' : '';
        throw new KubernetesError(`posting event ${event.metadata.name} failed: HTTP ${status}${hint}`, status);
      }
      throw err;
    }
  }
}
