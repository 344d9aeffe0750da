// objects rules (src/plan/objects.ts) at their exact edges and with their exact
// messages: the size, count, token and nesting bounds of the YAML; the JMESPath
// expression bounds; NULs and YAML nulls; failoverObject's versions and labels;
// every jmesPath alias checked like an objectAlias.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseObjects, type ObjectsContext } from '../../src/plan/objects.js';
import { ObjectSpecError } from '../../src/errors.js';
import { MAX_JMESPATH_EXPRESSION_BYTES, MAX_JMESPATH_NESTING, MAX_OBJECTS, MAX_OBJECTS_YAML_BYTES, MAX_OBJECTS_YAML_NESTING } from '../../src/limits.js';

const ctx: ObjectsContext = { primaryRegion: 'us-east-1', translation: '_', defaultMode: 0o644 };
const withFailover: ObjectsContext = { ...ctx, failoverRegion: 'us-west-2' };

function refused(yaml: string, message: string | RegExp, c: ObjectsContext = ctx) {
  assert.throws(() => parseObjects(yaml, c), (err) => {
    assert.ok(err instanceof ObjectSpecError, String(err));
    if (typeof message === 'string') assert.equal(err.message, message);
    else assert.match(err.message, message);
    return true;
  });
}

test('the YAML may be exactly MAX_OBJECTS_YAML_BYTES long, not a byte more', () => {
  const item = '- {objectName: a, objectType: secretsmanager}\n';
  const padded = (total: number) => item + '#'.repeat(total - item.length - 1) + '\n';
  assert.equal(parseObjects(padded(MAX_OBJECTS_YAML_BYTES), ctx).length, 1);
  refused(padded(MAX_OBJECTS_YAML_BYTES + 1), `objects: is larger than ${MAX_OBJECTS_YAML_BYTES} bytes`);
});

test('at most MAX_OBJECTS objects', () => {
  const list = (n: number) => `[${Array.from({ length: n }, (_, i) => `{objectName: o${i}, objectType: ssmparameter}`).join(',')}]`;
  assert.equal(parseObjects(list(MAX_OBJECTS), ctx).length, MAX_OBJECTS);
  refused(list(MAX_OBJECTS + 1), `objects: lists ${MAX_OBJECTS + 1} objects; at most ${MAX_OBJECTS} are allowed`);
});

test('empty documents and YAML nulls mount nothing; a bare scalar is not a list', () => {
  for (const empty of ['~', 'null', 'NULL', '# only a comment\n', '---\n']) assert.deepEqual(parseObjects(empty, ctx), [], JSON.stringify(empty));
  refused('just text', 'objects: must be a YAML list of objects (each item starting with "- objectName: ...")');
  refused('"null"', /must be a YAML list/, ctx);
});

test('nesting: a valid spec nests 6 levels; past MAX_OBJECTS_YAML_NESTING is refused before composing', () => {
  refused(`${'['.repeat(MAX_OBJECTS_YAML_NESTING + 1)}${']'.repeat(MAX_OBJECTS_YAML_NESTING + 1)}`, `objects: nests more than ${MAX_OBJECTS_YAML_NESTING} levels deep; a list of objects needs at most 6`);
  refused('[[[[[[[[[[]]]]]]]]]]', /must be a mapping of fields/); // deep but within the bound: checked as objects
});

test('YAML errors are reported at their line and column, with the parser\'s first line of reason', () => {
  refused('- objectName: a\n  objectType: [secretsmanager\n', /^objects: is not valid YAML at line \d+, column \d+: [^\n]+$/);
});

test('an alias expanding past the alias count cannot be read', () => {
  const anchors = ['base: &a {objectName: x}', `list: [${Array(101).fill('*a').join(', ')}]`].join('\n');
  refused(anchors, /^objects: cannot be read: /);
});

test('NUL characters are refused in any field', () => {
  refused('- {objectName: "a\\0b", objectType: secretsmanager}\n', 'objects[0] objectName: must not contain NUL characters');
  refused('- {objectName: a, objectType: secretsmanager, jmesPath: [{path: "x\\0", objectAlias: y}]}\n', 'objects[0] jmesPath[0].path: must not contain NUL characters');
});

