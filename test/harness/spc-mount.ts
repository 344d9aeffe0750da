// Mounts a SecretProviderClass manifest end to end against moto: seeds a
// placeholder value for every object it names (JSON with the keys its
// jmesPath entries read), rewrites example ARNs to moto's real ones, and
// sends the Mount the driver would send. Used by `npm run demo` and the
// examples test.
import { readFileSync } from 'node:fs';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseAllDocuments } from 'yaml';
import { CreateSecretCommand } from '@aws-sdk/client-secrets-manager';
import { LabelParameterVersionCommand, PutParameterCommand } from '@aws-sdk/client-ssm';
import { buildMountRequest, makePod, readTokens } from './attributes.js';
import type { TestEnvironment } from './env.js';
import type { MountResponse, ProviderClient } from './grpc-client.js';

export const DEMO_ROLE_ARN = 'arn:aws:iam::123456789012:role/demo';

export interface SpcMountResult {
  name: string;
  target: string;
  response: MountResponse;
}

interface Spc {
  kind?: string;
  metadata?: { name?: string };
  spec?: { parameters?: Record<string, string> };
}

export function readSecretProviderClasses(file: string): Spc[] {
  return parseAllDocuments(readFileSync(file, 'utf8'))
    .map((d) => d.toJS() as Spc)
    .filter((d) => d?.kind === 'SecretProviderClass');
}

export async function mountSpc(env: TestEnvironment, client: ProviderClient, spc: Spc): Promise<SpcMountResult> {
  const parameters = { ...(spc.spec?.parameters ?? {}) };
  const region = parameters.region || 'us-east-1';
  parameters.region = region;
  const objects = (parseAllDocuments(parameters.objects ?? '')[0]?.toJS() ?? []) as Array<Record<string, unknown>>;
  // With assumeRoleArn the objects live in the role's account (moto maps the role's session to it).
  const accountId = /^arn:[^:]+:iam::(\d{12}):role\//.exec(parameters.assumeRoleArn ?? '')?.[1];
  let objectsText = parameters.objects ?? '';
  for (const o of objects) {
    const name = String(o.objectName ?? '');
    const type = String(o.objectType ?? (name.startsWith('arn:aws:ssm:') ? 'ssmparameter' : 'secretsmanager'));
    const keys = (Array.isArray(o.jmesPath) ? (o.jmesPath as Array<{ path?: unknown }>) : []).map((j) => j?.path).filter((p): p is string => typeof p === 'string');
    const targets: Array<[string, string]> = [[name, region]];
    const failover = (Array.isArray(o.failoverObject) ? o.failoverObject[0] : o.failoverObject) as { objectName?: string } | undefined;
    if (parameters.failoverRegion) targets.push([failover?.objectName ?? name, parameters.failoverRegion]);
    for (const [objectName, inRegion] of targets) {
      const real = await seed(env, type, objectName, inRegion, keys, o, accountId);
      objectsText = objectsText.replaceAll(objectName, real);
    }
  }
  parameters.objects = objectsText;

  const pod = makePod('demo', spc.metadata?.name ?? 'demo', 'demo-sa');
  env.kube.addServiceAccount(pod.namespace, pod.serviceAccountName, { 'eks.amazonaws.com/role-arn': DEMO_ROLE_ARN });
  const target = mkdtempSync(join(tmpdir(), 'spc-mount-'));
  const request = buildMountRequest({ pod, parameters, targetPath: target });
  const token = readTokens(request.attributes)['pods.eks.amazonaws.com']?.token;
  if (token) env.allowPodIdentityToken(token, { roleArn: DEMO_ROLE_ARN });
  return { name: spc.metadata?.name ?? '', target, response: await client.mount(request) };
}

/** Creates the object in moto (once) and returns the name or ARN to mount it by. */
async function seed(env: TestEnvironment, type: string, name: string, region: string, jsonKeys: string[], o: Record<string, unknown>, accountId?: string): Promise<string> {
  const account = accountId ? { accountId } : {};
  const arn = name.startsWith('arn:') ? name.split(':') : undefined;
  // An example ARN names a secret "secret:Name-AbCdEf" or a parameter "parameter/name".
  const plainName = arn ? arn.slice(5).join(':').replace(/^secret:/, '').replace(/-[A-Za-z0-9]{6}$/, '').replace(/^parameter/, '') : name;
  const value = jsonKeys.length ? JSON.stringify(valueFor(jsonKeys)) : `demo value of ${plainName} in ${region}`;
  if (type === 'ssmparameter') {
    // Enough versions for an objectVersion selector, and the label an objectVersionLabel asks for.
    const versions = Math.max(1, Number(o.objectVersion) || 1);
    for (let v = 1; v <= versions; v++) {
      await env.ssm(region, account).send(new PutParameterCommand({ Name: plainName, Value: value, Type: 'SecureString', Overwrite: true }));
    }
    if (o.objectVersionLabel) {
      await env.ssm(region, account).send(new LabelParameterVersionCommand({ Name: plainName, ParameterVersion: 1, Labels: [String(o.objectVersionLabel)] }));
    }
    return arn ? `arn:aws:ssm:${region}:${accountId ?? '123456789012'}:parameter${plainName.startsWith('/') ? '' : '/'}${plainName}` : name;
  }
  const out = await env.secretsManager(region, account).send(new CreateSecretCommand({ Name: plainName, SecretString: value })).catch((err: Error) => {
    if (err.name === 'ResourceExistsException') return undefined;
    throw err;
  });
  return arn ? (out?.ARN ?? name) : name;
}

/** {"a": {"b": "..."}} for path "a.b", so each jmesPath selects a string. */
function valueFor(paths: string[]): Record<string, unknown> {
  const root: Record<string, unknown> = {};
  for (const path of paths) {
    const parts = path.split('.').map((p) => p.replace(/^"|"$/g, ''));
    let node = root;
    parts.forEach((part, i) => {
      if (i === parts.length - 1) node[part] = `demo-${parts.join('-')}`;
      else node = (node[part] ??= {}) as Record<string, unknown>;
    });
  }
  return root;
}
