// Authentication (IRSA, Pod Identity with IPv4->IPv6 fallback, credential
// caching), error codes and messages, validation before any credential call,
// malformed input that must never hurt the server, secret redaction, deadlines.
import { beforeEach, test } from 'node:test';
import assert from 'node:assert/strict';
import { buildAttributes, buildMountRequest, makePodToken, readTokens } from '../harness/attributes.js';
import { grpc } from '../harness/grpc-client.js';
import { unusedEndpoint } from '../harness/pod-identity-agent.js';
import { createPod, createSecret, mountRequest, objectsYaml, readTree, ROLE_ARN, useE2E, targetDir } from './fixture.js';

const e2e = useE2E();
beforeEach(async () => {
  await createSecret(e2e.env, 'us-east-1', 'app-secret', 'TOP-SECRET-VALUE-1');
});

const OBJECTS = objectsYaml([{ objectName: 'app-secret', objectType: 'secretsmanager' }]);
const params = (extra: Record<string, string> = {}) => ({ region: 'us-east-1', objects: OBJECTS, ...extra });

function rejectsWith(code: grpc.status, ...patterns: RegExp[]) {
  return (err: grpc.ServiceError) => {
    assert.equal(err.code, code, `${grpc.status[err.code]}: ${err.details}`);
    for (const p of patterns) assert.match(err.details, p);
    return true;
  };
}

test('Version reports the protocol, runtime name and a semver', async () => {
  const v = await e2e.provider.client.version({ version: 'v1alpha1' });
  assert.equal(v.version, 'v1alpha1');
  assert.equal(v.runtime_name, 'secrets-store-csi-driver-provider-aws');
  assert.match(v.runtime_version, /^\d+\.\d+\.\d+/);
});

test('empty objects is a successful mount of nothing, with no AWS or Kubernetes call', async () => {
  const pod = createPod(e2e.env);
  const target = targetDir();
  const r = await e2e.provider.client.mount(mountRequest(e2e.env, { pod, target, parameters: { region: 'us-east-1', objects: '' } }));
  assert.deepEqual(r.object_version, []);
  assert.deepEqual(readTree(target), {});
  assert.equal(e2e.env.proxy.count(), 0);
  assert.equal(e2e.env.kube.requests().length, 0);
});

test('IRSA: credentials are the pod\'s, cached per role and token, shared by concurrent mounts', async () => {
  const pod = createPod(e2e.env);
  const request = mountRequest(e2e.env, { pod, parameters: params() });
  // Slow answers make the 20 concurrent mounts overlap: identical in-flight fetches of one identity are made once.
  e2e.env.proxy.setFault({ operation: 'GetSecretValue', fault: { kind: 'latency', ms: 300 }, times: 1 });
  const targets = Array.from({ length: 20 }, () => targetDir());
  await Promise.all(targets.map((t) => e2e.provider.client.mount({ ...request, target_path: t })));
  for (const t of targets) assert.equal(readTree(t)['app-secret']!.contents, 'TOP-SECRET-VALUE-1');
  for (let i = 0; i < 3; i++) await e2e.provider.client.mount({ ...request, target_path: targetDir() });
  assert.equal(e2e.env.proxy.count({ service: 'sts', operation: 'AssumeRoleWithWebIdentity' }), 1, 'one STS call for 23 mounts');
  assert.equal(e2e.env.proxy.count({ operation: 'GetSecretValue' }), 1 + 3, 'one call for the 20 concurrent mounts, then one per mount');
  const keys = new Set(e2e.env.proxy.requests().filter((r) => r.operation === 'GetSecretValue').map((r) => r.accessKeyId));
  assert.equal(keys.size, 1);
  assert.match([...keys][0]!, /^ASIA/, 'signed with STS session credentials');

  // Another pod of the same service account has its own token: its own identity.
  const other = mountRequest(e2e.env, { pod: { ...pod, uid: 'another-uid', name: 'web-other' }, parameters: params() });
  await e2e.provider.client.mount(other);
  assert.equal(e2e.env.proxy.count({ service: 'sts' }), 2);
});

