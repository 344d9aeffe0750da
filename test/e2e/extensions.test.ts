// The objects features that are ours, not the Go provider's, end to end: the real
// bundle on a real socket, moto behind the fault proxy, in both write modes (the
// provider writes the files; the driver is given them). JMESPath results that are
// not strings, allKeys, objectEncoding and parametersByPath (paging, recursion,
// versions per file, failover through the proxy, NOT_FOUND for an empty path).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { grpc, type MountResponse } from '../harness/grpc-client.js';
import type { ProviderProcess } from '../harness/provider-process.js';
import { createPod, createSecret, mountRequest, objectsYaml, putParameter, readTree, targetDir, useE2E } from './fixture.js';

let driverWrites: ProviderProcess;
const e2e = useE2E({}, async ({ env }) => {
  driverWrites = await env.startProvider({ driverWritesSecrets: true });
});

type Mode = 'provider writes' | 'driver writes';
const MODES: Mode[] = ['provider writes', 'driver writes'];

interface Mounted {
  response: MountResponse;
  /** path -> contents, from the target (provider writes) or the response (driver writes). */
  files: Record<string, Buffer>;
  modes: Record<string, number>;
  versions: Record<string, string>;
}

async function mount(mode: Mode, objects: Array<Record<string, unknown>>, extra: Record<string, string> = {}): Promise<Mounted> {
  const pod = createPod(e2e.env);
  const target = targetDir();
  const client = mode === 'driver writes' ? driverWrites.client : e2e.provider.client;
  const response = await client.mount(mountRequest(e2e.env, { pod, target, parameters: { region: 'us-east-1', objects: objectsYaml(objects), ...extra } }));
  const files: Record<string, Buffer> = {};
  const modes: Record<string, number> = {};
  if (mode === 'driver writes') {
    assert.deepEqual(readdirSync(target), [], 'the provider wrote nothing');
    for (const f of response.files) [files[f.path], modes[f.path]] = [Buffer.from(f.contents), f.mode];
  } else {
    assert.deepEqual(response.files, []);
    for (const [path, f] of Object.entries(readTree(target))) [files[path], modes[path]] = [readFileSync(`${target}/${path}`), f.mode];
  }
  const versions = Object.fromEntries(response.object_version.map((v) => [v.id, v.version]));
  assert.deepEqual(Object.keys(versions).sort(), Object.keys(files).sort(), 'one object version per file, id = file path');
  return { response, files, modes, versions };
}

const text = (files: Record<string, Buffer>) => Object.fromEntries(Object.entries(files).map(([k, v]) => [k, v.toString('utf8')]));

async function refused(objects: Array<Record<string, unknown>>, code: grpc.status, pattern: RegExp, extra: Record<string, string> = {}) {
  await assert.rejects(mount('provider writes', objects, extra), (err: grpc.ServiceError) => {
    assert.equal(err.code, code, err.details);
    assert.match(err.details, pattern);
    assert.ok(!err.details.includes('hunter2'), 'no value in the message');
    return true;
  });
}

