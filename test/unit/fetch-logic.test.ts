// The fetch logic against a fake AwsPort (no SDK, no network): the failover rule,
// the mount's retry rounds, SSM response matching, coalescing, credential expiry
// and failure classification, table-driven. The same paths run end to end
// against moto in test/e2e/.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { pino } from 'pino';
import type { AwsPort, ParametersOutput, PodCredentials, SecretValueOutput, SignedCallOptions } from '../../src/aws/port.js';
import { classifyFailure } from '../../src/aws/classify.js';
import { cacheUntil } from '../../src/auth/credentials.js';
import { createMountContext, type MountContext } from '../../src/context.js';
import { AwsRequestError, MalformedResponseError } from '../../src/errors.js';
import { FetchCoalescer, fetchObjects } from '../../src/fetch/fetch-objects.js';
import { getParameters } from '../../src/fetch/ssm.js';
import { toGrpcError } from '../../src/server/status.js';
import { parseObjects } from '../../src/plan/objects.js';
import { status as Status } from '@grpc/grpc-js';

const CREDS: PodCredentials = { accessKeyId: 'AKIA', secretAccessKey: 's', identityKey: 'irsa:x' };

/** An SDK-shaped error: what the real port rejects with. */
function sdkError(name: string, httpStatusCode: number | undefined, throttling = false) {
  return Object.assign(new Error(name), { name, $metadata: { httpStatusCode }, ...(throttling && { $retryable: { throttling: true } }) });
}

type Answer = { value: string } | { error: Error } | 'hang';

/** A fake port answering GetSecretValue per region from a script; it counts calls. */
function fakePort(byRegion: Record<string, Answer | Answer[]>) {
  const calls: string[] = [];
  const port: AwsPort = {
    async getSecretValue(input, call: SignedCallOptions): Promise<SecretValueOutput> {
      calls.push(`${call.region}:${input.SecretId}`);
      const script = byRegion[call.region]!;
      const answer = Array.isArray(script) ? script[Math.min(calls.filter((c) => c.startsWith(`${call.region}:`)).length - 1, script.length - 1)]! : script;
      if (answer === 'hang') return new Promise((_, reject) => call.signal.addEventListener('abort', () => reject(Object.assign(new Error('aborted'), { name: 'AbortError' }))));
      if ('error' in answer) throw answer.error;
      return { VersionId: `v-${call.region}`, SecretString: answer.value };
    },
    async getParameters(): Promise<ParametersOutput> {
      throw new Error('not scripted');
    },
    async getParametersByPath() {
      throw new Error('not scripted');
    },
    async assumeRoleWithWebIdentity() {
      throw new Error('not scripted');
    },
    async assumeRole() {
      throw new Error('not scripted');
    },
    async getAgentCredentials() {
      throw new Error('not scripted');
    },
  };
  return { port, calls };
}

function context(timeoutMs = 30_000): MountContext {
  return createMountContext(AbortSignal.timeout(timeoutMs), Date.now() + timeoutMs, pino({ level: 'silent' }));
}

const plan = (failover?: string) => ({
  regions: { primary: 'us-east-1', ...(failover && { failover }) },
  objects: parseObjects('- objectName: db\n  objectType: secretsmanager\n  objectAlias: db\n', {
    primaryRegion: 'us-east-1', ...(failover && { failoverRegion: failover }), translation: '_', defaultMode: 0o644,
  }),
});
const options = { concurrency: 4, maxBytes: 1 << 20 };

const ok = (value: string): Answer => ({ value });
const fail = (error: Error): Answer => ({ error });
const S503 = sdkError('ServiceUnavailable', 503);
const THROTTLED = sdkError('ThrottlingException', 400, true);
const RESET = Object.assign(new Error('socket hang up'), { code: 'ECONNRESET' });
const DENIED = sdkError('AccessDeniedException', 400);
const MISSING = sdkError('ResourceNotFoundException', 400);

