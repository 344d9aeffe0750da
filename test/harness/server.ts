// Listening and closing, the same for every server of the harness (stubs, proxy, agents).
import type { Server as HttpServer } from 'node:http';
import type { AddressInfo, Server } from 'node:net';

/** Listens on `host` (a free port unless `port` is given) and returns the port. */
export async function listen(server: Server, host: string, options: { port?: number; backlog?: number } = {}): Promise<number> {
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen({ port: options.port ?? 0, host, ...(options.backlog !== undefined && { backlog: options.backlog }) }, () => {
      server.off('error', reject);
      resolve();
    });
  });
  return (server.address() as AddressInfo).port;
}

/** Closes the server and every connection it holds, idle or not. */
export async function closeServer(server: HttpServer): Promise<void> {
  const closed = new Promise<void>((resolve) => server.close(() => resolve()));
  server.closeAllConnections();
  await closed;
}

/** `http://host:port`, with brackets around an IPv6 address. */
export function httpUrl(host: string, port: number, scheme = 'http'): string {
  return `${scheme}://${host.includes(':') ? `[${host}]` : host}:${port}`;
}
