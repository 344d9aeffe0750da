// The small concurrency helpers a mount is built from: raceSignal (a deadline or a
// cancellation ends the wait, not the work), mapBounded (at most N at once, results
// in order, first failure wins) and InFlight (identical concurrent calls made once,
// cancelled only when every waiter has gone).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { abortError, raceSignal } from '../../src/util/abort.js';
import { mapBounded } from '../../src/util/bounded.js';
import { InFlight } from '../../src/util/in-flight.js';
import { AwsRequestError, RequestError } from '../../src/errors.js';

const tick = () => new Promise<void>((r) => setImmediate(r));

/** A promise the test settles by hand. */
function deferred<T>() {
  let resolve!: (v: T) => void;
  let reject!: (e: unknown) => void;
  const promise = new Promise<T>((res, rej) => {
    resolve = res;
    reject = rej;
  });
  return { promise, resolve, reject };
}

/** Counts the abort listeners on a signal, to show that finished waits leave none behind. */
function countingListeners(signal: AbortSignal) {
  const counts = { added: 0, removed: 0 };
  const add = signal.addEventListener.bind(signal);
  const remove = signal.removeEventListener.bind(signal);
  signal.addEventListener = ((...args: Parameters<AbortSignal['addEventListener']>) => (counts.added++, add(...args))) as AbortSignal['addEventListener'];
  signal.removeEventListener = ((...args: Parameters<AbortSignal['removeEventListener']>) => (counts.removed++, remove(...args))) as AbortSignal['removeEventListener'];
  return counts;
}

test('abortError is a DOMException named AbortError saying the mount was cancelled or its deadline passed', () => {
  const err = abortError();
  assert.ok(err instanceof DOMException);
  assert.equal(err.name, 'AbortError');
  assert.equal(err.message, 'the mount was cancelled or its deadline passed');
});

test('raceSignal settles like the promise while the signal is live, and leaves no listener behind', async () => {
  const controller = new AbortController();
  const counts = countingListeners(controller.signal);
  assert.equal(await raceSignal(Promise.resolve('v'), controller.signal), 'v');
  const boom = new Error('boom');
  await assert.rejects(raceSignal(Promise.reject(boom), controller.signal), (err) => err === boom);
  await tick();
  assert.equal(counts.added, 2);
  assert.equal(counts.removed, 2);
});

test('raceSignal rejects with an AbortError as soon as the signal aborts, without waiting for the work', async () => {
  const controller = new AbortController();
  const work = deferred<string>();
  const raced = raceSignal(work.promise, controller.signal);
  controller.abort();
  await assert.rejects(raced, (err) => err instanceof DOMException && err.name === 'AbortError' && /cancelled or its deadline passed/.test(err.message));
  work.resolve('too late');
});

test('raceSignal with an already aborted signal rejects at once and swallows the abandoned work\'s failure', async () => {
  const controller = new AbortController();
  controller.abort();
  let unhandled = 0;
  const onUnhandled = () => unhandled++;
  process.on('unhandledRejection', onUnhandled);
  try {
    const work = deferred<string>();
    await assert.rejects(raceSignal(work.promise, controller.signal), { name: 'AbortError' });
    work.reject(new Error('the abandoned work failed'));
    await tick();
    await tick();
    assert.equal(unhandled, 0);
  } finally {
    process.off('unhandledRejection', onUnhandled);
  }
});

test('raceSignal passes on the TimeoutError of a time limit (transient), not an AbortError (a cancellation)', async () => {
  const timedOut = AbortSignal.timeout(0);
  await new Promise((r) => setTimeout(r, 5));
  assert.equal(timedOut.aborted, true);
  await assert.rejects(raceSignal(deferred<string>().promise, timedOut), (err) => (err as Error).name === 'TimeoutError' && err === timedOut.reason);

  // AbortSignal.timeout's timer does not keep the process alive; this one does while we wait.
  const keepAlive = setTimeout(() => {}, 10_000);
  const later = AbortSignal.timeout(1);
  await assert.rejects(raceSignal(deferred<string>().promise, later), (err) => (err as Error).name === 'TimeoutError');
  clearTimeout(keepAlive);

  const cancelled = new AbortController();
  cancelled.abort(new Error('some other reason'));
  await assert.rejects(raceSignal(deferred<string>().promise, cancelled.signal), { name: 'AbortError' });
});

test('mapBounded: results in task order, never more than `limit` at once', async () => {
  let running = 0;
  let most = 0;
  const results = await mapBounded([30, 10, 20, 0, 5], 2, async (ms, i) => {
    most = Math.max(most, ++running);
    await new Promise((r) => setTimeout(r, ms));
    running--;
    return `${i}:${ms}`;
  });
  assert.deepEqual(results, ['0:30', '1:10', '2:20', '3:0', '4:5']);
  assert.equal(most, 2);
});

test('mapBounded: a limit above the number of items runs them all at once; no items, no calls', async () => {
  const started: number[] = [];
  const gates = [deferred<void>(), deferred<void>(), deferred<void>()];
  const all = mapBounded([0, 1, 2], 10, async (i) => {
    started.push(i);
    await gates[i]!.promise;
    return i * 2;
  });
  await tick();
  assert.deepEqual(started, [0, 1, 2]);
  for (const g of gates) g.resolve();
  assert.deepEqual(await all, [0, 2, 4]);
  assert.deepEqual(await mapBounded([], 3, async () => assert.fail('no call')), []);
});

