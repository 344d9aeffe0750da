// The Kubernetes reads a mount needs: the IRSA role annotation of the pod's
// service account, and the region label of the pod's node. Reads go through
// @kubernetes/client-node (loaded on first use: it is the heaviest module we
// have), are rate limited fairly per namespace, and cached briefly per object;
// "not found" answers too, so a flood of mounts naming a service account that
// does not exist costs one read per NOT_FOUND_TTL_MS, not one per mount.
import { request as httpRequest } from 'node:http';
import { request as httpsRequest, type RequestOptions } from 'node:https';
import { ExpiringCache, type Expiring } from '../cache.js';
import type { MountRecord } from '../context.js';
import { KubernetesError, MissingIdentityError, SetupError, TransientError } from '../errors.js';
import { abortError, raceSignal } from '../util/abort.js';
import type { TokenBucket } from './rate-limiter.js';

export const ROLE_ARN_ANNOTATION = 'eks.amazonaws.com/role-arn';
export const REGION_LABEL = 'topology.kubernetes.io/region';
/** How long a 404 (service account, pod, node) or a missing annotation/label is trusted: users fix these and retry. */
const NOT_FOUND_TTL_MS = 5_000;

/** The slice of CoreV1Api we use, so tests and callers agree on a small surface. Readers should end the request when signal aborts. */
export interface CoreV1Reader {
  readNamespacedServiceAccount(p: { name: string; namespace: string }, signal?: AbortSignal): Promise<{ metadata?: { annotations?: Record<string, string> } }>;
  readNamespacedPod(p: { name: string; namespace: string }, signal?: AbortSignal): Promise<{ spec?: { nodeName?: string } }>;
  readNode(p: { name: string }, signal?: AbortSignal): Promise<{ metadata?: { labels?: Record<string, string> } }>;
}

export interface KubeLookupOptions {
  /** How long a service account's role annotation is trusted. */
  serviceAccountTtlMs?: number;
  /** Pods do not move and node labels hardly change: cache longer. */
  placementTtlMs?: number;
  /** Time limit of one API request, from its rate-limit token to its answer, whoever waits for it. */
  requestTimeoutMs?: number;
}

/**
 * Whose read this is: the mount's signal (it stops waiting when it aborts) and where the
 * API requests are recorded (the context of the mount that makes a shared read).
 */
export interface ReadScope {
  signal: AbortSignal;
  record?: MountRecord;
}

/** A read's answer as cached: the object, or the message of its 404. */
type Answer<T> = { found: T } | { notFound: string };

export class KubeLookups {
  private readonly serviceAccounts = new ExpiringCache<Answer<string | undefined>>(4096);
  private readonly podNodes = new ExpiringCache<Answer<string>>(4096);
  private readonly nodeRegions = new ExpiringCache<Answer<string | undefined>>(256);
  private client: Promise<CoreV1Reader> | undefined;
  private readonly serviceAccountTtlMs: number;
  private readonly placementTtlMs: number;
  private readonly requestTimeoutMs: number;

  constructor(
    private readonly connect: () => Promise<CoreV1Reader>,
    private readonly limiter: TokenBucket,
    options: KubeLookupOptions = {},
  ) {
    this.serviceAccountTtlMs = options.serviceAccountTtlMs ?? 30_000;
    this.placementTtlMs = options.placementTtlMs ?? 10 * 60_000;
    this.requestTimeoutMs = options.requestTimeoutMs ?? 10_000;
  }

  /**
   * The IAM role of a service account; MissingIdentityError when it has none.
   * Rejects with an AbortError as soon as signal aborts.
   */
  async roleArn(namespace: string, serviceAccount: string, { signal, record }: ReadScope): Promise<string> {
    const what = `service account ${serviceAccount} (namespace: ${namespace})`;
    const answer = await this.serviceAccounts.get(
      `${namespace}/${serviceAccount}`,
      async (shared) => {
        const read = await this.read('serviceaccounts', what, namespace, shared, record, (api, s) =>
          api.readNamespacedServiceAccount({ name: serviceAccount, namespace }, s),
        );
        if ('notFound' in read) return notFound(read);
        const arn = read.found.metadata?.annotations?.[ROLE_ARN_ANNOTATION] || undefined;
        return { value: { found: arn }, expiresAt: Date.now() + (arn ? this.serviceAccountTtlMs : NOT_FOUND_TTL_MS) };
      },
      signal,
    );
    const arn = unwrap(answer);
    if (!arn) {
      throw new MissingIdentityError(
        `An IAM role must be associated with ${what}: ` +
          `annotate it with ${ROLE_ARN_ANNOTATION}, or set usePodIdentity: "true" to use EKS Pod Identity`,
      );
    }
    return arn;
  }

