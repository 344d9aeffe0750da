// Operating the provider: Prometheus metrics after real mounts, gRPC health
// through the socket, /healthz and /readyz, JSON logs with one summary line
// per mount, draining on SIGTERM, and the validate and mount subcommands.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { tmpdir } from 'node:os';
import { credentials, loadPackageDefinition, type Client } from '@grpc/grpc-js';
import { loadSync } from '@grpc/proto-loader';
import { grpc } from '../harness/grpc-client.js';
import { createPod, createSecret, mountRequest, objectsYaml, putParameter, readTree, targetDir, useE2E } from './fixture.js';

let metricsUrl: string;

async function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const srv = createServer().listen(0, '127.0.0.1', () => {
      const { port } = srv.address() as { port: number };
      srv.close(() => resolve(port));
    });
  });
}

const e2e = useE2E(async () => {
  const port = await freePort();
  metricsUrl = `http://127.0.0.1:${port}`;
  return { metricsAddr: `127.0.0.1:${port}` };
});
const provider = {
  get client() {
    return e2e.provider.client;
  },
  logs: () => e2e.provider.logs(),
  get socketPath() {
    return e2e.provider.socketPath;
  },
};

async function scrape(): Promise<string> {
  const res = await fetch(`${metricsUrl}/metrics`);
  assert.equal(res.status, 200);
  return res.text();
}

/** A scrape rendered after `previous`: /metrics is rendered at most once per second. */
async function scrapeAfter(previous: string): Promise<string> {
  for (;;) {
    const text = await scrape();
    if (text !== previous) return text;
    await new Promise((r) => setTimeout(r, 100));
  }
}

/** Sum of a metric's samples whose labels include all of `labels`. */
function value(text: string, name: string, labels: Record<string, string> = {}): number {
  let sum = 0;
  for (const line of text.split('\n')) {
    if (!line.startsWith(`${name}{`) && !line.startsWith(`${name} `)) continue;
    if (Object.entries(labels).every(([k, v]) => line.includes(`${k}="${v}"`))) sum += Number(line.split(' ').pop());
  }
  return sum;
}

test('metrics move as mounts happen, with bounded labels and no secret or pod names', async () => {
  await createSecret(e2e.env, 'us-east-1', 'metrics/db', JSON.stringify({ user: 'METRIC-SECRET' }));
  await putParameter(e2e.env, 'us-east-1', '/metrics/param', 'v');
  for (let i = 0; i < 11; i++) await putParameter(e2e.env, 'us-east-1', `/metrics/tree/p${i}`, 'v');
  const before = await scrape();
  const pod = createPod(e2e.env);
  const request = mountRequest(e2e.env, {
    pod,
    parameters: {
      region: 'us-east-1',
      objects: objectsYaml([
        { objectName: 'metrics/db', objectType: 'secretsmanager', jmesPath: [{ path: 'user', objectAlias: 'user' }] },
        { objectName: '/metrics/param', objectType: 'ssmparameter' },
        { objectName: '/metrics/tree', objectType: 'ssmparameter', parametersByPath: 'true' },
      ]),
    },
  });
  await provider.client.mount(request);
  await provider.client.mount({ ...request, target_path: targetDir() });
  await assert.rejects(provider.client.mount({ ...request, attributes: '{' }));
  const after = await scrapeAfter(before);
  const delta = (name: string, labels: Record<string, string> = {}) => value(after, name, labels) - value(before, name, labels);

  assert.equal(delta('ascp_mounts_total', { result: 'success', grpc_code: 'OK' }), 2);
  assert.equal(delta('ascp_mounts_total', { result: 'error', grpc_code: 'INVALID_ARGUMENT' }), 1);
  assert.equal(delta('ascp_mount_duration_seconds_count', { result: 'success' }), 2);
  assert.equal(value(after, 'ascp_mounts_in_flight'), 0);
  assert.equal(delta('ascp_aws_requests_total', { service: 'secretsmanager', operation: 'GetSecretValue', region: 'us-east-1', outcome: 'ok' }), 2);
  assert.equal(delta('ascp_aws_requests_total', { service: 'ssm', operation: 'GetParameters', outcome: 'ok' }), 2);
  assert.equal(delta('ascp_aws_requests_total', { service: 'ssm', operation: 'GetParametersByPath', outcome: 'ok' }), 4, 'two pages per mount, each recorded as its own operation');
  assert.equal(delta('ascp_aws_requests_total', { service: 'sts', operation: 'AssumeRoleWithWebIdentity', outcome: 'ok' }), 1);
  assert.equal(delta('ascp_credential_requests_total', { auth_mode: 'irsa', source: 'fetched' }), 1);
  assert.equal(delta('ascp_credential_requests_total', { auth_mode: 'irsa', source: 'cache' }), 1);
  assert.equal(delta('ascp_kubernetes_requests_total', { resource: 'serviceaccounts', outcome: 'ok' }), 1, 'the role annotation is cached');
  assert.equal(delta('ascp_objects_mounted_total', { object_type: 'secretsmanager' }), 4);
  assert.equal(delta('ascp_objects_mounted_total', { object_type: 'ssmparameter' }), 2 + 2 * 11);
  assert.ok(delta('ascp_mounted_bytes_total') > 0);
  assert.match(after, /ascp_mounts_total\{[^}]*provider="aws"[^}]*os_type="linux"/);
  for (const leaked of ['METRIC-SECRET', 'metrics/db', pod.name, pod.namespace + '"']) assert.ok(!after.includes(leaked), `${leaked} in /metrics`);
});

