// A small HTTPS stub of the Kubernetes API for the bench: enough for a provider's in-cluster client
// (client-go's rest.InClusterConfig, or @kubernetes/client-node) to read a service account (with its
// eks.amazonaws.com/role-arn annotation), a pod (spec.nodeName) and a node (topology.kubernetes.io/region),
// and to create service-account tokens (TokenRequest) for providers that still mint them.
// It counts calls per kind of request and can add latency. Also exports makeServiceAccountJwt, which
// builds the unsigned-looking JWTs the driver would pass in csi.storage.k8s.io/serviceAccount.tokens.
import { createServer, type Server } from 'node:https';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { randomBytes, randomUUID } from 'node:crypto';
import type { TestPki } from './pki.js';

export const ROLE_ARN_ANNOTATION = 'eks.amazonaws.com/role-arn';
export const REGION_LABEL = 'topology.kubernetes.io/region';

export interface KubeStubOptions {
  /** Certificate for 127.0.0.1 and the CA that signed it. */
  pki: TestPki;
  /** Bearer token the stub expects (the in-cluster token file's content); any token if omitted. */
  token?: string;
  port?: number;
  /** Latency in ms before each response; default 0. */
  latencyMs?: number;
}

export interface KubeCounts {
  total: number;
  byKind: Record<string, number>;
  unauthorized: number;
}

interface Meta {
  uid: string;
  annotations: Record<string, string>;
  labels: Record<string, string>;
}

export class KubeStub {
  readonly port: number;
  /** KUBERNETES_SERVICE_HOST for clients. */
  readonly host = '127.0.0.1';
  readonly url: string;
  readonly caFile: string;
  latencyMs: number;
  private readonly server: Server;
  private readonly token: string | undefined;
  private readonly serviceAccounts = new Map<string, Meta>();
  private readonly pods = new Map<string, Meta & { nodeName: string; serviceAccount: string }>();
  private readonly nodes = new Map<string, Meta>();
  private kinds = new Map<string, number>();
  private total = 0;
  private unauthorized = 0;
  private readonly sockets = new Set<Socket>();

  private constructor(server: Server, port: number, opts: KubeStubOptions) {
    this.server = server;
    this.port = port;
    this.url = `https://127.0.0.1:${port}`;
    this.caFile = opts.pki.caFile;
    this.token = opts.token;
    this.latencyMs = opts.latencyMs ?? 0;
  }

