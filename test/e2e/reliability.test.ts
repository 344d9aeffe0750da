// The red-team inputs, against the real provider run the way the image runs it (its
// ENV: NODE_OPTIONS and allocator settings, on Node 22): after each, the provider is still
// up, answers Version, and its memory stays under the chart's 100Mi limit. Memory is read
// from /proc/<pid>/status every 20 ms: the peak of anonymous memory (RssAnon + RssShmem),
// which is what a cgroup limit cannot reclaim. VmHWM, also printed, adds ~45 MiB of the
// node binary's file-backed pages, which the kernel reclaims under a cgroup limit.
// (The symlinked subdirectory is in writes.test.ts, the Kubernetes read flood in
// kube-lookups/rate-limiter unit tests and here, the operations-port flood in ops-port.test.ts.)
import { after, beforeEach, test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, readdirSync, statSync, writeFileSync } from 'node:fs';
import { createServer, type Server, type Socket } from 'node:net';
import { join } from 'node:path';
import * as grpc from '@grpc/grpc-js';
import { buildMountRequest } from '../harness/attributes.js';
import type { ProviderProcess } from '../harness/provider-process.js';
import { createPod, createSecret, mountRequest, objectsYaml, readTree, targetDir, useE2E } from './fixture.js';

const CHART_MEMORY_LIMIT_BYTES = 100 * 1024 * 1024;

