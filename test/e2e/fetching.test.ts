// Secrets Manager and SSM semantics end to end: versions, labels, binary
// values, ARNs, batches, selectors, rotation, and what the driver is told.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { grpc } from '../harness/grpc-client.js';
import {
  createPod, createSecret, labelParameter, moveStage, mountRequest, objectsYaml, putParameter, putSecretValue, readTree, useE2E, targetDir,
} from './fixture.js';

const e2e = useE2E();

async function mount(objects: Array<Record<string, unknown>>, extra: Record<string, string> = {}, target = targetDir()) {
  const pod = createPod(e2e.env);
  const response = await e2e.provider.client.mount(
    mountRequest(e2e.env, { pod, target, parameters: { region: 'us-east-1', objects: objectsYaml(objects), ...extra } }),
  );
  return { response, files: readTree(target), target };
}

test('Secrets Manager: VersionId, VersionStage and custom labels select the version', async () => {
  const v1 = (await createSecret(e2e.env, 'us-east-1', 'app/db', 'one')).versionId;
  const v2 = await putSecretValue(e2e.env, 'us-east-1', 'app/db', 'two');
  const v3 = await putSecretValue(e2e.env, 'us-east-1', 'app/db', 'three', ['BLUE']);
  const { files, response } = await mount([
    { objectName: 'app/db', objectType: 'secretsmanager', objectAlias: 'current' },
    { objectName: 'app/db', objectType: 'secretsmanager', objectAlias: 'previous', objectVersionLabel: 'AWSPREVIOUS' },
    { objectName: 'app/db', objectType: 'secretsmanager', objectAlias: 'first', objectVersion: v1 },
    { objectName: 'app/db', objectType: 'secretsmanager', objectAlias: 'blue', objectVersionLabel: 'BLUE' },
  ]);
  assert.deepEqual(Object.fromEntries(Object.entries(files).map(([k, v]) => [k, v.contents])), { current: 'two', previous: 'one', first: 'one', blue: 'three' });
  assert.deepEqual(response.object_version, [
    { id: 'current', version: v2 },
    { id: 'previous', version: v1 },
    { id: 'first', version: v1 },
    { id: 'blue', version: v3 },
  ]);
});

test('Secrets Manager: binary secrets are written byte for byte; names with / are translated', async () => {
  const bytes = Uint8Array.from([0, 1, 2, 250, 255, 10, 13]);
  await createSecret(e2e.env, 'us-east-1', 'certs/key.der', bytes);
  const { target } = await mount([{ objectName: 'certs/key.der', objectType: 'secretsmanager' }]);
  const { readFileSync } = await import('node:fs');
  assert.deepEqual([...readFileSync(`${target}/certs_key.der`)], [...bytes]);
});

test('Secrets Manager: an ARN objectName without objectType', async () => {
  const s = await createSecret(e2e.env, 'us-east-1', 'by-arn', 'arn-value');
  const { files } = await mount([{ objectName: s.arn, objectAlias: 'by-arn' }]);
  assert.deepEqual(files, { 'by-arn': { contents: 'arn-value', mode: 0o644 } });
});

test('rotation: unchanged values keep their version, a new value changes content and version', async () => {
  await createSecret(e2e.env, 'us-east-1', 'rotating', 'v1');
  await putParameter(e2e.env, 'us-east-1', '/rot/param', 'p1');
  const pod = createPod(e2e.env);
  const target = targetDir();
  const request = mountRequest(e2e.env, {
    pod, target,
    parameters: { region: 'us-east-1', objects: objectsYaml([{ objectName: 'rotating', objectType: 'secretsmanager' }, { objectName: '/rot/param', objectType: 'ssmparameter' }]) },
  });
  const first = await e2e.provider.client.mount(request);
  const second = await e2e.provider.client.mount(request);
  assert.deepEqual(second.object_version, first.object_version);
  assert.deepEqual(readTree(target), { rotating: { contents: 'v1', mode: 0o644 }, _rot_param: { contents: 'p1', mode: 0o644 } });

  const v2 = await putSecretValue(e2e.env, 'us-east-1', 'rotating', 'v2');
  await putParameter(e2e.env, 'us-east-1', '/rot/param', 'p2');
  const third = await e2e.provider.client.mount(request);
  assert.deepEqual(third.object_version, [{ id: 'rotating', version: v2 }, { id: '_rot_param', version: '2' }]);
  assert.deepEqual(readTree(target), { rotating: { contents: 'v2', mode: 0o644 }, _rot_param: { contents: 'p2', mode: 0o644 } });

});

