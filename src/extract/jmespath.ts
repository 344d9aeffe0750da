// jmesPath entries: the object's value must be JSON; each expression selects a
// value that becomes its own file (src/extract/json-value.ts: strings as is,
// numbers and booleans as JSON text, objects and arrays as compact JSON), decoded
// first when the entry has an objectEncoding. Errors name the object, path and
// alias but never quote the value.
import jmespath from 'jmespath';
import { ValueError } from '../errors.js';
import type { FetchedObject } from '../fetch/fetch-objects.js';
import type { JmesPathPlan } from '../plan/objects.js';
import { decodeText, DecodeProblem } from './decode.js';
import { describeFetched, fileText, kindOf, parseJsonValue } from './json-value.js';

export { jsonNestingExceeds } from './json-value.js';

export interface Extracted {
  entry: JmesPathPlan;
  contents: Buffer;
}

/** `reserve(bytes)` is called before each file's buffer is made; it throws when the mount is over its bound. */
export function extractJmesPath(fetched: FetchedObject, reserve: (bytes: number) => void = () => {}): Extracted[] {
  if (fetched.object.jmesPath.length === 0) return [];
  return jmesPathFiles(parseJsonValue(fetched.value, describeFetched(fetched), 'jmesPath'), fetched, reserve);
}

/** The object's jmesPath entries against its parsed JSON value. */
export function jmesPathFiles(document: unknown, fetched: Pick<FetchedObject, 'object' | 'region'>, reserve: (bytes: number) => void): Extracted[] {
  const where = describeFetched(fetched);
  return fetched.object.jmesPath.map((entry) => {
    const label = `jmesPath path "${entry.path}" (objectAlias "${entry.objectAlias}")`;
    let result: unknown;
    try {
      result = jmespath.search(document, entry.path);
    } catch (err) {
      throw new ValueError(`${where}: ${label} failed: ${(err as Error).message}`);
    }
    // The jmespath library also finds inherited JavaScript properties ("constructor" is a function): not in the value.
    if (result === null || result === undefined || typeof result === 'function') {
      throw new ValueError(`${where}: ${label} matched nothing in the value`);
    }
    const encoding = entry.objectEncoding;
    if (typeof result === 'string' && !encoding) {
      reserve(Buffer.byteLength(result, 'utf8'));
      return { entry, contents: Buffer.from(result, 'utf8') };
    }
    if (encoding) {
      if (typeof result !== 'string') {
        throw new ValueError(`${where}: ${label} has objectEncoding ${encoding}, which decodes a string, but selected ${kindOf(result)}`);
      }
      let contents: Buffer;
      try {
        contents = decodeText(result, encoding);
      } catch (err) {
        if (!(err instanceof DecodeProblem)) throw err;
        throw new ValueError(`${where}: ${label} selected a string that is not valid ${encoding} (objectEncoding): ${err.message}`);
      }
      // Decoded bytes are fewer than the text they come from, which is already in memory.
      reserve(contents.length);
      return { entry, contents };
    }
    const written = fileText(result);
    if ('problem' in written) throw new ValueError(`${where}: ${label} selected ${kindOf(result)} that ${written.problem}`);
    reserve(Buffer.byteLength(written.text, 'utf8'));
    return { entry, contents: Buffer.from(written.text, 'utf8') };
  });
}
