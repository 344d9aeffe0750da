// The operations port (--metrics-addr): /metrics for Prometheus, /healthz
// (asks the gRPC health service through the provider socket, so it fails when
// the socket or the server is wedged), /readyz (ready once the socket serves).
// The port shares the event loop with mounts, so it is bounded: few
// connections, short timeouts so idle or half-open connections are dropped in
// seconds, no request bodies, and answers that are cheap however often they
// are asked for (/metrics is rendered at most once per second and /healthz
// asks the socket at most once per second, both shared by concurrent callers).
import type { IncomingMessage, Server as HttpServer } from 'node:http';
import { createRequire } from 'node:module';
import { credentials, makeClientConstructor, type Client } from '@grpc/grpc-js';
import type { Registry } from 'prom-client';
import { ExpiringCache } from '../cache.js';
import { healthService } from './proto.js';

export interface EndpointLimits {
  /** Connections open at once; more are closed as soon as they are accepted. */
  maxConnections: number;
  /** Time to receive a request's headers, from the connection or the previous request. */
  headersTimeoutMs: number;
  /** Time to receive a whole request. */
  requestTimeoutMs: number;
  /** How long a kept-alive connection may wait for its next request. */
  keepAliveTimeoutMs: number;
  /** A connection with no traffic either way for this long is closed (half-open connections). */
  idleTimeoutMs: number;
  /** How long a rendered /metrics text, or a /healthz answer, is served to later callers. */
  answerCacheMs: number;
}

export const DEFAULT_ENDPOINT_LIMITS: EndpointLimits = {
  maxConnections: 64,
  headersTimeoutMs: 5_000,
  requestTimeoutMs: 10_000,
  keepAliveTimeoutMs: 5_000,
  idleTimeoutMs: 5_000,
  answerCacheMs: 1_000,
};

export interface EndpointsOptions {
  socketPath: string;
  /** The metrics registry (loaded with the mount pipeline, after start-up). */
  metrics: () => Promise<Registry>;
  /** True once the socket is bound and until draining starts. */
  ready: () => boolean;
  limits?: Partial<EndpointLimits>;
}

// require(), not an ES import: node:http's ES-module facade reads every export at import, and its
// lazy WebSocket/EventSource getters load undici (~20 ms of CPU at start-up, measured).
const { createServer } = createRequire(import.meta.url)('node:http') as typeof import('node:http');

type HealthClient = Client & {
  Check(req: { service: string }, opts: { deadline: number }, cb: (err: Error | null, res?: { status: string }) => void): void;
};

/** Scrapers and probes send a few short headers; Node's defaults (16 KiB, 2,000 headers) are far more. */
const MAX_HEADER_BYTES = 8 * 1024;
const MAX_HEADERS = 32;
const HEALTH_CHECK_DEADLINE_MS = 2_000;

export function createEndpoints({ socketPath, metrics, ready, limits: overrides }: EndpointsOptions): HttpServer {
  const limits = { ...DEFAULT_ENDPOINT_LIMITS, ...overrides };
  let health: HealthClient | undefined;
  const checkSocket = () =>
    new Promise<string>((resolve) => {
      health ??= new (makeClientConstructor(healthService(), 'Health'))(`unix://${socketPath}`, credentials.createInsecure()) as unknown as HealthClient;
      health.Check({ service: '' }, { deadline: Date.now() + HEALTH_CHECK_DEADLINE_MS }, (err, res) => resolve(err ? `error: ${err.message}` : (res?.status ?? 'UNKNOWN')));
    });
  // One entry each: concurrent callers share one render or check (single flight), later ones
  // get its answer until it is answerCacheMs old.
  const answers = new ExpiringCache<string>(2);
  let contentType = 'text/plain; version=0.0.4; charset=utf-8';
  const metricsText = () =>
    answers.get('metrics', async () => {
      const registry = await metrics();
      contentType = registry.contentType;
      return { value: await registry.metrics(), expiresAt: Date.now() + limits.answerCacheMs };
    });
  const socketStatus = () => answers.get('healthz', async () => ({ value: await checkSocket(), expiresAt: Date.now() + limits.answerCacheMs }));

  const server = createServer(
    {
      headersTimeout: limits.headersTimeoutMs,
      requestTimeout: limits.requestTimeoutMs,
      keepAliveTimeout: limits.keepAliveTimeoutMs,
      // Node checks the two timeouts above only this often (default 30 s).
      connectionsCheckingInterval: Math.min(1_000, limits.headersTimeoutMs),
      maxHeaderSize: MAX_HEADER_BYTES,
    },
    (req, res) => {
      const path = (req.url ?? '/').split('?')[0];
      const reply = (status: number, body: string, headers: Record<string, string> = {}) => {
        res.writeHead(status, { 'Content-Type': 'text/plain; charset=utf-8', ...headers }).end(body);
      };
      // Nothing here reads a body: close the connection rather than read or skip one.
      const refuse = (status: number, body: string, headers: Record<string, string> = {}) => {
        res.shouldKeepAlive = false;
        reply(status, body, { Connection: 'close', ...headers });
      };
      if (req.method !== 'GET' && req.method !== 'HEAD') return refuse(405, 'method not allowed\n', { Allow: 'GET, HEAD' });
      if (hasBody(req)) return refuse(413, 'request bodies are not accepted\n');
      if (path === '/metrics') {
        metricsText().then(
          (text) => reply(200, text, { 'Content-Type': contentType }),
          (err: Error) => reply(500, `${err.message}\n`),
        );
      } else if (path === '/healthz') {
        socketStatus().then(
          (status) => reply(status === 'SERVING' ? 200 : 503, `${status}\n`),
          (err: Error) => reply(503, `error: ${err.message}\n`),
        );
      } else if (path === '/readyz') {
        const isReady = ready();
        reply(isReady ? 200 : 503, isReady ? 'ready\n' : 'not ready\n');
      } else {
        reply(404, 'not found\n');
      }
    },
  );
  server.maxConnections = limits.maxConnections;
  server.maxHeadersCount = MAX_HEADERS;
  // With no 'timeout' listener, Node destroys a socket idle for this long.
  server.timeout = limits.idleTimeoutMs;
  server.on('close', () => health?.close());
  return server;
}

function hasBody(req: IncomingMessage): boolean {
  const length = req.headers['content-length'];
  return req.headers['transfer-encoding'] !== undefined || (length !== undefined && length !== '0');
}

/** ":8989" -> all interfaces, port 8989; "127.0.0.1:9000"; "[::1]:9000". */
export function parseListenAddress(addr: string): { host: string | undefined; port: number } {
  const m = /^(?:\[([^\]]+)\]|([^:]*)):(\d+)$/.exec(addr);
  if (!m) throw new Error(`invalid listen address "${addr}": use host:port or :port`);
  const port = Number(m[3]);
  if (port > 65535) throw new Error(`invalid port in "${addr}"`);
  return { host: m[1] ?? (m[2] || undefined), port };
}
