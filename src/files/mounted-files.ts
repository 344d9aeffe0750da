// Fetched objects -> the files of a mount and their object versions.
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

export function mountedFiles(fetched: readonly FetchedObject[]): MountedFile[] {
  return fetched.flatMap((f) => [
    { path: f.object.fileName, mode: f.object.mode, contents: f.value, version: f.version, objectType: f.object.objectType },
    ...extractJmesPath(f).map(({ entry, contents }) => ({ path: entry.fileName, mode: entry.mode, contents, version: f.version, objectType: f.object.objectType })),
  ]);
}
