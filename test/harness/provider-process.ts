// Runs the provider under test as a real child process (`node dist/main.js ...`), the way the DaemonSet
// does, and captures everything it prints so tests can check its logs (e.g. that tokens and secret values
// never appear).
//
// Why a clean environment: the provider must authenticate only as the pod (IRSA or Pod Identity). Any AWS_*
// variable from the developer's shell (keys, profiles, web identity) is removed, shared config files point
// nowhere and IMDS is disabled, so an accidental fallback to the default credential chain fails fast instead
// of silently passing.
// Why the --import guard: the child runs in its own process group (so stop() can kill the group), which
// exit handlers cover, but not a SIGKILL of the test process; the guard (an unref'd timer) makes the child
// kill itself when its parent disappears.
import { spawn, type ChildProcess } from 'node:child_process';
import { join } from 'node:path';
import { connectProvider, type ProviderClient } from './grpc-client.js';
import { REPO_ROOT } from './paths.js';
import { makeTempDir, removeTempDir, signalGroup, trackChild } from './process-cleanup.js';

export interface StartProviderOptions {
  /** Flags after the entry point, e.g. ['--kubeconfig', f, '--driver-writes-secrets']. `--provider-volume` is added. */
  args?: string[];
  /** Added to the cleaned environment (e.g. { AWS_ENDPOINT_URL: proxy.url }). */
  env?: Record<string, string>;
  /** Directory for aws.sock; default a fresh short temp dir (a socket path must fit in 107 bytes). */
  providerVolume?: string;
  /** Script to run; default <repo>/dist/main.js. */
  entry?: string;
  /** Node flags before the entry, e.g. ['--import', 'tsx'] to run a .ts fixture. */
  nodeArgs?: string[];
  /** Rewrites the command line, e.g. InClusterSandbox.wrap to start it in another mount namespace (it must exec in place). */
  wrap?: (command: string, args: string[]) => [string, string[]];
  /** Wait for Version to answer (default true); false to test start-up failures via `exited`/`logs()`. */
  waitForReady?: boolean;
  readyTimeoutMs?: number;
}

export interface ExitStatus {
  code: number | null;
  signal: NodeJS.Signals | null;
}

export interface ProviderProcess {
  readonly pid: number;
  readonly child: ChildProcess;
  readonly providerVolume: string;
  readonly socketPath: string;
  /** A connected gRPC client (closed by stop()). */
  readonly client: ProviderClient;
  /** stdout and stderr interleaved, as captured so far. */
  logs(): string;
  /** Resolves with the logs once `pattern` appears in them. */
  waitForLog(pattern: RegExp | string, timeoutMs?: number): Promise<string>;
  /** Settles when the process exits, for whatever reason. */
  readonly exited: Promise<ExitStatus>;
  /** Sends `signal` (default SIGTERM), waits up to `timeoutMs` (then SIGKILLs the group), returns the exit status. */
  stop(signal?: NodeJS.Signals, timeoutMs?: number): Promise<ExitStatus>;
}

const ORPHAN_GUARD =
  'data:text/javascript,' +
  encodeURIComponent(
    'const p=process.ppid;setInterval(()=>{if(process.ppid!==p)process.kill(process.pid,"SIGKILL")},500).unref();',
  );

/** Environment for the child: ours minus anything that could give it credentials or test-runner state. */
export function cleanEnv(extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [k, v] of Object.entries(process.env)) {
    if (k.startsWith('AWS_') || k === 'NODE_OPTIONS' || k === 'NODE_TEST_CONTEXT') continue;
    env[k] = v;
  }
  env.AWS_EC2_METADATA_DISABLED = 'true';
  env.AWS_SHARED_CREDENTIALS_FILE = '/nonexistent/aws-credentials';
  env.AWS_CONFIG_FILE = '/nonexistent/aws-config';
  return { ...env, ...extra };
}