test('metrics: throttling and 5xx attempts are counted by outcome; failovers counted', async () => {
  await createSecret(e2e.env, 'us-east-1', 'm2', 'a');
  await createSecret(e2e.env, 'us-west-2', 'm2', 'b');
  const before = await scrape();
  e2e.env.proxy.setFault({ region: 'us-east-1', service: 'secretsmanager', fault: { kind: 'throttle' }, times: 1 });
  const pod = createPod(e2e.env);
  await provider.client.mount(mountRequest(e2e.env, { pod, parameters: { region: 'us-east-1', objects: objectsYaml([{ objectName: 'm2', objectType: 'secretsmanager' }]) } }));
  e2e.env.proxy.setFault({ region: 'us-east-1', service: 'secretsmanager', fault: { kind: 'status', status: 503 } });
  await provider.client.mount(mountRequest(e2e.env, { pod, parameters: { region: 'us-east-1', failoverRegion: 'us-west-2', objects: objectsYaml([{ objectName: 'm2', objectType: 'secretsmanager' }]) } }));
  const after = await scrapeAfter(before);
  const delta = (name: string, labels: Record<string, string>) => value(after, name, labels) - value(before, name, labels);
  assert.equal(delta('ascp_aws_requests_total', { operation: 'GetSecretValue', region: 'us-east-1', outcome: 'throttled' }), 1);
  assert.equal(delta('ascp_aws_requests_total', { operation: 'GetSecretValue', region: 'us-east-1', outcome: 'server_error' }), 1);
  assert.equal(delta('ascp_aws_requests_total', { operation: 'GetSecretValue', region: 'us-west-2', outcome: 'ok' }), 1);
  assert.equal(delta('ascp_failovers_total', { service: 'secretsmanager' }), 1);
  // Logs arrive over stdout, not with the gRPC replies: wait for each line.
  await e2e.provider.waitForLog(/"outcome":"throttled".*"msg":"AWS request failed with a transient error/, 5000);
  await e2e.provider.waitForLog(/"msg":"primary region failed; mounted the value from the failover region"/, 5000);
});

test('health: gRPC Health on the socket, /healthz through it, /readyz', async () => {
  const def = loadSync(join(process.cwd(), 'proto', 'health.proto'), { keepCase: true, enums: String });
  const Health = (loadPackageDefinition(def) as unknown as { grpc: { health: { v1: { Health: new (a: string, c: unknown) => Client & Record<string, Function> } } } }).grpc.health.v1.Health;
  const client = new Health(`unix://${provider.socketPath}`, credentials.createInsecure());
  const status = await new Promise<string>((resolve, reject) =>
    client.Check!({ service: 'v1alpha1.CSIDriverProvider' }, (err: Error | null, res: { status: string }) => (err ? reject(err) : resolve(res.status))),
  );
  client.close();
  assert.equal(status, 'SERVING');
  const healthz = await fetch(`${metricsUrl}/healthz`);
  assert.equal(healthz.status, 200);
  assert.equal((await healthz.text()).trim(), 'SERVING');
  assert.equal((await fetch(`${metricsUrl}/readyz`)).status, 200);
  assert.equal((await fetch(`${metricsUrl}/nope`)).status, 404);
});

test('logs: JSON lines, one summary per mount with pod, regions, auth mode, objects, duration, outcome', async () => {
  await createSecret(e2e.env, 'us-east-1', 'logged', 'LOGGED-SECRET-VALUE');
  const pod = createPod(e2e.env);
  await provider.client.mount(mountRequest(e2e.env, { pod, parameters: { region: 'us-east-1', objects: objectsYaml([{ objectName: 'logged', objectType: 'secretsmanager' }]) } }));
  await assert.rejects(provider.client.mount(mountRequest(e2e.env, { pod, parameters: { region: 'us-east-1', objects: objectsYaml([{ objectName: 'absent', objectType: 'secretsmanager' }]) } })));
  // Log lines come over the provider's stdout, not with the gRPC reply: wait until both are in.
  await e2e.provider.waitForLog(new RegExp(`"pod":"${pod.name}".*"msg":"mount failed"`), 5000);
  const lines = provider.logs().split('\n').filter((l) => l.startsWith('{')).map((l) => JSON.parse(l) as Record<string, unknown>);
  const mine = lines.filter((l) => l.pod === pod.name);
  const ok = mine.find((l) => l.msg === 'mount')!;
  assert.deepEqual(
    { namespace: ok.namespace, serviceAccount: ok.serviceAccount, regions: ok.regions, authMode: ok.authMode, objects: ok.objects, outcome: ok.outcome },
    { namespace: 'shop', serviceAccount: pod.serviceAccountName, regions: ['us-east-1'], authMode: 'irsa', objects: 1, outcome: 'success' },
  );
  assert.equal(typeof ok.durationMs, 'number');
  assert.equal(ok.level, 'info');
  const failed = mine.find((l) => l.msg === 'mount failed')!;
  assert.equal(failed.outcome, 'error');
  assert.equal(failed.grpcCode, grpc.status.NOT_FOUND);
  assert.equal(failed.errorCode, 'ResourceNotFoundException');
  assert.ok(!provider.logs().includes('LOGGED-SECRET-VALUE'));
});

test('--log-level=warn keeps successful mounts quiet', async () => {
  const quiet = await e2e.env.startProvider({ args: ['--log-level=warn'] });
  try {
    await createSecret(e2e.env, 'us-east-1', 'quiet', 'q');
    await quiet.client.mount(mountRequest(e2e.env, { pod: createPod(e2e.env), parameters: { region: 'us-east-1', objects: objectsYaml([{ objectName: 'quiet', objectType: 'secretsmanager' }]) } }));
    assert.doesNotMatch(quiet.logs(), /"msg":"mount"/);
  } finally {
    await quiet.stop();
  }
});

test('SIGTERM drains: not ready, in-flight mounts complete, exit 0, socket removed', async () => {
  const port = await freePort();
  const draining = await e2e.env.startProvider({ metricsAddr: `127.0.0.1:${port}` });
  await createSecret(e2e.env, 'us-east-1', 'slow', 'slow-value');
  e2e.env.proxy.setFault({ operation: 'GetSecretValue', fault: { kind: 'latency', ms: 1500 } });
  const mounts = Array.from({ length: 3 }, () => {
    const target = targetDir();
    const request = mountRequest(e2e.env, { pod: createPod(e2e.env), target, parameters: { region: 'us-east-1', objects: objectsYaml([{ objectName: 'slow', objectType: 'secretsmanager' }]) } });
    return draining.client.mount(request).then(() => target);
  });
  await new Promise((r) => setTimeout(r, 500));
  process.kill(draining.pid, 'SIGTERM');
  await draining.waitForLog(/shutting down/, 2000);
  const ready = await fetch(`http://127.0.0.1:${port}/readyz`).then((r) => r.status, () => 'closed');
  assert.ok(ready === 503 || ready === 'closed', `readyz while draining: ${ready}`);
  for (const target of await Promise.all(mounts)) assert.equal(readTree(target).slow!.contents, 'slow-value');
  const exit = await draining.exited;
  assert.deepEqual(exit, { code: 0, signal: null });
  assert.equal(existsSync(draining.socketPath), false);
});

test('--shutdown-timeout bounds the drain', async () => {
  const impatient = await e2e.env.startProvider({ args: ['--shutdown-timeout=300ms'] });
  await createSecret(e2e.env, 'us-east-1', 'stuck', 'x');
  e2e.env.proxy.setFault({ operation: 'GetSecretValue', fault: { kind: 'latency', ms: 5000 } });
  const stuck = impatient.client.mount(mountRequest(e2e.env, { pod: createPod(e2e.env), parameters: { region: 'us-east-1', objects: objectsYaml([{ objectName: 'stuck', objectType: 'secretsmanager' }]) } })).catch((e: grpc.ServiceError) => e);
  await new Promise((r) => setTimeout(r, 300));
  const started = Date.now();
  process.kill(impatient.pid, 'SIGTERM');
  const exit = await impatient.exited;
  assert.equal(exit.code, 0);
  assert.ok(Date.now() - started < 3000, `exited after ${Date.now() - started} ms`);
  const result = await stuck;
  assert.ok(result instanceof Error, 'the stuck mount was cut off');
});

function run(args: string[], env: Record<string, string> = {}): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, ['dist/main.js', ...args], { env: { PATH: process.env.PATH!, HOME: tmpdir(), AWS_CONFIG_FILE: '/dev/null', AWS_SHARED_CREDENTIALS_FILE: '/dev/null', AWS_EC2_METADATA_DISABLED: 'true', ...env } });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => (stdout += d));
    child.stderr.on('data', (d) => (stderr += d));
    child.on('close', (code) => resolve({ code, stdout, stderr }));
  });
}

