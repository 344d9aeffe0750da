// jmesPath entries: the object's value must be JSON; each expression must
// yield a string, which becomes its own file. Errors name the object, path and
// alias but never quote the value.
import jmespath from 'jmespath';
import { ValueError } from '../errors.js';
import type { FetchedObject } from '../fetch/fetch-objects.js';
import type { JmesPathPlan } from '../plan/objects.js';

export interface Extracted {
  entry: JmesPathPlan;
  contents: Buffer;
}

export function extractJmesPath(fetched: FetchedObject): Extracted[] {
  const { object } = fetched;
  if (object.jmesPath.length === 0) return [];
  const where = `objects[${object.index}] "${object.objectName}" (region ${fetched.region})`;
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
    return { entry, contents: Buffer.from(result, 'utf8') };
  });
}