test('YAML nulls are "not set" in every field, quoted "null" is a value', () => {
  const [o] = parseObjects('- objectName: a\n  objectType: secretsmanager\n  objectAlias: ~\n  objectVersion: null\n  jmesPath:\n  failoverObject: Null\n', ctx);
  assert.deepEqual(o, { index: 0, objectName: 'a', objectType: 'secretsmanager', fileName: 'a', mode: 0o644, jmesPath: [] });
  assert.equal(parseObjects('- {objectName: "null", objectType: secretsmanager}\n', ctx)[0]!.objectName, 'null');
});

test('jmesPath must be a list of mappings', () => {
  refused('- {objectName: a, objectType: secretsmanager, jmesPath: "x"}\n', 'objects[0] jmesPath: must be a list of {path, objectAlias} entries');
  refused('- {objectName: a, objectType: secretsmanager, jmesPath: ["x"]}\n', 'objects[0] jmesPath[0]: must be a mapping of fields (objectName, objectType, ...)');
});

const jmes = (path: string, alias = 'k') => `- objectName: a\n  objectType: secretsmanager\n  jmesPath:\n    - path: '${path}'\n      objectAlias: ${alias}\n`;

test('a JMESPath expression may be MAX_JMESPATH_EXPRESSION_BYTES long and nest MAX_JMESPATH_NESTING brackets', () => {
  const long = `a${'.b'.repeat((MAX_JMESPATH_EXPRESSION_BYTES - 1) / 2)}`;
  assert.equal(Buffer.byteLength(long), MAX_JMESPATH_EXPRESSION_BYTES - (MAX_JMESPATH_EXPRESSION_BYTES % 2 === 0 ? 1 : 0));
  const exact = long.length === MAX_JMESPATH_EXPRESSION_BYTES ? long : `${long}c`;
  assert.equal(Buffer.byteLength(exact), MAX_JMESPATH_EXPRESSION_BYTES);
  assert.equal(parseObjects(jmes(exact), ctx)[0]!.jmesPath[0]!.path, exact);
  refused(jmes(`${exact}d`), `objects[0] jmesPath[0].path: (objectAlias "k") is longer than ${MAX_JMESPATH_EXPRESSION_BYTES} bytes`);

  for (const [open, close] of [['[', ']'], ['(', ')']] as const) {
    const nested = (n: number) => `${open.repeat(n)}a${close.repeat(n)}`;
    refused(jmes(nested(MAX_JMESPATH_NESTING + 1)), `objects[0] jmesPath[0].path: (objectAlias "k") nests brackets more than ${MAX_JMESPATH_NESTING} levels deep`);
  }
  refused(jmes(`${'{a:'.repeat(MAX_JMESPATH_NESTING + 1)}b${'}'.repeat(MAX_JMESPATH_NESTING + 1)}`), /nests brackets more than/);
  const deepButValid = `${'('.repeat(MAX_JMESPATH_NESTING)}a${')'.repeat(MAX_JMESPATH_NESTING)}`;
  assert.equal(parseObjects(jmes(deepButValid), ctx)[0]!.jmesPath[0]!.path, deepButValid);
  // Many brackets one after another are not nesting: each closes before the next opens.
  const sequential = `a${'[0]'.repeat(MAX_JMESPATH_NESTING + 5)}`;
  assert.equal(parseObjects(jmes(sequential), ctx)[0]!.jmesPath[0]!.path, sequential);
  const sequentialCalls = `[${Array(MAX_JMESPATH_NESTING + 5).fill('(a)').join(',')}]`;
  assert.equal(parseObjects(jmes(sequentialCalls), ctx)[0]!.jmesPath[0]!.path, sequentialCalls);
  const sequentialMaps = `[${Array(MAX_JMESPATH_NESTING + 5).fill('{a: b}').join(',')}]`;
  assert.equal(parseObjects(jmes(sequentialMaps), ctx)[0]!.jmesPath[0]!.path, sequentialMaps);
});

test('a jmesPath objectAlias is checked like a file name: no traversal, no empty element', () => {
  refused(jmes('a', '../up'), 'objects[0] jmesPath[0].objectAlias: "../up" must not be "." or have a ".." path element');
  refused(jmes('a', '.'), 'objects[0] jmesPath[0].objectAlias: "." must not be "." or have a ".." path element');
  refused(jmes('a', "'//'"), /^objects\[0\] jmesPath\[0\]\.objectAlias: "\/\/" cannot be used as a file name: /, { ...ctx, translation: undefined });
  refused('- {objectName: a, objectType: secretsmanager, objectAlias: "x/../y"}\n', 'objects[0] objectAlias: "x/../y" must not be "." or have a ".." path element');
});

