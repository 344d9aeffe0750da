// One cgroup per provider process for `npm run bench -- --budget`: the CPU quota and memory limit of the
// chart's resources.limits, set as kubelet sets them for a container, and the kernel's own accounting read
// back (CPU time, throttling, peak memory, OOM kills). cgroup v1 (separate cpu, cpuacct and memory
// hierarchies, or co-mounted) and v2 (the unified hierarchy); needs root.
//
// The provider joins its cgroup before it execs (a `sh` that writes its own pid into cgroup.procs, then
// execs the provider in place), so its whole life is accounted, start-up included, and its pid stays the
// one the bench spawned. Pages it writes to tmpfs (the pods' secret files) are charged to its cgroup.
//
// Where the cgroups go: v1, below the bench's own cgroup in each hierarchy (nested, so any limit on the
// bench still applies); v2, next to the bench's own cgroup (a cgroup v2 that holds processes cannot
// enable controllers for children), or in the hierarchy's root when the bench runs there.
// Removal: `release()` after the provider exits; on exit or SIGINT/SIGTERM/SIGHUP of the bench, what is
// left is emptied (SIGKILL to the pids listed in its cgroup.procs: only providers the bench started)
// and removed synchronously.
import { existsSync, mkdirSync, readFileSync, rmdirSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import type { BudgetLimits } from './chart-limits.js';

export type CgroupVersion = 1 | 2;

/** The kernel's accounting of one cgroup over its whole life. */
export interface CgroupUsage {
  name: string;
  /** CPU time of every process that ran in it (cpuacct.usage / cpu.stat usage_usec). */
  cpuMs: number;
  /** The user/system split, sampled at the scheduler tick (so it need not add up to cpuMs exactly). */
  cpuUserMs: number | undefined;
  cpuSystemMs: number | undefined;
  /** CFS periods in which it ran, and in how many of them it used up its quota and was stopped. */
  periods: number;
  throttledPeriods: number;
  /** Time its runnable threads spent stopped by the quota. */
  throttledMs: number;
  /** memory.max_usage_in_bytes (v1) / memory.peak (v2); undefined where the kernel lacks it. */
  peakMemoryBytes: number | undefined;
  /** How often usage reached the limit and the kernel had to reclaim (memory.failcnt / memory.events max). */
  memoryLimitHits: number | undefined;
  /** Processes the kernel's OOM killer killed in it (memory.oom_control / memory.events oom_kill). */
  oomKills: number | undefined;
}

/** What the launcher needs of a cgroup: a command that starts inside it, and a release after exit. */
export interface Confinement {
  wrap(command: string, args: string[]): [string, string[]];
  /** Once the process has exited: reads the final accounting and removes the cgroup. */
  release(): Promise<void>;
}

/** Joins every cgroup.procs file given (count first), then execs the rest of the arguments in place. */
const JOIN_AND_EXEC = 'n=$1; shift; while [ "$n" -gt 0 ]; do echo $$ > "$1" || exit 125; shift; n=$((n - 1)); done; exec "$@"';

interface Mount {
  root: string;
  mountPoint: string;
  fsType: string;
  superOptions: string[];
}

function mounts(): Mount[] {
  const out: Mount[] = [];
  for (const line of readFileSync('/proc/self/mountinfo', 'utf8').split('\n')) {
    const sep = line.indexOf(' - ');
    if (sep < 0) continue;
    const fields = line.slice(0, sep).split(' ');
    const [fsType, , superOptions = ''] = line.slice(sep + 3).split(' ');
    // mountinfo escapes spaces and the like as \ooo octal.
    const unescape = (s: string) => s.replace(/\\([0-7]{3})/g, (_, o: string) => String.fromCharCode(parseInt(o, 8)));
    out.push({ root: unescape(fields[3] ?? '/'), mountPoint: unescape(fields[4] ?? ''), fsType: fsType ?? '', superOptions: superOptions.split(',') });
  }
  return out;
}

/** /proc/self/cgroup: hierarchy controllers (v1) or '' (v2) -> this process's path in it. */
function ownCgroups(): Array<{ controllers: string[]; path: string }> {
  return readFileSync('/proc/self/cgroup', 'utf8')
    .split('\n')
    .filter(Boolean)
    .map((line) => {
      const [, controllers = '', ...path] = line.split(':');
      return { controllers: controllers ? controllers.split(',') : [], path: path.join(':') };
    });
}

/** The directory of `path` (a cgroup path as /proc/self/cgroup shows it) inside mount `m`. */
function dirIn(m: Mount, path: string): string {
  if (m.root === '/') return join(m.mountPoint, path);
  if (path === m.root || path.startsWith(`${m.root}/`)) return join(m.mountPoint, path.slice(m.root.length));
  return m.mountPoint; // our cgroup lies outside what this mount shows: use its top
}

function readText(file: string): string {
  return readFileSync(file, 'utf8');
}

/** "key value" lines (cpu.stat, memory.events, memory.oom_control) -> record. */
function keyValues(file: string): Record<string, number> {
  const out: Record<string, number> = {};
  for (const line of readText(file).split('\n')) {
    const [k, v] = line.trim().split(/\s+/);
    if (k && v !== undefined) out[k] = Number(v);
  }
  return out;
}

function readNumber(file: string): number | undefined {
  try {
    return Number(readText(file).trim());
  } catch {
    return undefined;
  }
}

function members(procsFile: string): number[] {
  try {
    return readText(procsFile).split('\n').filter(Boolean).map(Number);
  } catch {
    return [];
  }
}

/** Sleeps without an event loop: for the exit handler, which must finish synchronously. */
function sleepSync(ms: number): void {
  Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms);
}

