// Rotation failures users can see (src/server/rotation-events.ts, src/kube/events.ts): which failed
// mounts become a Warning event (a target this process mounted before, at most one per pod per
// interval, remembered for a bounded time and number of pods), what the event says, and that posting
// never throws into the mount or makes it wait.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { pino } from 'pino';
import type { CoreV1Event } from '@kubernetes/client-node';
import { MAX_EVENT_MESSAGE, podWarningEvent } from '../../src/kube/events.js';
import { ROTATION_FAILED_REASON, RotationEvents, type RotationEventOptions } from '../../src/server/rotation-events.js';

const MINUTE = 60_000;
const TARGET = '/var/lib/kubelet/pods/uid-1/volumes/kubernetes.io~csi/secrets-store-inline/mount';
const POD = { name: 'web-1', namespace: 'shop', uid: 'uid-1' };

function setup(options: RotationEventOptions = {}, post: (event: CoreV1Event) => Promise<void> = async () => undefined) {
  let now = Date.parse('2026-03-01T10:00:00Z');
  const posted: CoreV1Event[] = [];
  const lines: Array<Record<string, unknown>> = [];
  const log = pino({ level: 'debug' }, { write: (l: string) => void lines.push(JSON.parse(l) as Record<string, unknown>) });
  const events = new RotationEvents({ post: (e) => (posted.push(e), post(e)) }, { now: () => now, ...options });
  return { events, posted, lines, log, advance: (ms: number) => (now += ms) };
}

test('only a target mounted successfully before is a rotation failure; a first mount failure is not', () => {
  const { events } = setup();
  assert.equal(events.shouldReport('uid-1', TARGET), false, 'never mounted: kubelet shows FailedMount itself');
  events.mounted('uid-1', TARGET);
  assert.equal(events.shouldReport('uid-1', TARGET), true);
  assert.equal(events.shouldReport('uid-1', `${TARGET}-other`), false, 'another volume of the pod, never mounted');
  assert.equal(events.shouldReport('uid-2', TARGET), false, 'another pod');
  assert.equal(events.shouldReport('', TARGET), false, 'no pod uid');
});

test('at most one event per pod per interval, whichever volume failed', () => {
  const { events, advance } = setup({ intervalMs: 10 * MINUTE });
  events.mounted('uid-1', TARGET);
  events.mounted('uid-1', `${TARGET}2`);
  assert.equal(events.shouldReport('uid-1', TARGET), true);
  advance(2 * MINUTE);
  assert.equal(events.shouldReport('uid-1', TARGET), false);
  assert.equal(events.shouldReport('uid-1', `${TARGET}2`), false, 'per pod, not per volume');
  events.mounted('uid-1', TARGET); // a success in between does not reset the interval
  advance(8 * MINUTE - 1);
  assert.equal(events.shouldReport('uid-1', TARGET), false);
  advance(1);
  assert.equal(events.shouldReport('uid-1', TARGET), true);
});

test('bounded: successes are forgotten after rememberMs without another, and beyond maxPods', () => {
  const { events, advance } = setup({ rememberMs: 60 * MINUTE, maxPods: 2 });
  events.mounted('uid-1', TARGET);
  advance(59 * MINUTE);
  events.mounted('uid-1', TARGET); // rotation remounts keep it alive
  advance(59 * MINUTE);
  assert.equal(events.shouldReport('uid-1', TARGET), true);
  advance(61 * MINUTE);
  assert.equal(events.shouldReport('uid-1', TARGET), false, 'forgotten');
  events.mounted('a', TARGET);
  events.mounted('b', TARGET);
  events.mounted('c', TARGET);
  assert.equal(events.shouldReport('a', TARGET), false, 'least recently mounted pod dropped');
  assert.equal(events.shouldReport('c', TARGET), true);
  // A pod's targets are bounded too.
  for (let i = 0; i < 40; i++) events.mounted('d', `${TARGET}/${i}`);
  assert.equal(events.shouldReport('d', `${TARGET}/0`), false);
  assert.equal(events.shouldReport('d', `${TARGET}/39`), true);
});

test('the event: Warning SecretRotationFailed on the pod, the mount\'s message and the volume, nothing else', async () => {
  const { events, posted, lines, log: base } = setup();
  const log = base.child({ pod: POD.name });
  events.mounted(POD.uid, TARGET);
  const message = 'pod shop/web-1: objects[0] "db": secretsmanager GetSecretValue for secret "db" failed in region us-east-1 (HTTP 400): AccessDeniedException: denied';
  events.failed(POD, TARGET, message, log);
  assert.equal(posted.length, 1);
  const e = posted[0]!;
  assert.equal(e.reason, ROTATION_FAILED_REASON);
  assert.equal(e.type, 'Warning');
  assert.deepEqual(e.involvedObject, { apiVersion: 'v1', kind: 'Pod', name: 'web-1', namespace: 'shop', uid: 'uid-1' });
  assert.equal(e.message, `Refreshing the mounted secrets of volume "secrets-store-inline" failed; the pod keeps the files of the last successful mount: ${message}`);
  assert.equal(e.metadata.namespace, 'shop');
  assert.match(e.metadata.name!, /^web-1\.[0-9a-f]+$/);
  await new Promise((r) => setImmediate(r));
  assert.ok(lines.some((l) => l.msg === 'posted a Warning event on the pod: its secrets could not be refreshed' && l.pod === 'web-1'));
  events.failed(POD, TARGET, message, log);
  assert.equal(posted.length, 1, 'within the interval');
  events.failed(undefined, TARGET, message, log);
  assert.equal(posted.length, 1, 'a request without a pod');
});

test('posting never throws into the mount and never makes it wait; a failure is logged', async () => {
  let settle!: (v: void) => void;
  const { events, posted, lines, log } = setup({}, () => new Promise((resolve, reject) => (settle = () => reject(new Error('HTTP 403')))));
  events.mounted(POD.uid, TARGET);
  assert.equal(events.failed(POD, TARGET, 'x', log), undefined, 'returns at once');
  assert.equal(posted.length, 1);
  settle();
  await new Promise((r) => setImmediate(r));
  const warning = lines.find((l) => l.level === 40)!;
  assert.equal(warning.msg, 'could not post the Warning event about the failed refresh');
  assert.equal(warning.error, 'HTTP 403');
});

test('podWarningEvent: named like kubelet\'s, timestamps, source, message cut at 1 KiB', () => {
  const now = new Date('2026-03-01T10:00:00.123Z');
  const e = podWarningEvent(POD, 'R', 'm'.repeat(5000), now, 'provider-abc');
  assert.equal(e.metadata.name, `web-1.${(BigInt(now.getTime()) * 1_000_000n).toString(16)}`);
  assert.equal(e.message!.length, MAX_EVENT_MESSAGE);
  assert.ok(e.message!.endsWith('...'));
  assert.deepEqual([e.firstTimestamp, e.lastTimestamp, e.count], [now, now, 1]);
  assert.deepEqual(e.source, { component: 'secrets-store-csi-driver-provider-aws' });
  assert.equal(e.reportingInstance, 'provider-abc');
  assert.equal(podWarningEvent(POD, 'R', 'short', now).message, 'short');
});
