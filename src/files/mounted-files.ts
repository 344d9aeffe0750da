// Fetched objects -> the files of a mount and their object versions.
import { LimitError } from '../errors.js';
import { extractJmesPath } from '../extract/jmespath.js';
import type { FetchedObject } from '../fetch/fetch-objects.js';

export interface MountedFile {
  /** Relative to the target directory, already clean. */
  path: string;
  mode: number;
  contents: Buffer;
  /** Version of the value the file holds (jmesPath files carry their object's). */
  version: string;
  objectType: string;
}

/**
 * Every file of the mount, counting bytes as they are produced: jmesPath entries can
 * fan one value out into many files, so the bound is checked before each buffer exists.
 */
export function mountedFiles(fetched: readonly FetchedObject[], maxBytes: number): MountedFile[] {
  let total = 0;
  const take = (bytes: number) => {
    total += bytes;
    if (total > maxBytes) throw new LimitError(`the mount's files total more than ${maxBytes} bytes, the most one mount may write`);
  };
  return fetched.flatMap((f) => {
    take(f.value.length);
    const own: MountedFile = { path: f.object.fileName, mode: f.object.mode, contents: f.value, version: f.version, objectType: f.object.objectType };
    const extracted = extractJmesPath(f, take).map(({ entry, contents }) => ({
      path: entry.fileName, mode: entry.mode, contents, version: f.version, objectType: f.object.objectType,
    }));
    return [own, ...extracted];
  });
}