test('the failover rule, region by region', async () => {
  const cases: Array<{ name: string; east: Answer | Answer[]; west: Answer | Answer[]; value?: string; failovers?: number; code?: Status; calls?: [number, number] }> = [
    { name: 'both healthy: the primary', east: ok('E'), west: ok('W'), value: 'E', failovers: 0, calls: [1, 1] },
    { name: 'primary 5xx: the failover', east: fail(S503), west: ok('W'), value: 'W', failovers: 1 },
    { name: 'primary throttled: the failover', east: fail(THROTTLED), west: ok('W'), value: 'W', failovers: 1 },
    { name: 'primary reset: the failover', east: fail(RESET), west: ok('W'), value: 'W', failovers: 1 },
    { name: 'primary 4xx: fatal although the failover answers', east: fail(DENIED), west: ok('W'), code: Status.PERMISSION_DENIED },
    { name: 'failover 4xx: fatal although the primary answers', east: ok('E'), west: fail(MISSING), code: Status.NOT_FOUND },
    { name: 'failover 5xx: the primary', east: ok('E'), west: fail(S503), value: 'E', failovers: 0 },
    { name: 'both transient: retried as a pair three times, then final', east: fail(S503), west: fail(THROTTLED), code: Status.UNKNOWN, calls: [3, 3] },
    { name: 'both transient once, then healthy: mounted in round two', east: [fail(S503), ok('E')], west: [fail(S503), ok('W')], value: 'E', calls: [2, 2] },
  ];
  for (const c of cases) {
    const { port, calls } = fakePort({ 'us-east-1': c.east, 'us-west-2': c.west });
    const ctx = context();
    const run = fetchObjects(plan('us-west-2'), CREDS, port, ctx, options);
    if (c.code !== undefined) {
      await assert.rejects(run, (err: unknown) => {
        assert.equal(toGrpcError(err, undefined).code, c.code, c.name);
        assert.match((err as Error).message, /^objects\[0\] "db": /, c.name);
        return true;
      });
    } else {
      const [fetched] = await run;
      assert.equal(fetched!.value.toString(), c.value, c.name);
      assert.equal(ctx.record.failovers.length, c.failovers ?? ctx.record.failovers.length, c.name);
      assert.equal(fetched!.version, `v-${c.value === 'E' ? 'us-east-1' : 'us-west-2'}`, `${c.name}: the version of the value mounted`);
    }
    if (c.calls) {
      assert.deepEqual([calls.filter((x) => x.startsWith('us-east-1')).length, calls.filter((x) => x.startsWith('us-west-2')).length], c.calls, c.name);
    }
  }
});

test('without a failover region, a transient failure gets the mount\'s second round; a 4xx does not', async () => {
  const flaky = fakePort({ 'us-east-1': [fail(S503), ok('E')] });
  assert.equal((await fetchObjects(plan(), CREDS, flaky.port, context(), options))[0]!.value.toString(), 'E');
  assert.equal(flaky.calls.length, 2);
  const denied = fakePort({ 'us-east-1': fail(DENIED) });
  await assert.rejects(fetchObjects(plan(), CREDS, denied.port, context(), options), (err: unknown) => (err as Error).cause instanceof AwsRequestError);
  assert.equal(denied.calls.length, 1);
});

test('identical concurrent fetches of one identity are made once; different identities are not shared', async () => {
  let release!: () => void;
  const gate = new Promise<void>((r) => (release = r));
  let calls = 0;
  const port = { ...fakePort({}).port, async getSecretValue(): Promise<SecretValueOutput> {
    calls++;
    await gate;
    return { VersionId: 'v', SecretString: 'x' };
  } };
  const coalescer = new FetchCoalescer();
  const runs = [CREDS, CREDS, { ...CREDS, identityKey: 'irsa:other', accessKeyId: 'AKIB' }].map((c) => fetchObjects(plan(), c, port, context(), { ...options, coalescer }));
  await new Promise((r) => setImmediate(r));
  release();
  await Promise.all(runs);
  assert.equal(calls, 2);
});

