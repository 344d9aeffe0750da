// `npm run bench [-- options]`: runs issue 4's workloads against our provider (dist/main.js) and, when a
// binary is available, the Go provider, each workload in a fresh provider process against the same AWS
// stub; prints a table per workload (ours, Go, ratio, physical floor, target) and writes
// bench/results/<timestamp>.json and bench/results/latest.json.
//
//   --quick            fewer repetitions (CI-speed smoke run)
//   --workload N       only workload N (1-6); repeat or comma-separate for several
//   --latency MS       injected latency per AWS response (default 20)
//   --stub child|inproc   where the AWS stub runs (default child: its own process and event loop)
//   --no-go            skip the Go provider even if it is given
//   --budget           every provider process in a cgroup with the chart's resources.limits (CPU quota,
//                      memory limit); adds the cgroup's accounting per workload. Default workloads 6, 2, 5
//   --busy N           N processes burning CPU outside the providers' cgroups for the whole run
//   --fill N           workload 6: concurrent first mounts (default 220 = 110 pods x 2 volumes)
//   --burst N          workload 4: concurrent mounts (default 1000)
//   --remount-pods N   workload 2: pods remounting at once per round (default 50)
//   --remount-with-versions   workload 2: remounts carry the previous object versions (drivers before
//                      v1.6); default: current_object_version empty, as driver v1.6 sends them
// The Go provider binary: BENCH_GO_PROVIDER_BIN. Our bundle: BENCH_PROVIDER_ENTRY, else dist/main.js
// (npm run build).
//
// Exit status: 0 when every workload ran against our provider (missed targets are reported, not fatal),
// 1 when one of them failed (or --budget cannot make cgroups), 2 on bad options.
import { execFileSync } from 'node:child_process';
import { readFileSync, statSync } from 'node:fs';
import { createHash } from 'node:crypto';
import { cpus, loadavg, release, totalmem } from 'node:os';
import { performance } from 'node:perf_hooks';
import { CpuBurners } from './busy.js';
import { CgroupBudget, type CgroupUsage } from './cgroup.js';
import { chartLimits } from './chart-limits.js';
import { floors, TARGETS } from './floors.js';
import { GO_PROVIDER_BIN } from './go-provider.js';
import { OUR_PROVIDER_ENTRY, OUR_PROVIDER_NODE } from './our-provider.js';
import { BenchEnv, type GoAvailability, type ProviderKind } from './providers.js';
import { renderReport, writeResults, type BenchResults, type Outcome, type WorkloadResults } from './report.js';
import type { StubPlacement } from './stub-host.js';
import { FULL_PLAN, QUICK_PLAN, type RunPlan, type WorkloadContext } from './workloads/common.js';
import { burst } from './workloads/burst.js';
import { failover } from './workloads/failover.js';
import { firstMount } from './workloads/first-mount.js';
import { nodeFill } from './workloads/node-fill.js';
import { remounts } from './workloads/remounts.js';
import { startup } from './workloads/startup.js';

const ALL_WORKLOADS = [1, 2, 3, 4, 5, 6];
/** Under the budget the unconfined workloads' repetitions take minutes: node fill, remounts, start-up. */
const BUDGET_WORKLOADS = [6, 2, 5];

interface Options {
  quick: boolean;
  workloads: Set<number>;
  latencyMs: number;
  stub: StubPlacement;
  noGo: boolean;
  budget: boolean;
  busy: number;
  fill: number | undefined;
  burst: number | undefined;
  remountPods: number | undefined;
  remountWithVersions: boolean;
}