/** The cgroup tree the bench creates its cgroups in, and every cgroup it has not removed yet. */
export class CgroupBudget {
  private readonly live = new Set<ProviderCgroup>();
  private sequence = 0;
  private readonly onExit = () => this.removeAllSync();
  private readonly onSignal = (signal: NodeJS.Signals) => {
    this.removeAllSync();
    // Only re-raise when nobody else handles the signal (run.ts exits with 130 itself).
    if (process.listenerCount(signal) === 0) process.kill(process.pid, signal);
  };

  private constructor(
    readonly version: CgroupVersion,
    /** v1: controller -> parent directory in its hierarchy; v2: 'unified' -> parent directory. */
    private readonly parents: ReadonlyMap<string, string>,
    readonly limits: BudgetLimits,
  ) {
    process.on('exit', this.onExit);
    for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) process.once(signal, this.onSignal);
  }

  /** Finds a usable hierarchy (v2 when it has the cpu and memory controllers, else v1); throws why not. */
  static open(limits: BudgetLimits): CgroupBudget {
    if (process.getuid?.() !== 0) throw new Error('--budget needs root (it creates cgroups)');
    const all = mounts();
    const own = ownCgroups();
    const unified = all.find((m) => m.fsType === 'cgroup2');
    if (unified) {
      const available = readText(join(unified.mountPoint, 'cgroup.controllers')).split(/\s+/);
      if (available.includes('cpu') && available.includes('memory')) {
        const path = own.find((c) => c.controllers.length === 0)?.path ?? '/';
        const self = dirIn(unified, path);
        const parent = self === unified.mountPoint ? self : dirname(self);
        enableV2Controllers(parent);
        return new CgroupBudget(2, new Map([['unified', parent]]), limits);
      }
    }
    const parents = new Map<string, string>();
    for (const controller of ['cpu', 'cpuacct', 'memory']) {
      const m = all.find((x) => x.fsType === 'cgroup' && x.superOptions.includes(controller));
      if (!m) throw new Error(`no cgroup v1 hierarchy with the ${controller} controller, and no cgroup v2 with cpu and memory`);
      const path = own.find((c) => c.controllers.includes(controller))?.path ?? '/';
      parents.set(controller, dirIn(m, path));
    }
    return new CgroupBudget(1, parents, limits);
  }

  /** Where the cgroups are created, for the report. */
  describe(): string {
    const dirs = [...new Set(this.parents.values())];
    return `cgroup v${this.version} under ${dirs.join(', ')}`;
  }

  /** A fresh cgroup with the limits; `onRelease` receives its final accounting once it is released. */
  create(label: string, onRelease?: (usage: CgroupUsage) => void): ProviderCgroup {
    const name = `bench-${process.pid}-${label}-${++this.sequence}`;
    const cg = new ProviderCgroup(name, this.version, this.parents, this.limits, (u) => {
      this.live.delete(cg);
      if (u) onRelease?.(u);
    });
    this.live.add(cg);
    return cg;
  }

  /** Removes what is left (after the providers were stopped) and unhooks the exit handlers. */
  close(): void {
    this.removeAllSync();
    process.off('exit', this.onExit);
    for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) process.off(signal, this.onSignal);
  }

  private removeAllSync(): void {
    for (const cg of this.live) cg.removeSync();
    this.live.clear();
  }
}

