// From fetched values to the mount's files: jmesPath entries (src/extract/jmespath.ts)
// each select a string that becomes its own file, with errors naming the object, path
// and alias but never the value; mountedFiles (src/files/mounted-files.ts) lists the
// object's own file and its jmesPath files with modes and versions, bounded in bytes.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { extractJmesPath, jsonNestingExceeds } from '../../src/extract/jmespath.js';
import { mountedFiles } from '../../src/files/mounted-files.js';
import { LimitError, ValueError } from '../../src/errors.js';
import type { FetchedObject } from '../../src/fetch/fetch-objects.js';
import { MAX_JSON_NESTING } from '../../src/limits.js';
import type { JmesPathPlan } from '../../src/plan/objects.js';

const SECRET_VALUE = 'pa55-w0rd-never-in-a-message';

function fetched(value: string, jmesPath: Array<Partial<JmesPathPlan> & { path: string; objectAlias: string }>, extra: Partial<FetchedObject['object']> = {}): FetchedObject {
  return {
    value: Buffer.from(value, 'utf8'),
    version: 'v-17',
    region: 'eu-west-1',
    object: {
      index: 3,
      objectName: 'db-creds',
      objectType: 'secretsmanager',
      fileName: 'db-creds',
      mode: 0o640,
      jmesPath: jmesPath.map((j) => ({ fileName: j.objectAlias, mode: 0o600, ...j })),
      ...extra,
    },
  };
}

const text = (b: Buffer) => b.toString('utf8');

test('each jmesPath entry selects a string from the JSON value', () => {
  const value = JSON.stringify({ username: 'admin', password: SECRET_VALUE, nested: { list: ['a', 'b'], 'odd-key': 'ü' } });
  const out = extractJmesPath(fetched(value, [
    { path: 'username', objectAlias: 'user' },
    { path: 'password', objectAlias: 'pass' },
    { path: 'nested.list[1]', objectAlias: 'second' },
    { path: 'nested."odd-key"', objectAlias: 'odd' },
  ]));
  assert.deepEqual(out.map((e) => [e.entry.objectAlias, text(e.contents)]), [['user', 'admin'], ['pass', SECRET_VALUE], ['second', 'b'], ['odd', 'ü']]);
});

test('an object without jmesPath entries yields nothing, whatever its value', () => {
  assert.deepEqual(extractJmesPath(fetched('not json at all', [])), []);
});

const rejects = (value: string, path: string, pattern: RegExp) =>
  assert.throws(() => extractJmesPath(fetched(value, [{ path, objectAlias: 'alias-1' }])), (err) => {
    assert.ok(err instanceof ValueError, String(err));
    assert.equal(err.kind, 'invalid-argument');
    assert.match(err.message, /^objects\[3\] "db-creds" \(region eu-west-1\): /);
    assert.match(err.message, pattern);
    assert.ok(!err.message.includes(SECRET_VALUE), 'the value is never quoted');
    return true;
  });

test('a value that is not JSON, a selection that is missing or null: errors name object, path and alias, never the value', () => {
  rejects(`password=${SECRET_VALUE}`, 'password', /jmesPath is set but the value is not valid JSON$/);
  rejects(JSON.stringify({ password: SECRET_VALUE }), 'user', /jmesPath path "user" \(objectAlias "alias-1"\) matched nothing in the value$/);
  rejects(JSON.stringify({ password: null, x: SECRET_VALUE }), 'password', /jmesPath path "password" \(objectAlias "alias-1"\) matched nothing in the value$/);
  rejects(JSON.stringify({ a: SECRET_VALUE }), 'a[?', /jmesPath path "a\[\?" \(objectAlias "alias-1"\) failed: /);
  // The jmespath library also finds inherited JavaScript properties: they are not in the value.
  rejects(JSON.stringify({ a: SECRET_VALUE }), 'constructor', /jmesPath path "constructor" \(objectAlias "alias-1"\) matched nothing in the value$/);
  rejects(JSON.stringify({ a: SECRET_VALUE }), '{x: a, y: toString}', /selected an object that holds something that is not in the JSON value \(a JavaScript built-in such as "constructor"\)$/);
  rejects(JSON.stringify({ a: SECRET_VALUE }), '[a, constructor]', /selected an array that holds something that is not in the JSON value/);
});

