// The failover contract (src/fetch/failover.ts) on controllable calls: both regions
// are asked at once; a 4xx from either fails the mount; a primary success is
// mounted; a transient primary failure mounts the failover value; both failing
// transiently is one transient error naming both; a silent failover region is
// given FAILOVER_GRACE_MS (on a mocked clock) once the primary has answered.
import { afterEach, mock, test } from 'node:test';
import assert from 'node:assert/strict';
import { BothRegionsFailedError, FAILOVER_GRACE_MS, withFailover } from '../../src/fetch/failover.js';
import { AwsRequestError, ProviderError, type FailureClass } from '../../src/errors.js';

afterEach(() => mock.timers.reset());

const flush = () => new Promise<void>((r) => setImmediate(r));

const awsError = (region: string, failureClass: FailureClass, awsCode?: string) =>
  new AwsRequestError({ service: 'secretsmanager', operation: 'GetSecretValue', region, subject: 'secret "db"', failureClass, ...(awsCode && { awsCode }) });

/** A call the test settles by hand; it remembers the signal it was given. */
class Pending<T> {
  signal: AbortSignal | undefined;
  calls = 0;
  private settle: { resolve: (v: T) => void; reject: (e: unknown) => void } | undefined;
  readonly call = (signal: AbortSignal): Promise<T> => {
    this.calls++;
    this.signal = signal;
    return new Promise<T>((resolve, reject) => {
      this.settle = { resolve, reject };
    });
  };
  resolve(value: T): void {
    this.settle!.resolve(value);
  }
  reject(error: unknown): void {
    this.settle!.reject(error);
  }
}

const live = () => new AbortController().signal;

test('without a failover region only the primary is asked, and its error is the error, unwrapped', async () => {
  const fatal = awsError('us-east-1', 'server');
  assert.deepEqual(await withFailover(async () => 'p', undefined, live()), { value: 'p', usedFailover: false });
  await assert.rejects(withFailover(async () => { throw fatal; }, undefined, live()), (err) => err === fatal);
});

test('both regions are asked at once; a primary success is mounted even when the failover also answered', async () => {
  const primary = new Pending<string>();
  const failover = new Pending<string>();
  const outcome = withFailover(primary.call, failover.call, live());
  await flush();
  assert.equal(primary.calls, 1);
  assert.equal(failover.calls, 1, 'the failover region is asked before the primary answers');
  failover.resolve('f');
  await flush();
  primary.resolve('p');
  assert.deepEqual(await outcome, { value: 'p', usedFailover: false });
});

test('a transient primary failure mounts the failover value', async () => {
  for (const failureClass of ['server', 'throttled', 'network'] as const) {
    const outcome = await withFailover(async () => { throw awsError('us-east-1', failureClass); }, async () => 'f', live());
    assert.deepEqual(outcome, { value: 'f', usedFailover: true }, failureClass);
  }
});

test('a 4xx from the primary fails the mount at once, without waiting for the failover region, and stops it', async () => {
  const failover = new Pending<string>();
  const denied = awsError('us-east-1', 'client', 'AccessDeniedException');
  await assert.rejects(withFailover(async () => { throw denied; }, failover.call, live()), (err) => err === denied);
  assert.equal(failover.signal!.aborted, true);
});

test('a 4xx from the failover region fails the mount even though the primary succeeded', async () => {
  const primary = new Pending<string>();
  const notFound = awsError('us-west-2', 'client', 'ResourceNotFoundException');
  const outcome = withFailover(primary.call, async () => { throw notFound; }, live());
  await assert.rejects(outcome, (err) => err === notFound);
  assert.equal(primary.signal!.aborted, true);
});

test('a 4xx from the failover region after a transient primary failure is the error, not a failover success', async () => {
  const primary = new Pending<string>();
  const failover = new Pending<string>();
  const outcome = withFailover(primary.call, failover.call, live());
  primary.reject(awsError('us-east-1', 'server'));
  await flush();
  const denied = awsError('us-west-2', 'client', 'AccessDeniedException');
  failover.reject(denied);
  await assert.rejects(outcome, (err) => err === denied);
});

test('an error that is not a classified AWS failure is fatal from either region', async () => {
  const bug = new TypeError('boom');
  await assert.rejects(withFailover(async () => { throw bug; }, async () => 'f', live()), (err) => err === bug);
  await assert.rejects(withFailover(async () => 'p', async () => { throw bug; }, live()), (err) => err === bug);
});

