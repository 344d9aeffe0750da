// The objects fields that are ours, not the Go provider's (src/plan/objects.ts):
// objectEncoding (object and jmesPath entry), allKeys, parametersByPath and
// recursive. Absent, they leave a plan exactly as it was; present, every misuse is
// refused before any AWS call with a message naming object, field and value, and the
// linter (validate) reports each problem and knows the fields.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { dynamicFileName, FileNameClaims, findObjectProblems, findUnknownObjectFields, parseObjects, type ObjectsContext } from '../../src/plan/objects.js';
import { ObjectSpecError } from '../../src/errors.js';

const ctx: ObjectsContext = { primaryRegion: 'us-east-1', translation: '_', defaultMode: 0o644 };
const withFailover: ObjectsContext = { ...ctx, failoverRegion: 'us-west-2' };

function refused(yaml: string, message: string, c: ObjectsContext = ctx) {
  assert.throws(() => parseObjects(yaml, c), (err) => {
    assert.ok(err instanceof ObjectSpecError, String(err));
    assert.equal(err.message, message);
    return true;
  });
}

test('without the new fields a plan has none of their keys (old SecretProviderClasses plan as before)', () => {
  const [plan] = parseObjects('- {objectName: db, objectType: secretsmanager, jmesPath: [{path: u, objectAlias: user}]}\n', ctx);
  assert.deepEqual(plan, {
    index: 0, objectName: 'db', objectType: 'secretsmanager', fileName: 'db', mode: 0o644,
    jmesPath: [{ path: 'u', objectAlias: 'user', fileName: 'user', mode: 0o644 }],
  });
});

test('objectEncoding: utf-8 (the default, any case) changes nothing; base64 and hex are kept, on an object and on a jmesPath entry', () => {
  const plan = (enc: string) => parseObjects(`- {objectName: db, objectType: secretsmanager, objectEncoding: ${enc}}\n`, ctx)[0]!;
  assert.equal('objectEncoding' in plan('utf-8'), false);
  assert.equal('objectEncoding' in plan('UTF-8'), false);
  assert.equal(plan('base64').objectEncoding, 'base64');
  assert.equal(plan('Base64').objectEncoding, 'base64');
  assert.equal(plan('HEX').objectEncoding, 'hex');
  const [withEntries] = parseObjects('- {objectName: db, objectType: secretsmanager, jmesPath: [{path: k, objectAlias: k, objectEncoding: base64}, {path: j, objectAlias: j, objectEncoding: utf-8}]}\n', ctx);
  assert.equal(withEntries!.jmesPath[0]!.objectEncoding, 'base64');
  assert.equal('objectEncoding' in withEntries!.jmesPath[1]!, false);
  assert.equal('objectEncoding' in withEntries!, false, 'an entry\'s encoding is not the object\'s');
});

test('objectEncoding: anything else is refused, naming object field and value', () => {
  refused('- {objectName: db, objectType: secretsmanager, objectEncoding: b64}\n', 'objects[0] objectEncoding: "b64" is not an encoding the provider decodes (use utf-8, base64, hex)');
  refused('- {objectName: db, objectType: secretsmanager, jmesPath: [{path: k, objectAlias: k, objectEncoding: base32}]}\n', 'objects[0] jmesPath[0].objectEncoding: "base32" is not an encoding the provider decodes (use utf-8, base64, hex)');
  refused('- {objectName: db, objectType: secretsmanager, objectEncoding: [base64]}\n', 'objects[0] objectEncoding: must be a string');
});

test('allKeys: Go boolean spellings; true records the request\'s pathTranslation for the key files', () => {
  for (const yes of ['true', 'True', 'TRUE', '1', 't', 'T']) {
    assert.deepEqual(parseObjects(`- {objectName: db, objectType: secretsmanager, allKeys: ${yes}}\n`, ctx)[0]!.allKeys, { translation: '_' }, yes);
  }
  for (const no of ['false', 'False', '0', 'f', '~', '""']) {
    assert.equal('allKeys' in parseObjects(`- {objectName: db, objectType: secretsmanager, allKeys: ${no}}\n`, ctx)[0]!, false, no);
  }
  assert.deepEqual(parseObjects('- {objectName: db, objectType: secretsmanager, allKeys: "true"}\n', { ...ctx, translation: undefined })[0]!.allKeys, { translation: undefined });
  refused('- {objectName: db, objectType: secretsmanager, allKeys: yes}\n', 'objects[0] allKeys: "yes" must be "true" or "false"');
  // With jmesPath entries and an alias, as any object: the object's own file is still written.
  const [both] = parseObjects('- {objectName: db, objectType: ssmparameter, objectAlias: all, allKeys: "true", jmesPath: [{path: a.b, objectAlias: ab}]}\n', ctx);
  assert.equal(both!.fileName, 'all');
  assert.equal(both!.jmesPath.length, 1);
});

