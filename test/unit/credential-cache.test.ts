// The pod's credentials cache (src/auth/credentials.ts) through a fake AwsPort and
// real KubeLookups over a fake Kubernetes API: credentials are reused until five
// minutes before they expire (half their life when short-lived), never past the
// expiry of the pod token they came from, loaded once for concurrent mounts, kept
// apart per identity; IRSA asks the failover region's STS only for transient failures.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { PodCredentialsResolver, cacheUntil } from '../../src/auth/credentials.js';
import { ROLE_SESSION_NAME } from '../../src/auth/irsa.js';
import type { FetchedCredentials } from '../../src/aws/port.js';
import { AwsRequestError } from '../../src/errors.js';
import { KubeLookups, ROLE_ARN_ANNOTATION, type CoreV1Reader } from '../../src/kube/lookups.js';
import { TokenBucket } from '../../src/kube/rate-limiter.js';
import type { AuthPlan, Regions } from '../../src/plan/request.js';
import { AgentHttpError } from '../../src/aws/port.js';
import { FakeAwsPort, sdkError } from './support/fake-aws-port.js';
import { testContext } from './support/context.js';

const MINUTE = 60_000;
const ROLE = 'arn:aws:iam::123456789012:role/app';
const POD_IDENTITY = { ipv4: 'http://127.0.0.1:1/v1/credentials', ipv6: 'http://[::1]:1/v1/credentials', timeoutMs: 1000 };
const ONE_REGION: Regions = { primary: 'us-east-1' };

/** A clock the cache reads: real time plus an offset the test moves forward. */
class Clock {
  offset = 0;
  readonly now = () => Date.now() + this.offset;
  advance(ms: number): void {
    this.offset += ms;
  }
}

/** Service accounts with their role annotation; every read is counted. */
class FakeKubeApi implements CoreV1Reader {
  readonly roles = new Map<string, string>([['default/app', ROLE]]);
  reads = 0;
  async readNamespacedServiceAccount(p: { name: string; namespace: string }) {
    this.reads++;
    const role = this.roles.get(`${p.namespace}/${p.name}`);
    if (role === undefined) throw Object.assign(new Error('HTTP 404'), { code: 404 });
    return { metadata: { annotations: { [ROLE_ARN_ANNOTATION]: role } } };
  }
  async readNamespacedPod(): Promise<never> {
    throw new Error('not used');
  }
  async readNode(): Promise<never> {
    throw new Error('not used');
  }
}

/** Agent credentials numbered by fetch, expiring `lifetimeMs` after each fetch (undefined: no expiry given). */
function agentPort(lifetimeMs: number | undefined) {
  let fetched = 0;
  const port = new FakeAwsPort({
    getAgentCredentials: async (): Promise<FetchedCredentials> => {
      fetched++;
      return {
        accessKeyId: `AKID${fetched}`,
        secretAccessKey: `secret-${fetched}`,
        sessionToken: `session-${fetched}`,
        ...(lifetimeMs !== undefined && { expiration: new Date(Date.now() + lifetimeMs) }),
      };
    },
  });
  return port;
}

function resolverFor(port: FakeAwsPort, clock: Clock, kubeApi = new FakeKubeApi(), maxIdentities = 2048) {
  const kube = new KubeLookups(async () => kubeApi, new TokenBucket(1000, 1000), { serviceAccountTtlMs: 0 });
  return new PodCredentialsResolver(port, kube, POD_IDENTITY, maxIdentities, clock.now);
}

const podIdentity = (token: string, tokenExpiresAt?: number): AuthPlan => ({
  mode: 'pod-identity',
  token: { token, ...(tokenExpiresAt !== undefined && { expiresAt: tokenExpiresAt }) },
  addressPreference: 'ipv4',
});
const irsa = (token: string, serviceAccount = 'app', tokenExpiresAt?: number): AuthPlan => ({
  mode: 'irsa',
  token: { token, ...(tokenExpiresAt !== undefined && { expiresAt: tokenExpiresAt }) },
  namespace: 'default',
  serviceAccount,
});

/** Resolves once; returns the access key served and where the mount's record says it came from. */
async function resolveOnce(resolver: PodCredentialsResolver, auth: AuthPlan, regions: Regions = ONE_REGION) {
  const ctx = testContext();
  const credentials = await resolver.resolve(auth, regions, ctx);
  return { key: credentials.accessKeyId, source: ctx.record.credentials, credentials, ctx };
}

