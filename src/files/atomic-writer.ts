// Provider-writes mode. Every file goes to a temp file in its final directory
// (exact mode via fchmod, so the umask does not matter) and is fsynced; only
// when ALL files are staged are they renamed into place. A failure or an abort
// before the renames leaves the target as it was: the temp files and the
// directories this call created are removed. Nothing below the target is
// followed if it is a symbolic link (target-dirs.ts; O_NOFOLLOW; rename
// replaces a link at a file's own name instead of writing through it).
// A file whose bytes and mode are already in place is not rewritten, and after
// every successful mount the target directory's mtime is set to now: driver
// v1.6 decides whether to call the provider again on a kubelet republish only by
// that mtime (it waits for mtime + rotation-poll-interval), and a directory's
// mtime moves only when an entry directly in it is created, renamed or removed.
// Without the touch, a mount whose files are unchanged (or changed only in
// subdirectories) would be called again on every republish, about once a minute.
import { constants, realpath as realpathCallback, type Stats } from 'node:fs';
import { lstat, open, readFile, rename, rm, stat, utimes } from 'node:fs/promises';
import { promisify } from 'node:util';
import { basename, dirname, join } from 'node:path';
import { TargetPathError } from '../errors.js';
import { abortError } from '../util/abort.js';
import type { MountedFile } from './mounted-files.js';
import { prepareDirectories, removeCreatedDirectories } from './target-dirs.js';
import { removeStaleTempFiles, tempFileName } from './temp-files.js';
import { systemWriteError, writeError } from './write-error.js';

export { TEMP_FILE_PREFIX } from './temp-files.js';

const NEW_FILE_FLAGS = constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL | constants.O_NOFOLLOW;

interface Staged {
  file: MountedFile;
  temp: string;
  final: string;
  renamed: boolean;
}

export async function writeFilesAtomically(targetDir: string, files: readonly MountedFile[], signal: AbortSignal): Promise<void> {
  if (signal.aborted) throw abortError();
  for (const file of files) checkFile(targetDir, file);
  const root = await resolveTargetDir(targetDir);
  const created: string[] = [];
  const staged: Staged[] = [];
  let complete = false;
  let changed: readonly MountedFile[] = [];
  try {
    await prepareDirectories(root, targetDir, files.map((f) => f.path), created);
    // rename() cannot replace a directory: find that out before writing anything.
    const existing = await Promise.all(files.map((file) => checkReplaceable(root, targetDir, file)));
    const unchanged = await Promise.all(files.map((file, i) => isUnchanged(root, file, existing[i])));
    changed = files.filter((_, i) => !unchanged[i]);
    // Stage every changed file at once; wait for all of them (even after a failure) so
    // the clean-up below sees every temp file that was created.
    const results = await Promise.allSettled(changed.map((file) => stage(root, targetDir, file, signal, staged)));
    const failed = results.find((r): r is PromiseRejectedResult => r.status === 'rejected');
    if (failed) throw signal.aborted ? abortError() : failed.reason;
    for (const s of staged) {
      if (signal.aborted) throw abortError(); // the driver has given up: leave its volume alone
      await rename(s.temp, s.final).catch((err: unknown) => {
        throw systemWriteError(targetDir, s.file.path, err);
      });
      s.renamed = true;
    }
    complete = true;
  } finally {
    await Promise.all(staged.filter((s) => !s.renamed).map((s) => rm(s.temp, { force: true }).catch(() => undefined)));
    if (!complete) await removeCreatedDirectories(created);
  }
  const now = new Date();
  await utimes(root, now, now).catch((err: unknown) => {
    throw systemWriteError(targetDir, '.', err);
  });
  // Only when this mount wrote something: a killed provider leaves temp files only next to a file it
  // was replacing, which then still holds its old bytes, so the next mount rewrites it and sweeps.
  // Remounts with nothing new (most of them) read no directory at all.
  if (changed.length > 0) await removeStaleTempFilesAround(root, changed);
}

/** The file is already there with these bytes and this mode (a regular file, never followed). */
async function isUnchanged(root: string, file: MountedFile, existing: Stats | undefined): Promise<boolean> {
  if (!existing?.isFile() || (existing.mode & 0o7777) !== file.mode || existing.size !== file.contents.length) return false;
  try {
    const current = await readFile(join(root, file.path), { flag: constants.O_RDONLY | constants.O_NOFOLLOW });
    return current.equals(file.contents);
  } catch {
    return false; // changed under us or unreadable: write it
  }
}

/** Upstream validation already guarantees both; a writer running as root checks again. */
function checkFile(targetDir: string, file: MountedFile): void {
  if (!Number.isInteger(file.mode) || file.mode < 0 || file.mode > 0o777) {
    throw writeError(targetDir, file.path, `mode ${file.mode.toString(8)} has bits outside 0777 (setuid, setgid, sticky); refusing to write it`);
  }
  if (file.path.split('/').some((part) => part === '' || part === '.' || part === '..')) {
    throw writeError(targetDir, file.path, 'not a clean relative path; refusing to write outside the target directory');
  }
}

/** realpath(3) in one call; the JavaScript realpath lstat()s every component of the path (~0.3 ms per mount, profiled). */
const realpath = promisify(realpathCallback.native);

/** The target itself may be reached through symbolic links; everything below it is resolved from its real path. */
async function resolveTargetDir(targetDir: string): Promise<string> {
  try {
    const root = await realpath(targetDir);
    if ((await stat(root)).isDirectory()) return root;
  } catch {
    // fall through
  }
  throw new TargetPathError(`target path ${targetDir} does not exist or is not a directory`);
}

/** What is at the file's path now (never followed); a directory there cannot be replaced. */
async function checkReplaceable(root: string, targetDir: string, file: MountedFile): Promise<Stats | undefined> {
  const existing = await lstat(join(root, file.path)).catch((err: unknown) => {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw systemWriteError(targetDir, file.path, err);
  });
  if (existing?.isDirectory()) throw writeError(targetDir, file.path, 'is a directory; a file cannot replace it');
  return existing;
}

/** Writes one file's temp copy next to its final path (exact mode, fsynced). */
async function stage(root: string, targetDir: string, file: MountedFile, signal: AbortSignal, staged: Staged[]): Promise<void> {
  if (signal.aborted) throw abortError();
  const final = join(root, file.path);
  const temp = join(dirname(final), tempFileName());
  try {
    const handle = await open(temp, NEW_FILE_FLAGS, 0o600);
    staged.push({ file, temp, final, renamed: false });
    try {
      await handle.chmod(file.mode);
      await handle.writeFile(file.contents);
      await handle.sync();
    } finally {
      await handle.close();
    }
  } catch (err) {
    throw systemWriteError(targetDir, file.path, err);
  }
}

/** In the target and every directory just written into; never a name this mount wrote. */
async function removeStaleTempFilesAround(root: string, files: readonly MountedFile[]): Promise<void> {
  const written = new Map<string, Set<string>>([[root, new Set()]]);
  for (const file of files) {
    const final = join(root, file.path);
    const dir = dirname(final);
    written.set(dir, (written.get(dir) ?? new Set()).add(basename(final)));
  }
  await Promise.all([...written].map(([dir, names]) => removeStaleTempFiles(dir, names)));
}
