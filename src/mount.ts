// One Mount, from request to files. Reads like the pipeline it is:
// parse (pure) -> region -> plan (pure) -> credentials -> fetch -> extract -> files.
// What it did goes into the request context's record (src/context.ts); the
// gRPC edge turns that into the summary log line and the metrics.
import { roleSessionName } from './auth/assume-role.js';
import type { PodCredentialsResolver } from './auth/credentials.js';
import type { AwsPort } from './aws/port.js';
import { withPod, type MountContext } from './context.js';
import { LimitError } from './errors.js';
import { fetchObjects, type FetchCoalescer } from './fetch/fetch-objects.js';
import { writeFilesAtomically } from './files/atomic-writer.js';
import { mountedFiles, type MountedFile } from './files/mounted-files.js';
import type { KubeLookups } from './kube/lookups.js';
import { MAX_DRIVER_RESPONSE_BYTES, MAX_MOUNT_BYTES } from './limits.js';
import type { ParsedObjectsMemo } from './plan/objects-memo.js';
import { parseMountRequest, planMount, primaryRegion, resolveRegions, type MountRequestMessage } from './plan/request.js';
import { abortError } from './util/abort.js';
import { MOUNT_RETRY, retryTransient } from './util/retry.js';

/** The long-lived objects a mount uses (created once in main.ts). */
export interface MountDeps {
  envRegion: string | undefined;
  kube: KubeLookups;
  credentials: PodCredentialsResolver;
  aws: AwsPort;
  driverWritesSecrets: boolean;
  /** AWS calls in flight at once per mount. */
  fetchConcurrency: number;
  coalescer: FetchCoalescer;
  objectsMemo: ParsedObjectsMemo;
}

export interface MountResponseMessage {
  object_version: { id: string; version: string }[];
  files: { path: string; mode: number; contents: Buffer }[];
}

export async function performMount(request: MountRequestMessage, deps: MountDeps, ctx: MountContext): Promise<MountResponseMessage> {
  const { record } = ctx;
  record.stage = 'parsing the request';
  const parsed = parseMountRequest(request);
  withPod(ctx, parsed.pod);

  record.stage = 'looking up the node region';
  const primary =
    primaryRegion(parsed.attributes, deps.envRegion) ??
    (await retryTransient(() => deps.kube.nodeRegion(parsed.pod.namespace, parsed.pod.name, parsed.pod.uid, ctx), ctx));
  const regions = resolveRegions(parsed.attributes, primary);
  record.regions = [regions.primary, ...(regions.failover ? [regions.failover] : [])];

  record.stage = 'planning the objects';
  const plan = planMount(parsed, regions, (text, objectsCtx) => deps.objectsMemo.parse(text, objectsCtx));
  record.authMode = plan.auth.mode;
  record.objects = plan.objects.length;
  if (plan.objects.length === 0) return { object_version: [], files: [] };

  record.stage = `getting ${plan.auth.mode === 'irsa' ? 'IRSA' : 'Pod Identity'} credentials${plan.assumeRole ? ` and assuming role ${plan.assumeRole.roleArn}` : ''}`;
  const role = plan.assumeRole && { plan: plan.assumeRole, sessionName: roleSessionName(plan.pod) };
  const credentials = await retryTransient(() => deps.credentials.resolve(plan.auth, regions, ctx, role), ctx, MOUNT_RETRY);
  record.stage = 'fetching the objects';
  const fetched = await fetchObjects(plan, credentials, deps.aws, ctx, {
    concurrency: deps.fetchConcurrency,
    maxBytes: MAX_MOUNT_BYTES,
    coalescer: deps.coalescer,
  });

  record.stage = 'extracting jmesPath values';
  const files = mountedFiles(fetched, MAX_MOUNT_BYTES);
  for (const f of files) record.file(f.objectType, f.contents.length);
  const object_version = files.map((f) => ({ id: f.path, version: f.version }));

  if (deps.driverWritesSecrets) {
    const response = { object_version, files: files.map(toDriverFile) };
    const encoded = encodedResponseBytes(response);
    if (encoded > MAX_DRIVER_RESPONSE_BYTES) {
      throw new LimitError(`the response with ${files.length} files is ${encoded} bytes encoded, more than the driver accepts in one response (4 MiB)`);
    }
    return response;
  }
  if (ctx.signal.aborted) throw abortError(); // the driver has given up: leave its volume alone
  record.stage = 'writing the files';
  await writeFilesAtomically(plan.targetPath, files, ctx.signal);
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