/** The runtime environment the image sets (Dockerfile ENV lines: NODE_OPTIONS, allocator settings). */
function imageEnv(): Record<string, string> {
  const dockerfile = readFileSync(new URL('../../Dockerfile', import.meta.url), 'utf8');
  const env = Object.fromEntries([...dockerfile.matchAll(/^ENV (\w+)=(?:"([^"]*)"|(\S+))$/gm)].map((m) => [m[1]!, m[2] ?? m[3]!]));
  assert.ok(env.NODE_OPTIONS, 'the Dockerfile sets NODE_OPTIONS');
  return env;
}

const e2e = useE2E({ env: imageEnv() });

// After the fixture's per-test reset (which empties moto).
beforeEach(async () => {
  watch(e2e.provider);
  await createSecret(e2e.env, 'us-east-1', 'app-secret', 'TOP-SECRET-VALUE-1');
  await createSecret(e2e.env, 'us-west-2', 'app-secret', 'TOP-SECRET-VALUE-WEST');
  await createSecret(e2e.env, 'us-east-1', 'big-json', JSON.stringify({ big: 'x'.repeat(60_000), small: 's' }));
});

function readStatus(pid: number): Record<string, number> {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  return Object.fromEntries([...status.matchAll(/^(\w+):\s+(\d+) kB$/gm)].map((m) => [m[1]!, Number(m[2]) * 1024]));
}

/** Peak anonymous memory per provider process, sampled for the whole file. */
const anonPeaks = new Map<number, number>();
const sampler = setInterval(() => {
  for (const pid of anonPeaks.keys()) {
    try {
      const s = readStatus(pid);
      anonPeaks.set(pid, Math.max(anonPeaks.get(pid)!, (s.RssAnon ?? 0) + (s.RssShmem ?? 0)));
    } catch {
      anonPeaks.delete(pid); // exited
    }
  }
}, 20);
sampler.unref();
const watch = (provider: ProviderProcess) => {
  if (!anonPeaks.has(provider.pid)) anonPeaks.set(provider.pid, 0);
  return provider;
};
after(() => clearInterval(sampler));

const mib = (bytes: number) => (bytes / 1024 / 1024).toFixed(1);

/** The provider survived: it answers Version, and its memory stayed under the chart's limit. */
async function assertHealthy(provider: ProviderProcess = e2e.provider) {
  const version = await provider.client.version({}, { deadlineMs: 5_000 });
  assert.equal(version.runtime_name, 'secrets-store-csi-driver-provider-aws');
  const status = readStatus(provider.pid);
  const anonPeak = Math.max(anonPeaks.get(provider.pid) ?? 0, (status.RssAnon ?? 0) + (status.RssShmem ?? 0));
  console.log(`# memory so far: anonymous peak ${mib(anonPeak)} MiB, VmHWM ${mib(status.VmHWM!)} MiB`);
  assert.ok(anonPeak < CHART_MEMORY_LIMIT_BYTES, `anonymous memory peaked at ${mib(anonPeak)} MiB`);
  return anonPeak;
}

function rejection(promise: Promise<unknown>): Promise<grpc.ServiceError> {
  return promise.then(
    () => assert.fail('the mount should have failed'),
    (err: grpc.ServiceError) => err,
  );
}

const params = (over: Record<string, string> = {}) => ({
  region: 'us-east-1',
  objects: objectsYaml([{ objectName: 'app-secret', objectType: 'secretsmanager' }]),
  ...over,
});

test('deeply nested objects YAML (brackets, block sequences) is INVALID_ARGUMENT, not a crash', async () => {
  const bombs = ['['.repeat(1000) + ']'.repeat(1000), '- '.repeat(3000), '{a: '.repeat(1000) + '}'.repeat(1000)];
  const errors = await Promise.all(
    bombs.flatMap((objects) => [0, 1].map(() => rejection(e2e.provider.client.mount(mountRequest(e2e.env, { pod: createPod(e2e.env), parameters: params({ objects }) }))))),
  );
  for (const err of errors) {
    assert.equal(err.code, grpc.status.INVALID_ARGUMENT);
    assert.match(err.details, /objects: nests more than 16 levels deep/);
  }
  await assertHealthy();
});

test('memory amplifiers: 64 distinct 250 KiB specs, 600 made-up regions, a 7,000-entry and a 900-entry jmesPath fan-out', async () => {
  const padding = `# ${'p'.repeat(250 * 1024)}\n`;
  const pod = createPod(e2e.env);
  for (let round = 0; round < 8; round++) {
    await Promise.all(Array.from({ length: 8 }, (_, i) =>
      e2e.provider.client.mount(mountRequest(e2e.env, { pod, parameters: params({ objects: `${padding}# spec ${round}-${i}\n${params().objects}` }) })),
    ));
  }
    // Region names of a real partition's shape but made up: the AWS clients for them are bounded (LRU).
  for (let batch = 0; batch < 20; batch++) {
    await Promise.all(Array.from({ length: 30 }, (_, i) =>
      e2e.provider.client.mount(mountRequest(e2e.env, { pod, parameters: params({ region: `us-madeup${batch}x${i}-1`, objects: objectsYaml([{ objectName: 'app-secret', objectType: 'secretsmanager' }]) }) })).catch(() => undefined),
    ));
  }
  // Not a region's shape at all: refused before any client exists.
  const bad = await rejection(e2e.provider.client.mount(mountRequest(e2e.env, { pod, parameters: params({ region: 'us-east-1x' }) })));
  assert.equal(bad.code, grpc.status.INVALID_ARGUMENT);
  assert.match(bad.details, /region "us-east-1x" is not a valid AWS region name/);

    // Flow style keeps 7,000 entries under the 256 KiB objects limit.
  const fanOut = (n: number) =>
    `- {objectName: big-json, objectType: secretsmanager, jmesPath: [${Array.from({ length: n }, (_, i) => `{path: big, objectAlias: c${i}}`).join(', ')}]}\n`;
  const tooManyTokens = await rejection(e2e.provider.client.mount(mountRequest(e2e.env, { pod, parameters: params({ objects: fanOut(7000) }) })));
  assert.equal(tooManyTokens.code, grpc.status.INVALID_ARGUMENT);
  assert.match(tooManyTokens.details, /objects: has more than 24000 YAML tokens/);
  const tooManyFiles = await rejection(e2e.provider.client.mount(mountRequest(e2e.env, { pod, parameters: params({ objects: fanOut(1001) }) })));
  assert.equal(tooManyFiles.code, grpc.status.INVALID_ARGUMENT);
  assert.match(tooManyFiles.details, /objects: would mount 1002 files \(objects and jmesPath entries\); at most 1000 files per mount/);
  const target = targetDir();
  const tooManyBytes = await rejection(e2e.provider.client.mount(mountRequest(e2e.env, { pod, target, parameters: params({ objects: fanOut(900) }) })));
  assert.equal(tooManyBytes.code, grpc.status.INVALID_ARGUMENT);
  assert.match(tooManyBytes.details, /files total more than 8388608 bytes/);
  assert.deepEqual(readdirSync(target), [], 'nothing written');
  await assertHealthy();
});

test('a silent AWS endpoint is timed out per attempt: the failover region answers long before the deadline', async () => {
  e2e.env.proxy.setFault({ region: 'us-east-1', service: 'secretsmanager', fault: { kind: 'latency', ms: 120_000 } });
  const target = targetDir();
  // Without an enforced request timeout the primary would hold this mount until its deadline and fail it.
  await e2e.provider.client.mount(
    mountRequest(e2e.env, { pod: createPod(e2e.env), target, parameters: params({ failoverRegion: 'us-west-2', objects: objectsYaml([{ objectName: 'app-secret', objectType: 'secretsmanager' }]) }) }),
    { deadlineMs: 20_000 },
  );
  assert.equal(readTree(target)['app-secret']!.contents, 'TOP-SECRET-VALUE-WEST');
  await assertHealthy();
});

test('a silent IPv4 Pod Identity agent is timed out (1 s) and the IPv6 agent answers', async () => {
  const held: Socket[] = [];
  const silent: Server = createServer((socket) => held.push(socket)); // accepts, never answers
  await new Promise<void>((resolve) => silent.listen(0, '127.0.0.1', resolve));
  const port = (silent.address() as { port: number }).port;
  const provider = watch(await e2e.env.startProvider({ podIdentityIpv4: `http://127.0.0.1:${port}/v1/credentials`, env: imageEnv() }));
  try {
    const target = targetDir();
    await provider.client.mount(mountRequest(e2e.env, { pod: createPod(e2e.env), target, parameters: params({ usePodIdentity: 'true' }) }), { deadlineMs: 15_000 });
    assert.equal(readTree(target)['app-secret']!.contents, 'TOP-SECRET-VALUE-1');
    assert.equal(e2e.env.agentIpv6.count(), 1);
    assert.ok(held.length >= 1, 'the IPv4 agent was tried first');
    await assertHealthy(provider);
  } finally {
    await provider.stop();
    for (const s of held) s.destroy();
    silent.close();
  }
});

test('a flood of mounts naming missing service accounts does not starve another namespace\'s mount', async () => {
  e2e.env.kube.resetCounts();
  const flood = Array.from({ length: 300 }, (_, i) => {
    const ghost = { ...createPod(e2e.env, { namespace: 'flood' }), serviceAccountName: `ghost-${i % 3}` };
    return rejection(e2e.provider.client.mount(mountRequest(e2e.env, { pod: ghost, parameters: params() }), { deadlineMs: 30_000 }));
  });
  const target = targetDir();
  await e2e.provider.client.mount(mountRequest(e2e.env, { pod: createPod(e2e.env, { namespace: 'shop' }), target, parameters: params() }), { deadlineMs: 30_000 });
  assert.equal(readTree(target)['app-secret']!.contents, 'TOP-SECRET-VALUE-1');
  for (const err of await Promise.all(flood)) {
    assert.equal(err.code, grpc.status.NOT_FOUND);
    assert.match(err.details, /service account ghost-\d \(namespace: flood\) not found/);
  }
  // Not-found answers are remembered briefly: three missing accounts cost a handful of reads, not 300.
  assert.ok(e2e.env.kube.count('serviceaccounts') <= 10, `${e2e.env.kube.count('serviceaccounts')} reads`);
  await assertHealthy();
});

test('setuid, setgid and sticky modes are refused in the request permission and in filePermission', async () => {
  for (const permission of ['2541', '1517', '1005', '4095']) {
    const err = await rejection(e2e.provider.client.mount(mountRequest(e2e.env, { pod: createPod(e2e.env), permission, parameters: params() })));
    assert.equal(err.code, grpc.status.INVALID_ARGUMENT);
    assert.match(err.details, /permission \d+ \(\d+\) sets setuid, setgid, sticky or unknown bits/);
  }
  for (const mode of ['4755', '2755', '1755', '7777']) {
    const err = await rejection(e2e.provider.client.mount(mountRequest(e2e.env, {
      pod: createPod(e2e.env),
      parameters: params({ objects: objectsYaml([{ objectName: 'app-secret', objectType: 'secretsmanager', filePermission: mode }]) }),
    })));
    assert.equal(err.code, grpc.status.INVALID_ARGUMENT);
    assert.match(err.details, new RegExp(`objects\\[0\\] filePermission: "${mode}" sets setuid, setgid or sticky bits`));
  }
  await assertHealthy();
});

test('kill -9 during writes: the next mount of the target leaves exactly the right files and no temp files', async () => {
  const objects = objectsYaml([{ objectName: 'big-json', objectType: 'secretsmanager', jmesPath: Array.from({ length: 100 }, (_, i) => ({ path: 'small', objectAlias: `f${i}` })) }]);
  const pod = createPod(e2e.env);
  const target = targetDir();
  // A stale temp file as a killed process leaves it, whatever the timing of the kill below.
  writeFileSync(join(target, '.ascp-tmp-0123456789abcdef'), 'half-written');
  for (const delayMs of [5, 20, 60]) {
    const victim = await e2e.env.startProvider({ env: imageEnv() });
    const pending = victim.client.mount(mountRequest(e2e.env, { pod, target, parameters: params({ objects }) })).catch(() => undefined);
    await new Promise((resolve) => setTimeout(resolve, delayMs));
    await victim.stop('SIGKILL');
    await pending;
  }
  await e2e.provider.client.mount(mountRequest(e2e.env, { pod, target, parameters: params({ objects }) }));
  const names = readdirSync(target).sort();
  assert.deepEqual(names, ['big-json', ...Array.from({ length: 100 }, (_, i) => `f${i}`)].sort());
  assert.equal(readFileSync(join(target, 'f7'), 'utf8'), 's');
  await assertHealthy();
});

test('umask 000 and 077: the socket is owner-only, files and directories get exact modes', async () => {
  const previous = process.umask();
  for (const umask of [0o000, 0o077]) {
    process.umask(umask); // the provider inherits it
    let provider: ProviderProcess | undefined;
    try {
      provider = watch(await e2e.env.startProvider({ env: imageEnv() }));
    } finally {
      process.umask(previous);
    }
    try {
      assert.equal(statSync(provider.socketPath).mode & 0o777, 0o600, `socket under umask ${umask.toString(8)}`);
      const target = targetDir();
      await provider.client.mount(mountRequest(e2e.env, {
        pod: createPod(e2e.env), target, permission: '416',
        parameters: params({ pathTranslation: 'False', objects: objectsYaml([{ objectName: 'app-secret', objectType: 'secretsmanager', objectAlias: 'nested/dir/app', filePermission: '0604' }]) }),
      }));
      assert.equal(statSync(join(target, 'nested')).mode & 0o7777, 0o755);
      assert.equal(statSync(join(target, 'nested/dir')).mode & 0o7777, 0o755);
      assert.equal(statSync(join(target, 'nested/dir/app')).mode & 0o7777, 0o604);
      await assertHealthy(provider);
    } finally {
      await provider.stop();
    }
  }
});

test('SIGUSR1 opens no inspector; SIGHUP stops gracefully and removes the socket', async () => {
  const provider = watch(await e2e.env.startProvider({ env: imageEnv() }));
  process.kill(provider.pid, 'SIGUSR1');
  await assertHealthy(provider);
  await provider.client.mount(mountRequest(e2e.env, { pod: createPod(e2e.env), parameters: params() }));
  assert.doesNotMatch(provider.logs(), /Debugger listening|inspector/i);
  assert.deepEqual(await provider.stop('SIGHUP'), { code: 0, signal: null });
  assert.match(provider.logs(), /"signal":"SIGHUP".*shutting down/);
  assert.throws(() => statSync(provider.socketPath), /ENOENT/);
});

test('an empty-bodied request of every field type is answered, not crashed on', async () => {
  const pod = createPod(e2e.env);
  for (const request of [{}, { target_path: '/x' }, { ...buildMountRequest({ pod, parameters: params() }), permission: ' 420 ', target_path: targetDir() }]) {
    await e2e.provider.client.mount(request as never).catch((err: grpc.ServiceError) => {
      assert.equal(err.code, grpc.status.INVALID_ARGUMENT);
    });
  }
  await assertHealthy();
});
