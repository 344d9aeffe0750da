// Turns the bench results into the printed tables (ours vs Go vs ratio vs floor vs target), in budget mode
// the cgroup table, and the JSON files under bench/results/.
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { NO_REGION } from '../test/harness/aws-stub.js';
import { REPO_ROOT } from '../test/harness/paths.js';
import type { CgroupUsage } from './cgroup.js';
import type { BudgetLimits } from './chart-limits.js';
import { floors as floorsFor, TARGETS } from './floors.js';
import type { CallsPerMount } from './stats.js';
import type { FirstMountResult } from './workloads/first-mount.js';
import type { RemountResult } from './workloads/remounts.js';
import type { FailoverResult } from './workloads/failover.js';
import type { BurstResult } from './workloads/burst.js';
import type { StartupResult } from './workloads/startup.js';
import type { NodeFillResult } from './workloads/node-fill.js';

/**
 * A provider's result for a workload, or why there is none; in budget mode with the final cgroup
 * accounting of each provider process the workload started (also when it failed).
 */
export type Outcome<T> = ({ ok: true; value: T } | { ok: false; reason: string }) & { cgroups?: CgroupUsage[] };

export interface WorkloadResults {
  /** oursIrsa: not run in budget mode. */
  firstMount?: { ours: Outcome<FirstMountResult>; oursIrsa?: Outcome<FirstMountResult>; go: Outcome<FirstMountResult> };
  remount?: { ours: Outcome<RemountResult>; oursIrsa?: Outcome<RemountResult>; go: Outcome<RemountResult> };
  failover?: { ours: Outcome<FailoverResult>; go: Outcome<FailoverResult> };
  burst?: { ours: Outcome<BurstResult>; go: Outcome<BurstResult> };
  startup?: { ours: Outcome<StartupResult>; go: Outcome<StartupResult> };
  nodeFill?: { ours: Outcome<NodeFillResult>; go: Outcome<NodeFillResult> };
}

export interface BenchResults {
  meta: Record<string, unknown>;
  /** Budget mode: the limits every provider ran under, and where the cgroups were. */
  budget?: { limits: BudgetLimits; cgroups: string };
  goProvider: { available: boolean; binary?: string; reason?: string; buildInfo?: Record<string, string> };
  floors: ReturnType<typeof floorsFor>;
  targets: typeof TARGETS;
  workloads: WorkloadResults;
}

type Cell = number | string | undefined;

interface Row {
  metric: string;
  ours: Cell;
  go?: Cell;
  /** Ratio ours/go, when both are numbers (default on). */
  ratio?: boolean;
  floor?: string;
  target?: string;
  /** Whether ours meets the target (undefined: no target). */
  met?: boolean | undefined;
  irsa?: Cell;
  digits?: number;
  /** A sub-heading: the metric cell only. */
  heading?: boolean;
}

const val = <T>(o: Outcome<T> | undefined): T | undefined => (o && o.ok ? o.value : undefined);
const mib = (kib: number | undefined) => (kib === undefined ? undefined : kib / 1024);

function fmt(c: Cell, digits = 1): string {
  if (c === undefined) return '-';
  if (typeof c === 'string') return c;
  if (!Number.isFinite(c)) return '-';
  return c.toFixed(digits);
}

function ops(c: CallsPerMount | undefined): string | undefined {
  if (!c) return undefined;
  const short: Record<string, string> = {
    GetSecretValue: 'GSV',
    GetParameters: 'GetParams',
    DescribeSecret: 'Describe',
    PodIdentityAgent: 'agent',
    AssumeRoleWithWebIdentity: 'STS',
  };
  return Object.entries(c.byOperation)
    .sort()
    .map(([op, n]) => `${short[op] ?? op} ${+n.toFixed(2)}`)
    .join(', ');
}

function regions(c: CallsPerMount | undefined): string | undefined {
  if (!c) return undefined;
  return Object.entries(c.byRegion)
    .sort()
    .map(([r, o]) => `${r === NO_REGION ? 'agent' : r} ${+Object.values(o).reduce((a, b) => a + b, 0).toFixed(2)}`)
    .join(', ');
}