test('credentials are not served past the expiry of the token they came from, however long they last', async () => {
  const clock = new Clock();
  const resolver = resolverFor(agentPort(60 * MINUTE), clock);
  const auth = podIdentity('token-a', Date.now() + 10 * MINUTE);
  assert.deepEqual(await resolveOnce(resolver, auth).then((r) => [r.key, r.source]), ['AKID1', 'fetched']);
  clock.advance(9 * MINUTE);
  assert.deepEqual(await resolveOnce(resolver, auth).then((r) => [r.key, r.source]), ['AKID1', 'cache']);
  clock.advance(2 * MINUTE); // the token expired a minute ago; the credentials have 49 minutes left
  assert.deepEqual(await resolveOnce(resolver, auth).then((r) => [r.key, r.source]), ['AKID2', 'fetched']);
});

test('a token with no known expiry does not limit how long its credentials are cached', async () => {
  const clock = new Clock();
  const resolver = resolverFor(agentPort(60 * MINUTE), clock);
  await resolveOnce(resolver, podIdentity('token-a'));
  clock.advance(54 * MINUTE);
  assert.equal((await resolveOnce(resolver, podIdentity('token-a'))).key, 'AKID1');
});

test('credentials are refreshed five minutes before they expire', async () => {
  const clock = new Clock();
  const resolver = resolverFor(agentPort(60 * MINUTE), clock);
  await resolveOnce(resolver, podIdentity('token-a'));
  clock.advance(54 * MINUTE);
  assert.equal((await resolveOnce(resolver, podIdentity('token-a'))).key, 'AKID1');
  clock.advance(2 * MINUTE); // 4 minutes before they expire
  assert.equal((await resolveOnce(resolver, podIdentity('token-a'))).key, 'AKID2');
});

test('short-lived credentials are used for half their life rather than not at all', async () => {
  const clock = new Clock();
  const resolver = resolverFor(agentPort(4 * MINUTE), clock);
  await resolveOnce(resolver, podIdentity('token-a'));
  clock.advance(1.5 * MINUTE);
  assert.equal((await resolveOnce(resolver, podIdentity('token-a'))).key, 'AKID1');
  clock.advance(1 * MINUTE); // 2.5 of 4 minutes gone
  assert.equal((await resolveOnce(resolver, podIdentity('token-a'))).key, 'AKID2');
});

test('credentials without an expiration are taken to last 15 minutes, and refreshed 5 minutes before', async () => {
  const clock = new Clock();
  const resolver = resolverFor(agentPort(undefined), clock);
  await resolveOnce(resolver, podIdentity('token-a'));
  clock.advance(9 * MINUTE);
  assert.equal((await resolveOnce(resolver, podIdentity('token-a'))).key, 'AKID1');
  clock.advance(2 * MINUTE);
  assert.equal((await resolveOnce(resolver, podIdentity('token-a'))).key, 'AKID2');
});

test('credentials that have already expired are served to the mount that fetched them but never cached', async () => {
  const resolver = resolverFor(agentPort(-MINUTE), new Clock());
  assert.equal((await resolveOnce(resolver, podIdentity('token-a'))).key, 'AKID1');
  assert.deepEqual(await resolveOnce(resolver, podIdentity('token-a')).then((r) => [r.key, r.source]), ['AKID2', 'fetched']);
});

test('cacheUntil: the earliest of (expiry - 5 min), (expiry - half the life) and the token expiry', () => {
  const now = 1_000_000_000_000;
  const at = (ms: number) => ({ accessKeyId: 'a', secretAccessKey: 's', expiration: new Date(now + ms) });
  assert.equal(cacheUntil(at(60 * MINUTE), undefined, now), now + 55 * MINUTE);
  assert.equal(cacheUntil(at(60 * MINUTE), now + 20 * MINUTE, now), now + 20 * MINUTE);
  assert.equal(cacheUntil(at(60 * MINUTE), now + 58 * MINUTE, now), now + 55 * MINUTE);
  assert.equal(cacheUntil(at(6 * MINUTE), undefined, now), now + 3 * MINUTE);
  assert.equal(cacheUntil(at(10 * MINUTE), undefined, now), now + 5 * MINUTE);
  assert.equal(cacheUntil({ accessKeyId: 'a', secretAccessKey: 's' }, undefined, now), now + 10 * MINUTE);
  assert.ok(cacheUntil(at(-MINUTE), undefined, now) <= now);
});