test('SSM responses are matched back by name, then ARN, honouring selectors; invalid names fail the batch', async () => {
  const call = { region: 'us-east-1', signal: new AbortController().signal, credentials: CREDS, retry: { maxAttempts: 1 } };
  const answering = (out: ParametersOutput): AwsPort => ({ ...fakePort({}).port, getParameters: async () => out });
  const arn = 'arn:aws:ssm:us-east-1:123456789012:parameter/app/db';
  const got = await getParameters(
    answering({ Parameters: [
      { Name: '/app/db', ARN: arn, Value: 'by-arn', Version: 7 },
      { Name: '/app/key', Value: 'v2', Version: 2, Selector: ':2' },
      { Name: '/app/key', Value: 'labelled', Version: 3, Selector: ':blue' },
      { Name: '/app/plain', Value: 'plain', Version: 1 },
    ] }),
    [{ name: arn }, { name: '/app/key', version: '2' }, { name: '/app/key', label: 'blue' }, { name: '/app/plain' }],
    call,
  );
  assert.deepEqual(got.map((v) => [v.value.toString(), v.version]), [['by-arn', '7'], ['v2', '2'], ['labelled', '3'], ['plain', '1']]);
  await assert.rejects(
    getParameters(answering({ Parameters: [], InvalidParameters: ['/nope'] }), [{ name: '/nope' }], call),
    (err: unknown) => err instanceof AwsRequestError && toGrpcError(err, undefined).code === Status.NOT_FOUND && /"\/nope"/.test(err.message),
  );
  await assert.rejects(getParameters(answering({ Parameters: [] }), [{ name: '/gone' }], call), MalformedResponseError);
  await assert.rejects(getParameters(answering({ Parameters: [{ Name: '/x', Version: 1 }] }), [{ name: '/x' }], call), MalformedResponseError);
});

test('cached credentials: five minutes before expiry, half the life when short, never past the token', () => {
  const now = 1_000_000_000_000;
  const at = (ms: number) => ({ accessKeyId: 'a', secretAccessKey: 's', expiration: new Date(now + ms) });
  const cases: Array<[string, ReturnType<typeof at> | { accessKeyId: string; secretAccessKey: string }, number | undefined, number]> = [
    ['an hour left: until five minutes before', at(3_600_000), undefined, now + 3_300_000],
    ['four minutes left: half of it', at(240_000), undefined, now + 120_000],
    ['the token expires first: until the token', at(3_600_000), now + 600_000, now + 600_000],
    ['no expiration given: fifteen minutes less five', { accessKeyId: 'a', secretAccessKey: 's' }, undefined, now + 600_000],
  ];
  for (const [name, creds, tokenExpiresAt, expected] of cases) assert.equal(cacheUntil(creds, tokenExpiresAt, now), expected, name);
});

test('one classification of failures', () => {
  const aborted = new AbortController();
  aborted.abort();
  const cases: Array<[unknown, AbortSignal | undefined, ReturnType<typeof classifyFailure>]> = [
    [S503, undefined, 'server'],
    [sdkError('InternalFailure', 500), undefined, 'server'],
    [THROTTLED, undefined, 'throttled'],
    [sdkError('TooManyRequests', 429), undefined, 'throttled'],
    [RESET, undefined, 'network'],
    [Object.assign(new Error('timed out'), { name: 'TimeoutError' }), undefined, 'network'],
    [DENIED, undefined, 'client'],
    [MISSING, undefined, 'client'],
    [Object.assign(new Error('x'), { name: 'AbortError' }), undefined, 'aborted'],
    [S503, aborted.signal, 'aborted'],
  ];
  for (const [err, signal, expected] of cases) assert.equal(classifyFailure(err, signal), expected, (err as Error).name);
});
