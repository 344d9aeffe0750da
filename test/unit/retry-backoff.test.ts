// retryTransient (src/util/retry.ts) on a mocked clock: the backoff grows as
// base * 2^(n-1) with full jitter, capped at maxDelayMs; a retry is started only
// when the deadline leaves minAttemptMs after the backoff; an abort during the
// backoff ends it at once; the final error keeps the last failure's kind and code
// and says how many attempts over how long.
import { afterEach, mock, test } from 'node:test';
import assert from 'node:assert/strict';
import { AwsRequestError, KubernetesError, type FailureClass } from '../../src/errors.js';
import { MOUNT_RETRY, RetriesExhaustedError, isTransientFailure, retryTransient, type RetryOptions } from '../../src/util/retry.js';

afterEach(() => mock.timers.reset());

const flush = async () => {
  for (let i = 0; i < 5; i++) await new Promise<void>((r) => setImmediate(r));
};

const aws = (failureClass: FailureClass, awsCode?: string) =>
  new AwsRequestError({ service: 'secretsmanager', operation: 'GetSecretValue', region: 'us-east-1', subject: 'secret "db"', failureClass, ...(awsCode && { awsCode }) });

/**
 * Runs retryTransient against a call that always fails transiently, on a mocked clock,
 * and returns the delays it slept between attempts (ms of mocked time).
 */
async function observedDelays(options: RetryOptions, deadlineFromStart = Infinity): Promise<{ delays: number[]; error: unknown }> {
  mock.timers.enable({ apis: ['setTimeout', 'Date'], now: 1_000_000 });
  const attemptsAt: number[] = [];
  let error: unknown;
  const run = retryTransient(
    async () => {
      attemptsAt.push(Date.now());
      throw aws('server');
    },
    { signal: new AbortController().signal, deadlineAt: 1_000_000 + deadlineFromStart },
    options,
  ).catch((e: unknown) => (error = e));
  for (let step = 0; step < 20_000 && error === undefined; step++) {
    await flush();
    mock.timers.tick(1);
  }
  await run;
  const delays = attemptsAt.slice(1).map((t, i) => t - attemptsAt[i]!);
  return { delays, error };
}

test('the backoff doubles per retry up to maxDelayMs, scaled by the jitter draw', async () => {
  const always = (x: number) => () => x;
  const { delays, error } = await observedDelays({ attempts: 6, baseDelayMs: 10, maxDelayMs: 50, minAttemptMs: 0, random: always(0.999) });
  assert.deepEqual(delays, [9, 19, 39, 49, 49]);
  assert.ok(error instanceof RetriesExhaustedError);
  mock.timers.reset();
  const half = await observedDelays({ attempts: 4, baseDelayMs: 20, maxDelayMs: 1000, minAttemptMs: 0, random: always(0.5) });
  assert.deepEqual(half.delays, [10, 20, 40]);
});

test('the final error says how many attempts over how long, and keeps the last failure as cause, kind and code', async () => {
  const { error, delays } = await observedDelays({ attempts: 3, baseDelayMs: 400, maxDelayMs: 1000, minAttemptMs: 0, random: () => 0.5 });
  assert.deepEqual(delays, [200, 400]);
  assert.ok(error instanceof RetriesExhaustedError);
  assert.equal(error.attempts, 3);
  assert.equal(error.name, 'RetriesExhaustedError');
  assert.equal(error.kind, 'transient');
  assert.equal(error.code, 'server');
  assert.ok(error.last instanceof AwsRequestError);
  assert.equal(error.cause, error.last);
  assert.equal(error.message, `${error.last.message}; still failing after 3 attempts over 0.6s`);
});

test('one attempt is worded in the singular', async () => {
  const { error } = await observedDelays({ attempts: 1, baseDelayMs: 10, maxDelayMs: 10, minAttemptMs: 0 });
  assert.match((error as Error).message, /; still failing after 1 attempt over 0\.0s$/);
});

test('a retry is started only if the deadline leaves minAttemptMs after the backoff', async () => {
  // Deadline 1000 ms away, backoff 99 ms, attempts need 901 ms: exactly room for one retry.
  const options = { attempts: 5, baseDelayMs: 100, maxDelayMs: 100, minAttemptMs: 901, random: () => 0.999999 };
  const exact = await observedDelays(options, 1000);
  assert.deepEqual(exact.delays, [99]);
  mock.timers.reset();
  const none = await observedDelays({ ...options, minAttemptMs: 902 }, 1000);
  assert.deepEqual(none.delays, []);
  assert.equal((none.error as RetriesExhaustedError).attempts, 1);
});

test('an abort during the backoff ends the wait at once with an AbortError', async () => {
  mock.timers.enable({ apis: ['setTimeout', 'Date'], now: 0 });
  const controller = new AbortController();
  let calls = 0;
  const run = retryTransient(
    async () => {
      calls++;
      throw aws('throttled', 'ThrottlingException');
    },
    { signal: controller.signal, deadlineAt: Infinity },
    { attempts: 3, baseDelayMs: 60_000, maxDelayMs: 60_000, minAttemptMs: 0, random: () => 0.5 },
  );
  await flush();
  controller.abort();
  await assert.rejects(run, (err) => (err as Error).name === 'AbortError');
  assert.equal(calls, 1);
});

test('a failure when the signal has already aborted is passed on as it is, not retried', async () => {
  const controller = new AbortController();
  controller.abort();
  const failure = aws('server');
  let calls = 0;
  await assert.rejects(retryTransient(async () => { calls++; throw failure; }, { signal: controller.signal, deadlineAt: Infinity }), (err) => err === failure);
  assert.equal(calls, 1);
});

test('the mount retry policy and what counts as transient', () => {
  assert.deepEqual(MOUNT_RETRY, { attempts: 3, baseDelayMs: 250, maxDelayMs: 4_000, minAttemptMs: 1_000 });
  assert.equal(isTransientFailure(aws('server')), true);
  assert.equal(isTransientFailure(new KubernetesError('API server unreachable', undefined)), true);
  assert.equal(isTransientFailure(aws('client', 'AccessDeniedException')), false);
  assert.equal(isTransientFailure(Object.assign(new Error('x'), { kind: 'transient' })), false, 'only our errors say what they are');
});

test('each attempt is told its number', async () => {
  const seen: number[] = [];
  const result = await retryTransient(
    async (attempt) => {
      seen.push(attempt);
      if (attempt < 3) throw aws('network');
      return 'done';
    },
    { signal: new AbortController().signal, deadlineAt: Infinity },
    { attempts: 3, baseDelayMs: 1, maxDelayMs: 1, minAttemptMs: 0, random: () => 0 },
  );
  assert.equal(result, 'done');
  assert.deepEqual(seen, [1, 2, 3]);
});