test('concurrent mounts of one identity share one fetch; the others are recorded as served from the cache', async () => {
  const port = agentPort(60 * MINUTE);
  const resolver = resolverFor(port, new Clock());
  const results = await Promise.all([1, 2, 3].map(() => resolveOnce(resolver, podIdentity('token-a'))));
  assert.deepEqual(results.map((r) => r.key), ['AKID1', 'AKID1', 'AKID1']);
  assert.deepEqual(results.map((r) => r.source).sort(), ['cache', 'cache', 'fetched']);
  assert.equal(port.callsOf('getAgentCredentials').length, 1);
});

test('each pod identity token is its own identity; its key is a hash, never the token', async () => {
  const resolver = resolverFor(agentPort(60 * MINUTE), new Clock());
  const a = await resolveOnce(resolver, podIdentity('token-a'));
  const b = await resolveOnce(resolver, podIdentity('token-b'));
  const a2 = await resolveOnce(resolver, podIdentity('token-a'));
  assert.deepEqual([a.key, b.key, a2.key], ['AKID1', 'AKID2', 'AKID1']);
  assert.notEqual(a.credentials.identityKey, b.credentials.identityKey);
  assert.match(a.credentials.identityKey, /^pod-identity:[\w-]{32}$/);
  assert.ok(!a.credentials.identityKey.includes('token-a'));
});

test('the cache holds at most maxIdentities identities, dropping the least recently used', async () => {
  const resolver = resolverFor(agentPort(60 * MINUTE), new Clock(), new FakeKubeApi(), 2);
  const key = async (token: string) => (await resolveOnce(resolver, podIdentity(token))).key;
  assert.deepEqual([await key('a'), await key('b'), await key('a'), await key('c')], ['AKID1', 'AKID2', 'AKID1', 'AKID3']);
  assert.equal(await key('a'), 'AKID1'); // used more recently than b
  assert.equal(await key('b'), 'AKID4'); // dropped for c
});

test('a failed load is recorded as an error and not cached: the next mount tries again', async () => {
  let calls = 0;
  const port = new FakeAwsPort({
    getAgentCredentials: async () => {
      if (++calls === 1) throw new AgentHttpError(403, 'denied');
      return { accessKeyId: 'AKIDOK', secretAccessKey: 's', sessionToken: 't', expiration: new Date(Date.now() + 60 * MINUTE) };
    },
  });
  const resolver = resolverFor(port, new Clock());
  const ctx = testContext();
  await assert.rejects(resolver.resolve(podIdentity('token-a'), ONE_REGION, ctx), AwsRequestError);
  assert.equal(ctx.record.credentials, 'error');
  assert.deepEqual(await resolveOnce(resolver, podIdentity('token-a')).then((r) => [r.key, r.source]), ['AKIDOK', 'fetched']);
});

/** STS answering per region: a function of the region and the call number. */
function stsPort(answer: (region: string, n: number) => 'ok' | Error) {
  let n = 0;
  return new FakeAwsPort({
    assumeRoleWithWebIdentity: async (_input, call) => {
      const a = answer(call.region, ++n);
      if (a instanceof Error) throw a;
      return { Credentials: { AccessKeyId: `STS-${call.region}-${n}`, SecretAccessKey: 's', SessionToken: 't', Expiration: new Date(Date.now() + 60 * MINUTE) } };
    },
  });
}

test('IRSA: the service account role and the pod token are exchanged with STS in the primary region', async () => {
  const port = stsPort(() => 'ok');
  const resolver = resolverFor(port, new Clock());
  const r = await resolveOnce(resolver, irsa('sa-token'), { primary: 'eu-west-1', failover: 'eu-central-1' });
  assert.equal(r.key, 'STS-eu-west-1-1');
  assert.deepEqual(port.calls, [
    { method: 'assumeRoleWithWebIdentity', input: { RoleArn: ROLE, RoleSessionName: ROLE_SESSION_NAME, WebIdentityToken: 'sa-token' }, region: 'eu-west-1' },
  ]);
  assert.match(r.credentials.identityKey, /^irsa:[\w-]{32}$/);
  assert.ok(!r.credentials.identityKey.includes('sa-token'));
});

test('IRSA: a transient STS failure in the primary region is retried in the failover region, with a warning', async () => {
  const port = stsPort((region) => (region === 'eu-west-1' ? sdkError('ServiceUnavailable', 503) : 'ok'));
  const r = await resolveOnce(resolverFor(port, new Clock()), irsa('sa-token'), { primary: 'eu-west-1', failover: 'eu-central-1' });
  assert.equal(r.key, 'STS-eu-central-1-2');
  assert.deepEqual(port.calls.map((c) => c.region), ['eu-west-1', 'eu-central-1']);
  const warnings = r.ctx.logLines.filter((l) => l.level === 40);
  assert.equal(warnings.length, 1);
  assert.match(String(warnings[0]!.msg), /STS AssumeRoleWithWebIdentity in eu-west-1 failed/);
  assert.match(String(warnings[0]!.error), /^sts AssumeRoleWithWebIdentity for role arn:aws:iam::123456789012:role\/app failed in region eu-west-1 \(HTTP 503\)/);
});