function parseOptions(argv: string[]): Options {
  const o: Options = {
    quick: false,
    workloads: new Set(),
    latencyMs: 20,
    stub: 'child',
    noGo: false,
    budget: false,
    busy: 0,
    fill: undefined,
    burst: undefined,
    remountPods: undefined,
    remountWithVersions: false,
  };
  for (let i = 0; i < argv.length; i++) {
    const [flag, inline] = argv[i]!.split(/=(.*)/s, 2) as [string, string | undefined];
    const value = () => {
      const v = inline ?? argv[++i];
      if (v === undefined) throw new Error(`${flag} needs a value`);
      return v;
    };
    const count = (min: number) => {
      const n = Number(value());
      if (!Number.isInteger(n) || n < min) throw new Error(`${flag} takes a whole number >= ${min}`);
      return n;
    };
    switch (flag) {
      case '--quick':
        o.quick = true;
        break;
      case '--workload':
        for (const part of value().split(',')) {
          const n = Number(part);
          if (!ALL_WORKLOADS.includes(n)) throw new Error(`--workload takes 1-${ALL_WORKLOADS.length}, got ${part}`);
          o.workloads.add(n);
        }
        break;
      case '--latency':
        o.latencyMs = Number(value());
        if (!Number.isFinite(o.latencyMs) || o.latencyMs < 0) throw new Error('--latency takes a number of ms');
        break;
      case '--stub': {
        const v = value();
        if (v !== 'child' && v !== 'inproc') throw new Error('--stub takes child or inproc');
        o.stub = v;
        break;
      }
      case '--no-go':
        o.noGo = true;
        break;
      case '--budget':
        o.budget = true;
        break;
      case '--busy':
        o.busy = count(0);
        break;
      case '--fill':
        o.fill = count(1);
        break;
      case '--burst':
        o.burst = count(1);
        break;
      case '--remount-pods':
        o.remountPods = count(1);
        break;
      case '--remount-with-versions':
        o.remountWithVersions = true;
        break;
      case '--help':
      case '-h':
        process.stdout.write(`${readHeader()}\n`);
        process.exit(0);
      default:
        throw new Error(`unknown option ${flag}`);
    }
  }
  if (o.workloads.size === 0) for (const n of o.budget ? BUDGET_WORKLOADS : ALL_WORKLOADS) o.workloads.add(n);
  return o;
}

/** The repetitions of --quick or a full run, with the sizes given on the command line. */
function planFor(o: Options): RunPlan {
  const base = o.quick ? QUICK_PLAN : FULL_PLAN;
  return {
    ...base,
    ...(o.fill !== undefined && { fillMounts: o.fill }),
    ...(o.burst !== undefined && { burstMounts: o.burst }),
    ...(o.remountPods !== undefined && { remountPods: o.remountPods }),
    remountWithVersions: o.remountWithVersions,
  };
}

function readHeader(): string {
  return [
    'npm run bench [-- --quick] [--workload N[,M]] [--latency MS] [--stub child|inproc] [--no-go]',
    '              [--budget] [--busy N] [--fill N] [--burst N] [--remount-pods N] [--remount-with-versions]',
    '  1 first mount  2 steady-state remounts  3 failover  4 burst of concurrent mounts  5 start-up  6 node fill',
    '  --budget: each provider in a cgroup with the chart\'s resources.limits (default workloads 6, 2, 5)',
  ].join('\n');
}