for (const mode of MODES) {
  test(`${mode}: jmesPath results that are not strings are written as JSON text`, async () => {
    const s = await createSecret(e2e.env, 'us-east-1', 'db', '{"port": 5432, "tls": true, "ratio": 0.5, "hosts": ["a", "b"], "pool": {"min": 1, "max": 9}, "password": "hunter2"}');
    const { files, versions } = await mount(mode, [{
      objectName: 'db', objectType: 'secretsmanager', jmesPath: [
        { path: 'port', objectAlias: 'port' }, { path: 'tls', objectAlias: 'tls' }, { path: 'ratio', objectAlias: 'ratio' },
        { path: 'hosts', objectAlias: 'hosts' }, { path: 'pool', objectAlias: 'pool' }, { path: 'password', objectAlias: 'password' },
      ],
    }]);
    assert.deepEqual(text(files), {
      db: '{"port": 5432, "tls": true, "ratio": 0.5, "hosts": ["a", "b"], "pool": {"min": 1, "max": 9}, "password": "hunter2"}',
      port: '5432', tls: 'true', ratio: '0.5', hosts: '["a","b"]', pool: '{"min":1,"max":9}', password: 'hunter2',
    });
    assert.ok(Object.values(versions).every((v) => v === s.versionId));
  });

  test(`${mode}: allKeys mounts the whole value and one file per top-level key, with the secret's version`, async () => {
    const s = await createSecret(e2e.env, 'us-east-1', 'app/db', JSON.stringify({ username: 'app', password: 'hunter2', port: 5432, 'tls/ca': 'CA' }));
    const { files, modes, versions } = await mount(mode, [{ objectName: 'app/db', objectType: 'secretsmanager', objectAlias: 'db.json', allKeys: 'true', filePermission: '0640' }]);
    assert.deepEqual(text(files), {
      'db.json': '{"username":"app","password":"hunter2","port":5432,"tls/ca":"CA"}', username: 'app', password: 'hunter2', port: '5432', tls_ca: 'CA',
    });
    assert.ok(Object.values(modes).every((m) => m === 0o640));
    assert.ok(Object.values(versions).every((v) => v === s.versionId));
  });

  test(`${mode}: objectEncoding decodes a base64 SecretString, base64 text stored as SecretBinary, and a hex jmesPath entry`, async () => {
    const keystore = Buffer.from([0xfe, 0xed, 0xfe, 0xed, 0, 0, 0, 2, 0x80, 0xff]);
    const s = await createSecret(e2e.env, 'us-east-1', 'keystore', `${keystore.toString('base64')}\n`);
    await createSecret(e2e.env, 'us-east-1', 'binary', Buffer.from(keystore.toString('base64'), 'latin1'));
    await createSecret(e2e.env, 'us-east-1', 'json', JSON.stringify({ key: keystore.toString('hex'), name: 'k' }));
    const { files, versions } = await mount(mode, [
      { objectName: 'keystore', objectType: 'secretsmanager', objectAlias: 'keystore.jks', objectEncoding: 'base64' },
      { objectName: 'binary', objectType: 'secretsmanager', objectEncoding: 'base64' },
      { objectName: 'json', objectType: 'secretsmanager', jmesPath: [{ path: 'key', objectAlias: 'key.bin', objectEncoding: 'hex' }, { path: 'name', objectAlias: 'name', objectEncoding: 'utf-8' }] },
    ]);
    assert.deepEqual(files['keystore.jks'], keystore);
    assert.deepEqual(files.binary, keystore);
    assert.deepEqual(files['key.bin'], keystore);
    assert.equal(files.name!.toString(), 'k');
    assert.equal(versions['keystore.jks'], s.versionId);
  });

  test(`${mode}: parametersByPath reads every page (23 parameters), one file per parameter with its own version`, async () => {
    for (let i = 0; i < 23; i++) await putParameter(e2e.env, 'us-east-1', `/app/config/p${String(i).padStart(2, '0')}`, `value-${i}`);
    await putParameter(e2e.env, 'us-east-1', '/app/config/p03', 'value-3-again');
    await putParameter(e2e.env, 'us-east-1', '/app/config/nested/deep', 'deep', 'String');
    await putParameter(e2e.env, 'us-east-1', '/app/other', 'other');
    e2e.env.proxy.resetCounts();
    const { files, versions, modes } = await mount(mode, [{ objectName: '/app/config', objectType: 'ssmparameter', parametersByPath: 'true', filePermission: '0400' }]);
    assert.equal(Object.keys(files).length, 23, 'one level: nested/deep and /app/other are not below it');
    assert.equal(files.p00!.toString(), 'value-0');
    assert.equal(files.p03!.toString(), 'value-3-again');
    assert.equal(versions.p03, '2');
    assert.equal(versions.p22, '1');
    assert.ok(Object.values(modes).every((m) => m === 0o400));
    assert.ok(e2e.env.proxy.count({ service: 'ssm', operation: 'GetParametersByPath', outcome: 'forwarded' }) >= 3, 'three pages of ten at least');
    assert.equal(e2e.env.proxy.count({ service: 'ssm', operation: 'GetParameters' }), 0);

    const recursive = await mount(mode, [{ objectName: '/app/config/', objectType: 'ssmparameter', parametersByPath: 'true', recursive: 'true' }]);
    assert.equal(Object.keys(recursive.files).length, 24);
    assert.equal(recursive.files.nested_deep!.toString(), 'deep');
  });
}

