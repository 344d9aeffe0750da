// What every workload gets: the shared bench environment, the repetition counts for this run, and a
// progress logger. Each workload starts its own fresh provider process and stops it when done; in budget
// mode each process runs in its own cgroup, whose final accounting lands in `cgroupUsage`.
import type { CgroupUsage } from '../cgroup.js';
import type { LaunchedProvider } from '../launch.js';
import type { BenchEnv, ProviderKind } from '../providers.js';
import { newPodMount, type MountSpec, type PodMount, type TargetDirs } from '../requests.js';

export interface RunPlan {
  /** Workload 1: first mounts measured (after the process's first mount, reported separately). */
  firstMountReps: number;
  /** Workload 2: pods and rounds. */
  remountPods: number;
  remountRounds: number;
  /** Workload 3: mounts per condition (healthy, primary down). */
  failoverReps: number;
  /**
   * Workload 2: remounts carry the object versions of the pod's previous mount (drivers before v1.6 filled
   * current_object_version from the pod status); false: empty, as driver v1.6 sends every remount.
   */
  remountWithVersions: boolean;
  /** Workload 4: concurrent mounts. */
  burstMounts: number;
  /** Workload 5: fresh starts. */
  startups: number;
  /** Workload 6: concurrent first mounts filling a node (pods x volumes). */
  fillMounts: number;
  fillVolumesPerPod: number;
}

const COMMON = { remountWithVersions: false, fillMounts: 220, fillVolumesPerPod: 2 } as const;
export const FULL_PLAN: RunPlan = { ...COMMON, firstMountReps: 100, remountPods: 50, remountRounds: 10, failoverReps: 50, burstMounts: 1000, startups: 10 };
export const QUICK_PLAN: RunPlan = { ...COMMON, firstMountReps: 10, remountPods: 50, remountRounds: 3, failoverReps: 8, burstMounts: 1000, startups: 2 };

export interface WorkloadContext {
  env: BenchEnv;
  plan: RunPlan;
  log(message: string): void;
  /** Budget mode: the final cgroup accounting of every provider process this workload started. */
  cgroupUsage?: CgroupUsage[] | undefined;
}

/** Starts a fresh provider of `kind`, runs `body`, always stops it. */
export async function withProvider<T>(ctx: WorkloadContext, kind: ProviderKind, body: (p: LaunchedProvider) => Promise<T>): Promise<T> {
  const provider = await ctx.env.start(kind, { cgroupUsage: ctx.cgroupUsage });
  try {
    return await body(provider);
  } finally {
    await provider.stop();
  }
}

/** A new pod (new uid and tokens), registered with the Kubernetes stub, and its MountRequest. */
export function newPod(ctx: WorkloadContext, name: string, spec: MountSpec, targets: TargetDirs): PodMount {
  const m = newPodMount(name, spec, targets);
  ctx.env.addPod(m.pod, m.uid);
  return m;
}
