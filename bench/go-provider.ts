// Runs the Go AWS provider (built by scripts/install-go-provider.sh into .tools/bin) as a child process
// against the bench's AWS and Kubernetes stubs, so the bench can call its aws.sock exactly like ours.
//
// The Go provider only runs in-cluster (rest.InClusterConfig): it needs KUBERNETES_SERVICE_HOST/PORT and
// /var/run/secrets/kubernetes.io/serviceaccount/{token,ca.crt}. Those files are put in a private mount
// namespace (unshare -m) held open by a small holder process; the provider is started inside it with
// nsenter, which execs in place, so the child's pid is the provider's pid and /proc numbers are its own.
// In that namespace /run (where /var/run points) is covered by an overlay, so nothing on the host changes.
//
// AWS: AWS_ENDPOINT_URL_SECRETS_MANAGER / _SSM / _STS point at the stub; the Pod Identity agent address is
// hard-coded (http://169.254.170.23/v1/credentials), so HTTP_PROXY points at the stub, which answers
// proxy-form requests; HTTPS_PROXY also points at it (with the stub's TLS on) for any AWS client that
// ignores the endpoint variables (then SSL_CERT_FILE makes Go trust the bench CA). Go never proxies
// loopback addresses, and NO_PROXY says so too, so the stub and the Kubernetes stub are reached directly.
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, mkdirSync, openSync, closeSync, readFileSync, rmSync, writeFileSync, rmdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { performance } from 'node:perf_hooks';
import type { AwsStub } from './aws-stub.js';
import type { KubeStub } from './kube-stub.js';
import type { TestPki } from './pki.js';
import type { ProviderClient } from './provider-client.js';
import { LaunchedProvider, trackLive, waitUntilServing, type StartupStats } from './launch.js';

export const REPO_ROOT = join(dirname(fileURLToPath(import.meta.url)), '..');
/** The Go provider binary: BENCH_GO_PROVIDER_BIN if set, else what scripts/install-go-provider.sh builds. */
export const GO_PROVIDER_BIN = process.env['BENCH_GO_PROVIDER_BIN'] || join(REPO_ROOT, '.tools', 'bin', 'secrets-store-csi-driver-provider-aws');
export const GO_PROVIDER_STAMP = join(REPO_ROOT, '.build', 'go', 'provider.stamp');
export const SA_DIR = '/var/run/secrets/kubernetes.io/serviceaccount';

