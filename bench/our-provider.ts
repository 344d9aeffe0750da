// Runs our provider (the production bundle, `node dist/main.js`) as a child process for the bench, the way
// the DaemonSet runs it, and measures it the same way go-provider.ts measures the Go provider: start-up
// from exec to the first answered Version (wall ms, CPU from /proc, RSS), then CPU and memory on demand.
//
// The environment is the tests' clean one (cleanEnv: nothing that could give it credentials), with
// AWS_ENDPOINT_URL pointing at the AWS stub: the provider authenticates only as the pod (IRSA through the
// kubeconfig's API server and STS, or Pod Identity through the agent URL given by flag).
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { REPO_ROOT } from '../test/harness/paths.js';
import { makeTempDir, removeTempDir } from '../test/harness/process-cleanup.js';
import { cleanEnv } from '../test/harness/provider-process.js';
import type { Confinement } from './cgroup.js';
import { launchProvider, type LaunchedProvider } from './launch.js';

/**
 * The image's runtime, Node 22, whose flags (Dockerfile NODE_OPTIONS) an older node refuses: `npm run setup`
 * puts it in .tools/node when the machine's node is older (as scripts/test.mjs picks it for the tests).
 */
export const OUR_PROVIDER_NODE = ((): string => {
  const node22 = join(REPO_ROOT, '.tools', 'node', 'bin', 'node');
  return Number(process.versions.node.split('.')[0]) < 22 && existsSync(node22) ? node22 : process.execPath;
})();
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
    help = (await promisify(execFile)(OUR_PROVIDER_NODE, [entry, '--help'], { encoding: 'utf8', timeout: 15_000 })).stdout;
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
  args?: string[];
  /** Run inside this (budget mode: a cgroup with the chart's limits). */
  confine?: Confinement | undefined;
  readyTimeoutMs?: number | undefined;
}

/** Starts `node dist/main.js` with its socket and log (provider.log) in a fresh temp dir. */
export async function startOurProvider(opts: OurProviderOptions): Promise<LaunchedProvider> {
  if (!existsSync(OUR_PROVIDER_ENTRY)) throw new Error(`${OUR_PROVIDER_ENTRY} not found; run npm run build`);
  const dir = makeTempDir('bench-ours-');
  return launchProvider({
    name: 'our provider',
    command: OUR_PROVIDER_NODE,
    args: [
      ...OUR_PROVIDER_NODE_ARGS,
      OUR_PROVIDER_ENTRY,
      '--provider-volume', dir,
      '--kubeconfig', opts.kubeconfig,
      '--pod-identity-endpoint-ipv4', opts.podIdentityUrl,
      '--pod-identity-endpoint-ipv6', opts.podIdentityUrl,
      ...(opts.args ?? []),
    ],
    cwd: REPO_ROOT,
    env: cleanEnv({ AWS_ENDPOINT_URL: opts.awsUrl }),
    socketPath: join(dir, 'aws.sock'),
    logFile: join(dir, 'provider.log'),
    cleanUp: () => removeTempDir(dir),
    confine: opts.confine,
    ...(opts.readyTimeoutMs !== undefined && { readyTimeoutMs: opts.readyTimeoutMs }),
  });
}
