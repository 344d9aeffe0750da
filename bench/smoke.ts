// Smoke test of the bench groundwork: `npx tsx bench/smoke.ts`.
//  1. Starts the AWS stub (with TLS for CONNECT) and the Kubernetes API stub, and checks them on the wire
//     with the AWS SDK for JavaScript (Secrets Manager, SSM, STS), a proxy-form request to the Pod Identity
//     agent address, and a CONNECT tunnel to https://sts.<region>.amazonaws.com.
//  2. Checks the in-cluster sandbox: the token is visible inside the private mount namespace, not on the host.
//  3. If a Go provider binary is given (BENCH_GO_PROVIDER_BIN), starts it, measures its start-up
//     (wall and CPU ms from exec to an answered Version, idle RSS), mounts 2 secrets + 1 SSM parameter in
//     Pod Identity mode and in IRSA mode (and once without a region, to show the node lookups), checks the
//     files, and prints the stub's call counts per mount. Otherwise says so and skips this part.
// Exits non-zero if a check fails.
import { mkdtempSync, readFileSync, rmSync, existsSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { connect as netConnect } from 'node:net';
import { connect as tlsConnect } from 'node:tls';
import { spawnSync } from 'node:child_process';
import { setTimeout as sleep } from 'node:timers/promises';
import { SecretsManagerClient, GetSecretValueCommand } from '@aws-sdk/client-secrets-manager';
import { SSMClient, GetParametersCommand } from '@aws-sdk/client-ssm';
import { STSClient, AssumeRoleWithWebIdentityCommand } from '@aws-sdk/client-sts';
import { AUDIENCE_STS, buildMountRequest, makePod, makePodToken } from '../test/harness/attributes.js';
import { AwsStub, OP_POD_IDENTITY } from '../test/harness/aws-stub.js';
import type { MountRequest } from '../test/harness/grpc-client.js';
import { InClusterSandbox, SA_DIR } from '../test/harness/in-cluster-sandbox.js';
import { REGION_LABEL, ROLE_ARN_ANNOTATION, startKubeApi, type KubeApi } from '../test/harness/kube-api.js';
import { makeTestPki } from '../test/harness/pki.js';
import { goProviderAvailable, goProviderBuildInfo, GO_PROVIDER_BIN, startGoProvider } from './go-provider.js';

const REGION = 'us-west-2';
const NS = 'bench';
const SA = 'app-sa';
const POD = 'app-0';
const NODE = 'node-a';
const ROLE_ARN = 'arn:aws:iam::123456789012:role/bench-app';
const KUBE_TOKEN = 'bench-provider-token';

let failures = 0;
function check(ok: boolean, what: string): void {
  console.log(`${ok ? 'ok  ' : 'FAIL'} ${what}`);
  if (!ok) failures++;
}

const pki = makeTestPki();
const aws = await AwsStub.start({ tls: { cert: pki.certPem, key: pki.keyPem } });
const kube = await startKubeApi({ pki, token: KUBE_TOKEN });
const cleanups: Array<() => Promise<void> | void> = [() => pki.cleanup(), () => kube.stop(), () => aws.close()];

try {
  console.log(`AWS stub ${aws.url} (latency ${aws.latencyMs} ms), Kubernetes stub ${kube.url}`);
  const dbSecret = 'bench/db-password';
  const apiSecret = 'bench/api-key';
  const param = '/bench/feature-flag';
  const db = aws.putSecret(REGION, dbSecret, 's3cr3t-v1');
  aws.putSecret(REGION, dbSecret, 's3cr3t-v2');
  aws.putSecret(REGION, apiSecret, '{"key":"abc"}');
  aws.putParameter(REGION, param, 'on', { labels: ['prod'] });
  aws.putParameter(REGION, param, 'off');
  const pod = makePod(NS, POD, SA);
  kube.addServiceAccount(NS, SA, { [ROLE_ARN_ANNOTATION]: ROLE_ARN });
  kube.addPod(NS, POD, NODE, { serviceAccountName: SA, uid: pod.uid });
  kube.addNode(NODE, { [REGION_LABEL]: REGION });

  // ---- 1. the stubs on the wire --------------------------------------------------------------------
  const creds = { accessKeyId: 'AKIDBENCH', secretAccessKey: 'secret' };
  const sm = new SecretsManagerClient({ region: REGION, endpoint: aws.url, credentials: creds });
  const ssm = new SSMClient({ region: REGION, endpoint: aws.url, credentials: creds });
  const sts = new STSClient({ region: REGION, endpoint: aws.url });
  const v = await sm.send(new GetSecretValueCommand({ SecretId: dbSecret }));
  check(v.SecretString === 's3cr3t-v2' && v.VersionStages?.includes('AWSCURRENT') === true, 'GetSecretValue by name returns AWSCURRENT');
  const prev = await sm.send(new GetSecretValueCommand({ SecretId: v.ARN!, VersionStage: 'AWSPREVIOUS' }));
  check(prev.SecretString === 's3cr3t-v1' && prev.VersionId === db.versionId, 'GetSecretValue by ARN + VersionStage AWSPREVIOUS');
  const byId = await sm.send(new GetSecretValueCommand({ SecretId: dbSecret, VersionId: db.versionId }));
  check(byId.SecretString === 's3cr3t-v1' && byId.CreatedDate instanceof Date, 'GetSecretValue by VersionId (CreatedDate parses)');
  const missing = await sm.send(new GetSecretValueCommand({ SecretId: 'nope' })).catch((e: Error) => e);
  check(missing instanceof Error && missing.name === 'ResourceNotFoundException', 'GetSecretValue unknown -> ResourceNotFoundException');
  const p = await ssm.send(new GetParametersCommand({ Names: [param, `${param}:1`, `${param}:prod`, '/nope'], WithDecryption: true }));
  check(
    p.Parameters?.length === 3 && p.Parameters[0]?.Value === 'off' && p.Parameters[1]?.Value === 'on' && p.Parameters[2]?.Value === 'on'
      && p.Parameters[0]?.Version === 2 && p.Parameters[0]?.LastModifiedDate instanceof Date
      && p.InvalidParameters?.length === 1 && p.InvalidParameters[0] === '/nope',
    'GetParameters with :version, :label and an invalid name',
  );
  const jwt = makePodToken(pod, { audience: AUDIENCE_STS });
  const role = await sts.send(new AssumeRoleWithWebIdentityCommand({ RoleArn: ROLE_ARN, RoleSessionName: 'smoke', WebIdentityToken: jwt }));
  const ttl = (role.Credentials?.Expiration?.getTime() ?? 0) - Date.now();
  check(!!role.Credentials?.AccessKeyId && ttl > 3500_000 && ttl <= 3600_000, 'AssumeRoleWithWebIdentity (XML) credentials expire in ~1 h');
  const agent = await httpViaProxy(aws.port, 'GET http://169.254.170.23/v1/credentials HTTP/1.1\r\nHost: 169.254.170.23\r\nAuthorization: tok\r\nConnection: close\r\n\r\n');
  check(/^HTTP\/1\.1 200/.test(agent) && /"AccessKeyId":"ASIA/.test(agent) && /"AccountId":"123456789012"/.test(agent), 'Pod Identity agent answers a proxy-form request');
  const tunnel = await stsViaConnect(aws.port, pki.caPem, 'sts.eu-west-1.amazonaws.com', jwt);
  check(/^HTTP\/1\.1 200/.test(tunnel) && tunnel.includes('<AccessKeyId>'), 'STS through a CONNECT tunnel (TLS with the bench CA)');
  aws.setRegionDown(REGION);
  const down = await sm.send(new GetSecretValueCommand({ SecretId: dbSecret })).catch((e: Error & { $metadata?: { httpStatusCode?: number } }) => e);
  check(down instanceof Error && down.name === 'InternalServiceError', 'region down -> 503 InternalServiceError (after SDK retries)');
  aws.setRegionDown(REGION, false);
  const c = aws.counts();
  check(c.byRegion[REGION]?.['GetSecretValue'] === 7 && c.byRegion['eu-west-1']?.['AssumeRoleWithWebIdentity'] === 1 && c.byOperation[OP_POD_IDENTITY] === 1,
    `per-region counts from the SigV4 scope and the Host name: ${JSON.stringify(c.byRegion)}`);
  sm.destroy();
  ssm.destroy();
  sts.destroy();

  // ---- 2. the in-cluster sandbox --------------------------------------------------------------------
  const sandbox = await InClusterSandbox.create({ token: KUBE_TOKEN, caPem: pki.caPem });
  cleanups.unshift(() => sandbox.close());
  const [cmd, args] = sandbox.wrap('cat', [join(SA_DIR, 'token')]);
  const inside = spawnSync(cmd, args, { encoding: 'utf8' });
  check(inside.stdout === KUBE_TOKEN, `token visible at ${SA_DIR} through the sandbox (recipe: ${sandbox.recipe})`);
  if (sandbox.recipe === 'unshare') check(!existsSync(SA_DIR), 'host has no service-account directory');

  // ---- 3. the Go provider ---------------------------------------------------------------------------
  if (!goProviderAvailable()) {
    console.log(`\nskip Go provider: ${GO_PROVIDER_BIN ? `no binary at ${GO_PROVIDER_BIN}` : 'BENCH_GO_PROVIDER_BIN is not set'}`);
  } else {
    const info = goProviderBuildInfo();
    console.log(`\nGo provider ${GO_PROVIDER_BIN} (${info?.['bytes'] ?? '?'} bytes, sha256 ${info?.['sha256'] ?? '?'})`);
    aws.resetCounts();
    kube.resetCounts();
    const go = await startGoProvider({ aws, kube, pki, sandbox });
    cleanups.unshift(() => go.stop());
    const ver = await go.client.version();
    console.log(`Version: ${JSON.stringify(ver)}`);
    await sleep(1000);
    console.log(
      `start-up: wall ${go.startup.wallMs.toFixed(1)} ms, CPU ${go.startup.cpuMs.toFixed(0)} ms (stat ticks) / ` +
        `${go.startup.cpuMsPrecise?.toFixed(1) ?? '?'} ms (schedstat), RSS at ready ${kib(go.startup.rssKiB)}, idle RSS after 1 s ${kib(go.rssKiB())}`,
    );
    check(aws.counts().total === 0 && kube.requests().length === 0, 'no AWS or Kubernetes calls at start-up');

    const objects = [
      `- objectName: "${dbSecret}"`,
      '  objectType: "secretsmanager"',
      '  objectAlias: "db-password"',
      `- objectName: "${apiSecret}"`,
      '  objectType: "secretsmanager"',
      '  objectAlias: "api-key"',
      `- objectName: "${param}"`,
      '  objectType: "ssmparameter"',
      '  objectAlias: "feature-flag"',
    ].join('\n');
    const request = (mode: 'pod-identity' | 'irsa', withRegion = true): MountRequest => {
      const parameters: Record<string, string> = { objects, usePodIdentity: mode === 'pod-identity' ? 'true' : 'false' };
      if (withRegion) parameters['region'] = REGION;
      return buildMountRequest({ pod, parameters, volumeAttributes: { secretProviderClass: 'bench-spc' } });
    };
    const runs: Array<[string, MountRequest]> = [
      ['Pod Identity', request('pod-identity')],
      ['Pod Identity, again', request('pod-identity')],
      ['IRSA', request('irsa')],
      ['Pod Identity, no region attribute', request('pod-identity', false)],
    ];
    for (const [label, req] of runs) {
      const target = mkdtempSync(join(tmpdir(), 'bench-target-'));
      req.target_path = target;
      aws.resetCounts();
      kube.resetCounts();
      const cpu0 = go.cpuMsPrecise();
      const t0 = performance.now();
      try {
        const res = await go.client.mount(req, { deadlineMs: 30_000 });
        const ms = performance.now() - t0;
        const cpu = (go.cpuMsPrecise() ?? 0) - (cpu0 ?? 0);
        const files = readdirSync(target).sort();
        const ok = files.join(',') === 'api-key,db-password,feature-flag'
          && readFileSync(join(target, 'db-password'), 'utf8') === 's3cr3t-v2'
          && readFileSync(join(target, 'feature-flag'), 'utf8') === 'off'
          && (readFileSync(join(target, 'db-password')).length > 0)
          && res.object_version.length === 3;
        check(ok, `${label}: Mount wrote ${files.join(', ')}; versions ${JSON.stringify(res.object_version.map((o) => `${o.id}=${o.version}`))}`);
        console.log(`     ${ms.toFixed(1)} ms, provider CPU ${cpu.toFixed(1)} ms; AWS calls ${JSON.stringify(aws.counts().byOperation)} by region ${JSON.stringify(aws.counts().byRegion)}; Kubernetes ${kubeCalls(kube)}`);
      } catch (err) {
        check(false, `${label}: Mount failed: ${(err as Error).message}`);
        console.log(`     AWS calls ${JSON.stringify(aws.counts())}; Kubernetes ${kubeCalls(kube)}; log ${go.logFile}`);
      } finally {
        rmSync(target, { recursive: true, force: true });
      }
    }
    console.log(`RSS after mounts ${kib(go.rssKiB())}, peak ${kib(go.peakRssKiB())}`);
    await go.stop();
    cleanups.shift();
    check(!existsSync(go.socketPath), 'Go provider removed its socket on SIGTERM');
  }
} catch (err) {
  check(false, `unexpected error: ${(err as Error).stack ?? String(err)}`);
} finally {
  for (const f of cleanups) await f();
}
console.log(failures === 0 ? '\nsmoke: all checks passed' : `\nsmoke: ${failures} check(s) failed`);
process.exit(failures === 0 ? 0 : 1);

/** The Kubernetes stub's requests so far, e.g. {"GET pods 200":1}. */
function kubeCalls(api: KubeApi): string {
  const out: Record<string, number> = {};
  for (const r of api.requests()) {
    const key = `${r.method} ${r.resource} ${r.status}`;
    out[key] = (out[key] ?? 0) + 1;
  }
  return JSON.stringify(out);
}

function kib(v: number | undefined): string {
  return v === undefined ? '?' : `${(v / 1024).toFixed(1)} MiB`;
}

/** Sends a raw HTTP request to the stub as if it were a forward proxy, returns the raw response. */
function httpViaProxy(port: number, raw: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const s = netConnect(port, '127.0.0.1', () => s.write(raw));
    let out = '';
    s.on('data', (d: Buffer) => (out += d.toString()));
    s.on('end', () => resolve(out));
    s.on('error', reject);
  });
}

