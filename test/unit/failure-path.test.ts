// The failure path, as pure decisions: every error kind maps to a code kubelet treats
// as final; transient failures are retried with bounds; regions, permissions, nesting
// and sizes are bounded before anything is allocated or called.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { status as Status } from '@grpc/grpc-js';
import {
  AwsRequestError, ContextError, DeadlineError, FileWriteError, KubernetesError, LimitError, MalformedResponseError, MissingIdentityError,
  ObjectSpecError, RequestError, SetupError, TargetPathError, TransientError, ValueError, type FailureClass,
} from '../../src/errors.js';
import { BothRegionsFailedError } from '../../src/fetch/failover.js';
import { describeCauses, FINAL_CODES, toGrpcError } from '../../src/server/status.js';
import { retryTransient, RetriesExhaustedError } from '../../src/util/retry.js';
import { isRegionName, PARTITION_REGION_PATTERNS } from '../../src/plan/regions.js';
import { parseObjects, type ObjectsContext } from '../../src/plan/objects.js';
import { encodedResponseBytes } from '../../src/mount.js';
import { jsonNestingExceeds, extractJmesPath } from '../../src/extract/jmespath.js';
import { mountedFiles } from '../../src/files/mounted-files.js';
import type { FetchedObject } from '../../src/fetch/fetch-objects.js';

/** The codes after which kubelet keeps the target directory ("may still be in progress"). */
const NON_FINAL = new Set([Status.UNAVAILABLE, Status.DEADLINE_EXCEEDED, Status.RESOURCE_EXHAUSTED, Status.ABORTED, Status.CANCELLED, Status.FAILED_PRECONDITION]);

const aws = (failureClass: FailureClass, extra: Partial<ConstructorParameters<typeof AwsRequestError>[0]> = {}) =>
  new AwsRequestError({ service: 'secretsmanager', operation: 'GetSecretValue', region: 'us-east-1', subject: 'secret "db"', failureClass, ...extra });

test('every failure class maps to the exact final code', () => {
  const cases: Array<[unknown, Status, RegExp?]> = [
    [aws('server', { httpStatus: 503 }), Status.UNKNOWN, /HTTP 503.*\(transient: server error\)/],
    [aws('throttled', { httpStatus: 400, awsCode: 'ThrottlingException' }), Status.UNKNOWN, /transient: throttled/],
    [aws('network', { awsCode: 'ECONNRESET' }), Status.UNKNOWN, /transient: network error or timeout/],
    [new AwsRequestError({ service: 'sts', operation: 'AssumeRoleWithWebIdentity', region: 'us-east-1', failureClass: 'server', httpStatus: 500 }), Status.UNKNOWN],
    [new AwsRequestError({ service: 'pod-identity-agent', operation: 'GetCredentials', region: 'us-east-1', failureClass: 'server', httpStatus: 500 }), Status.UNKNOWN],
    [new BothRegionsFailedError(aws('server', { httpStatus: 503 }), aws('throttled')), Status.UNKNOWN, /failover region also failed/],
    [new MissingIdentityError('An IAM role must be associated with service account x'), Status.UNAUTHENTICATED],
    [aws('client', { httpStatus: 400, awsCode: 'AccessDeniedException' }), Status.PERMISSION_DENIED],
    [aws('client', { httpStatus: 403 }), Status.PERMISSION_DENIED],
    [aws('client', { httpStatus: 400, awsCode: 'InvalidIdentityToken' }), Status.UNAUTHENTICATED],
    [aws('client', { httpStatus: 400, awsCode: 'ExpiredTokenException' }), Status.UNAUTHENTICATED],
    [aws('client', { httpStatus: 400, awsCode: 'ResourceNotFoundException' }), Status.NOT_FOUND],
    [aws('client', { httpStatus: 400, awsCode: 'ValidationException' }), Status.INVALID_ARGUMENT],
    [aws('client', { httpStatus: 400, awsCode: 'InvalidRequestException' }), Status.INVALID_ARGUMENT],
    [aws('aborted'), Status.UNKNOWN],
    [new RequestError('bad'), Status.INVALID_ARGUMENT],
    [new ObjectSpecError(0, 'objectName', 'is required'), Status.INVALID_ARGUMENT],
    [new LimitError('over'), Status.INVALID_ARGUMENT],
    [new ValueError('not JSON'), Status.INVALID_ARGUMENT],
    [new SetupError('node has no region label'), Status.INVALID_ARGUMENT],
    [new TransientError('pod not scheduled yet'), Status.UNKNOWN],
    [new DeadlineError('the mount did not finish within its deadline'), Status.UNKNOWN],
    [new TargetPathError('target path does not exist'), Status.NOT_FOUND],
    [new KubernetesError('failed to read', 500), Status.UNKNOWN],
    [new KubernetesError('failed to read', undefined), Status.UNKNOWN],
    [new KubernetesError('failed to read', 429), Status.UNKNOWN],
    [new KubernetesError('not found', 404), Status.NOT_FOUND],
    [new KubernetesError('forbidden', 403), Status.PERMISSION_DENIED],
    [new KubernetesError('conflict', 409), Status.INTERNAL],
    [new MalformedResponseError('no VersionId'), Status.INTERNAL],
    [new FileWriteError('EIO'), Status.INTERNAL],
    [new DOMException('x', 'AbortError'), Status.UNKNOWN, /deadline passed/],
    [new TypeError('a bug'), Status.INTERNAL, /internal error \(TypeError\)/],
    [undefined, Status.INTERNAL],
  ];
  for (const [err, code, pattern] of cases) {
    const mapped = toGrpcError(err, 'shop/web');
    assert.equal(mapped.code, code, `${(err as Error)?.name}: ${(err as Error)?.message}`);
    assert.ok(!NON_FINAL.has(mapped.code));
    if (pattern) assert.match(mapped.details, pattern);
    assert.match(mapped.details, /^pod shop\/web: /);
  }
  for (const code of FINAL_CODES) assert.ok(!NON_FINAL.has(code), `${Status[code]} must not be used`);
});