function enableV2Controllers(parent: string): void {
  const enabled = readText(join(parent, 'cgroup.subtree_control')).split(/\s+/);
  const missing = ['cpu', 'memory'].filter((c) => !enabled.includes(c));
  if (missing.length === 0) return;
  try {
    writeFileSync(join(parent, 'cgroup.subtree_control'), missing.map((c) => `+${c}`).join(' '));
  } catch (err) {
    throw new Error(
      `cgroup v2: cannot enable ${missing.join(', ')} for the children of ${parent} (${(err as NodeJS.ErrnoException).code ?? String(err)}); ` +
        'a cgroup that holds processes cannot: run the bench from a cgroup whose parent delegates cpu and memory',
      { cause: err },
    );
  }
}

/** One provider's cgroup: created with the limits at once; `wrap` starts a command inside it. */
export class ProviderCgroup implements Confinement {
  /** One directory per hierarchy (v1: cpu, cpuacct, memory, fewer when co-mounted; v2: one). */
  private readonly dirs: Map<string, string>;
  private released = false;

  constructor(
    readonly name: string,
    readonly version: CgroupVersion,
    parents: ReadonlyMap<string, string>,
    limits: BudgetLimits,
    /** Called once removed, with the final accounting (undefined if it could not be read). */
    private readonly onRelease: (usage: CgroupUsage | undefined) => void,
  ) {
    this.dirs = new Map([...parents].map(([controller, parent]) => [controller, join(parent, name)]));
    try {
      for (const dir of new Set(this.dirs.values())) mkdirSync(dir);
      if (version === 2) {
        const dir = this.dir('unified');
        writeFileSync(join(dir, 'cpu.max'), `${limits.cfsQuotaUs} ${limits.cfsPeriodUs}`);
        writeFileSync(join(dir, 'memory.max'), String(limits.memoryBytes));
        // Kubernetes nodes run without swap: the limit is the limit.
        if (existsSync(join(dir, 'memory.swap.max'))) writeFileSync(join(dir, 'memory.swap.max'), '0');
      } else {
        const cpu = this.dir('cpu');
        writeFileSync(join(cpu, 'cpu.cfs_period_us'), String(limits.cfsPeriodUs));
        writeFileSync(join(cpu, 'cpu.cfs_quota_us'), String(limits.cfsQuotaUs));
        const memory = this.dir('memory');
        writeFileSync(join(memory, 'memory.limit_in_bytes'), String(limits.memoryBytes));
        if (existsSync(join(memory, 'memory.memsw.limit_in_bytes'))) writeFileSync(join(memory, 'memory.memsw.limit_in_bytes'), String(limits.memoryBytes));
      }
    } catch (err) {
      this.removeSync();
      throw new Error(`cannot set up cgroup ${name}: ${(err as Error).message}`, { cause: err });
    }
  }

