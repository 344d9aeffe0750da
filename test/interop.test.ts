// Interop: our provider, called by the Secrets Store CSI driver's OWN Go client code.
//
// This file is the orchestration; test/interop/interop_test.go is the driver side. Here we bring up the
// harness (moto, the fault proxy, the Kubernetes API stub, the Pod Identity agent stubs), seed Secrets Manager
// and SSM with the real SDK, start the provider twice (provider-writes, and --driver-writes-secrets, each with
// its own --provider-volume), write a cases file (attributes built as the driver builds them, the expected
// files or error), then run `go test` in test/interop. The Go test dials aws.sock with the driver's
// PluginClientBuilder, calls the driver's MountContent (which, in driver-writes mode, writes the returned
// files with the driver's fileutil.WritePayloads) and checks the target directories.
//
// Go is required: without it this test FAILS (it never skips). Go's module and build caches live under the
// git-ignored .build/go (the same layout as scripts/install-helm.sh; GOMODCACHE / GOCACHE override).
import { CreateSecretCommand } from '@aws-sdk/client-secrets-manager';
import { PutParameterCommand } from '@aws-sdk/client-ssm';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { after, before, describe, test } from 'node:test';
import { AUDIENCE_POD_IDENTITY, buildAttributes, makePod, readTokens, type PodInfo } from './harness/attributes.js';
import { startTestEnvironment, type TestEnvironment } from './harness/env.js';
import { GO_TEST_ENV } from './harness/paths.js';
import { signalGroup, trackChild } from './harness/process-cleanup.js';
import type { ProviderProcess } from './harness/provider-process.js';

const REPO_ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const INTEROP_DIR = join(REPO_ROOT, 'test', 'interop');
/** Cold caches download the driver's module graph and compile client-go & co.: minutes, not seconds. */
const GO_BUILD_TIMEOUT_MS = 15 * 60_000;
const GO_RUN_TIMEOUT_MS = 5 * 60_000;

type Mode = 'provider-writes' | 'driver-writes';
const MODES: Mode[] = ['provider-writes', 'driver-writes'];

const REGION = 'us-west-2';
const FAILING_REGION = 'us-east-1';

// Each auth method reads from its role's own moto account: a mount only succeeds with the pod's role
// credentials (moto ties AssumeRoleWithWebIdentity keys to the role's account).
const IRSA_ACCOUNT = '111122223333';
const IRSA_ROLE = `arn:aws:iam::${IRSA_ACCOUNT}:role/interop-irsa`;
const POD_IDENTITY_ACCOUNT = '444455556666';
const POD_IDENTITY_ROLE = `arn:aws:iam::${POD_IDENTITY_ACCOUNT}:role/interop-pod-identity`;
const NAMESPACE = 'interop';
const IRSA_SA = 'irsa-sa';
const POD_IDENTITY_SA = 'pod-identity-sa';
const NODE = 'ip-10-0-1-23.us-west-2.compute.internal';

const MODE_0644 = 0o644;
const MODE_0600 = 0o600;
const MODE_0400 = 0o400;

// Values with bytes that survive only if every layer treats them as bytes.
const IRSA_DB_PASSWORD = 'irsa-pässwörd with spaces & <html> chars\n';
const POD_IDENTITY_DB_PASSWORD = 'pod-identity-pässwörd\twith a tab\n';
const IRSA_BINARY = Buffer.from([0x00, 0x01, 0x02, 0xff, 0xfe, 0x80, 0x0a, 0x00, 0x7f]);
const SSM_DB_URL = 'postgres://db.internal:5432/app?sslmode=require';
const SSM_API_KEY = 'api-key-0123456789abcdef';
const SSM_FLAGS = 'feature-a,feature-b';
const JSON_SECRET = JSON.stringify({ username: 'app_user', password: 'p@ss"wörd', port: 5432 });
const FAILOVER_PRIMARY_VALUE = 'value-from-us-east-1 (must NOT be mounted)';
const FAILOVER_REPLICA_VALUE = 'value-from-us-west-2 (the failover replica)';

