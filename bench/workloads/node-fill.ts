// Workload 6: a node filling up: N first mounts at once on a freshly started provider (default 220 =
// 110 pods x 2 CSI volumes, the most pods a default EKS node runs), as when a node joins a busy cluster or
// a large deployment lands on it. A pod's volumes share its uid and tokens (kubelet hands them the same
// token) but have their own SecretProviderClass and target: 2 Secrets Manager secrets in the first, 2 SSM
// parameters in the second. All requests are built first, then sent at once on one gRPC connection, each
// with kubelet's ~2 min NodePublishVolume deadline. Memory: VmHWM at the end (in budget mode also the
// cgroup's peak, which counts the secret files written to tmpfs).
import { performance } from 'node:perf_hooks';
import type { MountRequest } from '../../test/harness/grpc-client.js';
import type { ProviderKind } from '../providers.js';
import { OBJECTS, TargetDirs, newPodVolumeMounts } from '../requests.js';
import { errorCounts, perMount, summarize, timedMount, type CallsPerMount, type Summary } from '../stats.js';
import { withProvider, type WorkloadContext } from './common.js';

export interface NodeFillResult {
  mounts: number;
  pods: number;
  volumesPerPod: number;
  objectsPerMount: number;
  errors: number;
  errorKinds: Record<string, number>;
  latency: Summary;
  /** From the first call to the last answer: how long until every pod on the node has its volumes. */
  wallMs: number;
  calls: CallsPerMount;
  stubPeakInFlight: number;
  /** Provider CPU during the fill (/proc utime+stime). */
  cpuMs: number;
  rssBeforeKiB: number | undefined;
  peakRssHwmKiB: number | undefined;
  rssAfterKiB: number | undefined;
}

export async function nodeFill(ctx: WorkloadContext, kind: ProviderKind): Promise<NodeFillResult> {
  const { fillMounts: n, fillVolumesPerPod: perPod } = ctx.plan;
  const volumes = Array.from({ length: perPod }, (_, v) => OBJECTS.nodeFill[v % OBJECTS.nodeFill.length]!);
  const targets = new TargetDirs();
  try {
    const requests: MountRequest[] = [];
    for (let i = 0; requests.length < n; i++) {
      const pod = newPodVolumeMounts(`fill-${kind}-${i}`, volumes.slice(0, Math.min(perPod, n - requests.length)), 'pod-identity', targets);
      ctx.env.addPod(pod.pod, pod.uid);
      requests.push(...pod.requests);
    }
    const objects = volumes.reduce((sum, v, i) => sum + v.objects.length * Math.ceil((n - i) / perPod), 0);
    return await withProvider(ctx, kind, async (p) => {
      await ctx.env.stub.resetCounts();
      const rssBefore = p.rssKiB();
      const cpu0 = p.cpuMs();
      const t0 = performance.now();
      const outcomes = await Promise.all(requests.map((r) => timedMount(p.client, r)));
      const wallMs = performance.now() - t0;
      const counts = await ctx.env.stub.counts();
      const alive = p.exitInfo === undefined;
      return {
        mounts: n,
        pods: Math.ceil(n / perPod),
        volumesPerPod: perPod,
        objectsPerMount: objects / n,
        errors: outcomes.filter((o) => !o.ok).length,
        errorKinds: errorCounts(outcomes),
        latency: summarize(outcomes.map((o) => o.ms)),
        wallMs,
        calls: perMount(counts, n),
        stubPeakInFlight: counts.peakInFlight,
        cpuMs: alive ? p.cpuMs() - cpu0 : NaN,
        rssBeforeKiB: rssBefore,
        peakRssHwmKiB: alive ? p.peakRssKiB() : undefined,
        rssAfterKiB: alive ? p.rssKiB() : undefined,
      };
    });
  } finally {
    targets.close();
  }
}