test('parametersByPath: an SSM path with no file of its own; recursive is opt-in', () => {
  const [one, deep] = parseObjects(
    '- {objectName: /app/config, objectType: ssmparameter, parametersByPath: "true"}\n- {objectName: /app/other/, objectType: ssmparameter, parametersByPath: "true", recursive: "true", filePermission: "0400", objectEncoding: base64}\n',
    ctx,
  );
  assert.deepEqual(one, { index: 0, objectName: '/app/config', objectType: 'ssmparameter', fileName: '', mode: 0o644, jmesPath: [], parametersByPath: { translation: '_', recursive: false } });
  assert.deepEqual(deep!.parametersByPath, { translation: '_', recursive: true });
  assert.equal(deep!.mode, 0o400);
  assert.equal(deep!.objectEncoding, 'base64');
  // A path and a parameter of the same name are two objects; the parameter still has its file.
  const [asParameter, asPath] = parseObjects('- {objectName: /app, objectType: ssmparameter}\n- {objectName: /app, objectType: ssmparameter, parametersByPath: "true"}\n', ctx);
  assert.equal(asParameter!.fileName, '_app');
  assert.equal(asPath!.fileName, '');
  refused('- {objectName: /app, objectType: ssmparameter, parametersByPath: "true"}\n- {objectName: /app, objectType: ssmparameter, parametersByPath: "1"}\n', 'objects[1] objectName: "/app" is listed twice; give each an objectAlias or a different objectVersionLabel');
});

test('parametersByPath: refused for Secrets Manager, plain names and ARNs, and with the fields that name or version one value', () => {
  refused('- {objectName: /app, objectType: secretsmanager, parametersByPath: "true"}\n', 'objects[0] parametersByPath: is only for SSM parameters; "/app" is a secretsmanager object');
  refused('- {objectName: app, objectType: ssmparameter, parametersByPath: "true"}\n', 'objects[0] objectName: "app" must be a parameter path starting with "/" when parametersByPath is set');
  refused('- {objectName: "arn:aws:ssm:us-east-1:123456789012:parameter/app", parametersByPath: "true"}\n', 'objects[0] objectName: "arn:aws:ssm:us-east-1:123456789012:parameter/app" must be a parameter path starting with "/" when parametersByPath is set');
  const conflict = (field: string) =>
    `objects[0] ${field}: cannot be used with parametersByPath (path "/app": each parameter below it is a file named after the parameter, with its own version)`;
  refused('- {objectName: /app, objectType: ssmparameter, parametersByPath: "true", objectAlias: a}\n', conflict('objectAlias'));
  refused('- {objectName: /app, objectType: ssmparameter, parametersByPath: "true", objectVersion: "2"}\n', conflict('objectVersion'));
  refused('- {objectName: /app, objectType: ssmparameter, parametersByPath: "true", objectVersionLabel: live}\n', conflict('objectVersionLabel'));
  refused('- {objectName: /app, objectType: ssmparameter, parametersByPath: "true", jmesPath: [{path: a, objectAlias: a}]}\n', conflict('jmesPath'));
  refused('- {objectName: /app, objectType: ssmparameter, parametersByPath: "true", allKeys: "true"}\n', conflict('allKeys'));
  refused('- {objectName: /app, objectType: ssmparameter, recursive: "true"}\n', 'objects[0] recursive: applies only with parametersByPath: "true"');
  refused('- {objectName: /app, objectType: ssmparameter, parametersByPath: "true", recursive: deep}\n', 'objects[0] recursive: "deep" must be "true" or "false"');
});

