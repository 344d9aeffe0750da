// --emit-events end to end: the real provider, moto behind the fault proxy, the Kubernetes API stub
// (which records the Events posted through client-node's KubeConfig). A remount of a target that
// mounted before and now fails posts one Warning event on the pod per interval; a first mount's
// failure does not; posting never delays or fails the mount's answer.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { grpc } from '../harness/grpc-client.js';
import { startKubeApi } from '../harness/kube-api.js';
import { createPod, createSecret, mountRequest, NODE, objectsYaml, readTree, targetDir, useE2E } from './fixture.js';

const e2e = useE2E({ args: ['--emit-events'] });

const SECRET_VALUE = 'ROTATING-SECRET-VALUE-7';
const params = (extra: Record<string, string> = {}) => ({
  region: 'us-east-1',
  objects: objectsYaml([{ objectName: 'app-secret', objectType: 'secretsmanager' }]),
  ...extra,
});

async function eventually<T>(read: () => T | undefined, timeoutMs = 5_000): Promise<T> {
  const until = Date.now() + timeoutMs;
  for (;;) {
    const value = read();
    if (value !== undefined) return value;
    if (Date.now() > until) throw new Error('timed out');
    await new Promise((r) => setTimeout(r, 25));
  }
}

async function failedMount(promise: Promise<unknown>): Promise<grpc.ServiceError> {
  return promise.then(() => assert.fail('the mount succeeded'), (err: grpc.ServiceError) => err);
}

test('a failed remount (rotation) posts one Warning event on the pod, with the message the mount returned', async () => {
  await createSecret(e2e.env, 'us-east-1', 'app-secret', SECRET_VALUE);
  const pod = createPod(e2e.env);
  const target = targetDir();
  const request = mountRequest(e2e.env, { pod, target, parameters: params() });
  await e2e.provider.client.mount(request);
  assert.equal(readTree(target)['app-secret']!.contents, SECRET_VALUE);

  e2e.env.proxy.setFault({ service: 'secretsmanager', fault: { kind: 'accessDenied' } });
  const err = await failedMount(e2e.provider.client.mount(request));
  assert.equal(err.code, grpc.status.PERMISSION_DENIED);
  const event = await eventually(() => e2e.env.kube.events()[0]);
  assert.equal(event.reason, 'SecretRotationFailed');
  assert.equal(event.type, 'Warning');
  assert.deepEqual(event.involvedObject, { apiVersion: 'v1', kind: 'Pod', name: pod.name, namespace: pod.namespace, uid: pod.uid });
  assert.equal(event.metadata.namespace, pod.namespace);
  assert.equal(event.message, `Refreshing the mounted secrets failed; the pod keeps the files of the last successful mount: ${err.details}`);
  assert.match(event.message, /AccessDeniedException/);
  assert.equal(event.source.component, 'secrets-store-csi-driver-provider-aws');
  assert.ok(!JSON.stringify(event).includes(SECRET_VALUE), 'never a secret value');
  assert.equal(readTree(target)['app-secret']!.contents, SECRET_VALUE, 'the pod keeps its files');
  await e2e.provider.waitForLog(/"msg":"posted a Warning event on the pod: its secrets could not be refreshed"/, 2_000);

  // Failing again within the interval: no second event.
  await failedMount(e2e.provider.client.mount(request));
  await new Promise((r) => setTimeout(r, 300));
  assert.equal(e2e.env.kube.events().length, 1);
});

test('a first mount that fails is not a rotation failure: no event (kubelet reports it)', async () => {
  e2e.env.proxy.setFault({ service: 'secretsmanager', fault: { kind: 'accessDenied' } });
  const pod = createPod(e2e.env);
  await failedMount(e2e.provider.client.mount(mountRequest(e2e.env, { pod, parameters: params() })));
  await new Promise((r) => setTimeout(r, 300));
  assert.deepEqual(e2e.env.kube.events(), []);
  assert.equal(e2e.env.kube.count('events'), 0);
});

test('without --emit-events nothing is posted', async () => {
  const quiet = await e2e.env.startProvider();
  try {
    await createSecret(e2e.env, 'us-east-1', 'app-secret', SECRET_VALUE);
    const request = mountRequest(e2e.env, { pod: createPod(e2e.env), parameters: params() });
    await quiet.client.mount(request);
    e2e.env.proxy.setFault({ service: 'secretsmanager', fault: { kind: 'accessDenied' } });
    await failedMount(quiet.client.mount(request));
    await new Promise((r) => setTimeout(r, 300));
    assert.equal(e2e.env.kube.count('events'), 0);
  } finally {
    await quiet.stop();
  }
});

test('events RBAC missing: the mount answers as usual, the provider logs why no event was posted', async () => {
  await createSecret(e2e.env, 'us-east-1', 'app-secret', SECRET_VALUE);
  e2e.env.kube.failResource('events', { status: 403 });
  const request = mountRequest(e2e.env, { pod: createPod(e2e.env), parameters: params() });
  await e2e.provider.client.mount(request);
  e2e.env.proxy.setFault({ service: 'secretsmanager', fault: { kind: 'accessDenied' } });
  assert.equal((await failedMount(e2e.provider.client.mount(request))).code, grpc.status.PERMISSION_DENIED);
  await e2e.provider.waitForLog(/"error":"posting event [^"]+ failed: HTTP 403: the provider needs create on events[^"]*","msg":"could not post the Warning event about the failed refresh"/, 3_000);
  assert.equal(e2e.env.kube.count('events'), 1);
  assert.deepEqual(e2e.env.kube.events(), []);
});

test('a slow Kubernetes API does not delay the answer (driver-writes mode, Pod Identity)', async () => {
  // An API server that takes 2 s to answer anything; the provider's only Kubernetes call is the event.
  const slow = await startKubeApi({ latencyMs: 2_000 });
  const provider = await e2e.env.startProvider({ driverWritesSecrets: true, args: ['--emit-events', `--kubeconfig=${slow.kubeconfigPath}`] });
  try {
    await createSecret(e2e.env, 'us-east-1', 'app-secret', SECRET_VALUE);
    const pod = createPod(e2e.env, { nodeName: NODE });
    const request = mountRequest(e2e.env, { pod, parameters: params({ usePodIdentity: 'true' }) });
    const ok = await provider.client.mount(request);
    assert.equal(ok.files[0]!.contents.toString(), SECRET_VALUE);
    e2e.env.proxy.setFault({ service: 'secretsmanager', fault: { kind: 'accessDenied' } });
    const started = Date.now();
    await failedMount(provider.client.mount(request));
    assert.ok(Date.now() - started < 1_000, `answered after ${Date.now() - started} ms`);
    const event = await eventually(() => slow.events()[0]);
    assert.equal(event.involvedObject.uid, pod.uid);
    assert.equal(event.reason, 'SecretRotationFailed');
  } finally {
    await provider.stop();
    await slow.stop();
  }
});
