// The operations port under abuse (red-team findings): thousands of idle,
// half-open connections, and a /metrics flood from one client while mounts
// run. The port must bound its connections, drop idle ones in seconds, keep
// the provider serving, and render /metrics at most once per second however
// often it is scraped. Mount latency with and without the flood is measured
// and reported (not asserted).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { connect, createServer, type Socket } from 'node:net';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { createPod, createSecret, mountRequest, objectsYaml, targetDir, useE2E } from './fixture.js';

/** The port's defaults (src/server/http-endpoints.ts). */
const MAX_CONNECTIONS = 64;
const IDLE_CONNECTIONS = 5000;
/** Node's listen backlog: connections the kernel has completed but the server not yet accepted. */
const LISTEN_BACKLOG = 511;
/** Connections opened at once: inside the listen backlog, so none is lost before accept. */
const CONNECT_BATCH = 250;

let port: number;

async function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const srv = createServer().listen(0, '127.0.0.1', () => {
      const { port: p } = srv.address() as { port: number };
      srv.close(() => resolve(p));
    });
  });
}

let exited = false;
const e2e = useE2E(
  async () => {
    port = await freePort();
    return { metricsAddr: `127.0.0.1:${port}` };
  },
  async ({ provider }) => {
    void provider.exited.then(() => (exited = true));
  },
);

test('5,000 idle connections: excess ones are closed at once, idle ones within the timeout; the provider keeps serving', { timeout: 60_000 }, async (t) => {
  const sockets: Socket[] = [];
  let open = 0;
  let peakOpen = 0;
  let closed = 0;
  let allClosed!: () => void;
  const everyoneClosed = new Promise<void>((resolve) => (allClosed = resolve));
  for (let i = 0; i < IDLE_CONNECTIONS; i += CONNECT_BATCH) {
    await Promise.all(
      Array.from({ length: Math.min(CONNECT_BATCH, IDLE_CONNECTIONS - i) }, () =>
        new Promise<void>((resolve) => {
          const socket = connect(port, '127.0.0.1');
          sockets.push(socket);
          let connected = false;
          socket.on('connect', () => {
            connected = true;
            open++;
            peakOpen = Math.max(peakOpen, open);
            resolve();
          });
          socket.on('error', () => resolve()); // a reset from the server; 'close' follows
          socket.on('close', () => {
            if (connected) open--;
            closed++;
            if (closed === IDLE_CONNECTIONS) allClosed();
          });
        }),
      ),
    );
  }
  // With the port full of idle connections, the gRPC socket answers.
  const version = await e2e.provider.client.version();
  assert.equal(version.runtime_name, 'secrets-store-csi-driver-provider-aws');
  // We never end a socket: every 'close' is the server's doing.
  await everyoneClosed;
  t.diagnostic(`${IDLE_CONNECTIONS} idle connections, at most ${peakOpen} open at once`);
  assert.equal(closed, IDLE_CONNECTIONS);
  assert.equal(exited, false, 'the provider is still running');
  // Our view runs ahead of the server's accept loop by at most the backlog and one batch.
  assert.ok(
    peakOpen <= MAX_CONNECTIONS + LISTEN_BACKLOG + CONNECT_BATCH,
    `at most ${MAX_CONNECTIONS} connections are held (plus those not yet accepted); peak ${peakOpen} of ${IDLE_CONNECTIONS}`,
  );
  for (const s of sockets) assert.equal(s.destroyed, true);
  // The port serves again once the idle connections are gone.
  assert.equal((await fetch(`http://127.0.0.1:${port}/readyz`)).status, 200);
  assert.equal((await e2e.provider.client.version()).runtime_name, 'secrets-store-csi-driver-provider-aws');
});

test('requests are GET or HEAD without a body', async () => {
  const post = await fetch(`http://127.0.0.1:${port}/metrics`, { method: 'POST', body: 'x' });
  assert.equal(post.status, 405);
  assert.equal(post.headers.get('allow'), 'GET, HEAD');
  const withBody = await rawRequest(`GET /metrics HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\n\r\nhello`);
  assert.match(withBody, /^HTTP\/1\.1 413 /);
  assert.match(withBody, /connection: close/i);
  const head = await fetch(`http://127.0.0.1:${port}/metrics`, { method: 'HEAD' });
  assert.equal(head.status, 200);
  assert.equal(await head.text(), '');
});

/** Sends raw bytes, returns everything the server writes until it closes the connection. */
function rawRequest(bytes: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = connect(port, '127.0.0.1', () => socket.write(bytes));
    let out = '';
    socket.setEncoding('utf8').on('data', (d: string) => (out += d));
    socket.on('close', () => resolve(out));
    socket.on('error', reject);
  });
}

/**
 * A client in its own process (so it does not share our event loop): `clients` keep-alive
 * connections each scraping /metrics back to back until its stdin closes. It prints "flooding" once
 * under way, then JSON stats: scrapes, failures, distinct bodies (a body is one render: the
 * registry's process CPU and memory samples change from one render to the next) and elapsed ms.
 */