test('IRSA: missing role annotation, missing service account, Kubernetes down, STS denied', async () => {
  const noRole = createPod(e2e.env, { roleArn: null });
  await assert.rejects(
    e2e.provider.client.mount(mountRequest(e2e.env, { pod: noRole, parameters: params() })),
    rejectsWith(grpc.status.UNAUTHENTICATED, new RegExp(`An IAM role must be associated with service account ${noRole.serviceAccountName} \\(namespace: shop\\)`)),
  );
  const ghost = { ...createPod(e2e.env), serviceAccountName: 'ghost' };
  await assert.rejects(
    e2e.provider.client.mount(mountRequest(e2e.env, { pod: ghost, parameters: params() })),
    rejectsWith(grpc.status.NOT_FOUND, /service account ghost \(namespace: shop\) not found/),
  );
  const pod = createPod(e2e.env);
  e2e.env.kube.failResource('serviceaccounts', { status: 500 });
  await assert.rejects(
    e2e.provider.client.mount(mountRequest(e2e.env, { pod, parameters: params() })),
    rejectsWith(grpc.status.UNKNOWN, /failed to read service account .* HTTP 500.*still failing after 3 attempts/),
  );
  e2e.env.kube.clearFailures();
  e2e.env.proxy.setFault({ service: 'sts', fault: { kind: 'accessDenied' } });
  await assert.rejects(
    e2e.provider.client.mount(mountRequest(e2e.env, { pod: createPod(e2e.env), parameters: params() })),
    rejectsWith(grpc.status.PERMISSION_DENIED, /sts AssumeRoleWithWebIdentity for role arn:aws:iam::123456789012:role\/app-secrets-reader failed in region us-east-1/),
  );
});

test('Pod Identity: agent credentials cached per token; unknown token is PERMISSION_DENIED', async () => {
  const pod = createPod(e2e.env);
  const request = mountRequest(e2e.env, { pod, parameters: params({ usePodIdentity: 'true' }) });
  await Promise.all(Array.from({ length: 10 }, () => e2e.provider.client.mount({ ...request, target_path: targetDir() })));
  assert.equal(e2e.env.agent.count(), 1);
  assert.equal(e2e.env.proxy.count({ service: 'sts' }), 0);
  assert.equal(e2e.env.kube.count('serviceaccounts'), 0, 'Pod Identity needs no Kubernetes call');

  const stranger = buildMountRequest({ pod, parameters: params({ usePodIdentity: 'true' }), targetPath: targetDir() });
  await assert.rejects(e2e.provider.client.mount(stranger), rejectsWith(grpc.status.PERMISSION_DENIED, /pod-identity-agent GetCredentials/, /HTTP 40[13]/));
});

test('Pod Identity: IPv4 agent unreachable falls back to IPv6; preferredAddressType forces one', async () => {
  const provider = await e2e.env.startProvider({ podIdentityIpv4: await unusedEndpoint('127.0.0.1'), args: ['--pod-identity-agent-wait=1s'] });
  try {
    const pod = createPod(e2e.env);
    const target = targetDir();
    await provider.client.mount(mountRequest(e2e.env, { pod, target, parameters: params({ usePodIdentity: 'true' }) }));
    assert.equal(readTree(target)['app-secret']!.contents, 'TOP-SECRET-VALUE-1');
    assert.equal(e2e.env.agentIpv6.count(), 1);
    await provider.waitForLog(/Pod Identity agent http:\/\/127\.0\.0\.1:\d+\/v1\/credentials failed; trying the next endpoint/, 5000);

    const ipv6 = createPod(e2e.env);
    await provider.client.mount(mountRequest(e2e.env, { pod: ipv6, parameters: params({ usePodIdentity: 'true', preferredAddressType: 'IPv6' }) }));
    assert.equal(e2e.env.agentIpv6.count(), 2);

    const ipv4 = createPod(e2e.env);
    await assert.rejects(
      provider.client.mount(mountRequest(e2e.env, { pod: ipv4, parameters: params({ usePodIdentity: 'true', preferredAddressType: 'ipv4' }) })),
      rejectsWith(grpc.status.UNKNOWN, /agent \(http:\/\/127\.0\.0\.1:\d+\/v1\/credentials\) was unreachable for \d\.\ds .*endpoint http:\/\/127\.0\.0\.1:\d+\/v1\/credentials.*transient: network error or timeout.*still failing after \d+ attempts/),
    );
  } finally {
    await provider.stop();
  }
});

