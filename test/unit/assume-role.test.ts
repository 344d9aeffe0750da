// Cross-account roles (assumeRoleArn): the parameters' rules and messages (src/plan/assume-role.ts),
// their place in the request's checks, the role session name that names the pod, the `validate`
// command's view of them, and the resolver (src/auth/credentials.ts) through a fake AwsPort: the
// pod's own credentials call STS AssumeRole in the mount's region, the session is cached per pod
// identity, role, external id and duration, AccessDenied is final and names the role.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { roleSessionName } from '../../src/auth/assume-role.js';
import { PodCredentialsResolver } from '../../src/auth/credentials.js';
import type { FetchedCredentials } from '../../src/aws/port.js';
import { validateManifests } from '../../src/cli/validate.js';
import { ProviderError, RequestError } from '../../src/errors.js';
import { KubeLookups, type CoreV1Reader } from '../../src/kube/lookups.js';
import { TokenBucket } from '../../src/kube/rate-limiter.js';
import { parseAssumeRole, type AssumeRolePlan } from '../../src/plan/assume-role.js';
import { ATTR, parseMountRequest, planMount, type AuthPlan } from '../../src/plan/request.js';
import { FakeAwsPort, sdkError } from './support/fake-aws-port.js';
import { testContext } from './support/context.js';

const ROLE = 'arn:aws:iam::111122223333:role/secrets-reader';
const MINUTE = 60_000;

function refused(attributes: Record<string, string>, message: string) {
  assert.throws(() => parseAssumeRole(attributes), (err) => err instanceof RequestError && err.message === message);
}

test('assumeRoleArn: absent or empty means no role; an IAM role ARN of any partition, with or without a path', () => {
  assert.equal(parseAssumeRole({}), undefined);
  assert.equal(parseAssumeRole({ assumeRoleArn: '' }), undefined);
  for (const arn of [
    ROLE,
    'arn:aws:iam::111122223333:role/team/app/secrets-reader',
    'arn:aws-cn:iam::111122223333:role/r',
    'arn:aws-us-gov:iam::111122223333:role/a+b=c,d.e@f-g_h',
    'arn:aws-iso-b:iam::111122223333:role/r',
    `arn:aws:iam::111122223333:role/${'n'.repeat(64)}`,
  ]) {
    assert.deepEqual(parseAssumeRole({ assumeRoleArn: arn }), { roleArn: arn }, arn);
  }
});

test('assumeRoleArn: anything but an IAM role ARN is refused, naming the parameter and the value', () => {
  for (const arn of [
    'secrets-reader',
    'arn:aws:iam::111122223333:user/alice',
    'arn:aws:sts::111122223333:assumed-role/secrets-reader/session',
    'arn:aws:iam::11112222333:role/short-account',
    'arn:aws:iam:us-east-1:111122223333:role/regional',
    'arn:aws:iam::111122223333:role/',
    `arn:aws:iam::111122223333:role/${'n'.repeat(65)}`,
    'arn:aws:iam::111122223333:role/has space',
    'arn:azure:iam::111122223333:role/r',
    ` ${ROLE}`,
  ]) {
    refused({ assumeRoleArn: arn }, `assumeRoleArn "${arn.slice(0, 120)}" is not an IAM role ARN: expected arn:aws:iam::<12-digit account id>:role/<name>`);
  }
  const long = `arn:aws:iam::111122223333:role/${'p/'.repeat(1100)}r`;
  assert.throws(() => parseAssumeRole({ assumeRoleArn: long }), /assumeRoleArn "arn:aws:iam::111122223333:role\/p\/p\/.*" is not an IAM role ARN/);
});

test('assumeRoleExternalId: 2 to 1224 characters of [\\w+=,.@:/-]', () => {
  for (const id of ['ab', 'tenant-42', 'a+b=c,d.e@f:g/h-i_j', 'x'.repeat(1224)]) {
    assert.deepEqual(parseAssumeRole({ assumeRoleArn: ROLE, assumeRoleExternalId: id }), { roleArn: ROLE, externalId: id });
  }
  for (const id of ['a', 'x'.repeat(1225), 'has space', 'semi;colon', 'ünïcode']) {
    refused(
      { assumeRoleArn: ROLE, assumeRoleExternalId: id },
      `assumeRoleExternalId "${id.slice(0, 60)}" must be 2 to 1224 characters of letters, digits, _ and +=,.@:/-`,
    );
  }
});