const FLOOD_CLIENT = `
const http = require('node:http');
const { createHash } = require('node:crypto');
const [port, clients] = process.argv.slice(1).map(Number);
const agent = new http.Agent({ keepAlive: true, maxSockets: clients });
let stopping = false, scrapes = 0, failures = 0, announced = false;
const bodies = new Set();
const started = Date.now();
const scrape = () => new Promise((resolve) => {
  http.get({ host: '127.0.0.1', port, path: '/metrics', agent }, (res) => {
    const hash = createHash('sha256');
    res.on('data', (c) => hash.update(c));
    res.on('end', () => {
      if (res.statusCode === 200) { scrapes++; bodies.add(hash.digest('hex')); } else failures++;
      if (!announced && scrapes >= clients) { announced = true; process.stdout.write('flooding\\n'); }
      resolve();
    });
  }).on('error', () => { failures++; resolve(); });
});
const worker = async () => { while (!stopping) await scrape(); };
const workers = Array.from({ length: clients }, worker);
process.stdin.resume();
process.stdin.on('end', async () => {
  stopping = true;
  await Promise.all(workers);
  process.stdout.write(JSON.stringify({ scrapes, failures, distinctBodies: bodies.size, elapsedMs: Date.now() - started }) + '\\n');
  agent.destroy();
});
`;

interface FloodStats {
  scrapes: number;
  failures: number;
  distinctBodies: number;
  elapsedMs: number;
}

function startFlood(clients: number) {
  const child = spawn(process.execPath, ['-e', FLOOD_CLIENT, String(port), String(clients)], { stdio: ['pipe', 'pipe', 'inherit'] });
  let out = '';
  const flooding = new Promise<void>((resolve, reject) => {
    child.stdout.setEncoding('utf8').on('data', (d: string) => {
      out += d;
      if (out.includes('flooding\n')) resolve();
    });
    child.once('exit', (code) => reject(new Error(`flood client exited (${code}) before flooding`)));
  });
  const stop = async (): Promise<FloodStats> => {
    const exit = new Promise((resolve) => child.once('exit', resolve));
    child.stdin.end();
    await exit;
    return JSON.parse(out.split('\n').find((l) => l.startsWith('{'))!) as FloodStats;
  };
  return { flooding, stop };
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)]!;
}

test('a /metrics flood from 50 keep-alive clients: mounts succeed, and /metrics is rendered at most once per second', { timeout: 120_000 }, async (t) => {
  await createSecret(e2e.env, 'us-east-1', 'ops/db', 'flood-proof');
  const pod = createPod(e2e.env);
  const mounts = 40;
  const mountOnce = async () => {
    const target = targetDir();
    const started = performance.now();
    await e2e.provider.client.mount(mountRequest(e2e.env, { pod, target, parameters: { region: 'us-east-1', objects: objectsYaml([{ objectName: 'ops/db', objectType: 'secretsmanager' }]) } }));
    const ms = performance.now() - started;
    assert.equal(readFileSync(join(target, 'ops_db'), 'utf8'), 'flood-proof');
    return ms;
  };
  await mountOnce(); // warm: credentials cached, SDK loaded
  const quiet: number[] = [];
  for (let i = 0; i < mounts; i++) quiet.push(await mountOnce());

  const flood = startFlood(50);
  await flood.flooding;
  const flooded: number[] = [];
  for (let i = 0; i < mounts; i++) flooded.push(await mountOnce());
  const probes = await Promise.all(Array.from({ length: 10 }, () => fetch(`http://127.0.0.1:${port}/healthz`).then(async (r) => `${r.status} ${(await r.text()).trim()}`)));
  const stats = await flood.stop();

  const report = `mount p50 ${median(quiet).toFixed(1)} ms without the flood, ${median(flooded).toFixed(1)} ms with it; ` +
    `${stats.scrapes} scrapes in ${stats.elapsedMs} ms (${Math.round(stats.scrapes / (stats.elapsedMs / 1000))}/s), ${stats.distinctBodies} renders`;
  t.diagnostic(report);
  process.stdout.write(`# ${report}\n`);
  assert.deepEqual(new Set(probes), new Set(['200 SERVING']), 'the liveness probe answers during the flood');
  assert.equal(stats.failures, 0, '50 clients are within the connection limit');
  assert.ok(stats.scrapes >= 100, `the flood scraped ${stats.scrapes} times`);
  const seconds = Math.ceil(stats.elapsedMs / 1000);
  assert.ok(stats.distinctBodies <= seconds + 2, `${stats.distinctBodies} distinct renders in ${seconds} s of flooding`);
  assert.ok(stats.distinctBodies * 10 <= stats.scrapes, `${stats.scrapes} scrapes shared ${stats.distinctBodies} renders`);
  assert.equal(exited, false);
});