test('both regions failing transiently is one transient error naming both, with the primary as its cause and code', async () => {
  const primaryError = awsError('us-east-1', 'server', 'InternalServiceError');
  const failoverError = awsError('us-west-2', 'throttled', 'ThrottlingException');
  await assert.rejects(withFailover(async () => { throw primaryError; }, async () => { throw failoverError; }, live()), (err) => {
    assert.ok(err instanceof BothRegionsFailedError);
    assert.ok(err instanceof ProviderError);
    assert.equal(err.kind, 'transient');
    assert.equal(err.code, 'InternalServiceError');
    assert.equal(err.name, 'BothRegionsFailedError');
    assert.equal(err.cause, primaryError);
    assert.equal(err.primaryError, primaryError);
    assert.equal(err.failoverError, failoverError);
    assert.equal(err.message, `${primaryError.message}; the failover region also failed: ${failoverError.message}`);
    return true;
  });
});

test('BothRegionsFailedError names a failover failure that is not an Error by its text', () => {
  const err = new BothRegionsFailedError(awsError('us-east-1', 'network'), 'socket hang up');
  assert.match(err.message, /; the failover region also failed: socket hang up$/);
});

test('after a primary success, a silent failover region gets FAILOVER_GRACE_MS to report a 4xx, then is stopped', async () => {
  mock.timers.enable({ apis: ['setTimeout'] });
  const failover = new Pending<string>();
  let settled: unknown;
  const outcome = withFailover(async () => 'p', failover.call, live()).then((v) => (settled = v));
  await flush();
  mock.timers.tick(FAILOVER_GRACE_MS - 1);
  await flush();
  assert.equal(settled, undefined, 'still waiting for the failover region');
  assert.equal(failover.signal!.aborted, false);
  mock.timers.tick(1);
  await outcome;
  assert.deepEqual(settled, { value: 'p', usedFailover: false });
  assert.equal(failover.signal!.aborted, true);
});

test('a 4xx from the failover region within the grace period still fails the mount', async () => {
  mock.timers.enable({ apis: ['setTimeout'] });
  const failover = new Pending<string>();
  const outcome = withFailover(async () => 'p', failover.call, live());
  await flush();
  mock.timers.tick(FAILOVER_GRACE_MS / 2);
  const denied = awsError('us-west-2', 'client', 'AccessDeniedException');
  failover.reject(denied);
  await assert.rejects(outcome, (err) => err === denied);
});

test('a failover 4xx arriving after the grace period no longer matters', async () => {
  mock.timers.enable({ apis: ['setTimeout'] });
  const failover = new Pending<string>();
  const outcome = withFailover(async () => 'p', failover.call, live());
  await flush();
  mock.timers.tick(FAILOVER_GRACE_MS);
  assert.deepEqual(await outcome, { value: 'p', usedFailover: false });
  failover.reject(awsError('us-west-2', 'client', 'AccessDeniedException'));
  await flush();
});

test('no grace period runs when the primary failed: the failover region is waited for', async () => {
  mock.timers.enable({ apis: ['setTimeout'] });
  const failover = new Pending<string>();
  let settled: unknown;
  const outcome = withFailover(async () => { throw awsError('us-east-1', 'server'); }, failover.call, live()).then((v) => (settled = v));
  await flush();
  mock.timers.tick(10 * FAILOVER_GRACE_MS);
  await flush();
  assert.equal(settled, undefined);
  assert.equal(failover.signal!.aborted, false);
  failover.resolve('f');
  await outcome;
  assert.deepEqual(settled, { value: 'f', usedFailover: true });
});

test('a failover success does not end the wait for the primary', async () => {
  mock.timers.enable({ apis: ['setTimeout'] });
  const primary = new Pending<string>();
  let settled: unknown;
  const outcome = withFailover(primary.call, async () => 'f', live()).then((v) => (settled = v));
  await flush();
  mock.timers.tick(10 * FAILOVER_GRACE_MS);
  await flush();
  assert.equal(settled, undefined);
  primary.resolve('p');
  await outcome;
  assert.deepEqual(settled, { value: 'p', usedFailover: false });
});

test("the caller's abort reaches both regions' calls; afterwards the caller's signal has no listener left", async () => {
  const caller = new AbortController();
  const primary = new Pending<string>();
  const failover = new Pending<string>();
  const outcome = withFailover(primary.call, failover.call, caller.signal);
  await flush();
  caller.abort();
  assert.equal(primary.signal!.aborted, true);
  assert.equal(failover.signal!.aborted, true);
  primary.reject(awsError('us-east-1', 'aborted'));
  await assert.rejects(outcome, (err) => err instanceof AwsRequestError && err.kind === 'deadline');

  // A completed call leaves nothing behind on a long-lived signal.
  const longLived = new AbortController();
  let added = 0;
  let removed = 0;
  const { addEventListener, removeEventListener } = longLived.signal;
  longLived.signal.addEventListener = (...args: Parameters<AbortSignal['addEventListener']>) => (added++, addEventListener.apply(longLived.signal, args));
  longLived.signal.removeEventListener = (...args: Parameters<AbortSignal['removeEventListener']>) => (removed++, removeEventListener.apply(longLived.signal, args));
  await withFailover(async () => 'p', async () => 'f', longLived.signal);
  assert.equal(added, removed);
});
