// A tiny Kubernetes API server for the tests and the bench, serving what a provider reads: a service account
// (IRSA role ARN annotation), a pod (its node) and a node (its region label), plus TokenRequest
// (POST .../serviceaccounts/<name>/token) for a provider that mints tokens itself, and core/v1 Events
// (POST .../events), which it records for the tests to read. Objects live in memory and
// come back in the real API's shape, with a real `Status` object on errors, so @kubernetes/client-node and
// client-go parse them as they would against a cluster.
//
// Plain HTTP by default, reached through `kubeconfigPath`. Why `insecure-skip-tls-verify: true` there:
// @kubernetes/client-node 1.x refuses an http:// server unless skipTLSVerify is set. With `pki` it serves
// HTTPS, for in-cluster clients too (`serviceEnv()`, and the CA as the service account's ca.crt).
// With `token` it answers 401 to any other bearer token, as an API server does; without, the kubeconfig
// carries a dummy token so the client sends an Authorization header (recorded, not checked).
import { randomUUID } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import http, { type IncomingMessage, type ServerResponse } from 'node:http';
import https from 'node:https';
import { join } from 'node:path';
import { makePodToken, rfc3339 } from './attributes.js';
import type { TestPki } from './pki.js';
import { makeTempDir, removeTempDir } from './process-cleanup.js';
import { closeServer, httpUrl, listen } from './server.js';

export const ROLE_ARN_ANNOTATION = 'eks.amazonaws.com/role-arn';
export const REGION_LABEL = 'topology.kubernetes.io/region';

export type KubeResource = 'serviceaccounts' | 'pods' | 'nodes' | 'serviceaccounts/token' | 'events';

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

export interface KubeApiOptions {
  /** Serve HTTPS with this server certificate; the kubeconfig names its CA. Default: plain HTTP. */
  pki?: TestPki;
  /** The bearer token clients must present; default: any (the kubeconfig gets a dummy one). */
  token?: string;
  /** Delay before every answer, ms; default 0. */
  latencyMs?: number;
}

