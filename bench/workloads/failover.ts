// Workload 3: failover configured (region + failoverRegion), 10 Secrets Manager secrets present in both
// regions. Mounts run one after another, each a new pod (new token, so credentials are part of it), first
// with both regions healthy, then with the primary region down (the stub answers every request signed
// for it with 503). One warm-up mount first (not counted), so the process's first-mount costs stay out.
import type { ProviderKind } from '../providers.js';
import { FAILOVER_REGION, OBJECTS, PRIMARY_REGION, TargetDirs } from '../requests.js';
import { errorCounts, perMount, summarize, timedMount, type CallsPerMount, type Summary } from '../stats.js';
import { newPod, withProvider, type WorkloadContext } from './common.js';

export interface FailoverPhase {
  latency: Summary;
  calls: CallsPerMount;
  errors: number;
  errorKinds: Record<string, number>;
}

export interface FailoverResult {
  primary: string;
  failover: string;
  healthy: FailoverPhase;
  primaryDown: FailoverPhase;
}

export async function failover(ctx: WorkloadContext, kind: ProviderKind): Promise<FailoverResult> {
  const targets = new TargetDirs();
  const spec = { objects: OBJECTS.failover, mode: 'pod-identity' as const, failoverRegion: FAILOVER_REGION };
  let seq = 0;
  const runPhase = async (p: { client: Parameters<typeof timedMount>[0] }): Promise<FailoverPhase> => {
    const mounts = Array.from({ length: ctx.plan.failoverReps }, () => newPod(ctx, `failover-${seq++}`, spec, targets));
    await ctx.env.stub.resetCounts();
    const outcomes = [];
    for (const m of mounts) outcomes.push(await timedMount(p.client, m.request));
    return {
      latency: summarize(outcomes.map((o) => o.ms)),
      calls: perMount(await ctx.env.stub.counts(), outcomes.length),
      errors: outcomes.filter((o) => !o.ok).length,
      errorKinds: errorCounts(outcomes),
    };
  };
  try {
    return await withProvider(ctx, kind, async (p) => {
      const warm = await timedMount(p.client, newPod(ctx, `failover-warmup`, spec, targets).request);
      if (!warm.ok) throw new Error(`warm-up mount failed: ${warm.error}`);
      const healthy = await runPhase(p);
      await ctx.env.stub.setRegionDown(PRIMARY_REGION, true);
      try {
        const primaryDown = await runPhase(p);
        return { primary: PRIMARY_REGION, failover: FAILOVER_REGION, healthy, primaryDown };
      } finally {
        await ctx.env.stub.setRegionDown(PRIMARY_REGION, false);
      }
    });
  } finally {
    targets.close();
  }
}
