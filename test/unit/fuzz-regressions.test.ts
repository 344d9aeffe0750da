// Every crash the fuzz suite (test/fuzz/) has found, as a fixed input, replayed
// alone in a fresh executor child process the way the fuzzer saw it: an input
// that aborted V8 is run 32 times (the abort came when a regular expression was
// compiled on the Nth run), a slow one against a generous 30 s limit (this input takes
// 39 s before the fix and under a second after it).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { replay } from '../fuzz/supervisor.js';
import type { ObjectsInput } from '../fuzz/targets/objects.js';

const objects = (text: string): ObjectsInput => ({ text, primaryRegion: 'us-east-1', failoverRegion: null, translation: '_', defaultMode: 0o644 });

const regressions: { name: string; target: string; input: unknown; repeat: number }[] = [
  {
    name: 'deep flow nesting ("[" x1000 + "]" x1000) aborted the process (SIGABRT, RegExpCompiler Allocation failed)',
    target: 'objects',
    input: objects('['.repeat(1000) + ']'.repeat(1000)),
    repeat: 32,
  },
  {
    name: 'deep compact nesting ("- " x3000) aborted the process',
    target: 'objects',
    input: objects('- '.repeat(3000)),
    repeat: 32,
  },
  {
    // Found as "<<: *a" + "!!seq [" x7900 (2.7 s per parseObjects, over the 5 s limit with findObjectProblems);
    // a long comment on the same line makes every error's rescan longer: 39 s for one parseObjects.
    name: 'one line of YAML errors took seconds: prettyErrors rescans the whole line for every error (quadratic)',
    target: 'objects',
    input: objects(`x: ${'}'.repeat(20_000)} #${'a'.repeat(200_000)}`),
    repeat: 1,
  },
  {
    // Found when non-string results became files: the jmespath library returns the inherited Object constructor.
    name: 'the path "constructor" selected a function, whose JSON text is undefined (TypeError)',
    target: 'jmespath',
    input: { document: '{"__proto__": {"a": "x"}}', paths: ['constructor', 'a'] },
    repeat: 1,
  },
];

for (const { name, target, input, repeat } of regressions) {
  test(`fuzz regression (${target}): ${name}`, async () => {
    // A hang is the crash being guarded (39 s before the fix, under a second after); the limit is
    // generous so that a loaded CI machine cannot fail it, not a performance target.
    const [outcome] = await replay(target, [input], { timeoutMs: 30_000, repeat });
    assert.ok(outcome!.ok, outcome!.ok ? '' : `${outcome!.kind} (${outcome!.label}): ${outcome!.message.slice(0, 1500)}`);
  });
}
