// A tiny Kubernetes API server (plain HTTP) serving the three reads the provider makes: a service account
// (IRSA role ARN annotation), a pod (its node) and a node (its region label). Objects live in memory and
// come back in the real API's shape, with a real `Status` object on 404, so @kubernetes/client-node parses
// them as it would against a cluster.
//
// Why `insecure-skip-tls-verify: true` in the kubeconfig: @kubernetes/client-node 1.x refuses an http://
// server unless skipTLSVerify is set. The dummy bearer token makes the client send an Authorization header
// as it would in a cluster (the stub records it but does not check it).
import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { trackTempDir, untrackTempDir } from './process-cleanup.js';

export type KubeResource = 'serviceaccounts' | 'pods' | 'nodes';

export interface KubeRequestRecord {
  method: string;
  path: string;
  resource: KubeResource | 'other';
  namespace: string;
  name: string;
  status: number;
  /** The Authorization header the client sent ('' if none). */
  authorization: string;
}

export interface KubeFailure {
  /** HTTP status to answer with (default 500). */
  status?: number;
  /** Only for this namespace / name (absent = any). */
  namespace?: string;
  name?: string;
  /** Fail this many matching requests, then serve normally. Absent = forever. */
  times?: number;
}

export interface KubeApi {
  readonly url: string;
  /** Path of a kubeconfig file pointing at this server (in a temp dir removed by stop()). */
  readonly kubeconfigPath: string;
  /** The dummy bearer token written into the kubeconfig. */
  readonly token: string;
  addServiceAccount(namespace: string, name: string, annotations?: Record<string, string>): void;
  addPod(namespace: string, name: string, nodeName: string, options?: { serviceAccountName?: string; uid?: string }): void;
  addNode(name: string, labels?: Record<string, string>): void;
  /** Makes reads of `resource` fail with a Kubernetes Status error. */
  failResource(resource: KubeResource, failure?: KubeFailure): void;
  clearFailures(): void;
  /** Number of requests for `resource` (optionally one object). */
  count(resource: KubeResource, filter?: { namespace?: string; name?: string }): number;
  requests(): KubeRequestRecord[];
  resetCounts(): void;
  /** Forgets every object, failure and request. */
  reset(): void;
  stop(): Promise<void>;
}

interface ActiveFailure extends KubeFailure {
  resource: KubeResource;
  hitCount: number;
}

const DUMMY_TOKEN = 'harness-dummy-token';

