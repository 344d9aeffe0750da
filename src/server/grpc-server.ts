// The gRPC edge: Version and Mount on the provider socket. Each Mount gets its
// own abort signal (the driver's deadline or cancellation), its own summary
// log line, and its errors mapped in one place. Nothing a request carries can
// throw past this file.
import { Server, ServerCredentials, status as Status, type sendUnaryData, type ServerUnaryCall } from '@grpc/grpc-js';
import type { Logger } from '../log.js';
import type { Observer } from '../metrics.js';
import type { HealthState } from './health.js';
import type { MountGate } from './mount-gate.js';
import { performMount, type MountDeps, type MountResponseMessage, type MountSummary } from '../mount.js';
import type { MountRequestMessage } from '../plan/request.js';
import { csiDriverProviderService } from './proto.js';
import { toGrpcError } from './status.js';

export const RUNTIME_NAME = 'secrets-store-csi-driver-provider-aws';

export interface ProviderServerOptions {
  version: string;
  mountDeps: MountDeps;
  log: Logger;
  observer: Observer;
  gate: MountGate;
  health: HealthState;
}

/** Leave the driver this long to receive our answer before its deadline. */
const DEADLINE_MARGIN_MS = 250;

export function createProviderServer(options: ProviderServerOptions): Server {
  const { version, health } = options;
  const server = new Server({
    'grpc.max_receive_message_length': 8 * 1024 * 1024,
    'grpc.max_send_message_length': 8 * 1024 * 1024,
  });
  server.addService(csiDriverProviderService(), {
    Version(_call: ServerUnaryCall<unknown, unknown>, callback: sendUnaryData<unknown>) {
      callback(null, { version: 'v1alpha1', runtime_name: RUNTIME_NAME, runtime_version: version });
    },
    Mount(call: ServerUnaryCall<MountRequestMessage, MountResponseMessage>, callback: sendUnaryData<MountResponseMessage>) {
      void handleMount(call, callback, options);
    },
  });
  health.addTo(server);
  return server;
}

async function handleMount(
  call: ServerUnaryCall<MountRequestMessage, MountResponseMessage>,
  callback: sendUnaryData<MountResponseMessage>,
  { mountDeps: deps, log, observer, gate }: ProviderServerOptions,
): Promise<void> {
  const started = performance.now();
  const controller = new AbortController();
  const onCancel = () => controller.abort();
  call.on('cancelled', onCancel);
  const deadline = call.getDeadline();
  const deadlineMs = deadline instanceof Date ? deadline.getTime() : Number(deadline);
  const timer = Number.isFinite(deadlineMs)
    ? setTimeout(onCancel, Math.max(0, deadlineMs - Date.now() - DEADLINE_MARGIN_MS))
    : undefined;

  const summary: MountSummary = {};
  // The summary is the mount's log line; its per-type counts are for metrics only.
  const logged = () => {
    const { filesByType: _, ...line } = summary;
    return { ...line, durationMs: Math.round(performance.now() - started) };
  };
  let release: (() => void) | undefined;
  observer.mountStarted();
  try {
    release = await gate.enter(controller.signal, (d) => observer.mountQueued(d));
    const response = await performMount(call.request ?? {}, deps, controller.signal, summary);
    const seconds = (performance.now() - started) / 1000;
    for (const [type, n] of Object.entries(summary.filesByType ?? {})) observer.objectsMounted(type, n.files, n.bytes);
    observer.mountFinished('success', 'OK', seconds);
    log.info({ ...logged(), outcome: 'success' }, 'mount');
    callback(null, response);
  } catch (err) {
    const podLabel = summary.pod ? `${summary.namespace}/${summary.pod}` : undefined;
    const mapped = toGrpcError(err, podLabel);
    const seconds = (performance.now() - started) / 1000;
    observer.mountFinished('error', Status[mapped.code] ?? String(mapped.code), seconds);
    log.warn(
      { ...logged(), outcome: 'error', grpcCode: mapped.code, errorCode: mapped.errorCode, error: mapped.details },
      'mount failed',
    );
    callback({ code: mapped.code, details: mapped.details });
  } finally {
    release?.();
    clearTimeout(timer);
    call.removeListener('cancelled', onCancel);
  }
}

export function bindUnixSocket(server: Server, socketPath: string): Promise<void> {
  return new Promise((resolve, reject) => {
    server.bindAsync(`unix://${socketPath}`, ServerCredentials.createInsecure(), (err) => (err ? reject(err) : resolve()));
  });
}