test('a CSIDriver without tokenRequests is named in the error', async () => {
  const pod = createPod(e2e.env);
  const noTokens = buildMountRequest({ pod, parameters: params(), tokens: null, targetPath: targetDir() });
  await assert.rejects(e2e.provider.client.mount(noTokens), rejectsWith(grpc.status.INVALID_ARGUMENT, /serviceAccount\.tokens is missing: the CSIDriver secrets-store\.csi\.k8s\.io must set tokenRequests/));
  const onlyPi = buildMountRequest({ pod, parameters: params(), tokens: { 'pods.eks.amazonaws.com': undefined }, targetPath: targetDir() });
  await assert.rejects(e2e.provider.client.mount(onlyPi), rejectsWith(grpc.status.INVALID_ARGUMENT, /no service account token for audience sts\.amazonaws\.com/));
});

test('every validation failure is INVALID_ARGUMENT, found before any Kubernetes or AWS call', async () => {
  const pod = createPod(e2e.env);
  const bad: Array<[Record<string, string>, RegExp]> = [
    [params({ failoverRegion: 'us-east-1' }), /failoverRegion us-east-1 cannot be the same as the primary region/],
    [params({ usePodIdentity: 'yes' }), /failed to parse usePodIdentity value "yes"/],
    [params({ pathTranslation: '::' }), /pathTranslation "::" must be either "False" or a single character/],
    [params({ objects: '- objectName: x\n' }), /objects\[0\] objectType: is required for "x"/],
    [params({ objects: '- objectName: x\n  objectType: s3\n' }), /objectType: "s3" is invalid/],
    [params({ objects: '- objectName: "arn:aws:secretsmanager:eu-west-1:123456789012:secret:x"\n' }), /must match region us-east-1/],
    [params({ objects: '- objectName: x\n  objectType: ssmparameter\n  objectVersion: "1"\n  objectVersionLabel: l\n' }), /cannot specify both/],
    [params({ objects: '- objectName: x\n  objectType: secretsmanager\n  filePermission: "644"\n' }), /filePermission: "644" must be exactly four octal digits/],
    [params({ objects: '- objectName: x\n  objectType: secretsmanager\n  jmesPath:\n    - path: a\n' }), /jmesPath\[0\]\.objectAlias: is required/],
    [params({ objects: '- objectName: x\n  objectType: secretsmanager\n  failoverObject:\n    objectName: y\n' }), /objectAlias: is required for "x" because it has a failoverObject/],
    [params({ objects: '- objectName: x\n  objectType: secretsmanager\n- objectName: x\n  objectType: secretsmanager\n' }), /objects\[1\] objectName: "x" is listed twice/],
    [params({ objects: '- objectName: ../../etc/shadow\n  objectType: secretsmanager\n', pathTranslation: 'False' }), /must not be "\." or have a "\.\." path element/],
  ];
  for (const [parameters, pattern] of bad) {
    await assert.rejects(e2e.provider.client.mount(mountRequest(e2e.env, { pod, parameters })), rejectsWith(grpc.status.INVALID_ARGUMENT, pattern));
  }
  assert.equal(e2e.env.proxy.count(), 0, 'no AWS call');
  assert.equal(e2e.env.kube.requests().length, 0, 'no Kubernetes call');
});

/** A tiny deterministic PRNG so failures reproduce. */
function prng(seed: number) {
  return () => ((seed = (seed * 1103515245 + 12345) & 0x7fffffff) / 0x7fffffff);
}

