// `npm run bench [-- options]`: runs issue 4's workloads against our provider (dist/main.js) and, when a
// binary is available, the Go provider, each workload in a fresh provider process against the same AWS
// stub; prints a table per workload (ours, Go, ratio, physical floor, target) and writes
// bench/results/<timestamp>.json and bench/results/latest.json.
//
//   --quick            fewer repetitions (CI-speed smoke run)
//   --workload N       only workload N (1-5); repeat or comma-separate for several
//   --latency MS       injected latency per AWS response (default 20)
//   --stub child|inproc   where the AWS stub runs (default child: its own process and event loop)
//   --no-go            skip the Go provider even if it is built
// The Go provider binary: BENCH_GO_PROVIDER_BIN, else .tools/bin/secrets-store-csi-driver-provider-aws
// (scripts/install-go-provider.sh). Our bundle: BENCH_PROVIDER_ENTRY, else dist/main.js (npm run build).
//
// Exit status: 0 when every workload ran against our provider (missed targets are reported, not fatal),
// 1 when one of them failed, 2 on bad options.
import { execFileSync } from 'node:child_process';
import { readFileSync, statSync } from 'node:fs';
import { createHash } from 'node:crypto';
import { cpus, loadavg, release, totalmem } from 'node:os';
import { performance } from 'node:perf_hooks';
import { floors, TARGETS } from './floors.js';
import { GO_PROVIDER_BIN } from './go-provider.js';
import { OUR_PROVIDER_ENTRY, OUR_PROVIDER_NODE } from './our-provider.js';
import { BenchEnv, type GoAvailability, type ProviderKind } from './providers.js';
import { renderReport, writeResults, type BenchResults, type Outcome, type WorkloadResults } from './report.js';
import type { StubPlacement } from './stub-host.js';
import { FULL_PLAN, QUICK_PLAN, type WorkloadContext } from './workloads/common.js';
import { burst } from './workloads/burst.js';
import { failover } from './workloads/failover.js';
import { firstMount } from './workloads/first-mount.js';
import { remounts } from './workloads/remounts.js';
import { startup } from './workloads/startup.js';

interface Options {
  quick: boolean;
  workloads: Set<number>;
  latencyMs: number;
  stub: StubPlacement;
  noGo: boolean;
}

function parseOptions(argv: string[]): Options {
  const o: Options = { quick: false, workloads: new Set(), latencyMs: 20, stub: 'child', noGo: false };
  for (let i = 0; i < argv.length; i++) {
    const [flag, inline] = argv[i]!.split(/=(.*)/s, 2) as [string, string | undefined];
    const value = () => {
      const v = inline ?? argv[++i];
      if (v === undefined) throw new Error(`${flag} needs a value`);
      return v;
    };
    switch (flag) {
      case '--quick':
        o.quick = true;
        break;
      case '--workload':
        for (const part of value().split(',')) {
          const n = Number(part);
          if (!Number.isInteger(n) || n < 1 || n > 5) throw new Error(`--workload takes 1-5, got ${part}`);
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
      case '--help':
      case '-h':
        process.stdout.write(`${readHeader()}\n`);
        process.exit(0);
      default:
        throw new Error(`unknown option ${flag}`);
    }
  }
  if (o.workloads.size === 0) for (const n of [1, 2, 3, 4, 5]) o.workloads.add(n);
  return o;
}

function readHeader(): string {
  return [
    'npm run bench [-- --quick] [--workload N[,M]] [--latency MS] [--stub child|inproc] [--no-go]',
    '  1 first mount  2 steady-state remounts  3 failover  4 burst of concurrent mounts  5 start-up',
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
  const plan = options.quick ? QUICK_PLAN : FULL_PLAN;
  const env = await BenchEnv.create({ latencyMs: options.latencyMs, stub: options.stub });
  const ctx: WorkloadContext = { env, plan, log };
  const workloads: WorkloadResults = {};
  let go: GoAvailability = env.goAvailability(options.noGo);
  log(`stub ${env.stub.url} (${options.stub} process, ${options.latencyMs} ms per response); our provider ${OUR_PROVIDER_ENTRY}`);
  if (loadAtStart[0]! > cpus().length / 2) {
    log(`warning: load average ${loadAtStart[0]} on ${cpus().length} CPUs: other work on this machine will distort latency and CPU figures`);
  }
  log(go.available ? `Go provider: ${GO_PROVIDER_BIN} ${JSON.stringify(go.info ?? {})}` : `Go provider: not available (${go.reason})`);

  /** Runs `fn` for the Go provider if it is available (and has not failed to start before). */
  const forGo = async <T>(label: string, fn: (kind: ProviderKind) => Promise<T>): Promise<Outcome<T>> => {
    go = env.goAvailability(options.noGo);
    if (!go.available) return { ok: false, reason: `not available (${go.reason})` };
    return attempt(`${label} [Go]`, () => fn('go'));
  };

  try {
    if (options.workloads.has(1)) {
      workloads.firstMount = {
        ours: await attempt('workload 1 [ours, Pod Identity]', () => firstMount(ctx, 'ours', 'pod-identity')),
        oursIrsa: await attempt('workload 1 [ours, IRSA]', () => firstMount(ctx, 'ours', 'irsa')),
        go: await forGo('workload 1', (k) => firstMount(ctx, k, 'pod-identity')),
      };
    }
    if (options.workloads.has(2)) {
      workloads.remount = {
        ours: await attempt('workload 2 [ours, Pod Identity]', () => remounts(ctx, 'ours', 'pod-identity')),
        oursIrsa: await attempt('workload 2 [ours, IRSA]', () => remounts(ctx, 'ours', 'irsa')),
        go: await forGo('workload 2', (k) => remounts(ctx, k, 'pod-identity')),
      };
    }
    if (options.workloads.has(3)) {
      workloads.failover = {
        ours: await attempt('workload 3 [ours]', () => failover(ctx, 'ours')),
        go: await forGo('workload 3', (k) => failover(ctx, k)),
      };
    }
    if (options.workloads.has(4)) {
      workloads.burst = {
        ours: await attempt('workload 4 [ours]', () => burst(ctx, 'ours')),
        go: await forGo('workload 4', (k) => burst(ctx, k)),
      };
    }
    if (options.workloads.has(5)) {
      workloads.startup = {
        ours: await attempt('workload 5 [ours]', () => startup(ctx, 'ours')),
        go: await forGo('workload 5', (k) => startup(ctx, k)),
      };
    }
  } finally {
    await env.close();
  }

  const entry = statSync(OUR_PROVIDER_ENTRY, { throwIfNoEntry: false });
  const results: BenchResults = {
    meta: {
      startedAt: started.toISOString(),
      durationSeconds: +((performance.now() - t0) / 1000).toFixed(1),
      mode: options.quick ? 'quick' : 'full',
      workloads: [...options.workloads].sort(),
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

  const failed = Object.values(workloads).some((w) => !w.ours.ok || ('oursIrsa' in w && !w.oursIrsa.ok));
  return failed ? 1 : 0;
}

main().then(
  (code) => process.exit(code),
  (err) => {
    process.stderr.write(`bench failed: ${(err as Error).stack ?? String(err)}\n`);
    process.exit(1);
  },
);