test('assumeRoleDurationSeconds: a whole number from 900 to 43200', () => {
  for (const [text, seconds] of [['900', 900], ['3600', 3600], ['43200', 43200], ['01800', 1800]] as const) {
    assert.deepEqual(parseAssumeRole({ assumeRoleArn: ROLE, assumeRoleDurationSeconds: text }), { roleArn: ROLE, durationSeconds: seconds });
  }
  for (const text of ['899', '43201', '3600s', '1h', '+900', '-900', '900.5', ' 900', '1e3', '9999999']) {
    refused({ assumeRoleArn: ROLE, assumeRoleDurationSeconds: text }, `assumeRoleDurationSeconds "${text}" must be a whole number of seconds from 900 to 43200`);
  }
});

test('an external id or duration without a role is refused, not ignored', () => {
  refused({ assumeRoleExternalId: 'tenant-42' }, 'assumeRoleExternalId is set but assumeRoleArn is not: it only applies when a role is assumed');
  refused({ assumeRoleDurationSeconds: '900' }, 'assumeRoleDurationSeconds is set but assumeRoleArn is not: it only applies when a role is assumed');
});

const TOKEN = 'eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJ4In0.c2ln';
function plan(extra: Record<string, string>) {
  const attributes = JSON.stringify({
    [ATTR.podName]: 'web-1',
    [ATTR.podNamespace]: 'shop',
    [ATTR.podUid]: 'uid-1',
    [ATTR.serviceAccount]: 'web',
    [ATTR.tokens]: JSON.stringify({ 'sts.amazonaws.com': { token: TOKEN } }),
    objects: '- {objectName: s, objectType: secretsmanager}\n',
    ...extra,
  });
  return planMount(parseMountRequest({ target_path: '/mnt', permission: '420', attributes }), { primary: 'us-east-1' });
}

test('the plan carries the role; old SecretProviderClasses plan exactly as before', () => {
  assert.equal('assumeRole' in plan({}), false);
  assert.deepEqual(plan({ assumeRoleArn: ROLE, assumeRoleExternalId: 'tenant-42', assumeRoleDurationSeconds: '1800' }).assumeRole, {
    roleArn: ROLE,
    externalId: 'tenant-42',
    durationSeconds: 1800,
  });
});

test('order: the role is checked after the token and before pathTranslation and objects', () => {
  // A missing IRSA token is reported before a bad role...
  assert.throws(() => plan({ usePodIdentity: 'true', assumeRoleArn: 'bad' }), /no service account token for audience pods\.eks\.amazonaws\.com/);
  // ...and a bad role before a bad pathTranslation or objects.
  assert.throws(() => plan({ assumeRoleArn: 'bad', pathTranslation: '//', objects: '- {' }), /^RequestError: assumeRoleArn "bad"/);
});

test('role session name: <namespace>.<pod>, within STS limits, deterministic when shortened', () => {
  assert.equal(roleSessionName({ namespace: 'shop', name: 'web-7d9f8c6b5-x2k4p' }), 'shop.web-7d9f8c6b5-x2k4p');
  const longPod = { namespace: 'payments-production', name: `api-${'x'.repeat(80)}` };
  const long = roleSessionName(longPod);
  assert.equal(long.length, 64);
  assert.match(long, /^payments-production\.api-x+-[0-9a-f]{8}$/);
  assert.equal(roleSessionName(longPod), long, 'the same pod always gets the same name');
  assert.notEqual(roleSessionName({ ...longPod, name: `${longPod.name}y` }), long, 'two long names stay apart');
  assert.equal(roleSessionName({ namespace: 'a b', name: 'c/d' }), 'a-b.c-d');
  assert.equal(roleSessionName({ namespace: '', name: '' }), 'secrets-store-csi-driver-provider-aws');
  for (const name of [long, roleSessionName({ namespace: 'n', name: 'p' })]) assert.match(name, /^[\w+=,.@-]{2,64}$/);
});

test('validate knows the parameters, reports their errors and warns about role chaining past one hour', () => {
  const spc = (params: string) =>
    `apiVersion: secrets-store.csi.x-k8s.io/v1\nkind: SecretProviderClass\nmetadata: {name: x}\nspec:\n  provider: aws\n  parameters:\n    region: us-east-1\n${params}    objects: |\n      - {objectName: s, objectType: secretsmanager}\n`;
  const ok = validateManifests('f.yaml', spc(`    assumeRoleArn: ${ROLE}\n    assumeRoleExternalId: tenant-42\n    assumeRoleDurationSeconds: "3600"\n`));
  assert.deepEqual(ok.problems, []);
  const bad = validateManifests('f.yaml', spc('    assumeRoleArn: arn:aws:iam::1:role/r\n'));
  assert.deepEqual(bad.problems.map((p) => [p.severity, p.message]), [['error', 'assumeRoleArn "arn:aws:iam::1:role/r" is not an IAM role ARN: expected arn:aws:iam::<12-digit account id>:role/<name>']]);
  const long = validateManifests('f.yaml', spc(`    assumeRoleArn: ${ROLE}\n    assumeRoleDurationSeconds: "7200"\n`));
  assert.equal(long.problems.length, 1);
  assert.equal(long.problems[0]!.severity, 'warning');
  assert.match(long.problems[0]!.message, /^assumeRoleDurationSeconds 7200: .* 3600 seconds \(role chaining\)/);
  const typo = validateManifests('f.yaml', spc(`    assumeRoleARN: ${ROLE}\n`));
  assert.match(typo.problems[0]!.message, /spec\.parameters\.assumeRoleARN is not a parameter the AWS provider reads \(did you mean assumeRoleArn\?\)/);
});

