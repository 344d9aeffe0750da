// Shared set-up for the end-to-end tests: the real provider bundle on a real
// socket, wired to moto (through the fault proxy), the Kubernetes API stub and
// the Pod Identity agent stubs. Helpers create pods, seed AWS and read files.
import { after, before, beforeEach } from 'node:test';
import { mkdtempSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CreateSecretCommand, PutSecretValueCommand, UpdateSecretVersionStageCommand } from '@aws-sdk/client-secrets-manager';
import { LabelParameterVersionCommand, PutParameterCommand } from '@aws-sdk/client-ssm';
import { buildMountRequest, makePod, readTokens, type PodInfo } from '../harness/attributes.js';
import { makeTempDir } from '../harness/process-cleanup.js';
import { startTestEnvironment, type ProviderStartOptions, type TestEnvironment } from '../harness/env.js';
import type { MountRequest } from '../harness/grpc-client.js';
import type { ProviderProcess } from '../harness/provider-process.js';

export const ACCOUNT = '123456789012';
export const ROLE_ARN = `arn:aws:iam::${ACCOUNT}:role/app-secrets-reader`;
export const NODE = 'ip-10-0-0-1.ec2.internal';

export interface E2E {
  env: TestEnvironment;
  provider: ProviderProcess;
}

/**
 * Registers the suite's hooks: one environment and provider for the file,
 * reset before each test, stopped after the last. Returns live accessors.
 */
export function useE2E(
  options: ProviderStartOptions | (() => Promise<ProviderStartOptions>) = {},
  onStarted?: (e2e: E2E) => Promise<void>,
): E2E {
  let current: E2E | undefined;
  // One before hook: Node 20 does not order several root-level before hooks.
  before(async () => {
    current = await startE2E(typeof options === 'function' ? await options() : options);
    await onStarted?.(current);
  });
  after(async () => {
    await current?.env.stop();
  });
  beforeEach(async () => {
    await current!.env.reset();
  });
  return {
    get env() {
      return current!.env;
    },
    get provider() {
      return current!.provider;
    },
  };
}

export async function startE2E(options: ProviderStartOptions = {}): Promise<E2E> {
  const env = await startTestEnvironment();
  try {
    const provider = await env.startProvider(options);
    return { env, provider };
  } catch (err) {
    await env.stop();
    throw err;
  }
}

let podCounter = 0;

export interface PodSetup {
  auth?: 'irsa' | 'pod-identity';
  /** Service account; default: a fresh one per pod. */
  serviceAccount?: string;
  namespace?: string;
  /** Annotate the service account with this role (IRSA); null for none. */
  roleArn?: string | null;
  nodeLabels?: Record<string, string>;
  nodeName?: string;
}

/** A pod known to the Kubernetes stub (service account, pod, node) and to the agent. */
export function createPod(env: TestEnvironment, setup: PodSetup = {}): PodInfo {
  podCounter += 1;
  const namespace = setup.namespace ?? 'shop';
  const sa = setup.serviceAccount ?? `sa-${podCounter}`;
  const pod = makePod(namespace, `web-${podCounter}`, sa);
  const roleArn = setup.roleArn === undefined ? ROLE_ARN : setup.roleArn;
  env.kube.addServiceAccount(namespace, sa, roleArn ? { 'eks.amazonaws.com/role-arn': roleArn } : {});
  const node = setup.nodeName ?? NODE;
  env.kube.addPod(namespace, pod.name, node, { serviceAccountName: sa, uid: pod.uid });
  env.kube.addNode(node, setup.nodeLabels ?? { 'topology.kubernetes.io/region': 'us-east-1' });
  return pod;
}

/** A fresh target directory, removed when the test process exits. */
export function targetDir(): string {
  return makeTempDir('ascp-target-');
}

export interface RequestSetup {
  pod: PodInfo;
  parameters: Record<string, string>;
  target?: string;
  permission?: string;
}

