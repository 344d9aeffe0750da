// Workload 1: first mount of one pod with 5 Secrets Manager secrets + 5 SSM parameters in one region.
// Mounts run one after another; every mount is a new pod with a new token, so each needs credentials
// (Pod Identity agent or STS) as a real first mount does. The process's very first mount (module loading,
// JIT, first connections) is reported on its own and left out of the percentiles.
import type { ProviderKind } from '../providers.js';
import { OBJECTS, TargetDirs, type AuthMode } from '../requests.js';
import { errorCounts, perMount, summarize, timedMount, type CallsPerMount, type Summary } from '../stats.js';
import { newPod, withProvider, type WorkloadContext } from './common.js';

export interface FirstMountResult {
  mode: AuthMode;
  /** The first mount after the process started (a new pod too). */
  processFirstMountMs: number;
  latency: Summary;
  calls: CallsPerMount;
  kubeCallsPerMount: number;
  cpuMsPerMount: number;
  errors: number;
  errorKinds: Record<string, number>;
}

export async function firstMount(ctx: WorkloadContext, kind: ProviderKind, mode: AuthMode): Promise<FirstMountResult> {
  const targets = new TargetDirs();
  try {
    return await withProvider(ctx, kind, async (p) => {
      const pod = (i: number | string) => newPod(ctx, `first-${mode}-${i}`, { objects: OBJECTS.firstMount, mode }, targets);
      const cold = await timedMount(p.client, pod('cold').request);
      if (!cold.ok) throw new Error(`first mount failed: ${cold.error}`);

      const mounts = Array.from({ length: ctx.plan.firstMountReps }, (_, i) => pod(i));
      await ctx.env.stub.resetCounts();
      ctx.env.kube.resetCounts();
      const cpu0 = p.cpuMsPrecise() ?? p.cpuMs();
      const outcomes = [];
      for (const m of mounts) outcomes.push(await timedMount(p.client, m.request));
      const cpu = (p.cpuMsPrecise() ?? p.cpuMs()) - cpu0;
      const n = outcomes.length;
      return {
        mode,
        processFirstMountMs: cold.ms,
        latency: summarize(outcomes.map((o) => o.ms)),
        calls: perMount(await ctx.env.stub.counts(), n),
        kubeCallsPerMount: ctx.env.kube.requests().length / n,
        cpuMsPerMount: cpu / n,
        errors: outcomes.filter((o) => !o.ok).length,
        errorKinds: errorCounts(outcomes),
      };
    });
  } finally {
    targets.close();
  }
}
