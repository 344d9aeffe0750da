// mountedFiles (src/files/mounted-files.ts) for the features whose files are known only
// when values arrive: allKeys (every top-level key a file), parametersByPath (every
// parameter below a path a file, with its own version), and objectEncoding (the value
// decoded before it is written or read as JSON). Names are translated like object names;
// an unusable or colliding name fails the mount naming the key or parameter, never a value.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mountedFiles } from '../../src/files/mounted-files.js';
import { LimitError, ValueError } from '../../src/errors.js';
import type { FetchedObject } from '../../src/fetch/fetch-objects.js';
import { MAX_MOUNT_FILES } from '../../src/limits.js';
import { parseObjects } from '../../src/plan/objects.js';

const SECRET = 'n3ver-in-a-message';
const REGION = 'us-east-1';

/** translation 'off': pathTranslation "False". */
function plans(yaml: string, translation: '_' | 'off' = '_') {
  return parseObjects(yaml, { primaryRegion: REGION, translation: translation === 'off' ? undefined : translation, defaultMode: 0o644 });
}

const fetched = (object: FetchedObject['object'], value: string | Buffer, version = 'v1', parameter?: FetchedObject['parameter']): FetchedObject => ({
  object, value: Buffer.isBuffer(value) ? value : Buffer.from(value), version, region: REGION, ...(parameter && { parameter }),
});

const listing = (files: ReturnType<typeof mountedFiles>) => files.map((f) => [f.path, f.contents.toString('utf8'), f.version, f.mode.toString(8)]);

function fails(run: () => unknown, message: string | RegExp, type: new (...args: never[]) => Error = ValueError) {
  assert.throws(run, (err) => {
    assert.ok(err instanceof type, String(err));
    if (typeof message === 'string') assert.equal(err.message, message);
    else assert.match(err.message, message);
    assert.ok(!err.message.includes(SECRET), 'no value in the message');
    return true;
  });
}

test('allKeys: the whole value, then one file per top-level key (values as jmesPath writes them), with the parent\'s version and mode', () => {
  const [db] = plans('- {objectName: db, objectType: secretsmanager, allKeys: "true", filePermission: "0600"}\n');
  const value = JSON.stringify({ username: 'app', password: SECRET, port: 5432, tls: true, replicas: ['a', 'b'], opts: { ssl: 'on' }, 'a/b': 'slash', '': undefined });
  assert.deepEqual(listing(mountedFiles([fetched(db!, value, 'v-7')], 1 << 20)), [
    ['db', value, 'v-7', '600'],
    ['username', 'app', 'v-7', '600'],
    ['password', SECRET, 'v-7', '600'],
    ['port', '5432', 'v-7', '600'],
    ['tls', 'true', 'v-7', '600'],
    ['replicas', '["a","b"]', 'v-7', '600'],
    ['opts', '{"ssl":"on"}', 'v-7', '600'],
    ['a_b', 'slash', 'v-7', '600'],
  ]);
});

test('allKeys with pathTranslation off: "/" in a key makes a directory; a leading "/" stays inside the mount', () => {
  const [db] = plans('- {objectName: db, objectType: secretsmanager, allKeys: "true"}\n', 'off');
  const files = mountedFiles([fetched(db!, JSON.stringify({ 'tls/crt': 'c', '/etc/key': 'k' }))], 1 << 20);
  assert.deepEqual(files.map((f) => f.path), ['db', 'tls/crt', 'etc/key']);
});

test('allKeys with jmesPath entries: both, from one parse; an object with no keys adds nothing', () => {
  const [db, empty] = plans('- {objectName: db, objectType: secretsmanager, allKeys: "true", jmesPath: [{path: nested.x, objectAlias: x}]}\n- {objectName: e, objectType: secretsmanager, allKeys: "true"}\n');
  const files = mountedFiles([fetched(db!, '{"nested":{"x":"1"},"k":"v"}'), fetched(empty!, '{}')], 1 << 20);
  assert.deepEqual(files.map((f) => f.path), ['db', 'x', 'e', 'nested', 'k']);
});

