// The operations port (--metrics-addr): /metrics for Prometheus, /healthz
// (asks the gRPC health service through the provider socket, so it fails when
// the socket or the server is wedged), /readyz (ready once the socket serves).
import { createServer, type Server as HttpServer } from 'node:http';
import { credentials, makeClientConstructor, type Client } from '@grpc/grpc-js';
import type { Registry } from 'prom-client';
import { healthService } from './proto.js';

export interface EndpointsOptions {
  socketPath: string;
  registry: Registry;
  /** True once the socket is bound and until draining starts. */
  ready: () => boolean;
}

type HealthClient = Client & {
  Check(req: { service: string }, opts: { deadline: number }, cb: (err: Error | null, res?: { status: string }) => void): void;
};

export function createEndpoints({ socketPath, registry, ready }: EndpointsOptions): HttpServer {
  let health: HealthClient | undefined;
  const checkSocket = () =>
    new Promise<string>((resolve) => {
      health ??= new (makeClientConstructor(healthService(), 'Health'))(`unix://${socketPath}`, credentials.createInsecure()) as unknown as HealthClient;
      health.Check({ service: '' }, { deadline: Date.now() + 2000 }, (err, res) => resolve(err ? `error: ${err.message}` : (res?.status ?? 'UNKNOWN')));
    });

  const server = createServer((req, res) => {
    const path = (req.url ?? '/').split('?')[0];
    const reply = (status: number, body: string, type = 'text/plain; charset=utf-8') => {
      res.writeHead(status, { 'Content-Type': type }).end(body);
    };
    if (req.method !== 'GET' && req.method !== 'HEAD') return reply(405, 'method not allowed\n');
    if (path === '/metrics') {
      registry.metrics().then((text) => reply(200, text, registry.contentType), (err: Error) => reply(500, `${err.message}\n`));
    } else if (path === '/healthz') {
      checkSocket().then((status) => reply(status === 'SERVING' ? 200 : 503, `${status}\n`));
    } else if (path === '/readyz') {
      reply(ready() ? 200 : 503, ready() ? 'ready\n' : 'not ready\n');
    } else {
      reply(404, 'not found\n');
    }
  });
  server.on('close', () => health?.close());
  return server;
}

/** ":8989" -> all interfaces, port 8989; "127.0.0.1:9000"; "[::1]:9000". */
export function parseListenAddress(addr: string): { host: string | undefined; port: number } {
  const m = /^(?:\[([^\]]+)\]|([^:]*)):(\d+)$/.exec(addr);
  if (!m) throw new Error(`invalid listen address "${addr}": use host:port or :port`);
  const port = Number(m[3]);
  if (port > 65535) throw new Error(`invalid port in "${addr}"`);
  return { host: m[1] ?? (m[2] || undefined), port };
}
