// Cross-account roles (assumeRoleArn) end to end: the real provider, moto behind the fault proxy.
// moto maps a role's session to the role's account, so an object that exists only in account
// 111122223333 mounts only if the provider really read it with the assumed role's session.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CreateSecretCommand } from '@aws-sdk/client-secrets-manager';
import { grpc } from '../harness/grpc-client.js';
import { mountSpc, readSecretProviderClasses } from '../harness/spc-mount.js';
import { createPod, mountRequest, objectsYaml, readTree, targetDir, useE2E } from './fixture.js';

const TARGET_ACCOUNT = '111122223333';
const TARGET_ROLE = `arn:aws:iam::${TARGET_ACCOUNT}:role/ascp-cross-account-reader`;
const EXAMPLE = 'examples/ExampleSecretProviderClass-CrossAccount.yaml';

const e2e = useE2E();

async function createSecretIn(account: string, region: string, name: string, value: string) {
  await e2e.env.secretsManager(region, { accountId: account }).send(new CreateSecretCommand({ Name: name, SecretString: value }));
}

const params = (extra: Record<string, string> = {}) => ({
  region: 'us-east-1',
  assumeRoleArn: TARGET_ROLE,
  objects: objectsYaml([{ objectName: 'shared', objectType: 'secretsmanager' }]),
  ...extra,
});

function rejectsWith(code: grpc.status, ...patterns: RegExp[]) {
  return (err: grpc.ServiceError) => {
    assert.equal(err.code, code, `${grpc.status[err.code]}: ${err.details}`);
    for (const p of patterns) assert.match(err.details, p);
    return true;
  };
}

test('Pod Identity + assumeRoleArn: the agent credentials assume the role in the mount region; the object is read from the other account', async () => {
  await createSecretIn(TARGET_ACCOUNT, 'us-east-1', 'shared', 'CROSS-ACCOUNT-VALUE');
  const pod = createPod(e2e.env, { auth: 'pod-identity' });
  const target = targetDir();
  const request = mountRequest(e2e.env, { pod, target, parameters: params({ usePodIdentity: 'true', assumeRoleExternalId: 'team-payments', assumeRoleDurationSeconds: '1800' }) });
  await e2e.provider.client.mount(request);
  assert.deepEqual(readTree(target), { shared: { contents: 'CROSS-ACCOUNT-VALUE', mode: 0o644 } });

  const assumes = e2e.env.proxy.requests().filter((r) => r.operation === 'AssumeRole');
  assert.equal(assumes.length, 1);
  assert.equal(assumes[0]!.region, 'us-east-1', 'regional STS of the mount');
  assert.deepEqual(assumes[0]!.assumeRole, {
    RoleArn: TARGET_ROLE,
    RoleSessionName: `${pod.namespace}.${pod.name}`,
    ExternalId: 'team-payments',
    DurationSeconds: '1800',
  });
  const agentKey = e2e.env.agent.calls().find((c) => c.credentials)!.credentials!.AccessKeyId;
  assert.equal(assumes[0]!.accessKeyId, agentKey, 'signed with the pod\'s own (agent) credentials');
  const reads = e2e.env.proxy.requests().filter((r) => r.operation === 'GetSecretValue');
  assert.equal(reads.length, 1);
  assert.notEqual(reads[0]!.accessKeyId, agentKey, 'the object is read with the role session, not the pod credentials');

  // The role session is cached for the pod: a remount (rotation) asks neither the agent nor STS.
  await e2e.provider.client.mount({ ...request, target_path: targetDir() });
  assert.equal(e2e.env.proxy.count({ operation: 'AssumeRole' }), 1);
  assert.equal(e2e.env.agent.count(), 1);
});

test('IRSA + assumeRoleArn in another region: STS of that region; without the role the pod cannot see the object', async () => {
  await createSecretIn(TARGET_ACCOUNT, 'eu-west-1', 'shared', 'EU-VALUE');
  const pod = createPod(e2e.env);
  const target = targetDir();
  await e2e.provider.client.mount(mountRequest(e2e.env, { pod, target, parameters: params({ region: 'eu-west-1' }) }));
  assert.equal(readTree(target).shared!.contents, 'EU-VALUE');
  const assume = e2e.env.proxy.requests().find((r) => r.operation === 'AssumeRole')!;
  assert.equal(assume.region, 'eu-west-1');
  assert.equal(assume.assumeRole!.RoleSessionName, `${pod.namespace}.${pod.name}`);
  assert.equal('ExternalId' in assume.assumeRole!, false);
  assert.match(assume.accessKeyId, /^ASIA/, 'signed with the IRSA session');
  assert.equal(e2e.env.proxy.count({ operation: 'AssumeRoleWithWebIdentity' }), 1);

  // The same SecretProviderClass without the role: the pod's own account has no such secret.
  const { assumeRoleArn: _, ...own } = params({ region: 'eu-west-1' });
  await assert.rejects(e2e.provider.client.mount(mountRequest(e2e.env, { pod: createPod(e2e.env), parameters: own })), rejectsWith(grpc.status.NOT_FOUND));
});

