// Mounts a SecretProviderClass manifest end to end against moto: seeds a
// placeholder value for every object it names (JSON with the keys its
// jmesPath entries read, some keys for allKeys, encoded as its objectEncoding
// decodes it, parameters below a parametersByPath path), rewrites example ARNs
// to moto's real ones, and
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
    const keys = (Array.isArray(o.jmesPath) ? (o.jmesPath as Array<{ path?: unknown; objectEncoding?: unknown }>) : [])
      .filter((j) => typeof j?.path === 'string')
      .map((j) => ({ path: j.path as string, encoding: typeof j.objectEncoding === 'string' ? j.objectEncoding : undefined }));
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

/** Values whose types a placeholder cannot guess (examples/ExampleSecretProviderClass-JMESPathJSON.yaml). */
const SAMPLE_VALUES: Record<string, string> = {
  MyAppConfig: '{"db": {"host": "db.internal", "port": 5432, "tls": true}, "replicas": ["r1", "r2"], "pool": {"min": 1, "max": 10}}',
};

/** Parameters seeded below a parametersByPath path: more than one page of GetParametersByPath. */
const PATH_PARAMETERS = 12;

/** Creates the object in moto (once) and returns the name or ARN to mount it by. */
async function seed(env: TestEnvironment, type: string, name: string, region: string, jsonKeys: JsonKey[], o: Record<string, unknown>, accountId?: string): Promise<string> {
  const account = accountId ? { accountId } : {};
  const arn = name.startsWith('arn:') ? name.split(':') : undefined;
  // An example ARN names a secret "secret:Name-AbCdEf" or a parameter "parameter/name".
  const plainName = arn ? arn.slice(5).join(':').replace(/^secret:/, '').replace(/-[A-Za-z0-9]{6}$/, '').replace(/^parameter/, '') : name;
  const allKeys = ['true', 'True', 'TRUE', '1', 't', 'T'].includes(String(o.allKeys));
  let value = SAMPLE_VALUES[plainName]
    ?? (jsonKeys.length || allKeys ? JSON.stringify({ ...(allKeys && { username: 'demo-username', password: 'demo-password', port: 5432 }), ...valueFor(jsonKeys) }) : `demo value of ${plainName} in ${region}`);
  const encoding = String(o.objectEncoding ?? '').toLowerCase();
  if (encoding === 'base64' || encoding === 'hex') value = Buffer.from(value).toString(encoding);
  if (type === 'ssmparameter' && String(o.parametersByPath ?? '') !== '' && String(o.parametersByPath) !== 'false') {
    const base = plainName.replace(/\/$/, '');
    const names = Array.from({ length: PATH_PARAMETERS }, (_, i) => `${base}/demo-${i}`);
    if (String(o.recursive ?? '') === 'true') names.push(`${base}/nested/demo`);
    for (const n of names) await env.ssm(region).send(new PutParameterCommand({ Name: n, Value: value, Type: 'SecureString', Overwrite: true }));
    return name;
  }
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

interface JsonKey {
  path: string;
  /** The entry's objectEncoding: the placeholder is stored encoded. */
  encoding: string | undefined;
}

/** {"a": {"b": "..."}} for path "a.b", so each jmesPath selects a string (encoded as its entry decodes it). */
function valueFor(paths: JsonKey[]): Record<string, unknown> {
  const root: Record<string, unknown> = {};
  for (const { path, encoding } of paths) {
    const parts = path.split('.').map((p) => p.replace(/^"|"$/g, ''));
    let node = root;
    const leaf = `demo-${parts.join('-')}`;
    const enc = encoding?.toLowerCase();
    parts.forEach((part, i) => {
      if (i === parts.length - 1) node[part] = enc === 'base64' || enc === 'hex' ? Buffer.from(leaf).toString(enc) : leaf;
      else node = (node[part] ??= {}) as Record<string, unknown>;
    });
  }
  return root;
}