test('rotation by staging label: UpdateSecretVersionStage moves what a label mounts', async () => {
  // (moto does not move what GetSecretValue returns for AWSCURRENT, so a custom label is moved.)
  const v1 = (await createSecret(e2e.env, 'us-east-1', 'staged', 'blue-1')).versionId;
  const v2 = await putSecretValue(e2e.env, 'us-east-1', 'staged', 'blue-2', ['STAGING']);
  await moveStage(e2e.env, 'us-east-1', 'staged', 'LIVE', v1);
  const pod = createPod(e2e.env);
  const target = targetDir();
  const request = mountRequest(e2e.env, {
    pod, target,
    parameters: { region: 'us-east-1', objects: objectsYaml([{ objectName: 'staged', objectType: 'secretsmanager', objectVersionLabel: 'LIVE' }]) },
  });
  assert.deepEqual((await e2e.provider.client.mount(request)).object_version, [{ id: 'staged', version: v1 }]);
  assert.equal(readTree(target).staged!.contents, 'blue-1');
  await moveStage(e2e.env, 'us-east-1', 'staged', 'LIVE', v2, v1);
  assert.deepEqual((await e2e.provider.client.mount(request)).object_version, [{ id: 'staged', version: v2 }]);
  assert.equal(readTree(target).staged!.contents, 'blue-2');
});

test('SSM: 23 parameters take 3 GetParameters batches (10 + 10 + 3)', async () => {
  const objects = [];
  for (let i = 0; i < 23; i++) {
    await putParameter(e2e.env, 'us-east-1', `/batch/p${i}`, `value-${i}`, i % 2 ? 'String' : 'SecureString');
    objects.push({ objectName: `/batch/p${i}`, objectType: 'ssmparameter' });
  }
  const { files, response } = await mount(objects);
  assert.equal(Object.keys(files).length, 23);
  for (let i = 0; i < 23; i++) assert.equal(files[`_batch_p${i}`]!.contents, `value-${i}`);
  assert.equal(response.object_version.length, 23);
  assert.equal(e2e.env.proxy.count({ service: 'ssm', operation: 'GetParameters' }), 3);
});

test('SSM: name:version and name:label selectors; the same name twice gets two values', async () => {
  await putParameter(e2e.env, 'us-east-1', '/cfg/mode', 'first');
  await putParameter(e2e.env, 'us-east-1', '/cfg/mode', 'second');
  await putParameter(e2e.env, 'us-east-1', '/cfg/mode', 'third');
  await labelParameter(e2e.env, 'us-east-1', '/cfg/mode', 2, ['stable']);
  const { files, response } = await mount([
    { objectName: '/cfg/mode', objectType: 'ssmparameter', objectAlias: 'latest' },
    { objectName: '/cfg/mode', objectType: 'ssmparameter', objectAlias: 'v1', objectVersion: '1' },
    { objectName: '/cfg/mode', objectType: 'ssmparameter', objectAlias: 'stable', objectVersionLabel: 'stable' },
  ]);
  assert.deepEqual(Object.fromEntries(Object.entries(files).map(([k, v]) => [k, v.contents])), { latest: 'third', v1: 'first', stable: 'second' });
  assert.deepEqual(response.object_version, [{ id: 'latest', version: '3' }, { id: 'v1', version: '1' }, { id: 'stable', version: '2' }]);
});

test('SSM: parameters that do not exist are named in a NOT_FOUND error with the region', async () => {
  await putParameter(e2e.env, 'us-east-1', '/exists', 'x');
  await assert.rejects(
    mount([
      { objectName: '/exists', objectType: 'ssmparameter' },
      { objectName: '/missing/one', objectType: 'ssmparameter' },
      { objectName: '/missing/two', objectType: 'ssmparameter', objectVersion: '4' },
    ]),
    (err: grpc.ServiceError) => {
      assert.equal(err.code, grpc.status.NOT_FOUND);
      assert.match(err.details, /region us-east-1/);
      assert.match(err.details, /"\/missing\/one"/);
      assert.match(err.details, /"\/missing\/two:4"/);
      return true;
    },
  );
});

test('Secrets Manager: a missing secret is NOT_FOUND naming the object, index and region', async () => {
  await assert.rejects(mount([{ objectName: 'nope', objectType: 'secretsmanager' }]), (err: grpc.ServiceError) => {
    assert.equal(err.code, grpc.status.NOT_FOUND);
    assert.match(err.details, /^pod shop\/web-\d+: objects\[0\] "nope": secretsmanager GetSecretValue for secret "nope" failed in region us-east-1 \(HTTP 4\d\d\): ResourceNotFoundException/);
    return true;
  });
});

