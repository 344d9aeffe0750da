// Provider-writes mode: every file goes to a temp file in its final directory
// (exact mode via fchmod, so the umask does not matter), is fsynced, and only
// when ALL files are staged are they renamed into place. A failure before the
// renames leaves the target untouched; temp files never outlive the call.
import { randomBytes } from 'node:crypto';
import { lstat, mkdir, open, rename, rm, stat } from 'node:fs/promises';
import { dirname, join, relative, sep } from 'node:path';
import { FileWriteError, PreconditionError } from '../errors.js';
import type { MountedFile } from './mounted-files.js';

export async function writeFilesAtomically(targetDir: string, files: readonly MountedFile[]): Promise<void> {
  await checkTargetDir(targetDir);
  const staged: { temp: string; final: string }[] = [];
  try {
    // Stage every file at once; wait for all of them (even after a failure) so
    // the clean-up below sees every temp file that was created.
    const results = await Promise.allSettled(files.map((file) => stage(targetDir, file, staged)));
    const failed = results.find((r): r is PromiseRejectedResult => r.status === 'rejected');
    if (failed) throw failed.reason;
    // rename() cannot replace a directory: find that out before the first rename.
    await Promise.all(staged.map(({ final }) => checkReplaceable(final)));
    for (const { temp, final } of staged) await rename(temp, final);
  } catch (err) {
    if (err instanceof FileWriteError) throw err;
    const code = (err as NodeJS.ErrnoException).code ?? 'error';
    throw new FileWriteError(`failed to write the files into the target directory ${targetDir}: ${code}`, err);
  } finally {
    // After successful renames these are gone already; rm with force is then a no-op.
    await Promise.all(staged.map(({ temp }) => rm(temp, { force: true })));
  }
}

/** Writes one file's temp copy next to its final path (exact mode, fsynced). */
async function stage(targetDir: string, file: MountedFile, staged: { temp: string; final: string }[]): Promise<void> {
  const final = join(targetDir, file.path);
  if (relative(targetDir, final).split(sep).includes('..')) {
    throw new FileWriteError(`refusing to write "${file.path}" outside the target directory`);
  }
  const dir = dirname(final);
  if (dir !== targetDir) await mkdir(dir, { recursive: true, mode: 0o755 });
  const temp = join(dir, `.${file.path.split('/').pop()!.slice(0, 200)}.tmp-${randomBytes(6).toString('hex')}`);
  staged.push({ temp, final });
  const handle = await open(temp, 'wx', 0o600);
  try {
    await handle.chmod(file.mode);
    await handle.writeFile(file.contents);
    await handle.sync();
  } finally {
    await handle.close();
  }
}

async function checkReplaceable(path: string): Promise<void> {
  const existing = await lstat(path).catch(() => undefined);
  if (existing?.isDirectory()) {
    throw new FileWriteError(`failed to write the files into the target directory: "${path}" is a directory`);
  }
}

async function checkTargetDir(targetDir: string): Promise<void> {
  try {
    if ((await stat(targetDir)).isDirectory()) return;
  } catch {
    // fall through
  }
  throw new PreconditionError(`target path ${targetDir} does not exist or is not a directory`);
}
