// Workload 2: steady-state remounts (rotation). 50 pods of one service account, each with its own token
// (kept across rounds, as kubelet keeps a pod's token), 3 Secrets Manager secrets each, 10 rounds.
// Pacing: each round sends all 50 Mounts at once and waits for every answer; the next round starts
// ROUND_GAP_MS later. Request shape: driver v1.6's by default, every remount a full Mount with
// current_object_version empty (as a first mount); with plan.remountWithVersions, the older drivers' shape,
// carrying the object versions of the pod's previous mount. Round 1 is every pod's first mount
// (credentials): it is the warm-up, reported separately and included once in the "all rounds" figures.
// CPU per remount: utime+stime of the provider process (/proc/<pid>/stat) over the rounds / number of
// mounts; the schedstat sum (ns resolution, live threads) is recorded too.
import { setTimeout as sleep } from 'node:timers/promises';
import type { LaunchedProvider } from '../launch.js';
import type { ProviderKind } from '../providers.js';
import { OBJECTS, TargetDirs, type AuthMode, type PodMount } from '../requests.js';
import { errorCounts, perMount, summarize, timedMount, type CallsPerMount, type MountOutcome, type Summary } from '../stats.js';
import { newPod, withProvider, type WorkloadContext } from './common.js';

export const ROUND_GAP_MS = 100;

export interface PhaseStats {
  mounts: number;
  latency: Summary;
  calls: CallsPerMount;
  kubeCallsPerMount: number;
  /** utime+stime (clock ticks) per mount. */
  cpuMsPerMount: number;
  /** schedstat run time per mount. */
  cpuMsPerMountPrecise: number | undefined;
  errors: number;
}

export interface RemountResult {
  mode: AuthMode;
  pods: number;
  rounds: number;
  pacing: string;
  /** What a remount carries in current_object_version. */
  requestShape: string;
  /** Round 1 only (first mounts). */
  warmup: PhaseStats;
  /** Rounds 2..N: the steady state. */
  steady: PhaseStats;
  /** Rounds 1..N. */
  all: PhaseStats;
  errorKinds: Record<string, number>;
}

interface Snapshot {
  cpu: number;
  cpuPrecise: number | undefined;
}

export async function remounts(ctx: WorkloadContext, kind: ProviderKind, mode: AuthMode): Promise<RemountResult> {
  const { remountPods: podCount, remountRounds: rounds, remountWithVersions: withVersions } = ctx.plan;
  const targets = new TargetDirs();
  try {
    return await withProvider(ctx, kind, async (p) => {
      const pods: PodMount[] = Array.from({ length: podCount }, (_, i) => newPod(ctx, `remount-${mode}-${i}`, { objects: OBJECTS.remount, mode }, targets));
      const snap = (): Snapshot => ({ cpu: p.cpuMs(), cpuPrecise: p.cpuMsPrecise() });
      const allOutcomes: MountOutcome[] = [];

      await ctx.env.stub.resetCounts();
      ctx.env.kube.resetCounts();
      const s0 = snap();
      const first = await round(p, pods, withVersions);
      const s1 = snap();
      const warmCalls = await ctx.env.stub.counts();
      const warmKube = ctx.env.kube.requests().length;
      allOutcomes.push(...first);
      const warmup = phase(first, warmCalls, warmKube, s0, s1);

      await ctx.env.stub.resetCounts();
      ctx.env.kube.resetCounts();
      const steadyOutcomes: MountOutcome[] = [];
      for (let r = 2; r <= rounds; r++) {
        await sleep(ROUND_GAP_MS);
        steadyOutcomes.push(...(await round(p, pods, withVersions)));
      }
      const s2 = snap();
      const steadyCalls = await ctx.env.stub.counts();
      const steadyKube = ctx.env.kube.requests().length;
      allOutcomes.push(...steadyOutcomes);
      const steady = phase(steadyOutcomes, steadyCalls, steadyKube, s1, s2);

      const sumCalls = {
        total: warmCalls.total + steadyCalls.total,
        errors: warmCalls.errors + steadyCalls.errors,
        byOperation: addRecords(warmCalls.byOperation, steadyCalls.byOperation),
        byRegion: {},
        peakInFlight: Math.max(warmCalls.peakInFlight, steadyCalls.peakInFlight),
      };
      return {
        mode,
        pods: podCount,
        rounds,
        pacing: `concurrent: each round sends all ${podCount} Mounts at once and waits for all; ${ROUND_GAP_MS} ms between rounds`,
        requestShape: withVersions
          ? "older drivers': current_object_version = the pod's previous versions"
          : 'driver v1.6: current_object_version empty (a full Mount, as the first)',
        warmup,
        steady,
        all: phase(allOutcomes, sumCalls, warmKube + steadyKube, s0, s2),
        errorKinds: errorCounts(allOutcomes),
      };
    });
  } finally {
    targets.close();
  }
}

/** All pods remount at once; `withVersions`: each with the versions its previous mount returned. */
async function round(p: LaunchedProvider, pods: PodMount[], withVersions: boolean): Promise<MountOutcome[]> {
  return Promise.all(
    pods.map(async (pod) => {
      const outcome = await timedMount(p.client, pod.request);
      if (withVersions && outcome.ok && outcome.response) pod.request.current_object_version = outcome.response.object_version;
      return outcome;
    }),
  );
}

function phase(
  outcomes: MountOutcome[],
  calls: Parameters<typeof perMount>[0],
  kubeCalls: number,
  from: Snapshot,
  to: Snapshot,
): PhaseStats {
  const n = outcomes.length;
  return {
    mounts: n,
    latency: summarize(outcomes.map((o) => o.ms)),
    calls: perMount(calls, n),
    kubeCallsPerMount: kubeCalls / n,
    cpuMsPerMount: (to.cpu - from.cpu) / n,
    cpuMsPerMountPrecise: to.cpuPrecise !== undefined && from.cpuPrecise !== undefined ? (to.cpuPrecise - from.cpuPrecise) / n : undefined,
    errors: outcomes.filter((o) => !o.ok).length,
  };
}

function addRecords(a: Record<string, number>, b: Record<string, number>): Record<string, number> {
  const out = { ...a };
  for (const [k, v] of Object.entries(b)) out[k] = (out[k] ?? 0) + v;
  return out;
}