function renderTable(title: string, notes: string[], rows: Row[], goNote: string | undefined, withIrsa: boolean): string {
  const head = ['metric', 'ours', 'Go', 'ours/Go', 'floor', 'target', 'met', ...(withIrsa ? ['ours IRSA'] : [])];
  const body = rows.map((r) => {
    if (r.heading) return head.map((_, i) => (i === 0 ? r.metric : ''));
    const ratio =
      r.ratio !== false && typeof r.ours === 'number' && typeof r.go === 'number' && r.go !== 0 ? `${(r.ours / r.go).toFixed(2)}x` : '-';
    const go = r.go === undefined && goNote ? 'n/a' : fmt(r.go, r.digits);
    return [
      r.metric,
      fmt(r.ours, r.digits),
      go,
      ratio,
      r.floor ?? '',
      r.target ?? '',
      r.met === undefined ? '' : r.met ? 'yes' : 'NO',
      ...(withIrsa ? [fmt(r.irsa, r.digits)] : []),
    ];
  });
  const widths = head.map((h, i) => Math.max(h.length, ...body.map((b) => b[i]!.length)));
  const line = (cells: string[]) => cells.map((c, i) => (i === 0 ? c.padEnd(widths[i]!) : c.padStart(widths[i]!))).join('  ').trimEnd();
  const out = [title, ...notes.map((n) => `  ${n}`)];
  if (goNote) out.push(`  Go provider: not available (${goNote})`);
  out.push(line(head), widths.map((w) => '-'.repeat(w)).join('  '), ...body.map(line));
  return out.join('\n');
}

/** `x` for a missing result, with the reason listed under the table. */
function missing(name: string, o: Outcome<unknown> | undefined, list: string[]): void {
  if (o && !o.ok) list.push(`${name}: ${o.reason}`);
}

