// The provider as it runs in a cluster: no --kubeconfig, so @kubernetes/client-node
// loads the in-cluster configuration (KUBERNETES_SERVICE_HOST/PORT, the service
// account token and CA under /var/run/secrets/kubernetes.io/serviceaccount,
// provided in a private mount namespace) and reads over HTTPS, verifying the
// API server's certificate and sending the token.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { buildMountRequest, makePod } from '../harness/attributes.js';
import { AwsStub } from '../harness/aws-stub.js';
import { grpc } from '../harness/grpc-client.js';
import { InClusterSandbox } from '../harness/in-cluster-sandbox.js';
import { REGION_LABEL, ROLE_ARN_ANNOTATION, startKubeApi, type KubeApi } from '../harness/kube-api.js';
import { makeTestPki, type TestPki } from '../harness/pki.js';
import { startProvider, type ProviderProcess } from '../harness/provider-process.js';
import { readTree, targetDir } from './fixture.js';

const ROLE = 'arn:aws:iam::123456789012:role/in-cluster';
const SA_TOKEN = 'provider-service-account-token';
let pki: TestPki;
let aws: AwsStub;
let kube: KubeApi;
const cleanups: Array<() => Promise<unknown> | void> = [];

before(async () => {
  pki = makeTestPki();
  cleanups.push(() => pki.cleanup());
  kube = await startKubeApi({ pki, token: SA_TOKEN });
  cleanups.push(() => kube.stop());
  aws = await AwsStub.start({ latencyMs: 0 });
  cleanups.push(() => aws.close());
  aws.putSecret('eu-west-1', 'in-cluster/secret', 'from-in-cluster');
  kube.addServiceAccount('shop', 'web', { [ROLE_ARN_ANNOTATION]: ROLE });
  kube.addNode('node-a', { [REGION_LABEL]: 'eu-west-1' });
});
after(async () => {
  for (const c of cleanups.reverse()) await c();
});

/** Starts dist/main.js in a mount namespace where the in-cluster files hold `token` and the CA. */
async function startInCluster(token: string): Promise<ProviderProcess> {
  const sandbox = await InClusterSandbox.create({ token, caPem: pki.caPem, allowHostFallback: false });
  cleanups.push(() => sandbox.close());
  const provider = await startProvider({
    wrap: (command, args) => sandbox.wrap(command, args),
    args: ['--metrics-addr='],
    env: { ...kube.serviceEnv(), AWS_ENDPOINT_URL: aws.url },
  });
  cleanups.push(() => provider.stop('SIGKILL'));
  return provider;
}

function request(podName: string) {
  const pod = makePod('shop', podName, 'web');
  kube.addPod('shop', podName, 'node-a', { serviceAccountName: 'web', uid: pod.uid });
  // No region: the node's label is read through the API server too.
  return buildMountRequest({ pod, parameters: { objects: '- objectName: in-cluster/secret\n  objectType: secretsmanager\n' }, targetPath: targetDir() });
}

test('in-cluster config: HTTPS with the service account CA and token; role, pod and node read; secret mounted', async () => {
  const { client } = await startInCluster(SA_TOKEN);
  kube.resetCounts();
  const req = request('web-1');
  await client.mount(req);
  assert.deepEqual(readTree(req.target_path), { 'in-cluster_secret': { contents: 'from-in-cluster', mode: 0o644 } });
  const requests = kube.requests();
  assert.equal(requests.filter((r) => r.status === 401).length, 0);
  assert.equal(requests.length, 3, requests.map((r) => `${r.method} ${r.path} ${r.status}`).join(', '));
});

test('in-cluster config with a token the API server rejects: PERMISSION_DENIED naming RBAC, never a crash', async () => {
  const { client, child } = await startInCluster('not-the-right-token');
  await assert.rejects(client.mount(request('web-2')), (err: grpc.ServiceError) => {
    assert.equal(err.code, grpc.status.PERMISSION_DENIED, err.details);
    assert.match(err.details, /not allowed to read pod web-2 \(namespace: shop\) \(HTTP 401\): check its RBAC/);
    return true;
  });
  assert.equal(child.exitCode, null, 'still running');
});
