// Fetched objects -> the files of a mount and their object versions.
// Names known only once values arrive (allKeys keys, parameters below a path) are
// checked here, against every other file of the mount; a mount without them pays nothing.
import { LimitError, ValueError } from '../errors.js';
import { allKeysValues } from '../extract/all-keys.js';
import { decodeValue, DecodeProblem } from '../extract/decode.js';
import { jmesPathFiles } from '../extract/jmespath.js';
import { describeFetched, parseJsonValue, quoteName } from '../extract/json-value.js';
import type { FetchedObject } from '../fetch/fetch-objects.js';
import { MAX_MOUNT_FILES } from '../limits.js';
import { dynamicFileName, FileNameClaims, type DynamicNames } from '../plan/objects.js';

export interface MountedFile {
  /** Relative to the target directory, already clean. */
  path: string;
  mode: number;
  contents: Buffer;
  /** Version of the value the file holds (jmesPath and allKeys files carry their object's). */
  version: string;
  objectType: string;
}

/** A file whose name comes from a value, with what to call it in an error. */
interface NamedByValue {
  name: string;
  names: DynamicNames;
  /** e.g. `allKeys key "user"`, `parameter "/app/db/host"` */
  what: string;
  where: string;
  owner: string;
  file: Omit<MountedFile, 'path'>;
}

/**
 * Every file of the mount, counting bytes as they are produced: jmesPath entries and allKeys can
 * fan one value out into many files, so the bound is checked before each buffer exists.
 */
export function mountedFiles(fetched: readonly FetchedObject[], maxBytes: number): MountedFile[] {
  let total = 0;
  const take = (bytes: number) => {
    total += bytes;
    if (total > maxBytes) throw new LimitError(`the mount's files total more than ${maxBytes} bytes, the most one mount may write`);
  };
  const files: MountedFile[] = [];
  let byValue: NamedByValue[] | undefined;
  for (const f of fetched) {
    const { object } = f;
    const value = object.objectEncoding ? decoded(f) : f.value;
    take(value.length);
    if (object.parametersByPath) {
      const { name, relativeName } = f.parameter!;
      (byValue ??= []).push({
        name: relativeName, names: object.parametersByPath, what: `parameter ${quoteName(name)}`, where: describeFetched(f),
        owner: `objects[${object.index}] parameter ${quoteName(name)}`,
        file: { mode: object.mode, contents: value, version: f.version, objectType: object.objectType },
      });
      continue;
    }
    files.push({ path: object.fileName, mode: object.mode, contents: value, version: f.version, objectType: object.objectType });
    if (object.jmesPath.length === 0 && !object.allKeys) continue;
    const where = describeFetched(f);
    const document = parseJsonValue(value, where, object.jmesPath.length > 0 ? 'jmesPath' : 'allKeys');
    for (const { entry, contents } of jmesPathFiles(document, f, take)) {
      files.push({ path: entry.fileName, mode: entry.mode, contents, version: f.version, objectType: object.objectType });
    }
    if (object.allKeys) {
      const file = { mode: object.mode, version: f.version, objectType: object.objectType };
      for (const { key, contents } of allKeysValues(document, f, take)) {
        (byValue ??= []).push({
          name: key, names: object.allKeys, what: `allKeys key ${quoteName(key)}`, where,
          owner: `objects[${object.index}] allKeys key ${quoteName(key)}`, file: { ...file, contents },
        });
      }
    }
  }
  return byValue ? [...files, ...namedByValue(fetched, files.length, byValue)] : files;
}

/** The object's value decoded (objectEncoding); a parameter below a path is named in the error. */
function decoded(f: FetchedObject): Buffer {
  const encoding = f.object.objectEncoding!;
  try {
    return decodeValue(f.value, encoding);
  } catch (err) {
    if (!(err instanceof DecodeProblem)) throw err;
    const whose = f.parameter ? `the value of parameter ${quoteName(f.parameter.name)}` : 'the value';
    throw new ValueError(`${describeFetched(f)}: objectEncoding ${encoding}: ${whose} is not valid ${encoding}: ${err.message}`);
  }
}

/** Names from values become file names: each must be usable and must not collide with any other file. */
function namedByValue(fetched: readonly FetchedObject[], fileCount: number, pending: readonly NamedByValue[]): MountedFile[] {
  const count = fileCount + pending.length;
  if (count > MAX_MOUNT_FILES) {
    throw new LimitError(`the mount would write ${count} files (allKeys keys and parameters below paths included); at most ${MAX_MOUNT_FILES} files per mount are allowed`);
  }
  // Files named in the SecretProviderClass were checked against each other when it was planned.
  const claims = new FileNameClaims();
  for (const { object } of fetched) {
    if (object.parametersByPath) continue;
    claims.claim(object.fileName, `objects[${object.index}] ("${object.objectName}")`);
    object.jmesPath.forEach((j, i) => claims.claim(j.fileName, `objects[${object.index}].jmesPath[${i}]`));
  }
  return pending.map((p) => {
    const named = dynamicFileName(p.name, p.names);
    if ('problem' in named) throw new ValueError(`${p.where}: ${p.what} cannot be used as a file name: ${named.problem}`);
    const problem = claims.claim(named.fileName, p.owner);
    if (problem) throw new ValueError(`${p.where}: ${p.what} cannot be mounted: file name "${named.fileName}" ${problem}`);
    return { path: named.fileName, ...p.file };
  });
}
