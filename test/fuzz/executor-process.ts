// The supervisor's handle on one executor child (executor.ts): sends it inputs,
// enforces the per-input time limit, and turns a death into an 'abort' outcome.
import { spawn, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import type { Job, JobResult } from './executor.js';
import type { Outcome } from './target.js';

const EXECUTOR = fileURLToPath(new URL('./executor.ts', import.meta.url));
const REPO_ROOT = fileURLToPath(new URL('../..', import.meta.url));
const STARTUP_LIMIT_MS = 120_000;
const STDERR_TAIL_BYTES = 16 * 1024;

interface Running {
  child: ChildProcess;
  stderr: { tail: string };
  ready: Promise<void>;
}

export class ExecutorProcess {
  private running: Running | undefined;
  /** A child started ahead of need, so replacing a dead one costs no start-up wait. */
  private spare: Running | undefined;
  private nextId = 0;
  /** Children started, for the report. */
  starts = 0;

  constructor(
    private readonly timeoutMs: number,
    private readonly keepSpare = false,
  ) {}

  /** Runs `input` `repeat` times in the child and reports what happened; a dead or silent child is replaced on the next call. */
  async run(target: string, input: unknown, repeat = 1): Promise<Outcome> {
    const running = await this.start();
    const id = ++this.nextId;
    return new Promise<Outcome>((resolve) => {
      const { child } = running;
      const finish = (outcome: Outcome) => {
        clearTimeout(timer);
        child.off('message', onMessage);
        child.off('close', onClose);
        resolve(outcome);
      };
      const onMessage = (message: JobResult) => {
        if (message.id === id) finish(message.outcome);
      };
      const onClose = (code: number | null, signal: NodeJS.Signals | null) => {
        if (this.running === running) this.running = undefined;
        finish(deathOutcome(code, signal, running.stderr.tail));
      };
      const timer = setTimeout(() => {
        if (this.running === running) this.running = undefined;
        child.off('close', onClose);
        child.kill('SIGKILL');
        finish({ ok: false, kind: 'hang', label: 'no answer', message: `no answer within ${this.timeoutMs * repeat} ms` });
      }, this.timeoutMs * repeat);
      child.on('message', onMessage);
      child.on('close', onClose);
      const job: Job = { id, target, input, repeat };
      child.send(job);
    });
  }

  close(): void {
    for (const r of [this.running, this.spare]) if (r?.child.connected) r.child.disconnect();
    this.running = undefined;
    this.spare = undefined;
  }

  private async start(): Promise<Running> {
    if (!this.running) {
      this.running = this.spare ?? this.spawnChild();
      this.spare = undefined;
    }
    const running = this.running;
    try {
      await running.ready;
    } catch (err) {
      if (this.running === running) this.running = undefined;
      throw err;
    }
    if (this.keepSpare && !this.spare) {
      this.spare = this.spawnChild();
      this.spare.ready.catch(() => {}); // a failed spare is reported when it is used
    }
    return running;
  }

  private spawnChild(): Running {
    this.starts++;
    const child = spawn(process.execPath, ['--import', 'tsx', EXECUTOR], {
      cwd: REPO_ROOT,
      stdio: ['ignore', 'ignore', 'pipe', 'ipc'],
      serialization: 'advanced',
    });
    const stderr = { tail: '' };
    child.stderr!.setEncoding('utf8').on('data', (chunk: string) => {
      stderr.tail = (stderr.tail + chunk).slice(-STDERR_TAIL_BYTES);
    });
    const ready = new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => fail(new Error(`the fuzz executor did not start within ${STARTUP_LIMIT_MS} ms`)), STARTUP_LIMIT_MS);
      const fail = (err: Error) => {
        clearTimeout(timer);
        child.kill('SIGKILL');
        reject(err);
      };
      child.once('message', () => {
        clearTimeout(timer);
        child.off('close', onEarlyClose);
        resolve();
      });
      const onEarlyClose = (code: number | null, signal: NodeJS.Signals | null) =>
        fail(new Error(`the fuzz executor exited at start (${signal ?? code}):\n${stderr.tail}`));
      child.once('close', onEarlyClose);
    });
    return { child, stderr, ready };
  }
}

/** A child that died mid-input: V8's fatal error line names the cause when there is one. */
function deathOutcome(code: number | null, signal: NodeJS.Signals | null, stderr: string): Outcome {
  const fatal = /(?:FATAL ERROR|Fatal JavaScript[^\n]*|Fatal error[^\n]*):? ?([^\n]*)/.exec(stderr);
  const how = signal ?? `exit code ${code}`;
  const label = fatal ? `${how}: ${fatal[0].trim().slice(0, 160)}` : how;
  return { ok: false, kind: 'abort', label, message: `the executor died (${how}) while running the input\n${stderr.slice(-3000)}` };
}
