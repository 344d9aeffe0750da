// The provider as it runs in a cluster: no --kubeconfig, so @kubernetes/client-node
// loads the in-cluster configuration (KUBERNETES_SERVICE_HOST/PORT, the service
// account token and CA under /var/run/secrets/kubernetes.io/serviceaccount,
// provided in a private mount namespace) and reads over HTTPS, verifying the
// API server's certificate and sending the token.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { AwsStub } from '../../bench/aws-stub.js';
import { InClusterSandbox } from '../../bench/go-provider.js';
import { KubeStub } from '../../bench/kube-stub.js';
import { makeTestPki } from '../../bench/pki.js';
import { buildMountRequest, makePod } from '../harness/attributes.js';
import { connectProvider, grpc, type ProviderClient } from '../harness/grpc-client.js';
import { readTree, targetDir } from './fixture.js';

const ROLE = 'arn:aws:iam::123456789012:role/in-cluster';
const SA_TOKEN = 'provider-service-account-token';
let aws: AwsStub;
let kube: KubeStub;
const cleanups: Array<() => Promise<void> | void> = [];

before(async () => {
  const pki = makeTestPki();
  cleanups.push(() => rmSync(pki.dir, { recursive: true, force: true }));
  kube = await KubeStub.start({ pki, token: SA_TOKEN });
  cleanups.push(() => kube.close());
  aws = await AwsStub.start({ latencyMs: 0 });
  cleanups.push(() => aws.close());
  aws.putSecret('eu-west-1', 'in-cluster/secret', 'from-in-cluster');
  kube.addServiceAccount('shop', 'web', { roleArn: ROLE });
  kube.addNode('node-a', { region: 'eu-west-1' });
});
after(async () => {
  for (const c of cleanups.reverse()) await c();
});

/** Starts dist/main.js in a mount namespace where the in-cluster files hold `token` and the CA. */
async function startInCluster(token: string): Promise<{ client: ProviderClient; child: ChildProcess; logs: () => string }> {
  const sandbox = await InClusterSandbox.create({ token, caPem: readFileSync(kube.caFile, 'utf8'), allowHostFallback: false });
  cleanups.push(() => sandbox.close());
  const volume = mkdtempSync(join(tmpdir(), 'ic-'));
  cleanups.push(() => rmSync(volume, { recursive: true, force: true }));
  const [cmd, args] = sandbox.wrap(process.execPath, [join(process.cwd(), 'dist/main.js'), `--provider-volume=${volume}`, '--metrics-addr=']);
  const child = spawn(cmd, args, {
    env: { PATH: process.env.PATH!, ...kube.serviceEnv(), AWS_ENDPOINT_URL: aws.url, AWS_EC2_METADATA_DISABLED: 'true', AWS_CONFIG_FILE: '/dev/null', AWS_SHARED_CREDENTIALS_FILE: '/dev/null' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let logs = '';
  child.stdout!.on('data', (d) => (logs += d));
  child.stderr!.on('data', (d) => (logs += d));
  cleanups.push(() => {
    child.kill('SIGKILL');
  });
  for (let i = 0; i < 300 && !existsSync(join(volume, 'aws.sock')); i++) await sleep(20);
  const client = connectProvider(join(volume, 'aws.sock'));
  cleanups.push(() => client.close());
  await client.version();
  return { client, child, logs: () => logs };
}

function request(podName: string) {
  const pod = makePod('shop', podName, 'web');
  const uid = kube.addPod('shop', podName, { nodeName: 'node-a', serviceAccount: 'web', uid: pod.uid });
  // No region: the node's label is read through the API server too.
  return buildMountRequest({ pod: { ...pod, uid }, parameters: { objects: '- objectName: in-cluster/secret\n  objectType: secretsmanager\n' }, targetPath: targetDir() });
}

test('in-cluster config: HTTPS with the service account CA and token; role, pod and node read; secret mounted', async () => {
  const { client } = await startInCluster(SA_TOKEN);
  kube.resetCounts();
  const req = request('web-1');
  await client.mount(req);
  assert.deepEqual(readTree(req.target_path), { 'in-cluster_secret': { contents: 'from-in-cluster', mode: 0o644 } });
  const counts = kube.counts();
  assert.equal(counts.unauthorized, 0);
  assert.equal(counts.total, 3, JSON.stringify(counts.byKind));
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
