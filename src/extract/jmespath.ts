// jmesPath entries: the object's value must be JSON; each expression must
// yield a string, which becomes its own file. Errors name the object, path and
// alias but never quote the value.
import jmespath from 'jmespath';
import { ValueError } from '../errors.js';
import { MAX_JSON_NESTING } from '../limits.js';
import type { FetchedObject } from '../fetch/fetch-objects.js';
import type { JmesPathPlan } from '../plan/objects.js';

export interface Extracted {
  entry: JmesPathPlan;
  contents: Buffer;
}

/** `reserve(bytes)` is called before each file's buffer is made; it throws when the mount is over its bound. */
export function extractJmesPath(fetched: FetchedObject, reserve: (bytes: number) => void = () => {}): Extracted[] {
  const { object } = fetched;
  if (object.jmesPath.length === 0) return [];
  const where = `objects[${object.index}] "${object.objectName}" (region ${fetched.region})`;
  if (jsonNestingExceeds(fetched.value, MAX_JSON_NESTING)) {
    throw new ValueError(`${where}: jmesPath is set but the value nests JSON deeper than ${MAX_JSON_NESTING} levels, the most the provider reads`);
  }
  let document: unknown;
  try {
    document = JSON.parse(fetched.value.toString('utf8'));
  } catch {
    throw new ValueError(`${where}: jmesPath is set but the value is not valid JSON`);
  }
  return object.jmesPath.map((entry) => {
    const label = `jmesPath path "${entry.path}" (objectAlias "${entry.objectAlias}")`;
    let result: unknown;
    try {
      result = jmespath.search(document, entry.path);
    } catch (err) {
      throw new ValueError(`${where}: ${label} failed: ${(err as Error).message}`);
    }
    if (result === null || result === undefined) {
      throw new ValueError(`${where}: ${label} matched nothing in the value`);
    }
    if (typeof result !== 'string') {
      const kind = Array.isArray(result) ? 'an array' : typeof result === 'object' ? 'an object' : `a ${typeof result}`;
      throw new ValueError(`${where}: ${label} must select a string, but selected ${kind}`);
    }
    reserve(Buffer.byteLength(result, 'utf8'));
    return { entry, contents: Buffer.from(result, 'utf8') };
  });
}


/** True when the JSON text opens more than `limit` arrays or objects at once (strings skipped). */
export function jsonNestingExceeds(text: Buffer, limit: number): boolean {
  let depth = 0;
  let inString = false;
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (inString) {
      if (c === 0x5c) i++; // backslash: skip the escaped character
      else if (c === 0x22) inString = false;
    } else if (c === 0x22) inString = true;
    else if (c === 0x5b || c === 0x7b) {
      if (++depth > limit) return true;
    } else if (c === 0x5d || c === 0x7d) depth--;
  }
  return false;
}
