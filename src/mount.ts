// One Mount, from request to files. Reads like the pipeline it is:
// parse (pure) -> region -> plan (pure) -> credentials -> fetch -> extract -> files.
import type { AwsClients } from './aws/clients.js';
import type { PodCredentialsResolver } from './auth/credentials.js';
import { fetchObjects, type FetchCoalescer } from './fetch/fetch-objects.js';
import { writeFilesAtomically } from './files/atomic-writer.js';
import { mountedFiles, type MountedFile } from './files/mounted-files.js';
import type { KubeLookups } from './kube/lookups.js';
import type { Logger } from './log.js';
import type { Observer } from './metrics.js';
import type { ParsedObjectsMemo } from './plan/objects.js';
import { parseMountRequest, planMount, requestedRegion, resolveRegions, type MountRequestMessage } from './plan/request.js';
import { LimitError } from './errors.js';
import { MAX_DRIVER_RESPONSE_BYTES, MAX_MOUNT_BYTES } from './limits.js';
import { abortError, raceSignal } from './util/abort.js';
import { MOUNT_RETRY, retryTransient, type RetryBudget } from './util/retry.js';

export interface MountDeps {
  envRegion: string | undefined;
  kube: KubeLookups;
  credentials: PodCredentialsResolver;
  clients: AwsClients;
  driverWritesSecrets: boolean;
  /** AWS calls in flight at once per mount. */
  fetchConcurrency: number;
  coalescer: FetchCoalescer;
  objectsMemo: ParsedObjectsMemo;
  log: Logger;
  observer: Observer;
}

export interface MountResponseMessage {
  object_version: { id: string; version: string }[];
  files: { path: string; mode: number; contents: Buffer }[];
}

/** What the mount's summary log line reports; filled in as the mount proceeds. */
export interface MountSummary {
  /** The step in progress, for a deadline's message. */
  stage?: string;
  pod?: string;
  namespace?: string;
  serviceAccount?: string;
  regions?: string[];
  authMode?: string;
  objects?: number;
  files?: number;
  bytes?: number;
  failovers?: number;
  /** Files per object type, for metrics. */
  filesByType?: Record<string, { files: number; bytes: number }>;
}

export async function performMount(
  request: MountRequestMessage,
  deps: MountDeps,
  budget: RetryBudget,
  summary: MountSummary,
): Promise<MountResponseMessage> {
  const { signal } = budget;
  summary.stage = 'parsing the request';
  const parsed = parseMountRequest(request);
  Object.assign(summary, { pod: parsed.pod.name, namespace: parsed.pod.namespace, serviceAccount: parsed.pod.serviceAccount });

  summary.stage = 'looking up the node region';
  const primary =
    requestedRegion(parsed, deps.envRegion) ??
    (await retryTransient(() => raceSignal(deps.kube.nodeRegion(parsed.pod.namespace, parsed.pod.name, parsed.pod.uid, signal), signal), budget));
  const regions = resolveRegions(parsed.attributes, primary);
  summary.regions = [regions.primary, ...(regions.failover ? [regions.failover] : [])];

  summary.stage = 'planning the objects';
  const plan = planMount(parsed, regions, (text, ctx) => deps.objectsMemo.parse(text, ctx));
  summary.authMode = plan.auth.mode;
  summary.objects = plan.objects.length;
  if (plan.objects.length === 0) return { object_version: [], files: [] };

  summary.stage = `getting ${plan.auth.mode === 'irsa' ? 'IRSA' : 'Pod Identity'} credentials`;
  const credentials = await retryTransient(() => deps.credentials.resolve(plan.auth, regions, signal), budget, MOUNT_RETRY);
  summary.stage = 'fetching the objects';
  let failovers = 0;
  const fetched = await fetchObjects(plan, credentials, deps.clients, budget, {
    concurrency: deps.fetchConcurrency,
    maxBytes: MAX_MOUNT_BYTES,
    coalescer: deps.coalescer,
    onFailover: (what, service) => {
      failovers++;
      deps.observer.failover(service);
      deps.log.warn({ pod: parsed.pod.name, namespace: parsed.pod.namespace, object: what, region: regions.failover }, 'primary region failed; mounted the value from the failover region');
    },
  });
  summary.failovers = failovers;

  summary.stage = 'extracting jmesPath values';
  const files = mountedFiles(fetched, MAX_MOUNT_BYTES);
  const filesByType: Record<string, { files: number; bytes: number }> = {};
  for (const f of files) {
    const entry = (filesByType[f.objectType] ??= { files: 0, bytes: 0 });
    entry.files++;
    entry.bytes += f.contents.length;
  }
  const bytes = files.reduce((n, f) => n + f.contents.length, 0);
  Object.assign(summary, { files: files.length, bytes, filesByType });
  const object_version = files.map((f) => ({ id: f.path, version: f.version }));

  if (deps.driverWritesSecrets) {
    const response = { object_version, files: files.map(toDriverFile) };
    const encoded = encodedResponseBytes(response);
    if (encoded > MAX_DRIVER_RESPONSE_BYTES) {
      throw new LimitError(`the response with ${files.length} files is ${encoded} bytes encoded, more than the driver accepts in one response (4 MiB)`);
    }
    return response;
  }
  if (signal.aborted) throw abortError(); // the driver has given up: leave its volume alone
  summary.stage = 'writing the files';
  await writeFilesAtomically(plan.targetPath, files, signal);
  return { object_version, files: [] };
}

function toDriverFile(f: MountedFile) {
  return { path: f.path, mode: f.mode, contents: f.contents };
}

/** Size of the MountResponse on the wire (protobuf): what the driver's 4 MiB limit counts. */
export function encodedResponseBytes(response: MountResponseMessage): number {
  // A length-delimited field costs its tag (1 byte for field numbers < 16), its length as a varint, and its bytes.
  const field = (length: number) => 1 + varintBytes(length) + length;
  let total = 0;
  for (const v of response.object_version) total += field(field(Buffer.byteLength(v.id)) + field(Buffer.byteLength(v.version)));
  for (const f of response.files) {
    total += field(field(Buffer.byteLength(f.path)) + 1 + varintBytes(f.mode) + field(f.contents.length));
  }
  return total;
}

function varintBytes(n: number): number {
  let bytes = 1;
  while (n >= 0x80) {
    n = Math.floor(n / 0x80);
    bytes++;
  }
  return bytes;
}
