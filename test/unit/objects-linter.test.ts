// The objects checks behind `validate` (src/cli/validate.ts): findObjectProblems
// reports every problem of every object in one pass (the server stops at the
// first), in objects order, positioned in the file; findUnknownObjectFields warns
// about keys the provider does not read, with a "did you mean" for near misses.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { findObjectProblems, findUnknownObjectFields, parseObjects, type ObjectsContext } from '../../src/plan/objects.js';
import { ObjectSpecError } from '../../src/errors.js';

const ctx: ObjectsContext = { primaryRegion: 'us-east-1', translation: '_', defaultMode: 0o644 };
const messages = (problems: ObjectSpecError[]) => problems.map((p) => p.message);

test('a valid list has no problems, and plans the same objects the server would', () => {
  const yaml = '- {objectName: db, objectType: secretsmanager, jmesPath: [{path: u, objectAlias: user}]}\n- {objectName: /p, objectType: ssmparameter}\n';
  assert.deepEqual(findObjectProblems(yaml, ctx), []);
  assert.equal(parseObjects(yaml, ctx).length, 2);
  assert.deepEqual(findObjectProblems(undefined, ctx), []);
  assert.deepEqual(findObjectProblems('', ctx), []);
});

test('every problem of every object is reported, in objects order, where the server reports only the first', () => {
  const yaml = [
    '- objectName: ok',
    '  objectType: secretsmanager',
    '- objectName: a',
    '  objectType: vault', // invalid type
    '  filePermission: "777"', // not four digits
    '- objectType: ssmparameter', // no name
    '  objectAlias: ../up', // traversal
    '- objectName: b',
    '  objectType: ssmparameter',
    '  objectVersion: "1"',
    '  objectVersionLabel: live', // both
    '  jmesPath:',
    '    - path: "a[?"', // invalid expression
    '      objectAlias: x',
    '    - objectAlias: y', // no path
    '',
  ].join('\n');
  assert.throws(() => parseObjects(yaml, ctx), /^ObjectSpecError: objects\[1\] objectType: "vault" is invalid/);
  const problems = findObjectProblems(yaml, ctx);
  assert.deepEqual(
    problems.map((p) => `${p.index} ${p.field}`),
    ['1 objectType', '1 filePermission', '2 objectName', '2 objectAlias', '3 objectVersion', '3 jmesPath[0].path', '3 jmesPath[1].path'],
  );
  assert.match(problems[1]!.message, /"777" must be exactly four octal digits/);
  assert.match(problems[4]!.message, /SSM parameter "b" cannot specify both objectVersion and objectVersionLabel/);
});

test('duplicates among the objects that did plan are reported too, after their own problems', () => {
  const yaml = [
    '- {objectName: a, objectType: secretsmanager, objectAlias: same}',
    '- {objectName: b, objectType: secretsmanager, objectAlias: same}',
    '- {objectName: c, objectType: secretsmanager, filePermission: "9999"}',
    '- {objectName: a, objectType: secretsmanager, objectAlias: same}',
    '',
  ].join('\n');
  assert.deepEqual(messages(findObjectProblems(yaml, ctx)), [
    'objects[1] objectAlias: objectAlias "same" is already used by objects[0]',
    'objects[1] objectAlias: file name "same" is already used by objects[0] ("a")',
    'objects[2] filePermission: "9999" must be exactly four octal digits, e.g. "0640"',
    'objects[3] objectName: "a" is listed twice; give each an objectAlias or a different objectVersionLabel',
  ]);
});

test('problems of the whole list come first and stop the check: not YAML (line in the file), not a list, too many files', () => {
  const broken = '- objectName: a\n  objectType: "secretsmanager\n';
  const [yamlProblem, ...rest] = findObjectProblems(broken, ctx, 10);
  assert.deepEqual(rest, []);
  assert.equal(yamlProblem!.index, undefined);
  assert.match(yamlProblem!.message, /^objects: is not valid YAML at line 1[23], column \d+: /);
  assert.throws(() => parseObjects(broken, ctx), (err) => err instanceof ObjectSpecError && /at line [23],/.test(err.message), 'without an offset, lines of the text');

  assert.deepEqual(messages(findObjectProblems('objectName: a\n', ctx)), ['objects: must be a YAML list of objects (each item starting with "- objectName: ...")']);
  const many = `- {objectName: a, objectType: secretsmanager, jmesPath: [${Array.from({ length: 1000 }, (_, i) => `{path: k, objectAlias: c${i}}`).join(', ')}]}\n`;
  assert.deepEqual(messages(findObjectProblems(many, ctx)), ['objects: would mount 1001 files (objects and jmesPath entries); at most 1000 files per mount are allowed']);
});

test('an entry that is not a mapping is one problem at its index; the others are still checked', () => {
  const problems = findObjectProblems('- just a string\n- {objectName: b}\n', ctx);
  assert.deepEqual(messages(problems), [
    'objects[0]: must be a mapping of fields (objectName, objectType, ...)',
    'objects[1] objectType: is required for "b" (use secretsmanager or ssmparameter, or give a full ARN)',
  ]);
});

test('unknown fields: a warning per key, with the closest known field when it is a near miss, nested fields by their path', () => {
  const yaml = [
    '- objectName: a',
    '  objectType: secretsmanager',
    '  objectAlais: b', // typo
    '  ObjectVersion: "1"', // case differs: known
    '  colour: red', // unknown, nothing close
    '  jmesPath:',
    '    - path: x',
    '      objectAlias: y',
    '      filePermision: "0600"', // typo
    '    - not a mapping',
    '  failoverObject:',
    '    - objectName: c',
    '      objectVerson: "1"', // typo, list form
    '- objectName: d',
    '  failoverObject: {objectname: e, region: us-west-2}', // known in another case, and unknown
    '- plain string item',
    '',
  ].join('\n');
  assert.deepEqual(findUnknownObjectFields(yaml).map((p) => `${p.index} ${p.field}: ${p.reason}`), [
    '0 objectAlais: is not a field the provider reads (did you mean objectAlias?)',
    '0 colour: is not a field the provider reads',
    '0 jmesPath[0].filePermision: is not a field the provider reads (did you mean jmesPath[0].filePermission?)',
    '0 failoverObject.objectVerson: is not a field the provider reads (did you mean failoverObject.objectVersion?)',
    '1 failoverObject.region: is not a field the provider reads',
  ]);
});

test('unknown fields: a hint is the nearest known field, and only within two edits', () => {
  const reason = (key: string) => findUnknownObjectFields(`- {objectName: a, ${key}: x}\n`)[0]?.reason;
  assert.equal(reason('objectTyp'), 'is not a field the provider reads (did you mean objectType?)');
  assert.equal(reason('OBJECTTYPO'), 'is not a field the provider reads (did you mean objectType?)');
  assert.equal(reason('objectVersionLabl'), 'is not a field the provider reads (did you mean objectVersionLabel?)');
  assert.equal(reason('objTyp'), 'is not a field the provider reads');
  assert.equal(reason('objectAliasXYZ'), 'is not a field the provider reads');
  assert.equal(reason('objectAliasXY'), 'is not a field the provider reads (did you mean objectAlias?)');
});

test('unknown fields: a failoverObject list of more than one item, and text that is not YAML, give no warnings', () => {
  assert.deepEqual(findUnknownObjectFields('- {objectName: a, failoverObject: [{bogus: 1}, {bogus: 2}]}\n'), []);
  assert.deepEqual(findUnknownObjectFields('- objectName: "a\n'), []);
  assert.deepEqual(findUnknownObjectFields(undefined), []);
});