  private dir(controller: string): string {
    return this.dirs.get(controller)!;
  }

  private procsFiles(): string[] {
    return [...new Set(this.dirs.values())].map((d) => join(d, 'cgroup.procs'));
  }

  wrap(command: string, args: string[]): [string, string[]] {
    const files = this.procsFiles();
    return ['/bin/sh', ['-c', JOIN_AND_EXEC, 'sh', String(files.length), ...files, command, ...args]];
  }

  /** The accounting so far (cumulative over the cgroup's life; still readable after its processes exited). */
  usage(): CgroupUsage {
    if (this.version === 2) {
      const dir = this.dir('unified');
      const cpu = keyValues(join(dir, 'cpu.stat'));
      const events = keyValues(join(dir, 'memory.events'));
      return {
        name: this.name,
        cpuMs: (cpu['usage_usec'] ?? 0) / 1000,
        cpuUserMs: cpu['user_usec'] === undefined ? undefined : cpu['user_usec'] / 1000,
        cpuSystemMs: cpu['system_usec'] === undefined ? undefined : cpu['system_usec'] / 1000,
        periods: cpu['nr_periods'] ?? 0,
        throttledPeriods: cpu['nr_throttled'] ?? 0,
        throttledMs: (cpu['throttled_usec'] ?? 0) / 1000,
        peakMemoryBytes: readNumber(join(dir, 'memory.peak')), // Linux 5.19+
        memoryLimitHits: events['max'],
        oomKills: events['oom_kill'],
      };
    }
    const cpu = keyValues(join(this.dir('cpu'), 'cpu.stat'));
    const acct = this.dir('cpuacct');
    const memory = this.dir('memory');
    const ns = (file: string) => {
      const v = readNumber(join(acct, file));
      return v === undefined ? undefined : v / 1e6;
    };
    return {
      name: this.name,
      cpuMs: ns('cpuacct.usage') ?? 0,
      cpuUserMs: ns('cpuacct.usage_user'),
      cpuSystemMs: ns('cpuacct.usage_sys'),
      periods: cpu['nr_periods'] ?? 0,
      throttledPeriods: cpu['nr_throttled'] ?? 0,
      throttledMs: (cpu['throttled_time'] ?? 0) / 1e6,
      peakMemoryBytes: readNumber(join(memory, 'memory.max_usage_in_bytes')),
      memoryLimitHits: readNumber(join(memory, 'memory.failcnt')),
      oomKills: keyValues(join(memory, 'memory.oom_control'))['oom_kill'], // Linux 4.13+
    };
  }

  async release(): Promise<void> {
    if (this.released) return;
    // The provider has exited; a process it left behind would keep the cgroup busy.
    for (let i = 0; i < 50 && this.procsFiles().some((f) => members(f).length > 0); i++) {
      if (i === 10) this.killMembers();
      await sleep(20);
    }
    let usage: CgroupUsage | undefined;
    try {
      usage = this.usage();
    } finally {
      this.removeSync();
      this.onRelease(usage);
    }
  }

  private killMembers(): void {
    for (const file of this.procsFiles()) {
      for (const pid of members(file)) {
        try {
          process.kill(pid, 'SIGKILL');
        } catch {
          // exited meanwhile
        }
      }
    }
  }

  /** Empties the cgroup (SIGKILL to its members, waiting up to 2 s) and removes its directories. */
  removeSync(): void {
    if (this.released) return;
    this.released = true;
    this.killMembers();
    for (let i = 0; i < 200 && this.procsFiles().some((f) => members(f).length > 0); i++) sleepSync(10);
    for (const dir of new Set(this.dirs.values())) {
      try {
        rmdirSync(dir);
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code !== 'ENOENT') process.stderr.write(`bench: could not remove cgroup ${dir}: ${(err as Error).message}\n`);
      }
    }
  }
}