test('an invalid JMESPath expression is named with its alias', () => {
  refused(jmes('a[?', 'alias-9'), /^objects\[0\] jmesPath\[0\]\.path: "a\[\?" \(objectAlias "alias-9"\) is not a valid JMESPath expression: /);
});

const failover = (primary: string, failoverFields: string) =>
  `- objectName: /p\n  objectType: ssmparameter\n  objectAlias: p\n${primary}  failoverObject:\n${failoverFields}`;

test('failoverObject: versions and labels are carried into the plan', () => {
  const [o] = parseObjects(failover('  objectVersion: "3"\n', '    objectName: /p-west\n    objectVersion: "3"\n'), withFailover);
  assert.deepEqual(o!.failoverObject, { objectName: '/p-west', objectVersion: '3' });
  const [l] = parseObjects(failover('  objectVersionLabel: live\n', '    objectName: /p-west\n    objectVersionLabel: live-west\n'), withFailover);
  assert.deepEqual(l!.failoverObject, { objectName: '/p-west', objectVersionLabel: 'live-west' });
  const [n] = parseObjects(failover('', '    objectName: /p-west\n'), withFailover);
  assert.deepEqual(n!.failoverObject, { objectName: '/p-west' });
});

test('failoverObject: its own rules, each named', () => {
  refused(failover('  objectVersion: "3"\n', '    objectName: /p-west\n    objectVersion: "3"\n    objectVersionLabel: live\n'), 'objects[0] failoverObject.objectVersion: SSM parameter "/p-west" cannot specify both objectVersion and objectVersionLabel', withFailover);
  refused(failover('  objectVersion: "3"\n', '    objectName: /p-west\n'), 'objects[0] failoverObject.objectVersion: must equal the primary objectVersion of "/p"', withFailover);
  refused(failover('', '    objectVersion: "3"\n'), 'objects[0] failoverObject.objectName: is required', withFailover);
  refused(failover('', '    objectName: ../p\n'), 'objects[0] failoverObject.objectName: "../p" must not be "." or have a ".." path element', withFailover);
  refused(failover('', '    - objectName: a\n    - objectName: b\n'), 'objects[0] failoverObject: must be a single {objectName, ...} mapping', withFailover);
  refused(failover('', '    - objectName: a\n').replace('  objectAlias: p\n', ''), 'objects[0] objectAlias: is required for "/p" because it has a failoverObject', withFailover);
  refused(failover('', '    objectName: /p-west\n'), 'objects[0] failoverObject: for "/p" requires the failoverRegion parameter');
  refused(failover('', '    objectName: "arn:aws:secretsmanager:us-west-2:123456789012:secret:s"\n'), 'objects[0] objectType: "ssmparameter" does not match ARN "arn:aws:secretsmanager:us-west-2:123456789012:secret:s"', withFailover);
  refused(failover('', '    objectName: "x"\n    objectVersion: [1]\n'), 'objects[0] failoverObject.objectVersion: must be a string', withFailover);
  refused(failover('', '    objectName: "x"\n    objectVersionLabel: [1]\n'), 'objects[0] failoverObject.objectVersionLabel: must be a string', withFailover);
  // Secrets Manager allows both a version and a label in the failover region too.
  const sm = '- objectName: s\n  objectType: secretsmanager\n  objectAlias: s\n  objectVersion: v1\n  failoverObject:\n    objectName: s2\n    objectVersion: v1\n    objectVersionLabel: AWSCURRENT\n';
  assert.deepEqual(parseObjects(sm, withFailover)[0]!.failoverObject, { objectName: 's2', objectVersion: 'v1', objectVersionLabel: 'AWSCURRENT' });
});

test('the SSM version/label rule names the object', () => {
  refused('- {objectName: /p, objectType: ssmparameter, objectVersion: "1", objectVersionLabel: l}\n', 'objects[0] objectVersion: SSM parameter "/p" cannot specify both objectVersion and objectVersionLabel');
});
