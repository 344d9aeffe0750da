// Unit tests for the Kubernetes client-side rate limiter: client-go token
// bucket semantics on a fake clock, round-robin fairness across namespaces,
// waiters that leave when their mount ends, bounded queues, one timer at most.
import { afterEach, beforeEach, mock, test } from 'node:test';
import assert from 'node:assert/strict';
import { TransientError } from '../../src/errors.js';
import { TokenBucket } from '../../src/kube/rate-limiter.js';

const flush = () => new Promise((r) => setImmediate(r));
const never = new AbortController().signal;

beforeEach(() => mock.timers.enable({ apis: ['setTimeout', 'Date'], now: 0 }));
afterEach(() => mock.timers.reset());

function fakeClockBucket(qps: number, burst: number, options: { maxWaiting?: number; maxWaitingPerKey?: number } = {}) {
  return new TokenBucket(qps, burst, { ...options, now: () => Date.now() });
}

test('burst tokens at once, then one every 1/qps seconds', { timeout: 10_000 }, async () => {
  const bucket = fakeClockBucket(10, 3);
  for (let i = 0; i < 3; i++) await bucket.take(never, 'a');
  const granted: number[] = [];
  for (let i = 4; i <= 5; i++) void bucket.take(never, 'a').then(() => granted.push(i));
  await flush();
  assert.deepEqual(granted, [], 'burst used up');
  mock.timers.tick(99);
  await flush();
  assert.deepEqual(granted, [], 'a token takes 100 ms at 10 qps');
  mock.timers.tick(1);
  await flush();
  assert.deepEqual(granted, [4]);
  mock.timers.tick(100);
  await flush();
  assert.deepEqual(granted, [4, 5]);
  assert.equal(bucket.waiting, 0);
});

test('idle time refills up to burst, never beyond', { timeout: 10_000 }, async () => {
  const bucket = fakeClockBucket(1, 2);
  await bucket.take(never, 'a');
  await bucket.take(never, 'a');
  mock.timers.tick(60_000);
  let granted = 0;
  for (let i = 0; i < 3; i++) void bucket.take(never, 'a').then(() => granted++);
  await flush();
  assert.equal(granted, 2, 'a minute idle gives back burst (2) tokens, not 60');
  assert.equal(bucket.waiting, 1);
  mock.timers.tick(1000);
  await flush();
  assert.equal(granted, 3);
});

test('tokens go round-robin across keys, FIFO within a key', { timeout: 10_000 }, async () => {
  const bucket = fakeClockBucket(1, 1);
  await bucket.take(never, 'a');
  const order: string[] = [];
  const waiters = ['a1', 'a2', 'a3', 'a4', 'b1', 'b2', 'c1'].map((name) => bucket.take(never, name[0]!).then(() => order.push(name)));
  for (let i = 0; i < 7; i++) {
    mock.timers.tick(1000);
    await flush();
    assert.equal(order.length, i + 1, 'one token per second');
  }
  await Promise.all(waiters);
  assert.deepEqual(order, ['a1', 'b1', 'c1', 'a2', 'b2', 'a3', 'a4']);
});

test('a waiter whose signal aborts rejects with AbortError and leaves the queue at once; its token goes to the next', { timeout: 10_000 }, async () => {
  const bucket = fakeClockBucket(1, 1);
  await bucket.take(never, 'a');
  const leaving = new AbortController();
  const order: string[] = [];
  const first = bucket.take(leaving.signal, 'a').then(() => order.push('leaver'));
  const second = bucket.take(never, 'a').then(() => order.push('stayer'));
  assert.equal(bucket.waiting, 2);
  leaving.abort();
  await assert.rejects(first, { name: 'AbortError' });
  assert.equal(bucket.waiting, 1, 'the place is freed before any token is due');
  mock.timers.tick(1000);
  await second;
  assert.deepEqual(order, ['stayer']);
});

test('an already aborted signal rejects without taking a token', { timeout: 10_000 }, async () => {
  const bucket = fakeClockBucket(1, 1);
  const aborted = AbortSignal.abort();
  await assert.rejects(bucket.take(aborted, 'a'), { name: 'AbortError' });
  let granted = false;
  await bucket.take(never, 'a').then(() => (granted = true));
  assert.equal(granted, true, 'the one burst token is still there');
});

test('queues are bounded per key and in total: beyond, a TransientError at once', { timeout: 10_000 }, async () => {
  const bucket = fakeClockBucket(1, 1, { maxWaiting: 4, maxWaitingPerKey: 2 });
  await bucket.take(never, 'a');
  const queued = [bucket.take(never, 'a'), bucket.take(never, 'a')];
  await assert.rejects(bucket.take(never, 'a'), (err: unknown) => err instanceof TransientError && /namespace a \(2 queued/.test(err.message));
  const leaving = new AbortController();
  const leaver = bucket.take(leaving.signal, 'b');
  queued.push(bucket.take(never, 'c'));
  await assert.rejects(bucket.take(never, 'd'), (err: unknown) => err instanceof TransientError && /too many Kubernetes API reads waiting .*\(4 queued/.test(err.message));
  leaving.abort();
  await assert.rejects(leaver, { name: 'AbortError' });
  queued.push(bucket.take(never, 'd'));
  assert.equal(bucket.waiting, 4, 'the aborted waiter made room');
  for (let i = 0; i < 4; i++) mock.timers.tick(1000);
  await Promise.all(queued);
  assert.equal(bucket.waiting, 0);
});

test('rejects a limit it cannot honour', () => {
  assert.throws(() => new TokenBucket(0, 1), RangeError);
  assert.throws(() => new TokenBucket(1, 0), RangeError);
});

test('one timer at most, and none while the queue is empty (real timers)', { timeout: 10_000 }, async () => {
  mock.timers.reset();
  const timers = () => process.getActiveResourcesInfo().filter((r) => r === 'Timeout').length;
  const before = timers();
  const bucket = new TokenBucket(0.001, 1, { now: () => 0 }); // frozen clock: no token comes back
  await bucket.take(never, 'a');
  assert.equal(timers(), before, 'a granted take leaves no timer');
  const controllers = Array.from({ length: 50 }, () => new AbortController());
  const waiters = controllers.map((c, i) => bucket.take(c.signal, `ns-${i % 5}`).catch((err: Error) => err.name));
  assert.equal(timers(), before + 1, '50 waiters, one timer');
  for (const c of controllers) c.abort();
  assert.deepEqual(new Set(await Promise.all(waiters)), new Set(['AbortError']));
  assert.equal(bucket.waiting, 0);
  assert.equal(timers(), before, 'the timer is cleared with the last waiter');
});