export async function startProvider(options: StartProviderOptions = {}): Promise<ProviderProcess> {
  const ownsVolume = options.providerVolume === undefined;
  const providerVolume = options.providerVolume ?? makeTempDir('ascp-');
  const socketPath = join(providerVolume, 'aws.sock');
  const entry = options.entry ?? join(REPO_ROOT, 'dist', 'main.js');
  const args = [
    '--import',
    ORPHAN_GUARD,
    ...(options.nodeArgs ?? []),
    entry,
    '--provider-volume',
    providerVolume,
    ...(options.args ?? []),
  ];

  const [command, commandArgs] = options.wrap?.(process.execPath, args) ?? [process.execPath, args];
  const child = spawn(command, commandArgs, {
    cwd: REPO_ROOT,
    env: cleanEnv(options.env),
    detached: true,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  trackChild(child);
  let output = '';
  const waiters = new Set<() => void>();
  const append = (chunk: string) => {
    output += chunk;
    for (const w of waiters) w();
  };
  child.stdout!.setEncoding('utf8').on('data', append);
  child.stderr!.setEncoding('utf8').on('data', append);

  const exited = new Promise<ExitStatus>((resolveExit) => {
    child.once('exit', (code, signal) => resolveExit({ code, signal }));
  });
  let hasExited = false;
  void exited.then(() => {
    hasExited = true;
    for (const w of waiters) w();
  });
  const spawnError = new Promise<never>((_, reject) => child.once('error', reject));
  spawnError.catch(() => {});

  // Short reconnect backoff: the socket appears a moment after spawn, and grpc-js would otherwise back off
  // for seconds (1 s, 1.6 s, 2.6 s, ...) after the first refused connection.
  const client = connectProvider(socketPath, {
    'grpc.initial_reconnect_backoff_ms': 50,
    'grpc.max_reconnect_backoff_ms': 500,
  });
  let stopping: Promise<ExitStatus> | undefined;

  const proc: ProviderProcess = {
    pid: child.pid ?? -1,
    child,
    providerVolume,
    socketPath,
    client,
    logs: () => output,
    exited,
    waitForLog(pattern, timeoutMs = 10_000) {
      const found = () => (typeof pattern === 'string' ? output.includes(pattern) : pattern.test(output));
      return new Promise((resolveLog, reject) => {
        const check = () => {
          if (found()) {
            finish();
            resolveLog(output);
          } else if (hasExited) {
            finish();
            reject(new Error(`provider exited before logging ${String(pattern)}; logs:\n${output}`));
          }
        };
        const timer = setTimeout(() => {
          finish();
          reject(new Error(`provider did not log ${String(pattern)} within ${timeoutMs} ms; logs:\n${output}`));
        }, timeoutMs);
        const finish = () => {
          clearTimeout(timer);
          waiters.delete(check);
        };
        waiters.add(check);
        check();
      });
    },
    stop(signal = 'SIGTERM', timeoutMs = 5000) {
      stopping ??= (async () => {
        client.close();
        if (!hasExited) {
          try {
            process.kill(child.pid!, signal); // the provider itself gets the signal, as from kubelet
          } catch {
            // already gone
          }
          const timer = setTimeout(() => signalGroup(child, 'SIGKILL'), timeoutMs);
          await exited;
          clearTimeout(timer);
        }
        // Anything the provider left in its group (it should leave nothing).
        signalGroup(child, 'SIGKILL');
        if (ownsVolume) removeTempDir(providerVolume);
        return exited;
      })();
      return stopping;
    },
  };

  if (options.waitForReady ?? true) {
    try {
      await Promise.race([waitForVersion(client, options.readyTimeoutMs ?? 15_000, () => hasExited), spawnError]);
    } catch (err) {
      await proc.stop('SIGKILL');
      const status = await exited;
      throw new Error(
        `provider did not answer Version on ${socketPath} (${(err as Error).message}; ` +
          `exit code ${status.code}, signal ${status.signal}); logs:\n${output}`,
      );
    }
  }
  return proc;
}

async function waitForVersion(client: ProviderClient, timeoutMs: number, hasExited: () => boolean): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  while (Date.now() < deadline) {
    if (hasExited()) throw new Error('the process exited');
    try {
      await client.version({}, { deadlineMs: Math.min(1000, Math.max(1, deadline - Date.now())) });
      return;
    } catch (err) {
      last = err;
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`timed out after ${timeoutMs} ms: ${(last as Error | undefined)?.message ?? 'no answer'}`);
}