test('mapBounded: the first failure rejects at once and no further task is started', async () => {
  const started: number[] = [];
  const slow = deferred<void>();
  const boom = new Error('task 1 failed');
  const run = mapBounded([0, 1, 2, 3, 4], 2, async (i) => {
    started.push(i);
    if (i === 0) await slow.promise;
    if (i === 1) throw boom;
    return i;
  });
  await assert.rejects(run, (err) => err === boom);
  slow.resolve();
  await tick();
  await tick();
  assert.deepEqual(started, [0, 1]);
});

test('InFlight: different keys are different calls; a settled call is not reused', async () => {
  const inflight = new InFlight<string>();
  const calls: string[] = [];
  const never = new AbortController().signal;
  const call = (v: string) => async () => {
    calls.push(v);
    await tick();
    return v;
  };
  assert.deepEqual(await Promise.all([inflight.run('a', call('a1'), never), inflight.run('b', call('b1'), never), inflight.run('a', call('a2'), never)]), ['a1', 'b1', 'a1']);
  assert.deepEqual(await inflight.run('a', call('a3'), never), 'a3');
  assert.deepEqual(calls, ['a1', 'b1', 'a3']);
});

test('InFlight: a caller whose signal is already aborted is refused without joining; the others keep the call alive', async () => {
  const inflight = new InFlight<string>();
  const work = deferred<string>();
  let seen: AbortSignal | undefined;
  const running = inflight.run('k', (s) => ((seen = s), work.promise), new AbortController().signal);
  const gone = new AbortController();
  gone.abort();
  await assert.rejects(inflight.run('k', async () => assert.fail('joins, never calls'), gone.signal), { name: 'AbortError' });
  assert.equal(seen!.aborted, false, 'the refused caller never counted as a waiter');
  work.resolve('v');
  assert.equal(await running, 'v');
});

test('InFlight: the shared call is cancelled when the last of several waiters leaves, not before', async () => {
  const inflight = new InFlight<string>();
  let seen: AbortSignal | undefined;
  const work = (s: AbortSignal) => {
    seen = s;
    return deferred<string>().promise;
  };
  const waiters = [new AbortController(), new AbortController(), new AbortController()];
  const runs = waiters.map((w) => inflight.run('k', work, w.signal).catch((e: Error) => e.name));
  waiters[0]!.abort();
  waiters[1]!.abort();
  await tick();
  assert.equal(seen!.aborted, false);
  waiters[2]!.abort();
  assert.equal(seen!.aborted, true);
  assert.deepEqual(await Promise.all(runs), ['AbortError', 'AbortError', 'AbortError']);
});

test('InFlight: a waiter that got its answer no longer counts; others leaving then cancels the call only if nobody is left', async () => {
  const inflight = new InFlight<string>();
  const first = deferred<string>();
  let firstSignal: AbortSignal | undefined;
  const a = new AbortController();
  const counts = countingListeners(a.signal);
  const pa = inflight.run('k', (s) => ((firstSignal = s), first.promise), a.signal);
  first.resolve('v');
  assert.equal(await pa, 'v');
  assert.equal(counts.added, counts.removed, 'the finished waiter left no listener');
  a.abort();
  assert.equal(firstSignal!.aborted, false, 'aborting after the answer cancels nothing');
  // The key is free again: a new call starts.
  let again = 0;
  assert.equal(await inflight.run('k', async () => (again++, 'w'), new AbortController().signal), 'w');
  assert.equal(again, 1);
});

test('InFlight: a failure reaches every waiter; ProviderErrors as separate copies, other errors as they are', async () => {
  const never = new AbortController().signal;
  const providerFailure = new InFlight<string>();
  const original = new AwsRequestError({ service: 'ssm', operation: 'GetParameters', region: 'us-east-1', failureClass: 'server', httpStatus: 503 });
  const gate = deferred<string>();
  const both = [providerFailure.run('k', () => gate.promise, never), providerFailure.run('k', () => gate.promise, never)];
  gate.reject(original);
  const [a, b] = (await Promise.allSettled(both)).map((r) => (r as PromiseRejectedResult).reason as AwsRequestError);
  assert.ok(a instanceof AwsRequestError && b instanceof AwsRequestError);
  assert.notEqual(a, b);
  assert.notEqual(a, original);
  assert.equal(a.message, original.message);

  const plain = new InFlight<string>();
  const bug = new TypeError('bug');
  const bugGate = deferred<string>();
  const plainRuns = [plain.run('k', () => bugGate.promise, never), plain.run('k', () => bugGate.promise, never)];
  bugGate.reject(bug);
  const reasons = (await Promise.allSettled(plainRuns)).map((r) => (r as PromiseRejectedResult).reason);
  assert.deepEqual(reasons, [bug, bug]);

  const request = new RequestError('bad');
  const requestGate = deferred<string>();
  const requestRun = new InFlight<string>().run('k', () => requestGate.promise, never);
  requestGate.reject(request);
  await assert.rejects(requestRun, (err) => err === request, 'errors without their own copy are passed as they are');
});