test('validate: every problem with file, object index and field; other kinds skipped; exit codes', async () => {
  const file = join(targetDir(), 'spc.yaml');
  writeFileSync(file, [
    'apiVersion: v1\nkind: ConfigMap\nmetadata: {name: ignored}\n',
    'apiVersion: secrets-store.csi.x-k8s.io/v1\nkind: SecretProviderClass\nmetadata: {name: broken}\nspec:\n  provider: aws\n  parameters:\n    region: us-east-1\n    failoverRegion: us-east-1\n    usePodIdentity: "sure"\n    objects: |\n      - objectName: plain\n      - objectName: ok\n        objectType: secretsmanager\n        jmesPath:\n          - path: "a["\n            objectAlias: x\n      - objectName: "arn:aws:secretsmanager:eu-west-1:123456789012:secret:s"\n',
    'apiVersion: secrets-store.csi.x-k8s.io/v1\nkind: SecretProviderClass\nmetadata: {name: fine}\nspec:\n  provider: aws\n  parameters:\n    region: us-east-1\n    objects: |\n      - objectName: fine\n        objectType: ssmparameter\n',
  ].join('---\n'));
  const bad = await run(['validate', file]);
  assert.equal(bad.code, 1);
  for (const expected of [
    /spc\.yaml: SecretProviderClass broken \(document 2\): error: failoverRegion us-east-1 cannot be the same as the primary region/,
    /broken .*: error: failed to parse usePodIdentity value "sure": use "true" or "false"/,
    /broken .*: error: objects\[0\] objectType: is required for "plain"/,
    /broken .*: error: objects\[1\] jmesPath\[0\]\.path: "a\[" \(objectAlias "x"\) is not a valid JMESPath expression/,
    /broken .*: error: objects\[2\] objectName: the region of ARN .* must match region us-east-1/,
    /spc\.yaml:15: SecretProviderClass broken .*: error: objects\[0\] objectType: is required for "plain"/,
    /2 SecretProviderClasses checked, 5 errors, 0 warnings/,
  ]) assert.match(bad.stdout, expected);
  assert.doesNotMatch(bad.stdout, /ignored|SecretProviderClass fine/);
  const examples = ['IRSA', 'PodIdentity', 'JMESPath', 'Failover', 'SSM', 'JMESPathJSON', 'AllKeys', 'Encoding', 'SSMPath'];
  const good = await run(['validate', '--strict', ...examples.map((n) => `examples/ExampleSecretProviderClass-${n}.yaml`)]);
  assert.equal(good.code, 0, good.stdout);
  assert.match(good.stdout, /9 SecretProviderClasses checked, 0 errors, 0 warnings/);
  assert.equal((await run(['validate'])).code, 2);
});