test('allKeys: a value that is not a JSON object, a null key, a big integer: errors name object and key', () => {
  const [db] = plans('- {objectName: db, objectType: secretsmanager, allKeys: "true"}\n');
  const where = 'objects[0] "db" (region us-east-1): ';
  fails(() => mountedFiles([fetched(db!, SECRET)], 1 << 20), `${where}allKeys is set but the value is not valid JSON`);
  fails(() => mountedFiles([fetched(db!, JSON.stringify([SECRET]))], 1 << 20), `${where}allKeys is set but the value is an array, not a JSON object`);
  fails(() => mountedFiles([fetched(db!, JSON.stringify(SECRET))], 1 << 20), `${where}allKeys is set but the value is a string, not a JSON object`);
  fails(() => mountedFiles([fetched(db!, 'null')], 1 << 20), `${where}allKeys is set but the value is null, not a JSON object`);
  fails(() => mountedFiles([fetched(db!, JSON.stringify({ a: SECRET, gone: null }))], 1 << 20), `${where}allKeys key "gone" is null, which is never written`);
  fails(() => mountedFiles([fetched(db!, `{"a":"${SECRET}","id":12345678901234567890}`)], 1 << 20), /^objects\[0\] "db" \(region us-east-1\): allKeys key "id" is a number that is or holds an integer beyond 2\^53/);
});

test('allKeys: a key that is empty, leaves the directory, or collides with any other file fails the mount naming the key', () => {
  const where = 'objects[1] "db" (region us-east-1): ';
  const spc = '- {objectName: other, objectType: secretsmanager, jmesPath: [{path: a, objectAlias: alias}]}\n- {objectName: db, objectType: secretsmanager, allKeys: "true"}\n';
  const [other, db] = plans(spc);
  const mount = (value: object, translation?: 'off') => {
    const [o, d] = translation ? plans(spc, 'off') : [other!, db!];
    return mountedFiles([fetched(o!, '{"a":"x"}'), fetched(d!, JSON.stringify({ ok: SECRET, ...value }))], 1 << 20);
  };
  fails(() => mount({ '': 'x' }), `${where}allKeys key "" cannot be used as a file name: it is empty`);
  fails(() => mount({ '..': 'x' }), `${where}allKeys key ".." cannot be used as a file name: it has a ".." path element`);
  fails(() => mount({ '../../etc/passwd': 'x' }, 'off'), `${where}allKeys key "../../etc/passwd" cannot be used as a file name: it has a ".." path element`);
  fails(() => mount({ 'a\u0000b': 'x' }), `${where}allKeys key "a\\u0000b" cannot be used as a file name: it contains a NUL character`);
  fails(() => mount({ other: 'x' }), `${where}allKeys key "other" cannot be mounted: file name "other" is already used by objects[0] ("other")`);
  fails(() => mount({ alias: 'x' }), `${where}allKeys key "alias" cannot be mounted: file name "alias" is already used by objects[0].jmesPath[0]`);
  fails(() => mount({ db: 'x' }), `${where}allKeys key "db" cannot be mounted: file name "db" is already used by objects[1] ("db")`);
  fails(() => mount({ 'a/b': 'x', a_b: 'y' }), `${where}allKeys key "a_b" cannot be mounted: file name "a_b" is already used by objects[1] allKeys key "a/b"`);
  fails(() => mount({ 'other/x': 'x' }, 'off'), `${where}allKeys key "other/x" cannot be mounted: file name "other/x" needs directory "other", which is objects[0] ("other")'s file`);
  const long = 'k'.repeat(300);
  fails(() => mount({ [long]: 'x' }), `${where}allKeys key "${'k'.repeat(120)}..." cannot be used as a file name: a path element is longer than 255 bytes`);
});

test('two allKeys objects with a key in common collide; the second one\'s key is named', () => {
  const [a, b] = plans('- {objectName: a, objectType: secretsmanager, allKeys: "true"}\n- {objectName: b, objectType: secretsmanager, allKeys: "true"}\n');
  fails(
    () => mountedFiles([fetched(a!, '{"user":"1"}'), fetched(b!, '{"user":"2"}')], 1 << 20),
    'objects[1] "b" (region us-east-1): allKeys key "user" cannot be mounted: file name "user" is already used by objects[0] allKeys key "user"',
  );
});

