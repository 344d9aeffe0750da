// Child-process side of stub-host.ts: runs the AWS stub on its own event loop and answers control calls
// from the bench over the IPC channel. Exits when the bench says so or when the channel closes (the bench
// died), so it never outlives the run.
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { AwsStub } from '../test/harness/aws-stub.js';
import { applyStubCall, type StubMessage, type StubSetup } from './stub-host.js';

type Incoming =
  | { kind: 'init'; setup: StubSetup }
  | { kind: 'call'; id: number; method: string; args: unknown[] }
  | { kind: 'close' };

const send = (m: StubMessage) => process.send!(m);
const loop = monitorEventLoopDelay({ resolution: 5 });
let stub: AwsStub | undefined;

process.on('disconnect', () => process.exit(0));
process.on('message', (m: Incoming) => {
  void (async () => {
    if (m.kind === 'init') {
      stub = await AwsStub.start({ latencyMs: m.setup.latencyMs, ...(m.setup.tls && { tls: m.setup.tls }) });
      loop.enable();
      send({ kind: 'ready', url: stub.url, port: stub.port, endpointEnv: stub.endpointEnv() });
    } else if (m.kind === 'call') {
      try {
        if (!stub) throw new Error('stub not started');
        send({ kind: 'result', id: m.id, value: applyStubCall(stub, loop, m.method, m.args) });
      } catch (err) {
        send({ kind: 'result', id: m.id, error: (err as Error).message });
      }
    } else {
      await stub?.close();
      process.exit(0);
    }
  })();
});