test('mount subcommand: one mount with the default AWS credential chain, files listed without contents', async () => {
  await createSecret(e2e.env, 'eu-central-1', 'cli/db', JSON.stringify({ password: 'CLI-SECRET' }));
  const spc = join(targetDir(), 'spc.yaml');
  writeFileSync(spc, 'apiVersion: secrets-store.csi.x-k8s.io/v1\nkind: SecretProviderClass\nmetadata: {name: cli}\nspec:\n  provider: aws\n  parameters:\n    objects: |\n      - objectName: cli/db\n        objectType: secretsmanager\n        filePermission: "0600"\n        jmesPath:\n          - path: password\n            objectAlias: password\n');
  const env = { AWS_ACCESS_KEY_ID: 'AKIAWORKSTATION00000', AWS_SECRET_ACCESS_KEY: 'x', AWS_ENDPOINT_URL: e2e.env.moto.url };
  const target = join(targetDir(), 'out');
  const r = await run(['mount', '--spc', spc, '--target', target, '--region', 'eu-central-1'], env);
  assert.equal(r.code, 0, r.stderr);
  assert.deepEqual(readTree(target), { cli_db: { contents: '{"password":"CLI-SECRET"}', mode: 0o600 }, password: { contents: 'CLI-SECRET', mode: 0o600 } });
  assert.match(r.stdout, /wrote 2 files to .*\(regions eu-central-1\)/);
  assert.match(r.stdout, /0600 {2}password {2}version=\S+ {2}10 bytes/);
  const listed = await run(['mount', '--spc', spc, '--driver-writes', '--region', 'eu-central-1'], env);
  assert.equal(listed.code, 0, listed.stderr);
  assert.match(listed.stdout, /files the driver would write/);
  assert.ok(!(r.stdout + listed.stdout + r.stderr).includes('CLI-SECRET'));
  const noRegion = await run(['mount', '--spc', spc, '--target', target], env);
  assert.equal(noRegion.code, 1);
  assert.match(noRegion.stderr, /no region: set the region parameter, --region or AWS_REGION/);
});

