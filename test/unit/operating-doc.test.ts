// docs/operating.md's metrics tables are generated from src/metrics.ts (scripts/metrics-doc.ts): the page
// must hold exactly what the generator prints, so a metric, label or help text changed in the code without
// `npx tsx scripts/metrics-doc.ts --write` fails here.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { END, START, metricsMarkdown, operatingDoc, withMetrics } from '../../scripts/metrics-doc.js';

test('docs/operating.md lists every metric the provider registers, as generated', () => {
  const page = readFileSync(operatingDoc, 'utf8');
  assert.ok(page.includes(START) && page.includes(END), 'the generated block is missing');
  assert.equal(page, withMetrics(page), 'the metrics tables are stale: run `npx tsx scripts/metrics-doc.ts --write`');
});

test('the generated tables name every provider metric with its labels', () => {
  const tables = metricsMarkdown();
  assert.match(tables, /\| `ascp_mounts_total` \| counter \| `result`, `grpc_code` \|/);
  assert.match(tables, /\| `ascp_remount_failures_total` \| counter \| `pod_namespace`, `grpc_code` \|/);
  assert.match(tables, /\| `ascp_mount_duration_seconds` \(`_bucket`, `_sum`, `_count`\) \| histogram \| `result` \|/);
  assert.match(tables, /\| `ascp_process_resident_memory_bytes` \| gauge \| - \|/);
});
