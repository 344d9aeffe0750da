// `--busy N`: N processes that burn CPU for the whole run, outside the providers' cgroups (in the bench's
// own), so every provider competes with the same load, as on a node whose other pods are busy. Each is a
// shell spinning in a loop: no memory to speak of, no I/O.
import { spawn, type ChildProcess } from 'node:child_process';
import { trackChild } from '../test/harness/process-cleanup.js';

export class CpuBurners {
  private constructor(private readonly children: ChildProcess[]) {}

  static start(count: number): CpuBurners {
    const children = Array.from({ length: count }, () => {
      const child = spawn('/bin/sh', ['-c', 'while :; do :; done'], { stdio: 'ignore' });
      trackChild(child); // killed if the bench exits first
      return child;
    });
    return new CpuBurners(children);
  }

  get count(): number {
    return this.children.length;
  }

  async stop(): Promise<void> {
    await Promise.all(
      this.children.map(
        (child) =>
          new Promise<void>((resolve) => {
            if (child.exitCode !== null || child.signalCode !== null) return resolve();
            child.once('exit', () => resolve());
            child.kill('SIGKILL');
          }),
      ),
    );
  }
}