interface ExpectedFile {
  contents: string;
  mode: number;
}

interface InteropCase {
  name: string;
  mode: Mode;
  attributes: string;
  secrets: string;
  permission: string;
  targetPath: string;
  expectFiles?: Record<string, ExpectedFile>;
  expectError?: string[];
}

interface CaseSpec {
  name: string;
  auth: 'irsa' | 'pod-identity';
  /** SecretProviderClass spec.parameters (besides usePodIdentity). */
  parameters: Record<string, string>;
  files?: Record<string, { contents: string | Buffer; mode: number }>;
  error?: string[];
}

const objects = (...items: string[]) => items.join('');

const CASES: CaseSpec[] = [
  {
    name: 'irsa-secretsmanager',
    auth: 'irsa',
    parameters: {
      region: REGION,
      objects: objects(
        '- objectName: interop/db-credentials\n',
        '  objectType: secretsmanager\n',
        '  objectAlias: db-password\n',
        '  filePermission: "0600"\n',
        '- objectName: interop/binary-blob\n',
        '  objectType: secretsmanager\n',
      ),
    },
    files: {
      'db-password': { contents: IRSA_DB_PASSWORD, mode: MODE_0600 },
      'interop_binary-blob': { contents: IRSA_BINARY, mode: MODE_0644 },
    },
  },
  {
    name: 'pod-identity-secretsmanager',
    auth: 'pod-identity',
    parameters: {
      region: REGION,
      objects: objects(
        '- objectName: interop/db-credentials\n',
        '  objectType: secretsmanager\n',
        '  objectAlias: db-password\n',
        '  filePermission: "0600"\n',
      ),
    },
    files: { 'db-password': { contents: POD_IDENTITY_DB_PASSWORD, mode: MODE_0600 } },
  },
  {
    name: 'irsa-ssm-parameter',
    auth: 'irsa',
    parameters: {
      region: REGION,
      objects: objects(
        '- objectName: /interop/app/db-url\n',
        '  objectType: ssmparameter\n',
        '- objectName: /interop/app/api-key\n',
        '  objectType: ssmparameter\n',
        '  filePermission: "0600"\n',
      ),
    },
    // Names with "/" are translated with the default pathTranslation "_".
    files: {
      '_interop_app_db-url': { contents: SSM_DB_URL, mode: MODE_0644 },
      '_interop_app_api-key': { contents: SSM_API_KEY, mode: MODE_0600 },
    },
  },
  {
    name: 'pod-identity-ssm-nested-path',
    auth: 'pod-identity',
    // pathTranslation "False": the parameter's hierarchy becomes directories, which the driver's writer must
    // accept (relative, clean) and create under its atomic-writer layout.
    parameters: {
      region: REGION,
      pathTranslation: 'False',
      objects: objects('- objectName: /interop/nested/feature-flags\n', '  objectType: ssmparameter\n'),
    },
    files: { 'interop/nested/feature-flags': { contents: SSM_FLAGS, mode: MODE_0644 } },
  },
  {
    name: 'pod-identity-jmespath',
    auth: 'pod-identity',
    parameters: {
      region: REGION,
      objects: objects(
        '- objectName: interop/json-credentials\n',
        '  objectType: secretsmanager\n',
        '  jmesPath:\n',
        '    - path: username\n',
        '      objectAlias: db-username\n',
        '    - path: password\n',
        '      objectAlias: db-password\n',
        '      filePermission: "0400"\n',
      ),
    },
    files: {
      'interop_json-credentials': { contents: JSON_SECRET, mode: MODE_0644 },
      'db-username': { contents: 'app_user', mode: MODE_0644 },
      'db-password': { contents: 'p@ss"wörd', mode: MODE_0400 },
    },
  },
  {
    name: 'irsa-failover',
    auth: 'irsa',
    // us-east-1 Secrets Manager answers 503 (fault proxy); the us-west-2 replica must be mounted.
    parameters: {
      region: FAILING_REGION,
      failoverRegion: REGION,
      objects: objects('- objectName: interop/failover-secret\n', '  objectType: secretsmanager\n'),
    },
    files: { 'interop_failover-secret': { contents: FAILOVER_REPLICA_VALUE, mode: MODE_0644 } },
  },
  {
    name: 'irsa-missing-secret',
    auth: 'irsa',
    // One object exists, one does not: the mount fails, names the missing object, and writes nothing.
    parameters: {
      region: REGION,
      objects: objects(
        '- objectName: interop/db-credentials\n',
        '  objectType: secretsmanager\n',
        '- objectName: interop/does-not-exist\n',
        '  objectType: secretsmanager\n',
      ),
    },
    error: ['interop/does-not-exist'],
  },
];