/** CONNECT host:443 through the stub, TLS with the bench CA, POST AssumeRoleWithWebIdentity. */
function stsViaConnect(port: number, caPem: string, host: string, jwt: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const s = netConnect(port, '127.0.0.1', () => s.write(`CONNECT ${host}:443 HTTP/1.1\r\nHost: ${host}:443\r\n\r\n`));
    s.once('data', (d: Buffer) => {
      if (!d.toString().startsWith('HTTP/1.1 200')) return reject(new Error(`CONNECT refused: ${d.toString()}`));
      const t = tlsConnect({ socket: s, servername: host, ca: caPem }, () => {
        const body = new URLSearchParams({ Action: 'AssumeRoleWithWebIdentity', Version: '2011-06-15', RoleArn: ROLE_ARN, RoleSessionName: 'tunnel', WebIdentityToken: jwt }).toString();
        t.write(`POST / HTTP/1.1\r\nHost: ${host}\r\nContent-Type: application/x-www-form-urlencoded\r\nContent-Length: ${body.length}\r\nConnection: close\r\n\r\n${body}`);
      });
      let out = '';
      t.on('data', (x: Buffer) => (out += x.toString()));
      t.on('end', () => resolve(out));
      t.on('error', reject);
    });
    s.on('error', reject);
  });
}
