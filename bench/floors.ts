// The physical floor of each workload: the injected round trips (RTT = the stub's latency) that no
// provider can avoid, and the fewest AWS calls; plus the targets. Kubernetes reads cost no
// injected latency here (the Kubernetes stub answers at once).
import { OBJECTS } from './requests.js';

export interface Floor {
  /** Latency floor with concurrent fetching, ms. */
  latencyMs: number;
  /** The same work done one call after another (what a sequential provider needs), ms. */
  sequentialMs?: number;
  /** Fewest AWS calls per mount. */
  calls: number;
  note: string;
}

const count = (type: 'secretsmanager' | 'ssmparameter', objects: readonly { type: string }[]) => objects.filter((o) => o.type === type).length;
const ssmBatches = (n: number) => Math.ceil(n / 10);

export function floors(rttMs: number, remountRounds: number) {
  const fm = OBJECTS.firstMount;
  const fmFetches = count('secretsmanager', fm) + ssmBatches(count('ssmparameter', fm));
  const fo = OBJECTS.failover.length;
  const burstSecrets = 2; // pods get 1, 2 or 3 secrets: 2 on average
  return {
    firstMount: {
      latencyMs: 2 * rttMs,
      sequentialMs: (1 + fmFetches) * rttMs,
      calls: 1 + fmFetches,
      note: `credentials (1 RTT), then all ${fmFetches} fetches (5 GetSecretValue + 1 GetParameters batch) in parallel (1 RTT); sequential: ${1 + fmFetches} RTT`,
    } satisfies Floor,
    remount: {
      latencyMs: rttMs,
      sequentialMs: OBJECTS.remount.length * rttMs,
      calls: OBJECTS.remount.length,
      note: `credentials cached for the pod's token, 3 GetSecretValue in parallel (1 RTT); with round 1's credential calls: ${(OBJECTS.remount.length + 1 / remountRounds).toFixed(2)} calls per mount`,
    } satisfies Floor,
    remountAllRounds: OBJECTS.remount.length + 1 / remountRounds,
    failoverHealthy: {
      latencyMs: 2 * rttMs,
      sequentialMs: (1 + fo) * rttMs,
      calls: 1 + fo,
      note: `credentials + ${fo} GetSecretValue in the primary region in parallel; asking both regions at once doubles the fetches (${1 + 2 * fo} calls)`,
    } satisfies Floor,
    failoverDown: {
      latencyMs: 2 * rttMs,
      sequentialMs: (1 + 2 * fo) * rttMs,
      calls: 1 + 2 * fo,
      note: `2 RTT if the failover region is asked together with the primary, 3 RTT if only after the primary fails; ${1 + 2 * fo} calls (every primary call fails once)`,
    } satisfies Floor,
    burst: {
      latencyMs: 2 * rttMs,
      calls: 1 + burstSecrets,
      note: 'per mount: credentials + its 1-3 GetSecretValue in parallel; the stub has no concurrency limit',
    } satisfies Floor,
  };
}

/** The targets. */
export const TARGETS = {
  /** Workloads 1 and 3: latency within this factor of the floor. */
  latencyFactor: 1.5,
  /** Workload 2: AWS calls per remount at most the number of secrets. */
  remountCalls: OBJECTS.remount.length,
  /** Workload 4. */
  burstErrors: 0,
  burstPeakRssMiB: 90,
  /** Workload 5. */
  startupCpuMs: 100,
  idleRssMiB: 50,
  /** Workload 1: CPU per first mount at most this factor of Go's. */
  firstMountCpuVsGo: 1.0,
  /** Workload 2: CPU per remount at most this factor of Go's. */
  remountCpuVsGo: 1.5,
  /** Budget mode: p99 within this factor of Go's under the same limits and load. */
  budgetP99VsGo: 1.5,
};
