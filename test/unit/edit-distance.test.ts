// editDistance (src/util/edit-distance.ts): the Levenshtein distance behind the
// "did you mean" hints for misspelled objects fields and SecretProviderClass parameters.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { editDistance } from '../../src/util/edit-distance.js';

test('insertions, deletions and substitutions each cost one', () => {
  const cases: Array<[string, string, number]> = [
    ['', '', 0],
    ['objectName', 'objectName', 0],
    ['', 'abc', 3],
    ['abc', '', 3],
    ['objectNam', 'objectName', 1], // insertion
    ['objectNamee', 'objectName', 1], // deletion
    ['objectNane', 'objectName', 1], // substitution
    ['objetcName', 'objectName', 2], // a transposition is two edits
    ['kitten', 'sitting', 3],
    ['flaw', 'lawn', 2],
    ['jmesPath', 'jmespath', 1],
    ['filePermisson', 'filePermission', 1],
    ['region', 'failoverRegion', 8],
    ['abc', 'xyz', 3],
    ['a', 'b', 1],
    ['ab', 'ba', 2],
  ];
  for (const [a, b, d] of cases) {
    assert.equal(editDistance(a, b), d, `${a} -> ${b}`);
    assert.equal(editDistance(b, a), d, `${b} -> ${a}`);
  }
});
