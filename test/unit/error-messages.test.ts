// What users read in the pod's events and operators in logs and metrics: the
// message, kind, code and name of each typed error (src/errors.ts) and the gRPC
// status they become (src/server/status.ts), including unexpected errors and
// deadline aborts, and the cause chain logged for a bug.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { status as Status } from '@grpc/grpc-js';
import {
  AwsRequestError, ContextError, DeadlineError, FileWriteError, KubernetesError, LimitError, MalformedResponseError, MissingIdentityError,
  ObjectSpecError, ProviderError, RequestError, SetupError, TargetPathError, TransientError, ValueError, type AwsErrorDetails,
} from '../../src/errors.js';
import { describeCauses, FINAL_CODES, toGrpcError } from '../../src/server/status.js';
import { abortError } from '../../src/util/abort.js';

const details = (extra: Partial<AwsErrorDetails>): AwsErrorDetails => ({ service: 'secretsmanager', operation: 'GetSecretValue', region: 'eu-west-1', failureClass: 'client', ...extra });

test('an AWS failure message names service, operation, subject, region, HTTP status, AWS code and message, and whether it was transient', () => {
  const cases: Array<[Partial<AwsErrorDetails>, string]> = [
    [{}, 'secretsmanager GetSecretValue failed in region eu-west-1'],
    [{ subject: 'secret "db"' }, 'secretsmanager GetSecretValue for secret "db" failed in region eu-west-1'],
    [{ httpStatus: 400 }, 'secretsmanager GetSecretValue failed in region eu-west-1 (HTTP 400)'],
    [{ awsCode: 'AccessDeniedException' }, 'secretsmanager GetSecretValue failed in region eu-west-1: AccessDeniedException'],
    [{ awsMessage: 'not allowed' }, 'secretsmanager GetSecretValue failed in region eu-west-1: not allowed'],
    [
      { subject: 'secret "db"', httpStatus: 400, awsCode: 'AccessDeniedException', awsMessage: 'User is not authorized' },
      'secretsmanager GetSecretValue for secret "db" failed in region eu-west-1 (HTTP 400): AccessDeniedException: User is not authorized',
    ],
    [{ failureClass: 'server', httpStatus: 503 }, 'secretsmanager GetSecretValue failed in region eu-west-1 (HTTP 503) (transient: server error)'],
    [{ failureClass: 'throttled', awsCode: 'ThrottlingException' }, 'secretsmanager GetSecretValue failed in region eu-west-1: ThrottlingException (transient: throttled)'],
    [{ failureClass: 'network', awsMessage: 'socket hang up' }, 'secretsmanager GetSecretValue failed in region eu-west-1: socket hang up (transient: network error or timeout)'],
    [{ failureClass: 'aborted' }, 'secretsmanager GetSecretValue failed in region eu-west-1'],
  ];
  for (const [extra, message] of cases) {
    const err = new AwsRequestError(details(extra));
    assert.equal(err.message, message);
    assert.equal(err.name, 'AwsRequestError');
  }
});

test('an AWS failure: kind from class, code and status; the code label is the AWS code, else the class', () => {
  const cases: Array<[Partial<AwsErrorDetails>, string, string, boolean]> = [
    [{ failureClass: 'throttled' }, 'transient', 'throttled', true],
    [{ failureClass: 'server', awsCode: 'InternalFailure' }, 'transient', 'InternalFailure', true],
    [{ failureClass: 'network' }, 'transient', 'network', true],
    [{ failureClass: 'aborted' }, 'deadline', 'aborted', false],
    [{ awsCode: 'ResourceNotFoundException' }, 'not-found', 'ResourceNotFoundException', false],
    [{ awsCode: 'ParameterNotFound' }, 'not-found', 'ParameterNotFound', false],
    [{ awsCode: 'ParameterVersionNotFound' }, 'not-found', 'ParameterVersionNotFound', false],
    [{ awsCode: 'InvalidParameters' }, 'not-found', 'InvalidParameters', false],
    ...['UnrecognizedClientException', 'InvalidClientTokenId', 'InvalidIdentityToken', 'ExpiredToken', 'ExpiredTokenException', 'IDPRejectedClaim', 'IDPCommunicationError', 'IncompleteSignature', 'SignatureDoesNotMatch'].map(
      (code): [Partial<AwsErrorDetails>, string, string, boolean] => [{ awsCode: code, httpStatus: 400 }, 'unauthenticated', code, false],
    ),
    [{ httpStatus: 401 }, 'unauthenticated', 'client', false],
    [{ httpStatus: 403 }, 'permission-denied', 'client', false],
    ...['AccessDeniedException', 'AccessDenied', 'KMSAccessDeniedException', 'DecryptionFailure'].map(
      (code): [Partial<AwsErrorDetails>, string, string, boolean] => [{ awsCode: code, httpStatus: 400 }, 'permission-denied', code, false],
    ),
    [{ awsCode: 'ValidationException', httpStatus: 400 }, 'invalid-argument', 'ValidationException', false],
    [{ httpStatus: 400 }, 'invalid-argument', 'client', false],
    [{ awsCode: 'ResourceNotFoundException', httpStatus: 403 }, 'not-found', 'ResourceNotFoundException', false],
    [{ awsCode: 'ExpiredToken', httpStatus: 403 }, 'unauthenticated', 'ExpiredToken', false],
  ];
  for (const [extra, kind, code, transient] of cases) {
    const err = new AwsRequestError(details(extra));
    assert.deepEqual([err.kind, err.code, err.transient], [kind, code, transient], JSON.stringify(extra));
  }
});

