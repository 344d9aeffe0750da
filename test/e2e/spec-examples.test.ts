// Every SecretProviderClass example of the user guide, mounted end to end:
// real provider bundle, real socket, moto behind the fault proxy.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { parse } from 'yaml';
import { grpc } from '../harness/grpc-client.js';
import { createPod, createSecret, mountRequest, readTree, useE2E, targetDir } from './fixture.js';

const e2e = useE2E();

/** spec.parameters of a fixture manifest, with the guide's example ARNs replaced by moto's real ones. */
function parametersOf(file: string, arns: Record<string, string> = {}): Record<string, string> {
  let text = readFileSync(new URL(`../fixtures/spec-examples/${file}`, import.meta.url), 'utf8');
  for (const [example, real] of Object.entries(arns)) text = text.replaceAll(example, real);
  return (parse(text) as { spec: { parameters: Record<string, string> } }).spec.parameters;
}

async function mount(file: string, parameters: Record<string, string>, auth: 'irsa' | 'pod-identity' = 'irsa') {
  const pod = createPod(e2e.env, { auth });
  const target = targetDir();
  const response = await e2e.provider.client.mount(mountRequest(e2e.env, { pod, parameters: { region: 'us-east-1', ...parameters }, target }));
  return { response, files: readTree(target), file };
}

test('Pod Identity basic example', async () => {
  await createSecret(e2e.env, 'us-east-1', 'mySecret', 's3cr3t-pi');
  const { files, response } = await mount('pod-identity.yaml', parametersOf('pod-identity.yaml'), 'pod-identity');
  assert.deepEqual(files, { mySecret: { contents: 's3cr3t-pi', mode: 0o644 } });
  assert.equal(response.object_version.length, 1);
  assert.equal(response.object_version[0]!.id, 'mySecret');
  assert.equal(e2e.env.agent.count(), 1, 'credentials came from the Pod Identity agent');
  assert.equal(e2e.env.proxy.count({ service: 'sts' }), 0, 'no STS call in Pod Identity mode');
});

test('IRSA basic example', async () => {
  await createSecret(e2e.env, 'us-east-1', 'MySecret', 's3cr3t-irsa');
  const { files } = await mount('irsa.yaml', parametersOf('irsa.yaml'));
  assert.deepEqual(files, { MySecret: { contents: 's3cr3t-irsa', mode: 0o644 } });
  assert.equal(e2e.env.proxy.count({ service: 'sts', operation: 'AssumeRoleWithWebIdentity' }), 1);
});

test('name or ARN example, as printed in the guide: rejected as invalid YAML with the line', async () => {
  const pod = createPod(e2e.env);
  await assert.rejects(
    e2e.provider.client.mount(mountRequest(e2e.env, { pod, parameters: { region: 'us-east-2', ...parametersOf('name-or-arn-as-written.yaml') } })),
    (err: grpc.ServiceError) => {
      assert.equal(err.code, grpc.status.INVALID_ARGUMENT);
      assert.match(err.details, /objects: is not valid YAML at line 2/);
      return true;
    },
  );
});

test('name or ARN example: an ARN, a name, and a name with a version label', async () => {
  const s2 = await createSecret(e2e.env, 'us-east-2', 'MySecret2', 'two');
  await createSecret(e2e.env, 'us-east-2', 'MySecret3', 'three');
  await createSecret(e2e.env, 'us-east-2', 'MySecret4', 'four');
  const params = parametersOf('name-or-arn.yaml', { 'arn:aws:secretsmanager:us-east-2:777788889999:secret:MySecret2-d4e5f6': s2.arn });
  const { files, response } = await mount('name-or-arn.yaml', { ...params, region: 'us-east-2' });
  assert.deepEqual(files, {
    [s2.arn]: { contents: 'two', mode: 0o644 },
    MySecret3: { contents: 'three', mode: 0o644 },
    MySecret4: { contents: 'four', mode: 0o644 },
  });
  assert.equal(response.object_version.find((v) => v.id === s2.arn)!.version, s2.versionId);
});

