// The provider's resource budget as the chart ships it: `resources.limits` of the chart's values.yaml,
// turned into what the kernel enforces for a container with those limits (the CFS quota per period and
// the memory limit in bytes), as kubelet sets them.
import { readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { quantityToScalar } from '@kubernetes/client-node/dist/util.js';
import { parse } from 'yaml';
import { REPO_ROOT } from '../test/harness/paths.js';

export const CHART_VALUES = join(REPO_ROOT, 'charts', 'secrets-store-csi-driver-provider-aws', 'values.yaml');

/** kubelet's CFS period (the kernel default). */
export const CFS_PERIOD_US = 100_000;
/** The smallest quota the kernel accepts (and kubelet's floor, MinQuotaPeriod). */
const MIN_QUOTA_US = 1000;

export interface BudgetLimits {
  /** As written in the chart, e.g. "50m" and "100Mi". */
  cpu: string;
  memory: string;
  cpuMillicores: number;
  memoryBytes: number;
  /** CPU time allowed per period: 50m -> 5000 us per 100000 us. */
  cfsQuotaUs: number;
  cfsPeriodUs: number;
  /** Where the limits came from, relative to the repository. */
  source: string;
}

/** Reads `resources.limits.cpu` and `.memory` from the chart's values.yaml. */
export function chartLimits(valuesFile = CHART_VALUES): BudgetLimits {
  const values = parse(readFileSync(valuesFile, 'utf8')) as { resources?: { limits?: { cpu?: unknown; memory?: unknown } } };
  const limits = values.resources?.limits;
  const cpu = limits?.cpu;
  const memory = limits?.memory;
  if (cpu === undefined || memory === undefined) throw new Error(`${valuesFile}: resources.limits.cpu and .memory must both be set for --budget`);
  const cores = Number(quantityToScalar(String(cpu)));
  const memoryBytes = Number(quantityToScalar(String(memory)));
  if (!(cores > 0) || !(memoryBytes > 0)) throw new Error(`${valuesFile}: resources.limits cpu=${String(cpu)} memory=${String(memory)} are not positive quantities`);
  const cpuMillicores = Math.round(cores * 1000);
  return {
    cpu: String(cpu),
    memory: String(memory),
    cpuMillicores,
    memoryBytes,
    // kubelet: quota = milliCPU * period / 1000, at least MinQuotaPeriod.
    cfsQuotaUs: Math.max(MIN_QUOTA_US, Math.round((cpuMillicores * CFS_PERIOD_US) / 1000)),
    cfsPeriodUs: CFS_PERIOD_US,
    source: relative(REPO_ROOT, valuesFile),
  };
}
