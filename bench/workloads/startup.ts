// Workload 5: start-up. Fresh processes, one after another: wall ms and CPU ms from exec to the socket
// answering Version (the launcher polls for the socket every 1 ms, then calls Version), RSS at that moment,
// and idle RSS after IDLE_MS of doing nothing.
import { setTimeout as sleep } from 'node:timers/promises';
import type { ProviderKind } from '../providers.js';
import { median } from '../stats.js';
import type { WorkloadContext } from './common.js';

export const IDLE_MS = 1000;

export interface StartupSample {
  wallMs: number;
  cpuMs: number;
  cpuMsPrecise: number | undefined;
  readyRssKiB: number | undefined;
  idleRssKiB: number | undefined;
}

export interface StartupResult {
  starts: number;
  median: StartupSample;
  samples: StartupSample[];
}

export async function startup(ctx: WorkloadContext, kind: ProviderKind): Promise<StartupResult> {
  const samples: StartupSample[] = [];
  for (let i = 0; i < ctx.plan.startups; i++) {
    const p = await ctx.env.start(kind, { cgroupUsage: ctx.cgroupUsage });
    try {
      await sleep(IDLE_MS);
      samples.push({
        wallMs: p.startup.wallMs,
        cpuMs: p.startup.cpuMs,
        cpuMsPrecise: p.startup.cpuMsPrecise,
        readyRssKiB: p.startup.rssKiB,
        idleRssKiB: p.rssKiB(),
      });
    } finally {
      await p.stop();
    }
  }
  const med = (f: (s: StartupSample) => number | undefined) => {
    const v = samples.map(f).filter((x): x is number => x !== undefined);
    return v.length ? median(v) : undefined;
  };
  return {
    starts: samples.length,
    median: {
      wallMs: med((s) => s.wallMs)!,
      cpuMs: med((s) => s.cpuMs)!,
      cpuMsPrecise: med((s) => s.cpuMsPrecise),
      readyRssKiB: med((s) => s.readyRssKiB),
      idleRssKiB: med((s) => s.idleRssKiB),
    },
    samples,
  };
}
