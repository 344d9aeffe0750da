// The child process that runs fuzz inputs. It is a separate process so that a
// V8 abort, a signal or a hang ends only it: the supervisor sees the death or
// the silence, knows which input was in flight, and starts a new one.
import { findTarget } from './targets/index.js';
import { runClassified, type Outcome } from './target.js';

export interface Job {
  id: number;
  target: string;
  input: unknown;
  /** Runs the input this many times in a row (some aborts need a regex to be compiled on the Nth run). */
  repeat: number;
}

export interface JobResult {
  id: number;
  outcome: Outcome;
}

function send(message: JobResult | { ready: true }): void {
  process.send!(message);
}

process.on('message', (job: Job) => {
  const target = findTarget(job.target);
  let outcome: Outcome = { ok: true };
  for (let i = 0; i < job.repeat && outcome.ok; i++) outcome = runClassified(target, job.input);
  send({ id: job.id, outcome });
});
process.on('disconnect', () => process.exit(0));
send({ ready: true });
