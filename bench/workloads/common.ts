// What every workload gets: the shared bench environment, the repetition counts for this run, and a
// progress logger. Each workload starts its own fresh provider process and stops it when done.
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
  /** Workload 4: concurrent mounts. */
  burstMounts: number;
  /** Workload 5: fresh starts. */
  startups: number;
}

export const FULL_PLAN: RunPlan = { firstMountReps: 100, remountPods: 50, remountRounds: 10, failoverReps: 50, burstMounts: 1000, startups: 10 };
export const QUICK_PLAN: RunPlan = { firstMountReps: 10, remountPods: 50, remountRounds: 3, failoverReps: 8, burstMounts: 1000, startups: 2 };

export interface WorkloadContext {
  env: BenchEnv;
  plan: RunPlan;
  log(message: string): void;
}

/** Starts a fresh provider of `kind`, runs `body`, always stops it. */
export async function withProvider<T>(ctx: WorkloadContext, kind: ProviderKind, body: (p: LaunchedProvider) => Promise<T>): Promise<T> {
  const provider = await ctx.env.start(kind);
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
