// Rotation failures that users can see (--emit-events). Since driver v1.6 a failing remount
// (rotation) is reported to kubelet as a success, so the pod silently keeps stale files; only the
// provider knows. When a Mount fails for a target this process has mounted successfully before, a
// Warning Event (SecretRotationFailed) with the message a first mount would show is posted on the
// pod, at most one per pod per interval. Posting is fire-and-forget with a time limit: the mount's
// answer never waits for it, and a failure to post is logged, never raised.
// What was mounted is remembered per pod uid in a bounded cache whose entries expire; a provider
// restart forgets it (the first failure after a restart is not reported).
import { LRUCache } from 'lru-cache';
import type { Logger } from '../log.js';
import { podWarningEvent, type EventPod, type EventPoster } from '../kube/events.js';

export const ROTATION_FAILED_REASON = 'SecretRotationFailed';

export interface RotationEventOptions {
  /** At most one event per pod per this many ms. */
  intervalMs?: number;
  /** Pods remembered (least recently mounted go first). */
  maxPods?: number;
  /** How long a successful mount is remembered without another. */
  rememberMs?: number;
  /** Time limit of one post, from the rate limiter to the answer. */
  postTimeoutMs?: number;
  now?: () => number;
}

interface PodState {
  /** Targets (volumes) of the pod mounted successfully, most recent last. */
  targets: string[];
  /** When the last event was posted for the pod. */
  reportedAt?: number;
}

/** A pod has one target per CSI volume; more than this many are not remembered. */
const MAX_TARGETS_PER_POD = 16;

export class RotationEvents {
  private readonly pods: LRUCache<string, PodState>;
  private readonly intervalMs: number;
  private readonly postTimeoutMs: number;
  private readonly now: () => number;

  constructor(
    private readonly poster: Pick<EventPoster, 'post'>,
    options: RotationEventOptions = {},
  ) {
    this.intervalMs = options.intervalMs ?? 10 * 60_000;
    this.postTimeoutMs = options.postTimeoutMs ?? 5_000;
    this.now = options.now ?? Date.now;
    const rememberMs = options.rememberMs ?? 24 * 60 * 60_000;
    // Expiry on our clock (a test's may be fake), read afresh each time (ttlResolution 0).
    this.pods = new LRUCache<string, PodState>({ max: options.maxPods ?? 4096, ttl: rememberMs, ttlResolution: 0, perf: { now: () => this.now() } });
  }

  /** A Mount of `target` for the pod succeeded. */
  mounted(podUid: string, target: string): void {
    if (!podUid || !target) return;
    const state = this.pods.get(podUid) ?? { targets: [] };
    state.targets = [...state.targets.filter((t) => t !== target), target].slice(-MAX_TARGETS_PER_POD);
    this.pods.set(podUid, state); // refreshes its time to live
  }

  /**
   * Whether a failed Mount of `target` is a rotation failure to report now: the target was mounted
   * successfully before and no event was posted for the pod within the interval. Records the report.
   */
  shouldReport(podUid: string, target: string): boolean {
    const state = podUid ? this.pods.get(podUid, { updateAgeOnGet: false }) : undefined;
    if (!state?.targets.includes(target)) return false;
    const now = this.now();
    if (state.reportedAt !== undefined && now - state.reportedAt < this.intervalMs) return false;
    state.reportedAt = now;
    return true;
  }

  /** A Mount of `target` failed with `message` (what the driver is told). Returns at once; logs to `log` (the mount's). */
  failed(pod: EventPod | undefined, target: string, message: string, log: Logger): void {
    if (!pod || !this.shouldReport(pod.uid, target)) return;
    const volume = /\/volumes\/kubernetes\.io~csi\/([^/]+)\/mount\/?$/.exec(target)?.[1];
    const event = podWarningEvent(
      pod,
      ROTATION_FAILED_REASON,
      `Refreshing the mounted secrets${volume ? ` of volume "${volume}"` : ''} failed; the pod keeps the files of the last successful mount: ${message}`,
      new Date(this.now()),
    );
    this.poster.post(event, AbortSignal.timeout(this.postTimeoutMs)).then(
      () => log.info({ reason: ROTATION_FAILED_REASON, event: event.metadata.name }, 'posted a Warning event on the pod: its secrets could not be refreshed'),
      (err: Error) => log.warn({ reason: ROTATION_FAILED_REASON, error: err.message }, 'could not post the Warning event about the failed refresh'),
    );
  }
}