export function renderReport(r: BenchResults): string {
  const f = r.floors;
  const T = TARGETS;
  const rtt = r.meta['latencyMs'] as number;
  const goNote = r.goProvider.available ? undefined : r.goProvider.reason;
  const within = (x: number | undefined, floorMs: number) => (x === undefined ? undefined : x <= T.latencyFactor * floorMs);
  const sections: string[] = [];
  const w = r.workloads;

  if (w.firstMount) {
    const o = val(w.firstMount.ours);
    const g = val(w.firstMount.go);
    const i = val(w.firstMount.oursIrsa);
    const lim = T.latencyFactor * f.firstMount.latencyMs;
    const problems: string[] = [];
    missing('ours', w.firstMount.ours, problems);
    missing('ours IRSA', w.firstMount.oursIrsa, problems);
    if (r.goProvider.available) missing('Go', w.firstMount.go, problems);
    sections.push(
      renderTable(
        `Workload 1: first mount, 5 Secrets Manager secrets + 5 SSM parameters, 1 region (Pod Identity)`,
        [
          `${o?.latency.n ?? i?.latency.n ?? '?'} mounts one after another, each a new pod with a new token; the process's first mount is its own row`,
          `floor: ${f.firstMount.note}`,
          ...problems,
        ],
        [
          { metric: 'latency p50 (ms)', ours: o?.latency.p50, go: g?.latency.p50, irsa: i?.latency.p50, floor: `${f.firstMount.latencyMs}`, target: `<= ${lim}`, met: within(o?.latency.p50, f.firstMount.latencyMs) },
          { metric: 'latency p99 (ms)', ours: o?.latency.p99, go: g?.latency.p99, irsa: i?.latency.p99, floor: `${f.firstMount.latencyMs}`, target: `<= ${lim}`, met: within(o?.latency.p99, f.firstMount.latencyMs) },
          { metric: 'sequential floor (ms)', ours: undefined, go: undefined, floor: `${f.firstMount.sequentialMs}`, ratio: false },
          { metric: "process's first mount (ms)", ours: o?.processFirstMountMs, go: g?.processFirstMountMs, irsa: i?.processFirstMountMs, floor: `${f.firstMount.latencyMs}` },
          { metric: 'AWS calls / mount', ours: o?.calls.total, go: g?.calls.total, irsa: i?.calls.total, floor: `${f.firstMount.calls}`, digits: 2 },
          { metric: '  by operation', ours: ops(o?.calls), go: ops(g?.calls), irsa: ops(i?.calls), ratio: false },
          { metric: 'Kubernetes reads / mount', ours: o?.kubeCallsPerMount, go: g?.kubeCallsPerMount, irsa: i?.kubeCallsPerMount, digits: 2 },
          { metric: 'CPU ms / mount (schedstat)', ours: o?.cpuMsPerMount, go: g?.cpuMsPerMount, irsa: i?.cpuMsPerMount, target: `<= ${T.firstMountCpuVsGo}x Go`, met: o && g ? o.cpuMsPerMount <= T.firstMountCpuVsGo * g.cpuMsPerMount : undefined, digits: 2 },
          { metric: 'errors', ours: o?.errors, go: g?.errors, irsa: i?.errors, digits: 0, ratio: false },
        ],
        goNote,
        w.firstMount.oursIrsa !== undefined,
      ),
    );
  }

  if (w.remount) {
    const o = val(w.remount.ours);
    const g = val(w.remount.go);
    const i = val(w.remount.oursIrsa);
    const problems: string[] = [];
    missing('ours', w.remount.ours, problems);
    missing('ours IRSA', w.remount.oursIrsa, problems);
    if (r.goProvider.available) missing('Go', w.remount.go, problems);
    const any = o ?? i ?? g;
    sections.push(
      renderTable(
        `Workload 2: steady-state remounts, ${any?.pods ?? '?'} pods of one service account, 3 secrets each, ${any?.rounds ?? '?'} rounds (Pod Identity)`,
        [
          `pacing: ${any?.pacing ?? '?'}`,
          `request shape: ${any?.requestShape ?? '?'}`,
          'steady = rounds 2..N (round 1, every pod\'s first mount, is the warm-up); all = rounds 1..N',
          `floor: ${f.remount.note}`,
          ...problems,
        ],
        [
          { metric: 'AWS calls / remount (steady)', ours: o?.steady.calls.total, go: g?.steady.calls.total, irsa: i?.steady.calls.total, floor: `${f.remount.calls}`, target: `<= ${T.remountCalls}`, met: o ? o.steady.calls.total <= T.remountCalls : undefined, digits: 2 },
          { metric: '  by operation', ours: ops(o?.steady.calls), go: ops(g?.steady.calls), irsa: ops(i?.steady.calls), ratio: false },
          { metric: 'AWS calls / mount (all rounds)', ours: o?.all.calls.total, go: g?.all.calls.total, irsa: i?.all.calls.total, floor: f.remountAllRounds.toFixed(2), digits: 2 },
          { metric: 'CPU ms / remount (steady, stat)', ours: o?.steady.cpuMsPerMount, go: g?.steady.cpuMsPerMount, irsa: i?.steady.cpuMsPerMount, target: `<= ${T.remountCpuVsGo}x Go`, met: o && g ? o.steady.cpuMsPerMount <= T.remountCpuVsGo * g.steady.cpuMsPerMount : undefined, digits: 2 },
          { metric: 'CPU ms / remount (steady, schedstat)', ours: o?.steady.cpuMsPerMountPrecise, go: g?.steady.cpuMsPerMountPrecise, irsa: i?.steady.cpuMsPerMountPrecise, digits: 2 },
          { metric: 'CPU ms / mount (all rounds, stat)', ours: o?.all.cpuMsPerMount, go: g?.all.cpuMsPerMount, irsa: i?.all.cpuMsPerMount, digits: 2 },
          { metric: 'latency p50 (ms, steady)', ours: o?.steady.latency.p50, go: g?.steady.latency.p50, irsa: i?.steady.latency.p50, floor: `${f.remount.latencyMs}` },
          { metric: 'latency p99 (ms, steady)', ours: o?.steady.latency.p99, go: g?.steady.latency.p99, irsa: i?.steady.latency.p99, floor: `${f.remount.latencyMs}` },
          { metric: 'latency p50 / p99 (ms, round 1)', ours: pair(o?.warmup.latency), go: pair(g?.warmup.latency), irsa: pair(i?.warmup.latency), floor: `${2 * rtt}` },
          { metric: 'Kubernetes reads / mount (all)', ours: o?.all.kubeCallsPerMount, go: g?.all.kubeCallsPerMount, irsa: i?.all.kubeCallsPerMount, digits: 3 },
          { metric: 'errors', ours: o?.all.errors, go: g?.all.errors, irsa: i?.all.errors, digits: 0, ratio: false },
        ],
        goNote,
        w.remount.oursIrsa !== undefined,
      ),
    );
  }

  if (w.failover) {
    const o = val(w.failover.ours);
    const g = val(w.failover.go);
    const problems: string[] = [];
    missing('ours', w.failover.ours, problems);
    if (r.goProvider.available) missing('Go', w.failover.go, problems);
    const limH = T.latencyFactor * f.failoverHealthy.latencyMs;
    const limD = T.latencyFactor * f.failoverDown.latencyMs;
    sections.push(
      renderTable(
        `Workload 3: failover configured (${o?.primary ?? 'primary'} + ${o?.failover ?? 'failover'}), 10 Secrets Manager secrets (Pod Identity)`,
        [
          `${o?.healthy.latency.n ?? '?'} mounts per condition, one after another, each a new pod with a new token; primary down = the stub answers 503 for the primary region`,
          `floor healthy: ${f.failoverHealthy.note}`,
          `floor primary down: ${f.failoverDown.note}`,
          ...problems,
        ],
        [
          { metric: 'healthy: latency p50 (ms)', ours: o?.healthy.latency.p50, go: g?.healthy.latency.p50, floor: `${f.failoverHealthy.latencyMs}`, target: `<= ${limH}`, met: within(o?.healthy.latency.p50, f.failoverHealthy.latencyMs) },
          { metric: 'healthy: latency p99 (ms)', ours: o?.healthy.latency.p99, go: g?.healthy.latency.p99, floor: `${f.failoverHealthy.latencyMs}`, target: `<= ${limH}`, met: within(o?.healthy.latency.p99, f.failoverHealthy.latencyMs) },
          { metric: 'healthy: AWS calls / mount', ours: o?.healthy.calls.total, go: g?.healthy.calls.total, floor: `${f.failoverHealthy.calls}`, digits: 2 },
          { metric: '  by region', ours: regions(o?.healthy.calls), go: regions(g?.healthy.calls), ratio: false },
          { metric: 'primary down: latency p50 (ms)', ours: o?.primaryDown.latency.p50, go: g?.primaryDown.latency.p50, floor: `${f.failoverDown.latencyMs}`, target: `<= ${limD}`, met: within(o?.primaryDown.latency.p50, f.failoverDown.latencyMs) },
          { metric: 'primary down: latency p99 (ms)', ours: o?.primaryDown.latency.p99, go: g?.primaryDown.latency.p99, floor: `${f.failoverDown.latencyMs}`, target: `<= ${limD}`, met: within(o?.primaryDown.latency.p99, f.failoverDown.latencyMs) },
          { metric: 'primary down: AWS calls / mount', ours: o?.primaryDown.calls.total, go: g?.primaryDown.calls.total, floor: `${f.failoverDown.calls}`, digits: 2 },
          { metric: '  by region', ours: regions(o?.primaryDown.calls), go: regions(g?.primaryDown.calls), ratio: false },
          { metric: 'errors (healthy / down)', ours: errs(o), go: errs(g), ratio: false },
        ],
        goNote,
        false,
      ),
    );
  }

  if (w.burst) {
    const o = val(w.burst.ours);
    const g = val(w.burst.go);
    const problems: string[] = [];
    missing('ours', w.burst.ours, problems);
    if (r.goProvider.available) missing('Go', w.burst.go, problems);
    if (o && o.errors > 0) problems.push(`ours errors: ${JSON.stringify(o.errorKinds)}`);
    if (g && g.errors > 0) problems.push(`Go errors: ${JSON.stringify(g.errorKinds)}`);
    sections.push(
      renderTable(
        `Workload 4: burst of ${o?.mounts ?? g?.mounts ?? '?'} concurrent Mounts, distinct pods and tokens, 1-3 secrets each (Pod Identity)`,
        [
          `a freshly started provider; all requests sent at once on one gRPC connection; stub in ${o?.stubPlacement ?? g?.stubPlacement ?? '?'} process`,
          `floor: ${f.burst.note}`,
          ...problems,
        ],
        [
          { metric: 'errors', ours: o?.errors, go: g?.errors, floor: '0', target: `${T.burstErrors}`, met: o ? o.errors <= T.burstErrors : undefined, digits: 0, ratio: false },
          { metric: 'latency p50 (ms)', ours: o?.latency.p50, go: g?.latency.p50, floor: `${f.burst.latencyMs}` },
          { metric: 'latency p99 (ms)', ours: o?.latency.p99, go: g?.latency.p99, floor: `${f.burst.latencyMs}` },
          { metric: 'burst wall time (ms)', ours: o?.wallMs, go: g?.wallMs },
          { metric: 'peak RSS, VmHWM (MiB)', ours: mib(o?.peakRssHwmKiB), go: mib(g?.peakRssHwmKiB), target: `< ${T.burstPeakRssMiB}`, met: o?.peakRssHwmKiB !== undefined ? o.peakRssHwmKiB / 1024 < T.burstPeakRssMiB : undefined },
          { metric: 'peak RSS, polled every 20 ms (MiB)', ours: mib(o?.peakRssPolledKiB), go: mib(g?.peakRssPolledKiB) },
          { metric: 'RSS before / after (MiB)', ours: rssPair(o), go: rssPair(g), ratio: false },
          { metric: 'AWS calls / mount', ours: o?.calls.total, go: g?.calls.total, floor: `${f.burst.calls}`, digits: 2 },
          { metric: '  by operation', ours: ops(o?.calls), go: ops(g?.calls), ratio: false },
          { metric: 'stub peak in-flight requests', ours: o?.stubPeakInFlight, go: g?.stubPeakInFlight, digits: 0 },
          { metric: 'provider CPU for the burst (ms)', ours: o?.cpuMs, go: g?.cpuMs, digits: 0 },
          { metric: 'bench / stub loop delay p99 (ms)', ours: loops(o), go: loops(g), ratio: false },
          { metric: 'bench / stub CPU for the burst (ms)', ours: benchStubCpu(o), go: benchStubCpu(g), ratio: false },
        ],
        goNote,
        false,
      ),
    );
  }

  if (w.startup) {
    const o = val(w.startup.ours);
    const g = val(w.startup.go);
    const problems: string[] = [];
    missing('ours', w.startup.ours, problems);
    if (r.goProvider.available) missing('Go', w.startup.go, problems);
    sections.push(
      renderTable(
        `Workload 5: start-up, exec to the socket answering Version (median of ${o?.starts ?? g?.starts ?? '?'} fresh starts)`,
        ['no AWS or Kubernetes calls at start-up; idle RSS after 1 s doing nothing', ...problems],
        [
          { metric: 'CPU ms (stat ticks)', ours: o?.median.cpuMs, go: g?.median.cpuMs, target: `< ${T.startupCpuMs}`, met: o ? o.median.cpuMs < T.startupCpuMs : undefined, digits: 0 },
          { metric: 'CPU ms (schedstat)', ours: o?.median.cpuMsPrecise, go: g?.median.cpuMsPrecise },
          { metric: 'wall ms', ours: o?.median.wallMs, go: g?.median.wallMs },
          { metric: 'RSS at ready (MiB)', ours: mib(o?.median.readyRssKiB), go: mib(g?.median.readyRssKiB) },
          { metric: 'idle RSS (MiB)', ours: mib(o?.median.idleRssKiB), go: mib(g?.median.idleRssKiB), target: `< ${T.idleRssMiB}`, met: o?.median.idleRssKiB !== undefined ? o.median.idleRssKiB / 1024 < T.idleRssMiB : undefined },
        ],
        goNote,
        false,
      ),
    );
  }
  if (w.nodeFill) {
    const o = val(w.nodeFill.ours);
    const g = val(w.nodeFill.go);
    const problems: string[] = [];
    missing('ours', w.nodeFill.ours, problems);
    if (r.goProvider.available) missing('Go', w.nodeFill.go, problems);
    if (o && o.errors > 0) problems.push(`ours errors: ${JSON.stringify(o.errorKinds)}`);
    if (g && g.errors > 0) problems.push(`Go errors: ${JSON.stringify(g.errorKinds)}`);
    const any = o ?? g;
    sections.push(
      renderTable(
        `Workload 6: node fill, ${any?.mounts ?? '?'} concurrent first mounts (${any?.pods ?? '?'} pods x ${any?.volumesPerPod ?? '?'} volumes; 2 Secrets Manager secrets / 2 SSM parameters per volume; Pod Identity)`,
        [
          "a freshly started provider; all requests sent at once on one gRPC connection; a pod's volumes share its token",
          `floor: credentials + the volume's fetches in parallel, ${2 * rtt} ms per mount`,
          ...problems,
        ],
        [
          { metric: 'errors', ours: o?.errors, go: g?.errors, target: `${T.burstErrors}`, met: o ? o.errors <= T.burstErrors : undefined, digits: 0, ratio: false },
          { metric: 'latency p50 (ms)', ours: o?.latency.p50, go: g?.latency.p50, floor: `${2 * rtt}` },
          { metric: 'latency p99 (ms)', ours: o?.latency.p99, go: g?.latency.p99, floor: `${2 * rtt}` },
          { metric: 'node filled after (ms, wall)', ours: o?.wallMs, go: g?.wallMs },
          { metric: 'AWS calls / mount', ours: o?.calls.total, go: g?.calls.total, digits: 2 },
          { metric: '  by operation', ours: ops(o?.calls), go: ops(g?.calls), ratio: false },
          { metric: 'stub peak in-flight requests', ours: o?.stubPeakInFlight, go: g?.stubPeakInFlight, digits: 0 },
          { metric: 'provider CPU for the fill (ms)', ours: o?.cpuMs, go: g?.cpuMs, digits: 0 },
          { metric: 'peak RSS, VmHWM (MiB)', ours: mib(o?.peakRssHwmKiB), go: mib(g?.peakRssHwmKiB) },
          { metric: 'RSS before / after (MiB)', ours: rssPair(o), go: rssPair(g), ratio: false },
        ],
        goNote,
        false,
      ),
    );
  }

  if (r.budget) sections.push(renderBudget(r, goNote));
  return sections.join('\n\n');
}

