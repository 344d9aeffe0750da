// A real moto server (the AWS emulator) on a free loopback port, for end-to-end tests.
//
// Why `-p0`: moto's werkzeug server accepts port 0 and prints the port it got ("Running on
// http://127.0.0.1:PORT"), which avoids the race of picking a free port and binding it later.
// Why a python wrapper instead of `.venv/bin/moto_server` directly: the wrapper runs the same entry point
// (moto.server.main) but also exits when its stdin closes, so moto dies with the test process even if that
// process is SIGKILLed and cannot run its exit handlers.
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import type { Socket } from 'node:net';
import { join } from 'node:path';
import { REPO_ROOT } from './paths.js';
import { signalGroup, trackChild } from './process-cleanup.js';

export interface Moto {
  /** e.g. http://127.0.0.1:41234 */
  readonly url: string;
  readonly port: number;
  /** Milliseconds from spawn until moto answered GET /moto-api/. */
  readonly startupMs: number;
  /** Deletes every resource in every account and region (POST /moto-api/reset). */
  reset(): Promise<void>;
  /** Kills moto's process group and waits for it to exit. Idempotent. */
  stop(): Promise<void>;
  /** moto's own stdout+stderr (request log lines, tracebacks), for debugging a failing test. */
  logs(): string;
}

export interface StartMotoOptions {
  /** Project root holding `.venv`; defaults to this repository. */
  root?: string;
  /** Extra environment for moto, e.g. { MOTO_ACCOUNT_ID: '111111111111' }. */
  env?: Record<string, string>;
  timeoutMs?: number;
}

const WRAPPER = [
  'import os, sys, threading',
  'def _watch():',
  '    try:',
  '        sys.stdin.buffer.read()',
  '    finally:',
  '        os._exit(0)',
  'threading.Thread(target=_watch, daemon=True).start()',
  'from moto.server import main',
  'main(sys.argv[1:])',
].join('\n');

export async function startMoto(options: StartMotoOptions = {}): Promise<Moto> {
  const root = options.root ?? REPO_ROOT;
  const timeoutMs = options.timeoutMs ?? 30_000;
  const python = join(root, '.venv', 'bin', 'python');
  const motoServer = join(root, '.venv', 'bin', 'moto_server');
  if (!existsSync(python) || !existsSync(motoServer)) {
    throw new Error(`moto is not installed (${motoServer} is missing): run npm run setup`);
  }

  const started = Date.now();
  const env: NodeJS.ProcessEnv = { ...process.env, ...options.env, PYTHONUNBUFFERED: '1' };
  // moto must not pick up real credentials or a proxy from the developer's shell.
  for (const key of Object.keys(env)) if (key.startsWith('AWS_')) delete env[key];
  delete env.HTTP_PROXY;
  delete env.HTTPS_PROXY;
  const child = spawn(python, ['-c', WRAPPER, '-H', '127.0.0.1', '-p', '0'], {
    cwd: root,
    env,
    detached: true,
    stdio: ['pipe', 'pipe', 'pipe'],
  });
  trackChild(child);
  // A test that forgets stop() must not hang its file: let the event loop end without moto (the exit
  // handler in process-cleanup kills it then).
  child.unref();
  for (const stream of [child.stdin, child.stdout, child.stderr]) (stream as Socket | null)?.unref();

  let log = '';
  child.stdout!.setEncoding('utf8').on('data', (chunk: string) => (log += chunk));
  child.stderr!.setEncoding('utf8').on('data', (chunk: string) => (log += chunk));
  const exited = new Promise<void>((resolveExit) => child.once('exit', () => resolveExit()));

  let port: number;
  try {
    port = await waitForPort(child, () => log, timeoutMs);
    await waitForHttp(`http://127.0.0.1:${port}/moto-api/`, started + timeoutMs, () => log);
  } catch (err) {
    await kill(child, exited);
    throw err;
  }
  const url = `http://127.0.0.1:${port}`;
  const startupMs = Date.now() - started;

  let stopped = false;
  return {
    url,
    port,
    startupMs,
    async reset() {
      const res = await fetch(`${url}/moto-api/reset`, { method: 'POST' });
      if (!res.ok) throw new Error(`moto reset failed: HTTP ${res.status} ${await res.text()}`);
    },
    async stop() {
      if (stopped) return;
      stopped = true;
      await kill(child, exited);
    },
    logs: () => log,
  };
}

async function kill(child: ChildProcess, exited: Promise<void>): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  child.ref(); // keep the loop alive until the 'exit' event arrives
  signalGroup(child, 'SIGTERM');
  const timer = setTimeout(() => signalGroup(child, 'SIGKILL'), 3000);
  await exited;
  clearTimeout(timer);
}

function waitForPort(child: ChildProcess, logs: () => string, timeoutMs: number): Promise<number> {
  return new Promise((resolvePort, reject) => {
    const check = () => {
      const match = /Running on http:\/\/127\.0\.0\.1:(\d+)/.exec(logs());
      if (match) {
        done();
        resolvePort(Number(match[1]));
      }
    };
    const onExit = (code: number | null, signal: string | null) => {
      done();
      reject(new Error(`moto_server exited (code ${code}, signal ${signal}) before listening:\n${logs()}`));
    };
    const timer = setTimeout(() => {
      done();
      reject(new Error(`moto_server did not start within ${timeoutMs} ms:\n${logs()}`));
    }, timeoutMs);
    const done = () => {
      clearTimeout(timer);
      child.stdout!.off('data', check);
      child.stderr!.off('data', check);
      child.off('exit', onExit);
    };
    child.stdout!.on('data', check);
    child.stderr!.on('data', check);
    child.once('exit', onExit);
    check();
  });
}

async function waitForHttp(url: string, deadline: number, logs: () => string): Promise<void> {
  let lastError: unknown;
  while (Date.now() < deadline) {
    try {
      const res = await fetch(url);
      await res.arrayBuffer();
      if (res.ok) return;
      lastError = new Error(`HTTP ${res.status}`);
    } catch (err) {
      lastError = err;
    }
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`moto_server never answered ${url}: ${String(lastError)}\n${logs()}`);
}