export function goProviderAvailable(binary = GO_PROVIDER_BIN): boolean {
  return existsSync(binary);
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

// ---- the in-cluster files ------------------------------------------------------------------------

export type SandboxRecipe = 'unshare' | 'host';

/**
 * Makes the service-account token and CA visible at /var/run/secrets/kubernetes.io/serviceaccount for
 * processes started through `wrap`. Preferred: a private mount namespace (recipe 'unshare'). Fallback,
 * only if unshare is not permitted and the directory does not exist: create it on the host and remove
 * it again on close (recipe 'host').
 */
export class InClusterSandbox {
  private constructor(
    readonly recipe: SandboxRecipe,
    private readonly dir: string,
    private readonly holder: ChildProcess | undefined,
    private readonly hostCreated: string[],
  ) {}

  /** Pid of the process holding the mount namespace (recipe 'unshare'). */
  get holderPid(): number | undefined {
    return this.holder?.pid;
  }

  static async create(opts: { token: string; caPem: string; namespace?: string; allowHostFallback?: boolean }): Promise<InClusterSandbox> {
    const dir = mkdtempSync(join(tmpdir(), 'bench-incluster-'));
    writeFileSync(join(dir, 'token'), opts.token);
    writeFileSync(join(dir, 'ca.crt'), opts.caPem);
    writeFileSync(join(dir, 'namespace'), opts.namespace ?? 'kube-system');
    mkdirSync(join(dir, 'mnt'));
    try {
      const holder = await startHolder(dir);
      return new InClusterSandbox('unshare', dir, holder, []);
    } catch (err) {
      if (opts.allowHostFallback === false) throw err;
      if (existsSync(SA_DIR)) {
        throw new Error(`unshare failed (${(err as Error).message}) and ${SA_DIR} already exists on the host; refusing to overwrite it`);
      }
      const created: string[] = [];
      let p = SA_DIR;
      while (!existsSync(p)) {
        created.unshift(p);
        p = dirname(p);
      }
      mkdirSync(SA_DIR, { recursive: true });
      for (const f of ['token', 'ca.crt', 'namespace']) writeFileSync(join(SA_DIR, f), readFileSync(join(dir, f)));
      process.stderr.write(`go-provider: unshare unavailable (${(err as Error).message}); wrote ${SA_DIR} on the host (removed on close)\n`);
      return new InClusterSandbox('host', dir, undefined, created);
    }
  }

  /** The command line that runs `cmd args` with the in-cluster files visible (exec in place: same pid). */
  wrap(cmd: string, args: string[]): [string, string[]] {
    if (this.recipe === 'unshare') {
      return ['nsenter', [`--target=${this.holder!.pid}`, '--mount', '--', cmd, ...args]];
    }
    return [cmd, args];
  }

  async close(): Promise<void> {
    if (this.holder && this.holder.exitCode === null) {
      const exited = new Promise((resolve) => this.holder!.once('exit', resolve));
      this.holder.stdin?.end();
      this.holder.kill('SIGTERM');
      await exited;
    }
    if (this.recipe === 'host') {
      for (const f of ['token', 'ca.crt', 'namespace']) rmSync(join(SA_DIR, f), { force: true });
      for (const d of [...this.hostCreated].reverse()) {
        try {
          rmdirSync(d);
        } catch {
          /* not empty or gone */
        }
      }
    }
    rmSync(this.dir, { recursive: true, force: true });
  }
}

// Runs in the new mount namespace: covers /run (the target of /var/run) with an overlay whose upper layer
// is a private tmpfs, creates the service-account directory there, then waits until stdin closes.
const HOLDER_SCRIPT = `
set -eu
d="$1"
mount --make-rprivate /
if [ -d ${SA_DIR} ]; then
  mount -t tmpfs -o size=1m,mode=0755 tmpfs ${SA_DIR}
else
  run=$(readlink -f /var/run)
  mount -t tmpfs -o size=8m tmpfs "$d/mnt"
  mkdir "$d/mnt/upper" "$d/mnt/work"
  if ! mount -t overlay overlay -o "lowerdir=$run,upperdir=$d/mnt/upper,workdir=$d/mnt/work" "$run" 2>/dev/null; then
    mount -t tmpfs -o size=8m,mode=0755 tmpfs "$run"
  fi
  mkdir -p ${SA_DIR}
fi
cp "$d/token" "$d/ca.crt" "$d/namespace" ${SA_DIR}/
echo ready
exec cat >/dev/null
`;

async function startHolder(dir: string): Promise<ChildProcess> {
  const holder = spawn('unshare', ['--mount', '--propagation', 'private', 'sh', '-c', HOLDER_SCRIPT, 'holder', dir], {
    stdio: ['pipe', 'pipe', 'pipe'],
  });
  let out = '';
  let err = '';
  holder.stdout!.on('data', (c: Buffer) => (out += c.toString()));
  holder.stderr!.on('data', (c: Buffer) => (err += c.toString()));
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error('mount namespace holder did not get ready in 10 s')), 10_000);
    holder.once('error', (e) => {
      clearTimeout(timer);
      reject(e);
    });
    holder.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`unshare exited with ${code}: ${err.trim()}`));
    });
    holder.stdout!.on('data', () => {
      if (out.includes('ready')) {
        clearTimeout(timer);
        holder.removeAllListeners('exit');
        resolve();
      }
    });
  });
  // Check from inside that the file is there (and from outside that the host has no such file).
  const check = spawnSync('nsenter', [`--target=${holder.pid}`, '--mount', '--', 'cat', join(SA_DIR, 'namespace')], { encoding: 'utf8' });
  if (check.status !== 0) {
    holder.kill('SIGKILL');
    throw new Error(`nsenter into the holder failed: ${check.stderr.trim()}`);
  }
  holder.unref();
  (holder.stdout as unknown as { unref?: () => void }).unref?.();
  (holder.stderr as unknown as { unref?: () => void }).unref?.();
  return holder;
}