test('allKeys: a key that collides with another file, or is "..", fails the mount naming it (INVALID_ARGUMENT)', async () => {
  await createSecret(e2e.env, 'us-east-1', 'a', JSON.stringify({ user: 'hunter2' }));
  await createSecret(e2e.env, 'us-east-1', 'b', JSON.stringify({ user: 'hunter2', '..': 'x' }));
  await createSecret(e2e.env, 'us-east-1', 'other', 'o');
  await refused(
    [{ objectName: 'a', objectType: 'secretsmanager', allKeys: 'true' }, { objectName: 'other', objectType: 'secretsmanager', objectAlias: 'user' }],
    grpc.status.INVALID_ARGUMENT,
    /^pod shop\/web-\d+: objects\[0\] "a" \(region us-east-1\): allKeys key "user" cannot be mounted: file name "user" is already used by objects\[1\] \("other"\)$/,
  );
  await refused([{ objectName: 'b', objectType: 'secretsmanager', allKeys: 'true' }], grpc.status.INVALID_ARGUMENT,
    /objects\[0\] "b" \(region us-east-1\): allKeys key "\.\." cannot be used as a file name: it has a "\.\." path element$/);
});

test('allKeys with pathTranslation "False": "/" in a key makes a subdirectory', async () => {
  await createSecret(e2e.env, 'us-east-1', 'tls', JSON.stringify({ 'certs/tls.crt': 'C', 'certs/tls.key': 'K' }));
  const { files } = await mount('provider writes', [{ objectName: 'tls', objectType: 'secretsmanager', allKeys: 'true' }], { pathTranslation: 'False' });
  assert.deepEqual(text(files), { tls: '{"certs/tls.crt":"C","certs/tls.key":"K"}', 'certs/tls.crt': 'C', 'certs/tls.key': 'K' });
});

test('objectEncoding: text that is not valid base64 fails the mount naming the object; nothing is written', async () => {
  await createSecret(e2e.env, 'us-east-1', 'ks', 'hunter2==');
  await refused([{ objectName: 'ks', objectType: 'secretsmanager', objectEncoding: 'base64' }], grpc.status.INVALID_ARGUMENT,
    /objects\[0\] "ks" \(region us-east-1\): objectEncoding base64: the value is not valid base64: its length without line breaks \(9\) is not a multiple of 4/);
  await refused([{ objectName: 'ks', objectType: 'secretsmanager', objectEncoding: 'base85' }], grpc.status.INVALID_ARGUMENT,
    /objects\[0\] objectEncoding: "base85" is not an encoding the provider decodes/);
  assert.equal(e2e.env.proxy.count({ service: 'secretsmanager' }), 1, 'the invalid field was refused before any AWS call');
});

test('parametersByPath with a failover region: the primary answering 503 mounts the failover region\'s parameters and versions', async () => {
  for (const region of ['us-east-1', 'us-west-2']) {
    for (let i = 0; i < 12; i++) await putParameter(e2e.env, region, `/svc/k${String(i).padStart(2, '0')}`, `${region}-${i}`);
  }
  await putParameter(e2e.env, 'us-west-2', '/svc/k00', 'us-west-2-0-v2');
  const objects = [{ objectName: '/svc', objectType: 'ssmparameter', parametersByPath: 'true' }];
  const healthy = await mount('provider writes', objects, { failoverRegion: 'us-west-2' });
  assert.equal(healthy.files.k00!.toString(), 'us-east-1-0');
  assert.equal(healthy.versions.k00, '1');
  e2e.env.proxy.setFault({ region: 'us-east-1', service: 'ssm', fault: { kind: 'status', status: 503 } });
  const failedOver = await mount('driver writes', objects, { failoverRegion: 'us-west-2' });
  assert.equal(Object.keys(failedOver.files).length, 12);
  assert.equal(failedOver.files.k00!.toString(), 'us-west-2-0-v2');
  assert.equal(failedOver.versions.k00, '2', 'the version of the value mounted');
  assert.equal(failedOver.files.k11!.toString(), 'us-west-2-11');
});

test('parametersByPath: an empty path is NOT_FOUND naming path and region; misuse is refused before any AWS call', async () => {
  await putParameter(e2e.env, 'us-east-1', '/empty/deeper/x', 'x');
  await refused([{ objectName: '/empty', objectType: 'ssmparameter', parametersByPath: 'true' }], grpc.status.NOT_FOUND,
    /objects\[0\] "\/empty": ssm GetParametersByPath for parameters under path "\/empty" failed in region us-east-1: ParameterNotFound: there are none directly below it \(recursive: "true" also reads deeper levels\)/);
  e2e.env.proxy.resetCounts();
  await refused([{ objectName: '/p', objectType: 'ssmparameter', parametersByPath: 'true', objectAlias: 'x' }], grpc.status.INVALID_ARGUMENT,
    /objects\[0\] objectAlias: cannot be used with parametersByPath/);
  assert.equal(e2e.env.proxy.count(), 0);
});
