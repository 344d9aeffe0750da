// The failover contract, for Secrets Manager and SSM, with faults injected per
// region by the proxy in front of moto: 5xx, throttling (400 and 429), resets,
// latency are transient; 4xx is fatal in either region.
import { beforeEach, test } from 'node:test';
import assert from 'node:assert/strict';
import { grpc } from '../harness/grpc-client.js';
import type { Fault } from '../harness/fault-proxy.js';
import { createPod, createSecret, mountRequest, objectsYaml, putParameter, readTree, useE2E, targetDir } from './fixture.js';

const e2e = useE2E();
beforeEach(async () => {
  await createSecret(e2e.env, 'us-east-1', 'replicated', 'east');
  await createSecret(e2e.env, 'us-west-2', 'replicated', 'west');
  await putParameter(e2e.env, 'us-east-1', '/replicated/param', 'p-east');
  await putParameter(e2e.env, 'us-west-2', '/replicated/param', 'p-west');
});

const OBJECTS = objectsYaml([
  { objectName: 'replicated', objectType: 'secretsmanager' },
  { objectName: '/replicated/param', objectType: 'ssmparameter' },
]);

async function mount(parameters: Record<string, string> = {}) {
  const pod = createPod(e2e.env);
  const target = targetDir();
  const response = await e2e.provider.client.mount(
    mountRequest(e2e.env, { pod, target, parameters: { region: 'us-east-1', failoverRegion: 'us-west-2', objects: OBJECTS, ...parameters } }),
  );
  const files = readTree(target);
  return { response, values: [files.replicated?.contents, files._replicated_param?.contents] };
}

function failing(code: grpc.status, ...patterns: RegExp[]) {
  return (err: grpc.ServiceError) => {
    assert.equal(err.code, code, err.details);
    for (const p of patterns) assert.match(err.details, p);
    return true;
  };
}

test('healthy: both regions are queried, the primary value is mounted', async () => {
  const { values } = await mount();
  assert.deepEqual(values, ['east', 'p-east']);
  for (const region of ['us-east-1', 'us-west-2']) {
    assert.equal(e2e.env.proxy.count({ region, operation: 'GetSecretValue' }), 1);
    assert.equal(e2e.env.proxy.count({ region, operation: 'GetParameters' }), 1);
  }
});

const transientFaults: Array<[string, Fault]> = [
  ['HTTP 503', { kind: 'status', status: 503 }],
  ['HTTP 500', { kind: 'status', status: 500 }],
  ['throttling (400 ThrottlingException)', { kind: 'throttle' }],
  ['throttling (bare 429)', { kind: 'throttle', http429: true }],
  ['connection reset', { kind: 'reset' }],
];

for (const [name, fault] of transientFaults) {
  test(`primary ${name}: the failover region's values are mounted, with their versions`, async () => {
    e2e.env.proxy.setFault({ region: 'us-east-1', service: 'secretsmanager', fault });
    e2e.env.proxy.setFault({ region: 'us-east-1', service: 'ssm', fault });
    const { values, response } = await mount();
    assert.deepEqual(values, ['west', 'p-west']);
    assert.equal(response.object_version.find((v) => v.id === '_replicated_param')!.version, '1');
    // With a failover region standing by, the failing region is not retried.
    assert.equal(e2e.env.proxy.count({ region: 'us-east-1', operation: 'GetSecretValue' }), 1);
  });
}

test('primary 4xx (AccessDenied) fails the mount naming the region, even though the failover is healthy', async () => {
  e2e.env.proxy.setFault({ region: 'us-east-1', service: 'secretsmanager', fault: { kind: 'accessDenied' } });
  await assert.rejects(mount(), failing(grpc.status.PERMISSION_DENIED, /"replicated"/, /region us-east-1/, /AccessDeniedException/));
});

test('failover 4xx fails the mount even though the primary is healthy (documented contract)', async () => {
  e2e.env.proxy.setFault({ region: 'us-west-2', service: 'ssm', fault: { kind: 'accessDenied' } });
  await assert.rejects(mount(), failing(grpc.status.PERMISSION_DENIED, /region us-west-2/, /ssm GetParameters/));
});

test('a missing failover replica (404) fails the mount', async () => {
  await createSecret(e2e.env, 'us-east-1', 'east-only', 'x');
  await assert.rejects(
    mount({ objects: objectsYaml([{ objectName: 'east-only', objectType: 'secretsmanager' }]) }),
    failing(grpc.status.NOT_FOUND, /"east-only"/, /region us-west-2/, /ResourceNotFoundException/),
  );
});

