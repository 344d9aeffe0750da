// Runs our provider (the production bundle, `node dist/main.js`) as a child process for the bench, the way
// the DaemonSet runs it, and measures it the same way go-provider.ts measures the Go provider: start-up
// from exec to the first answered Version (wall ms, CPU from /proc, RSS), then CPU and memory on demand.
//
// The environment is the bench's minus anything that could give it credentials (AWS_*, NODE_OPTIONS), with
// AWS_ENDPOINT_URL pointing at the AWS stub: the provider authenticates only as the pod (IRSA through the
// kubeconfig's API server and STS, or Pod Identity through the agent URL given by flag).
// Its logs go to a file (not a pipe the bench would have to drain on its own event loop).
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { promisify } from 'node:util';
import { closeSync, existsSync, openSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { REPO_ROOT } from './go-provider.js';
import { LaunchedProvider, trackLive, waitUntilServing, type StartupStats } from './launch.js';
import { ProviderClient } from './provider-client.js';
import { makeTempDir, removeTempDir } from './temp.js';

/** The bundle to run: BENCH_PROVIDER_ENTRY if set, else dist/main.js (`npm run build`). */
export const OUR_PROVIDER_ENTRY = process.env['BENCH_PROVIDER_ENTRY'] || join(REPO_ROOT, 'dist', 'main.js');
/** Node flags before the entry, e.g. BENCH_PROVIDER_NODE_ARGS="--cpu-prof --cpu-prof-dir=/tmp/prof" to profile. */
export const OUR_PROVIDER_NODE_ARGS = (process.env['BENCH_PROVIDER_NODE_ARGS'] ?? imageNodeOptions()).split(/\s+/).filter(Boolean);

/** The V8 flags the image runs the provider with (Dockerfile `ENV NODE_OPTIONS`): measure what ships. */
function imageNodeOptions(): string {
  const dockerfile = readFileSync(join(REPO_ROOT, 'Dockerfile'), 'utf8');
  return /^ENV NODE_OPTIONS="([^"]*)"/m.exec(dockerfile)?.[1] ?? '';
}

/**
 * Flags the bench adds for this build of the provider, read from its --help: the operations port (metrics,
 * probes) stays on, as in production, but on a free loopback port (`127.0.0.1:0`) instead of the default
 * :8989, so two providers (or another user of the port) never collide. Builds without the flag get nothing.
 */
export async function benchFlags(entry = OUR_PROVIDER_ENTRY): Promise<string[]> {
  let help = '';
  try {
    help = (await promisify(execFile)(process.execPath, [entry, '--help'], { encoding: 'utf8', timeout: 15_000 })).stdout;
  } catch (err) {
    help = String((err as { stdout?: string }).stdout ?? '');
  }
  return help.includes('metrics-addr') ? ['--metrics-addr=127.0.0.1:0'] : [];
}

export interface OurProviderOptions {
  /** AWS stub base URL, given to the SDK as AWS_ENDPOINT_URL. */
  awsUrl: string;
  /** Kubeconfig pointing at the Kubernetes stub. */
  kubeconfig: string;
  /** Pod Identity agent URL (IPv4 and IPv6 flags both get it). */
  podIdentityUrl: string;
  entry?: string;
  args?: string[];
  env?: Record<string, string>;
  readyTimeoutMs?: number;
}

export class OurProvider extends LaunchedProvider {
  private constructor(
    child: ChildProcess,
    socketPath: string,
    logFile: string,
    startup: StartupStats,
    client: ProviderClient,
    private readonly dir: string,
  ) {
    super(child, socketPath, logFile, startup, client);
  }

  static async start(opts: OurProviderOptions): Promise<OurProvider> {
    const entry = opts.entry ?? OUR_PROVIDER_ENTRY;
    if (!existsSync(entry)) throw new Error(`${entry} not found; run npm run build`);
    const dir = makeTempDir('bench-ours-');
    const socketPath = join(dir, 'aws.sock');
    const logFile = join(dir, 'provider.log');
    const args = [
      ...OUR_PROVIDER_NODE_ARGS,
      entry,
      '--provider-volume', dir,
      '--kubeconfig', opts.kubeconfig,
      '--pod-identity-endpoint-ipv4', opts.podIdentityUrl,
      '--pod-identity-endpoint-ipv6', opts.podIdentityUrl,
      ...(opts.args ?? []),
    ];
    const log = openSync(logFile, 'a');
    const t0 = performance.now();
    const child = spawn(process.execPath, args, {
      cwd: REPO_ROOT,
      env: providerEnv({ AWS_ENDPOINT_URL: opts.awsUrl, ...(opts.env ?? {}) }),
      stdio: ['ignore', log, log],
    });
    closeSync(log);
    trackLive(child);
    let ready;
    try {
      ready = await waitUntilServing({ name: 'our provider', child, socketPath, logFile, startedAt: t0, ...(opts.readyTimeoutMs !== undefined && { timeoutMs: opts.readyTimeoutMs }) });
    } catch (err) {
      removeTempDir(dir);
      throw err;
    }
    const { client, startup } = ready;
    return new OurProvider(child, socketPath, logFile, startup, client, dir);
  }

  protected cleanUp(): void {
    removeTempDir(this.dir);
  }
}

/** The bench's environment without credentials or Node options; shared AWS config files point nowhere. */
function providerEnv(extra: Record<string, string>): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [k, v] of Object.entries(process.env)) {
    if (k.startsWith('AWS_') || k === 'NODE_OPTIONS' || k.startsWith('BENCH_')) continue;
    env[k] = v;
  }
  env['AWS_EC2_METADATA_DISABLED'] = 'true';
  env['AWS_SHARED_CREDENTIALS_FILE'] = '/nonexistent/aws-credentials';
  env['AWS_CONFIG_FILE'] = '/nonexistent/aws-config';
  return { ...env, ...extra };
}