test('parametersByPath with failover: no objectAlias needed; a failoverObject must be a path too, without a label', () => {
  const [plain] = parseObjects('- {objectName: /app, objectType: ssmparameter, parametersByPath: "true"}\n', withFailover);
  assert.equal(plain!.failoverObject, undefined);
  const [other] = parseObjects('- {objectName: /app, objectType: ssmparameter, parametersByPath: "true", failoverObject: {objectName: /app-dr}}\n', withFailover);
  assert.deepEqual(other!.failoverObject, { objectName: '/app-dr' });
  refused('- {objectName: /app, objectType: ssmparameter, parametersByPath: "true", failoverObject: {objectName: app-dr}}\n', 'objects[0] failoverObject.objectName: "app-dr" must be a parameter path starting with "/" when parametersByPath is set', withFailover);
  refused('- {objectName: /app, objectType: ssmparameter, parametersByPath: "true", failoverObject: {objectName: /dr, objectVersionLabel: x}}\n', 'objects[0] failoverObject.objectVersionLabel: cannot be used with parametersByPath', withFailover);
  // The Go rule stays for every other object.
  refused('- {objectName: /app, objectType: ssmparameter, failoverObject: {objectName: /dr}}\n', 'objects[0] objectAlias: is required for "/app" because it has a failoverObject', withFailover);
});

test('the linter reports every misuse of the new fields in one pass, and knows them (no unknown-field warnings)', () => {
  const yaml = [
    '- objectName: /app',
    '  objectType: secretsmanager',
    '  parametersByPath: "true"',
    '  objectAlias: a',
    '  objectEncoding: rot13',
    '- objectName: db',
    '  objectType: secretsmanager',
    '  allKeys: maybe',
    '  recursive: "true"',
    '  jmesPath:',
    '    - {path: a, objectAlias: b, objectEncoding: nope}',
    '',
  ].join('\n');
  assert.deepEqual(findObjectProblems(yaml, ctx).map((p) => p.message), [
    'objects[0] objectEncoding: "rot13" is not an encoding the provider decodes (use utf-8, base64, hex)',
    'objects[0] parametersByPath: is only for SSM parameters; "/app" is a secretsmanager object',
    'objects[0] objectAlias: cannot be used with parametersByPath (path "/app": each parameter below it is a file named after the parameter, with its own version)',
    'objects[1] allKeys: "maybe" must be "true" or "false"',
    'objects[1] recursive: applies only with parametersByPath: "true"',
    'objects[1] jmesPath[0].objectEncoding: "nope" is not an encoding the provider decodes (use utf-8, base64, hex)',
  ]);
  assert.deepEqual(findUnknownObjectFields(yaml), []);
  assert.deepEqual(findUnknownObjectFields('- {objectName: a, allkeys: "true", ObjectEncoding: hex, parametersbypath: "1", Recursive: "1", objectEncodng: hex}\n').map((p) => p.message), [
    'objects[0] objectEncodng: is not a field the provider reads (did you mean objectEncoding?)',
  ]);
});

test('dynamicFileName: translated like object names; empty, NUL, "." and ".." elements and overlong names are refused', () => {
  const on = { translation: '_' };
  const off = { translation: undefined };
  assert.deepEqual(dynamicFileName('db/host', on), { fileName: 'db_host' });
  assert.deepEqual(dynamicFileName('db/host', off), { fileName: 'db/host' });
  assert.deepEqual(dynamicFileName('/abs/name', off), { fileName: 'abs/name' });
  assert.deepEqual(dynamicFileName('../x', on), { fileName: '.._x' }, 'translated, one element inside the directory');
  assert.deepEqual(dynamicFileName('', on), { problem: 'it is empty' });
  assert.deepEqual(dynamicFileName('..', on), { problem: 'it has a ".." path element' });
  assert.deepEqual(dynamicFileName('../x', off), { problem: 'it has a ".." path element' });
  assert.deepEqual(dynamicFileName('a//b', off), { problem: 'it has an empty path element ("//" or a trailing "/")' });
  assert.deepEqual(dynamicFileName('a\0b', on), { problem: 'it contains a NUL character' });
  assert.deepEqual(dynamicFileName('k'.repeat(256), on), { problem: 'a path element is longer than 255 bytes' });
});

test('FileNameClaims: the same name twice, a name that is another\'s directory, a directory that is another\'s file', () => {
  const claims = new FileNameClaims();
  assert.equal(claims.claim('a', 'first'), undefined);
  assert.equal(claims.claim('a', 'second'), 'is already used by first');
  assert.equal(claims.claim('a/b', 'third'), 'needs directory "a", which is first\'s file');
  assert.equal(claims.claim('d/e', 'fourth'), undefined);
  assert.equal(claims.claim('d', 'fifth'), "is also a directory of another object's file");
  assert.equal(claims.claim('d/f', 'sixth'), undefined);
});
