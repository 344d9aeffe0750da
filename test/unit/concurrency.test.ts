// Unit tests for the concurrency helpers: the mount gate, in-flight
// coalescing and the expiring single-flight cache (the token bucket:
// rate-limiter.test.ts).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { MountGate } from '../../src/server/mount-gate.js';
import { InFlight } from '../../src/util/in-flight.js';
import { ExpiringCache } from '../../src/cache.js';

const tick = () => new Promise((r) => setImmediate(r));

test('MountGate: at most N run, the rest queue in order, an aborted waiter leaves the queue', async () => {
  const gate = new MountGate(2);
  const never = new AbortController().signal;
  const order: number[] = [];
  const releases: Array<() => void> = [];
  const enter = (i: number, signal = never) => gate.enter(signal).then((release) => { order.push(i); releases.push(release); });
  void enter(1); void enter(2);
  const aborted = new AbortController();
  const p3 = enter(3, aborted.signal).catch((e: Error) => e.name);
  void enter(4);
  await tick();
  assert.deepEqual(order, [1, 2]);
  assert.equal(gate.queued, 2);
  aborted.abort();
  assert.equal(await p3, 'AbortError');
  assert.equal(gate.queued, 1);
  releases[0]!();
  releases[0]!(); // releasing twice is harmless
  await tick();
  assert.deepEqual(order, [1, 2, 4]);
});

test('InFlight: concurrent identical calls share one; the call is cancelled only when every waiter left', async () => {
  const inflight = new InFlight<string>();
  let calls = 0;
  let seen: AbortSignal | undefined;
  const slow = (signal: AbortSignal) => {
    calls++;
    seen = signal;
    return new Promise<string>((resolve) => setTimeout(() => resolve('v'), 50));
  };
  const a = new AbortController();
  const b = new AbortController();
  const pa = inflight.run('k', slow, a.signal);
  const pb = inflight.run('k', slow, b.signal);
  assert.equal(calls, 1);
  a.abort();
  await assert.rejects(pa, { name: 'AbortError' });
  assert.equal(seen!.aborted, false, 'b still waits');
  assert.equal(await pb, 'v');
  b.abort();
  // Settled calls are not cached.
  await inflight.run('k', slow, new AbortController().signal);
  assert.equal(calls, 2);
  const c = new AbortController();
  const pc = inflight.run('k2', slow, c.signal);
  c.abort();
  await assert.rejects(pc);
  assert.equal(seen!.aborted, true, 'nobody waits: the call is cancelled');
});

test('InFlight: each waiter of a failed call gets its own copy of the error (callers add context to messages)', async () => {
  const { AwsRequestError } = await import('../../src/errors.js');
  const inflight = new InFlight<string>();
  const failing = () =>
    new Promise<string>((_, reject) =>
      setTimeout(() => reject(new AwsRequestError({ service: 'ssm', operation: 'GetParameters', region: 'us-east-1', failureClass: 'server', httpStatus: 503 })), 10),
    );
  const never = new AbortController().signal;
  const results = await Promise.allSettled([inflight.run('k', failing, never), inflight.run('k', failing, never)]);
  const [a, b] = results.map((r) => (r as PromiseRejectedResult).reason as InstanceType<typeof AwsRequestError>);
  assert.ok(a instanceof AwsRequestError && b instanceof AwsRequestError);
  assert.notEqual(a, b);
  a.message = `objects[3]: ${a.message}`;
  assert.doesNotMatch(b.message, /objects\[3\]/);
  assert.equal(b.kind, 'transient');
  assert.equal(b.details.httpStatus, 503);
});

test('ExpiringCache: single flight, expiry, LRU bound, failed loads not cached', async () => {
  let now = 1000;
  const cache = new ExpiringCache<number>(2, () => now);
  let loads = 0;
  const load = (v: number, ttl = 100) => async () => {
    loads++;
    await tick();
    return { value: v, expiresAt: now + ttl };
  };
  const [x, y] = await Promise.all([cache.get('a', load(1)), cache.get('a', load(2))]);
  assert.deepEqual([x, y, loads], [1, 1, 1]);
  now += 50;
  assert.equal(await cache.get('a', load(3)), 1);
  now += 60;
  assert.equal(await cache.get('a', load(4)), 4, 'expired');
  await cache.get('b', load(5));
  await cache.get('c', load(6));
  assert.equal(cache.size, 2, 'bounded');
  await assert.rejects(cache.get('d', async () => { throw new Error('boom'); }));
  assert.equal(await cache.get('d', load(7)), 7, 'a failure is not cached');
});
