// Unit tests for the Kubernetes lookups: the mount's signal ends its wait (and,
// once nobody else waits, the read itself); a shared read survives one caller
// leaving; 404s are cached briefly; and the red-team finding: a flood of mounts
// naming missing service accounts in one namespace neither starves another
// namespace nor turns into one API read per mount.
import { afterEach, mock, test } from 'node:test';
import assert from 'node:assert/strict';
import { KubernetesError, MissingIdentityError, TransientError } from '../../src/errors.js';
import { KubeLookups, REGION_LABEL, ROLE_ARN_ANNOTATION, type CoreV1Reader } from '../../src/kube/lookups.js';
import { TokenBucket } from '../../src/kube/rate-limiter.js';

const flush = () => new Promise((r) => setImmediate(r));
const never = new AbortController().signal;
const ROLE = 'arn:aws:iam::123456789012:role/app';

afterEach(() => mock.timers.reset());

interface Call {
  resource: string;
  key: string;
  signal: AbortSignal | undefined;
}

/** A CoreV1Reader over in-memory objects: 404 for anything unknown; `hold` keeps answers back until released. */
class FakeApi implements CoreV1Reader {
  readonly calls: Call[] = [];
  readonly serviceAccounts = new Map<string, Record<string, string>>();
  readonly pods = new Map<string, string | undefined>();
  readonly nodes = new Map<string, Record<string, string>>();
  hold = false;
  private readonly held: Array<() => void> = [];

  release(): void {
    for (const answer of this.held.splice(0)) answer();
  }

  private answer<T>(resource: string, key: string, signal: AbortSignal | undefined, value: () => T | undefined): Promise<T> {
    this.calls.push({ resource, key, signal });
    return new Promise((resolve, reject) => {
      const send = () => {
        const v = value();
        if (v === undefined) reject(Object.assign(new Error('HTTP 404'), { code: 404 }));
        else resolve(v);
      };
      if (this.hold) this.held.push(send);
      else send();
    });
  }

  readNamespacedServiceAccount(p: { name: string; namespace: string }, signal?: AbortSignal) {
    const key = `${p.namespace}/${p.name}`;
    return this.answer('serviceaccounts', key, signal, () => {
      const annotations = this.serviceAccounts.get(key);
      return annotations && { metadata: { annotations } };
    });
  }

  readNamespacedPod(p: { name: string; namespace: string }, signal?: AbortSignal) {
    const key = `${p.namespace}/${p.name}`;
    return this.answer('pods', key, signal, () => (this.pods.has(key) ? { spec: { nodeName: this.pods.get(key) } } : undefined));
  }

  readNode(p: { name: string }, signal?: AbortSignal) {
    return this.answer('nodes', p.name, signal, () => {
      const labels = this.nodes.get(p.name);
      return labels && { metadata: { labels } };
    });
  }
}

/** Lookups on a fake clock (Date and setTimeout mocked); the bucket reads the same clock. */
function fakeClockLookups(api: FakeApi, qps: number, burst: number) {
  mock.timers.enable({ apis: ['setTimeout', 'Date'], now: 0 });
  const limiter = new TokenBucket(qps, burst, { now: () => Date.now() });
  return { limiter, kube: new KubeLookups(async () => api, limiter) };
}

const isNotFound = (err: unknown) => err instanceof KubernetesError && err.httpStatus === 404 && err.kind === 'not-found';

test('the finding: a 404 flood from namespace A neither starves namespace B nor costs one read per mount', { timeout: 10_000 }, async () => {
  const api = new FakeApi();
  api.serviceAccounts.set('b/app', { [ROLE_ARN_ANNOTATION]: ROLE });
  // burst 1: A's first reads queue at once, as they would behind a spent burst.
  const { limiter, kube } = fakeClockLookups(api, 5, 1);
  const ghosts = 8;

  // Namespace A: 10 simulated seconds of mounts, 20 per 100 ms, naming 8 missing service accounts.
  const controllers: AbortController[] = [];
  const floods: Array<Promise<string>> = [];
  const flood = (count: number) => {
    for (let i = 0; i < count; i++) {
      const c = new AbortController();
      controllers.push(c);
      floods.push(
        kube.roleArn('a', `ghost-${floods.length % ghosts}`, { signal: c.signal }).then(
          () => assert.fail('a missing service account resolved'),
          (err: unknown) => (isNotFound(err) ? 'not-found' : (err as Error).name),
        ),
      );
    }
  };
  flood(20);
  await flush();
  // Then namespace B's legitimate mount.
  let aWaitingWhenBServed = -1;
  const legit = kube.roleArn('b', 'app', { signal: never }).then((arn) => {
    aWaitingWhenBServed = limiter.waiting;
    return arn;
  });
  for (let step = 0; step < 100; step++) {
    mock.timers.tick(100);
    await flush();
    flood(20);
  }
  assert.equal(await legit, ROLE);
  const keys = api.calls.map((c) => c.key);
  const bIndex = keys.indexOf('b/app');
  assert.ok(aWaitingWhenBServed >= ghosts - 3, `B was served while A's reads still queued (${aWaitingWhenBServed} waiting)`);
  assert.ok(bIndex <= 2, `round robin: B's read is read #${bIndex + 1}, after A's ${keys.slice(0, bIndex).join(', ')}`);

  // 2,020 mounts in A: one read per missing account per 5 s.
  const aReads = keys.filter((k) => k.startsWith('a/'));
  for (let g = 0; g < ghosts; g++) {
    const n = aReads.filter((k) => k === `a/ghost-${g}`).length;
    assert.ok(n >= 1 && n <= 3, `ghost-${g} read ${n} times in 10 s`);
  }
  assert.ok(aReads.length <= 3 * ghosts, `${aReads.length} reads for ${floods.length} flooding mounts`);

  // The flood's mounts end (their deadlines): their reads leave the queue at once.
  for (const c of controllers) c.abort();
  const outcomes = await Promise.all(floods);
  assert.equal(limiter.waiting, 0);
  assert.ok(outcomes.every((o) => o === 'not-found' || o === 'AbortError'), `outcomes: ${[...new Set(outcomes)].join(', ')}`);
  assert.ok(outcomes.filter((o) => o === 'not-found').length > 1000, 'the 404s were shared by the waiting mounts and served from the cache');
  const readsBefore = api.calls.length;
  mock.timers.tick(60_000);
  await flush();
  assert.equal(api.calls.length, readsBefore, 'abandoned reads were never sent');
});

