// The in-cluster files a Kubernetes client reads (rest.InClusterConfig, KubeConfig.loadFromCluster): the
// service-account token and CA at /var/run/secrets/kubernetes.io/serviceaccount, for a provider started
// through `wrap`. They live in a private mount namespace (unshare -m) held open by a small holder process;
// `wrap` starts the command inside it with nsenter, which execs in place, so the child's pid is the
// command's own. In that namespace /run (where /var/run points) is covered by an overlay, so nothing on the
// host changes.
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, rmSync, rmdirSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { makeTempDir, removeTempDir } from './process-cleanup.js';

export const SA_DIR = '/var/run/secrets/kubernetes.io/serviceaccount';

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
    const dir = makeTempDir('incluster-');
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
      process.stderr.write(`in-cluster sandbox: unshare unavailable (${(err as Error).message}); wrote ${SA_DIR} on the host (removed on close)\n`);
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
    removeTempDir(this.dir);
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
