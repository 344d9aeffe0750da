// The orphan guard of the tests and the bench: child processes and temp dirs registered here are killed and
// removed when this process goes away (a normal exit, an uncaught error, SIGINT/SIGTERM/SIGHUP), so a failed
// or interrupted run never leaves a provider, moto or stub process behind holding a port or a socket.
//
// A child spawned `detached` (its own process group) is killed with its whole group; that also means a Ctrl-C
// on the terminal does not reach it, which is why the signals are forwarded here. The registry is module
// state because what it answers to, this process's exit, is process-wide.
import type { ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const live = new Set<number>();
const tempDirs = new Set<string>();
let installed = false;

function killGroup(pid: number, signal: NodeJS.Signals): void {
  try {
    process.kill(-pid, signal);
  } catch {
    try {
      process.kill(pid, signal); // not a group leader (spawned without `detached`)
    } catch {
      // already gone
    }
  }
}

function killAll(): void {
  for (const pid of live) killGroup(pid, 'SIGKILL');
  live.clear();
  for (const dir of tempDirs) rmSync(dir, { recursive: true, force: true });
  tempDirs.clear();
}

function install(): void {
  if (installed) return;
  installed = true;
  // 'exit' handlers must be synchronous: process.kill and rmSync are.
  process.on('exit', killAll);
  for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) {
    process.once(signal, () => {
      killAll();
      // Re-raise with the default behaviour so the exit status still says "killed by signal".
      process.kill(process.pid, signal);
    });
  }
}

/** Registers a child to be killed (with its group, if it leads one) if this process exits first. */
export function trackChild(child: ChildProcess): void {
  if (child.pid === undefined) return;
  install();
  const pid = child.pid;
  live.add(pid);
  child.once('exit', () => live.delete(pid));
}

/** Sends `signal` to the child's whole process group (falls back to the pid alone). */
export function signalGroup(child: ChildProcess, signal: NodeJS.Signals): void {
  if (child.pid !== undefined) killGroup(child.pid, signal);
}

/**
 * A fresh directory, removed at exit unless removeTempDir removes it first. With `tmpfs`, on /dev/shm when
 * the machine has it: pods' secret volumes are tmpfs mounts, so writes and fsyncs cost what they do there.
 */
export function makeTempDir(prefix: string, options: { tmpfs?: boolean } = {}): string {
  install();
  const base = options.tmpfs && existsSync('/dev/shm') ? '/dev/shm' : tmpdir();
  const dir = mkdtempSync(join(base, prefix));
  tempDirs.add(dir);
  return dir;
}

export function removeTempDir(dir: string): void {
  rmSync(dir, { recursive: true, force: true });
  tempDirs.delete(dir);
}