test('a flood naming one missing service account costs one read per 5 s, not one per mount', { timeout: 10_000 }, async () => {
  const api = new FakeApi();
  const { kube } = fakeClockLookups(api, 5, 10);
  const results: Array<Promise<boolean>> = [];
  for (let step = 0; step < 100; step++) {
    for (let i = 0; i < 10; i++) results.push(kube.roleArn('a', 'ghost', { signal: never }).then(() => false, isNotFound));
    await flush();
    mock.timers.tick(100);
  }
  assert.ok((await Promise.all(results)).every(Boolean), 'every mount sees the 404');
  assert.equal(results.length, 1000);
  assert.ok(api.calls.length >= 2 && api.calls.length <= 3, `${api.calls.length} reads in 10 s`);
});

test('a 404 is trusted for 5 s: a service account created meanwhile is found after that', { timeout: 10_000 }, async () => {
  const api = new FakeApi();
  const { kube } = fakeClockLookups(api, 5, 10);
  await assert.rejects(kube.roleArn('a', 'late', { signal: never }), isNotFound);
  api.serviceAccounts.set('a/late', { [ROLE_ARN_ANNOTATION]: ROLE });
  mock.timers.tick(4_999);
  await assert.rejects(kube.roleArn('a', 'late', { signal: never }), isNotFound);
  assert.equal(api.calls.length, 1);
  mock.timers.tick(2);
  assert.equal(await kube.roleArn('a', 'late', { signal: never }), ROLE);
  assert.equal(api.calls.length, 2);
});

test('each mount gets its own error object, not a shared one', { timeout: 10_000 }, async () => {
  const api = new FakeApi();
  const { kube } = fakeClockLookups(api, 5, 10);
  const failure = () => kube.roleArn('a', 'x', { signal: never }).then(() => assert.fail('resolved'), (e: unknown) => e as Error);
  const [one, two] = await Promise.all([failure(), failure()]);
  assert.ok(isNotFound(one) && isNotFound(two));
  assert.notEqual(one, two);
  assert.match(one.message, /service account x \(namespace: a\) not found/);
});

test('a missing role annotation is a MissingIdentityError, cached for 5 s', { timeout: 10_000 }, async () => {
  const api = new FakeApi();
  api.serviceAccounts.set('a/plain', {});
  const { kube } = fakeClockLookups(api, 5, 10);
  await assert.rejects(kube.roleArn('a', 'plain', { signal: never }), MissingIdentityError);
  await assert.rejects(kube.roleArn('a', 'plain', { signal: never }), MissingIdentityError);
  assert.equal(api.calls.length, 1);
  api.serviceAccounts.set('a/plain', { [ROLE_ARN_ANNOTATION]: ROLE });
  mock.timers.tick(5_001);
  assert.equal(await kube.roleArn('a', 'plain', { signal: never }), ROLE);
});

test('node region: pod and node 404s are cached; an unscheduled pod is transient and not cached', { timeout: 10_000 }, async () => {
  const api = new FakeApi();
  const { kube } = fakeClockLookups(api, 5, 10);
  await assert.rejects(kube.nodeRegion('a', 'gone', 'uid-1', { signal: never }), isNotFound);
  await assert.rejects(kube.nodeRegion('a', 'gone', 'uid-1', { signal: never }), isNotFound);
  assert.equal(api.calls.length, 1);
  api.pods.set('a/web', undefined);
  await assert.rejects(kube.nodeRegion('a', 'web', 'uid-2', { signal: never }), TransientError);
  api.pods.set('a/web', 'node-1');
  await assert.rejects(kube.nodeRegion('a', 'web', 'uid-2', { signal: never }), (err) => isNotFound(err) && /node node-1 not found/.test((err as Error).message));
  api.nodes.set('node-1', { [REGION_LABEL]: 'eu-west-1' });
  await assert.rejects(kube.nodeRegion('a', 'web', 'uid-2', { signal: never }), isNotFound);
  mock.timers.tick(5_001);
  assert.equal(await kube.nodeRegion('a', 'web', 'uid-2', { signal: never }), 'eu-west-1');
  assert.deepEqual(api.calls.map((c) => c.resource), ['pods', 'pods', 'pods', 'nodes', 'nodes']);
});