test('allKeys counts every byte and every file against the mount\'s bounds', () => {
  const [db] = plans('- {objectName: db, objectType: secretsmanager, allKeys: "true"}\n');
  const value = JSON.stringify({ a: 'xxxx', b: 'yyyy' });
  assert.equal(mountedFiles([fetched(db!, value)], value.length + 8).length, 3);
  fails(() => mountedFiles([fetched(db!, value)], value.length + 7), `the mount's files total more than ${value.length + 7} bytes, the most one mount may write`, LimitError);
  const many = JSON.stringify(Object.fromEntries(Array.from({ length: MAX_MOUNT_FILES }, (_, i) => [`k${i}`, ''])));
  fails(() => mountedFiles([fetched(db!, many)], 1 << 24), `the mount would write ${MAX_MOUNT_FILES + 1} files (allKeys keys and parameters below paths included); at most ${MAX_MOUNT_FILES} files per mount are allowed`, LimitError);
});

test('objectEncoding on an object: its file holds the decoded bytes, and jmesPath and allKeys read the decoded JSON', () => {
  const binary = Buffer.from([0xca, 0xfe, 0x00, 0xba, 0xbe]);
  const [ks, wrapped] = plans('- {objectName: ks, objectType: secretsmanager, objectEncoding: base64}\n- {objectName: w, objectType: ssmparameter, objectEncoding: hex, allKeys: "true", jmesPath: [{path: u, objectAlias: user}]}\n');
  const json = JSON.stringify({ u: 'app', p: 1 });
  const files = mountedFiles([fetched(ks!, `${binary.toString('base64')}\n`), fetched(wrapped!, Buffer.from(json).toString('hex'))], 1 << 20);
  assert.deepEqual(files.map((f) => [f.path, f.contents]), [
    ['ks', binary], ['w', Buffer.from(json)], ['user', Buffer.from('app')], ['u', Buffer.from('app')], ['p', Buffer.from('1')],
  ]);
  // SecretBinary bytes are read as the encoding's text too.
  assert.deepEqual(mountedFiles([fetched(ks!, Buffer.from('yv4Aur4=', 'latin1'))], 1 << 20)[0]!.contents, binary);
  fails(() => mountedFiles([fetched(ks!, `${SECRET}`)], 1 << 20), 'objects[0] "ks" (region us-east-1): objectEncoding base64: the value is not valid base64: character 6 is not in the base64 alphabet (A-Z, a-z, 0-9, +, /)');
});

test('parametersByPath: one file per parameter, named below the path and translated, each with its own version', () => {
  const [path, single] = plans('- {objectName: /app, objectType: ssmparameter, parametersByPath: "true", recursive: "true", filePermission: "0400"}\n- {objectName: /solo, objectType: ssmparameter}\n');
  const p = (name: string, value: string, version: string) => fetched(path!, value, version, { name: `/app/${name}`, relativeName: name });
  const files = mountedFiles([p('db/host', 'h', '3'), p('db/port', '5432', '1'), p('flag', 'on', '9'), fetched(single!, 's', '2')], 1 << 20);
  assert.deepEqual(listing(files), [['_solo', 's', '2', '644'], ['db_host', 'h', '3', '400'], ['db_port', '5432', '1', '400'], ['flag', 'on', '9', '400']]);
  const [offPath] = plans('- {objectName: /app, objectType: ssmparameter, parametersByPath: "true", recursive: "true"}\n', 'off');
  assert.deepEqual(mountedFiles([fetched(offPath!, 'h', '3', { name: '/app/db/host', relativeName: 'db/host' })], 1 << 20).map((f) => f.path), ['db/host']);
});

test('parametersByPath: a parameter whose file name collides is named in the error; objectEncoding applies to each value', () => {
  const [path, other] = plans('- {objectName: /app, objectType: ssmparameter, parametersByPath: "true", objectEncoding: base64}\n- {objectName: x/y, objectType: ssmparameter}\n');
  const files = mountedFiles([fetched(path!, 'aGk=', '1', { name: '/app/k', relativeName: 'k' })], 1 << 20);
  assert.deepEqual(files[0]!.contents, Buffer.from('hi'));
  fails(
    () => mountedFiles([fetched(path!, 'aGk=', '1', { name: '/app/x/y', relativeName: 'x/y' }), fetched(other!, 'v')], 1 << 20),
    'objects[0] "/app" (region us-east-1): parameter "/app/x/y" cannot be mounted: file name "x_y" is already used by objects[1] ("x/y")',
  );
  fails(
    () => mountedFiles([fetched(path!, SECRET, '1', { name: '/app/k', relativeName: 'k' })], 1 << 20),
    /^objects\[0\] "\/app" \(region us-east-1\): objectEncoding base64: the value of parameter "\/app\/k" is not valid base64: /,
  );
});
