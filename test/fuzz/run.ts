// `npm run fuzz`: every target (or FUZZ_TARGETS=a,b) for FUZZ_RUNS inputs each,
// one target at a time. FUZZ_SEED reproduces a run; crashes are written to
// FUZZ_OUT as JSON. `npm run fuzz -- --replay FILE...` re-runs saved crash files.
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { findTarget, targets } from './targets/index.js';
import { fuzzTarget, replay, type Crash, type TargetReport } from './supervisor.js';

const env = process.env;
const runs = Number(env.FUZZ_RUNS ?? 100_000);
const seed = Number(env.FUZZ_SEED ?? Math.floor(Math.random() * 2 ** 31));
const timeoutMs = Number(env.FUZZ_TIMEOUT_MS ?? 5000);
const shrinkBudgetMs = Number(env.FUZZ_SHRINK_MS ?? 120_000);
const abortRepeats = Number(env.FUZZ_ABORT_REPEATS ?? 32);
const outDir = env.FUZZ_OUT ?? join(tmpdir(), 'provider-fuzz', String(seed));
const only = env.FUZZ_TARGETS?.split(',').filter(Boolean);

const brief = (value: unknown) => {
  const text = JSON.stringify(value) ?? String(value);
  return text.length > 300 ? `${text.slice(0, 300)}... (${text.length} chars)` : text;
};

function saveCrash(crash: Crash, index: number): string {
  mkdirSync(outDir, { recursive: true });
  const file = join(outDir, `${crash.target}-${index}.json`);
  writeFileSync(file, `${JSON.stringify(crash, null, 1)}\n`);
  return file;
}

async function fuzzAll(): Promise<number> {
  console.log(`fuzz: seed ${seed}, ${runs} inputs per target, ${timeoutMs} ms per input; crashes go to ${outDir}`);
  const reports: TargetReport[] = [];
  for (const target of only ? only.map(findTarget) : targets) {
    console.log(`\n${target.name}: ${target.summary}`);
    const numbers = new Map<Crash, number>();
    let lastPrint = Date.now();
    const report = await fuzzTarget(target, {
      runs, seed, timeoutMs, shrinkBudgetMs, abortRepeats,
      onProgress: (n) => {
        if (Date.now() - lastPrint > 30_000) {
          lastPrint = Date.now();
          console.log(`  ${n} inputs`);
        }
      },
      onCrash: (crash) => {
        if (!numbers.has(crash)) numbers.set(crash, numbers.size + 1);
        const file = saveCrash(crash, numbers.get(crash)!);
        console.log(`  CRASH ${crash.kind} (${crash.label})${crash.minimised ? ' minimised' : ''}: ${brief(crash.minimal)} -> ${file}`);
      },
    });
    reports.push(report);
    console.log(`  ${report.inputs} inputs in ${(report.ms / 1000).toFixed(1)} s, ${report.crashes.length} distinct crashes`);
  }
  console.log('\ntarget       inputs   seconds  crashes (occurrences)');
  for (const r of reports) {
    const occurrences = r.crashes.reduce((n, c) => n + c.occurrences, 0);
    console.log(`${r.target.padEnd(12)} ${String(r.inputs).padStart(7)} ${(r.ms / 1000).toFixed(1).padStart(9)}  ${r.crashes.length} (${occurrences})`);
  }
  return reports.some((r) => r.crashes.length > 0) ? 1 : 0;
}

async function replayFiles(files: string[]): Promise<number> {
  let failed = 0;
  for (const file of files) {
    const crash = JSON.parse(readFileSync(file, 'utf8')) as Crash;
    const [outcome] = await replay(crash.target, [crash.minimal], { timeoutMs, repeat: abortRepeats });
    if (!outcome!.ok) failed++;
    console.log(`${file}: ${outcome!.ok ? 'no crash' : `${outcome!.kind} (${outcome!.label})\n${outcome!.message}`}`);
  }
  return failed ? 1 : 0;
}

const args = process.argv.slice(2);
process.exitCode = args[0] === '--replay' ? await replayFiles(args.slice(1)) : await fuzzAll();