interface GoResult {
  code: number | null;
  signal: NodeJS.Signals | null;
  output: string;
  ms: number;
}

/** Runs `go <args>` in test/interop without blocking the event loop (the harness's stubs live in this process). */
function runGo(args: string[], extraEnv: Record<string, string>, timeoutMs: number): Promise<GoResult> {
  const started = Date.now();
  return new Promise((resolveRun, reject) => {
    const child = spawn('go', args, {
      cwd: INTEROP_DIR,
      env: { ...process.env, ...GO_TEST_ENV, ...extraEnv },
      detached: true, // its own group, killed with the test process (trackChild)
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    trackChild(child);
    let output = '';
    child.stdout.setEncoding('utf8').on('data', (s: string) => (output += s));
    child.stderr.setEncoding('utf8').on('data', (s: string) => (output += s));
    const timer = setTimeout(() => {
      output += `\n[interop.test] go ${args.join(' ')} timed out after ${timeoutMs} ms; killed\n`;
      signalGroup(child, 'SIGKILL');
    }, timeoutMs);
    child.once('error', (err: NodeJS.ErrnoException) => {
      clearTimeout(timer);
      reject(
        err.code === 'ENOENT'
          ? new Error(
              'the Go toolchain is not on PATH: the interop test runs the Secrets Store CSI driver\'s own Go client ' +
                '(test/interop, go.mod needs go >= 1.26). Install Go and re-run; this test does not skip.',
            )
          : err,
      );
    });
    child.once('close', (code, signal) => {
      clearTimeout(timer);
      resolveRun({ code, signal, output, ms: Date.now() - started });
    });
  });
}

describe('interop with the Secrets Store CSI driver v1.6 client (test/interop, Go)', { timeout: GO_BUILD_TIMEOUT_MS + GO_RUN_TIMEOUT_MS + 120_000 }, () => {
  let env: TestEnvironment | undefined;
  const providers: Partial<Record<Mode, ProviderProcess>> = {};
  let workDir: string;
  let buildPromise: Promise<GoResult> | undefined;

  before(async () => {
    // Compile the Go side while the backends start (cold caches: the longest part of this file).
    buildPromise = runGo(['test', '-mod=mod', '-count=1', '-run', '^$', './...'], {}, GO_BUILD_TIMEOUT_MS);
    buildPromise.catch(() => {}); // reported by the test below
    workDir = mkdtempSync(join(tmpdir(), 'interop-'));
    env = await startTestEnvironment();
  });

  after(async () => {
    await Promise.all(Object.values(providers).map((p) => p.stop()));
    await env?.stop();
    if (workDir) rmSync(workDir, { recursive: true, force: true });
  });

  test('go.mod pins the driver module at v1.6.x', () => {
    const goMod = readFileSync(join(INTEROP_DIR, 'go.mod'), 'utf8');
    assert.match(goMod, /^\s*sigs\.k8s\.io\/secrets-store-csi-driver v1\.6\.\d+$/m);
    assert.ok(existsSync(join(INTEROP_DIR, 'go.sum')), 'test/interop/go.sum must be committed');
  });

  test('both modes, every case, through the driver\'s MountContent and file writer', async (t) => {
    assert.ok(existsSync(join(REPO_ROOT, 'dist', 'main.js')), 'dist/main.js is missing: run npm run build first');
    assert.ok(env, 'test environment did not start');
    const build = await buildPromise!;
    t.diagnostic(`go build of test/interop: ${build.ms} ms`);
    assert.equal(build.code, 0, `compiling test/interop failed (exit ${build.code}, signal ${build.signal}):\n${build.output}`);

    await seed(env);
    env.proxy.setFault({ region: FAILING_REGION, service: 'secretsmanager', fault: { kind: 'status', status: 503 } });
    const [providerWrites, driverWrites] = await Promise.all([
      env.startProvider(),
      env.startProvider({ driverWritesSecrets: true }),
    ]);
    providers['provider-writes'] = providerWrites;
    providers['driver-writes'] = driverWrites;

    const cases = buildCases(env, workDir);
    const casesPath = join(workDir, 'cases.json');
    writeFileSync(casesPath, JSON.stringify({ cases }, null, 2));

    const run = await runGo(
      ['test', '-mod=mod', '-count=1', '-v', '-timeout', `${GO_RUN_TIMEOUT_MS / 1000}s`, './...'],
      {
        INTEROP_CASES: casesPath,
        INTEROP_PROVIDER_WRITES_SOCKETS: providerWrites.providerVolume,
        INTEROP_DRIVER_WRITES_SOCKETS: driverWrites.providerVolume,
      },
      GO_RUN_TIMEOUT_MS + 60_000,
    );
    t.diagnostic(`go test run: ${run.ms} ms`);
    const logs = () =>
      `\n--- go test output ---\n${run.output}` +
      `\n--- provider-writes provider logs ---\n${providerWrites.logs()}` +
      `\n--- driver-writes provider logs ---\n${driverWrites.logs()}`;
    assert.equal(run.code, 0, `go test failed (exit ${run.code}, signal ${run.signal})${logs()}`);

    // Every case ran and passed (guards against a case silently not running).
    for (const c of cases) {
      const name = `TestInterop/${c.name}`;
      assert.match(run.output, new RegExp(`--- PASS: ${escapeRegExp(name)} `), `${name} did not report PASS${logs()}`);
    }
    for (const line of run.output.split('\n')) {
      if (/^\s*(--- PASS|interop_test\.go:\d+: (error code|.* provider at))/.test(line)) t.diagnostic(line.trim());
    }

    // The failover cases really went through a failing us-east-1 (once per mode, no retries there).
    const faulted = env.proxy.count({ region: FAILING_REGION, service: 'secretsmanager', outcome: 'faulted' });
    assert.ok(faulted >= MODES.length, `expected us-east-1 Secrets Manager 503s from both failover mounts, saw ${faulted}`);
    assert.equal(env.proxy.count({ region: FAILING_REGION, service: 'secretsmanager', outcome: 'forwarded' }), 0);
    // Pod Identity cases fetched credentials from the agent; IRSA cases went through STS.
    assert.ok(env.agent.count() + env.agentIpv6.count() > 0, 'the Pod Identity agent was never called');
    assert.ok(env.proxy.count({ service: 'sts', operation: 'AssumeRoleWithWebIdentity' }) > 0, 'STS was never called for IRSA');
  });
});

async function seed(env: TestEnvironment): Promise<void> {
  env.kube.addNode(NODE, { 'topology.kubernetes.io/region': REGION });
  env.kube.addServiceAccount(NAMESPACE, IRSA_SA, { 'eks.amazonaws.com/role-arn': IRSA_ROLE });
  env.kube.addServiceAccount(NAMESPACE, POD_IDENTITY_SA);

  const irsaSm = env.secretsManager(REGION, { accountId: IRSA_ACCOUNT });
  const podSm = env.secretsManager(REGION, { accountId: POD_IDENTITY_ACCOUNT });
  await irsaSm.send(new CreateSecretCommand({ Name: 'interop/db-credentials', SecretString: IRSA_DB_PASSWORD }));
  await irsaSm.send(new CreateSecretCommand({ Name: 'interop/binary-blob', SecretBinary: IRSA_BINARY }));
  await podSm.send(new CreateSecretCommand({ Name: 'interop/db-credentials', SecretString: POD_IDENTITY_DB_PASSWORD }));
  await podSm.send(new CreateSecretCommand({ Name: 'interop/json-credentials', SecretString: JSON_SECRET }));

  // The failover secret exists in both regions with different values.
  await env
    .secretsManager(FAILING_REGION, { accountId: IRSA_ACCOUNT })
    .send(new CreateSecretCommand({ Name: 'interop/failover-secret', SecretString: FAILOVER_PRIMARY_VALUE }));
  await irsaSm.send(new CreateSecretCommand({ Name: 'interop/failover-secret', SecretString: FAILOVER_REPLICA_VALUE }));

  const irsaSsm = env.ssm(REGION, { accountId: IRSA_ACCOUNT });
  await irsaSsm.send(new PutParameterCommand({ Name: '/interop/app/db-url', Value: SSM_DB_URL, Type: 'String' }));
  await irsaSsm.send(new PutParameterCommand({ Name: '/interop/app/api-key', Value: SSM_API_KEY, Type: 'SecureString' }));
  await env
    .ssm(REGION, { accountId: POD_IDENTITY_ACCOUNT })
    .send(new PutParameterCommand({ Name: '/interop/nested/feature-flags', Value: SSM_FLAGS, Type: 'StringList' }));
}

function buildCases(env: TestEnvironment, workDir: string): InteropCase[] {
  const out: InteropCase[] = [];
  for (const [specIndex, spec] of CASES.entries()) {
    for (const [modeIndex, mode] of MODES.entries()) {
      const pod: PodInfo = makePod(NAMESPACE, `${spec.name}-${mode}`, spec.auth === 'irsa' ? IRSA_SA : POD_IDENTITY_SA);
      env.kube.addPod(NAMESPACE, pod.name, NODE, { serviceAccountName: pod.serviceAccountName, uid: pod.uid });
      const attributes = buildAttributes({
        parameters: { ...spec.parameters, ...(spec.auth === 'pod-identity' ? { usePodIdentity: 'true' } : {}) },
        pod,
        volumeAttributes: { secretProviderClass: `interop-${spec.name}` },
      });
      if (spec.auth === 'pod-identity') {
        const token = readTokens(attributes)[AUDIENCE_POD_IDENTITY]?.token;
        assert.ok(token, 'buildAttributes gave no pods.eks.amazonaws.com token');
        env.allowPodIdentityToken(token, { roleArn: POD_IDENTITY_ROLE });
      }
      out.push({
        name: `${spec.name}/${mode}`,
        mode,
        attributes,
        // The driver marshals the nodePublishSecretRef data: nil (no secret ref) -> "null", or "{}";
        // alternate so each mode sees both shapes.
        secrets: (specIndex + modeIndex) % 2 === 0 ? 'null' : '{}',
        permission: '420',
        // kubelet's shape, under a temp dir; the Go side creates it (0750) as the driver does.
        targetPath: join(workDir, 'pods', pod.uid, 'volumes', 'kubernetes.io~csi', 'secrets-store-inline', 'mount'),
        ...(spec.files && {
          expectFiles: Object.fromEntries(
            Object.entries(spec.files).map(([path, f]) => [
              path,
              { contents: Buffer.from(f.contents).toString('base64'), mode: f.mode },
            ]),
          ),
        }),
        ...(spec.error && { expectError: spec.error }),
      });
    }
  }
  return out;
}

function escapeRegExp(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}