test('mount subcommand: allKeys, objectEncoding and parametersByPath, with the server\'s rules and messages', async () => {
  await createSecret(e2e.env, 'eu-central-1', 'cli/json', JSON.stringify({ user: 'u', port: 5432 }));
  await createSecret(e2e.env, 'eu-central-1', 'cli/ks', Buffer.from('KEYSTORE').toString('base64'));
  for (let i = 0; i < 11; i++) await putParameter(e2e.env, 'eu-central-1', `/cli/p${i}`, `v${i}`);
  const dir = targetDir();
  const spc = join(dir, 'spc.yaml');
  const objects = [
    '      - {objectName: cli/json, objectType: secretsmanager, objectAlias: json, allKeys: true}',
    '      - {objectName: cli/ks, objectType: secretsmanager, objectAlias: ks, objectEncoding: base64}',
    '      - {objectName: /cli, objectType: ssmparameter, parametersByPath: true}',
  ];
  writeFileSync(spc, `apiVersion: secrets-store.csi.x-k8s.io/v1\nkind: SecretProviderClass\nmetadata: {name: cli}\nspec:\n  provider: aws\n  parameters:\n    objects: |\n${objects.join('\n')}\n`);
  const env = { AWS_ACCESS_KEY_ID: 'AKIAWORKSTATION00000', AWS_SECRET_ACCESS_KEY: 'x', AWS_ENDPOINT_URL: e2e.env.moto.url };
  const target = join(dir, 'out');
  const r = await run(['mount', '--spc', spc, '--target', target, '--region', 'eu-central-1'], env);
  assert.equal(r.code, 0, r.stderr);
  const tree = readTree(target);
  assert.equal(Object.keys(tree).length, 2 + 2 + 11);
  assert.deepEqual([tree.user?.contents, tree.port?.contents, tree.ks?.contents, tree.p10?.contents], ['u', '5432', 'KEYSTORE', 'v10']);
  assert.match(r.stdout, /wrote 15 files/);
  writeFileSync(spc, readFileSync(spc, 'utf8').replace('allKeys: true', 'allKeys: sure'));
  const bad = await run(['validate', spc]);
  assert.equal(bad.code, 1);
  assert.match(bad.stdout, /error: objects\[0\] allKeys: "sure" must be "true" or "false"/);
});

test('start-up: --version and -h answer and exit 0; without a Kubernetes configuration the provider refuses to start, saying how to fix it', async () => {
  const version = await run(['--version']);
  assert.equal(version.code, 0);
  assert.match(version.stdout, /^secrets-store-csi-driver-provider-aws \d+\.\d+\.\d+/);
  const help = await run(['-h']);
  assert.equal(help.code, 0);
  assert.match(help.stdout, /--provider-volume/);
  const volume = targetDir();
  const refused = await run([`--provider-volume=${volume}`, '--metrics-addr=']);
  assert.equal(refused.code, 1);
  assert.match(refused.stdout + refused.stderr, /no Kubernetes configuration: .*pass --kubeconfig=PATH/);
  assert.ok(!existsSync(join(volume, 'aws.sock')), 'no socket was created');
});

