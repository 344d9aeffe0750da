// Self-test of the end-to-end harness: every piece works for real (real moto, real SDK calls through the
// proxy, @kubernetes/client-node against the kube stub, gRPC over a unix socket), so a failing provider test
// can be blamed on the provider, not on the harness.
import { CreateSecretCommand, GetSecretValueCommand } from '@aws-sdk/client-secrets-manager';
import { GetParametersCommand, PutParameterCommand } from '@aws-sdk/client-ssm';
import { AssumeRoleWithWebIdentityCommand, STSClient } from '@aws-sdk/client-sts';
import { CoreV1Api, KubeConfig } from '@kubernetes/client-node';
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { after, before, beforeEach, describe, test } from 'node:test';
import {
  AUDIENCE_POD_IDENTITY,
  AUDIENCE_STS,
  buildAttributes,
  buildMountRequest,
  makePod,
  makePodToken,
  readTokens,
} from './harness/attributes.js';
import { startTestEnvironment, type TestEnvironment } from './harness/env.js';
import { UNSIGNED_REGION } from './harness/fault-proxy.js';
import { grpc } from './harness/grpc-client.js';
import { REGION_LABEL, startKubeApi } from './harness/kube-api.js';
import { makeTestPki } from './harness/pki.js';
import { unusedEndpoint } from './harness/pod-identity-agent.js';
import { startProvider } from './harness/provider-process.js';

interface SdkError extends Error {
  $metadata?: { httpStatusCode?: number; attempts?: number };
  code?: string;
}

async function rejection<E = SdkError>(promise: Promise<unknown>): Promise<E> {
  try {
    await promise;
  } catch (err) {
    return err as E;
  }
  assert.fail('expected the call to fail');
}