test('failover region 5xx with a healthy primary: the primary is mounted', async () => {
  e2e.env.proxy.setFault({ region: 'us-west-2', fault: { kind: 'status', status: 503 } });
  assert.deepEqual((await mount()).values, ['east', 'p-east']);
});

test('both regions down: retried as a pair, then UNKNOWN (final) naming both failures as transient', async () => {
  e2e.env.proxy.setFault({ region: 'us-east-1', service: 'secretsmanager', fault: { kind: 'status', status: 503 } });
  e2e.env.proxy.setFault({ region: 'us-west-2', service: 'secretsmanager', fault: { kind: 'throttle' } });
  e2e.env.proxy.resetCounts();
  await assert.rejects(
    mount(),
    failing(grpc.status.UNKNOWN, /region us-east-1 \(HTTP 503\).*transient: server error/, /the failover region also failed: .*region us-west-2.*transient: throttled/, /still failing after 3 attempts/),
  );
  // One attempt per region per round (the failover region is the retry), three rounds.
  assert.equal(e2e.env.proxy.count({ operation: 'GetSecretValue', region: 'us-east-1' }), 3);
  assert.equal(e2e.env.proxy.count({ operation: 'GetSecretValue', region: 'us-west-2' }), 3);
});

test('a slow primary is waited for; a silent failover region does not hold a healthy mount for long', async () => {
  e2e.env.proxy.setFault({ region: 'us-east-1', fault: { kind: 'latency', ms: 500 } });
  assert.deepEqual((await mount()).values, ['east', 'p-east']);
  e2e.env.proxy.clearFaults();
  e2e.env.proxy.setFault({ region: 'us-west-2', fault: { kind: 'latency', ms: 10_000 } });
  const started = Date.now();
  assert.deepEqual((await mount()).values, ['east', 'p-east']);
  assert.ok(Date.now() - started < 5_000, `took ${Date.now() - started} ms`);
});

test('failoverObject names a different parameter in the failover region', async () => {
  await putParameter(e2e.env, 'us-west-2', '/dr/param', 'dr-value');
  e2e.env.proxy.setFault({ region: 'us-east-1', service: 'ssm', fault: { kind: 'status', status: 500 } });
  const pod = createPod(e2e.env);
  const target = targetDir();
  await e2e.provider.client.mount(mountRequest(e2e.env, {
    pod, target,
    parameters: {
      region: 'us-east-1', failoverRegion: 'us-west-2',
      objects: objectsYaml([{ objectName: '/replicated/param', objectType: 'ssmparameter', objectAlias: 'param', failoverObject: { objectName: '/dr/param' } }]),
    },
  }));
  assert.deepEqual(readTree(target), { param: { contents: 'dr-value', mode: 0o644 } });
});

test('without a failover region: transient failures are retried by the SDK and the mount, then UNKNOWN (final); 4xx is not retried', async () => {
  const pod = createPod(e2e.env);
  const request = mountRequest(e2e.env, { pod, parameters: { region: 'us-east-1', objects: objectsYaml([{ objectName: 'replicated', objectType: 'secretsmanager' }]) } });
  const retried = e2e.env.proxy.setFault({ region: 'us-east-1', service: 'secretsmanager', fault: { kind: 'status', status: 503 }, times: 2 });
  await e2e.provider.client.mount(request);
  assert.equal(retried.hits(), 2, 'two failures, then the third attempt succeeded');
  e2e.env.proxy.clearFaults();

  e2e.env.proxy.setFault({ region: 'us-east-1', service: 'secretsmanager', fault: { kind: 'throttle' } });
  await assert.rejects(e2e.provider.client.mount(request), failing(grpc.status.UNKNOWN, /ThrottlingException.*transient: throttled.*still failing after 2 attempts/));
  e2e.env.proxy.clearFaults();

  e2e.env.proxy.resetCounts();
  e2e.env.proxy.setFault({ region: 'us-east-1', service: 'secretsmanager', fault: { kind: 'accessDenied' } });
  await assert.rejects(e2e.provider.client.mount(request), failing(grpc.status.PERMISSION_DENIED));
  assert.equal(e2e.env.proxy.count({ operation: 'GetSecretValue' }), 1, 'a 4xx is not retried');
});