// ---- the resolver ----

const noKube: CoreV1Reader = {
  readNamespacedServiceAccount: async () => ({ metadata: { annotations: { 'eks.amazonaws.com/role-arn': 'arn:aws:iam::123456789012:role/pod-role' } } }),
  readNamespacedPod: async () => {
    throw new Error('not used');
  },
  readNode: async () => {
    throw new Error('not used');
  },
};

/** The agent hands out AGENT<n>; STS answers per region from `sts`. */
function ports(sts: (region: string, n: number) => 'ok' | Error, lifetimeMs = 60 * MINUTE) {
  let agent = 0;
  let calls = 0;
  return new FakeAwsPort({
    getAgentCredentials: async (): Promise<FetchedCredentials> => ({
      accessKeyId: `AGENT${++agent}`,
      secretAccessKey: 's',
      sessionToken: 't',
      expiration: new Date(Date.now() + 6 * 60 * MINUTE),
    }),
    assumeRoleWithWebIdentity: async () => ({
      Credentials: { AccessKeyId: 'WEBID', SecretAccessKey: 's', SessionToken: 't', Expiration: new Date(Date.now() + 60 * MINUTE) },
    }),
    assumeRole: async (_input, call) => {
      const answer = sts(call.region, ++calls);
      if (answer instanceof Error) throw answer;
      return {
        Credentials: { AccessKeyId: `ROLE-${call.region}-${calls}-by-${call.credentials.accessKeyId}`, SecretAccessKey: 's', SessionToken: 't', Expiration: new Date(Date.now() + lifetimeMs) },
      };
    },
  });
}

function resolver(port: FakeAwsPort) {
  const kube = new KubeLookups(async () => noKube, new TokenBucket(1000, 1000));
  return new PodCredentialsResolver(port, kube, { ipv4: 'http://127.0.0.1:1/v1/credentials', ipv6: 'http://[::1]:1/v1/credentials', timeoutMs: 1000 });
}

const podIdentity = (token: string): AuthPlan => ({ mode: 'pod-identity', token: { token }, addressPreference: 'ipv4' });
const irsa: AuthPlan = { mode: 'irsa', token: { token: 'sa-token' }, namespace: 'shop', serviceAccount: 'web' };
const role = (plan: Partial<AssumeRolePlan> = {}, sessionName = 'shop.web-1') => ({ plan: { roleArn: ROLE, ...plan }, sessionName });

test('Pod Identity then AssumeRole: signed with the agent credentials, in the primary region, with the session name, external id and duration', async () => {
  const port = ports(() => 'ok');
  const ctx = testContext();
  const c = await resolver(port).resolve(podIdentity('tok-a'), { primary: 'eu-west-1', failover: 'eu-central-1' }, ctx, role({ externalId: 'tenant-42', durationSeconds: 1800 }));
  assert.equal(c.accessKeyId, 'ROLE-eu-west-1-1-by-AGENT1');
  assert.match(c.identityKey, /^assume-role:[\w-]{32}$/);
  assert.deepEqual(port.callsOf('assumeRole'), [
    { method: 'assumeRole', input: { RoleArn: ROLE, RoleSessionName: 'shop.web-1', ExternalId: 'tenant-42', DurationSeconds: 1800 }, region: 'eu-west-1' },
  ]);
  assert.equal(ctx.record.credentials, 'fetched');
});

test('IRSA then AssumeRole: the web identity credentials sign the AssumeRole; no optional fields are sent when not set', async () => {
  const port = ports(() => 'ok');
  const c = await resolver(port).resolve(irsa, { primary: 'us-east-1' }, testContext(), role());
  assert.equal(c.accessKeyId, 'ROLE-us-east-1-1-by-WEBID');
  assert.deepEqual(port.callsOf('assumeRole')[0]!.input, { RoleArn: ROLE, RoleSessionName: 'shop.web-1' });
});

