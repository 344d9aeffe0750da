// A JSON value the provider reads (jmesPath entries, allKeys) and the text a selected
// JSON value is written as: a string as is; numbers and booleans as their JSON text
// (5432, true); objects and arrays as compact JSON. null is never written. Errors name
// the object and what selected the value, never the value.
import { ValueError } from '../errors.js';
import type { FetchedObject } from '../fetch/fetch-objects.js';
import { MAX_JSON_NESTING } from '../limits.js';

/** `objects[N] "name" (region R)`: how errors about a fetched value start. */
export function describeFetched(fetched: Pick<FetchedObject, 'object' | 'region'>): string {
  return `objects[${fetched.object.index}] "${fetched.object.objectName}" (region ${fetched.region})`;
}

/** The value parsed as JSON, for `field` (jmesPath or allKeys); nesting is bounded before parsing. */
export function parseJsonValue(value: Buffer, where: string, field: string): unknown {
  if (jsonNestingExceeds(value, MAX_JSON_NESTING)) {
    throw new ValueError(`${where}: ${field} is set but the value nests JSON deeper than ${MAX_JSON_NESTING} levels, the most the provider reads`);
  }
  try {
    return JSON.parse(value.toString('utf8'));
  } catch {
    throw new ValueError(`${where}: ${field} is set but the value is not valid JSON`);
  }
}

/** The text a selected value is written as, or why it cannot be written. The caller handles null. */
export function fileText(value: unknown): { text: string } | { problem: string } {
  if (typeof value === 'string') return { text: value };
  // JSON numbers are read as doubles (as JMESPath defines them): an integer beyond 2^53 may
  // already differ from what was stored, so it is refused rather than written changed.
  let inexact = false;
  let foreign = false;
  const text = JSON.stringify(value, (_key, v: unknown) => {
    if (typeof v === 'number' && Number.isInteger(v) && !Number.isSafeInteger(v)) inexact = true;
    // A JMESPath projection can pick up inherited JavaScript properties; JSON.stringify would drop them silently.
    else if (typeof v === 'function' || typeof v === 'undefined') foreign = true;
    return v;
  }) as string | undefined;
  if (foreign || text === undefined) {
    return { problem: 'holds something that is not in the JSON value (a JavaScript built-in such as "constructor")' };
  }
  if (inexact) {
    return { problem: `is or holds an integer beyond 2^53 (${Number.MAX_SAFE_INTEGER}), which a JSON number does not keep exactly; store it as a JSON string` };
  }
  return { text };
}

/** "a number", "an object", ... for messages. */
export function kindOf(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'an array';
  return typeof value === 'object' ? 'an object' : `a ${typeof value}`;
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

/** A name from a value (a JSON key, a parameter name) quoted for a message, bounded in length. */
export function quoteName(name: string): string {
  return JSON.stringify(name.length > 120 ? `${name.slice(0, 120)}...` : name);
}