describe('test harness', () => {
  let env: TestEnvironment;

  before(async () => {
    env = await startTestEnvironment();
  });
  after(async () => {
    await env?.stop();
  });
  beforeEach(async () => {
    await env.reset();
  });

  /** Secrets Manager through the fault proxy, no retries unless asked. */
  const viaProxy = (region: string, maxAttempts = 1) => env.secretsManager(region, { viaProxy: true, maxAttempts });

  async function seedSecret(region: string, name = 'app/db', value = `value-in-${region}`) {
    await env.secretsManager(region).send(new CreateSecretCommand({ Name: name, SecretString: value }));
  }

  test('moto starts and reports its start-up time', (t) => {
    t.diagnostic(`moto started in ${env.moto.startupMs} ms at ${env.moto.url}`);
    assert.match(env.moto.url, /^http:\/\/127\.0\.0\.1:\d+$/);
  });

  test('the proxy forwards SDK calls to moto and counts them per region/service/operation', async () => {
    await seedSecret('us-west-2');
    const out = await viaProxy('us-west-2').send(new GetSecretValueCommand({ SecretId: 'app/db' }));
    assert.equal(out.SecretString, 'value-in-us-west-2');
    assert.match(out.ARN ?? '', /^arn:aws:secretsmanager:us-west-2:123456789012:secret:app\/db-[A-Za-z0-9]{6}$/);
    assert.deepEqual(env.proxy.counts(), [
      { region: 'us-west-2', service: 'secretsmanager', operation: 'GetSecretValue', forwarded: 1, faulted: 0, delayed: 0 },
    ]);
    // Seeding went straight to moto: the proxy saw only the one read.
    assert.equal(env.proxy.count(), 1);
    assert.equal(env.proxy.requests()[0]?.accessKeyId, 'AKIAHARNESSSEEDING00');
  });

  test('a 5xx fault hits only its region', async () => {
    await seedSecret('us-west-2');
    await seedSecret('us-east-1');
    env.proxy.setFault({ region: 'us-west-2', fault: { kind: 'status', status: 503 } });

    const err = await rejection(viaProxy('us-west-2').send(new GetSecretValueCommand({ SecretId: 'app/db' })));
    assert.equal(err.$metadata?.httpStatusCode, 503);
    assert.equal(err.name, 'InternalServiceError');

    const east = await viaProxy('us-east-1').send(new GetSecretValueCommand({ SecretId: 'app/db' }));
    assert.equal(east.SecretString, 'value-in-us-east-1');
    assert.equal(env.proxy.count({ region: 'us-west-2', outcome: 'faulted' }), 1);
    assert.equal(env.proxy.count({ region: 'us-east-1', outcome: 'forwarded' }), 1);
  });

  test('the SDK retries a limited number of 500s and then succeeds', async () => {
    await seedSecret('us-west-2');
    const rule = env.proxy.setFault({ region: 'us-west-2', service: 'secretsmanager', times: 2, fault: { kind: 'status', status: 500 } });
    const out = await viaProxy('us-west-2', 3).send(new GetSecretValueCommand({ SecretId: 'app/db' }));
    assert.equal(out.SecretString, 'value-in-us-west-2');
    assert.equal(out.$metadata.attempts, 3);
    assert.equal(rule.hits(), 2);
    assert.deepEqual(
      env.proxy.counts().map(({ forwarded, faulted }) => ({ forwarded, faulted })),
      [{ forwarded: 1, faulted: 2 }],
    );
  });

  test('throttle faults are classified as throttling by the SDK (retried), both modeled and raw 429', async () => {
    await seedSecret('us-west-2');
    env.proxy.setFault({ region: 'us-west-2', fault: { kind: 'throttle' } });
    const modeled = await rejection(viaProxy('us-west-2').send(new GetSecretValueCommand({ SecretId: 'app/db' })));
    assert.equal(modeled.name, 'ThrottlingException');
    assert.equal(modeled.$metadata?.httpStatusCode, 400);

    env.proxy.clearFaults();
    env.proxy.setFault({ region: 'us-west-2', fault: { kind: 'throttle', http429: true } });
    const raw = await rejection(viaProxy('us-west-2').send(new GetSecretValueCommand({ SecretId: 'app/db' })));
    assert.equal(raw.$metadata?.httpStatusCode, 429);

    // Retried: the SDK's standard strategy only retries what it classifies as transient or throttling.
    env.proxy.clearFaults();
    env.proxy.setFault({ region: 'us-west-2', times: 1, fault: { kind: 'throttle' } });
    env.proxy.setFault({ region: 'us-west-2', times: 1, fault: { kind: 'throttle', http429: true } });
    const out = await viaProxy('us-west-2', 3).send(new GetSecretValueCommand({ SecretId: 'app/db' }));
    assert.equal(out.$metadata.attempts, 3);
  });

  test('accessDenied is a non-retried 400 AccessDeniedException', async () => {
    await seedSecret('us-west-2');
    env.proxy.setFault({ region: 'us-west-2', service: 'secretsmanager', fault: { kind: 'accessDenied' } });
    const err = await rejection(viaProxy('us-west-2', 3).send(new GetSecretValueCommand({ SecretId: 'app/db' })));
    assert.equal(err.name, 'AccessDeniedException');
    assert.equal(err.$metadata?.httpStatusCode, 400);
    assert.match(err.message, /not authorized/);
    assert.equal(env.proxy.count({ outcome: 'faulted' }), 1);
  });

  test('reset destroys the connection; latency delays and still forwards', async () => {
    await seedSecret('us-west-2');
    env.proxy.setFault({ region: 'us-west-2', times: 1, fault: { kind: 'reset' } });
    const err = await rejection(viaProxy('us-west-2').send(new GetSecretValueCommand({ SecretId: 'app/db' })));
    assert.ok(err.code === 'ECONNRESET' || /socket hang up/.test(err.message), `${err.name}: ${err.message}`);

    env.proxy.setFault({ region: 'us-west-2', fault: { kind: 'latency', ms: 300 } });
    const started = Date.now();
    const out = await viaProxy('us-west-2').send(new GetSecretValueCommand({ SecretId: 'app/db' }));
    assert.ok(Date.now() - started >= 300);
    assert.equal(out.SecretString, 'value-in-us-west-2');
    const counts = env.proxy.counts()[0];
    assert.deepEqual({ forwarded: counts?.forwarded, faulted: counts?.faulted, delayed: counts?.delayed }, { forwarded: 1, faulted: 1, delayed: 1 });

    // The client giving up while the proxy waits: nothing forwarded.
    env.proxy.clearFaults();
    env.proxy.resetCounts();
    env.proxy.setFault({ fault: { kind: 'latency', ms: 2000 } });
    const aborted = await rejection(
      viaProxy('us-west-2').send(new GetSecretValueCommand({ SecretId: 'app/db' }), { abortSignal: AbortSignal.timeout(200) }),
    );
    assert.ok(aborted.name === 'AbortError' || aborted.name === 'TimeoutError', aborted.name);
    await new Promise((r) => setTimeout(r, 50));
    assert.equal(env.proxy.count({ outcome: 'forwarded' }), 0);
  });

  test('SSM through the proxy: operation and service are recognised; faults can target one service', async () => {
    await env.ssm('us-west-2').send(new PutParameterCommand({ Name: '/app/url', Value: 'https://example', Type: 'String' }));
    await seedSecret('us-west-2');
    env.proxy.setFault({ region: 'us-west-2', service: 'secretsmanager', fault: { kind: 'status', status: 500 } });

    const ssm = env.ssm('us-west-2', { viaProxy: true, maxAttempts: 1 });
    const out = await ssm.send(new GetParametersCommand({ Names: ['/app/url', '/missing'], WithDecryption: true }));
    assert.equal(out.Parameters?.[0]?.Value, 'https://example');
    assert.equal(out.Parameters?.[0]?.Version, 1);
    assert.match(out.Parameters?.[0]?.ARN ?? '', /^arn:aws:ssm:us-west-2:123456789012:parameter\/app\/url$/);
    assert.deepEqual(out.InvalidParameters, ['/missing']);
    await rejection(viaProxy('us-west-2').send(new GetSecretValueCommand({ SecretId: 'app/db' })));
    assert.equal(env.proxy.count({ service: 'ssm', operation: 'GetParameters', outcome: 'forwarded' }), 1);
    assert.equal(env.proxy.count({ service: 'secretsmanager', operation: 'GetSecretValue', outcome: 'faulted' }), 1);
  });

  test('IRSA path: unsigned AssumeRoleWithWebIdentity through the proxy; the credentials read the role account', async () => {
    const roleAccount = '111122223333';
    await env
      .secretsManager('us-west-2', { accountId: roleAccount })
      .send(new CreateSecretCommand({ Name: 'app/db', SecretString: 'in-role-account' }));
    await seedSecret('us-west-2', 'only/default', 'in-default-account');

    const pod = makePod('default', 'app', 'app-sa');
    // No credentials at all: the call must be unsigned, as the provider will make it.
    const sts = new STSClient({
      region: 'us-west-2',
      endpoint: env.proxy.url,
      maxAttempts: 1,
      credentials: () => Promise.reject(new Error('STS web identity must not need credentials')),
    });
    const assumed = await sts.send(
      new AssumeRoleWithWebIdentityCommand({
        RoleArn: `arn:aws:iam::${roleAccount}:role/app-role`,
        RoleSessionName: 'secrets-store-csi-driver',
        WebIdentityToken: makePodToken(pod, { audience: AUDIENCE_STS }),
      }),
    );
    const creds = assumed.Credentials!;
    assert.match(creds.AccessKeyId!, /^ASIA/);
    assert.equal(assumed.AssumedRoleUser?.Arn, `arn:aws:sts::${roleAccount}:assumed-role/app-role/secrets-store-csi-driver`);
    const stsRecord = env.proxy.requests()[0];
    assert.deepEqual(
      { region: stsRecord?.region, service: stsRecord?.service, operation: stsRecord?.operation, key: stsRecord?.accessKeyId },
      { region: UNSIGNED_REGION, service: 'sts', operation: 'AssumeRoleWithWebIdentity', key: '' },
    );

    const asPod = env.secretsManager('us-west-2', {
      viaProxy: true,
      maxAttempts: 1,
      credentials: { accessKeyId: creds.AccessKeyId!, secretAccessKey: creds.SecretAccessKey!, sessionToken: creds.SessionToken! },
    });
    const out = await asPod.send(new GetSecretValueCommand({ SecretId: 'app/db' }));
    assert.equal(out.SecretString, 'in-role-account');
    assert.match(out.ARN ?? '', new RegExp(`:${roleAccount}:secret:app/db-`));
    const missing = await rejection(asPod.send(new GetSecretValueCommand({ SecretId: 'only/default' })));
    assert.equal(missing.name, 'ResourceNotFoundException');
    // moto answers ResourceNotFoundException with HTTP 404; real Secrets Manager sends 400.
    assert.equal(missing.$metadata?.httpStatusCode, 404);

    // STS faults, scoped by service: XML errors the SDK parses.
    env.proxy.setFault({ service: 'sts', fault: { kind: 'accessDenied' } });
    const denied = await rejection(
      sts.send(new AssumeRoleWithWebIdentityCommand({ RoleArn: `arn:aws:iam::${roleAccount}:role/app-role`, RoleSessionName: 's', WebIdentityToken: 'x.y.z' })),
    );
    assert.equal(denied.name, 'AccessDenied');
    assert.equal(denied.$metadata?.httpStatusCode, 403);
    env.proxy.clearFaults();
    env.proxy.setFault({ service: 'sts', fault: { kind: 'throttle' } });
    const throttled = await rejection(
      sts.send(new AssumeRoleWithWebIdentityCommand({ RoleArn: `arn:aws:iam::${roleAccount}:role/app-role`, RoleSessionName: 's', WebIdentityToken: 'x.y.z' })),
    );
    assert.equal(throttled.name, 'Throttling');
    assert.equal(throttled.$metadata?.httpStatusCode, 400);
  });

  test('kube API stub through @kubernetes/client-node 1.x', async () => {
    env.kube.addServiceAccount('default', 'app-sa', { 'eks.amazonaws.com/role-arn': 'arn:aws:iam::111122223333:role/app-role' });
    env.kube.addPod('default', 'app', 'node-1');
    env.kube.addNode('node-1', { 'topology.kubernetes.io/region': 'eu-west-1' });

    const kc = new KubeConfig();
    kc.loadFromFile(env.kube.kubeconfigPath);
    const api = kc.makeApiClient(CoreV1Api);
    const sa = await api.readNamespacedServiceAccount({ name: 'app-sa', namespace: 'default' });
    assert.equal(sa.metadata?.annotations?.['eks.amazonaws.com/role-arn'], 'arn:aws:iam::111122223333:role/app-role');
    const pod = await api.readNamespacedPod({ name: 'app', namespace: 'default' });
    assert.equal(pod.spec?.nodeName, 'node-1');
    const node = await api.readNode({ name: 'node-1' });
    assert.equal(node.metadata?.labels?.['topology.kubernetes.io/region'], 'eu-west-1');

    const missing = (await rejection(api.readNamespacedServiceAccount({ name: 'nope', namespace: 'default' }))) as Error & {
      code?: number;
      body?: string;
    };
    assert.equal(missing.code, 404);
    assert.equal(JSON.parse(missing.body ?? '{}').message, 'serviceaccounts "nope" not found');

    env.kube.failResource('nodes', { times: 1 });
    const failed = (await rejection(api.readNode({ name: 'node-1' }))) as Error & { code?: number };
    assert.equal(failed.code, 500);
    assert.equal((await api.readNode({ name: 'node-1' })).metadata?.name, 'node-1');

    assert.equal(env.kube.count('serviceaccounts'), 2);
    assert.equal(env.kube.count('pods', { namespace: 'default', name: 'app' }), 1);
    assert.equal(env.kube.count('nodes'), 3);
    assert.equal(env.kube.requests()[0]?.authorization, `Bearer ${env.kube.token}`);
  });

  test('kube API stub over HTTPS with a required token: reads verified against the CA, 401 for another token, TokenRequest', async () => {
    const pki = makeTestPki();
    const kube = await startKubeApi({ pki, token: 'expected-token' });
    try {
      kube.addServiceAccount('default', 'app-sa');
      kube.addNode('node-1', { [REGION_LABEL]: 'eu-west-1' });
      assert.deepEqual(kube.serviceEnv(), { KUBERNETES_SERVICE_HOST: '127.0.0.1', KUBERNETES_SERVICE_PORT: new URL(kube.url).port });

      const kc = new KubeConfig();
      kc.loadFromFile(kube.kubeconfigPath);
      const api = kc.makeApiClient(CoreV1Api);
      assert.match(kube.url, /^https:\/\/127\.0\.0\.1:\d+$/);
      assert.equal((await api.readNode({ name: 'node-1' })).metadata?.labels?.[REGION_LABEL], 'eu-west-1');
      const created = await api.createNamespacedServiceAccountToken({
        name: 'app-sa',
        namespace: 'default',
        body: { spec: { audiences: [AUDIENCE_STS], expirationSeconds: 600 } },
      });
      const claims = JSON.parse(Buffer.from(created.status!.token.split('.')[1]!, 'base64url').toString()) as { sub: string; aud: string[] };
      assert.deepEqual(claims.aud, [AUDIENCE_STS]);
      assert.equal(claims.sub, 'system:serviceaccount:default:app-sa');

      const other = new KubeConfig();
      other.loadFromOptions({ clusters: kc.clusters, contexts: kc.contexts, currentContext: kc.currentContext, users: [{ name: 'harness', token: 'other-token' }] });
      const denied = (await rejection(other.makeApiClient(CoreV1Api).readNode({ name: 'node-1' }))) as Error & { code?: number };
      assert.equal(denied.code, 401);
      assert.deepEqual(
        kube.requests().map((r) => [r.method, r.resource, r.status]),
        [['GET', 'nodes', 200], ['POST', 'serviceaccounts/token', 201], ['GET', 'nodes', 401]],
      );
    } finally {
      await kube.stop();
      pki.cleanup();
    }
  });

  test('Pod Identity agent stubs on IPv4 and IPv6; their credentials work against moto', async () => {
    await seedSecret('us-west-2');
    const pod = makePod('default', 'app', 'app-sa');
    const token = makePodToken(pod, { audience: AUDIENCE_POD_IDENTITY });
    env.allowPodIdentityToken(token);

    for (const agent of [env.agent, env.agentIpv6]) {
      const res = await fetch(agent.url, { headers: { Authorization: token } });
      assert.equal(res.status, 200);
      const body = (await res.json()) as Record<string, string>;
      assert.match(body.AccessKeyId ?? '', /^FSIA[A-Z0-9]{16}$/);
      assert.equal(body.AccountId, '123456789012');
      const hours = (Date.parse(body.Expiration ?? '') - Date.now()) / 3600_000;
      assert.ok(hours > 5.9 && hours <= 6, `expiration ${body.Expiration}`);

      const asPod = env.secretsManager('us-west-2', {
        viaProxy: true,
        maxAttempts: 1,
        credentials: { accessKeyId: body.AccessKeyId!, secretAccessKey: body.SecretAccessKey!, sessionToken: body.Token! },
      });
      const out = await asPod.send(new GetSecretValueCommand({ SecretId: 'app/db' }));
      assert.equal(out.SecretString, 'value-in-us-west-2');

      const unknown = await fetch(agent.url, { headers: { Authorization: 'not-a-known-token' } });
      assert.equal(unknown.status, 403);
      const none = await fetch(agent.url);
      assert.equal(none.status, 400);
      assert.equal(agent.count(token), 1);
      assert.equal(agent.count(), 3);
    }
    assert.match(env.agentIpv6.url, /^http:\/\/\[::1\]:\d+\/v1\/credentials$/);

    env.agent.setFault({ kind: 'status', status: 500 }, 1);
    assert.equal((await fetch(env.agent.url, { headers: { Authorization: token } })).status, 500);
    assert.equal((await fetch(env.agent.url, { headers: { Authorization: token } })).status, 200);

    // With a roleArn, the credentials are moto's own role credentials: they read the role's account.
    await env
      .secretsManager('us-west-2', { accountId: '444455556666' })
      .send(new CreateSecretCommand({ Name: 'app/db', SecretString: 'in-pod-identity-role-account' }));
    const crossAccount = makePodToken(pod, { audience: AUDIENCE_POD_IDENTITY });
    env.allowPodIdentityToken(crossAccount, { roleArn: 'arn:aws:iam::444455556666:role/pod-role' });
    const minted = (await (await fetch(env.agentIpv6.url, { headers: { Authorization: crossAccount } })).json()) as Record<string, string>;
    assert.equal(minted.AccountId, '444455556666');
    const asRole = env.secretsManager('us-west-2', {
      viaProxy: true,
      maxAttempts: 1,
      credentials: { accessKeyId: minted.AccessKeyId!, secretAccessKey: minted.SecretAccessKey!, sessionToken: minted.Token! },
    });
    assert.equal((await asRole.send(new GetSecretValueCommand({ SecretId: 'app/db' }))).SecretString, 'in-pod-identity-role-account');

    const nothing = await unusedEndpoint('127.0.0.1');
    await assert.rejects(fetch(nothing), (err: Error & { cause?: { code?: string } }) => err.cause?.code === 'ECONNREFUSED');
  });

  test('attributes are shaped as the driver sends them', () => {
    const pod = makePod('team-a', 'web-0', 'web');
    const attributes = buildAttributes({
      parameters: { objects: '- objectName: app/db\n  objectType: secretsmanager\n', region: 'us-west-2' },
      pod,
      volumeAttributes: { secretProviderClass: 'web-secrets' },
    });
    const parsed = JSON.parse(attributes) as Record<string, string>;
    assert.equal(parsed['csi.storage.k8s.io/pod.namespace'], 'team-a');
    assert.equal(parsed['csi.storage.k8s.io/serviceAccount.name'], 'web');
    assert.equal(parsed['csi.storage.k8s.io/ephemeral'], 'false');
    assert.equal(parsed.secretProviderClass, 'web-secrets');
    for (const value of Object.values(parsed)) assert.equal(typeof value, 'string');
    const tokens = readTokens(attributes);
    assert.deepEqual(Object.keys(tokens).sort(), [AUDIENCE_POD_IDENTITY, AUDIENCE_STS]);
    const jwt = tokens[AUDIENCE_STS]!.token.split('.');
    assert.equal(jwt.length, 3);
    const claims = JSON.parse(Buffer.from(jwt[1]!, 'base64url').toString()) as { sub: string; aud: string[] };
    assert.equal(claims.sub, 'system:serviceaccount:team-a:web');
    assert.deepEqual(claims.aud, [AUDIENCE_STS]);
    assert.match(tokens[AUDIENCE_STS]!.expirationTimestamp, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/);

    const onlyPodIdentity = readTokens(buildAttributes({ parameters: {}, pod, tokens: { [AUDIENCE_POD_IDENTITY]: 'tok' } }));
    assert.deepEqual(Object.keys(onlyPodIdentity), [AUDIENCE_POD_IDENTITY]);
    const noTokens = JSON.parse(buildAttributes({ parameters: {}, pod, tokens: null })) as Record<string, string>;
    assert.equal(noTokens['csi.storage.k8s.io/serviceAccount.tokens'], undefined);

    const request = buildMountRequest({ parameters: {}, pod });
    assert.equal(request.permission, '420');
    assert.match(request.target_path, new RegExp(`^/var/lib/kubelet/pods/${pod.uid}/volumes/kubernetes.io~csi/`));
  });

  test('provider process + gRPC client, against a stand-in provider on a unix socket', async () => {
    const provider = await startProvider({
      entry: new URL('./fixtures/fake-provider.ts', import.meta.url).pathname,
      nodeArgs: ['--import', 'tsx'],
      args: env.providerArgs({ driverWritesSecrets: true }),
      env: { AWS_ENDPOINT_URL: env.proxy.url },
    });
    try {
      assert.ok(existsSync(provider.socketPath));
      assert.ok(Buffer.byteLength(provider.socketPath) <= 107);
      assert.deepEqual(await provider.client.version(), {
        version: 'v1alpha1',
        runtime_name: 'fake-provider',
        runtime_version: '0.0.1',
      });
      await provider.waitForLog('fake provider: AWS env');
      // Only what we passed, plus the three guards: no credentials leak in from the test process.
      assert.match(
        provider.logs(),
        /AWS env \["AWS_CONFIG_FILE","AWS_EC2_METADATA_DISABLED","AWS_ENDPOINT_URL","AWS_SHARED_CREDENTIALS_FILE"\]/,
      );
      assert.match(provider.logs(), /--driver-writes-secrets/);

      const pod = makePod('default', 'app');
      const response = await provider.client.mount(buildMountRequest({ parameters: { mode: 'ok' }, pod }));
      assert.deepEqual(response.object_version, [{ id: 'echo', version: '1' }]);
      assert.equal(response.error, null);
      assert.equal(response.files[0]?.mode, 420);
      assert.ok(Buffer.isBuffer(response.files[0]?.contents));

      const invalid = await rejection<grpc.ServiceError>(
        provider.client.mount(buildMountRequest({ parameters: { mode: 'invalid' }, pod })),
      );
      assert.equal(invalid.code, grpc.status.INVALID_ARGUMENT);
      assert.equal(invalid.details, 'bad objects: field objectName is required');

      const slow = await rejection<grpc.ServiceError>(
        provider.client.mount(buildMountRequest({ parameters: { mode: 'slow' }, pod }), { deadlineMs: 200 }),
      );
      assert.equal(slow.code, grpc.status.DEADLINE_EXCEEDED);
      assert.match(provider.logs(), /mount mode=slow/);
    } finally {
      const status = await provider.stop();
      assert.deepEqual(status, { code: 0, signal: null });
    }
    assert.match(provider.logs(), /shutting down/);
    assert.ok(!existsSync(provider.providerVolume));
  });

  test('startProvider fails fast with the logs when the process dies', async () => {
    await assert.rejects(
      startProvider({
        entry: new URL('./fixtures/fake-provider.ts', import.meta.url).pathname,
        nodeArgs: ['--import', 'tsx'],
        providerVolume: '/nonexistent/dir',
        readyTimeoutMs: 10_000,
      }),
      /did not answer Version[\s\S]*cannot listen/,
    );
  });
});
