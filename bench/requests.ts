// The bench's data set and MountRequests, shaped as the Secrets Store CSI driver (v1.6) sends them: the
// SecretProviderClass parameters (objects YAML, region, failoverRegion, usePodIdentity) overlaid with the
// pod info keys and csi.storage.k8s.io/serviceAccount.tokens (both audiences), permission "420", a real
// target directory. A new pod gets a new token, so its first mount really needs credentials.
import { randomBytes } from 'node:crypto';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { AUDIENCE_POD_IDENTITY, AUDIENCE_STS, buildMountRequest, makePod, makePodToken } from '../test/harness/attributes.js';
import type { MountRequest } from '../test/harness/grpc-client.js';
import { makeTempDir, removeTempDir } from '../test/harness/process-cleanup.js';
import type { AwsStubHost } from './stub-host.js';

export const PRIMARY_REGION = 'us-west-2';
export const FAILOVER_REGION = 'us-east-1';
export const NAMESPACE = 'bench';
export const SERVICE_ACCOUNT = 'app-sa';
export const NODE_NAME = 'bench-node';
export const ROLE_ARN = 'arn:aws:iam::123456789012:role/bench-app';

export type AuthMode = 'pod-identity' | 'irsa';

export interface BenchObject {
  type: 'secretsmanager' | 'ssmparameter';
  name: string;
}

export const sm = (name: string): BenchObject => ({ type: 'secretsmanager', name });
export const ssm = (name: string): BenchObject => ({ type: 'ssmparameter', name });

/** The objects each workload mounts. */
export const OBJECTS = {
  firstMount: [...range(5).map((i) => sm(`bench/first/secret-${i}`)), ...range(5).map((i) => ssm(`/bench/first/param-${i}`))],
  remount: range(3).map((i) => sm(`bench/remount/secret-${i}`)),
  failover: range(10).map((i) => sm(`bench/failover/secret-${i}`)),
  burst: range(3).map((i) => sm(`bench/burst/secret-${i}`)),
  /** Workload 6: a pod's volumes, in order (an application's secrets, its configuration). */
  nodeFill: [
    { spc: 'bench-app-secrets', objects: range(2).map((i) => sm(`bench/fill/secret-${i}`)) },
    { spc: 'bench-app-config', objects: range(2).map((i) => ssm(`/bench/fill/param-${i}`)) },
  ],
};

/** Stores every object of the bench in the stub: the primary region, and the failover region for workload 3. */
export async function seedStub(stub: AwsStubHost): Promise<void> {
  const value = (name: string) => JSON.stringify({ username: `user-${name}`, password: randomBytes(24).toString('base64') });
  const puts: Promise<void>[] = [];
  const fill = OBJECTS.nodeFill.flatMap((v) => v.objects);
  for (const o of [...OBJECTS.firstMount, ...OBJECTS.remount, ...OBJECTS.burst, ...OBJECTS.failover, ...fill]) {
    if (o.type === 'secretsmanager') puts.push(stub.putSecret(PRIMARY_REGION, o.name, value(o.name)));
    else puts.push(stub.putParameter(PRIMARY_REGION, o.name, value(o.name)));
  }
  for (const o of OBJECTS.failover) puts.push(stub.putSecret(FAILOVER_REGION, o.name, value(o.name)));
  await Promise.all(puts);
}

export function objectsYaml(objects: readonly BenchObject[]): string {
  return objects
    .map((o) => `- objectName: "${o.name}"\n  objectType: "${o.type}"\n  objectAlias: "${o.name.replace(/^\//, '').replace(/\//g, '_')}"`)
    .join('\n');
}

export interface PodMount {
  pod: string;
  uid: string;
  /** Reused for every mount of this pod: the same token, as kubelet reuses it until it nears expiry. */
  request: MountRequest;
}

export interface MountSpec {
  objects: readonly BenchObject[];
  mode: AuthMode;
  failoverRegion?: string;
}

/** Temp directory holding the pods' target paths; `close()` removes it. */
export class TargetDirs {
  // Mount targets live on a tmpfs, like the driver's volumes.
  readonly root = makeTempDir('bench-targets-', { tmpfs: true });
  make(pod: string): string {
    const dir = join(this.root, pod);
    mkdirSync(dir, { recursive: true });
    return dir;
  }
  close(): void {
    removeTempDir(this.root);
  }
}

/** A new pod (fresh uid and tokens) and its MountRequest. */
export function newPodMount(podName: string, spec: MountSpec, targets: TargetDirs): PodMount {
  const pod = makePod(NAMESPACE, podName, SERVICE_ACCOUNT);
  const parameters: Record<string, string> = {
    objects: objectsYaml(spec.objects),
    region: PRIMARY_REGION,
    ...(spec.failoverRegion && { failoverRegion: spec.failoverRegion }),
    usePodIdentity: spec.mode === 'pod-identity' ? 'true' : 'false',
  };
  const request = buildMountRequest({
    pod,
    parameters,
    volumeAttributes: { secretProviderClass: 'bench-spc' },
    targetPath: targets.make(podName),
  });
  return { pod: podName, uid: pod.uid, request };
}

/**
 * A new pod with several CSI volumes: one MountRequest per volume, each its own SecretProviderClass and
 * target directory, all with the pod's uid and the same tokens (kubelet's token manager hands every volume
 * of a pod the same token per audience).
 */
export function newPodVolumeMounts(
  podName: string,
  volumes: ReadonlyArray<{ spc: string; objects: readonly BenchObject[] }>,
  mode: AuthMode,
  targets: TargetDirs,
): { pod: string; uid: string; requests: MountRequest[] } {
  const pod = makePod(NAMESPACE, podName, SERVICE_ACCOUNT);
  const tokens = { [AUDIENCE_STS]: makePodToken(pod, { audience: AUDIENCE_STS }), [AUDIENCE_POD_IDENTITY]: makePodToken(pod, { audience: AUDIENCE_POD_IDENTITY }) };
  const requests = volumes.map((volume) =>
    buildMountRequest({
      pod,
      tokens,
      parameters: { objects: objectsYaml(volume.objects), region: PRIMARY_REGION, usePodIdentity: mode === 'pod-identity' ? 'true' : 'false' },
      volumeAttributes: { secretProviderClass: volume.spc },
      targetPath: targets.make(join(podName, volume.spc)),
    }),
  );
  return { pod: podName, uid: pod.uid, requests };
}

export function range(n: number): number[] {
  return Array.from({ length: n }, (_, i) => i);
}