  /** The region label of the node the pod runs on. Rejects with an AbortError as soon as signal aborts. */
  async nodeRegion(namespace: string, podName: string, podUid: string, { signal, record }: ReadScope): Promise<string> {
    if (!namespace || !podName) {
      throw new SetupError('no region given (region parameter or AWS_REGION) and the pod name/namespace attributes are missing, so the node region cannot be looked up');
    }
    const podWhat = `pod ${podName} (namespace: ${namespace})`;
    const nodeName = unwrap(
      await this.podNodes.get(
        `${namespace}/${podName}/${podUid}`,
        async (shared) => {
          const read = await this.read('pods', podWhat, namespace, shared, record, (api, s) => api.readNamespacedPod({ name: podName, namespace }, s));
          if ('notFound' in read) return notFound(read);
          const node = read.found.spec?.nodeName;
          if (!node) throw new TransientError(`${podWhat} is not scheduled on a node yet`);
          return { value: { found: node }, expiresAt: Date.now() + this.placementTtlMs };
        },
        signal,
      ),
    );
    // Nodes are shared by every namespace; the read is queued under the namespace of the mount that asks first.
    const region = unwrap(
      await this.nodeRegions.get(
        nodeName,
        async (shared) => {
          const read = await this.read('nodes', `node ${nodeName}`, namespace, shared, record, (api, s) => api.readNode({ name: nodeName }, s));
          if ('notFound' in read) return notFound(read);
          const value = read.found.metadata?.labels?.[REGION_LABEL] || undefined;
          return { value: { found: value }, expiresAt: Date.now() + (value ? this.placementTtlMs : NOT_FOUND_TTL_MS) };
        },
        signal,
      ),
    );
    if (!region) {
      throw new SetupError(`node ${nodeName} has no ${REGION_LABEL} label: set the region parameter in the SecretProviderClass`);
    }
    return region;
  }

  /**
   * One rate-limited GET. `shared` aborts when every mount waiting for this read has gone: the
   * read then leaves the rate limiter's queue, or its request is ended. The request itself has
   * its own time limit, whoever waits for it. A 404 is an answer (cached), not an error.
   */
  private async read<T>(
    resource: string,
    what: string,
    fairnessKey: string,
    shared: AbortSignal,
    record: MountRecord | undefined,
    call: (api: CoreV1Reader, signal: AbortSignal) => Promise<T>,
  ): Promise<Answer<T>> {
    this.client ??= this.connect().catch((err) => {
      this.client = undefined;
      throw new KubernetesError(`cannot configure the Kubernetes client: ${(err as Error).message}`, undefined);
    });
    const api = await raceSignal(this.client, shared);
    await this.limiter.take(shared, fairnessKey);
    const signal = AbortSignal.any([shared, AbortSignal.timeout(this.requestTimeoutMs)]);
    try {
      const result = await raceSignal(call(api, signal), signal);
      record?.kubernetesRead(resource, 'ok');
      return { found: result };
    } catch (err) {
      if (shared.aborted) {
        record?.kubernetesRead(resource, 'error');
        throw abortError();
      }
      const error = signal.aborted
        ? new KubernetesError(`failed to read ${what} from the Kubernetes API: no answer within ${this.requestTimeoutMs / 1000} s`, undefined)
        : toKubernetesError(err, what);
      if (error.httpStatus === 404) {
        record?.kubernetesRead(resource, 'not_found');
        return { notFound: error.message };
      }
      record?.kubernetesRead(resource, 'error');
      throw error;
    }
  }
}

