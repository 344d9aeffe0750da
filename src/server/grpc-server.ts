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
import { describeCauses, toGrpcError } from './status.js';
import { DeadlineError, ProviderError } from '../errors.js';
import { MAX_GRPC_RECEIVE_BYTES } from '../limits.js';

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
    'grpc.max_receive_message_length': MAX_GRPC_RECEIVE_BYTES,
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
  const startedAt = Date.now();
  const controller = new AbortController();
  const deadline = call.getDeadline();
  const callerDeadlineMs = deadline instanceof Date ? deadline.getTime() : Number(deadline);
  // Answer a little before the caller's deadline, so the driver still receives our (final) status.
  const deadlineAt = Number.isFinite(callerDeadlineMs) ? callerDeadlineMs - DEADLINE_MARGIN_MS : Infinity;
  const onCancel = () => controller.abort(new DeadlineError('the driver cancelled the mount'));
  call.on('cancelled', onCancel);
  const timer = Number.isFinite(deadlineAt)
    ? setTimeout(
        () => controller.abort(new DeadlineError(`the mount did not finish within its deadline of ${((callerDeadlineMs - startedAt) / 1000).toFixed(1)}s`)),
        Math.max(0, deadlineAt - Date.now()),
      )
    : undefined;

  const summary: MountSummary = {};
  // The summary is the mount's log line; its per-type counts are for metrics only.
  const logged = () => {
    const { filesByType: _, stage: __, ...line } = summary;
    return { ...line, durationMs: Math.round(performance.now() - started) };
  };
  let release: (() => void) | undefined;
  observer.mountStarted();
  try {
    summary.stage = 'waiting in the mount queue';
    release = await gate.enter(controller.signal, (d) => observer.mountQueued(d), requestBytes(call.request));
    const response = await performMount(call.request ?? {}, deps, { signal: controller.signal, deadlineAt }, summary);
    const seconds = (performance.now() - started) / 1000;
    for (const [type, n] of Object.entries(summary.filesByType ?? {})) observer.objectsMounted(type, n.files, n.bytes);
    observer.mountFinished('success', 'OK', seconds);
    log.info({ ...logged(), outcome: 'success' }, 'mount');
    callback(null, response);
  } catch (thrown) {
    const err = controller.signal.aborted ? asDeadlineFailure(thrown, controller.signal.reason, summary.stage) : thrown;
    const podLabel = summary.pod ? `${summary.namespace}/${summary.pod}` : undefined;
    const mapped = toGrpcError(err, podLabel);
    const seconds = (performance.now() - started) / 1000;
    observer.mountFinished('error', Status[mapped.code] ?? String(mapped.code), seconds);
    const unexpected = !(err instanceof ProviderError);
    log.warn(
      {
        ...logged(), outcome: 'error', grpcCode: mapped.code, errorCode: mapped.errorCode, error: mapped.details,
        // A bug: its stack and cause chain are what a maintainer needs (our errors never carry secret values).
        ...(unexpected && { cause: describeCauses(err) }),
      },
      'mount failed',
    );
    callback({ code: mapped.code, details: mapped.details });
  } finally {
    release?.();
    clearTimeout(timer);
    call.removeListener('cancelled', onCancel);
  }
}

/**
 * After the deadline or a cancellation whatever failed (an AbortError, an aborted AWS
 * call) failed because of it: report that, final, with the step that was in progress.
 */
function asDeadlineFailure(err: unknown, reason: unknown, stage: string | undefined): unknown {
  if (err instanceof ProviderError && err.kind !== 'deadline' && err.kind !== 'transient') return err;
  const why = reason instanceof DeadlineError ? reason.message : 'the mount was cancelled';
  return new DeadlineError(`${why} while ${stage ?? 'starting'}`, { cause: err });
}

/** What a waiting request holds: its strings, as received (length is enough for a bound). */
function requestBytes(request: MountRequestMessage | undefined): number {
  return 2 * ((request?.attributes?.length ?? 0) + (request?.target_path?.length ?? 0)) + 1024;
}


export function bindUnixSocket(server: Server, socketPath: string): Promise<void> {
  return new Promise((resolve, reject) => {
    server.bindAsync(`unix://${socketPath}`, ServerCredentials.createInsecure(), (err) => (err ? reject(err) : resolve()));
  });
}
