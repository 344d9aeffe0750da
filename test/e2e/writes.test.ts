// Writing files: exact modes under any umask, atomic replacement, all or
// nothing, no temp files (stale ones swept), no symbolic link below the target
// followed, driver-writes mode, and per-request permissions.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { closeSync, lstatSync, mkdirSync, openSync, readdirSync, readSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { grpc } from '../harness/grpc-client.js';
import type { ProviderProcess } from '../harness/provider-process.js';
import { createPod, createSecret, mountRequest, objectsYaml, putSecretValue, readTree, targetDir, useE2E } from './fixture.js';

// umask 077 would give 0600 files if the writer relied on open()'s mode.
let driverWrites: ProviderProcess;
const e2e = useE2E({ nodeArgs: ['--import', 'data:text/javascript,process.umask(0o077)'] }, async ({ env }) => {
  driverWrites = await env.startProvider({ driverWritesSecrets: true });
});

const objects = (...names: string[]) => objectsYaml(names.map((n) => ({ objectName: n, objectType: 'secretsmanager' })));

test('modes are exact under umask 077: default 0644, 0640, 0755, 0400, per request 0600', async () => {
  await createSecret(e2e.env, 'us-east-1', 'a', JSON.stringify({ k: 'v' }));
  await createSecret(e2e.env, 'us-east-1', 'b', 'bee');
  await createSecret(e2e.env, 'us-east-1', 'c', 'sea');
  const pod = createPod(e2e.env);
  const target = targetDir();
  await e2e.provider.client.mount(mountRequest(e2e.env, {
    pod, target,
    parameters: {
      region: 'us-east-1',
      objects: objectsYaml([
        { objectName: 'a', objectType: 'secretsmanager', jmesPath: [{ path: 'k', objectAlias: 'k', filePermission: '0400' }] },
        { objectName: 'b', objectType: 'secretsmanager', filePermission: '0640' },
        { objectName: 'c', objectType: 'secretsmanager', filePermission: '0755' },
      ]),
    },
  }));
  const tree = readTree(target);
  assert.deepEqual(Object.fromEntries(Object.entries(tree).map(([k, v]) => [k, v.mode.toString(8)])), { a: '644', b: '640', c: '755', k: '400' });

  const target2 = targetDir();
  await e2e.provider.client.mount(mountRequest(e2e.env, { pod, target: target2, permission: '384', parameters: { region: 'us-east-1', objects: objects('b') } }));
  assert.equal(readTree(target2).b!.mode, 0o600, 'the request permission is the default');
});

test('concurrent mounts with different default permissions do not race', async () => {
  await createSecret(e2e.env, 'us-east-1', 'shared', 'value');
  const modes = [0o600, 0o644, 0o640, 0o400, 0o444, 0o660];
  const runs = Array.from({ length: 30 }, (_, i) => {
    const mode = modes[i % modes.length]!;
    const target = targetDir();
    const pod = createPod(e2e.env);
    const request = mountRequest(e2e.env, { pod, target, permission: String(mode), parameters: { region: 'us-east-1', objects: objects('shared') } });
    return e2e.provider.client.mount(request).then(() => ({ target, mode }));
  });
  for (const { target, mode } of await Promise.all(runs)) assert.equal(readTree(target).shared!.mode, mode);
});

test('atomic replacement: a reader holding the old file keeps reading the old bytes; no temp files remain', async () => {
  await createSecret(e2e.env, 'us-east-1', 'rot', 'old-value');
  const pod = createPod(e2e.env);
  const target = targetDir();
  const request = mountRequest(e2e.env, { pod, target, parameters: { region: 'us-east-1', objects: objects('rot') } });
  await e2e.provider.client.mount(request);
  const fd = openSync(`${target}/rot`, 'r');
  try {
    await putSecretValue(e2e.env, 'us-east-1', 'rot', 'new-value!');
    await e2e.provider.client.mount(request);
    const buf = Buffer.alloc(64);
    const n = readSync(fd, buf, 0, 64, 0);
    assert.equal(buf.subarray(0, n).toString(), 'old-value');
  } finally {
    closeSync(fd);
  }
  assert.equal(readTree(target).rot!.contents, 'new-value!');
  assert.deepEqual(readdirSync(target), ['rot']);
});

test('all or nothing: when one object fails, no file is written or changed', async () => {
  await createSecret(e2e.env, 'us-east-1', 'good', 'g1');
  const pod = createPod(e2e.env);
  const target = targetDir();
  await e2e.provider.client.mount(mountRequest(e2e.env, { pod, target, parameters: { region: 'us-east-1', objects: objects('good') } }));
  await putSecretValue(e2e.env, 'us-east-1', 'good', 'g2');
  await assert.rejects(
    e2e.provider.client.mount(mountRequest(e2e.env, { pod, target, parameters: { region: 'us-east-1', objects: objects('good', 'missing') } })),
    (err: grpc.ServiceError) => err.code === grpc.status.NOT_FOUND,
  );
  assert.deepEqual(readTree(target), { good: { contents: 'g1', mode: 0o644 } }, 'unchanged, no new files, no temp files');

  // A write failure (a directory squats on a file name) also leaves everything as it was.
  mkdirSync(`${target}/blocker`);
  mkdirSync(`${target}/blocker/inner`);
  await createSecret(e2e.env, 'us-east-1', 'blocker', 'b');
  await assert.rejects(
    e2e.provider.client.mount(mountRequest(e2e.env, { pod, target, parameters: { region: 'us-east-1', objects: objects('good', 'blocker') } })),
    (err: grpc.ServiceError) => {
      assert.equal(err.code, grpc.status.INTERNAL);
      assert.match(err.details, /failed to write the files into the target directory/);
      return true;
    },
  );
  assert.deepEqual(readdirSync(target).sort(), ['blocker', 'good']);
  assert.equal(readTree(target).good!.contents, 'g1');
});