/** A MountRequest as the driver builds it; Pod Identity tokens are allowed on the agents. */
export function mountRequest(env: TestEnvironment, setup: RequestSetup): MountRequest {
  const request = buildMountRequest({
    pod: setup.pod,
    parameters: setup.parameters,
    targetPath: setup.target ?? targetDir(),
    ...(setup.permission && { permission: setup.permission }),
  });
  const token = readTokens(request.attributes)['pods.eks.amazonaws.com']?.token;
  if (token) env.allowPodIdentityToken(token, { roleArn: ROLE_ARN });
  return request;
}

export interface FileOnDisk {
  contents: string;
  mode: number;
}

/** Every file under dir (recursively), path -> contents and permission bits. */
export function readTree(dir: string, prefix = ''): Record<string, FileOnDisk> {
  const out: Record<string, FileOnDisk> = {};
  for (const name of readdirSync(dir).sort()) {
    const path = join(dir, name);
    const st = statSync(path);
    if (st.isDirectory()) Object.assign(out, readTree(path, `${prefix}${name}/`));
    else out[`${prefix}${name}`] = { contents: readFileSync(path, 'utf8'), mode: st.mode & 0o7777 };
  }
  return out;
}

// ---- seeding AWS (straight to moto, never through the fault proxy) ----

export async function createSecret(env: TestEnvironment, region: string, name: string, value: string | Uint8Array) {
  const out = await env.secretsManager(region).send(
    new CreateSecretCommand(typeof value === 'string' ? { Name: name, SecretString: value } : { Name: name, SecretBinary: value }),
  );
  return { arn: out.ARN!, versionId: out.VersionId! };
}

export async function putSecretValue(env: TestEnvironment, region: string, name: string, value: string, stages?: string[]) {
  const out = await env.secretsManager(region).send(
    new PutSecretValueCommand({ SecretId: name, SecretString: value, ...(stages && { VersionStages: stages }) }),
  );
  return out.VersionId!;
}

export async function moveStage(env: TestEnvironment, region: string, name: string, stage: string, toVersion: string, fromVersion?: string) {
  await env.secretsManager(region).send(
    new UpdateSecretVersionStageCommand({ SecretId: name, VersionStage: stage, MoveToVersionId: toVersion, ...(fromVersion && { RemoveFromVersionId: fromVersion }) }),
  );
}

export async function putParameter(env: TestEnvironment, region: string, name: string, value: string, type: 'String' | 'SecureString' = 'SecureString') {
  const out = await env.ssm(region).send(new PutParameterCommand({ Name: name, Value: value, Type: type, Overwrite: true }));
  return out.Version!;
}

export async function labelParameter(env: TestEnvironment, region: string, name: string, version: number, labels: string[]) {
  await env.ssm(region).send(new LabelParameterVersionCommand({ Name: name, ParameterVersion: version, Labels: labels }));
}

/** YAML for an objects list, from plain objects (values quoted). */
export function objectsYaml(objects: Array<Record<string, unknown>>): string {
  const scalar = (v: unknown) => JSON.stringify(String(v));
  const lines: string[] = [];
  for (const o of objects) {
    let first = true;
    for (const [k, v] of Object.entries(o)) {
      const lead = first ? '- ' : '  ';
      first = false;
      if (Array.isArray(v)) {
        lines.push(`${lead}${k}:`);
        for (const e of v as Array<Record<string, unknown>>) {
          let f2 = true;
          for (const [k2, v2] of Object.entries(e)) {
            lines.push(`    ${f2 ? '- ' : '  '}${k2}: ${scalar(v2)}`);
            f2 = false;
          }
        }
      } else if (v && typeof v === 'object') {
        lines.push(`${lead}${k}:`);
        for (const [k2, v2] of Object.entries(v)) lines.push(`    ${k2}: ${scalar(v2)}`);
      } else {
        lines.push(`${lead}${k}: ${scalar(v)}`);
      }
    }
  }
  return `${lines.join('\n')}\n`;
}