  static async start(opts: KubeStubOptions): Promise<KubeStub> {
    const server = createServer({ cert: opts.pki.certPem, key: opts.pki.keyPem, keepAlive: true });
    server.keepAliveTimeout = 65_000;
    server.headersTimeout = 66_000;
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen({ port: opts.port ?? 0, host: '127.0.0.1', backlog: 1024 }, () => {
        server.off('error', reject);
        resolve();
      });
    });
    const stub = new KubeStub(server, (server.address() as AddressInfo).port, opts);
    server.on('secureConnection', (s: Socket) => {
      stub.sockets.add(s);
      s.once('close', () => stub.sockets.delete(s));
    });
    server.on('request', (req: IncomingMessage, res: ServerResponse) => stub.onRequest(req, res));
    return stub;
  }

  /** KUBERNETES_SERVICE_HOST / KUBERNETES_SERVICE_PORT for an in-cluster client. */
  serviceEnv(): Record<string, string> {
    return { KUBERNETES_SERVICE_HOST: this.host, KUBERNETES_SERVICE_PORT: String(this.port) };
  }

  addServiceAccount(namespace: string, name: string, opts: { roleArn?: string; annotations?: Record<string, string> } = {}): void {
    const annotations = { ...(opts.annotations ?? {}) };
    if (opts.roleArn) annotations[ROLE_ARN_ANNOTATION] = opts.roleArn;
    this.serviceAccounts.set(`${namespace}/${name}`, { uid: randomUUID(), annotations, labels: {} });
  }

  addPod(namespace: string, name: string, opts: { nodeName: string; serviceAccount?: string; uid?: string }): string {
    const uid = opts.uid ?? randomUUID();
    this.pods.set(`${namespace}/${name}`, {
      uid,
      annotations: {},
      labels: {},
      nodeName: opts.nodeName,
      serviceAccount: opts.serviceAccount ?? 'default',
    });
    return uid;
  }

  addNode(name: string, opts: { region?: string; labels?: Record<string, string> } = {}): void {
    const labels = { ...(opts.labels ?? {}) };
    if (opts.region) labels[REGION_LABEL] = opts.region;
    this.nodes.set(name, { uid: randomUUID(), annotations: {}, labels });
  }

  counts(): KubeCounts {
    return { total: this.total, byKind: Object.fromEntries(this.kinds), unauthorized: this.unauthorized };
  }

  resetCounts(): void {
    this.kinds = new Map();
    this.total = 0;
    this.unauthorized = 0;
  }

  async close(): Promise<void> {
    await new Promise<void>((resolve) => {
      this.server.close(() => resolve());
      for (const s of this.sockets) s.destroy();
    });
  }

  private onRequest(req: IncomingMessage, res: ServerResponse): void {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const [kind, status, body] = this.route(req, Buffer.concat(chunks).toString('utf8'));
      this.total++;
      this.kinds.set(kind, (this.kinds.get(kind) ?? 0) + 1);
      const send = () => {
        const text = JSON.stringify(body);
        res.writeHead(status, { 'Content-Type': 'application/json', 'Content-Length': Buffer.byteLength(text) });
        res.end(text);
      };
      if (this.latencyMs > 0) setTimeout(send, this.latencyMs);
      else send();
    });
  }

  private route(req: IncomingMessage, body: string): [string, number, unknown] {
    if (this.token !== undefined && req.headers['authorization'] !== `Bearer ${this.token}`) {
      this.unauthorized++;
      return ['unauthorized', 401, status(401, 'Unauthorized', 'Unauthorized')];
    }
    const path = new URL(req.url ?? '/', 'https://stub.invalid').pathname;
    const parts = path.split('/').filter(Boolean);
    // /api/v1/namespaces/{ns}/serviceaccounts/{name}[/token]
    if (parts[0] === 'api' && parts[1] === 'v1' && parts[2] === 'namespaces' && parts.length >= 6) {
      const ns = parts[3]!;
      const resource = parts[4]!;
      const name = parts[5]!;
      if (resource === 'serviceaccounts' && parts.length === 6 && req.method === 'GET') {
        const sa = this.serviceAccounts.get(`${ns}/${name}`);
        if (!sa) return ['get-serviceaccount', 404, notFound('serviceaccounts', name)];
        return ['get-serviceaccount', 200, {
          kind: 'ServiceAccount',
          apiVersion: 'v1',
          metadata: { name, namespace: ns, uid: sa.uid, annotations: sa.annotations, resourceVersion: '1' },
        }];
      }
      if (resource === 'serviceaccounts' && parts[6] === 'token' && req.method === 'POST') {
        if (!this.serviceAccounts.has(`${ns}/${name}`)) return ['create-token', 404, notFound('serviceaccounts', name)];
        let spec: { audiences?: string[]; expirationSeconds?: number; boundObjectRef?: { name?: string } } = {};
        try {
          spec = (JSON.parse(body) as { spec?: typeof spec }).spec ?? {};
        } catch {
          /* empty spec */
        }
        const ttl = spec.expirationSeconds ?? 3600;
        const audience = spec.audiences?.[0] ?? 'https://kubernetes.default.svc';
        const token = makeServiceAccountJwt({ namespace: ns, serviceAccount: name, podName: spec.boundObjectRef?.name, audience, ttlSeconds: ttl });
        return ['create-token', 201, {
          kind: 'TokenRequest',
          apiVersion: 'authentication.k8s.io/v1',
          metadata: { name, namespace: ns },
          spec,
          status: { token, expirationTimestamp: new Date(Date.now() + ttl * 1000).toISOString().replace(/\.\d{3}Z$/, 'Z') },
        }];
      }
      if (resource === 'pods' && parts.length === 6 && req.method === 'GET') {
        const pod = this.pods.get(`${ns}/${name}`);
        if (!pod) return ['get-pod', 404, notFound('pods', name)];
        return ['get-pod', 200, {
          kind: 'Pod',
          apiVersion: 'v1',
          metadata: { name, namespace: ns, uid: pod.uid, resourceVersion: '1' },
          spec: { nodeName: pod.nodeName, serviceAccountName: pod.serviceAccount, containers: [{ name: 'app', image: 'app' }] },
          status: { phase: 'Running' },
        }];
      }
    }
    // /api/v1/nodes/{name}
    if (parts[0] === 'api' && parts[1] === 'v1' && parts[2] === 'nodes' && parts.length === 4 && req.method === 'GET') {
      const name = parts[3]!;
      const node = this.nodes.get(name);
      if (!node) return ['get-node', 404, notFound('nodes', name)];
      return ['get-node', 200, {
        kind: 'Node',
        apiVersion: 'v1',
        metadata: { name, uid: node.uid, labels: node.labels, resourceVersion: '1' },
      }];
    }
    return ['other', 404, status(404, 'NotFound', `stub: no route for ${req.method} ${path}`)];
  }
}

