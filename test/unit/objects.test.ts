// Unit tests for the pure `objects` parser and validator: every descriptor rule.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseObjects, type ObjectsContext } from '../../src/plan/objects.js';
import { ObjectSpecError } from '../../src/errors.js';

const ctx: ObjectsContext = { primaryRegion: 'us-east-1', translation: '_', defaultMode: 0o644 };
const withFailover: ObjectsContext = { ...ctx, failoverRegion: 'us-west-2' };

function rejects(yaml: string, pattern: RegExp, c: ObjectsContext = ctx) {
  assert.throws(() => parseObjects(yaml, c), (err: unknown) => {
    assert.ok(err instanceof ObjectSpecError, `expected ObjectSpecError, got ${String(err)}`);
    assert.match(err.message, pattern);
    return true;
  });
}

test('empty or absent objects mount nothing', () => {
  assert.deepEqual(parseObjects(undefined, ctx), []);
  assert.deepEqual(parseObjects('', ctx), []);
  assert.deepEqual(parseObjects('  \n', ctx), []);
  assert.deepEqual(parseObjects('[]', ctx), []);
});

test('a basic secret: file name, default mode, type', () => {
  const [o] = parseObjects('- objectName: "MySecret"\n  objectType: "secretsmanager"\n', ctx);
  assert.equal(o!.objectName, 'MySecret');
  assert.equal(o!.objectType, 'secretsmanager');
  assert.equal(o!.fileName, 'MySecret');
  assert.equal(o!.mode, 0o644);
});

test('keys match case-insensitively and unknown keys are ignored', () => {
  const [o] = parseObjects('- ObjectName: a\n  ObjectType: ssmparameter\n  ObjectAlias: b\n  extra: 1\n  jmesPath:\n    - Path: x\n      ObjectAlias: y\n', ctx);
  assert.equal(o!.objectAlias, 'b');
  assert.equal(o!.jmesPath[0]!.path, 'x');
  assert.equal(o!.jmesPath[0]!.fileName, 'y');
});

test('scalars are kept as written (YAML 1.1 surprises avoided)', () => {
  const [o] = parseObjects('- objectName: yes\n  objectType: secretsmanager\n  objectVersion: 2\n  filePermission: 0600\n', ctx);
  assert.equal(o!.objectName, 'yes');
  assert.equal(o!.objectVersion, '2');
  assert.equal(o!.mode, 0o600);
});

test('YAML nulls mean "not set"', () => {
  const [o] = parseObjects('- objectName: a\n  objectType: secretsmanager\n  objectAlias: ~\n  objectVersionLabel:\n', ctx);
  assert.equal(o!.objectAlias, undefined);
  assert.equal(o!.objectVersionLabel, undefined);
});

test('objectName is required', () => rejects('- objectType: secretsmanager\n', /objects\[0\] objectName: is required/));

test('objects must be a list of mappings', () => {
  rejects('objectName: a\n', /must be a YAML list/);
  rejects('- just-a-string\n', /objects\[0\].*must be a mapping/);
  rejects('- objectName: [a, b]\n  objectType: secretsmanager\n', /objectName: must be a string/);
});

test('invalid YAML names the line', () => rejects('- objectName: "a\n  objectType: x\n', /not valid YAML at line \d+/));

test('ARN: well-formed, region must match the primary region, service decides the type', () => {
  const [sm] = parseObjects('- objectName: "arn:aws:secretsmanager:us-east-1:123456789012:secret:db-AbCdEf"\n', ctx);
  assert.equal(sm!.objectType, 'secretsmanager');
  assert.equal(sm!.fileName, 'arn:aws:secretsmanager:us-east-1:123456789012:secret:db-AbCdEf');
  const [p] = parseObjects('- objectName: "arn:aws:ssm:us-east-1:123456789012:parameter/app/x"\n', ctx);
  assert.equal(p!.objectType, 'ssmparameter');
  assert.equal(p!.fileName, 'arn:aws:ssm:us-east-1:123456789012:parameter_app_x');
  rejects('- objectName: "arn:aws:secretsmanager"\n', /not a well-formed ARN/);
  rejects('- objectName: "arn:aws:secretsmanager:us-west-2:123456789012:secret:db"\n', /region of ARN .* \(us-west-2\) must match region us-east-1/);
  rejects('- objectName: "arn:aws:s3:us-east-1:123456789012:bucket/x"\n', /unsupported service "s3"/);
  // Region is checked before service and type.
  rejects('- objectName: "arn:aws:s3:eu-west-1:123456789012:x"\n  objectType: bogus\n', /must match region/);
});