export async function startKubeApi(): Promise<KubeApi> {
  const serviceAccounts = new Map<string, object>();
  const pods = new Map<string, object>();
  const nodes = new Map<string, object>();
  let failures: ActiveFailure[] = [];
  let log: KubeRequestRecord[] = [];
  let resourceVersion = 1000;
  const nextVersion = () => String(++resourceVersion);
  const created = () => new Date().toISOString().replace(/\.\d{3}Z$/, 'Z');

  const server = http.createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://localhost');
    const send = (status: number, body: object, record: Omit<KubeRequestRecord, 'status'>) => {
      log.push({ ...record, status });
      const text = JSON.stringify(body);
      res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text) });
      res.end(text);
    };
    const base = {
      method: req.method ?? '',
      path: url.pathname,
      authorization: req.headers['authorization'] ?? '',
    };

    // /api/v1/namespaces/{ns}/{serviceaccounts|pods}/{name}  or  /api/v1/nodes/{name}
    const namespaced = /^\/api\/v1\/namespaces\/([^/]+)\/(serviceaccounts|pods)\/([^/]+)$/.exec(url.pathname);
    const node = /^\/api\/v1\/nodes\/([^/]+)$/.exec(url.pathname);
    let resource: KubeResource;
    let namespace = '';
    let name: string;
    if (namespaced) {
      namespace = decodeURIComponent(namespaced[1]!);
      resource = namespaced[2] as KubeResource;
      name = decodeURIComponent(namespaced[3]!);
    } else if (node) {
      resource = 'nodes';
      name = decodeURIComponent(node[1]!);
    } else {
      return send(404, status(404, 'NotFound', `the server could not find the requested resource`), {
        ...base,
        resource: 'other',
        namespace: '',
        name: '',
      });
    }
    const record = { ...base, resource, namespace, name };
    if (req.method !== 'GET') {
      return send(405, status(405, 'MethodNotAllowed', `${req.method} is not supported by the harness`), record);
    }

    const failure = failures.find(
      (f) =>
        f.resource === resource &&
        (f.namespace === undefined || f.namespace === namespace) &&
        (f.name === undefined || f.name === name) &&
        (f.times === undefined || f.hitCount < f.times),
    );
    if (failure) {
      failure.hitCount++;
      const code = failure.status ?? 500;
      return send(code, status(code, reasonFor(code), `injected failure for ${resource} ${name}`), record);
    }

    const store = resource === 'serviceaccounts' ? serviceAccounts : resource === 'pods' ? pods : nodes;
    const obj = store.get(key(namespace, name));
    if (!obj) {
      return send(404, notFound(resource, name), record);
    }
    send(200, obj, record);
  });

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;

  const dir = mkdtempSync(join(tmpdir(), 'kube-harness-'));
  trackTempDir(dir);
  const kubeconfigPath = join(dir, 'kubeconfig');
  writeFileSync(
    kubeconfigPath,
    [
      'apiVersion: v1',
      'kind: Config',
      'clusters:',
      '- name: harness',
      '  cluster:',
      `    server: ${url}`,
      '    insecure-skip-tls-verify: true',
      'users:',
      '- name: harness',
      '  user:',
      `    token: ${DUMMY_TOKEN}`,
      'contexts:',
      '- name: harness',
      '  context:',
      '    cluster: harness',
      '    user: harness',
      '    namespace: default',
      'current-context: harness',
      '',
    ].join('\n'),
  );

  return {
    url,
    kubeconfigPath,
    token: DUMMY_TOKEN,
    addServiceAccount(namespace, name, annotations = {}) {
      serviceAccounts.set(key(namespace, name), {
        apiVersion: 'v1',
        kind: 'ServiceAccount',
        metadata: {
          name,
          namespace,
          uid: randomUUID(),
          resourceVersion: nextVersion(),
          creationTimestamp: created(),
          ...(Object.keys(annotations).length ? { annotations } : {}),
        },
      });
    },
    addPod(namespace, name, nodeName, options = {}) {
      pods.set(key(namespace, name), {
        apiVersion: 'v1',
        kind: 'Pod',
        metadata: {
          name,
          namespace,
          uid: options.uid ?? randomUUID(),
          resourceVersion: nextVersion(),
          creationTimestamp: created(),
        },
        spec: {
          nodeName,
          serviceAccountName: options.serviceAccountName ?? 'default',
          containers: [{ name: 'app', image: 'public.ecr.aws/docker/library/busybox:latest' }],
        },
        status: { phase: 'Pending' },
      });
    },
    addNode(name, labels = {}) {
      nodes.set(key('', name), {
        apiVersion: 'v1',
        kind: 'Node',
        metadata: {
          name,
          uid: randomUUID(),
          resourceVersion: nextVersion(),
          creationTimestamp: created(),
          labels: { 'kubernetes.io/hostname': name, 'kubernetes.io/os': 'linux', ...labels },
        },
        spec: {},
        status: {},
      });
    },
    failResource(resource, failure = {}) {
      failures.push({ ...failure, resource, hitCount: 0 });
    },
    clearFailures() {
      failures = [];
    },
    count(resource, filter = {}) {
      return log.filter(
        (r) =>
          r.resource === resource &&
          (filter.namespace === undefined || filter.namespace === r.namespace) &&
          (filter.name === undefined || filter.name === r.name),
      ).length;
    },
    requests: () => [...log],
    resetCounts() {
      log = [];
    },
    reset() {
      serviceAccounts.clear();
      pods.clear();
      nodes.clear();
      failures = [];
      log = [];
    },
    async stop() {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
      rmSync(dir, { recursive: true, force: true });
      untrackTempDir(dir);
    },
  };
}

function key(namespace: string, name: string): string {
  return `${namespace}/${name}`;
}

function status(code: number, reason: string, message: string, details?: object): object {
  return {
    kind: 'Status',
    apiVersion: 'v1',
    metadata: {},
    status: 'Failure',
    message,
    reason,
    ...(details ? { details } : {}),
    code,
  };
}

/** Exactly what the API server says for a missing object, e.g. `serviceaccounts "app" not found`. */
function notFound(resource: string, name: string): object {
  return status(404, 'NotFound', `${resource} "${name}" not found`, { name, kind: resource });
}

function reasonFor(code: number): string {
  switch (code) {
    case 401:
      return 'Unauthorized';
    case 403:
      return 'Forbidden';
    case 404:
      return 'NotFound';
    case 429:
      return 'TooManyRequests';
    case 503:
      return 'ServiceUnavailable';
    default:
      return 'InternalError';
  }
}
