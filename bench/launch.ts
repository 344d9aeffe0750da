// What starting either provider has in common: its log in a file (not a pipe the bench would have to drain
// on its own event loop), the orphan guard, waiting until its socket answers Version (the same loop for
// both, so both start-up times include the same polling cost), and its start-up numbers.
import { spawn, type ChildProcess } from 'node:child_process';
import { closeSync, existsSync, openSync, readFileSync } from 'node:fs';
import { performance } from 'node:perf_hooks';
import { setTimeout as sleep } from 'node:timers/promises';
import { connectProvider, type ProviderClient } from '../test/harness/grpc-client.js';
import { trackChild } from '../test/harness/process-cleanup.js';
import type { Confinement } from './cgroup.js';
import { procCpuMs, procCpuMsPrecise, procPeakRssKiB, procRssKiB } from './proc.js';

export interface StartupStats {
  /** From spawn to the first answered Version call. */
  wallMs: number;
  /** utime+stime from /proc/<pid>/stat at that moment (10 ms ticks). */
  cpuMs: number;
  /** Sum of the live threads' schedstat run time at that moment (ns resolution). */
  cpuMsPrecise: number | undefined;
  rssKiB: number | undefined;
}

export interface LaunchOptions {
  /** For messages: 'our provider', 'Go provider'. */
  name: string;
  command: string;
  args: string[];
  env: NodeJS.ProcessEnv;
  cwd?: string;
  socketPath: string;
  logFile: string;
  readyTimeoutMs?: number;
  /** Removes what the caller made for this process (temp dirs); runs once it has exited, or failed to serve. */
  cleanUp(): Promise<void> | void;
  /** Runs the process inside this (a cgroup with the budget's limits); released after cleanUp. */
  confine?: Confinement | undefined;
}

/** The caller's clean-up, then the confinement's release, even if the first fails. */
async function finish(opts: LaunchOptions): Promise<void> {
  try {
    await opts.cleanUp();
  } finally {
    await opts.confine?.release();
  }
}

/** Spawns the provider, waits until it answers Version, and measures its start-up. */
export async function launchProvider(opts: LaunchOptions): Promise<LaunchedProvider> {
  const log = openSync(opts.logFile, 'a');
  const startedAt = performance.now();
  const [command, args] = opts.confine ? opts.confine.wrap(opts.command, opts.args) : [opts.command, opts.args];
  const child = spawn(command, args, { cwd: opts.cwd, env: opts.env, stdio: ['ignore', log, log] });
  closeSync(log);
  trackChild(child);
  try {
    const { client, startup } = await waitUntilServing(opts, child, startedAt);
    return new LaunchedProvider(child, opts, startup, client);
  } catch (err) {
    await finish(opts);
    throw err;
  }
}

function tail(file: string, lines = 15): string {
  try {
    return readFileSync(file, 'utf8').split('\n').slice(-lines).join('\n');
  } catch {
    return '';
  }
}

/** Polls until the socket answers Version; returns the connected client and the start-up numbers. */
async function waitUntilServing(
  opts: LaunchOptions,
  child: ChildProcess,
  startedAt: number,
): Promise<{ client: ProviderClient; startup: StartupStats }> {
  const { name, socketPath, logFile } = opts;
  let exitInfo: string | undefined;
  child.once('exit', (code, signal) => (exitInfo = `exited with ${code ?? signal}`));
  const deadline = startedAt + (opts.readyTimeoutMs ?? 15_000);
  let client: ProviderClient | undefined;
  try {
    for (;;) {
      if (exitInfo) throw new Error(`${name} ${exitInfo} before answering Version; log: ${logFile}\n${tail(logFile)}`);
      if (performance.now() > deadline) throw new Error(`${name} did not answer Version in time; log: ${logFile}\n${tail(logFile)}`);
      if (!existsSync(socketPath)) {
        await sleep(1);
        continue;
      }
      client ??= connectProvider(socketPath);
      try {
        await client.version({}, { deadlineMs: 1000 });
        break;
      } catch {
        // Listening but not serving yet, or the channel is backing off: start over with a fresh channel.
        client.close();
        client = undefined;
        await sleep(2);
      }
    }
  } catch (err) {
    client?.close();
    child.kill('SIGKILL');
    throw err;
  }
  const wallMs = performance.now() - startedAt;
  const pid = child.pid!;
  return { client: client!, startup: { wallMs, cpuMs: procCpuMs(pid), cpuMsPrecise: procCpuMsPrecise(pid), rssKiB: procRssKiB(pid) } };
}

/** A provider process the bench started: its numbers from /proc, its log, and a graceful stop. */
export class LaunchedProvider {
  private exited = false;
  /** How the process ended ("exit 0", "SIGKILL"), once it has. */
  exitInfo: string | undefined;
  readonly socketPath: string;
  readonly logFile: string;

  constructor(
    private readonly child: ChildProcess,
    private readonly opts: LaunchOptions,
    readonly startup: StartupStats,
    readonly client: ProviderClient,
  ) {
    this.socketPath = opts.socketPath;
    this.logFile = opts.logFile;
    child.once('exit', (code, signal) => {
      this.exited = true;
      this.exitInfo = signal ?? `exit ${code}`;
    });
  }

  get pid(): number {
    return this.child.pid!;
  }
  cpuMs(): number {
    return procCpuMs(this.pid);
  }
  cpuMsPrecise(): number | undefined {
    return procCpuMsPrecise(this.pid);
  }
  rssKiB(): number | undefined {
    return procRssKiB(this.pid);
  }
  peakRssKiB(): number | undefined {
    return procPeakRssKiB(this.pid);
  }

  /** SIGTERM (the provider stops gracefully and removes its socket), SIGKILL after timeoutMs, then clean-up. */
  async stop(timeoutMs = 5000): Promise<void> {
    this.client.close();
    if (!this.exited) {
      const exited = new Promise<void>((resolve) => this.child.once('exit', () => resolve()));
      this.child.kill('SIGTERM');
      const timer = setTimeout(() => this.child.kill('SIGKILL'), timeoutMs);
      await exited;
      clearTimeout(timer);
    }
    await finish(this.opts);
  }
}
