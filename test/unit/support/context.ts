// A MountContext for unit tests: a live signal (or the one given), no deadline, and a
// logger whose lines the test can read.
import { pino } from 'pino';
import { createMountContext, type MountContext } from '../../../src/context.js';

export interface TestContext extends MountContext {
  /** The log lines written so far, parsed. */
  readonly logLines: Array<Record<string, unknown>>;
}

export function testContext(signal: AbortSignal = new AbortController().signal, deadlineAt = Infinity): TestContext {
  const logLines: Array<Record<string, unknown>> = [];
  const log = pino({ level: 'debug' }, { write: (line: string) => void logLines.push(JSON.parse(line) as Record<string, unknown>) });
  return Object.assign(createMountContext(signal, deadlineAt, log), { logLines });
}
