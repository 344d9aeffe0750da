// Workload 4: a burst of 1000 concurrent Mounts on a freshly started provider: distinct pods (each its own
// token, so 1000 credential loads), 1, 2 or 3 Secrets Manager secrets each (pod i gets i % 3 + 1). All
// requests are built first, then sent at once on one gRPC connection (as the driver has one per provider).
// Memory: VmRSS polled every RSS_POLL_MS during the burst (a timeline on the bench's event loop, which may
// lag under load) and VmHWM at the end (the kernel's exact peak since the process started).
import { performance, monitorEventLoopDelay } from 'node:perf_hooks';
import { procCpuMs } from '../proc.js';
import type { ProviderKind } from '../providers.js';
import { OBJECTS, TargetDirs } from '../requests.js';
import { errorCounts, perMount, summarize, timedMount, type CallsPerMount, type Summary } from '../stats.js';
import { loopDelay, type LoopDelay } from '../stub-host.js';
import { newPod, withProvider, type WorkloadContext } from './common.js';

export const RSS_POLL_MS = 20;

export interface BurstResult {
  mounts: number;
  secretsPerMount: number;
  errors: number;
  errorKinds: Record<string, number>;
  latency: Summary;
  /** From the first call to the last answer. */
  wallMs: number;
  calls: CallsPerMount;
  stubPeakInFlight: number;
  rssBeforeKiB: number | undefined;
  /** Highest VmRSS sample while polling. */
  peakRssPolledKiB: number;
  rssSamples: number;
  /** VmHWM after the burst. */
  peakRssHwmKiB: number | undefined;
  rssAfterKiB: number | undefined;
  cpuMs: number;
  benchEventLoop: LoopDelay;
  stubEventLoop: LoopDelay;
  stubPlacement: string;
  /** CPU of the bench process during the burst (the gRPC client, and the stub too when it runs in-process). */
  benchCpuMs: number;
  /** CPU of the stub's child process during the burst (undefined when the stub runs in-process). */
  stubCpuMs: number | undefined;
}

export async function burst(ctx: WorkloadContext, kind: ProviderKind): Promise<BurstResult> {
  const targets = new TargetDirs();
  const n = ctx.plan.burstMounts;
  try {
    const mounts = Array.from({ length: n }, (_, i) =>
      newPod(ctx, `burst-${kind}-${i}`, { objects: OBJECTS.burst.slice(0, (i % 3) + 1), mode: 'pod-identity' }, targets),
    );
    const secrets = mounts.reduce((sum, _, i) => sum + (i % 3) + 1, 0);
    return await withProvider(ctx, kind, async (p) => {
      await ctx.env.stub.resetCounts();
      await ctx.env.stub.eventLoop();
      const rssBefore = p.rssKiB();
      let peak = rssBefore ?? 0;
      let samples = 0;
      const poll = setInterval(() => {
        try {
          peak = Math.max(peak, p.rssKiB() ?? 0);
          samples++;
        } catch {
          /* process gone */
        }
      }, RSS_POLL_MS);
      const loop = monitorEventLoopDelay({ resolution: 5 });
      loop.enable();
      const stubPid = ctx.env.stub.placement === 'child' ? ctx.env.stub.pid : undefined;
      const stubCpu0 = stubPid ? procCpuMs(stubPid) : 0;
      const benchCpu0 = process.cpuUsage();
      const cpu0 = p.cpuMs();
      const t0 = performance.now();
      const outcomes = await Promise.all(mounts.map((m) => timedMount(p.client, m.request)));
      const wallMs = performance.now() - t0;
      clearInterval(poll);
      loop.disable();
      const benchCpu = process.cpuUsage(benchCpu0);
      const stubCpuMs = stubPid ? procCpuMs(stubPid) - stubCpu0 : undefined;
      const counts = await ctx.env.stub.counts();
      return {
        mounts: n,
        secretsPerMount: secrets / n,
        errors: outcomes.filter((o) => !o.ok).length,
        errorKinds: errorCounts(outcomes),
        latency: summarize(outcomes.map((o) => o.ms)),
        wallMs,
        calls: perMount(counts, n),
        stubPeakInFlight: counts.peakInFlight,
        rssBeforeKiB: rssBefore,
        peakRssPolledKiB: Math.max(peak, p.rssKiB() ?? 0),
        rssSamples: samples,
        peakRssHwmKiB: p.peakRssKiB(),
        rssAfterKiB: p.rssKiB(),
        cpuMs: p.cpuMs() - cpu0,
        benchEventLoop: loopDelay(loop),
        stubEventLoop: await ctx.env.stub.eventLoop(),
        stubPlacement: ctx.env.stub.placement,
        benchCpuMs: (benchCpu.user + benchCpu.system) / 1000,
        stubCpuMs,
      };
    });
  } finally {
    targets.close();
  }
}