test('context wraps a failure (same kind and code, original as cause) instead of rewriting it', () => {
  const original = aws('client', { httpStatus: 400, awsCode: 'ResourceNotFoundException' });
  const message = original.message;
  const wrapped = new ContextError('objects[2] "db"', original);
  assert.equal(original.message, message, 'the original is untouched');
  assert.equal(wrapped.cause, original);
  assert.equal(wrapped.kind, 'not-found');
  assert.equal(wrapped.code, 'ResourceNotFoundException');
  assert.equal(wrapped.message, `objects[2] "db": ${message}`);
});

test('retryTransient: transient failures are retried with jittered, growing backoff; others are not', async () => {
  const budget = { signal: new AbortController().signal, deadlineAt: Infinity };
  const fast = { attempts: 3, baseDelayMs: 4, maxDelayMs: 100, minAttemptMs: 0, random: () => 0.5 };
  let calls = 0;
  assert.equal(await retryTransient(async () => (++calls < 3 ? Promise.reject(aws('server')) : 'ok'), budget, fast), 'ok');
  assert.equal(calls, 3);

  calls = 0;
  await assert.rejects(retryTransient(async () => { calls++; throw aws('throttled'); }, budget, fast), (err: unknown) => {
    assert.ok(err instanceof RetriesExhaustedError);
    assert.equal(err.kind, 'transient');
    assert.equal(err.code, 'throttled');
    assert.match(err.message, /still failing after 3 attempts/);
    return true;
  });
  assert.equal(calls, 3);

  calls = 0;
  await assert.rejects(retryTransient(async () => { calls++; throw aws('client', { httpStatus: 403 }); }, budget, fast), AwsRequestError);
  assert.equal(calls, 1, 'a permanent failure is not retried');
});

test('retryTransient: no attempt is started that the deadline leaves no room for; an abort stops the backoff', async () => {
  let calls = 0;
  const tight = { signal: new AbortController().signal, deadlineAt: Date.now() + 500 };
  await assert.rejects(
    retryTransient(async () => { calls++; throw aws('server'); }, tight, { attempts: 5, baseDelayMs: 10, maxDelayMs: 10, minAttemptMs: 1_000 }),
    /still failing after 1 attempt /,
  );
  assert.equal(calls, 1);

  const controller = new AbortController();
  const pending = retryTransient(async () => { controller.abort(); throw aws('server'); }, { signal: controller.signal, deadlineAt: Infinity });
  await assert.rejects(pending, (err: unknown) => err instanceof AwsRequestError, 'an aborted mount does not go on retrying');
});