function notFound<T>(answer: { notFound: string }): Expiring<Answer<T>> {
  return { value: answer, expiresAt: Date.now() + NOT_FOUND_TTL_MS };
}

/** The found object, or a fresh KubernetesError (404) per caller: errors are not shared between mounts. */
function unwrap<T>(answer: Answer<T>): T {
  if ('notFound' in answer) throw new KubernetesError(answer.notFound, 404);
  return answer.found;
}

function toKubernetesError(err: unknown, what: string): KubernetesError {
  const code = (err as { code?: unknown }).code;
  const status = typeof code === 'number' && code >= 100 && code < 600 ? code : undefined;
  if (status === 404) return new KubernetesError(`${what} not found`, 404);
  if (status === 401 || status === 403) {
    return new KubernetesError(`the provider is not allowed to read ${what} (HTTP ${status}): check its RBAC`, status);
  }
  const reason = status ? `HTTP ${status}` : ((err as Error).message ?? 'unreachable').split('\n')[0]!.slice(0, 200);
  return new KubernetesError(`failed to read ${what} from the Kubernetes API: ${reason}`, status);
}

/**
 * A CoreV1Reader over @kubernetes/client-node's KubeConfig: it loads the
 * kubeconfig or in-cluster config and applies its authentication and TLS to
 * each request. We issue the three GETs ourselves rather than load the
 * generated CoreV1Api, whose model classes cost ~25 MiB of resident memory
 * for reads we make with one line each.
 */
export async function connectCoreV1(kubeconfigPath: string): Promise<CoreV1Reader> {
  const { kc, server } = await loadKubeConfig(kubeconfigPath);
  const get = (path: string, signal: AbortSignal | undefined) => sendJson(kc, new URL(path, server), signal);
  const seg = encodeURIComponent;
  return {
    readNamespacedServiceAccount: ({ name, namespace }, signal) => get(`/api/v1/namespaces/${seg(namespace)}/serviceaccounts/${seg(name)}`, signal),
    readNamespacedPod: ({ name, namespace }, signal) => get(`/api/v1/namespaces/${seg(namespace)}/pods/${seg(name)}`, signal),
    readNode: ({ name }, signal) => get(`/api/v1/nodes/${seg(name)}`, signal),
  };
}

/** The kubeconfig file, or the in-cluster configuration, with client-node's KubeConfig. */
export async function loadKubeConfig(kubeconfigPath: string) {
  const { KubeConfig } = await import('./kubeconfig.js');
  const kc = new KubeConfig();
  if (kubeconfigPath) kc.loadFromFile(kubeconfigPath);
  else kc.loadFromCluster();
  const server = kc.getCurrentCluster()?.server;
  if (!server) throw new Error('the kubeconfig has no current cluster');
  return { kc, server };
}

/** One request with the kubeconfig's authentication and TLS. Errors carry `code` = HTTP status, like client-node's ApiException. */
export async function sendJson(
  kc: { applyToHTTPSOptions(o: RequestOptions): Promise<void> },
  url: URL,
  signal: AbortSignal | undefined,
  post?: { body: unknown },
): Promise<never> {
  const options: RequestOptions = {
    method: post ? 'POST' : 'GET',
    headers: { Accept: 'application/json', ...(post && { 'Content-Type': 'application/json' }) },
  };
  await kc.applyToHTTPSOptions(options);
  if (signal) options.signal = signal;
  const send = url.protocol === 'https:' ? httpsRequest : httpRequest;
  return new Promise((resolve, reject) => {
    const req = send(url, options, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('error', reject);
      res.on('end', () => {
        const status = res.statusCode ?? 0;
        const body = Buffer.concat(chunks).toString('utf8');
        if (status < 200 || status >= 300) {
          reject(Object.assign(new Error(`HTTP ${status}`), { code: status }));
          return;
        }
        try {
          resolve(JSON.parse(body) as never);
        } catch {
          reject(Object.assign(new Error('the Kubernetes API returned invalid JSON'), { code: 502 }));
        }
      });
    });
    req.on('error', reject);
    req.end(post ? JSON.stringify(post.body) : undefined);
  });
}
