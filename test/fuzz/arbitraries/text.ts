// Strings that matter to the provider's parsers: path separators, YAML and JSON
// syntax, multi-byte and invisible characters, names near the byte bounds.
import fc, { type Arbitrary } from 'fast-check';

/** Characters with a meaning somewhere in the input handling, plus multi-byte and invisible ones. */
export const specialChar: Arbitrary<string> = fc.constantFrom(
  '/', '.', '\\', ':', '-', '_', ' ', '\t', '\n', '\r', '\0', '"', "'", '`', '#', '&', '*', '!', '|', '>', '%', '@',
  '[', ']', '{', '}', '(', ')', ',', '?', '~', '=', '$', 'é', 'ß', '€', '😀', 'İ', 'K', '\u00a0', '\u200b', '\u202e',
  '\u2028', '\u0085', '\ufeff', '\ud800', '\udfff', '\u0301', '\x7f', '\x1b',
);

/** Whole strings that parsers treat specially (YAML 1.1 booleans, nulls, path elements, prototype keys). */
export const specialString: Arbitrary<string> = fc.constantFrom(
  '', ' ', '.', '..', '...', '/', '//', '/..', '../', '/.', './', 'a/../b', 'a/./b', './a', 'a/', '/a', 'a//b', '~', 'null',
  'Null', 'NULL', 'true', 'True', 'yes', 'no', 'on', 'off', 'y', 'n', '0', '-0', '0600', '0o600', '1e3', '0x1F', '.nan',
  '.inf', '-', '---', '<<', '=', 'constructor', '__proto__', 'prototype', 'hasOwnProperty', 'toString', 'valueOf',
  'arn:', 'arn:aws', '%00', '\\0', 'a\0b', '\ud83d', 'C:\\x', '\\\\server\\share', '${HOME}', '$(id)',
);

/** A short string from one of several alphabets, biased towards the characters above. */
export function text(maxLength = 24): Arbitrary<string> {
  return fc.oneof(
    fc.string({ maxLength }),
    fc.string({ unit: 'binary', maxLength }),
    fc.string({ unit: 'grapheme', maxLength }),
    fc.string({ unit: fc.oneof(specialChar, fc.constantFrom('a', 'b', 'x', '0')), maxLength }),
    specialString,
  );
}

/** Byte counts around the file-name bounds (255 per element, 4096 per path) and a few others. */
const boundaryCount = fc.oneof(
  fc.integer({ min: 0, max: 300 }),
  fc.constantFrom(63, 64, 85, 86, 127, 128, 254, 255, 256, 1023, 1024, 1025, 1365, 1366, 2048, 4095, 4096, 4097),
);

/** A unit repeated up to a byte bound: 'a' x 255 is 255 bytes, 'é' x 128 is 256, '€' x 85 is 255, '😀' x 64 is 256. */
export const longRun: Arbitrary<string> = fc
  .tuple(fc.constantFrom('a', 'é', '€', '😀', 'a/', '/', './', '../', 'ab/'), boundaryCount)
  .map(([unit, count]) => unit.repeat(count));

/** Any name-like value: short text, long runs, or runs joined with short text. */
export const nameLike: Arbitrary<string> = fc.oneof(
  { weight: 4, arbitrary: text() },
  { weight: 2, arbitrary: fc.stringMatching(/^[A-Za-z0-9/_+=.@-]{1,40}$/) },
  { weight: 1, arbitrary: longRun },
  { weight: 1, arbitrary: fc.tuple(text(6), longRun, text(6)).map((parts) => parts.join('')) },
);

/** Small random edits of a text, to get near-valid inputs from valid ones. */
export function mutated(base: Arbitrary<string>, fragment: Arbitrary<string> = fc.oneof(specialChar, text(8))): Arbitrary<string> {
  const edit = fc.record({
    kind: fc.constantFrom('insert', 'delete', 'replace', 'duplicate', 'truncate'),
    at: fc.integer({ min: 0, max: 1_000_000 }),
    length: fc.integer({ min: 0, max: 64 }),
    fragment,
  });
  return fc.tuple(base, fc.array(edit, { maxLength: 3 })).map(([source, edits]) =>
    edits.reduce((s, e) => {
      const at = s.length === 0 ? 0 : e.at % (s.length + 1);
      switch (e.kind) {
        case 'insert': return s.slice(0, at) + e.fragment + s.slice(at);
        case 'delete': return s.slice(0, at) + s.slice(at + e.length);
        case 'replace': return s.slice(0, at) + e.fragment + s.slice(at + e.fragment.length);
        case 'duplicate': return s.slice(0, at + e.length) + s.slice(at, at + e.length) + s.slice(at + e.length);
        case 'truncate': return s.slice(0, at);
      }
    }, source),
  );
}

/** Real region names, near-misses and junk. */
export const region: Arbitrary<string> = fc.oneof(
  { weight: 4, arbitrary: fc.constantFrom('us-east-1', 'us-west-2', 'eu-central-1', 'ap-southeast-5', 'cn-north-1', 'us-gov-west-1', 'il-central-1') },
  { weight: 2, arbitrary: fc.stringMatching(/^[a-z]{2}(-[a-z]{2,9}){1,2}-\d{1,2}$/) },
  { weight: 1, arbitrary: fc.constantFrom('US-EAST-1', 'us_east_1', 'us-east-1 ', '-us', 'us--east', 'a'.repeat(51), 'a'.repeat(50), 'local') },
  { weight: 1, arbitrary: text(12) },
);