test('objectType: required without an ARN, exact values, must agree with the ARN', () => {
  rejects('- objectName: plain\n', /objectType: is required for "plain"/);
  rejects('- objectName: plain\n  objectType: SecretsManager\n', /objectType: "SecretsManager" is invalid/);
  rejects('- objectName: plain\n  objectType: ssm\n', /objectType: "ssm" is invalid/);
  rejects('- objectName: "arn:aws:secretsmanager:us-east-1:123456789012:secret:x"\n  objectType: ssmparameter\n', /does not match ARN/);
});

test('SSM objectVersion and objectVersionLabel are exclusive; Secrets Manager allows both', () => {
  rejects('- objectName: p\n  objectType: ssmparameter\n  objectVersion: "1"\n  objectVersionLabel: l\n', /cannot specify both objectVersion and objectVersionLabel/);
  const [o] = parseObjects('- objectName: s\n  objectType: secretsmanager\n  objectVersion: v1\n  objectVersionLabel: AWSCURRENT\n', ctx);
  assert.equal(o!.objectVersion, 'v1');
  assert.equal(o!.objectVersionLabel, 'AWSCURRENT');
});

test('filePermission: four octal digits; defaults from request and from the object', () => {
  const [o] = parseObjects('- objectName: s\n  objectType: secretsmanager\n  filePermission: "0600"\n  jmesPath:\n    - path: a\n      objectAlias: a1\n    - path: b\n      objectAlias: b1\n      filePermission: "0400"\n', ctx);
  assert.equal(o!.mode, 0o600);
  assert.equal(o!.jmesPath[0]!.mode, 0o600);
  assert.equal(o!.jmesPath[1]!.mode, 0o400);
  for (const bad of ['600', '0800', '00644', 'rw', '0x1f', '-644']) {
    rejects(`- objectName: s\n  objectType: secretsmanager\n  filePermission: "${bad}"\n`, /filePermission: .* must be exactly four octal digits/);
  }
  rejects('- objectName: s\n  objectType: secretsmanager\n  jmesPath:\n    - path: a\n      objectAlias: x\n      filePermission: "999"\n', /jmesPath\[0\]\.filePermission/);
});

test('jmesPath entries need path and objectAlias, and a valid expression', () => {
  rejects('- objectName: s\n  objectType: secretsmanager\n  jmesPath:\n    - objectAlias: x\n', /jmesPath\[0\]\.path: is required/);
  rejects('- objectName: s\n  objectType: secretsmanager\n  jmesPath:\n    - path: x\n', /jmesPath\[0\]\.objectAlias: is required/);
  rejects('- objectName: s\n  objectType: secretsmanager\n  jmesPath:\n    - path: "a[["\n      objectAlias: x\n', /path: "a\[\[" \(objectAlias "x"\) is not a valid JMESPath expression/);
  rejects('- objectName: s\n  objectType: secretsmanager\n  jmesPath: notalist\n', /jmesPath: must be a list/);
});

test('pathTranslation: default underscore, custom character, off strips the leading slash', () => {
  assert.equal(parseObjects('- objectName: /a/b\n  objectType: ssmparameter\n', ctx)[0]!.fileName, '_a_b');
  assert.equal(parseObjects('- objectName: /a/b\n  objectType: ssmparameter\n', { ...ctx, translation: '-' })[0]!.fileName, '-a-b');
  assert.equal(parseObjects('- objectName: /a/b\n  objectType: ssmparameter\n', { ...ctx, translation: undefined })[0]!.fileName, 'a/b');
});

test('traversal and unclean names are rejected', () => {
  const off = { ...ctx, translation: undefined };
  rejects('- objectName: ../etc/passwd\n  objectType: ssmparameter\n', /must not be "\." or have a "\.\." path element/);
  rejects('- objectName: a/../../b\n  objectType: ssmparameter\n', /have a "\.\." path element/, off);
  rejects('- objectName: a/..\n  objectType: ssmparameter\n', /have a "\.\." path element/, off);
  // Only a whole ".." element is traversal (the Go provider accepts these names).
  assert.equal(parseObjects('- objectName: mypath../param\n  objectType: ssmparameter\n', { ...ctx, translation: undefined })[0]!.fileName, 'mypath../param');
  assert.equal(parseObjects('- objectName: "arn:aws:secretsmanager:us-east-1:123456789012:secret:mypath../x"\n', ctx)[0]!.objectType, 'secretsmanager');
  rejects('- objectName: s\n  objectType: ssmparameter\n  objectAlias: ".."\n', /objectAlias: "\.\." must not be/);
  rejects('- objectName: "a//b"\n  objectType: ssmparameter\n', /empty path element/, off);
  rejects('- objectName: "a/./b"\n  objectType: ssmparameter\n', /"\." path element/, off);
  rejects(`- objectName: ${'x'.repeat(300)}\n  objectType: ssmparameter\n`, /longer than 255 bytes/);
});