test('validate: every problem of an object, unknown keys (warnings, --strict errors), misspelled kind and parameters, JSON output, file lines', async () => {
  const dir = targetDir();
  const spc = (name: string, body: string) => `apiVersion: secrets-store.csi.x-k8s.io/v1\nkind: SecretProviderClass\nmetadata: {name: ${name}}\nspec:\n  provider: aws\n${body}`;
  const file = join(dir, 'spc.yaml');
  writeFileSync(file, [
    spc('many', '  parameters:\n    region: us-east-1\n    regoin: us-west-2\n    objects: |\n      - objectName: a\n        objectType: secretsmanager\n        filePermission: "4755"\n        objectAlais: b\n        jmesPath:\n          - path: "x["\n            objectAlias: "../y"\n'),
    'apiVersion: secrets-store.csi.x-k8s.io/v1\nkind: SecretProviderClas\nmetadata: {name: typo}\nspec: {provider: aws}\n',
    spc('noparams', '  parameter:\n    region: us-east-1\n'),
    spc('noregion', '  parameters:\n    objects: |\n      - objectName: plain\n        objectType: ssmparameter\n'),
    spc('badyaml', '  parameters:\n    region: us-east-1\n    objects: |\n      - objectName: a\n        objectType: [unclosed\n'),
  ].join('---\n'));
  const text = await run(['validate', file]);
  assert.equal(text.code, 1);
  for (const expected of [
    /spc\.yaml:8: SecretProviderClass many \(document 1\): warning: spec\.parameters\.regoin is not a parameter the AWS provider reads \(did you mean region\?\)/,
    /spc\.yaml:10: SecretProviderClass many .*: error: objects\[0\] filePermission: "4755" sets setuid, setgid or sticky bits/,
    /spc\.yaml:10: SecretProviderClass many .*: error: objects\[0\] jmesPath\[0\]\.path: "x\[" .* is not a valid JMESPath expression/,
    /spc\.yaml:10: SecretProviderClass many .*: error: objects\[0\] jmesPath\[0\]\.objectAlias: "\.\.\/y" must not be "\." or have a "\.\." path element/,
    /spc\.yaml:10: SecretProviderClass many .*: warning: objects\[0\] objectAlais: is not a field the provider reads \(did you mean objectAlias\?\)/,
    /spc\.yaml:\d+: SecretProviderClas typo \(document 2\): error: kind "SecretProviderClas" is not SecretProviderClass: misspelled\?/,
    /SecretProviderClass noparams \(document 3\): error: spec\.parameters is missing \(found spec\.parameter: misspelled\?\)/,
    new RegExp(`SecretProviderClass badyaml \\(document 5\\): error: objects: is not valid YAML at line ${readFileSync(file, 'utf8').split('\n').findIndex((l) => l.includes('[unclosed')) + 2}, column`),
    /4 SecretProviderClasses checked, 6 errors, 2 warnings/,
  ]) assert.match(text.stdout, expected);
  // The region note only where ARNs are checked.
  assert.doesNotMatch(text.stdout, /noregion.*ARNs/);

  const strict = await run(['validate', '--strict', '--output', 'json', file]);
  assert.equal(strict.code, 1);
  const report = JSON.parse(strict.stdout) as { classes: number; errors: number; warnings: number; problems: Array<{ file: string; line?: number; where: string; severity: string; message: string }> };
  assert.equal(report.classes, 4);
  assert.equal(report.errors, 8);
  assert.equal(report.warnings, 0);
  assert.ok(report.problems.every((p) => p.file === file && p.severity === 'error'));
  assert.ok(report.problems.some((p) => p.line === 10 && /objectAlais/.test(p.message)));

  const arnFile = join(dir, 'arn.yaml');
  writeFileSync(arnFile, spc('arn', '  parameters:\n    objects: |\n      - objectName: "arn:aws:secretsmanager:eu-west-1:123456789012:secret:s"\n'));
  const arn = await run(['validate', '--output=json', arnFile]);
  assert.equal(arn.code, 0, arn.stdout);
  assert.match(arn.stdout, /ARNs were checked against eu-west-1/);
});
