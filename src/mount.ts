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
import { RequestError } from './errors.js';
import { abortError, raceSignal } from './util/abort.js';

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

/** The driver rejects responses over 4 MiB; stay clear of it with room for framing. */
const MAX_DRIVER_RESPONSE_BYTES = 4 * 1024 * 1024 - 64 * 1024;

export async function performMount(
  request: MountRequestMessage,
  deps: MountDeps,
  signal: AbortSignal,
  summary: MountSummary,
): Promise<MountResponseMessage> {
  const parsed = parseMountRequest(request);
  Object.assign(summary, { pod: parsed.pod.name, namespace: parsed.pod.namespace, serviceAccount: parsed.pod.serviceAccount });

  const primary =
    requestedRegion(parsed, deps.envRegion) ??
    (await raceSignal(deps.kube.nodeRegion(parsed.pod.namespace, parsed.pod.name, parsed.pod.uid), signal));
  const regions = resolveRegions(parsed.attributes, primary);
  summary.regions = [regions.primary, ...(regions.failover ? [regions.failover] : [])];

  const plan = planMount(parsed, regions, (text, ctx) => deps.objectsMemo.parse(text, ctx));
  summary.authMode = plan.auth.mode;
  summary.objects = plan.objects.length;
  if (plan.objects.length === 0) return { object_version: [], files: [] };

  const credentials = await deps.credentials.resolve(plan.auth, regions, signal);
  let failovers = 0;
  const fetched = await fetchObjects(plan, credentials, deps.clients, signal, {
    concurrency: deps.fetchConcurrency,
    coalescer: deps.coalescer,
    onFailover: (what, service) => {
      failovers++;
      deps.observer.failover(service);
      deps.log.warn({ pod: parsed.pod.name, namespace: parsed.pod.namespace, object: what, region: regions.failover }, 'primary region failed; mounted the value from the failover region');
    },
  });
  summary.failovers = failovers;

  const files = mountedFiles(fetched);
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
    if (bytes > MAX_DRIVER_RESPONSE_BYTES) {
      throw new RequestError(`the ${files.length} files total ${bytes} bytes, more than the driver accepts in one response (4 MiB)`);
    }
    return { object_version, files: files.map(toDriverFile) };
  }
  if (signal.aborted) throw abortError(); // the driver has given up: leave its volume alone
  await writeFilesAtomically(plan.targetPath, files);
  return { object_version, files: [] };
}

function toDriverFile(f: MountedFile) {
  return { path: f.path, mode: f.mode, contents: f.contents };
}