export function startKubeStub(opts: KubeStubOptions): Promise<KubeStub> {
  return KubeStub.start(opts);
}

/**
 * A JWT shaped like a projected service-account token (the signature is random bytes; nothing here
 * verifies it). Returns the token and its RFC 3339 expiry, the two fields of serviceAccount.tokens.
 */
export function makeServiceAccountJwt(opts: {
  namespace: string;
  serviceAccount: string;
  podName?: string | undefined;
  podUid?: string | undefined;
  audience: string;
  ttlSeconds?: number;
}): string {
  const now = Math.floor(Date.now() / 1000);
  const header = { alg: 'RS256', kid: 'bench' };
  const claims: Record<string, unknown> = {
    aud: [opts.audience],
    exp: now + (opts.ttlSeconds ?? 3600),
    iat: now,
    nbf: now,
    iss: 'https://oidc.eks.stub.amazonaws.com/id/BENCH',
    sub: `system:serviceaccount:${opts.namespace}:${opts.serviceAccount}`,
    'kubernetes.io': {
      namespace: opts.namespace,
      serviceaccount: { name: opts.serviceAccount, uid: '00000000-0000-0000-0000-000000000001' },
      ...(opts.podName ? { pod: { name: opts.podName, uid: opts.podUid ?? '00000000-0000-0000-0000-000000000002' } } : {}),
    },
  };
  const enc = (o: unknown) => Buffer.from(JSON.stringify(o)).toString('base64url');
  return `${enc(header)}.${enc(claims)}.${randomBytes(64).toString('base64url')}`;
}

/**
 * The value of the csi.storage.k8s.io/serviceAccount.tokens attribute the driver would send, for the
 * two audiences the AWS provider uses.
 */
export function serviceAccountTokensAttribute(opts: {
  namespace: string;
  serviceAccount: string;
  podName?: string;
  podUid?: string;
  ttlSeconds?: number;
}): string {
  const ttl = opts.ttlSeconds ?? 3600;
  const expirationTimestamp = new Date(Date.now() + ttl * 1000).toISOString().replace(/\.\d{3}Z$/, 'Z');
  const out: Record<string, { token: string; expirationTimestamp: string }> = {};
  for (const audience of ['pods.eks.amazonaws.com', 'sts.amazonaws.com']) {
    out[audience] = { token: makeServiceAccountJwt({ ...opts, audience, ttlSeconds: ttl }), expirationTimestamp };
  }
  return JSON.stringify(out);
}

function status(code: number, reason: string, message: string): unknown {
  return { kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Failure', message, reason, code };
}

function notFound(resource: string, name: string): unknown {
  return { ...(status(404, 'NotFound', `${resource} "${name}" not found`) as object), details: { name, kind: resource } };
}
