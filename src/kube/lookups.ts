// The Kubernetes reads a mount needs: the IRSA role annotation of the pod's
// service account, and the region label of the pod's node. Reads go through
// @kubernetes/client-node (loaded on first use: it is the heaviest module we
// have), are rate limited, and cached briefly per object.
import { request as httpRequest } from 'node:http';
import { request as httpsRequest, type RequestOptions } from 'node:https';
import { ExpiringCache } from '../cache.js';
import { KubernetesError, PreconditionError } from '../errors.js';
import { noopObserver, type Observer } from '../metrics.js';
import type { TokenBucket } from './rate-limiter.js';

export const ROLE_ARN_ANNOTATION = 'eks.amazonaws.com/role-arn';
export const REGION_LABEL = 'topology.kubernetes.io/region';

/** The slice of CoreV1Api we use, so tests and callers agree on a small surface. */
export interface CoreV1Reader {
  readNamespacedServiceAccount(p: { name: string; namespace: string }): Promise<{ metadata?: { annotations?: Record<string, string> } }>;
  readNamespacedPod(p: { name: string; namespace: string }): Promise<{ spec?: { nodeName?: string } }>;
  readNode(p: { name: string }): Promise<{ metadata?: { labels?: Record<string, string> } }>;
}

export interface KubeLookupOptions {
  /** How long a service account's role annotation is trusted. */
  serviceAccountTtlMs?: number;
  /** Pods do not move and node labels hardly change: cache longer. */
  placementTtlMs?: number;
  requestTimeoutMs?: number;
}

export class KubeLookups {
  private readonly roleArns = new ExpiringCache<string | undefined>(4096);
  private readonly podNodes = new ExpiringCache<string>(4096);
  private readonly nodeRegions = new ExpiringCache<string | undefined>(256);
  private client: Promise<CoreV1Reader> | undefined;
  private readonly serviceAccountTtlMs: number;
  private readonly placementTtlMs: number;
  private readonly requestTimeoutMs: number;

  constructor(
    private readonly connect: () => Promise<CoreV1Reader>,
    private readonly limiter: TokenBucket,
    options: KubeLookupOptions = {},
    private readonly observer: Observer = noopObserver,
  ) {
    this.serviceAccountTtlMs = options.serviceAccountTtlMs ?? 30_000;
    this.placementTtlMs = options.placementTtlMs ?? 10 * 60_000;
    this.requestTimeoutMs = options.requestTimeoutMs ?? 10_000;
  }

  /** The IAM role of a service account; PreconditionError when it has none. */
  async roleArn(namespace: string, serviceAccount: string): Promise<string> {
    const arn = await this.roleArns.get(`${namespace}/${serviceAccount}`, async () => {
      const sa = await this.read('serviceaccounts', `service account ${serviceAccount} (namespace: ${namespace})`, (api) =>
        api.readNamespacedServiceAccount({ name: serviceAccount, namespace }),
      );
      const value = sa.metadata?.annotations?.[ROLE_ARN_ANNOTATION] || undefined;
      // A missing annotation is cached briefly: users fix it and expect the next mount to work.
      return { value, expiresAt: Date.now() + (value ? this.serviceAccountTtlMs : 5_000) };
    });
    if (!arn) {
      throw new PreconditionError(
        `An IAM role must be associated with service account ${serviceAccount} (namespace: ${namespace}): ` +
          `annotate it with ${ROLE_ARN_ANNOTATION}, or set usePodIdentity: "true" to use EKS Pod Identity`,
      );
    }
    return arn;
  }

  /** The region label of the node the pod runs on. */
  async nodeRegion(namespace: string, podName: string, podUid: string): Promise<string> {
    if (!namespace || !podName) {
      throw new PreconditionError('no region given (region parameter or AWS_REGION) and the pod name/namespace attributes are missing, so the node region cannot be looked up');
    }
    const nodeName = await this.podNodes.get(`${namespace}/${podName}/${podUid}`, async () => {
      const pod = await this.read('pods', `pod ${podName} (namespace: ${namespace})`, (api) => api.readNamespacedPod({ name: podName, namespace }));
      const node = pod.spec?.nodeName;
      if (!node) throw new PreconditionError(`pod ${podName} (namespace: ${namespace}) is not scheduled on a node yet`);
      return { value: node, expiresAt: Date.now() + this.placementTtlMs };
    });
    const region = await this.nodeRegions.get(nodeName, async () => {
      const node = await this.read('nodes', `node ${nodeName}`, (api) => api.readNode({ name: nodeName }));
      const value = node.metadata?.labels?.[REGION_LABEL] || undefined;
      return { value, expiresAt: Date.now() + (value ? this.placementTtlMs : 5_000) };
    });
    if (!region) {
      throw new PreconditionError(`node ${nodeName} has no ${REGION_LABEL} label: set the region parameter in the SecretProviderClass`);
    }
    return region;
  }

  private async read<T>(resource: string, what: string, call: (api: CoreV1Reader) => Promise<T>): Promise<T> {
    this.client ??= this.connect().catch((err) => {
      this.client = undefined;
      throw new KubernetesError(`cannot configure the Kubernetes client: ${(err as Error).message}`, undefined);
    });
    const api = await this.client;
    await this.limiter.take();
    let timer: NodeJS.Timeout | undefined;
    try {
      const result = await Promise.race([
        call(api),
        new Promise<never>((_, reject) => {
          timer = setTimeout(() => reject(Object.assign(new Error('timed out'), { timeout: true })), this.requestTimeoutMs);
        }),
      ]);
      this.observer.kubernetesRequest(resource, 'ok');
      return result;
    } catch (err) {
      const error = toKubernetesError(err, what);
      this.observer.kubernetesRequest(resource, error.httpStatus === 404 ? 'not_found' : 'error');
      throw error;
    } finally {
      clearTimeout(timer);
    }
  }
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
  const { KubeConfig } = await import('./kubeconfig.js');
  const kc = new KubeConfig();
  if (kubeconfigPath) kc.loadFromFile(kubeconfigPath);
  else kc.loadFromCluster();
  const server = kc.getCurrentCluster()?.server;
  if (!server) throw new Error('the kubeconfig has no current cluster');
  const get = (path: string) => getJson(kc, new URL(path, server));
  const seg = encodeURIComponent;
  return {
    readNamespacedServiceAccount: ({ name, namespace }) => get(`/api/v1/namespaces/${seg(namespace)}/serviceaccounts/${seg(name)}`),
    readNamespacedPod: ({ name, namespace }) => get(`/api/v1/namespaces/${seg(namespace)}/pods/${seg(name)}`),
    readNode: ({ name }) => get(`/api/v1/nodes/${seg(name)}`),
  };
}

/** Errors carry `code` = HTTP status, like client-node's ApiException. */
async function getJson(kc: { applyToHTTPSOptions(o: RequestOptions): Promise<void> }, url: URL): Promise<never> {
  const options: RequestOptions = { method: 'GET', headers: { Accept: 'application/json' } };
  await kc.applyToHTTPSOptions(options);
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
    req.end();
  });
}