test('the role session is cached per pod identity, role, external id and duration; the pod credentials are not reloaded for a cached session', async () => {
  const port = ports(() => 'ok');
  const r = resolver(port);
  const one = { primary: 'us-east-1' };
  const get = async (token: string, plan: Partial<AssumeRolePlan> = {}) => {
    const ctx = testContext();
    const c = await r.resolve(podIdentity(token), one, ctx, role(plan));
    return [c.accessKeyId, ctx.record.credentials];
  };
  assert.deepEqual(await get('tok-a'), ['ROLE-us-east-1-1-by-AGENT1', 'fetched']);
  assert.deepEqual(await get('tok-a'), ['ROLE-us-east-1-1-by-AGENT1', 'cache']);
  assert.equal(port.callsOf('getAgentCredentials').length, 1);
  assert.deepEqual(await get('tok-a', { externalId: 'other-tenant' }), ['ROLE-us-east-1-2-by-AGENT1', 'fetched']);
  assert.deepEqual(await get('tok-a', { durationSeconds: 900 }), ['ROLE-us-east-1-3-by-AGENT1', 'fetched']);
  assert.deepEqual(await get('tok-a', { roleArn: 'arn:aws:iam::111122223333:role/other' }), ['ROLE-us-east-1-4-by-AGENT1', 'fetched']);
  assert.deepEqual(await get('tok-b'), ['ROLE-us-east-1-5-by-AGENT2', 'fetched'], 'another pod: its own identity and session');
  // Without a role the pod's own credentials are served, from the cache.
  const own = await r.resolve(podIdentity('tok-a'), one, testContext());
  assert.equal(own.accessKeyId, 'AGENT1');
  assert.equal(port.callsOf('getAgentCredentials').length, 2);
});

test('concurrent mounts of one pod share one AssumeRole', async () => {
  const port = ports(() => 'ok');
  const r = resolver(port);
  const keys = await Promise.all([1, 2, 3, 4].map(async () => (await r.resolve(podIdentity('tok-a'), { primary: 'us-east-1' }, testContext(), role())).accessKeyId));
  assert.deepEqual(new Set(keys), new Set(['ROLE-us-east-1-1-by-AGENT1']));
  assert.equal(port.callsOf('assumeRole').length, 1);
});

test('AccessDenied is final: never failed over, PERMISSION_DENIED, naming the role and the trust policy', async () => {
  const port = ports(() => sdkError('AccessDenied', 403, 'User: arn:aws:sts::123456789012:assumed-role/pod-role/x is not authorized to perform: sts:AssumeRole'));
  const ctx = testContext();
  await assert.rejects(r(), (err) => {
    assert.ok(err instanceof ProviderError);
    assert.equal(err.kind, 'permission-denied');
    assert.match(
      err.message,
      /^assumeRoleArn arn:aws:iam::111122223333:role\/secrets-reader: the role's trust policy must allow sts:AssumeRole by the pod's own role with this external id: sts AssumeRole for role arn:aws:iam::111122223333:role\/secrets-reader failed in region eu-west-1 \(HTTP 403\): AccessDenied: /,
    );
    return true;
  });
  assert.deepEqual(port.callsOf('assumeRole').map((c) => c.region), ['eu-west-1']);
  assert.equal(ctx.record.credentials, 'error');
  function r() {
    return resolver(port).resolve(podIdentity('tok-a'), { primary: 'eu-west-1', failover: 'eu-central-1' }, ctx, role({ externalId: 'tenant-42' }));
  }
});

test('a transient STS failure in the primary region is asked of the failover region\'s STS', async () => {
  const port = ports((region) => (region === 'eu-west-1' ? sdkError('ServiceUnavailable', 503) : 'ok'));
  const ctx = testContext();
  const c = await resolver(port).resolve(podIdentity('tok-a'), { primary: 'eu-west-1', failover: 'eu-central-1' }, ctx, role());
  assert.equal(c.accessKeyId, 'ROLE-eu-central-1-2-by-AGENT1');
  assert.ok(ctx.logLines.some((l) => /STS AssumeRole in eu-west-1 failed; trying the next endpoint or region/.test(String(l.msg))));
});

test('a role session is used until shortly before it expires', async () => {
  // 15 minutes (STS's shortest): served until five minutes before it expires, then assumed again.
  let now = Date.now();
  const port = ports(() => 'ok', 15 * MINUTE);
  const kube = new KubeLookups(async () => noKube, new TokenBucket(1000, 1000));
  const r = new PodCredentialsResolver(port, kube, { ipv4: 'http://127.0.0.1:1/v1/credentials', ipv6: 'http://[::1]:1/v1/credentials', timeoutMs: 1000 }, 2048, () => now);
  const get = async () => (await r.resolve(podIdentity('tok-a'), { primary: 'us-east-1' }, testContext(), role())).accessKeyId;
  assert.equal(await get(), 'ROLE-us-east-1-1-by-AGENT1');
  now += 9 * MINUTE;
  assert.equal(await get(), 'ROLE-us-east-1-1-by-AGENT1');
  now += 2 * MINUTE;
  assert.equal(await get(), 'ROLE-us-east-1-2-by-AGENT1');
});