function git(args: string[]): string | undefined {
  try {
    return execFileSync('git', args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim();
  } catch {
    return undefined;
  }
}

function hashFile(file: string): string | undefined {
  try {
    return createHash('sha256').update(readFileSync(file)).digest('hex').slice(0, 16);
  } catch {
    return undefined;
  }
}

function log(message: string): void {
  process.stderr.write(`[bench ${new Date().toISOString().slice(11, 19)}] ${message}\n`);
}

async function attempt<T>(label: string, fn: () => Promise<T>): Promise<Outcome<T>> {
  const t0 = performance.now();
  log(`${label} ...`);
  try {
    const value = await fn();
    log(`${label} done in ${((performance.now() - t0) / 1000).toFixed(1)} s`);
    return { ok: true, value };
  } catch (err) {
    const reason = (err as Error).message ?? String(err);
    log(`${label} FAILED: ${reason}`);
    return { ok: false, reason: reason.split('\n')[0]!.slice(0, 300) };
  }
}

/** One workload run; in budget mode with the cgroup accounting of the provider processes it started. */
async function attemptWith<T>(base: WorkloadContext, budget: boolean, label: string, fn: (ctx: WorkloadContext) => Promise<T>): Promise<Outcome<T>> {
  const cgroups: CgroupUsage[] | undefined = budget ? [] : undefined;
  const outcome = await attempt(label, () => fn({ ...base, cgroupUsage: cgroups }));
  if (!cgroups) return outcome;
  const oomKills = cgroups.reduce((sum, u) => sum + (u.oomKills ?? 0), 0);
  if (!outcome.ok && oomKills > 0) return { ...outcome, reason: `${outcome.reason} (the cgroup's OOM killer killed ${oomKills} process(es))`, cgroups };
  return { ...outcome, cgroups };
}

async function main(): Promise<number> {
  let options: Options;
  try {
    options = parseOptions(process.argv.slice(2));
  } catch (err) {
    process.stderr.write(`${(err as Error).message}\n${readHeader()}\n`);
    return 2;
  }
  for (const signal of ['SIGINT', 'SIGTERM'] as const) process.once(signal, () => process.exit(130)); // runs the exit handlers that kill children

  const started = new Date();
  const t0 = performance.now();
  const loadAtStart = loadavg().map((x) => +x.toFixed(2));
  // The bundle measured (hashed now: another build could replace it during the run).
  const entryHash = hashFile(OUR_PROVIDER_ENTRY);
  const plan = planFor(options);
  let budget: CgroupBudget | undefined;
  if (options.budget) {
    try {
      budget = CgroupBudget.open(chartLimits());
    } catch (err) {
      process.stderr.write(`--budget: ${(err as Error).message}\n`);
      return 1;
    }
    const l = budget.limits;
    log(`budget: cpu ${l.cpu} (CFS quota ${l.cfsQuotaUs} us per ${l.cfsPeriodUs} us), memory ${l.memory} (${l.memoryBytes} bytes) from ${l.source}; ${budget.describe()}`);
  }
  const env = await BenchEnv.create({ latencyMs: options.latencyMs, stub: options.stub, budget });
  const base: WorkloadContext = { env, plan, log };
  const run = <T>(label: string, fn: (ctx: WorkloadContext) => Promise<T>) => attemptWith(base, options.budget, label, fn);
  const workloads: WorkloadResults = {};
  let go: GoAvailability = env.goAvailability(options.noGo);
  log(`stub ${env.stub.url} (${options.stub} process, ${options.latencyMs} ms per response); our provider ${OUR_PROVIDER_ENTRY}`);
  if (loadAtStart[0]! > cpus().length / 2) {
    log(`warning: load average ${loadAtStart[0]} on ${cpus().length} CPUs: other work on this machine will distort latency and CPU figures`);
  }
  log(go.available ? `Go provider: ${GO_PROVIDER_BIN} ${JSON.stringify(go.info ?? {})}` : `Go provider: not available (${go.reason})`);
  const burners = options.busy > 0 ? CpuBurners.start(options.busy) : undefined;
  if (burners) log(`${burners.count} busy process(es) burning CPU outside the providers' cgroups`);

  /** Runs `fn` for the Go provider if it is available (and has not failed to start before). */
  const forGo = async <T>(label: string, fn: (ctx: WorkloadContext, kind: ProviderKind) => Promise<T>): Promise<Outcome<T>> => {
    go = env.goAvailability(options.noGo);
    if (!go.available) return { ok: false, reason: `not available (${go.reason})` };
    return run(`${label} [Go]`, (ctx) => fn(ctx, 'go'));
  };
  /** IRSA is a check of ours alone: left out under the budget, where each run takes minutes. */
  const irsa = <T>(label: string, fn: (ctx: WorkloadContext) => Promise<T>): Promise<Outcome<T>> | undefined =>
    options.budget ? undefined : run(label, fn);

  try {
    if (options.workloads.has(1)) {
      const ours = await run('workload 1 [ours, Pod Identity]', (c) => firstMount(c, 'ours', 'pod-identity'));
      const oursIrsa = await irsa('workload 1 [ours, IRSA]', (c) => firstMount(c, 'ours', 'irsa'));
      workloads.firstMount = { ours, ...(oursIrsa && { oursIrsa }), go: await forGo('workload 1', (c, k) => firstMount(c, k, 'pod-identity')) };
    }
    if (options.workloads.has(2)) {
      const ours = await run('workload 2 [ours, Pod Identity]', (c) => remounts(c, 'ours', 'pod-identity'));
      const oursIrsa = await irsa('workload 2 [ours, IRSA]', (c) => remounts(c, 'ours', 'irsa'));
      workloads.remount = { ours, ...(oursIrsa && { oursIrsa }), go: await forGo('workload 2', (c, k) => remounts(c, k, 'pod-identity')) };
    }
    if (options.workloads.has(3)) {
      workloads.failover = {
        ours: await run('workload 3 [ours]', (c) => failover(c, 'ours')),
        go: await forGo('workload 3', (c, k) => failover(c, k)),
      };
    }
    if (options.workloads.has(4)) {
      workloads.burst = {
        ours: await run('workload 4 [ours]', (c) => burst(c, 'ours')),
        go: await forGo('workload 4', (c, k) => burst(c, k)),
      };
    }
    if (options.workloads.has(5)) {
      workloads.startup = {
        ours: await run('workload 5 [ours]', (c) => startup(c, 'ours')),
        go: await forGo('workload 5', (c, k) => startup(c, k)),
      };
    }
    if (options.workloads.has(6)) {
      workloads.nodeFill = {
        ours: await run('workload 6 [ours]', (c) => nodeFill(c, 'ours')),
        go: await forGo('workload 6', (c, k) => nodeFill(c, k)),
      };
    }
  } finally {
    await burners?.stop();
    await env.close();
    budget?.close();
  }

  const entry = statSync(OUR_PROVIDER_ENTRY, { throwIfNoEntry: false });
  const results: BenchResults = {
    meta: {
      startedAt: started.toISOString(),
      durationSeconds: +((performance.now() - t0) / 1000).toFixed(1),
      mode: `${options.quick ? 'quick' : 'full'}${options.budget ? ', budget' : ''}`,
      workloads: [...options.workloads].sort(),
      busyProcesses: options.busy,
      plan,
      latencyMs: options.latencyMs,
      stubPlacement: options.stub,
      gitCommit: git(['rev-parse', 'HEAD']),
      gitDirty: (git(['status', '--porcelain', '--untracked-files=no']) ?? '') !== '',
      node: process.version,
      cpus: cpus().length,
      cpuModel: cpus()[0]?.model,
      kernel: release(),
      totalMemMiB: Math.round(totalmem() / 2 ** 20),
      ourProvider: { entry: OUR_PROVIDER_ENTRY, runtime: OUR_PROVIDER_NODE, bytes: entry?.size, sha256: entryHash, builtAt: entry?.mtime.toISOString(), extraArgs: env.ourExtraArgs },
      loadAverage: { atStart: loadAtStart, atEnd: loadavg().map((x) => +x.toFixed(2)) },
    },
    ...(budget && { budget: { limits: budget.limits, cgroups: budget.describe() } }),
    goProvider: go.available
      ? { available: true, binary: GO_PROVIDER_BIN, ...(go.info && { buildInfo: go.info }) }
      : { available: false, reason: go.reason },
    floors: floors(options.latencyMs, plan.remountRounds),
    targets: TARGETS,
    workloads,
  };
  const stamp = started.toISOString().replace(/[:.]/g, '-');
  const file = writeResults(results, stamp);
  const meta = results.meta;
  process.stdout.write(
    `\nBench (${meta['mode']}) ${meta['startedAt']}, ${meta['durationSeconds']} s; ${meta['cpus']} x ${meta['cpuModel']}, Node ${meta['node']}; ` +
      `stub latency ${options.latencyMs} ms per response (${options.stub} process); commit ${String(meta['gitCommit']).slice(0, 12)}${meta['gitDirty'] ? ' (dirty)' : ''}, ` +
      `bundle ${entryHash ?? '?'}; load average ${loadAtStart.join(' ')} at start, ${loadavg().map((x) => x.toFixed(2)).join(' ')} at end\n\n`,
  );
  process.stdout.write(`${renderReport(results)}\n\nJSON: ${file} (and bench/results/latest.json)\n`);

  const failed = Object.values(workloads).some((w) => !w.ours.ok || ('oursIrsa' in w && w.oursIrsa !== undefined && !w.oursIrsa.ok));
  return failed ? 1 : 0;
}

main().then(
  (code) => process.exit(code),
  (err) => {
    process.stderr.write(`bench failed: ${(err as Error).stack ?? String(err)}\n`);
    process.exit(1);
  },
);