test('a waiter of a shared call gets its own AwsRequestError with the same details and cause', () => {
  const cause = new Error('socket hang up');
  const original = new AwsRequestError(details({ failureClass: 'network', awsMessage: 'socket hang up' }), cause);
  const copy = original.forWaiter();
  assert.notEqual(copy, original);
  assert.ok(copy instanceof AwsRequestError);
  assert.equal(copy.message, original.message);
  assert.equal(copy.cause, cause);
  assert.deepEqual(copy.details, original.details);
  assert.notEqual(copy.details, original.details, 'details are copied, not shared');
  const request = new RequestError('bad');
  assert.equal(request.forWaiter(), request, 'other errors are immutable enough to share');
});

test('objects errors name the entry and field when known', () => {
  assert.equal(new ObjectSpecError(2, 'objectAlias', 'is required').message, 'objects[2] objectAlias: is required');
  assert.equal(new ObjectSpecError(0, undefined, 'must be a mapping').message, 'objects[0]: must be a mapping');
  assert.equal(new ObjectSpecError(undefined, 'objects', 'must be a list').message, 'objects: must be a list');
  assert.equal(new ObjectSpecError(undefined, undefined, 'too deep').message, 'too deep');
  const err = new ObjectSpecError(4, 'jmesPath[1].path', 'is required');
  assert.deepEqual([err.index, err.field, err.reason, err.name, err.kind, err.code], [4, 'jmesPath[1].path', 'is required', 'ObjectSpecError', 'invalid-argument', 'InvalidObject']);
});

test('Kubernetes failures: transient without an answer, 429 or 5xx; the code label carries the status', () => {
  const cases: Array<[number | undefined, string, string]> = [
    [undefined, 'transient', 'KubernetesUnreachable'],
    [429, 'transient', 'Kubernetes429'],
    [500, 'transient', 'Kubernetes500'],
    [503, 'transient', 'Kubernetes503'],
    [499, 'internal', 'Kubernetes499'],
    [404, 'not-found', 'Kubernetes404'],
    [401, 'permission-denied', 'Kubernetes401'],
    [403, 'permission-denied', 'Kubernetes403'],
    [409, 'internal', 'Kubernetes409'],
  ];
  for (const [status, kind, code] of cases) {
    const err = new KubernetesError('failed to read service account', status);
    assert.deepEqual([err.kind, err.code, err.name, err.httpStatus], [kind, code, 'KubernetesError', status], String(status));
  }
});

test('every other error: its name, kind and stable code label', () => {
  const cases: Array<[ProviderError, string, string, string]> = [
    [new RequestError('m'), 'RequestError', 'invalid-argument', 'InvalidRequest'],
    [new MissingIdentityError('m'), 'MissingIdentityError', 'unauthenticated', 'NoPodIdentity'],
    [new SetupError('m'), 'SetupError', 'invalid-argument', 'MissingSetup'],
    [new TransientError('m'), 'TransientError', 'transient', 'Transient'],
    [new LimitError('m'), 'LimitError', 'invalid-argument', 'LimitExceeded'],
    [new DeadlineError('m'), 'DeadlineError', 'deadline', 'DeadlineExceeded'],
    [new TargetPathError('m'), 'TargetPathError', 'not-found', 'TargetPathMissing'],
    [new ValueError('m'), 'ValueError', 'invalid-argument', 'InvalidSecretValue'],
    [new MalformedResponseError('m'), 'MalformedResponseError', 'internal', 'MalformedResponse'],
    [new FileWriteError('m'), 'FileWriteError', 'internal', 'FileWriteFailed'],
  ];
  for (const [err, name, kind, code] of cases) {
    assert.deepEqual([err.name, err.kind, err.code, err.message], [name, kind, code, 'm'], name);
  }
  const cause = new Error('EIO');
  assert.equal(new FileWriteError('m', cause).cause, cause);
  assert.equal(new TransientError('m', { cause }).cause, cause);
  assert.equal(new DeadlineError('m', { cause }).cause, cause);
});