test('numbers and booleans are written as their JSON text, objects and arrays as compact JSON', () => {
  const value = '{ "port": 5432, "ratio": 0.25, "small": -1.5e-7, "on": true, "off": false, "list": [1, "a", null], "obj": { "host": "db", "n": { "m": [] } } }';
  const paths = ['port', 'ratio', 'small', 'on', 'off', 'list', 'obj', 'length(list)', '[port, on]'];
  const out = extractJmesPath(fetched(value, paths.map((path, i) => ({ path, objectAlias: `a${i}` }))));
  assert.deepEqual(out.map((e) => text(e.contents)), ['5432', '0.25', '-1.5e-7', 'true', 'false', '[1,"a",null]', '{"host":"db","n":{"m":[]}}', '3', '[5432,true]']);
});

test('an integer beyond 2^53, alone or inside the selection, is refused rather than written changed', () => {
  const big = '{"id": 12345678901234567890, "ids": {"a": [9007199254740993]}, "ok": 9007199254740991, "x": "' + SECRET_VALUE + '"}';
  rejects(big, 'id', /jmesPath path "id" \(objectAlias "alias-1"\) selected a number that is or holds an integer beyond 2\^53 \(9007199254740991\), which a JSON number does not keep exactly; store it as a JSON string$/);
  rejects(big, 'ids', /selected an object that is or holds an integer beyond 2\^53/);
  const [ok] = extractJmesPath(fetched(big, [{ path: 'ok', objectAlias: 'ok' }]));
  assert.equal(text(ok!.contents), '9007199254740991');
});

test('a jmesPath entry with objectEncoding decodes the string it selects; a non-string or invalid text fails naming path and alias', () => {
  const bytes = Buffer.from([0, 1, 2, 0xfe, 0xff, 0x80]);
  const value = JSON.stringify({ b64: bytes.toString('base64'), hex: bytes.toString('hex'), plain: 'x', n: 1, bad: `${SECRET_VALUE}!` });
  const out = extractJmesPath(fetched(value, [
    { path: 'b64', objectAlias: 'b', objectEncoding: 'base64' },
    { path: 'hex', objectAlias: 'h', objectEncoding: 'hex' },
    { path: 'plain', objectAlias: 'p' },
  ]));
  assert.deepEqual(out.map((e) => e.contents), [bytes, bytes, Buffer.from('x')]);
  const rejectsEncoded = (path: string, encoding: 'base64' | 'hex', pattern: RegExp) =>
    assert.throws(() => extractJmesPath(fetched(value, [{ path, objectAlias: 'alias-1', objectEncoding: encoding }])), (err) => {
      assert.ok(err instanceof ValueError);
      assert.match(err.message, pattern);
      assert.ok(!err.message.includes(SECRET_VALUE));
      return true;
    });
  rejectsEncoded('n', 'base64', /^objects\[3\] "db-creds" \(region eu-west-1\): jmesPath path "n" \(objectAlias "alias-1"\) has objectEncoding base64, which decodes a string, but selected a number$/);
  rejectsEncoded('bad', 'base64', /jmesPath path "bad" \(objectAlias "alias-1"\) selected a string that is not valid base64 \(objectEncoding\): character 5 is not in the base64 alphabet/);
  rejectsEncoded('bad', 'hex', /selected a string that is not valid hex \(objectEncoding\): character 1 is not a hex digit/);
});

test('an empty string is a value (an empty file)', () => {
  const [e] = extractJmesPath(fetched('{"blank":""}', [{ path: 'blank', objectAlias: 'b' }]));
  assert.equal(e!.contents.length, 0);
});

