// Runs the Go AWS provider (built by scripts/install-go-provider.sh into .tools/bin) as a child process
// against the bench's AWS and Kubernetes stubs, so the bench can call its aws.sock exactly like ours.
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
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { AwsStub } from '../test/harness/aws-stub.js';
import type { InClusterSandbox } from '../test/harness/in-cluster-sandbox.js';
import type { KubeApi } from '../test/harness/kube-api.js';
import { REPO_ROOT } from '../test/harness/paths.js';
import type { TestPki } from '../test/harness/pki.js';
import { makeTempDir, removeTempDir } from '../test/harness/process-cleanup.js';
import { launchProvider, type LaunchedProvider } from './launch.js';

/** The Go provider binary: BENCH_GO_PROVIDER_BIN if set, else what scripts/install-go-provider.sh builds. */
export const GO_PROVIDER_BIN = process.env['BENCH_GO_PROVIDER_BIN'] || join(REPO_ROOT, '.tools', 'bin', 'secrets-store-csi-driver-provider-aws');
export const GO_PROVIDER_STAMP = join(REPO_ROOT, '.build', 'go', 'provider.stamp');

export function goProviderAvailable(): boolean {
  return existsSync(GO_PROVIDER_BIN);
}

/** What scripts/install-go-provider.sh recorded (ref, module_version, commit, build_seconds, ...). */
export function goProviderBuildInfo(): Record<string, string> | undefined {
  if (!existsSync(GO_PROVIDER_STAMP)) return undefined;
  const out: Record<string, string> = {};
  for (const line of readFileSync(GO_PROVIDER_STAMP, 'utf8').split('\n')) {
    const i = line.indexOf('=');
    if (i > 0) out[line.slice(0, i)] = line.slice(i + 1);
  }
  return out;
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
}

/** Starts the Go provider with its socket and klog output (provider.log) in a fresh temp dir. */
export async function startGoProvider(opts: GoProviderOptions): Promise<LaunchedProvider> {
  if (!goProviderAvailable()) {
    throw new Error(`Go provider binary not found at ${GO_PROVIDER_BIN}; run scripts/install-go-provider.sh`);
  }
  const dir = makeTempDir('bench-go-provider-');
  const [command, args] = opts.sandbox.wrap(GO_PROVIDER_BIN, [`--provider-volume=${dir}`, ...(opts.args ?? [])]);
  return launchProvider({
    name: 'Go provider',
    command,
    args,
    env: goProviderEnv(opts.aws, opts.kube, opts.pki, dir),
    socketPath: join(dir, 'aws.sock'),
    logFile: join(dir, 'provider.log'),
    cleanUp: () => removeTempDir(dir),
  });
}
