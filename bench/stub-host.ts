// Where the AWS stub runs during the bench: in the bench process ('inproc') or in a child process of its
// own ('child', the default), behind one async interface either way.
//
// Why a child: in the burst workload the bench process drives 1000 concurrent gRPC calls; a stub on the
// same event loop would delay its own responses while the client works (and the client while the stub
// works), so latencies would include the bench's costs. In a child the stub has its own event loop.
// `eventLoop()` reports the stub's event-loop delay so a run can show the stub was not the bottleneck.
import { fork, type ChildProcess } from 'node:child_process';
import { monitorEventLoopDelay, type IntervalHistogram } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';
import { AwsStub, type StubCounts } from '../test/harness/aws-stub.js';
import { trackChild } from '../test/harness/process-cleanup.js';

export type StubPlacement = 'inproc' | 'child';

export interface LoopDelay {
  /** Event-loop delay percentiles since the last reset, ms. */
  p50: number;
  p99: number;
  max: number;
}

export interface StubSetup {
  latencyMs: number;
  tls?: { cert: string; key: string };
}

/** The AWS stub's controls, wherever it runs. */
export interface AwsStubHost {
  readonly placement: StubPlacement;
  readonly url: string;
  readonly port: number;
  /** Pid of the process serving the stub (the bench's own for 'inproc'). */
  readonly pid: number;
  endpointEnv(): Record<string, string>;
  putSecret(region: string, name: string, value: string): Promise<void>;
  putParameter(region: string, name: string, value: string): Promise<void>;
  setLatency(ms: number): Promise<void>;
  setRegionDown(region: string, down: boolean): Promise<void>;
  counts(): Promise<StubCounts>;
  resetCounts(): Promise<void>;
  /** Event-loop delay of the stub's process since the last call (the call resets it). */
  eventLoop(): Promise<LoopDelay>;
  close(): Promise<void>;
}

export function startStubHost(placement: StubPlacement, setup: StubSetup): Promise<AwsStubHost> {
  return placement === 'child' ? ChildStubHost.start(setup) : InProcessStubHost.start(setup);
}

/** Dispatches one control call on a stub; shared by the in-process host and the child's message loop. */
export function applyStubCall(stub: AwsStub, loop: IntervalHistogram, method: string, args: unknown[]): unknown {
  switch (method) {
    case 'putSecret':
      stub.putSecret(args[0] as string, args[1] as string, args[2] as string);
      return undefined;
    case 'putParameter':
      stub.putParameter(args[0] as string, args[1] as string, args[2] as string);
      return undefined;
    case 'setLatency':
      stub.latencyMs = args[0] as number;
      return undefined;
    case 'setRegionDown':
      stub.setRegionDown(args[0] as string, args[1] as boolean);
      return undefined;
    case 'counts':
      return stub.counts();
    case 'resetCounts':
      stub.resetCounts();
      return undefined;
    case 'eventLoop': {
      const out = loopDelay(loop);
      loop.reset();
      return out;
    }
    default:
      throw new Error(`unknown stub call ${method}`);
  }
}

export function loopDelay(h: IntervalHistogram): LoopDelay {
  const ms = (ns: number) => (Number.isFinite(ns) ? ns / 1e6 : 0);
  return { p50: ms(h.percentile(50)), p99: ms(h.percentile(99)), max: ms(h.max) };
}

/** The stub's control calls, one way for both placements: each host only says how a call travels. */
abstract class StubHostBase {
  protected abstract call<T>(method: string, ...args: unknown[]): Promise<T>;
  putSecret(region: string, name: string, value: string) {
    return this.call<void>('putSecret', region, name, value);
  }
  putParameter(region: string, name: string, value: string) {
    return this.call<void>('putParameter', region, name, value);
  }
  setLatency(ms: number) {
    return this.call<void>('setLatency', ms);
  }
  setRegionDown(region: string, down: boolean) {
    return this.call<void>('setRegionDown', region, down);
  }
  counts() {
    return this.call<StubCounts>('counts');
  }
  resetCounts() {
    return this.call<void>('resetCounts');
  }
  eventLoop() {
    return this.call<LoopDelay>('eventLoop');
  }
}

