// patientTimeout (src/util/abort.ts): a time limit that, when the process was not scheduled
// while its answer arrived, reads the answer before it fires. The process being "not scheduled"
// is reproduced by blocking the event loop after the answer is in the socket's kernel buffer.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createConnection, createServer, type Socket } from 'node:net';
import { patientTimeout } from '../../src/util/abort.js';

/** Client and server sockets in this process; the server's bytes go straight to the kernel. */
async function connectedPair(): Promise<{ client: Socket; server: Socket; close(): void }> {
  const listener = createServer();
  await new Promise<void>((resolve) => listener.listen(0, '127.0.0.1', resolve));
  const port = (listener.address() as { port: number }).port;
  const accepted = new Promise<Socket>((resolve) => listener.once('connection', resolve));
  const client = createConnection(port, '127.0.0.1');
  await new Promise<void>((resolve) => client.once('connect', resolve));
  const server = await accepted;
  return { client, server, close: () => (client.destroy(), server.destroy(), listener.close()) };
}

function blockEventLoop(ms: number): void {
  const until = Date.now() + ms;
  while (Date.now() < until) {
    // the process "not scheduled": nothing else runs
  }
}

/** Writes an answer, blocks past the limit, and reports whether the answer was read before the limit fired. */
async function answerReadBeforeLimit(startLimit: () => AbortSignal): Promise<boolean> {
  const { client, server, close } = await connectedPair();
  try {
    const limit = startLimit();
    let answered = false;
    client.on('data', () => (answered = true));
    const fired = new Promise<boolean>((resolve) => limit.addEventListener('abort', () => resolve(answered), { once: true }));
    server.write('answer');
    blockEventLoop(100);
    return await fired;
  } finally {
    close();
  }
}

test('a plain timeout fires before an answer that arrived while the loop was blocked is read (the problem)', async () => {
  assert.equal(await answerReadBeforeLimit(() => AbortSignal.timeout(10)), false);
});

test('a patient timeout reads the waiting answer first, then fires with a TimeoutError', async () => {
  let limit: ReturnType<typeof patientTimeout> | undefined;
  assert.equal(await answerReadBeforeLimit(() => (limit = patientTimeout(10, 'no answer within 10 ms')).signal), true);
  assert.ok(limit);
  assert.equal((limit.signal.reason as Error).name, 'TimeoutError');
  assert.equal((limit.signal.reason as Error).message, 'no answer within 10 ms');
});

test('a cleared patient timeout never fires', async () => {
  const limit = patientTimeout(5, 'x');
  limit.clear();
  await new Promise((resolve) => setTimeout(resolve, 30));
  assert.equal(limit.signal.aborted, false);
});

test('a patient timeout with nothing to read fires', async () => {
  const limit = patientTimeout(5, 'x');
  await new Promise((resolve) => limit.signal.addEventListener('abort', resolve, { once: true }));
  assert.equal(limit.signal.aborted, true);
});
