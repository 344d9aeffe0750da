// Small statistics helpers: latency summaries (nearest-rank percentiles), per-mount call counts, timing.
import { performance } from 'node:perf_hooks';
import type { StubCounts } from '../test/harness/aws-stub.js';
import type { MountRequest, MountResponse, ProviderClient } from '../test/harness/grpc-client.js';

export interface Summary {
  n: number;
  p50: number;
  p90: number;
  p99: number;
  min: number;
  max: number;
  mean: number;
}

/** Nearest-rank percentile (p99 of fewer than 100 samples is the maximum). */
export function percentile(sorted: readonly number[], p: number): number {
  if (sorted.length === 0) return NaN;
  const rank = Math.ceil((p / 100) * sorted.length);
  return sorted[Math.min(sorted.length, Math.max(1, rank)) - 1]!;
}

export function summarize(values: readonly number[]): Summary {
  const s = [...values].sort((a, b) => a - b);
  const sum = s.reduce((a, b) => a + b, 0);
  return {
    n: s.length,
    p50: percentile(s, 50),
    p90: percentile(s, 90),
    p99: percentile(s, 99),
    min: s[0] ?? NaN,
    max: s.at(-1) ?? NaN,
    mean: s.length ? sum / s.length : NaN,
  };
}

export function median(values: readonly number[]): number {
  return percentile([...values].sort((a, b) => a - b), 50);
}

export interface CallsPerMount {
  total: number;
  byOperation: Record<string, number>;
  /** region -> operation -> calls per mount. */
  byRegion: Record<string, Record<string, number>>;
  errorsPerMount: number;
}

/** Stub counts divided by the number of mounts that caused them. */
export function perMount(c: StubCounts, mounts: number): CallsPerMount {
  const div = (n: number) => (mounts > 0 ? n / mounts : NaN);
  const byRegion: Record<string, Record<string, number>> = {};
  for (const [region, ops] of Object.entries(c.byRegion)) {
    byRegion[region] = Object.fromEntries(Object.entries(ops).map(([op, n]) => [op, div(n)]));
  }
  return {
    total: div(c.total),
    byOperation: Object.fromEntries(Object.entries(c.byOperation).map(([op, n]) => [op, div(n)])),
    byRegion,
    errorsPerMount: div(c.errors),
  };
}

export interface MountOutcome {
  ms: number;
  ok: boolean;
  /** gRPC status name or message when the mount failed. */
  error?: string;
  response?: MountResponse;
}

/** One Mount, timed from the call to the answer as the driver sees it. */
export async function timedMount(client: ProviderClient, req: MountRequest, timeoutMs = 120_000): Promise<MountOutcome> {
  const t0 = performance.now();
  try {
    const response = await client.mount(req, { deadlineMs: timeoutMs });
    const ms = performance.now() - t0;
    if (response.error?.code) return { ms, ok: false, error: `MountResponse.error ${response.error.code}`, response };
    return { ms, ok: true, response };
  } catch (err) {
    const e = err as { code?: number; details?: string; message?: string };
    return { ms: performance.now() - t0, ok: false, error: `${e.code ?? ''} ${e.details ?? e.message ?? String(err)}`.trim() };
  }
}

/** Error messages -> how many times each occurred (first 120 characters). */
export function errorCounts(outcomes: readonly MountOutcome[]): Record<string, number> {
  const out: Record<string, number> = {};
  for (const o of outcomes) {
    if (o.ok) continue;
    const key = (o.error ?? 'unknown').slice(0, 120);
    out[key] = (out[key] ?? 0) + 1;
  }
  return out;
}