test('JSON nested deeper than the bound is refused before it is parsed; exactly the bound is read', () => {
  const nested = (n: number) => '['.repeat(n) + '"x"' + ']'.repeat(n);
  assert.throws(
    () => extractJmesPath(fetched(nested(MAX_JSON_NESTING + 1), [{ path: 'a', objectAlias: 'a' }])),
    (err) => err instanceof ValueError && err.message.includes(`nests JSON deeper than ${MAX_JSON_NESTING} levels`),
  );
  const [e] = extractJmesPath(fetched(nested(MAX_JSON_NESTING), [{ path: '[0]'.repeat(MAX_JSON_NESTING), objectAlias: 'a' }]));
  assert.equal(text(e!.contents), 'x');
});

test('jsonNestingExceeds counts arrays and objects, not brackets inside strings or after escapes', () => {
  assert.equal(jsonNestingExceeds(Buffer.from('{"a":[{"b":[1]}]}'), 4), false);
  assert.equal(jsonNestingExceeds(Buffer.from('{"a":[{"b":[1]}]}'), 3), true);
  assert.equal(jsonNestingExceeds(Buffer.from('[[]]'), 1), true, 'the second [ opens a second level');
  assert.equal(jsonNestingExceeds(Buffer.from('[],[],[],[]'), 1), false, 'closing brackets bring the depth back down');
  assert.equal(jsonNestingExceeds(Buffer.from('{},{},{}'), 1), false);
  assert.equal(jsonNestingExceeds(Buffer.from('["[[[[", "{{{{"]'), 1), false);
  assert.equal(jsonNestingExceeds(Buffer.from('["a\\"[[[[", "b"]'), 1), false, 'an escaped quote does not end the string');
  assert.equal(jsonNestingExceeds(Buffer.from('["a\\\\", [[]]]'), 2), true, 'an escaped backslash does end before the quote');
  assert.equal(jsonNestingExceeds(Buffer.from(''), 0), false);
});

test('the byte reservation is asked for each selected string before its buffer is made', () => {
  const reserved: number[] = [];
  extractJmesPath(fetched(JSON.stringify({ a: 'abc', b: 'ü€' }), [{ path: 'a', objectAlias: 'a' }, { path: 'b', objectAlias: 'b' }]), (n) => reserved.push(n));
  assert.deepEqual(reserved, [3, 5]);
  assert.throws(
    () => extractJmesPath(fetched(JSON.stringify({ a: 'abc' }), [{ path: 'a', objectAlias: 'a' }]), () => { throw new LimitError('over'); }),
    LimitError,
  );
});

test("mountedFiles: each object's own file, then its jmesPath files, with their modes, the object's version and type", () => {
  const files = mountedFiles(
    [
      fetched(JSON.stringify({ u: 'admin', p: 'pw' }), [{ path: 'u', objectAlias: 'user', fileName: 'dir_user', mode: 0o400 }, { path: 'p', objectAlias: 'pass' }]),
      { value: Buffer.from('plain'), version: '3', region: 'eu-west-1', object: { index: 4, objectName: '/app/p', objectType: 'ssmparameter', fileName: '_app_p', mode: 0o644, jmesPath: [] } },
    ],
    1 << 20,
  );
  assert.deepEqual(files.map((f) => [f.path, f.mode.toString(8), text(f.contents), f.version, f.objectType]), [
    ['db-creds', '640', JSON.stringify({ u: 'admin', p: 'pw' }), 'v-17', 'secretsmanager'],
    ['dir_user', '400', 'admin', 'v-17', 'secretsmanager'],
    ['pass', '600', 'pw', 'v-17', 'secretsmanager'],
    ['_app_p', '644', 'plain', '3', 'ssmparameter'],
  ]);
});

test('mountedFiles counts every byte it would write, jmesPath files included, against the bound', () => {
  const objects = [fetched(JSON.stringify({ a: 'x'.repeat(100) }), [{ path: 'a', objectAlias: 'a' }, { path: 'a', objectAlias: 'again' }])];
  const total = objects[0]!.value.length + 200;
  assert.equal(mountedFiles(objects, total).length, 3);
  assert.throws(() => mountedFiles(objects, total - 1), (err) => err instanceof LimitError && err.message === `the mount's files total more than ${total - 1} bytes, the most one mount may write`);
  assert.deepEqual(mountedFiles([], 0), []);
});