// ---- the provider process ------------------------------------------------------------------------

/** The environment the Go provider gets (nothing inherited but PATH). */
export function goProviderEnv(aws: AwsEndpoint, kube: KubeStub, pki: TestPki, home: string): Record<string, string> {
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
  kube: KubeStub;
  pki: TestPki;
  /** Started with InClusterSandbox.create if not given (and closed on stop). */
  sandbox?: InClusterSandbox;
  /** Token the in-cluster client presents (must match KubeStub's `token`); default "bench-provider-token". */
  token?: string;
  binary?: string;
  /** Directory for aws.sock; a fresh temp dir by default. */
  socketDir?: string;
  /** Extra command-line flags, e.g. ['--qps=50', '--burst=100']. */
  args?: string[];
  /** Extra environment variables. */
  env?: Record<string, string>;
  /** klog output goes here; default <socketDir>/provider.log. */
  logFile?: string;
  readyTimeoutMs?: number;
}

export type { StartupStats } from './launch.js';

export class GoProvider extends LaunchedProvider {
  private constructor(
    child: ChildProcess,
    socketPath: string,
    logFile: string,
    startup: StartupStats,
    client: ProviderClient,
    readonly sandbox: InClusterSandbox,
    private readonly ownSandbox: boolean,
    private readonly ownDir: string | undefined,
  ) {
    super(child, socketPath, logFile, startup, client);
  }

  static async start(opts: GoProviderOptions): Promise<GoProvider> {
    const binary = opts.binary ?? GO_PROVIDER_BIN;
    if (!existsSync(binary)) {
      throw new Error(`Go provider binary not found at ${binary}; run scripts/install-go-provider.sh`);
    }
    const token = opts.token ?? 'bench-provider-token';
    const ownSandbox = !opts.sandbox;
    const sandbox = opts.sandbox ?? (await InClusterSandbox.create({ token, caPem: opts.pki.caPem }));
    const ownDir = opts.socketDir ? undefined : mkdtempSync(join(tmpdir(), 'bench-go-provider-'));
    const socketDir = opts.socketDir ?? ownDir!;
    const socketPath = join(socketDir, 'aws.sock');
    const logFile = opts.logFile ?? join(socketDir, 'provider.log');
    const env = { ...goProviderEnv(opts.aws, opts.kube, opts.pki, socketDir), ...(opts.env ?? {}) };
    const [cmd, args] = sandbox.wrap(binary, [`--provider-volume=${socketDir}`, ...(opts.args ?? [])]);
    const log = openSync(logFile, 'a');

    const t0 = performance.now();
    const child = spawn(cmd, args, { env, stdio: ['ignore', log, log] });
    closeSync(log);
    trackLive(child);
    let ready;
    try {
      ready = await waitUntilServing({ name: 'Go provider', child, socketPath, logFile, startedAt: t0, ...(opts.readyTimeoutMs !== undefined && { timeoutMs: opts.readyTimeoutMs }) });
    } catch (err) {
      if (ownSandbox) await sandbox.close();
      throw err;
    }
    const { client, startup } = ready;
    return new GoProvider(child, socketPath, logFile, startup, client, sandbox, ownSandbox, ownDir);
  }

  protected async cleanUp(): Promise<void> {
    if (this.ownSandbox) await this.sandbox.close();
    if (this.ownDir) rmSync(this.ownDir, { recursive: true, force: true });
  }
}