/** A workload's user-visible outcome under the budget: errors and latency (what each workload calls latency). */
interface BudgetView {
  title: string;
  errors: number | undefined;
  latencyLabel: string;
  p50: number | undefined;
  p99: number | undefined;
  extra?: Array<{ metric: string; value: number | undefined }>;
  errorKinds?: Record<string, number>;
}

type Views = Array<{ key: keyof WorkloadResults; view(v: never): BudgetView; titleWithout: string }>;

const BUDGET_VIEWS: Views = [
  {
    key: 'nodeFill',
    titleWithout: '6. node fill',
    view: (v: NodeFillResult) => ({
      title: `6. node fill, ${v.mounts} concurrent first mounts`,
      errors: v.errors,
      latencyLabel: 'latency',
      p50: v.latency.p50,
      p99: v.latency.p99,
      extra: [{ metric: 'node filled after (ms, wall)', value: v.wallMs }],
      errorKinds: v.errorKinds,
    }),
  },
  {
    key: 'remount',
    titleWithout: '2. remounts',
    view: (v: RemountResult) => ({
      title: `2. remounts, ${v.pods} pods x ${v.rounds} rounds`,
      errors: v.all.errors,
      latencyLabel: 'latency (steady)',
      p50: v.steady.latency.p50,
      p99: v.steady.latency.p99,
      extra: [
        { metric: 'latency p99 (ms, round 1: first mounts)', value: v.warmup.latency.p99 },
        { metric: 'CPU ms / remount (steady, stat)', value: v.steady.cpuMsPerMount },
      ],
      errorKinds: v.errorKinds,
    }),
  },
  {
    key: 'startup',
    titleWithout: '5. start-up',
    view: (v: StartupResult) => ({
      title: `5. start-up, ${v.starts} fresh starts`,
      errors: 0,
      latencyLabel: 'exec to answered Version',
      p50: v.median.wallMs,
      p99: Math.max(...v.samples.map((x) => x.wallMs)),
      extra: [{ metric: 'idle RSS (MiB, median)', value: mib(v.median.idleRssKiB) }],
    }),
  },
  {
    key: 'firstMount',
    titleWithout: '1. first mount',
    view: (v: FirstMountResult) => ({
      title: `1. first mount, ${v.latency.n} one after another`,
      errors: v.errors,
      latencyLabel: 'latency',
      p50: v.latency.p50,
      p99: v.latency.p99,
      errorKinds: v.errorKinds,
    }),
  },
  {
    key: 'failover',
    titleWithout: '3. failover',
    view: (v: FailoverResult) => ({
      title: `3. failover, ${v.healthy.latency.n} mounts per condition`,
      errors: v.healthy.errors + v.primaryDown.errors,
      latencyLabel: 'latency (healthy)',
      p50: v.healthy.latency.p50,
      p99: v.healthy.latency.p99,
      extra: [{ metric: 'latency p99 (ms, primary down)', value: v.primaryDown.latency.p99 }],
    }),
  },
  {
    key: 'burst',
    titleWithout: '4. burst',
    view: (v: BurstResult) => ({
      title: `4. burst, ${v.mounts} concurrent mounts`,
      errors: v.errors,
      latencyLabel: 'latency',
      p50: v.latency.p50,
      p99: v.latency.p99,
      extra: [{ metric: 'burst wall time (ms)', value: v.wallMs }],
      errorKinds: v.errorKinds,
    }),
  },
];