class InProcessStubHost extends StubHostBase implements AwsStubHost {
  readonly placement = 'inproc' as const;
  readonly pid = process.pid;
  private constructor(
    private readonly stub: AwsStub,
    private readonly loop: IntervalHistogram,
  ) {
    super();
  }

  static async start(setup: StubSetup): Promise<InProcessStubHost> {
    const stub = await AwsStub.start({ latencyMs: setup.latencyMs, ...(setup.tls && { tls: setup.tls }) });
    const loop = monitorEventLoopDelay({ resolution: 5 });
    loop.enable();
    return new InProcessStubHost(stub, loop);
  }

  get url(): string {
    return this.stub.url;
  }
  get port(): number {
    return this.stub.port;
  }
  endpointEnv(): Record<string, string> {
    return this.stub.endpointEnv();
  }
  protected call<T>(method: string, ...args: unknown[]): Promise<T> {
    return Promise.resolve(applyStubCall(this.stub, this.loop, method, args) as T);
  }
  async close(): Promise<void> {
    this.loop.disable();
    await this.stub.close();
  }
}

interface Pending {
  resolve(v: unknown): void;
  reject(e: Error): void;
}

export type StubMessage =
  | { kind: 'ready'; url: string; port: number; endpointEnv: Record<string, string> }
  | { kind: 'result'; id: number; value?: unknown; error?: string };

class ChildStubHost extends StubHostBase implements AwsStubHost {
  readonly placement = 'child' as const;
  private seq = 0;
  private readonly pending = new Map<number, Pending>();
  private constructor(
    private readonly child: ChildProcess,
    readonly url: string,
    readonly port: number,
    private readonly env: Record<string, string>,
  ) {
    super();
    child.on('message', (m: StubMessage) => {
      if (m.kind !== 'result') return;
      const p = this.pending.get(m.id);
      if (!p) return;
      this.pending.delete(m.id);
      if (m.error !== undefined) p.reject(new Error(m.error));
      else p.resolve(m.value);
    });
    child.once('exit', (code, signal) => {
      for (const p of this.pending.values()) p.reject(new Error(`stub process exited (${code ?? signal})`));
      this.pending.clear();
    });
  }

  static async start(setup: StubSetup): Promise<ChildStubHost> {
    const entry = fileURLToPath(new URL('./stub-child.ts', import.meta.url));
    // The bench runs under tsx; the child does too (its own loader registration).
    const child = fork(entry, [], {
      execArgv: ['--import', 'tsx'],
      stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
      env: { ...process.env, NODE_OPTIONS: '' },
    });
    trackChild(child);
    let onEarlyExit: ((code: number | null) => void) | undefined;
    const ready = await new Promise<Extract<StubMessage, { kind: 'ready' }>>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error('the stub process did not start in 20 s')), 20_000);
      onEarlyExit = (code) => {
        clearTimeout(timer);
        reject(new Error(`the stub process exited with ${code} before it was ready`));
      };
      child.once('exit', onEarlyExit);
      child.on('message', (m: StubMessage) => {
        if (m.kind === 'ready') {
          clearTimeout(timer);
          resolve(m);
        }
      });
      child.send({ kind: 'init', setup });
    });
    child.off('exit', onEarlyExit!);
    return new ChildStubHost(child, ready.url, ready.port, ready.endpointEnv);
  }

  get pid(): number {
    return this.child.pid!;
  }
  endpointEnv(): Record<string, string> {
    return { ...this.env };
  }
  protected call<T>(method: string, ...args: unknown[]): Promise<T> {
    const id = ++this.seq;
    return new Promise<T>((resolve, reject) => {
      this.pending.set(id, { resolve: resolve as (v: unknown) => void, reject });
      this.child.send({ kind: 'call', id, method, args });
    });
  }
  async close(): Promise<void> {
    if (this.child.exitCode !== null || this.child.signalCode !== null) return;
    const exited = new Promise<void>((resolve) => this.child.once('exit', () => resolve()));
    this.child.send({ kind: 'close' });
    const timer = setTimeout(() => this.child.kill('SIGKILL'), 5000);
    await exited;
    clearTimeout(timer);
  }
}
