// The Pod Identity agent that is not ready yet (src/auth/pod-identity.ts): rounds over the endpoints
// are repeated with backoff while the agent refuses, resets, times out or answers 5xx, for at most
// the agent wait and never past the mount's deadline; the final error says the agent was
// unreachable and for how long, and is not retried again by the mount. A 4xx is never repeated.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { fetchPodIdentityCredentials, type PodIdentityEndpoints } from '../../src/auth/pod-identity.js';
import { AgentHttpError, type FetchedCredentials } from '../../src/aws/port.js';
import { ProviderError } from '../../src/errors.js';
import { retryTransient } from '../../src/util/retry.js';
import { FakeAwsPort } from './support/fake-aws-port.js';
import { testContext } from './support/context.js';

const IPV4 = 'http://127.0.0.1:1/v1/credentials';
const IPV6 = 'http://[::1]:1/v1/credentials';
const endpoints = (waitMs: number): PodIdentityEndpoints => ({ ipv4: IPV4, ipv6: IPV6, timeoutMs: 1000, waitMs });
const refused = () => Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:1'), { code: 'ECONNREFUSED' });
const OK: FetchedCredentials = { accessKeyId: 'AKIDAGENT', secretAccessKey: 's', sessionToken: 't' };

/** An agent that fails `failures` times (each endpoint attempt counts), then answers. */
function agent(failures: number, failure: () => Error = refused) {
  let n = 0;
  return new FakeAwsPort({
    getAgentCredentials: async () => {
      if (++n <= failures) throw failure();
      return OK;
    },
  });
}

function fetch(port: FakeAwsPort, waitMs: number, ctx = testContext(), preference: 'auto' | 'ipv4' = 'auto') {
  return fetchPodIdentityCredentials(port, endpoints(waitMs), preference, 'pod-token', 'us-east-1', ctx.signal, ctx);
}

test('an agent that starts listening after a few refused rounds: the mount gets its credentials', async () => {
  const port = agent(6);
  const ctx = testContext();
  assert.deepEqual(await fetch(port, 10_000, ctx), OK);
  const endpointsTried = port.callsOf('getAgentCredentials').map((c) => (c.input as { endpoint: string }).endpoint);
  assert.deepEqual(endpointsTried, [IPV4, IPV6, IPV4, IPV6, IPV4, IPV6, IPV4], 'both address families, every round');
  const warnings = ctx.logLines.filter((l) => l.level === 40).map((l) => String(l.msg));
  assert.deepEqual(warnings, [
    `Pod Identity agent ${IPV4} failed; trying the next endpoint`,
    'Pod Identity agent not answering (it may still be starting); trying again with backoff',
  ], 'warned once, not once per round');
  assert.equal(ctx.record.attempts.length, 7);
  assert.deepEqual(new Set(ctx.record.attempts.map((a) => a.outcome)), new Set(['network', 'ok']));
});

test('an agent that never comes: the error says it was unreachable and for how long, within the wait', async () => {
  const port = agent(Infinity);
  const started = Date.now();
  const err = await fetch(port, 800).then(() => assert.fail('resolved'), (e: unknown) => e);
  const elapsed = Date.now() - started;
  assert.ok(err instanceof ProviderError);
  assert.equal(err.kind, 'transient');
  assert.match(
    err.message,
    /^the EKS Pod Identity agent \(http:\/\/127\.0\.0\.1:1\/v1\/credentials, http:\/\/\[::1\]:1\/v1\/credentials\) was unreachable for 0\.\ds \((\d+) rounds\): is the eks-pod-identity-agent add-on running on the node\?: pod-identity-agent GetCredentials for endpoint http:\/\/\[::1\]:1\/v1\/credentials failed in region us-east-1: connect ECONNREFUSED .*\(transient: network error or timeout\); still failing after \d+ attempts over 0\.\ds$/,
  );
  // It stops before a backoff that would end past the wait, so at most the wait plus one round.
  assert.ok(elapsed < 800 + 2 * 1000, `gave up after ${elapsed} ms`);
  const reported = Number(/for (\d\.\d)s/.exec(err.message)![1]);
  assert.ok(Math.abs(reported * 1000 - elapsed) < 150, `reported ${reported}s, took ${elapsed} ms`);
  assert.ok(port.calls.length >= 4, `${port.calls.length} attempts: several rounds`);
});

test('the mount\'s deadline bounds the wait: it gives up with a second to spare', async () => {
  const port = agent(Infinity);
  const started = Date.now();
  const ctx = testContext(new AbortController().signal, started + 1_800);
  await assert.rejects(fetch(port, 30_000, ctx), /was unreachable for 0\.\ds/);
  assert.ok(Date.now() - started < 1_500, `gave up after ${Date.now() - started} ms`);
});

test('5xx from the agent is waited out too, and reported as failing rather than unreachable', async () => {
  assert.deepEqual(await fetch(agent(3, () => new AgentHttpError(503, 'starting')), 10_000), OK);
  await assert.rejects(fetch(agent(Infinity, () => new AgentHttpError(500, undefined)), 300), /agent \(.*\) was failing for 0\.\ds .*\(HTTP 500\)/);
});

test('a 4xx from the agent is its answer: no other endpoint, no other round', async () => {
  const port = agent(Infinity, () => new AgentHttpError(403, 'the token is not valid for a pod identity association'));
  await assert.rejects(fetch(port, 10_000), (err: ProviderError) => err.kind === 'permission-denied' && /HTTP 403/.test(err.message));
  assert.equal(port.calls.length, 1);
});

test('wait 0: one round over the endpoints, as before', async () => {
  const port = agent(Infinity);
  await assert.rejects(fetch(port, 0), /was unreachable for 0\.0s \(1 round\)/);
  assert.equal(port.calls.length, 2);
  const one = agent(Infinity);
  await assert.rejects(fetch(one, 0, testContext(), 'ipv4'), /agent \(http:\/\/127\.0\.0\.1:1\/v1\/credentials\) was unreachable/);
  assert.equal(one.calls.length, 1);
});

test('the mount does not retry a wait that has already run out', async () => {
  const port = agent(Infinity);
  const ctx = testContext();
  let calls = 0;
  await assert.rejects(retryTransient(() => (calls++, fetch(port, 300, ctx)), ctx), /was unreachable/);
  assert.equal(calls, 1);
});
