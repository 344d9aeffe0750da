// ExpiringCache (src/cache.ts), what the credential and Kubernetes caches rely on:
// a value is served until its expiresAt and not at it; loads are shared and not
// kept when they fail or come back expired; least recently used entries go first;
// a caller's abort ends only its own wait; a caller that joined a load every other
// caller abandoned starts a fresh one instead of failing.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ExpiringCache } from '../../src/cache.js';
import { abortError } from '../../src/util/abort.js';

const tick = () => new Promise<void>((r) => setImmediate(r));
const live = () => new AbortController().signal;

function deferred<T>() {
  let resolve!: (v: T) => void;
  let reject!: (e: unknown) => void;
  const promise = new Promise<T>((res, rej) => {
    resolve = res;
    reject = rej;
  });
  return { promise, resolve, reject };
}

test('a value is served while now < expiresAt, and loaded again at expiresAt', async () => {
  let now = 1_000;
  const cache = new ExpiringCache<string>(10, () => now);
  let loads = 0;
  const load = async () => ({ value: `load ${++loads}`, expiresAt: now + 100 });
  assert.equal(await cache.get('k', load), 'load 1');
  now = 1_099;
  assert.equal(await cache.get('k', load), 'load 1');
  now = 1_100;
  assert.equal(await cache.get('k', load), 'load 2');
  assert.equal(cache.size, 1);
});

test('a load that comes back already expired is returned to its caller but not kept', async () => {
  const now = 5_000;
  const cache = new ExpiringCache<string>(10, () => now);
  let loads = 0;
  const load = async () => ({ value: `load ${++loads}`, expiresAt: now });
  assert.equal(await cache.get('k', load), 'load 1');
  assert.equal(cache.size, 0);
  assert.equal(await cache.get('k', load), 'load 2');
});

test('a failed load reaches every caller that shares it and is not kept', async () => {
  const cache = new ExpiringCache<string>(10);
  const gate = deferred<{ value: string; expiresAt: number }>();
  let loads = 0;
  const load = () => (loads++, gate.promise);
  const both = [cache.get('k', load), cache.get('k', load)];
  const boom = new Error('STS is down');
  gate.reject(boom);
  const results = await Promise.allSettled(both);
  assert.deepEqual(results.map((r) => r.status), ['rejected', 'rejected']);
  assert.equal(loads, 1);
  assert.equal(cache.size, 0);
  assert.equal(await cache.get('k', async () => ({ value: 'ok', expiresAt: Date.now() + 60_000 })), 'ok');
});

test('at most maxEntries are kept; the least recently used one goes first', async () => {
  const cache = new ExpiringCache<string>(2);
  const loads: string[] = [];
  const get = (key: string) => cache.get(key, async () => (loads.push(key), { value: key, expiresAt: Date.now() + 60_000 }));
  await get('a');
  await get('b');
  await get('a'); // a is now more recent than b
  await get('c'); // b goes
  assert.equal(cache.size, 2);
  await get('a');
  await get('c');
  await get('b');
  assert.deepEqual(loads, ['a', 'b', 'c', 'b']);
});

test("a caller's abort ends its own wait at once; the shared load goes on for the others and is kept", async () => {
  const cache = new ExpiringCache<string>(10);
  const gate = deferred<{ value: string; expiresAt: number }>();
  let shared: AbortSignal | undefined;
  const load = (s: AbortSignal) => ((shared = s), gate.promise);
  const leaving = new AbortController();
  const a = cache.get('k', load, leaving.signal);
  const b = cache.get('k', load, live());
  leaving.abort();
  await assert.rejects(a, { name: 'AbortError' });
  assert.equal(shared!.aborted, false);
  gate.resolve({ value: 'v', expiresAt: Date.now() + 60_000 });
  assert.equal(await b, 'v');
  assert.equal(await cache.get('k', async () => assert.fail('served from the cache')), 'v');
});

test('when every caller has gone, the shared load is cancelled', async () => {
  const cache = new ExpiringCache<string>(10);
  let shared: AbortSignal | undefined;
  const callers = [new AbortController(), new AbortController()];
  const runs = callers.map((c) => cache.get('k', (s) => ((shared = s), deferred<{ value: string; expiresAt: number }>().promise), c.signal).catch((e: Error) => e.name));
  callers[0]!.abort();
  assert.equal(shared!.aborted, false);
  callers[1]!.abort();
  assert.equal(shared!.aborted, true);
  assert.deepEqual(await Promise.all(runs), ['AbortError', 'AbortError']);
});

test('a caller that joined a load its last other caller abandoned starts a fresh load instead of failing', async () => {
  const cache = new ExpiringCache<string>(10);
  const loads: Array<{ signal: AbortSignal; settle: ReturnType<typeof deferred<{ value: string; expiresAt: number }>> }> = [];
  const load = (signal: AbortSignal) => {
    const settle = deferred<{ value: string; expiresAt: number }>();
    signal.addEventListener('abort', () => settle.reject(abortError()), { once: true });
    loads.push({ signal, settle });
    return settle.promise;
  };
  const first = new AbortController();
  const a = cache.get('k', load, first.signal).catch((e: Error) => e.name);
  first.abort(); // the load is cancelled, but its rejection has not been delivered yet
  const b = cache.get('k', load, live());
  assert.equal(await a, 'AbortError');
  await tick();
  await tick();
  assert.equal(loads.length, 2, 'b started a load of its own');
  loads[1]!.settle.resolve({ value: 'fresh', expiresAt: Date.now() + 60_000 });
  assert.equal(await b, 'fresh');
});

test("a load's own AbortError reaches a caller whose signal has aborted, and a non-abort failure is never retried", async () => {
  const cache = new ExpiringCache<string>(10);
  let loads = 0;
  await assert.rejects(
    cache.get('k', async () => {
      loads++;
      throw new Error('denied');
    }, live()),
    /denied/,
  );
  assert.equal(loads, 1);
  const caller = new AbortController();
  const run = cache.get('k2', async () => {
    loads++;
    await tick();
    caller.abort();
    throw abortError();
  }, caller.signal);
  await assert.rejects(run, { name: 'AbortError' });
  assert.equal(loads, 2, 'no fresh load for a caller that has itself gone');
});