test('STS AccessDenied for the role: PERMISSION_DENIED naming the role, not retried', async () => {
  await createSecretIn(TARGET_ACCOUNT, 'us-east-1', 'shared', 'x');
  e2e.env.proxy.setFault({ service: 'sts', operation: 'AssumeRole', fault: { kind: 'accessDenied' } });
  await assert.rejects(
    e2e.provider.client.mount(mountRequest(e2e.env, { pod: createPod(e2e.env), parameters: params({ usePodIdentity: 'true' }) })),
    rejectsWith(
      grpc.status.PERMISSION_DENIED,
      /assumeRoleArn arn:aws:iam::111122223333:role\/ascp-cross-account-reader: the role's trust policy must allow sts:AssumeRole by the pod's own role/,
      /sts AssumeRole for role arn:aws:iam::111122223333:role\/ascp-cross-account-reader failed in region us-east-1 \(HTTP 403\): AccessDenied/,
    ),
  );
  assert.equal(e2e.env.proxy.count({ operation: 'AssumeRole' }), 1, 'a denial is final');
  assert.equal(e2e.env.proxy.count({ operation: 'GetSecretValue' }), 0);
});

test('invalid role parameters are INVALID_ARGUMENT before any Kubernetes, agent or AWS call', async () => {
  for (const [extra, message] of [
    [{ assumeRoleArn: 'arn:aws:iam::111122223333:user/alice' }, /assumeRoleArn "arn:aws:iam::111122223333:user\/alice" is not an IAM role ARN/],
    [{ assumeRoleExternalId: 'x' }, /assumeRoleExternalId "x" must be 2 to 1224 characters/],
    [{ assumeRoleDurationSeconds: '60' }, /assumeRoleDurationSeconds "60" must be a whole number of seconds from 900 to 43200/],
  ] as const) {
    await assert.rejects(e2e.provider.client.mount(mountRequest(e2e.env, { pod: createPod(e2e.env), parameters: params(extra) })), rejectsWith(grpc.status.INVALID_ARGUMENT, message));
  }
  assert.equal(e2e.env.proxy.count(), 0);
  assert.equal(e2e.env.kube.requests().length, 0);
  assert.equal(e2e.env.agent.count(), 0);
});

test(`${EXAMPLE} mounts in both write modes`, async () => {
  const [spc] = readSecretProviderClasses(EXAMPLE);
  assert.equal(spc!.spec!.parameters!.assumeRoleArn, TARGET_ROLE);
  const written = await mountSpc(e2e.env, e2e.provider.client, spc!);
  assert.deepEqual(Object.keys(readTree(written.target)).sort(), ['SharedSecret', '_shared_endpoint']);
  const driverWrites = await e2e.env.startProvider({ driverWritesSecrets: true });
  try {
    await e2e.env.reset();
    const returned = await mountSpc(e2e.env, driverWrites.client, spc!);
    assert.deepEqual(returned.response.files.map((f) => f.path).sort(), ['SharedSecret', '_shared_endpoint']);
    assert.deepEqual(readTree(returned.target), {}, 'the driver writes');
  } finally {
    await driverWrites.stop();
  }
  const assume = e2e.env.proxy.requests().find((r) => r.operation === 'AssumeRole')!;
  assert.deepEqual(assume.assumeRole, { RoleArn: TARGET_ROLE, RoleSessionName: `demo.${spc!.metadata!.name}`, ExternalId: 'team-payments', DurationSeconds: '1800' });
});

test('mount subcommand: your own credentials assume the role', async () => {
  await createSecretIn(TARGET_ACCOUNT, 'us-east-1', 'shared', 'CLI-CROSS');
  const spc = join(targetDir(), 'spc.yaml');
  writeFileSync(spc, `apiVersion: secrets-store.csi.x-k8s.io/v1\nkind: SecretProviderClass\nmetadata: {name: cli}\nspec:\n  provider: aws\n  parameters:\n    region: us-east-1\n    assumeRoleArn: ${TARGET_ROLE}\n    objects: |\n      - objectName: shared\n        objectType: secretsmanager\n`);
  const target = join(targetDir(), 'out');
  const r = await run(['mount', '--spc', spc, '--target', target], { AWS_ACCESS_KEY_ID: 'AKIAWORKSTATION00000', AWS_SECRET_ACCESS_KEY: 'x', AWS_ENDPOINT_URL: e2e.env.proxy.url });
  assert.equal(r.code, 0, r.stderr);
  assert.equal(readTree(target).shared!.contents, 'CLI-CROSS');
  assert.match(r.stdout, /wrote 1 files to .*\(regions us-east-1; as role arn:aws:iam::111122223333:role\/ascp-cross-account-reader\)/);
  const assume = e2e.env.proxy.requests().find((x) => x.operation === 'AssumeRole')!;
  assert.equal(assume.accessKeyId, 'AKIAWORKSTATION00000');
  assert.equal(assume.assumeRole!.RoleSessionName, 'secrets-store-csi-driver-provider-aws-mount');
});

function run(args: string[], env: Record<string, string>): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, ['dist/main.js', ...args], {
      env: { PATH: process.env.PATH!, HOME: tmpdir(), AWS_CONFIG_FILE: '/dev/null', AWS_SHARED_CREDENTIALS_FILE: '/dev/null', AWS_EC2_METADATA_DISABLED: 'true', ...env },
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => (stdout += d));
    child.stderr.on('data', (d) => (stderr += d));
    child.on('close', (code) => resolve({ code, stdout, stderr }));
  });
}