test('regions: the partitions\' shapes, as the AWS SDK defines them; made-up names refused', () => {
  for (const ok of ['us-east-1', 'eu-west-3', 'ap-southeast-5', 'cn-north-1', 'us-gov-west-1', 'us-iso-east-1', 'us-isob-east-1', 'eu-isoe-west-1', 'us-isof-south-1', 'eusc-de-east-1', 'il-central-1', 'mx-central-1']) {
    assert.ok(isRegionName(ok), ok);
  }
  for (const bad of ['us-east-1x', 'moon-1', 'us-east', 'US-EAST-1', 'useast1', 'us-east-1.evil.example', 'zz-east-1', `us-${'a'.repeat(40)}-1`, '', 'node-region-1']) {
    assert.ok(!isRegionName(bad), bad);
  }
  // The patterns are the SDK's own partition data (checked here so an SDK upgrade that adds a partition is noticed).
  const require = createRequire(import.meta.url);
  const core = dirname(require.resolve('@aws-sdk/core/package.json'));
  const data = readFileSync(join(core, 'dist-es/submodules/client/util-endpoints/lib/aws/partitions.js'), 'utf8');
  const sdkPatterns = [...data.matchAll(/"regionRegex":\s*("(?:[^"\\]|\\.)*")/g)].map((m) => (JSON.parse(m[1]!) as string).replaceAll('\\-', '-'));
  assert.ok(sdkPatterns.length >= 8);
  assert.deepEqual(new Set(PARTITION_REGION_PATTERNS.map((p) => p.source.replaceAll('\\-', '-'))), new Set(sdkPatterns));
});

const ctx: ObjectsContext = { primaryRegion: 'us-east-1', translation: '_', defaultMode: 0o644 };

test('objects YAML nested past the bound is refused before it is composed (the red-team crash inputs)', () => {
  for (const bomb of ['['.repeat(1000) + ']'.repeat(1000), '- '.repeat(3000), '{a: '.repeat(500) + '1' + '}'.repeat(500), Array.from({ length: 600 }, (_, i) => `${' '.repeat(i)}k${i}:`).join('\n')]) {
    assert.throws(() => parseObjects(bomb, ctx), (err: unknown) => err instanceof ObjectSpecError && /nests more than 16 levels deep/.test(err.message));
  }
  // A real spec with every nested field is well inside the bound.
  const deep = '- objectName: a\n  objectType: secretsmanager\n  objectAlias: a\n  jmesPath:\n    - path: "x[0].y"\n      objectAlias: b\n  failoverObject:\n    - objectName: a\n';
  assert.equal(parseObjects(deep, { ...ctx, failoverRegion: 'us-west-2' }).length, 1);
});

test('objects YAML with too many tokens or files is refused before it is composed', () => {
  const flow = (n: number) => `- {objectName: a, objectType: secretsmanager, jmesPath: [${Array.from({ length: n }, (_, i) => `{path: k, objectAlias: c${i}}`).join(', ')}]}\n`;
  assert.throws(() => parseObjects(flow(7000), ctx), /objects: has more than 24000 YAML tokens/);
  assert.throws(() => parseObjects(flow(1000), ctx), /objects: would mount 1001 files \(objects and jmesPath entries\); at most 1000/);
  assert.equal(parseObjects(flow(999), ctx)[0]!.jmesPath.length, 999);
  // The largest valid spec in block style fits the token bound.
  const block = '- objectName: a\n  objectType: secretsmanager\n  jmesPath:\n' + Array.from({ length: 999 }, (_, i) => `    - path: k\n      objectAlias: c${i}\n`).join('');
  assert.equal(parseObjects(block, ctx)[0]!.jmesPath.length, 999);
});

test('filePermission with setuid, setgid or sticky bits is refused, naming the field', () => {
  for (const mode of ['4755', '2755', '1755', '7777']) {
    assert.throws(() => parseObjects(`- objectName: a\n  objectType: secretsmanager\n  filePermission: "${mode}"\n`, ctx), /objects\[0\] filePermission: ".*" sets setuid, setgid or sticky bits/);
    assert.throws(
      () => parseObjects(`- objectName: a\n  objectType: secretsmanager\n  jmesPath:\n    - path: k\n      objectAlias: k\n      filePermission: "${mode}"\n`, ctx),
      /objects\[0\] jmesPath\[0\]\.filePermission: ".*" sets setuid/,
    );
  }
  assert.equal(parseObjects('- objectName: a\n  objectType: secretsmanager\n  filePermission: "0777"\n', ctx)[0]!.mode, 0o777);
});

test('JMESPath expressions are bounded in size and nesting before they are compiled', () => {
  const spec = (path: string) => `- objectName: a\n  objectType: secretsmanager\n  jmesPath:\n    - path: '${path}'\n      objectAlias: k\n`;
  assert.throws(() => parseObjects(spec('a.'.repeat(600) + 'b'), ctx), /jmesPath\[0\]\.path: \(objectAlias "k"\) is longer than 1024 bytes/);
  assert.throws(() => parseObjects(spec('['.repeat(40) + ']'.repeat(40)), ctx), /nests brackets more than 32 levels deep/);
  assert.throws(() => parseObjects(spec('f('.repeat(40) + ')'.repeat(40)), ctx), /nests brackets/);
});

test('the driver-writes size check counts the encoded response exactly', async () => {
  const protobuf = (await import('protobufjs')).default;
  const serviceText = readFileSync(new URL('../../proto/service.proto', import.meta.url), 'utf8');
  const MountResponse = protobuf.parse(serviceText, { keepCase: true }).root.lookupType('v1alpha1.MountResponse');
  const response = {
    object_version: [{ id: 'a', version: 'v1' }, { id: 'dir/€'.repeat(30), version: 'x'.repeat(200) }],
    files: [
      { path: 'a', mode: 420, contents: Buffer.alloc(10) },
      { path: 'dir/€'.repeat(30), mode: 0o600, contents: Buffer.alloc(70_000, 1) },
      { path: 'z', mode: 0, contents: Buffer.alloc(0) },
    ],
  };
  assert.equal(encodedResponseBytes(response), MountResponse.encode(MountResponse.fromObject(response)).finish().length);
});

test('jmesPath fan-out and JSON nesting are bounded before buffers are made', () => {
  assert.ok(jsonNestingExceeds(Buffer.from('['.repeat(200) + ']'.repeat(200)), 128));
  assert.ok(!jsonNestingExceeds(Buffer.from('{"a":"[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[","b":[1,{"c":2}]}'), 3));
  assert.ok(!jsonNestingExceeds(Buffer.from('{"a":"\\"[[[["}'), 1));

  const value = Buffer.from(JSON.stringify({ big: 'x'.repeat(60_000), deep: JSON.parse('['.repeat(200) + ']'.repeat(200)) }));
  const entries = Array.from({ length: 200 }, (_, i) => ({ path: 'big', objectAlias: `k${i}`, fileName: `k${i}`, mode: 0o644 }));
  const fetched = {
    object: { index: 0, objectName: 'db', objectType: 'secretsmanager', fileName: 'db', mode: 0o644, jmesPath: entries },
    value: Buffer.from(JSON.stringify({ big: 'x'.repeat(60_000) })), version: 'v1', region: 'us-east-1',
  } as unknown as FetchedObject;
  let reserved = 0;
  assert.throws(() => mountedFiles([fetched], 1024 * 1024), (err: unknown) => err instanceof LimitError && /more than 1048576 bytes/.test(err.message));
  // The bound is checked before each file's buffer: at most one value past it was ever produced.
  assert.throws(() => extractJmesPath(fetched, (n) => { reserved += n; if (reserved > 1024 * 1024) throw new LimitError('over'); }), LimitError);
  assert.ok(reserved <= 1024 * 1024 + 60_000);
  const deepValue = { ...fetched, value } as FetchedObject;
  assert.throws(() => extractJmesPath(deepValue), (err: unknown) => err instanceof ValueError && /deeper than 128 levels/.test(err.message));
});

test('the mount queue is bounded in requests and bytes; overload is a final transient failure, and leaving frees the room', async () => {
  const { MountGate } = await import('../../src/server/mount-gate.js');
  const gate = new MountGate(1, { maxQueued: 2, maxQueuedBytes: 1000 });
  const never = new AbortController().signal;
  const release = await gate.enter(never);
  const leaving = new AbortController();
  const first = gate.enter(leaving.signal, undefined, 600);
  await assert.rejects(gate.enter(never, undefined, 600), (err: unknown) => {
    assert.ok(err instanceof TransientError);
    assert.equal(toGrpcError(err, undefined).code, Status.UNKNOWN);
    assert.match(err.message, /the provider is overloaded: 1 mounts running and 1 waiting/);
    return true;
  });
  const second = gate.enter(never, undefined, 300);
  await assert.rejects(gate.enter(never, undefined, 10), /overloaded/, 'at most two waiting');
  leaving.abort();
  await assert.rejects(first, (err: Error) => err.name === 'AbortError');
  const third = gate.enter(never, undefined, 600); // the aborted waiter's bytes were given back
  release();
  (await second)();
  (await third)();
});

test('an unexpected error is logged with its stack and cause chain (the user sees a generic message)', () => {
  const root = Object.assign(new Error('EIO: i/o error, read'), { code: 'EIO' });
  const bug = new TypeError('Cannot read properties of undefined', { cause: root });
  const logged = describeCauses(bug);
  assert.match(logged, /^TypeError: Cannot read properties of undefined\n\s+at /);
  assert.match(logged, /caused by: Error: EIO: i\/o error, read/);
  assert.doesNotMatch(toGrpcError(bug, undefined).details, /EIO/);
});