test('a credential load that no mount waits for any more is cancelled', async () => {
  const signals: AbortSignal[] = [];
  const port = new FakeAwsPort({
    assumeRoleWithWebIdentity: (_input, call) => {
      signals.push(call.signal);
      return new Promise((_, reject) => call.signal.addEventListener('abort', () => reject(sdkError('AbortError', undefined)), { once: true }));
    },
  });
  const resolver = resolverFor(port, new Clock());
  const mounts = [new AbortController(), new AbortController()];
  const pending = mounts.map((m) => resolver.resolve(irsa('sa-token'), ONE_REGION, testContext(m.signal)).catch((e: Error) => e.name));
  while (signals.length === 0) await new Promise((r) => setImmediate(r));
  mounts[0]!.abort();
  assert.equal(signals[0]!.aborted, false, 'the other mount still waits');
  mounts[1]!.abort();
  assert.equal(signals[0]!.aborted, true);
  assert.deepEqual(await Promise.all(pending), ['AbortError', 'AbortError']);
  assert.equal(signals.length, 1);
});

test('identities never collide: role and token are kept apart in the key, not concatenated', async () => {
  // "role/app" + "xtoken" and "role/appx" + "token" read the same when joined without a separator.
  const kubeApi = new FakeKubeApi();
  kubeApi.roles.set('default/other', `${ROLE}x`);
  const port = stsPort(() => 'ok');
  const resolver = resolverFor(port, new Clock(), kubeApi);
  const a = await resolveOnce(resolver, irsa('xtoken', 'app'));
  const b = await resolveOnce(resolver, irsa('token', 'other'));
  assert.equal(b.source, 'fetched', 'another role and token: its own credentials');
  assert.notEqual(b.key, a.key);
  assert.notEqual(b.credentials.identityKey, a.credentials.identityKey);
});

test('IRSA: a refused token is not retried in the failover region, and without a failover region a transient failure is the error', async () => {
  const denied = stsPort(() => sdkError('AccessDenied', 403));
  await assert.rejects(resolverFor(denied, new Clock()).resolve(irsa('sa-token'), { primary: 'eu-west-1', failover: 'eu-central-1' }, testContext()), (err) =>
    err instanceof AwsRequestError && err.kind === 'permission-denied',
  );
  assert.deepEqual(denied.calls.map((c) => c.region), ['eu-west-1']);

  const down = stsPort(() => sdkError('ServiceUnavailable', 503));
  await assert.rejects(resolverFor(down, new Clock()).resolve(irsa('sa-token'), { primary: 'eu-west-1' }, testContext()), (err) =>
    err instanceof AwsRequestError && err.transient && err.details.region === 'eu-west-1',
  );
  assert.equal(down.calls.length, 1);
});

test('IRSA: the identity is the role and the token: a service account moved to another role gets fresh credentials', async () => {
  const kubeApi = new FakeKubeApi();
  const port = stsPort(() => 'ok');
  const resolver = resolverFor(port, new Clock(), kubeApi);
  const first = await resolveOnce(resolver, irsa('sa-token'));
  assert.equal((await resolveOnce(resolver, irsa('sa-token'))).source, 'cache');
  kubeApi.roles.set('default/app', 'arn:aws:iam::123456789012:role/other');
  const moved = await resolveOnce(resolver, irsa('sa-token'));
  assert.equal(moved.source, 'fetched');
  assert.notEqual(moved.credentials.identityKey, first.credentials.identityKey);
  assert.equal((port.calls.at(-1)!.input as { RoleArn: string }).RoleArn, 'arn:aws:iam::123456789012:role/other');
});

test('IRSA credentials are also clamped to the token expiry', async () => {
  const clock = new Clock();
  const resolver = resolverFor(stsPort(() => 'ok'), clock);
  const auth = irsa('sa-token', 'app', Date.now() + 10 * MINUTE);
  assert.equal((await resolveOnce(resolver, auth)).source, 'fetched');
  clock.advance(11 * MINUTE);
  assert.equal((await resolveOnce(resolver, auth)).source, 'fetched');
});