test('fuzz: malformed attributes, tokens, objects and permissions are INVALID_ARGUMENT; the server stays up; other mounts unaffected', async () => {
  const rand = prng(42);
  const pick = <T,>(xs: readonly T[]) => xs[Math.floor(rand() * xs.length)]!;
  const junk = () => pick(['', '{', '}', '[', ']', 'null', '"', '\\', '\u0000', '\ud800', '💥', ':', '- ', '&a', '*a', '!!binary', '%', '\n', '\t', 'arn:', '..', '/', '~', 'true', '0644', '1e309', '-1', 'a'.repeat(5000)]);
  const mutate = (s: string) => {
    const chars = [...s];
    const n = 1 + Math.floor(rand() * 4);
    for (let i = 0; i < n; i++) chars.splice(Math.floor(rand() * (chars.length + 1)), rand() < 0.5 ? 1 : 0, junk());
    return chars.join('');
  };
  const pod = createPod(e2e.env);
  const good = mountRequest(e2e.env, { pod, parameters: params() });
  // A slow, legitimate mount in flight the whole time.
  e2e.env.proxy.setFault({ operation: 'GetSecretValue', fault: { kind: 'latency', ms: 1500 }, times: 1 });
  const inFlight = e2e.provider.client.mount({ ...good, target_path: targetDir() });

  const baseObjects = '- objectName: a\n  objectType: secretsmanager\n  jmesPath:\n    - path: k\n      objectAlias: b\n';
  let invalid = 0;
  for (let i = 0; i < 300; i++) {
    const kind = i % 4;
    const request = { ...good, target_path: targetDir() };
    if (kind === 0) request.attributes = mutate(good.attributes).slice(0, 20_000);
    if (kind === 1) {
      const tokens = JSON.stringify(readTokens(good.attributes));
      request.attributes = JSON.stringify({ ...JSON.parse(good.attributes), 'csi.storage.k8s.io/serviceAccount.tokens': mutate(tokens) });
    }
    if (kind === 2) request.attributes = buildAttributes({ pod, parameters: params({ objects: mutate(baseObjects) }) });
    if (kind === 3) request.permission = mutate(pick(['420', '384', '0']));
    try {
      await e2e.provider.client.mount(request);
    } catch (err) {
      const e = err as grpc.ServiceError;
      assert.notEqual(e.code, grpc.status.INTERNAL, `INTERNAL for case ${i}: ${e.details}`);
      assert.notEqual(e.code, grpc.status.UNKNOWN, `UNKNOWN for case ${i}: ${e.details}`);
      if (e.code === grpc.status.INVALID_ARGUMENT) invalid++;
    }
  }
  assert.ok(invalid > 200, `most mutations must be rejected as invalid (${invalid})`);
  const r = await inFlight;
  assert.equal(r.object_version.length, 1, 'the in-flight mount completed');
  assert.equal((await e2e.provider.client.version()).version, 'v1alpha1');
  assert.doesNotMatch(e2e.provider.logs(), /unhandled|FATAL|"level":"fatal"/i);
});

test('secret values, tokens and the secrets field never appear in logs or errors', async () => {
  const marker = 'NODE-PUBLISH-SECRET-MARKER';
  const pod = createPod(e2e.env);
  const token = makePodToken(pod, { audience: 'sts.amazonaws.com' });
  const request = mountRequest(e2e.env, { pod, parameters: params() });
  const attrs = JSON.parse(request.attributes);
  attrs['csi.storage.k8s.io/serviceAccount.tokens'] = JSON.stringify({ 'sts.amazonaws.com': { token, expirationTimestamp: new Date(Date.now() + 3600e3).toISOString() } });
  request.attributes = JSON.stringify(attrs);
  request.secrets = JSON.stringify({ password: marker });
  await createSecret(e2e.env, 'us-east-1', 'json-secret', JSON.stringify({ pw: 'TOP-SECRET-VALUE-2' }));
  await e2e.provider.client.mount({ ...request, target_path: targetDir() });
  const errors: string[] = [];
  const failing = [
    params({ objects: objectsYaml([{ objectName: 'json-secret', objectType: 'secretsmanager', jmesPath: [{ path: 'pw', objectAlias: 'x' }, { path: 'missing', objectAlias: 'y' }] }]) }),
    params({ objects: objectsYaml([{ objectName: 'app-secret', objectType: 'secretsmanager', jmesPath: [{ path: 'a', objectAlias: 'z' }] }]) }),
  ];
  for (const p of failing) {
    const r = { ...request, attributes: JSON.stringify({ ...attrs, objects: p.objects }), target_path: targetDir() };
    await e2e.provider.client.mount(r).catch((err: grpc.ServiceError) => errors.push(err.details));
  }
  const badToken = { ...request, attributes: JSON.stringify({ ...attrs, 'csi.storage.k8s.io/serviceAccount.tokens': `{"sts.amazonaws.com":"${token}"` }) };
  await e2e.provider.client.mount(badToken).catch((err: grpc.ServiceError) => errors.push(err.details));
  e2e.env.proxy.setFault({ service: 'sts', fault: { kind: 'accessDenied' } });
  await e2e.provider.client.mount({ ...request, attributes: JSON.stringify({ ...attrs, 'csi.storage.k8s.io/pod.uid': 'x2', 'csi.storage.k8s.io/serviceAccount.tokens': JSON.stringify({ 'sts.amazonaws.com': { token: token + 'x' } }) }) })
    .catch((err: grpc.ServiceError) => errors.push(err.details));
  assert.equal(errors.length, 4);
  // Logs arrive over stdout, after the replies: wait for the last mount's line before searching them.
  await e2e.provider.waitForLog(/"pod":"[^"]*".*"errorCode":"AccessDenied".*"msg":"mount failed"/, 5000);
  const everything = e2e.provider.logs() + errors.join('\n');
  for (const forbidden of ['TOP-SECRET-VALUE-1', 'TOP-SECRET-VALUE-2', marker, token, token.split('.')[1]!]) {
    assert.ok(!everything.includes(forbidden), `"${forbidden.slice(0, 20)}..." leaked`);
  }
  assert.match(e2e.provider.logs(), /"msg":"mount"/, 'mounts are logged');
});

