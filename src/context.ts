// The request context: what one Mount carries from the gRPC edge down to the
// file write. It is created at the edge (src/server/grpc-server.ts) and passed
// as one argument instead of a signal, a summary, observers and callbacks:
//   - signal and deadlineAt: the caller's deadline (less a margin) or its cancellation;
//   - log: a logger bound to the mount's pod once the request is parsed;
//   - record: one sink for what the mount did (credentials, AWS and Kubernetes
//     calls, failovers, files), from which the edge derives the summary log
//     line and the metrics, in one place.
// Long-lived objects (clients, caches) never keep a context: work shared by
// several mounts (a coalesced AWS call, a cached credential load) records into
// the context of the mount that started it.
import type { Logger } from './log.js';
import type { FailureClass } from './errors.js';

export type CredentialSource = 'cache' | 'fetched' | 'error';

/** One HTTP attempt against AWS or the Pod Identity agent (each SDK retry is one). */
export interface AttemptRecord {
  service: string;
  operation: string;
  region: string;
  /** 'ok' or the failure's class. */
  outcome: 'ok' | FailureClass;
  seconds: number;
}

/** What a mount did; filled in as it goes, read once at the edge. */
export class MountRecord {
  /** The step in progress, for a deadline's message. */
  stage = 'starting';
  pod?: { name: string; namespace: string; uid: string; serviceAccount: string };
  regions?: string[];
  authMode?: string;
  credentials?: CredentialSource;
  objects?: number;
  readonly attempts: AttemptRecord[] = [];
  readonly kubernetesReads: Array<{ resource: string; outcome: 'ok' | 'not_found' | 'error' }> = [];
  readonly failovers: Array<'secretsmanager' | 'ssm'> = [];
  /** Files written or returned, per object type. */
  readonly filesByType: Record<string, { files: number; bytes: number }> = {};

  attempt(attempt: AttemptRecord): void {
    this.attempts.push(attempt);
  }

  kubernetesRead(resource: string, outcome: 'ok' | 'not_found' | 'error'): void {
    this.kubernetesReads.push({ resource, outcome });
  }

  failover(service: 'secretsmanager' | 'ssm'): void {
    this.failovers.push(service);
  }

  file(objectType: string, bytes: number): void {
    const entry = (this.filesByType[objectType] ??= { files: 0, bytes: 0 });
    entry.files++;
    entry.bytes += bytes;
  }

  get files(): number {
    return Object.values(this.filesByType).reduce((n, t) => n + t.files, 0);
  }

  get bytes(): number {
    return Object.values(this.filesByType).reduce((n, t) => n + t.bytes, 0);
  }
}

export interface MountContext {
  readonly signal: AbortSignal;
  /** Epoch ms by which the mount must have answered (Infinity when the caller set none). */
  readonly deadlineAt: number;
  /** Bound to the pod once the request is parsed (see withPod). */
  log: Logger;
  readonly record: MountRecord;
}

export function createMountContext(signal: AbortSignal, deadlineAt: number, log: Logger): MountContext {
  return { signal, deadlineAt, log, record: new MountRecord() };
}

/** Binds the pod to the context's logger and record once the request names it. */
export function withPod(ctx: MountContext, pod: NonNullable<MountRecord['pod']>): void {
  ctx.record.pod = pod;
  ctx.log = ctx.log.child({ pod: pod.name, namespace: pod.namespace });
}

/** A context for work outside a Mount (the `mount` subcommand): its own deadline, records kept locally. */
export function standaloneContext(timeoutMs: number, log: Logger): MountContext {
  return createMountContext(AbortSignal.timeout(timeoutMs), Date.now() + timeoutMs, log);
}
