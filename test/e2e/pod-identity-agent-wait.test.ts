// A Pod Identity agent that is not listening yet (fresh EKS Auto Mode nodes): the real provider
// keeps trying both address families with backoff, within --pod-identity-agent-wait and the mount's
// deadline, and mounts once the agent answers; an agent that never comes is a clear error within
// the bound; a 4xx from the agent is its answer and is not retried.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { grpc } from '../harness/grpc-client.js';
import { startPodIdentityAgent, unusedEndpoint, type PodIdentityAgent } from '../harness/pod-identity-agent.js';
import { buildMountRequest } from '../harness/attributes.js';
import { createPod, createSecret, mountRequest, objectsYaml, readTree, ROLE_ARN, targetDir, useE2E } from './fixture.js';

const e2e = useE2E();

const params = (extra: Record<string, string> = {}) => ({
  region: 'us-east-1',
  usePodIdentity: 'true',
  objects: objectsYaml([{ objectName: 'app-secret', objectType: 'secretsmanager' }]),
  ...extra,
});

/** Starts an agent stub on `endpoint`'s port after `delayMs` (nothing listens there until then). */
function agentLater(endpoint: string, delayMs: number, token: string): Promise<PodIdentityAgent> {
  const url = new URL(endpoint);
  const host = url.hostname === '[::1]' ? '::1' : '127.0.0.1';
  return new Promise((resolve, reject) =>
    setTimeout(() => {
      startPodIdentityAgent({ host, port: Number(url.port), motoUrl: e2e.env.moto.url }).then((agent) => {
        agent.allowToken(token, { roleArn: ROLE_ARN });
        resolve(agent);
      }, reject);
    }, delayMs),
  );
}

function tokenOf(request: { attributes: string }): string {
  return (JSON.parse(JSON.parse(request.attributes)['csi.storage.k8s.io/serviceAccount.tokens']) as Record<string, { token: string }>)['pods.eks.amazonaws.com']!.token;
}

test('the agent starts listening (on IPv6 only) 2 s after the mount began: refused on both families, then mounted', async () => {
  await createSecret(e2e.env, 'us-east-1', 'app-secret', 'AGENT-LATE-VALUE');
  const [ipv4, ipv6] = [await unusedEndpoint('127.0.0.1'), await unusedEndpoint('::1')];
  const provider = await e2e.env.startProvider({ podIdentityIpv4: ipv4, podIdentityIpv6: ipv6 });
  let late: PodIdentityAgent | undefined;
  try {
    const target = targetDir();
    const request = mountRequest(e2e.env, { pod: createPod(e2e.env, { auth: 'pod-identity' }), target, parameters: params() });
    const started = Date.now();
    const lateAgent = agentLater(ipv6, 2_000, tokenOf(request));
    await provider.client.mount(request, { deadlineMs: 20_000 });
    late = await lateAgent;
    assert.ok(Date.now() - started >= 2_000, 'the mount waited for the agent');
    assert.equal(readTree(target)['app-secret']!.contents, 'AGENT-LATE-VALUE');
    assert.equal(late.count(), 1, 'one answer from the agent once it listened');
    await provider.waitForLog(/Pod Identity agent not answering \(it may still be starting\); trying again with backoff/, 1000);
    assert.match(provider.logs(), /"credentials":"fetched".*"outcome":"success"/);
  } finally {
    await provider.stop();
    await late?.stop();
  }
});

test('preferredAddressType ipv4: the IPv4 agent comes up late and answers', async () => {
  await createSecret(e2e.env, 'us-east-1', 'app-secret', 'IPV4-LATE');
  const ipv4 = await unusedEndpoint('127.0.0.1');
  const provider = await e2e.env.startProvider({ podIdentityIpv4: ipv4 });
  let late: PodIdentityAgent | undefined;
  try {
    const target = targetDir();
    const request = mountRequest(e2e.env, { pod: createPod(e2e.env), target, parameters: params({ preferredAddressType: 'ipv4' }) });
    const lateAgent = agentLater(ipv4, 1_000, tokenOf(request));
    await provider.client.mount(request, { deadlineMs: 20_000 });
    late = await lateAgent;
    assert.equal(readTree(target)['app-secret']!.contents, 'IPV4-LATE');
    assert.equal(e2e.env.agentIpv6.count(), 0, 'the preference is kept while waiting');
  } finally {
    await provider.stop();
    await late?.stop();
  }
});

