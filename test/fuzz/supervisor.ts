// Runs one target: fast-check generates inputs (and shrinks failing ones) in
// this process; an executor child runs them. After a crash the run resumes at
// the next input of the same seed, so every crash of a run is found, not just
// the first, and a run is reproduced by its seed.
import fc from 'fast-check';
import type { FuzzTarget, Outcome } from './target.js';
import { ExecutorProcess } from './executor-process.js';

export interface FuzzOptions {
  runs: number;
  seed: number;
  /** Per-input time limit; an input still running then is a hang. */
  timeoutMs: number;
  /** Time spent minimising each distinct crash. */
  shrinkBudgetMs: number;
  /** Times an input that killed the executor is re-run alone, in a fresh child, to confirm and to minimise it. */
  abortRepeats: number;
  onProgress?: (inputs: number) => void;
  /** Called when a distinct crash is first seen (before minimising) and again with its minimal input. */
  onCrash?: (crash: Crash) => void;
}

type Failure = Extract<Outcome, { ok: false }>;

export interface Crash {
  target: string;
  kind: Failure['kind'];
  label: string;
  message: string;
  seed: number;
  /** Index of the input in the run (fast-check path), or -1 when met while minimising another crash. */
  runIndex: number;
  input: unknown;
  /** The smallest input found that fails the same way (the input itself until minimised). */
  minimal: unknown;
  minimised: boolean;
  /** For an abort: whether the input alone, in a fresh process, aborts too. */
  reproducibleAlone: boolean;
  /** Inputs of this run that failed the same way. */
  occurrences: number;
}

export interface TargetReport {
  target: string;
  inputs: number;
  ms: number;
  executorStarts: number;
  crashes: Crash[];
}

const signatureOf = (f: Failure) => `${f.kind}|${f.label.replace(/\d+/g, 'N')}`;
const killsExecutor = (f: Failure) => f.kind === 'abort' || f.kind === 'hang';

/** Runs `input` alone in a fresh executor: how an abort or hang is confirmed and minimised. */
async function runAlone(target: string, input: unknown, failure: Failure, options: FuzzOptions): Promise<Outcome> {
  const executor = new ExecutorProcess(options.timeoutMs);
  try {
    return await executor.run(target, input, failure.kind === 'abort' ? options.abortRepeats : 1);
  } finally {
    executor.close();
  }
}

export async function fuzzTarget(target: FuzzTarget<unknown>, options: FuzzOptions): Promise<TargetReport> {
  const started = performance.now();
  const executor = new ExecutorProcess(options.timeoutMs, true);
  const crashes = new Map<string, Crash>();
  let inputs = 0;
  let executorStarts = 0;

  const record = (failure: Failure, input: unknown, runIndex: number, reproducibleAlone: boolean): Crash => {
    const crash: Crash = {
      target: target.name, kind: failure.kind, label: failure.label, message: failure.message, seed: options.seed,
      runIndex, input, minimal: input, minimised: false, reproducibleAlone, occurrences: 1,
    };
    crashes.set(signatureOf(failure), crash);
    options.onCrash?.(crash);
    return crash;
  };

  try {
    let from = 0;
    while (from < options.runs) {
      let first: { failure: Failure; input: unknown; signature: string } | undefined;
      let shrinkUntil = 0;
      let generated = 0;
      const property = fc.asyncProperty(target.input, async (input) => {
        if (!first) {
          generated++;
          inputs++;
          options.onProgress?.(inputs);
          const outcome = await executor.run(target.name, input);
          if (outcome.ok) return true;
          const known = crashes.get(signatureOf(outcome));
          if (known) {
            known.occurrences++;
            return true;
          }
          let alone = true;
          if (killsExecutor(outcome)) {
            const again = await runAlone(target.name, input, outcome, options);
            alone = !again.ok && signatureOf(again) === signatureOf(outcome);
            if (!alone) {
              // Died only after what ran before it: keep it, but it cannot be minimised alone.
              record(outcome, input, from + generated - 1, false);
              return true;
            }
          }
          first = { failure: outcome, input, signature: signatureOf(outcome) };
          record(outcome, input, -1, alone);
          shrinkUntil = Date.now() + options.shrinkBudgetMs;
          return false;
        }
        // Minimising: a candidate counts only if it fails the same way.
        if (Date.now() > shrinkUntil) return true;
        const outcome = killsExecutor(first.failure)
          ? await runAlone(target.name, input, first.failure, options)
          : await executor.run(target.name, input);
        if (outcome.ok) return true;
        if (signatureOf(outcome) === first.signature) return false;
        if (!crashes.has(signatureOf(outcome))) record(outcome, input, -1, !killsExecutor(outcome));
        return true;
      });
      const details = await fc.check(property, { seed: options.seed, path: String(from), numRuns: options.runs - from });
      if (!details.failed) break;
      if (!first) throw new Error(`fast-check stopped without a crash: ${String(details.errorInstance)}`);
      const runIndex = Number(details.counterexamplePath!.split(':')[0]);
      const crash = crashes.get(first.signature)!;
      Object.assign(crash, { runIndex, minimal: details.counterexample![0], minimised: true });
      options.onCrash?.(crash);
      from = runIndex + 1;
    }
  } finally {
    executor.close();
    executorStarts = executor.starts;
  }
  return { target: target.name, inputs, ms: Math.round(performance.now() - started), executorStarts, crashes: [...crashes.values()] };
}

/** Runs saved inputs, each alone in a fresh executor `repeat` times: the regression check for found crashes. */
export async function replay(targetName: string, inputs: unknown[], options: { timeoutMs: number; repeat: number }): Promise<Outcome[]> {
  const outcomes: Outcome[] = [];
  for (const input of inputs) {
    const executor = new ExecutorProcess(options.timeoutMs);
    try {
      outcomes.push(await executor.run(targetName, input, options.repeat));
    } finally {
      executor.close();
    }
  }
  return outcomes;
}