test('failoverObject: needs objectAlias and failoverRegion, ARN region, equal versions, list form accepted', () => {
  const base = '- objectName: "arn:aws:secretsmanager:us-east-1:123456789012:secret:a-AbCdEf"\n';
  const fo = (extra: string) => `${base}  objectAlias: A\n  failoverObject:\n    objectName: "arn:aws:secretsmanager:us-west-2:123456789012:secret:b-AbCdEf"\n${extra}`;
  const [o] = parseObjects(fo(''), withFailover);
  assert.equal(o!.failoverObject!.objectName, 'arn:aws:secretsmanager:us-west-2:123456789012:secret:b-AbCdEf');
  const [l] = parseObjects(`${base}  objectAlias: A\n  failoverObject:\n    - objectName: "arn:aws:secretsmanager:us-west-2:123456789012:secret:b-AbCdEf"\n`, withFailover);
  assert.ok(l!.failoverObject);
  rejects(`${base}  failoverObject:\n    objectName: x\n`, /objectAlias: is required .* because it has a failoverObject/, withFailover);
  rejects(fo(''), /requires the failoverRegion parameter/);
  rejects(`${base}  objectAlias: A\n  failoverObject:\n    objectName: "arn:aws:secretsmanager:eu-west-1:123456789012:secret:b"\n`, /failoverObject\.objectName: the region of ARN .* must match region us-west-2/, withFailover);
  rejects(`${base}  objectAlias: A\n  objectVersion: v1\n  failoverObject:\n    objectName: "arn:aws:secretsmanager:us-west-2:123456789012:secret:b"\n    objectVersion: v2\n`, /must equal the primary objectVersion/, withFailover);
  rejects(`${base}  objectAlias: A\n  failoverObject:\n    objectName: "arn:aws:ssm:us-west-2:123456789012:parameter/b"\n`, /is a ssmparameter object but/, withFailover);
});

test('duplicates: same name needs a different alias or label; aliases unique; file names unique', () => {
  rejects('- objectName: a\n  objectType: secretsmanager\n- objectName: a\n  objectType: secretsmanager\n', /objects\[1\] objectName: "a" is listed twice/);
  const ok = parseObjects('- objectName: a\n  objectType: secretsmanager\n- objectName: a\n  objectType: secretsmanager\n  objectVersionLabel: AWSPREVIOUS\n  objectAlias: a-prev\n', ctx);
  assert.equal(ok.length, 2);
  rejects('- objectName: a\n  objectType: secretsmanager\n  objectVersionLabel: AWSPREVIOUS\n- objectName: a\n  objectType: secretsmanager\n', /file name "a" is already used/);
  rejects('- objectName: a\n  objectType: secretsmanager\n  objectAlias: x\n- objectName: b\n  objectType: secretsmanager\n  objectAlias: x\n', /objectAlias "x" is already used by objects\[0\]/);
  rejects('- objectName: a\n  objectType: secretsmanager\n  jmesPath:\n    - path: k\n      objectAlias: b\n- objectName: b\n  objectType: secretsmanager\n', /file name "b" is already used by objects\[0\]\.jmesPath\[0\]/);
  rejects('- objectName: a/b\n  objectType: secretsmanager\n- objectName: a_b\n  objectType: secretsmanager\n', /file name "a_b" is already used/);
  rejects('- objectName: a\n  objectType: ssmparameter\n- objectName: a/b\n  objectType: ssmparameter\n', /needs directory "a"/, { ...ctx, translation: undefined });
});

test('oversized or alias-bomb YAML is refused, not expanded', () => {
  rejects('x'.repeat(300 * 1024), /larger than/);
  const bomb = ['a: &a ["x","x","x","x","x","x","x","x","x","x"]'];
  for (let i = 1; i < 8; i++) bomb.push(`${String.fromCharCode(97 + i)}: &${String.fromCharCode(97 + i)} [${Array(10).fill('*' + String.fromCharCode(96 + i)).join(',')}]`);
  rejects(bomb.join('\n'), /cannot be read|must be a YAML list/);
});

