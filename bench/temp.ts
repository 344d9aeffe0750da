// Temp directories of the bench, removed when the process exits for any reason (a Ctrl-C, an error) as
// well as by their owners when they are done.
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const dirs = new Set<string>();
process.once('exit', () => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

/** A fresh directory under the system temp dir, tracked for removal at exit. */
export function makeTempDir(prefix: string): string {
  return trackTempDir(mkdtempSync(join(tmpdir(), prefix)));
}

/**
 * Like makeTempDir, on a tmpfs when the machine has one: pods' secret volumes
 * are tmpfs mounts, so file writes and fsyncs cost what they cost in a cluster.
 */
export function makeTmpfsDir(prefix: string): string {
  const base = existsSync('/dev/shm') ? '/dev/shm' : tmpdir();
  return trackTempDir(mkdtempSync(join(base, prefix)));
}

export function trackTempDir(dir: string): string {
  dirs.add(dir);
  return dir;
}

/** Removes a directory now and stops tracking it. */
export function removeTempDir(dir: string): void {
  rmSync(dir, { recursive: true, force: true });
  dirs.delete(dir);
}
