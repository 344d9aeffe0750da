// The directories below a target that a mount's files go into, checked and
// created one component at a time without following a symbolic link: a link
// planted below the target must never make the provider (root) write or
// create anything elsewhere. The target itself may be reached through links
// (kubelet's paths are); the caller passes it already resolved.
import { constants, type Stats } from 'node:fs';
import { lstat, mkdir, open, rmdir } from 'node:fs/promises';
import { join } from 'node:path';
import { systemWriteError, writeError } from './write-error.js';

/** Exact mode of every directory the writer creates, whatever the umask: non-root pods must read them. */
export const DIRECTORY_MODE = 0o755;

interface Where {
  targetDir: string;
  /** The first file that needs the directory, for messages. */
  filePath: string;
  /** The directory, relative to the target. */
  dir: string;
}

/**
 * Makes sure every directory the files need exists below root as a real
 * directory. Appends the absolute path of each directory it creates to
 * created, parents first, as soon as it exists (so a failure can undo it).
 */
export async function prepareDirectories(root: string, targetDir: string, filePaths: readonly string[], created: string[]): Promise<void> {
  const needed = new Map<string, string>();
  for (const filePath of filePaths) {
    const parts = filePath.split('/');
    for (let i = 1; i < parts.length; i++) {
      const dir = parts.slice(0, i).join('/');
      if (!needed.has(dir)) needed.set(dir, filePath);
    }
  }
  // A Map keeps insertion order, which puts every directory after its parent.
  for (const [dir, filePath] of needed) await ensureDirectory(join(root, dir), { targetDir, filePath, dir }, created);
}

/** Removes directories prepareDirectories created, deepest first; only empty ones go, so no file is ever lost. */
export async function removeCreatedDirectories(created: readonly string[]): Promise<void> {
  for (const dir of [...created].reverse()) await rmdir(dir).catch(() => undefined);
}

async function ensureDirectory(path: string, where: Where, created: string[]): Promise<void> {
  let existing = await lstatIfExists(path, where);
  if (!existing) {
    const made = await mkdir(path, { mode: DIRECTORY_MODE }).then(
      () => true,
      (err: unknown) => {
        if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw systemWriteError(where.targetDir, where.filePath, err);
        return false; // made by someone else meanwhile: check it like any existing entry
      },
    );
    if (made) {
      created.push(path);
      await setExactMode(path, where);
      return;
    }
    existing = await lstat(path).catch((err: unknown) => {
      throw systemWriteError(where.targetDir, where.filePath, err);
    });
  }
  if (existing.isSymbolicLink()) {
    throw writeError(where.targetDir, where.filePath, `"${where.dir}" is a symbolic link; refusing to follow it`);
  }
  if (!existing.isDirectory()) throw writeError(where.targetDir, where.filePath, `"${where.dir}" is not a directory`);
}

async function lstatIfExists(path: string, where: Where): Promise<Stats | undefined> {
  try {
    return await lstat(path);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw systemWriteError(where.targetDir, where.filePath, err);
  }
}

/** mkdir's mode is cut by the umask; fchmod on a no-follow handle sets it exactly. */
async function setExactMode(path: string, where: Where): Promise<void> {
  try {
    const handle = await open(path, constants.O_RDONLY | constants.O_DIRECTORY | constants.O_NOFOLLOW);
    try {
      await handle.chmod(DIRECTORY_MODE);
    } finally {
      await handle.close();
    }
  } catch (err) {
    throw systemWriteError(where.targetDir, where.filePath, err);
  }
}