test('a shared read survives one caller leaving, and is cancelled once every caller has left', { timeout: 10_000 }, async () => {
  const api = new FakeApi();
  api.serviceAccounts.set('a/app', { [ROLE_ARN_ANNOTATION]: ROLE });
  api.hold = true;
  const kube = new KubeLookups(async () => api, new TokenBucket(5, 10));
  const first = new AbortController();
  const p1 = kube.roleArn('a', 'app', { signal: first.signal });
  const p2 = kube.roleArn('a', 'app', { signal: never });
  await flush();
  assert.equal(api.calls.length, 1, 'one read for both');
  first.abort();
  await assert.rejects(p1, { name: 'AbortError' });
  assert.equal(api.calls[0]!.signal!.aborted, false, 'the other caller still waits: the request goes on');
  api.release();
  assert.equal(await p2, ROLE);

  api.serviceAccounts.set('a/other', { [ROLE_ARN_ANNOTATION]: ROLE });
  const a = new AbortController();
  const b = new AbortController();
  const q1 = kube.roleArn('a', 'other', { signal: a.signal });
  const q2 = kube.roleArn('a', 'other', { signal: b.signal });
  await flush();
  a.abort();
  b.abort();
  await assert.rejects(q1, { name: 'AbortError' });
  await assert.rejects(q2, { name: 'AbortError' });
  assert.equal(api.calls[1]!.signal!.aborted, true, 'nobody waits any more: the request is ended');
  // A later mount starts a fresh read instead of joining the abandoned one.
  api.hold = false;
  assert.equal(await kube.roleArn('a', 'other', { signal: never }), ROLE);
  assert.equal(api.calls.length, 3);
});

test('a caller whose mount ends leaves the rate-limit queue; the read is never sent', { timeout: 10_000 }, async () => {
  const api = new FakeApi();
  api.serviceAccounts.set('a/app', { [ROLE_ARN_ANNOTATION]: ROLE });
  const { limiter, kube } = fakeClockLookups(api, 1, 1);
  await kube.roleArn('a', 'app', { signal: never });
  const mount = new AbortController();
  const waiting = kube.nodeRegion('a', 'web', 'uid', { signal: mount.signal });
  await flush();
  assert.equal(limiter.waiting, 1);
  mount.abort();
  await assert.rejects(waiting, { name: 'AbortError' });
  assert.equal(limiter.waiting, 0);
  mock.timers.tick(10_000);
  await flush();
  assert.deepEqual(api.calls.map((c) => c.resource), ['serviceaccounts']);
});

test('a request that never answers fails as transient after its own time limit, for every caller', { timeout: 10_000 }, async () => {
  const api = new FakeApi();
  api.hold = true;
  const kube = new KubeLookups(async () => api, new TokenBucket(5, 10), { requestTimeoutMs: 50 });
  // The time limit's timer is unref'd (a real request would hold the event loop open); hold it here.
  const holdLoopOpen = setInterval(() => {}, 1000);
  const results = await Promise.all([1, 2, 3].map(() => kube.roleArn('a', 'slow', { signal: never }).catch((e: unknown) => e)));
  clearInterval(holdLoopOpen);
  for (const err of results) {
    assert.ok(err instanceof KubernetesError && err.kind === 'transient', String(err));
    assert.match((err as Error).message, /service account slow \(namespace: a\) from the Kubernetes API: no answer within 0.05 s/);
  }
  assert.equal(api.calls.length, 1);
  assert.equal(api.calls[0]!.signal!.aborted, true, 'the request was ended');
});

test('the limiter queue bound surfaces as a TransientError from the lookup', { timeout: 10_000 }, async () => {
  const api = new FakeApi();
  mock.timers.enable({ apis: ['setTimeout', 'Date'], now: 0 });
  const limiter = new TokenBucket(1, 1, { now: () => Date.now(), maxWaitingPerKey: 2 });
  const kube = new KubeLookups(async () => api, limiter);
  const mounts = [0, 1, 2, 3].map((i) => kube.roleArn('a', `sa-${i}`, { signal: never }).catch((e: unknown) => e));
  await flush();
  for (let i = 0; i < 2; i++) {
    mock.timers.tick(1000);
    await flush();
  }
  const results = await Promise.all(mounts);
  assert.equal(results.filter(isNotFound).length, 3, 'one at once, two queued');
  const rejected = results.filter((r) => r instanceof TransientError);
  assert.equal(rejected.length, 1);
  assert.match((rejected[0] as Error).message, /too many Kubernetes API reads waiting .* namespace a/);
});