export interface KubeApi {
  readonly url: string;
  /** Path of a kubeconfig file pointing at this server (in a temp dir removed by stop()). */
  readonly kubeconfigPath: string;
  /** The bearer token written into the kubeconfig. */
  readonly token: string;
  /** KUBERNETES_SERVICE_HOST / KUBERNETES_SERVICE_PORT for an in-cluster client (with `pki`). */
  serviceEnv(): Record<string, string>;
  addServiceAccount(namespace: string, name: string, annotations?: Record<string, string>): void;
  addPod(namespace: string, name: string, nodeName: string, options?: { serviceAccountName?: string; uid?: string }): void;
  addNode(name: string, labels?: Record<string, string>): void;
  /** Events posted (POST /api/v1/namespaces/<ns>/events), as received, in order. */
  events(): Array<Record<string, any>>;
  /** Makes requests for `resource` fail with a Kubernetes Status error. */
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

interface Route {
  resource: KubeResource | 'other';
  namespace: string;
  name: string;
}

const DUMMY_TOKEN = 'harness-dummy-token';
const HOST = '127.0.0.1';

export async function startKubeApi(options: KubeApiOptions = {}): Promise<KubeApi> {
  const serviceAccounts = new Map<string, object>();
  const pods = new Map<string, object>();
  const nodes = new Map<string, object>();
  let failures: ActiveFailure[] = [];
  let log: KubeRequestRecord[] = [];
  let events: Array<Record<string, any>> = [];
  let resourceVersion = 1000;
  const nextVersion = () => String(++resourceVersion);
  const token = options.token ?? DUMMY_TOKEN;

  const answer = (req: IncomingMessage, route: Route, body: string): [number, object] => {
    const { resource, namespace, name } = route;
    if (options.token !== undefined && req.headers['authorization'] !== `Bearer ${options.token}`) {
      return [401, status(401, 'Unauthorized', 'Unauthorized')];
    }
    if (resource === 'other') {
      return [404, status(404, 'NotFound', 'the server could not find the requested resource')];
    }
    if (req.method !== (resource === 'serviceaccounts/token' || resource === 'events' ? 'POST' : 'GET')) {
      return [405, status(405, 'MethodNotAllowed', `${req.method} is not supported by the harness`)];
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
      return [code, status(code, reasonFor(code), `injected failure for ${resource} ${name}`)];
    }
    if (resource === 'serviceaccounts/token') {
      if (!serviceAccounts.has(key(namespace, name))) return [404, notFound('serviceaccounts', name)];
      return [201, tokenRequest(namespace, name, body)];
    }
    if (resource === 'events') return createEvent(namespace, body);
    const store = resource === 'serviceaccounts' ? serviceAccounts : resource === 'pods' ? pods : nodes;
    const obj = store.get(key(namespace, name));
    return obj ? [200, obj] : [404, notFound(resource, name)];
  };

  /** What the API server checks of a core/v1 Event, then stored with server-set metadata. */
  const createEvent = (namespace: string, body: string): [number, object] => {
    let event: Record<string, any>;
    try {
      event = JSON.parse(body) as Record<string, any>;
    } catch {
      return [400, status(400, 'BadRequest', 'the body is not JSON')];
    }
    const problems = [
      event.kind === 'Event' && event.apiVersion === 'v1' ? '' : 'kind/apiVersion must be Event/v1',
      event.metadata?.name ? '' : 'metadata.name: Required value',
      (event.metadata?.namespace ?? namespace) === namespace ? '' : 'metadata.namespace: does not match the namespace of the request',
      event.involvedObject?.namespace === namespace ? '' : 'involvedObject.namespace: does not match event.namespace',
      event.type === 'Normal' || event.type === 'Warning' ? '' : 'type: Unsupported value',
    ].filter(Boolean);
    if (problems.length) return [422, status(422, 'Invalid', `Event "${event.metadata?.name ?? ''}" is invalid: ${problems.join(', ')}`)];
    const stored = { ...event, metadata: { ...event.metadata, namespace, uid: randomUUID(), resourceVersion: nextVersion(), creationTimestamp: rfc3339(new Date()) } };
    events.push(stored);
    return [201, stored];
  };

  const onRequest = (req: IncomingMessage, res: ServerResponse) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const path = new URL(req.url ?? '/', 'http://localhost').pathname;
      const route = routeOf(path);
      const [code, body] = answer(req, route, Buffer.concat(chunks).toString('utf8'));
      log.push({ ...route, method: req.method ?? '', path, status: code, authorization: req.headers['authorization'] ?? '' });
      const send = () => {
        const text = JSON.stringify(body);
        res.writeHead(code, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text) });
        res.end(text);
      };
      if (options.latencyMs) setTimeout(send, options.latencyMs);
      else send();
    });
  };

  const server = options.pki
    ? https.createServer({ cert: options.pki.certPem, key: options.pki.keyPem, keepAlive: true }, onRequest)
    : http.createServer({ keepAlive: true }, onRequest);
  // Clients (client-go above all) keep their connections; a short server timeout would add handshakes.
  server.keepAliveTimeout = 65_000;
  server.headersTimeout = 66_000;
  const port = await listen(server, HOST, { backlog: 1024 });
  const url = httpUrl(HOST, port, options.pki ? 'https' : 'http');

  const dir = makeTempDir('kube-harness-');
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
      options.pki ? `    certificate-authority: ${options.pki.caFile}` : '    insecure-skip-tls-verify: true',
      'users:',
      '- name: harness',
      '  user:',
      `    token: ${token}`,
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

  const metadata = (namespace: string, name: string, extra: object = {}) => ({
    name,
    ...(namespace ? { namespace } : {}),
    uid: randomUUID(),
    resourceVersion: nextVersion(),
    creationTimestamp: rfc3339(new Date()),
    ...extra,
  });

  return {
    url,
    kubeconfigPath,
    token,
    serviceEnv: () => ({ KUBERNETES_SERVICE_HOST: HOST, KUBERNETES_SERVICE_PORT: String(port) }),
    addServiceAccount(namespace, name, annotations = {}) {
      serviceAccounts.set(key(namespace, name), {
        apiVersion: 'v1',
        kind: 'ServiceAccount',
        metadata: metadata(namespace, name, Object.keys(annotations).length ? { annotations } : {}),
      });
    },
    addPod(namespace, name, nodeName, podOptions = {}) {
      pods.set(key(namespace, name), {
        apiVersion: 'v1',
        kind: 'Pod',
        metadata: metadata(namespace, name, podOptions.uid ? { uid: podOptions.uid } : {}),
        spec: {
          nodeName,
          serviceAccountName: podOptions.serviceAccountName ?? 'default',
          containers: [{ name: 'app', image: 'public.ecr.aws/docker/library/busybox:latest' }],
        },
        status: { phase: 'Pending' },
      });
    },
    addNode(name, labels = {}) {
      nodes.set(key('', name), {
        apiVersion: 'v1',
        kind: 'Node',
        metadata: metadata('', name, { labels: { 'kubernetes.io/hostname': name, 'kubernetes.io/os': 'linux', ...labels } }),
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
    events: () => [...events],
    resetCounts() {
      log = [];
    },
    reset() {
      serviceAccounts.clear();
      pods.clear();
      nodes.clear();
      failures = [];
      log = [];
      events = [];
    },
    async stop() {
      await closeServer(server);
      removeTempDir(dir);
    },
  };
}

/** /api/v1/namespaces/{ns}/{serviceaccounts|pods}/{name}, .../serviceaccounts/{name}/token, /api/v1/nodes/{name}, /api/v1/namespaces/{ns}/events. */
function routeOf(path: string): Route {
  const events = /^\/api\/v1\/namespaces\/([^/]+)\/events$/.exec(path);
  if (events) return { resource: 'events', namespace: decodeURIComponent(events[1]!), name: '' };
  const namespaced = /^\/api\/v1\/namespaces\/([^/]+)\/(serviceaccounts|pods)\/([^/]+)(\/token)?$/.exec(path);
  if (namespaced && !(namespaced[4] && namespaced[2] === 'pods')) {
    return {
      resource: namespaced[4] ? 'serviceaccounts/token' : (namespaced[2] as KubeResource),
      namespace: decodeURIComponent(namespaced[1]!),
      name: decodeURIComponent(namespaced[3]!),
    };
  }
  const node = /^\/api\/v1\/nodes\/([^/]+)$/.exec(path);
  if (node) return { resource: 'nodes', namespace: '', name: decodeURIComponent(node[1]!) };
  return { resource: 'other', namespace: '', name: '' };
}

/** A TokenRequest's answer: a JWT for the requested audience and lifetime, bound to the pod it names. */
function tokenRequest(namespace: string, serviceAccount: string, body: string): object {
  let spec: { audiences?: string[]; expirationSeconds?: number; boundObjectRef?: { name?: string; uid?: string } } = {};
  try {
    spec = (JSON.parse(body) as { spec?: typeof spec }).spec ?? {};
  } catch {
    // no spec: the defaults below
  }
  const ttl = spec.expirationSeconds ?? 3600;
  const pod = {
    namespace,
    name: spec.boundObjectRef?.name ?? '',
    uid: spec.boundObjectRef?.uid ?? randomUUID(),
    serviceAccountName: serviceAccount,
  };
  return {
    kind: 'TokenRequest',
    apiVersion: 'authentication.k8s.io/v1',
    metadata: { name: serviceAccount, namespace },
    spec,
    status: {
      token: makePodToken(pod, { audience: spec.audiences?.[0] ?? 'https://kubernetes.default.svc', expiresInSec: ttl }),
      expirationTimestamp: rfc3339(new Date(Date.now() + ttl * 1000)),
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
