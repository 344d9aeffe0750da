// What starting either provider has in common: killing it if the bench dies,
// waiting until its socket answers Version (the same loop for both, so both
// start-up times include the same polling cost), and its start-up numbers.
import type { ChildProcess } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { performance } from 'node:perf_hooks';
import { setTimeout as sleep } from 'node:timers/promises';
import { procCpuMs, procCpuMsPrecise, procPeakRssKiB, procRssKiB } from './proc.js';
import { ProviderClient } from './provider-client.js';

export interface StartupStats {
  /** From spawn to the first answered Version call. */
  wallMs: number;
  /** utime+stime from /proc/<pid>/stat at that moment (10 ms ticks). */
  cpuMs: number;
  /** Sum of the live threads' schedstat run time at that moment (ns resolution). */
  cpuMsPrecise: number | undefined;
  rssKiB: number | undefined;
}

// Providers still running when the bench process exits (a crash, an uncaught error) are killed, so no
// orphan keeps a socket or a CPU busy.
const live = new Set<ChildProcess>();
process.once('exit', () => {
  for (const c of live) c.kill('SIGKILL');
});

export function trackLive(child: ChildProcess): void {
  live.add(child);
  child.once('exit', () => live.delete(child));
}

export function tail(file: string, lines = 15): string {
  try {
    return readFileSync(file, 'utf8').split('\n').slice(-lines).join('\n');
  } catch {
    return '';
  }
}

/** Polls until the socket answers Version; returns the connected client and the start-up numbers. */
export async function waitUntilServing(opts: {
  name: string;
  child: ChildProcess;
  socketPath: string;
  logFile: string;
  startedAt: number;
  timeoutMs?: number;
}): Promise<{ client: ProviderClient; startup: StartupStats }> {
  const { name, child, socketPath, logFile, startedAt } = opts;
  let exitInfo: string | undefined;
  child.once('exit', (code, signal) => (exitInfo = `exited with ${code ?? signal}`));
  const deadline = startedAt + (opts.timeoutMs ?? 15_000);
  let client: ProviderClient | undefined;
  try {
    for (;;) {
      if (exitInfo) throw new Error(`${name} ${exitInfo} before answering Version; log: ${logFile}\n${tail(logFile)}`);
      if (performance.now() > deadline) throw new Error(`${name} did not answer Version in time; log: ${logFile}\n${tail(logFile)}`);
      if (!existsSync(socketPath)) {
        await sleep(1);
        continue;
      }
      client ??= new ProviderClient(socketPath);
      try {
        await client.version(1000);
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
export abstract class LaunchedProvider {
  private exited = false;

  protected constructor(
    readonly child: ChildProcess,
    readonly socketPath: string,
    readonly logFile: string,
    readonly startup: StartupStats,
    readonly client: ProviderClient,
  ) {
    child.once('exit', () => (this.exited = true));
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
  logTail(lines = 15): string {
    return tail(this.logFile, lines);
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
    await this.cleanUp();
  }

  /** Removes what start() created (temp dirs, a sandbox). */
  protected abstract cleanUp(): Promise<void> | void;
}
