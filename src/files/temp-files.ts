// Names of the writer's temp files, and the sweep of temp files a killed
// provider left behind. A temp name is a fixed prefix and 16 hex digits and
// holds no part of the file's own name, so a final name may use all 255 bytes.
import { randomBytes } from 'node:crypto';
import { lstat, readdir, rm } from 'node:fs/promises';
import { join } from 'node:path';

export const TEMP_FILE_PREFIX = '.ascp-tmp-';
const TEMP_FILE_NAME = /^\.ascp-tmp-([0-9a-f]{8})[0-9a-f]{8}$/;

// The first 8 hex digits name the process that made the file: a sweep never
// removes this process's own temp files, which a concurrent mount of the same
// target may be writing right now.
const PROCESS_TAG = randomBytes(4).toString('hex');

export function tempFileName(): string {
  return `${TEMP_FILE_PREFIX}${PROCESS_TAG}${randomBytes(4).toString('hex')}`;
}

function isOtherProcessTempName(name: string): boolean {
  const tag = TEMP_FILE_NAME.exec(name)?.[1];
  return tag !== undefined && tag !== PROCESS_TAG;
}

/**
 * Removes the regular files in dir named like another process's temp file,
 * except the names in keep (a mount may write a file with such a name).
 * Best effort: the sweep is tidying, never a reason to fail a mount.
 */
export async function removeStaleTempFiles(dir: string, keep: ReadonlySet<string>): Promise<void> {
  const names = await readdir(dir).catch(() => [] as string[]);
  await Promise.all(
    names
      .filter((name) => !keep.has(name) && isOtherProcessTempName(name))
      .map(async (name) => {
        const path = join(dir, name);
        const st = await lstat(path).catch(() => undefined);
        if (st?.isFile()) await rm(path, { force: true }).catch(() => undefined);
      }),
  );
}
