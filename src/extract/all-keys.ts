// allKeys: every top-level key of the object's JSON value, with its value as the text
// a jmesPath entry would write (src/extract/json-value.ts). The keys become file names
// in src/files/mounted-files.ts. Errors name the object and key, never a value.
import { ValueError } from '../errors.js';
import type { FetchedObject } from '../fetch/fetch-objects.js';
import { describeFetched, fileText, kindOf, quoteName } from './json-value.js';

export interface KeyValue {
  key: string;
  contents: Buffer;
}

/** `reserve(bytes)` is called before each buffer is made; it throws when the mount is over its bound. */
export function allKeysValues(document: unknown, fetched: Pick<FetchedObject, 'object' | 'region'>, reserve: (bytes: number) => void): KeyValue[] {
  const where = describeFetched(fetched);
  if (document === null || typeof document !== 'object' || Array.isArray(document)) {
    throw new ValueError(`${where}: allKeys is set but the value is ${kindOf(document)}, not a JSON object`);
  }
  return Object.entries(document).map(([key, value]) => {
    if (value === null) throw new ValueError(`${where}: allKeys key ${quoteName(key)} is null, which is never written`);
    const written = fileText(value);
    if ('problem' in written) throw new ValueError(`${where}: allKeys key ${quoteName(key)} is ${kindOf(value)} that ${written.problem}`);
    reserve(Buffer.byteLength(written.text, 'utf8'));
    return { key, contents: Buffer.from(written.text, 'utf8') };
  });
}
