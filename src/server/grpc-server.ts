// The gRPC edge: Version and Mount on the provider socket. Each Mount gets its
// request context (src/context.ts: the driver's deadline or cancellation, a
// logger, the record of what it did); when it ends, its summary log line and
// its metrics are derived from that record here, and its errors are mapped in
// one place (status.ts). Nothing a request carries can throw past this file.
import { Server, ServerCredentials, status as Status, type sendUnaryData, type ServerUnaryCall } from '@grpc/grpc-js';
import { createMountContext, type MountContext } from '../context.js';
import type { Logger } from '../log.js';
import type { ProviderMetrics } from '../metrics.js';
import type { HealthState } from './health.js';
import type { MountGate } from './mount-gate.js';
import type { MountResponseMessage } from '../mount.js';
import type { MountRuntime } from '../mount-runtime.js';
import type { MountRequestMessage } from '../plan/request.js';
import { csiDriverProviderService } from './proto.js';
import { describeCauses, toGrpcError } from './status.js';
import { DeadlineError, ProviderError } from '../errors.js';
import { MAX_GRPC_RECEIVE_BYTES } from '../limits.js';
import { holdsEarlierContent } from '../files/earlier-content.js';

export const RUNTIME_NAME = 'secrets-store-csi-driver-provider-aws';

export interface ProviderServerOptions {
  version: string;
  /** The mount pipeline and metrics, loaded after the socket serves (src/mount-runtime.ts). */
  runtime: () => Promise<MountRuntime>;
  log: Logger;
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
  { runtime: loadRuntime, log, gate }: ProviderServerOptions,
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

  const ctx = createMountContext(controller.signal, deadlineAt, log);
  let release: (() => void) | undefined;
  // Loaded once, right after start-up (main.ts); a mount that arrives sooner waits for it.
  const { deps, metrics, performMount, rotationEvents } = await loadRuntime();
  metrics.mountStarted();
  try {
    ctx.record.stage = 'waiting in the mount queue';
    release = await gate.enter(controller.signal, (d) => metrics.mountQueued(d), requestBytes(call.request));
    const response = await performMount(call.request ?? {}, deps, ctx);
    report(ctx, metrics, (performance.now() - started) / 1000, undefined);
    callback(null, response);
    if (ctx.record.pod) rotationEvents?.mounted(ctx.record.pod.uid, call.request?.target_path ?? '');
  } catch (thrown) {
    const err = controller.signal.aborted ? asDeadlineFailure(thrown, controller.signal.reason, ctx.record.stage) : thrown;
    const pod = ctx.record.pod;
    const mapped = toGrpcError(err, pod ? `${pod.namespace}/${pod.name}` : undefined);
    // A parsed request (pod known) has a checked, absolute target_path.
    const keptEarlierContent = pod !== undefined && (await holdsEarlierContent(call.request.target_path!));
    report(ctx, metrics, (performance.now() - started) / 1000, {
      grpcCode: mapped.code, errorCode: mapped.errorCode, error: mapped.details, keptEarlierContent,
      // A bug: its stack and cause chain are what a maintainer needs (our errors never carry secret values).
      ...(!(err instanceof ProviderError) && { cause: describeCauses(err) }),
    });
    callback({ code: mapped.code, details: mapped.details });
    rotationEvents?.failed(pod, call.request?.target_path ?? '', mapped.details, ctx.log);
  } finally {
    release?.();
    clearTimeout(timer);
    call.removeListener('cancelled', onCancel);
  }
}

/**
 * The one place a mount's record becomes its summary log line and its metrics. AWS attempts
 * that failed transiently are also logged one per line, as warnings.
 */
function report(
  ctx: MountContext,
  metrics: ProviderMetrics,
  seconds: number,
  failure: { grpcCode: Status; errorCode: string; error: string; keptEarlierContent: boolean; cause?: string } | undefined,
): void {
  const { record } = ctx;
  metrics.mountRecorded(record, failure ? (Status[failure.grpcCode] ?? String(failure.grpcCode)) : 'OK', seconds, failure?.keptEarlierContent);
  for (const a of record.attempts) {
    if (a.outcome === 'throttled' || a.outcome === 'server' || a.outcome === 'network') {
      ctx.log.warn({ service: a.service, operation: a.operation, region: a.region, outcome: a.outcome }, 'AWS request failed with a transient error; the SDK retries or the failover region answers');
    }
  }
  const line = {
    ...(record.pod && { serviceAccount: record.pod.serviceAccount }),
    ...(record.regions && { regions: record.regions }),
    ...(record.authMode && { authMode: record.authMode }),
    ...(record.credentials && { credentials: record.credentials }),
    ...(record.objects !== undefined && { objects: record.objects }),
    failovers: record.failovers.length,
    files: record.files,
    bytes: record.bytes,
    awsCalls: record.attempts.length,
    durationMs: Math.round(seconds * 1000),
  };
  if (failure) ctx.log.warn({ ...line, outcome: 'error', ...failure }, 'mount failed');
  else ctx.log.info({ ...line, outcome: 'success' }, 'mount');
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