test('jmesPath: nested paths and quoted keys; non-JSON, missing and null results name path and alias', async () => {
  await createSecret(e2e.env, 'us-east-1', 'json', `{"db-host": "h", "nested": {"port": 5432, "user": "u", "gone": null, "id": 12345678901234567890}, "list": ["a"]}`);
  await createSecret(e2e.env, 'us-east-1', 'notjson', 'plain text hunter2');
  const { files } = await mount([{ objectName: 'json', objectType: 'secretsmanager', jmesPath: [{ path: '"db-host"', objectAlias: 'host' }, { path: 'nested.user', objectAlias: 'user' }] }]);
  assert.equal(files.host!.contents, 'h');
  assert.equal(files.user!.contents, 'u');

  const cases: Array<[Record<string, unknown>, RegExp]> = [
    [{ objectName: 'json', objectType: 'secretsmanager', jmesPath: [{ path: 'nested.gone', objectAlias: 'gone' }] }, /jmesPath path "nested.gone" \(objectAlias "gone"\) matched nothing/],
    [{ objectName: 'json', objectType: 'secretsmanager', jmesPath: [{ path: 'nested', objectAlias: 'n' }] }, /jmesPath path "nested" \(objectAlias "n"\) selected an object that is or holds an integer beyond 2\^53/],
    [{ objectName: 'json', objectType: 'secretsmanager', jmesPath: [{ path: 'absent', objectAlias: 'a' }] }, /jmesPath path "absent" \(objectAlias "a"\) matched nothing/],
    [{ objectName: 'notjson', objectType: 'secretsmanager', jmesPath: [{ path: 'x', objectAlias: 'x' }] }, /objects\[0\] "notjson" \(region us-east-1\): jmesPath is set but the value is not valid JSON/],
  ];
  for (const [object, pattern] of cases) {
    await assert.rejects(mount([object]), (err: grpc.ServiceError) => {
      assert.equal(err.code, grpc.status.INVALID_ARGUMENT);
      assert.match(err.details, pattern);
      assert.ok(!err.details.includes('hunter2'));
      return true;
    });
  }
});

test('pathTranslation False: leading slash stripped, directories created', async () => {
  await putParameter(e2e.env, 'us-east-1', '/team/app/url', 'https://x');
  await putParameter(e2e.env, 'us-east-1', '/team/app/key', 'k');
  const { files, response } = await mount(
    [{ objectName: '/team/app/url', objectType: 'ssmparameter' }, { objectName: '/team/app/key', objectType: 'ssmparameter', filePermission: '0600' }],
    { pathTranslation: 'False' },
  );
  assert.deepEqual(files, { 'team/app/key': { contents: 'k', mode: 0o600 }, 'team/app/url': { contents: 'https://x', mode: 0o644 } });
  assert.deepEqual(response.object_version.map((v) => v.id), ['team/app/url', 'team/app/key']);
});

test('region comes from AWS_REGION, else from the pod\'s node label', async () => {
  await createSecret(e2e.env, 'eu-west-1', 'regional', 'from-node-region');
  const pod = createPod(e2e.env, { nodeName: 'ip-10-0-9-9.ec2.internal', nodeLabels: { 'topology.kubernetes.io/region': 'eu-west-1' } });
  const target = targetDir();
  await e2e.provider.client.mount(mountRequest(e2e.env, { pod, target, parameters: { objects: objectsYaml([{ objectName: 'regional', objectType: 'secretsmanager' }]) } }));
  assert.equal(readTree(target).regional!.contents, 'from-node-region');
  assert.equal(e2e.env.kube.count('pods'), 1);
  assert.equal(e2e.env.kube.count('nodes'), 1);

  const withEnv = await e2e.env.startProvider({ env: { AWS_REGION: 'eu-west-1' } });
  try {
    e2e.env.kube.resetCounts();
    const pod2 = createPod(e2e.env, { nodeLabels: {} });
    const target2 = targetDir();
    await withEnv.client.mount(mountRequest(e2e.env, { pod: pod2, target: target2, parameters: { objects: objectsYaml([{ objectName: 'regional', objectType: 'secretsmanager' }]) } }));
    assert.equal(readTree(target2).regional!.contents, 'from-node-region');
    assert.equal(e2e.env.kube.count('nodes'), 0, 'AWS_REGION avoids the node lookup');
  } finally {
    await withEnv.stop();
  }

  const unlabeled = createPod(e2e.env, { nodeName: 'ip-10-0-0-2.ec2.internal', nodeLabels: {} });
  await assert.rejects(
    e2e.provider.client.mount(mountRequest(e2e.env, { pod: unlabeled, parameters: { objects: objectsYaml([{ objectName: 'regional', objectType: 'secretsmanager' }]) } })),
    (err: grpc.ServiceError) => {
      assert.equal(err.code, grpc.status.INVALID_ARGUMENT);
      assert.match(err.details, /has no topology.kubernetes.io\/region label: set the region parameter/);
      return true;
    },
  );
});