test('a missing target directory is NOT_FOUND', async () => {
  await createSecret(e2e.env, 'us-east-1', 'x', 'x');
  const pod = createPod(e2e.env);
  await assert.rejects(
    e2e.provider.client.mount(mountRequest(e2e.env, { pod, target: '/nonexistent/target/dir', parameters: { region: 'us-east-1', objects: objects('x') } })),
    (err: grpc.ServiceError) => err.code === grpc.status.NOT_FOUND && /does not exist/.test(err.details),
  );
});

test('stale temp files (a provider killed mid-write) are removed by the next mount; new directories are 0755 under umask 077', async () => {
  await createSecret(e2e.env, 'us-east-1', 'nest', 'n');
  await createSecret(e2e.env, 'us-east-1', 'deep', 'd');
  const pod = createPod(e2e.env);
  const target = targetDir();
  mkdirSync(`${target}/dir`);
  writeFileSync(`${target}/.ascp-tmp-0123456789abcdef`, 'half-written');
  writeFileSync(`${target}/dir/.ascp-tmp-fedcba9876543210`, 'half-written');
  writeFileSync(`${target}/dir/.ascp-tmp-not-a-temp-file`, 'kept');
  await e2e.provider.client.mount(mountRequest(e2e.env, {
    pod, target,
    parameters: {
      region: 'us-east-1',
      pathTranslation: 'False',
      objects: objectsYaml([
        { objectName: 'nest', objectType: 'secretsmanager', objectAlias: 'dir/nest' },
        { objectName: 'deep', objectType: 'secretsmanager', objectAlias: 'new/deeper/deep', filePermission: '0600' },
      ]),
    },
  }));
  assert.deepEqual(readTree(target), {
    'dir/.ascp-tmp-not-a-temp-file': { contents: 'kept', mode: 0o644 },
    'dir/nest': { contents: 'n', mode: 0o644 },
    'new/deeper/deep': { contents: 'd', mode: 0o600 },
  });
  assert.deepEqual(readdirSync(target).sort(), ['dir', 'new'], 'the stale temp file in the target is gone');
  assert.equal(statSync(`${target}/new`).mode & 0o7777, 0o755);
  assert.equal(statSync(`${target}/new/deeper`).mode & 0o7777, 0o755);
});

test('a symbolic link below the target is never followed: INTERNAL naming the link; nothing is created outside', async () => {
  await createSecret(e2e.env, 'us-east-1', 'victim', 'top-secret');
  const pod = createPod(e2e.env);
  const target = targetDir();
  const outside = targetDir();
  symlinkSync(outside, `${target}/a`);
  await assert.rejects(
    e2e.provider.client.mount(mountRequest(e2e.env, {
      pod, target,
      parameters: {
        region: 'us-east-1',
        pathTranslation: 'False',
        objects: objectsYaml([{ objectName: 'victim', objectType: 'secretsmanager', objectAlias: 'a/victim', filePermission: '0777' }]),
      },
    })),
    (err: grpc.ServiceError) => {
      assert.equal(err.code, grpc.status.INTERNAL);
      assert.match(err.details, /"a\/victim": "a" is a symbolic link; refusing to follow it/);
      assert.ok(!err.details.includes('top-secret'));
      return true;
    },
  );
  assert.deepEqual(readdirSync(outside), [], 'nothing written or created outside the target');
  assert.deepEqual(readdirSync(target), ['a']);
  assert.ok(lstatSync(`${target}/a`).isSymbolicLink());
});

test('driver-writes mode: files returned with clean relative paths and decimal modes; nothing written', async () => {
  await createSecret(e2e.env, 'us-east-1', 'app/db', JSON.stringify({ user: 'u' }));
  const pod = createPod(e2e.env);
  const target = targetDir();
  const response = await driverWrites.client.mount(mountRequest(e2e.env, {
    pod, target,
    parameters: {
      region: 'us-east-1',
      objects: objectsYaml([{ objectName: 'app/db', objectType: 'secretsmanager', filePermission: '0600', jmesPath: [{ path: 'user', objectAlias: 'user' }] }]),
    },
  }));
  assert.deepEqual(readdirSync(target), [], 'the provider wrote nothing');
  assert.deepEqual(
    response.files.map((f) => ({ path: f.path, mode: f.mode, contents: Buffer.from(f.contents).toString() })),
    [
      { path: 'app_db', mode: 384, contents: '{"user":"u"}' },
      { path: 'user', mode: 384, contents: 'u' },
    ],
  );
  assert.deepEqual(response.object_version.map((v) => v.id), ['app_db', 'user']);
});