/** The cgroup accounting of a workload's provider processes, summed (peak: the highest). */
function cgroupTotals(list: CgroupUsage[] | undefined) {
  if (!list || list.length === 0) return undefined;
  const sum = (f: (u: CgroupUsage) => number | undefined) => (list.some((u) => f(u) === undefined) ? undefined : list.reduce((a, u) => a + f(u)!, 0));
  const peaks = list.map((u) => u.peakMemoryBytes).filter((x): x is number => x !== undefined);
  return {
    processes: list.length,
    cpuMs: sum((u) => u.cpuMs),
    userMs: sum((u) => u.cpuUserMs),
    systemMs: sum((u) => u.cpuSystemMs),
    periods: sum((u) => u.periods),
    throttledPeriods: sum((u) => u.throttledPeriods),
    throttledMs: sum((u) => u.throttledMs),
    peakMiB: peaks.length ? Math.max(...peaks) / 2 ** 20 : undefined,
    limitHits: sum((u) => u.memoryLimitHits),
    oomKills: sum((u) => u.oomKills),
  };
}

function renderBudget(r: BenchResults, goNote: string | undefined): string {
  const b = r.budget!;
  const limitMiB = b.limits.memoryBytes / 2 ** 20;
  const rows: Row[] = [];
  const problems: string[] = [];
  for (const { key, view, titleWithout } of BUDGET_VIEWS) {
    const w = r.workloads[key] as { ours: Outcome<never>; go: Outcome<never> } | undefined;
    if (!w) continue;
    const o = val(w.ours);
    const g = val(w.go);
    const vo = o === undefined ? undefined : view(o);
    const vg = g === undefined ? undefined : view(g);
    const co = cgroupTotals(w.ours.cgroups);
    const cg = cgroupTotals(w.go.cgroups);
    missing(`${titleWithout}, ours`, w.ours, problems);
    if (r.goProvider.available) missing(`${titleWithout}, Go`, w.go, problems);
    for (const [who, v] of [['ours', vo], ['Go', vg]] as const) {
      if (v?.errors && v.errorKinds) problems.push(`${titleWithout}, ${who} errors: ${summarizeErrors(v.errorKinds)}`);
    }
    const label = (vo ?? vg)?.title ?? titleWithout;
    const processes = co?.processes ?? cg?.processes ?? 1;
    rows.push({ metric: `${label}${processes > 1 ? ` (${processes} processes, summed; peak: highest)` : ''}`, ours: undefined, heading: true });
    const latencyLabel = (vo ?? vg)?.latencyLabel ?? 'latency';
    rows.push(
      { metric: '  errors', ours: vo?.errors, go: vg?.errors, target: '0', met: vo?.errors === undefined ? undefined : vo.errors === 0, digits: 0, ratio: false },
      { metric: `  ${latencyLabel} p50 (ms)`, ours: vo?.p50, go: vg?.p50 },
      {
        metric: `  ${latencyLabel} p99 (ms)`,
        ours: vo?.p99,
        go: vg?.p99,
        target: `<= ${r.targets.budgetP99VsGo}x Go`,
        met: vo?.p99 !== undefined && vg?.p99 !== undefined ? vo.p99 <= r.targets.budgetP99VsGo * vg.p99 : undefined,
      },
    );
    for (const [i, e] of (vo?.extra ?? vg?.extra ?? []).entries()) {
      rows.push({ metric: `  ${e.metric}`, ours: vo?.extra?.[i]?.value, go: vg?.extra?.[i]?.value });
    }
    rows.push(
      { metric: '  cgroup CPU (ms, exec to exit)', ours: co?.cpuMs, go: cg?.cpuMs, digits: 0 },
      { metric: '    user / system (ms, tick-sampled)', ours: pairOf(co?.userMs, co?.systemMs), go: pairOf(cg?.userMs, cg?.systemMs), ratio: false },
      { metric: '  throttled periods / periods', ours: pairOf(co?.throttledPeriods, co?.periods), go: pairOf(cg?.throttledPeriods, cg?.periods), ratio: false },
      { metric: '  throttled time (ms)', ours: co?.throttledMs, go: cg?.throttledMs, digits: 0 },
      {
        metric: '  cgroup peak memory (MiB)',
        ours: co?.peakMiB,
        go: cg?.peakMiB,
        target: `< ${+limitMiB.toFixed(1)}`,
        met: co?.peakMiB === undefined ? undefined : co.peakMiB < limitMiB,
      },
      { metric: '  memory limit reached (times)', ours: co?.limitHits, go: cg?.limitHits, digits: 0, ratio: false },
      { metric: '  OOM kills', ours: co?.oomKills, go: cg?.oomKills, target: '0', met: co?.oomKills === undefined ? undefined : co.oomKills === 0, digits: 0, ratio: false },
    );
  }
  const busy = Number(r.meta['busyProcesses'] ?? 0);
  return renderTable(
    `Budget: every provider process in its own cgroup with the chart's resources.limits (${b.limits.source})`,
    [
      `cpu ${b.limits.cpu}: CFS quota ${b.limits.cfsQuotaUs} us per ${b.limits.cfsPeriodUs} us; memory ${b.limits.memory} = ${b.limits.memoryBytes} bytes, no swap; ${b.cgroups}`,
      'CPU, throttling, peak memory (tmpfs pages the provider writes included), limit hits and OOM kills are the kernel\'s accounting of the cgroup from exec to exit',
      busy > 0 ? `${busy} busy process(es) burned CPU outside the cgroups for the whole run` : 'no busy processes (--busy N adds CPU load outside the cgroups)',
      ...problems,
    ],
    rows,
    goNote,
    false,
  );
}