test('context is added by wrapping: same name, kind and code, the original as cause and untouched', () => {
  const original = new KubernetesError('read failed', 503);
  const wrapped = new ContextError('objects[1] "db"', original);
  assert.deepEqual([wrapped.message, wrapped.name, wrapped.kind, wrapped.code, wrapped.context], ['objects[1] "db": read failed', 'KubernetesError', 'transient', 'Kubernetes503', 'objects[1] "db"']);
  assert.equal(wrapped.cause, original);
  assert.equal(wrapped.original, original);
  assert.equal(original.message, 'read failed');
});

test('toGrpcError: our errors keep their message (after the pod), code label and final code; no pod, no prefix', () => {
  const err = new AwsRequestError(details({ awsCode: 'ResourceNotFoundException', subject: 'secret "db"' }));
  assert.deepEqual(toGrpcError(err, 'shop/web-1'), { code: Status.NOT_FOUND, details: `pod shop/web-1: ${err.message}`, errorCode: 'ResourceNotFoundException' });
  assert.deepEqual(toGrpcError(err, undefined), { code: Status.NOT_FOUND, details: err.message, errorCode: 'ResourceNotFoundException' });
  assert.deepEqual(toGrpcError(err, ''), { code: Status.NOT_FOUND, details: err.message, errorCode: 'ResourceNotFoundException' });
  assert.equal(toGrpcError(new MissingIdentityError('no role'), undefined).code, Status.UNAUTHENTICATED);
  assert.equal(toGrpcError(new DeadlineError('late'), undefined).code, Status.UNKNOWN);
  assert.equal(toGrpcError(new MalformedResponseError('odd'), undefined).code, Status.INTERNAL);
});

test('toGrpcError: an abort is UNKNOWN "deadline passed"; anything else is INTERNAL without its message', () => {
  assert.deepEqual(toGrpcError(abortError(), 'ns/pod'), {
    code: Status.UNKNOWN,
    details: 'pod ns/pod: the mount was cancelled or its deadline passed before it finished',
    errorCode: 'DeadlineExceeded',
  });
  assert.deepEqual(toGrpcError(abortError(), undefined).details, 'the mount was cancelled or its deadline passed before it finished');
  const bug = new RangeError('secret value abc123 leaked into a message');
  assert.deepEqual(toGrpcError(bug, 'ns/pod'), { code: Status.INTERNAL, details: 'pod ns/pod: internal error (RangeError); see the provider logs', errorCode: 'Internal' });
  assert.equal(toGrpcError('a string', undefined).details, 'internal error (unknown); see the provider logs');
  assert.equal(toGrpcError(null, undefined).details, 'internal error (unknown); see the provider logs');
});

test('the final codes are exactly the ones a failed Mount may carry', () => {
  assert.deepEqual([...FINAL_CODES].sort((a, b) => a - b), [Status.UNKNOWN, Status.INVALID_ARGUMENT, Status.NOT_FOUND, Status.PERMISSION_DENIED, Status.INTERNAL, Status.UNAUTHENTICATED].sort((a, b) => a - b));
});

test('describeCauses: stack and cause chain for the log, five deep at most, bounded in length', () => {
  const root = new Error('root cause');
  const middle = new Error('middle', { cause: root });
  const top = new Error('top', { cause: middle });
  const text = describeCauses(top);
  const parts = text.split('\ncaused by: ');
  assert.equal(parts.length, 3);
  assert.match(parts[0]!, /^Error: top\n\s+at /);
  assert.match(parts[1]!, /^Error: middle/);
  assert.match(parts[2]!, /^Error: root cause/);

  assert.equal(describeCauses('plain text'), 'plain text');
  assert.equal(describeCauses({ cause: 'inner' }), '[object Object]\ncaused by: inner');
  const noStack = Object.assign(new Error('no stack'), { stack: undefined });
  assert.equal(describeCauses(noStack), 'Error: no stack');

  let chain: Error = new Error('level 0');
  for (let i = 1; i < 10; i++) chain = Object.assign(new Error(`level ${i}`), { cause: chain, stack: `Error: level ${i}` });
  assert.deepEqual(describeCauses(chain).split('\ncaused by: ').map((p) => p.split('\n')[0]), ['Error: level 9', 'Error: level 8', 'Error: level 7', 'Error: level 6', 'Error: level 5']);

  const long = Object.assign(new Error('x'), { stack: 'y'.repeat(10_000) });
  assert.equal(describeCauses(long).length, 4000);
  assert.equal(describeCauses(null), 'null');
});