test('the mount deadline is honoured: outstanding AWS calls are abandoned, the server carries on', async () => {
  e2e.env.proxy.setFault({ operation: 'GetSecretValue', fault: { kind: 'latency', ms: 4000 }, times: 1 });
  const pod = createPod(e2e.env);
  const started = Date.now();
  await assert.rejects(
    e2e.provider.client.mount(mountRequest(e2e.env, { pod, parameters: params() }), { deadlineMs: 1500 }),
    (err: grpc.ServiceError) => {
      // Final (kubelet must not keep the directory), before the caller's own deadline, saying what was under way.
      assert.equal(err.code, grpc.status.UNKNOWN);
      assert.match(err.details, /the mount did not finish within its deadline of 1\.\ds while fetching the objects/);
      return true;
    },
  );
  assert.ok(Date.now() - started < 3000);
  await e2e.provider.waitForLog(/"grpcCode":2,"errorCode":"DeadlineExceeded"/, 3000);
  const target = targetDir();
  await e2e.provider.client.mount(mountRequest(e2e.env, { pod: createPod(e2e.env), target, parameters: params() }));
  assert.equal(readTree(target)['app-secret']!.contents, 'TOP-SECRET-VALUE-1');
  void ROLE_ARN;
});

test('transient STS, agent and AWS failures are retried inside the mount, then reported final (UNKNOWN) as transient', async () => {
  // STS 5xx in the only region: the SDK's retries, then the mount's rounds.
  e2e.env.proxy.setFault({ service: 'sts', fault: { kind: 'status', status: 503 } });
  await assert.rejects(
    e2e.provider.client.mount(mountRequest(e2e.env, { pod: createPod(e2e.env), parameters: params() })),
    rejectsWith(grpc.status.UNKNOWN, /sts AssumeRoleWithWebIdentity .* failed in region us-east-1 \(HTTP 503\).*\(transient: server error\); still failing after 3 attempts/),
  );
  e2e.env.proxy.clearFaults();

  // STS 5xx twice, then healthy: the mount succeeds without the pod seeing anything.
  e2e.env.proxy.setFault({ service: 'sts', fault: { kind: 'status', status: 500 }, times: 4 });
  const recovered = targetDir();
  await e2e.provider.client.mount(mountRequest(e2e.env, { pod: createPod(e2e.env), target: recovered, parameters: params() }));
  assert.equal(readTree(recovered)['app-secret']!.contents, 'TOP-SECRET-VALUE-1');
  e2e.env.proxy.clearFaults();

  // Both agent endpoints answer 500: tried on both address families, round after round, until the
  // mount's deadline is a second away (the agent may still be starting: see pod-identity-agent-wait.test.ts).
  e2e.env.agent.setFault({ kind: 'status', status: 500 });
  e2e.env.agentIpv6.setFault({ kind: 'status', status: 500 });
  await assert.rejects(
    e2e.provider.client.mount(mountRequest(e2e.env, { pod: createPod(e2e.env), parameters: params({ usePodIdentity: 'true' }) }), { deadlineMs: 4_000 }),
    rejectsWith(grpc.status.UNKNOWN, /agent .* was failing for \d\.\ds .*pod-identity-agent GetCredentials .*\(HTTP 500\).*\(transient: server error\); still failing after \d+ attempts/),
  );
  assert.ok(e2e.env.agent.count() >= 2 && e2e.env.agentIpv6.count() === e2e.env.agent.count(), 'both address families, each round');
  e2e.env.agent.clearFaults();
  e2e.env.agentIpv6.clearFaults();

  // Connection resets from Secrets Manager without a failover region.
  e2e.env.proxy.setFault({ service: 'secretsmanager', fault: { kind: 'reset' } });
  await assert.rejects(
    e2e.provider.client.mount(mountRequest(e2e.env, { pod: createPod(e2e.env), parameters: params() })),
    rejectsWith(grpc.status.UNKNOWN, /objects\[0\] "app-secret": secretsmanager GetSecretValue .*\(transient: network error or timeout\); still failing after 2 attempts/),
  );
});