/** Error messages grouped without the pod name (each message names its pod), most frequent first. */
function summarizeErrors(kinds: Record<string, number>): string {
  const grouped = new Map<string, number>();
  for (const [message, n] of Object.entries(kinds)) {
    const key = message.replace(/pod \S+: /, 'pod <name>: ');
    grouped.set(key, (grouped.get(key) ?? 0) + n);
  }
  return [...grouped].sort((a, b) => b[1] - a[1]).map(([m, n]) => `${n} x "${m}"`).join('; ');
}

function pairOf(a: number | undefined, b: number | undefined): string | undefined {
  return a === undefined || b === undefined ? undefined : `${a.toFixed(0)} / ${b.toFixed(0)}`;
}

function pair(s: { p50: number; p99: number } | undefined): string | undefined {
  return s ? `${s.p50.toFixed(1)} / ${s.p99.toFixed(1)}` : undefined;
}
function errs(o: FailoverResult | undefined): string | undefined {
  return o ? `${o.healthy.errors} / ${o.primaryDown.errors}` : undefined;
}
function rssPair(o: { rssBeforeKiB: number | undefined; rssAfterKiB: number | undefined } | undefined): string | undefined {
  return o ? `${fmt(mib(o.rssBeforeKiB))} / ${fmt(mib(o.rssAfterKiB))}` : undefined;
}
function benchStubCpu(o: BurstResult | undefined): string | undefined {
  return o ? `${o.benchCpuMs.toFixed(0)} / ${o.stubCpuMs === undefined ? 'in bench' : o.stubCpuMs.toFixed(0)}` : undefined;
}
function loops(o: BurstResult | undefined): string | undefined {
  return o ? `${o.benchEventLoop.p99.toFixed(1)} / ${o.stubEventLoop.p99.toFixed(1)}` : undefined;
}

/** Writes bench/results/<timestamp>.json and bench/results/latest.json; returns the first path. */
export function writeResults(r: BenchResults, stamp: string): string {
  const dir = join(REPO_ROOT, 'bench', 'results');
  mkdirSync(dir, { recursive: true });
  const text = `${JSON.stringify(r, null, 2)}\n`;
  const file = join(dir, `${stamp}.json`);
  writeFileSync(file, text);
  writeFileSync(join(dir, 'latest.json'), text);
  return file;
}