test('ParsedObjectsMemo: same spec and context give the same frozen plans; context is part of the key; errors are not kept; bounded', async () => {
  const { ParsedObjectsMemo } = await import('../../src/plan/objects-memo.js');
  const yaml = '- objectName: a\n  objectType: secretsmanager\n';
  const probe = new ParsedObjectsMemo();
  probe.parse(yaml, ctx);
  // Room for two entries of this size, not three: the bound is in bytes.
  const memo = new ParsedObjectsMemo(2 * probe.sizeBytes + 10);
  const first = memo.parse(yaml, ctx);
  assert.equal(memo.parse(yaml, ctx), first);
  assert.ok(Object.isFrozen(first[0]) && Object.isFrozen(first[0]!.jmesPath));
  const other = memo.parse(yaml, { ...ctx, defaultMode: 0o600 });
  assert.notEqual(other, first);
  assert.equal(other[0]!.mode, 0o600);
  for (let i = 0; i < 2; i++) assert.throws(() => memo.parse('- objectType: x\n', ctx), ObjectSpecError);
  memo.parse('- objectName: b\n  objectType: ssmparameter\n', ctx); // evicts the least recently used
  assert.notEqual(memo.parse(yaml, ctx), first, 'evicted entries are parsed again');
  assert.ok(memo.sizeBytes <= 2 * probe.sizeBytes + 10);
});

test('ParsedObjectsMemo: many large distinct specs stay within the byte bound', async () => {
  const { ParsedObjectsMemo } = await import('../../src/plan/objects-memo.js');
  const bound = 1024 * 1024;
  const memo = new ParsedObjectsMemo(bound);
  const padding = '# ' + 'x'.repeat(60 * 1024) + '\n';
  for (let i = 0; i < 64; i++) memo.parse(`${padding}- objectName: s${i}\n  objectType: secretsmanager\n`, ctx);
  assert.ok(memo.sizeBytes <= bound, `${memo.sizeBytes} bytes held`);
  // Keyed by digest: what is held is the plans, not the 60 KiB texts.
  assert.ok(memo.sizeBytes < 64 * 2048, `${memo.sizeBytes} bytes held for 64 specs`);
  assert.equal(memo.parse(`${padding}- objectName: s63\n  objectType: secretsmanager\n`, ctx), memo.parse(`${padding}- objectName: s63\n  objectType: secretsmanager\n`, ctx));
});

test('ParsedObjectsMemo: every part of the context is in the key (a failover region, a translation, the region)', async () => {
  const { ParsedObjectsMemo } = await import('../../src/plan/objects-memo.js');
  const memo = new ParsedObjectsMemo();
  const yaml = '- objectName: a/b\n  objectType: secretsmanager\n';
  const base = memo.parse(yaml, { ...ctx, translation: '_' });
  const withFailover = memo.parse(yaml, { ...ctx, translation: '_', failoverRegion: 'us-west-2' });
  const otherFailover = memo.parse(yaml, { ...ctx, translation: '_', failoverRegion: 'eu-west-1' });
  assert.notEqual(withFailover, base);
  assert.notEqual(otherFailover, withFailover);
  const dashed = memo.parse(yaml, { ...ctx, translation: '-' });
  const untranslated = memo.parse(yaml, { ...ctx, translation: undefined });
  assert.deepEqual([base[0]!.fileName, dashed[0]!.fileName, untranslated[0]!.fileName], ['a_b', 'a-b', 'a/b']);
  assert.notEqual(memo.parse(yaml, { ...ctx, translation: '_', primaryRegion: 'ap-south-1' }), base);
  assert.equal(memo.parse(yaml, { ...ctx, translation: '_' }), base, 'the same context is a hit');
});

test('ParsedObjectsMemo: jmesPath entries are frozen too and count against the byte bound', async () => {
  const { ParsedObjectsMemo } = await import('../../src/plan/objects-memo.js');
  const plain = new ParsedObjectsMemo();
  plain.parse('- objectName: a\n  objectType: secretsmanager\n', ctx);
  const withPaths = new ParsedObjectsMemo();
  const plans = withPaths.parse('- objectName: a\n  objectType: secretsmanager\n  jmesPath:\n    - path: username\n      objectAlias: user\n', ctx);
  assert.ok(Object.isFrozen(plans[0]!.jmesPath[0]), 'a shared plan cannot be changed by one mount');
  assert.ok(withPaths.sizeBytes > plain.sizeBytes, `${withPaths.sizeBytes} > ${plain.sizeBytes}`);
});