test('an agent that never comes: UNKNOWN, saying it was unreachable and for how long, within --pod-identity-agent-wait', async () => {
  const [ipv4, ipv6] = [await unusedEndpoint('127.0.0.1'), await unusedEndpoint('::1')];
  const provider = await e2e.env.startProvider({ podIdentityIpv4: ipv4, podIdentityIpv6: ipv6, args: ['--pod-identity-agent-wait=2s'] });
  try {
    const started = Date.now();
    await assert.rejects(provider.client.mount(mountRequest(e2e.env, { pod: createPod(e2e.env), parameters: params() }), { deadlineMs: 30_000 }), (err: grpc.ServiceError) => {
      assert.equal(err.code, grpc.status.UNKNOWN, err.details);
      assert.match(err.details, new RegExp(`the EKS Pod Identity agent \\(${ipv4.replace(/[.[\]]/g, '\\$&')}, ${ipv6.replace(/[.[\]]/g, '\\$&')}\\) was unreachable for [0-3]\\.\\ds \\(\\d+ rounds\\): is the eks-pod-identity-agent add-on running on the node\\?`));
      assert.match(err.details, /ECONNREFUSED/);
      return true;
    });
    const elapsed = Date.now() - started;
    assert.ok(elapsed < 2_000 + 2_500, `answered after ${elapsed} ms, far before the 30 s deadline`);
    assert.equal(e2e.env.proxy.count(), 0);
  } finally {
    await provider.stop();
  }
});

test('the mount\'s deadline bounds the wait (default 30 s): the error still arrives before it', async () => {
  const ipv4 = await unusedEndpoint('127.0.0.1');
  const provider = await e2e.env.startProvider({ podIdentityIpv4: ipv4 });
  try {
    const started = Date.now();
    await assert.rejects(
      provider.client.mount(mountRequest(e2e.env, { pod: createPod(e2e.env), parameters: params({ preferredAddressType: 'ipv4' }) }), { deadlineMs: 4_000 }),
      (err: grpc.ServiceError) => {
        assert.equal(err.code, grpc.status.UNKNOWN, err.details);
        assert.match(err.details, /the EKS Pod Identity agent \(http:\/\/127\.0\.0\.1:\d+\/v1\/credentials\) was unreachable for [0-3]\.\ds/);
        return true;
      },
    );
    assert.ok(Date.now() - started < 4_000);
  } finally {
    await provider.stop();
  }
});

test('a 4xx from the agent is not retried: one call, PERMISSION_DENIED at once', async () => {
  const pod = createPod(e2e.env);
  // A token the agent does not know: 403.
  const stranger = buildMountRequest({ pod, parameters: params(), targetPath: targetDir() });
  const started = Date.now();
  await assert.rejects(e2e.provider.client.mount(stranger), (err: grpc.ServiceError) => err.code === grpc.status.PERMISSION_DENIED && /HTTP 403/.test(err.details));
  assert.ok(Date.now() - started < 1_000);
  assert.equal(e2e.env.agent.count(), 1);
  assert.equal(e2e.env.agentIpv6.count(), 0);
});

test('5xx from both agents is waited out, then reported as failing', async () => {
  e2e.env.agent.setFault({ kind: 'status', status: 503 }, 3);
  e2e.env.agentIpv6.setFault({ kind: 'status', status: 503 }, 3);
  await createSecret(e2e.env, 'us-east-1', 'app-secret', 'AFTER-503');
  const target = targetDir();
  await e2e.provider.client.mount(mountRequest(e2e.env, { pod: createPod(e2e.env), target, parameters: params() }), { deadlineMs: 20_000 });
  assert.equal(readTree(target)['app-secret']!.contents, 'AFTER-503');
  assert.equal(e2e.env.agent.count() + e2e.env.agentIpv6.count(), 7, 'three rounds over both families, then the IPv4 agent answers');
});
