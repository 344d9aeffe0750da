// Provider-writes mode. Every file goes to a temp file in its final directory
// (exact mode via fchmod, so the umask does not matter) and is fsynced; only
// when ALL files are staged are they renamed into place. A failure or an abort
// before the renames leaves the target as it was: the temp files and the
// directories this call created are removed. Nothing below the target is
// followed if it is a symbolic link (target-dirs.ts; O_NOFOLLOW; rename
// replaces a link at a file's own name instead of writing through it).
import { constants } from 'node:fs';
import { lstat, open, realpath, rename, rm, stat } from 'node:fs/promises';
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
  try {
    await prepareDirectories(root, targetDir, files.map((f) => f.path), created);
    // rename() cannot replace a directory: find that out before writing anything.
    await Promise.all(files.map((file) => checkReplaceable(root, targetDir, file)));
    // Stage every file at once; wait for all of them (even after a failure) so
    // the clean-up below sees every temp file that was created.
    const results = await Promise.allSettled(files.map((file) => stage(root, targetDir, file, signal, staged)));
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
  await removeStaleTempFilesAround(root, files);
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

async function checkReplaceable(root: string, targetDir: string, file: MountedFile): Promise<void> {
  const existing = await lstat(join(root, file.path)).catch((err: unknown) => {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw systemWriteError(targetDir, file.path, err);
  });
  if (existing?.isDirectory()) throw writeError(targetDir, file.path, 'is a directory; a file cannot replace it');
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
