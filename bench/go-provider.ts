// Runs the Go AWS provider (a binary built separately from the Go provider's own source, passed in
// BENCH_GO_PROVIDER_BIN) as a child process against the bench's AWS and Kubernetes stubs, so the bench
// can call its aws.sock exactly like ours.
//
// The Go provider only runs in-cluster (rest.InClusterConfig): it needs KUBERNETES_SERVICE_HOST/PORT and
// /var/run/secrets/kubernetes.io/serviceaccount/{token,ca.crt}, which InClusterSandbox provides without
// touching the host; nsenter execs in place, so the child's pid is the provider's and /proc numbers are its own.
//
// AWS: AWS_ENDPOINT_URL_SECRETS_MANAGER / _SSM / _STS point at the stub; the Pod Identity agent address is
// hard-coded (http://169.254.170.23/v1/credentials), so HTTP_PROXY points at the stub, which answers
// proxy-form requests; HTTPS_PROXY also points at it (with the stub's TLS on) for any AWS client that
// ignores the endpoint variables (then SSL_CERT_FILE makes Go trust the bench CA). Go never proxies
// loopback addresses, and NO_PROXY says so too, so the stub and the Kubernetes stub are reached directly.
import { createHash } from 'node:crypto';
import { existsSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import type { AwsStub } from '../test/harness/aws-stub.js';
import type { InClusterSandbox } from '../test/harness/in-cluster-sandbox.js';
import type { KubeApi } from '../test/harness/kube-api.js';
import type { TestPki } from '../test/harness/pki.js';
import { makeTempDir, removeTempDir } from '../test/harness/process-cleanup.js';
import type { Confinement } from './cgroup.js';
import { launchProvider, type LaunchedProvider } from './launch.js';

/** The Go provider binary, from BENCH_GO_PROVIDER_BIN; without it the Go columns are n/a. */
export const GO_PROVIDER_BIN: string | undefined = process.env['BENCH_GO_PROVIDER_BIN'] || undefined;

export function goProviderAvailable(): boolean {
  return GO_PROVIDER_BIN !== undefined && existsSync(GO_PROVIDER_BIN);
}

/** What identifies the binary measured: its size, modification time and hash (it may be rebuilt between runs). */
export function goProviderBuildInfo(): Record<string, string> | undefined {
  if (!goProviderAvailable()) return undefined;
  const st = statSync(GO_PROVIDER_BIN!);
  return {
    bytes: String(st.size),
    modifiedAt: st.mtime.toISOString(),
    sha256: createHash('sha256').update(readFileSync(GO_PROVIDER_BIN!)).digest('hex').slice(0, 16),
  };
}

/** The environment the Go provider gets (nothing inherited but PATH). */
export function goProviderEnv(aws: AwsEndpoint, kube: Pick<KubeApi, 'serviceEnv'>, pki: TestPki, home: string): Record<string, string> {
  const loopback = '127.0.0.1,localhost,::1';
  return {
    PATH: process.env['PATH'] ?? '/usr/bin:/bin',
    HOME: home,
    ...kube.serviceEnv(),
    ...aws.endpointEnv(),
    HTTP_PROXY: aws.url,
    http_proxy: aws.url,
    HTTPS_PROXY: aws.url,
    https_proxy: aws.url,
    NO_PROXY: loopback,
    no_proxy: loopback,
    SSL_CERT_FILE: pki.caFile,
    AWS_EC2_METADATA_DISABLED: 'true',
    AWS_CONFIG_FILE: join(home, 'aws-config-absent'),
    AWS_SHARED_CREDENTIALS_FILE: join(home, 'aws-credentials-absent'),
    // AWS_REGION is deliberately unset: the Go provider would use it instead of the node's region label.
  };
}

/** What the Go provider needs of the AWS stub: its URL and endpoint variables (it may run in another process). */
export type AwsEndpoint = Pick<AwsStub, 'url' | 'endpointEnv'>;

export interface GoProviderOptions {
  aws: AwsEndpoint;
  kube: Pick<KubeApi, 'serviceEnv'>;
  pki: TestPki;
  /** Holds the token the Kubernetes stub expects and the CA of `pki`. */
  sandbox: InClusterSandbox;
  /** Extra command-line flags, e.g. ['--qps=50', '--burst=100']. */
  args?: string[];
  /** Run inside this (budget mode: a cgroup with the chart's limits). */
  confine?: Confinement | undefined;
  readyTimeoutMs?: number | undefined;
}

/** Starts the Go provider with its socket and klog output (provider.log) in a fresh temp dir. */
export async function startGoProvider(opts: GoProviderOptions): Promise<LaunchedProvider> {
  if (!goProviderAvailable()) {
    throw new Error(GO_PROVIDER_BIN ? `Go provider binary not found at ${GO_PROVIDER_BIN}` : 'BENCH_GO_PROVIDER_BIN is not set');
  }
  const dir = makeTempDir('bench-go-provider-');
  const [command, args] = opts.sandbox.wrap(GO_PROVIDER_BIN!, [`--provider-volume=${dir}`, ...(opts.args ?? [])]);
  return launchProvider({
    name: 'Go provider',
    command,
    args,
    env: goProviderEnv(opts.aws, opts.kube, opts.pki, dir),
    socketPath: join(dir, 'aws.sock'),
    logFile: join(dir, 'provider.log'),
    cleanUp: () => removeTempDir(dir),
    confine: opts.confine,
    ...(opts.readyTimeoutMs !== undefined && { readyTimeoutMs: opts.readyTimeoutMs }),
  });
}
