// Every fuzz target for a few hundred inputs, each in an executor child process
// (test/fuzz/), so an abort or a hang is a failed test rather than a dead runner.
// `npm run fuzz` runs the same targets for 100,000 inputs each.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { findTarget, targets } from '../fuzz/targets/index.js';
import { fuzzTarget, type Crash } from '../fuzz/supervisor.js';

const SEED = Number(process.env.FUZZ_SEED ?? 20_240_611);
const RUNS = 300;

const describe = (c: Crash) => {
  const input = JSON.stringify(c.minimal);
  return `${c.kind} (${c.label}) x${c.occurrences}: ${input.length > 400 ? `${input.slice(0, 400)}... (${input.length} chars)` : input}\n${c.message.slice(0, 600)}`;
};

for (const target of targets) {
  test(`fuzz ${target.name}: ${RUNS} inputs without a crash (seed ${SEED})`, async () => {
    // A generous time limit: the machine is shared, and a slow input is the full run's job to find.
    const report = await fuzzTarget(target, { runs: RUNS, seed: SEED, timeoutMs: 20_000, shrinkBudgetMs: 30_000, abortRepeats: 32 });
    assert.equal(report.inputs, RUNS);
    assert.deepEqual(report.crashes.map(describe), []);
  });
}

test('the supervisor detects, confirms and minimises each kind of crash, and lets typed errors pass', async () => {
  const expected = [
    { name: 'self-check-abort', kind: 'abort', minimal: 17 },
    { name: 'self-check-hang', kind: 'hang', minimal: 18 },
    { name: 'self-check-throw', kind: 'threw', minimal: 10 },
    { name: 'self-check-property', kind: 'property', minimal: 12 },
  ];
  for (const { name, kind, minimal } of expected) {
    const report = await fuzzTarget(findTarget(name), { runs: 30, seed: SEED, timeoutMs: 1000, shrinkBudgetMs: 60_000, abortRepeats: 2 });
    assert.equal(report.inputs, 30, name);
    assert.equal(report.crashes.length, 1, `${name}: ${report.crashes.map(describe).join('\n')}`);
    const [crash] = report.crashes;
    assert.equal(crash!.kind, kind, name);
    assert.equal(crash!.minimal, minimal, name);
    assert.ok(crash!.minimised && crash!.reproducibleAlone && crash!.runIndex >= 0, name);
  }
  const typed = await fuzzTarget(findTarget('self-check-typed'), { runs: 30, seed: SEED, timeoutMs: 1000, shrinkBudgetMs: 1000, abortRepeats: 2 });
  assert.deepEqual(typed.crashes.map(describe), []);
});