test('key-value pairs example: jmesPath to separate files, whole secret too', async () => {
  const value = JSON.stringify({ username: 'admin', password: 'hunter2' });
  const s = await createSecret(e2e.env, 'us-east-2', 'MySecret', value);
  const params = parametersOf('key-value-pairs.yaml', { 'arn:aws:secretsmanager:us-east-2:777788889999:secret:MySecret-a1b2c3': s.arn });
  const { files, response } = await mount('key-value-pairs.yaml', { ...params, region: 'us-east-2' });
  assert.deepEqual(files, {
    [s.arn]: { contents: value, mode: 0o644 },
    dbusername: { contents: 'admin', mode: 0o644 },
    dbpassword: { contents: 'hunter2', mode: 0o644 },
  });
  assert.deepEqual(response.object_version.map((v) => v.version), [s.versionId, s.versionId, s.versionId]);
});

test('file permission example: object 0600, jmesPath entry 0400', async () => {
  await createSecret(e2e.env, 'us-east-1', 'mySecret', JSON.stringify({ username: 'u1' }));
  const { files } = await mount('file-permission.yaml', parametersOf('file-permission.yaml'));
  assert.equal(files.mySecret!.mode, 0o600);
  assert.deepEqual(files.dbusername, { contents: 'u1', mode: 0o400 });
});

test('multi-region failover example as printed: objectType is required', async () => {
  const pod = createPod(e2e.env);
  await assert.rejects(
    e2e.provider.client.mount(mountRequest(e2e.env, { pod, parameters: parametersOf('multi-region-failover.yaml') })),
    (err: grpc.ServiceError) => {
      assert.equal(err.code, grpc.status.INVALID_ARGUMENT);
      assert.match(err.details, /objects\[0\] objectType: is required for "MySecret"/);
      return true;
    },
  );
});

test('multi-region failover example with objectType: primary healthy, then primary down', async () => {
  await createSecret(e2e.env, 'us-east-1', 'MySecret', 'from-us-east-1');
  await createSecret(e2e.env, 'us-east-2', 'MySecret', 'from-us-east-2');
  const params = parametersOf('multi-region-failover.yaml');
  params.objects = params.objects!.replace('- objectName: "MySecret"', '- objectName: "MySecret"\n  objectType: "secretsmanager"');
  assert.deepEqual((await mount('multi-region-failover.yaml', params)).files, { MySecret: { contents: 'from-us-east-1', mode: 0o644 } });
  e2e.env.proxy.setFault({ region: 'us-east-1', service: 'secretsmanager', fault: { kind: 'status', status: 503 } });
  assert.deepEqual((await mount('multi-region-failover.yaml', params)).files, { MySecret: { contents: 'from-us-east-2', mode: 0o644 } });
});

test('failover to a different secret example (failoverObject as a list)', async () => {
  const primary = await createSecret(e2e.env, 'us-east-1', 'MySecret', 'primary-value');
  const backup = await createSecret(e2e.env, 'us-east-2', 'MyFailoverSecret', 'failover-value');
  const params = parametersOf('failover-object.yaml', {
    'arn:aws:secretsmanager:us-east-1:777788889999:secret:MySecret-a1b2c3': primary.arn,
    'arn:aws:secretsmanager:us-east-2:777788889999:secret:MyFailoverSecret-d4e5f6': backup.arn,
  });
  const healthy = await mount('failover-object.yaml', params);
  assert.deepEqual(healthy.files, { MyMountedSecret: { contents: 'primary-value', mode: 0o644 } });
  assert.equal(healthy.response.object_version[0]!.version, primary.versionId);
  e2e.env.proxy.setFault({ region: 'us-east-1', fault: { kind: 'reset' } });
  const failedOver = await mount('failover-object.yaml', params);
  assert.deepEqual(failedOver.files, { MyMountedSecret: { contents: 'failover-value', mode: 0o644 } });
  assert.equal(failedOver.response.object_version[0]!.version, backup.versionId, 'reports the version actually mounted');
});
