// Kills the harness's child processes (and removes its temp dirs) when the test process goes away, so a failed
// or interrupted test never leaves a moto or provider process behind holding a port or a socket.
//
// Children are spawned `detached` (their own process group) so that stop() can kill the whole group; that
// also means a Ctrl-C on the terminal does not reach them, which is why we forward SIGINT/SIGTERM here.
import type { ChildProcess } from 'node:child_process';
import { rmSync } from 'node:fs';

const live = new Set<number>();
const tempDirs = new Set<string>();
let installed = false;

function killGroup(pid: number, signal: NodeJS.Signals): void {
  try {
    process.kill(-pid, signal);
  } catch {
    try {
      process.kill(pid, signal);
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
  // 'exit' handlers must be synchronous: process.kill is.
  process.on('exit', killAll);
  for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) {
    process.once(signal, () => {
      killAll();
      // Re-raise with the default behaviour so the exit status still says "killed by signal".
      process.kill(process.pid, signal);
    });
  }
}

/** Registers a detached child (a process-group leader) to be killed if the test process exits first. */
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

/** Removes `dir` if the test process exits before the owner does (call untrackTempDir once it is removed). */
export function trackTempDir(dir: string): void {
  install();
  tempDirs.add(dir);
}

export function untrackTempDir(dir: string): void {
  tempDirs.delete(dir);
}
