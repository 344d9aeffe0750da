// What a fuzz target is, and what counts as a crash. Targets are pure: they
// call the provider's input handling and check properties of what it returns.
import type { Arbitrary } from 'fast-check';
import { ProviderError } from '../../src/errors.js';

export interface FuzzTarget<Input = unknown> {
  name: string;
  /** One line on what is fuzzed, for the runner's output. */
  summary: string;
  /** Inputs are plain JSON values (strings, numbers, arrays, objects) so a crash can be saved to a file. */
  input: Arbitrary<Input>;
  /** Calls the code under test. Throws PropertyViolation when a property breaks; a ProviderError may escape. */
  run(input: Input): void;
}

/** A property of the code under test does not hold for an input. */
export class PropertyViolation extends Error {
  constructor(
    readonly property: string,
    detail: string,
  ) {
    super(`${property}: ${detail}`);
    this.name = 'PropertyViolation';
  }
}

export function check(holds: boolean, property: string, detail: () => string = () => ''): asserts holds {
  if (!holds) throw new PropertyViolation(property, detail());
}

export type CrashKind =
  | 'threw' // a value that is not a ProviderError escaped
  | 'range-error' // a RangeError escaped (stack overflow, invalid array length, ...)
  | 'hidden-stack-overflow' // a typed error whose message is V8's stack overflow: a depth bound was bypassed
  | 'property' // a PropertyViolation
  | 'abort' // the process died (V8 fatal error, signal)
  | 'hang'; // no answer within the per-input time limit

export type Outcome = { ok: true } | { ok: false; kind: CrashKind; label: string; message: string };

const STACK_OVERFLOW = 'Maximum call stack size exceeded';

/** Runs one input and classifies what happened. Typed errors are the provider's answer, not crashes. */
export function runClassified<Input>(target: FuzzTarget<Input>, input: Input): Outcome {
  try {
    target.run(input);
    return { ok: true };
  } catch (err) {
    return classifyThrown(err);
  }
}

export function classifyThrown(err: unknown): Outcome {
  if (err instanceof PropertyViolation) return { ok: false, kind: 'property', label: err.property, message: err.message };
  if (err instanceof RangeError) return { ok: false, kind: 'range-error', label: err.message.slice(0, 80), message: describe(err) };
  if (err instanceof ProviderError) {
    // The stack overflowed inside a library and the error was wrapped: the depth bounds did not hold,
    // and the next regular expression compiled on that nearly-full stack can abort V8.
    if (err.message.includes(STACK_OVERFLOW)) return { ok: false, kind: 'hidden-stack-overflow', label: err.name, message: err.message.slice(0, 500) };
    return { ok: true };
  }
  const label = err instanceof Error ? err.constructor.name : typeof err;
  return { ok: false, kind: 'threw', label, message: describe(err) };
}

function describe(err: unknown): string {
  if (err instanceof Error) return (err.stack ?? `${err.name}: ${err.message}`).split('\n').slice(0, 8).join('\n').slice(0, 2000);
  return String(err).slice(0, 500);
}
