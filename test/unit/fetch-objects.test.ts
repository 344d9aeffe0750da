// fetchObjects (src/fetch/fetch-objects.ts) through a fake AwsPort: what is asked of
// AWS for a plan (SSM batches, version selectors, the failoverObject's names in the
// failover region, the SDK retry policy), what comes back (in objects order, with
// versions and regions), the byte bound, how failures name the object, and what
// the mount records. The failover rule itself is in failover-rule.test.ts.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { ParametersOutput, PodCredentials, SecretValueOutput } from '../../src/aws/port.js';
import { ContextError, LimitError, MalformedResponseError } from '../../src/errors.js';
import { FetchCoalescer, fetchObjects, type FetchOptions } from '../../src/fetch/fetch-objects.js';
import { SSM_BATCH_SIZE } from '../../src/fetch/ssm.js';
import { parseObjects } from '../../src/plan/objects.js';
import { FakeAwsPort, POD_CREDENTIALS, sdkError } from './support/fake-aws-port.js';
import { testContext } from './support/context.js';

const PRIMARY = 'us-east-1';
const FAILOVER = 'us-west-2';
const OPTIONS: FetchOptions = { concurrency: 4, maxBytes: 1 << 20 };

function planOf(objectsYaml: string, failover?: string) {
  const regions = { primary: PRIMARY, ...(failover && { failover }) };
  return { regions, objects: parseObjects(objectsYaml, { primaryRegion: PRIMARY, ...(failover && { failoverRegion: failover }), translation: '_', defaultMode: 0o644 }) };
}

/** Secrets answer "<region>/<id>[@version|#stage]"; parameters "<region>/<selector>", version 1 unless pinned. */
function echoPort(overrides: { secret?: (id: string, region: string) => SecretValueOutput | Error; parameters?: (names: string[], region: string) => ParametersOutput | Error } = {}) {
  return new FakeAwsPort({
    getSecretValue: async (input, call) => {
      const custom = overrides.secret?.(input.SecretId, call.region);
      if (custom instanceof Error) throw custom;
      const suffix = input.VersionId ? `@${input.VersionId}` : input.VersionStage ? `#${input.VersionStage}` : '';
      return custom ?? { VersionId: input.VersionId ?? `${call.region}-version`, SecretString: `${call.region}/${input.SecretId}${suffix}` };
    },
    getParameters: async (input, call) => {
      const custom = overrides.parameters?.(input.Names, call.region);
      if (custom instanceof Error) throw custom;
      return custom ?? {
        Parameters: input.Names.map((selector) => {
          const [name, pin] = selector.split(':') as [string, string | undefined];
          const version = pin && /^\d+$/.test(pin) ? Number(pin) : 1;
          return { Name: name, Value: `${call.region}/${selector}`, Version: version, ...(pin && { Selector: `:${pin}` }) };
        }),
      };
    },
  });
}

const contents = (fetched: Awaited<ReturnType<typeof fetchObjects>>) => fetched.map((f) => `${f.object.index}:${f.value.toString()}`);

test('secrets and parameters come back in the order of the objects list, with version and region', async () => {
  const plan = planOf(`
- {objectName: p1, objectType: ssmparameter}
- {objectName: s1, objectType: secretsmanager}
- {objectName: p2, objectType: ssmparameter, objectVersion: "3"}
- {objectName: s2, objectType: secretsmanager, objectVersionLabel: AWSPREVIOUS}
- {objectName: s3, objectType: secretsmanager, objectVersion: abc}
`);
  const fetched = await fetchObjects(plan, POD_CREDENTIALS, echoPort(), testContext(), OPTIONS);
  assert.deepEqual(contents(fetched), ['0:us-east-1/p1', '1:us-east-1/s1', '2:us-east-1/p2:3', '3:us-east-1/s2#AWSPREVIOUS', '4:us-east-1/s3@abc']);
  assert.deepEqual(fetched.map((f) => [f.version, f.region]), [['1', PRIMARY], ['us-east-1-version', PRIMARY], ['3', PRIMARY], ['us-east-1-version', PRIMARY], ['abc', PRIMARY]]);
  assert.deepEqual(fetched.map((f) => f.object.objectName), ['p1', 's1', 'p2', 's2', 's3']);
});

test('parameters go to SSM ten at a time', async () => {
  const names = Array.from({ length: 23 }, (_, i) => `p${i}`);
  const port = echoPort();
  const fetched = await fetchObjects(planOf(names.map((n) => `- {objectName: ${n}, objectType: ssmparameter}`).join('\n')), POD_CREDENTIALS, port, testContext(), OPTIONS);
  assert.equal(fetched.length, 23);
  const batches = port.callsOf('getParameters').map((c) => (c.input as { Names: string[] }).Names);
  assert.deepEqual(batches.map((b) => b.length), [SSM_BATCH_SIZE, SSM_BATCH_SIZE, 3]);
  assert.deepEqual(batches.flat().sort(), [...names].sort());
  assert.deepEqual(contents(fetched), names.map((n, i) => `${i}:us-east-1/${n}`));
});

test('one parameter at two selectors goes in separate batches; the same selector twice shares one', async () => {
  const port = echoPort({
    // An endpoint that returns no Selector: only separate batches keep p:1 and p:2 apart.
    parameters: (names) => ({ Parameters: names.map((s) => ({ Name: s.split(':')[0]!, Value: `value of ${s}`, Version: Number(s.split(':')[1] ?? 9) })) }),
  });
  const plan = planOf(`
- {objectName: p, objectType: ssmparameter, objectVersion: "1", objectAlias: p1}
- {objectName: p, objectType: ssmparameter, objectVersion: "2", objectAlias: p2}
- {objectName: q, objectType: ssmparameter, objectAlias: q1}
- {objectName: q, objectType: ssmparameter, objectAlias: q2}
`);
  const fetched = await fetchObjects(plan, POD_CREDENTIALS, port, testContext(), OPTIONS);
  assert.deepEqual(contents(fetched), ['0:value of p:1', '1:value of p:2', '2:value of q', '3:value of q']);
  const batches = port.callsOf('getParameters').map((c) => (c.input as { Names: string[] }).Names);
  assert.equal(batches.length, 2);
  assert.ok(!batches.some((b) => b.includes('p:1') && b.includes('p:2')), 'p:1 and p:2 are never asked together');
});

test('in the failover region the failoverObject names and versions are asked for, and the mount records the failover', async () => {
  const plan = planOf(
    `
- objectName: arn:aws:secretsmanager:us-east-1:123456789012:secret:db-AbCdEf
  objectAlias: db
  failoverObject: {objectName: "arn:aws:secretsmanager:us-west-2:123456789012:secret:db-west-XyZ"}
- objectName: /app/p
  objectType: ssmparameter
  objectAlias: p
  objectVersionLabel: live
  failoverObject: {objectName: /app/p-west, objectVersionLabel: live-west}
`,
    FAILOVER,
  );
  const port = echoPort({
    secret: (_id, region) => (region === PRIMARY ? sdkError('ServiceUnavailable', 503) : undefined!),
    parameters: (_names, region) => (region === PRIMARY ? sdkError('InternalServerError', 500) : undefined!),
  });
  const ctx = testContext();
  const fetched = await fetchObjects(plan, POD_CREDENTIALS, port, ctx, OPTIONS);
  assert.deepEqual(contents(fetched), ['0:us-west-2/arn:aws:secretsmanager:us-west-2:123456789012:secret:db-west-XyZ', '1:us-west-2//app/p-west:live-west']);
  assert.deepEqual(fetched.map((f) => f.region), [FAILOVER, FAILOVER]);
  const asked = port.calls.map((c) => `${c.region} ${JSON.stringify(c.input)}`).sort();
  assert.deepEqual(asked, [
    `${PRIMARY} {"Names":["/app/p:live"],"WithDecryption":true}`,
    `${PRIMARY} {"SecretId":"arn:aws:secretsmanager:us-east-1:123456789012:secret:db-AbCdEf"}`,
    `${FAILOVER} {"Names":["/app/p-west:live-west"],"WithDecryption":true}`,
    `${FAILOVER} {"SecretId":"arn:aws:secretsmanager:us-west-2:123456789012:secret:db-west-XyZ"}`,
  ]);
  assert.deepEqual([...ctx.record.failovers].sort(), ['secretsmanager', 'ssm']);
  const warnings = ctx.logLines.filter((l) => l.level === 40).map((l) => `${String(l.object)} ${String(l.region)}`).sort();
  assert.deepEqual(warnings, ['parameters "/app/p" us-west-2', 'secret "arn:aws:secretsmanager:us-east-1:123456789012:secret:db-AbCdEf" us-west-2']);
});

test('without a failover object, the primary names are asked for in the failover region too; a primary success records no failover', async () => {
  const plan = planOf('- {objectName: db, objectType: secretsmanager, objectVersion: v7}', FAILOVER);
  const port = echoPort();
  const ctx = testContext();
  assert.deepEqual(contents(await fetchObjects(plan, POD_CREDENTIALS, port, ctx, OPTIONS)), ['0:us-east-1/db@v7']);
  assert.deepEqual(port.calls.map((c) => [c.region, c.input]).sort(), [
    [PRIMARY, { SecretId: 'db', VersionId: 'v7' }],
    [FAILOVER, { SecretId: 'db', VersionId: 'v7' }],
  ]);
  assert.deepEqual(ctx.record.failovers, []);
  assert.equal(ctx.logLines.filter((l) => l.level === 40).length, 0);
});

test('the SDK retries within a call only when no failover region stands by', async () => {
  const retriesOf = async (failover?: string) => {
    const retries: number[] = [];
    const port = new FakeAwsPort({
      getSecretValue: async (_input, call) => {
        retries.push(call.retry.maxAttempts);
        assert.equal(call.credentials, POD_CREDENTIALS);
        return { VersionId: 'v', SecretString: 'x' };
      },
    });
    await fetchObjects(planOf('- {objectName: db, objectType: secretsmanager}', failover), POD_CREDENTIALS, port, testContext(), OPTIONS);
    return retries;
  };
  assert.deepEqual(await retriesOf(), [3]);
  assert.deepEqual(await retriesOf(FAILOVER), [1, 1]);
});

test('values over the mount byte bound fail with LimitError; exactly the bound is fine', async () => {
  const plan = planOf('- {objectName: a, objectType: secretsmanager}\n- {objectName: b, objectType: ssmparameter}');
  const port = echoPort({ secret: () => ({ VersionId: 'v', SecretString: 'x'.repeat(600) }), parameters: () => ({ Parameters: [{ Name: 'b', Value: 'y'.repeat(400), Version: 1 }] }) });
  assert.equal((await fetchObjects(plan, POD_CREDENTIALS, port, testContext(), { ...OPTIONS, maxBytes: 1000 })).length, 2);
  await assert.rejects(fetchObjects(plan, POD_CREDENTIALS, port, testContext(), { ...OPTIONS, maxBytes: 999 }), (err) => {
    assert.ok(err instanceof LimitError);
    assert.match(err.message, /more than 999 bytes/);
    return true;
  });
});

test('a failed secret, or a failed batch of one parameter, names the object; a failed batch of several does not pick one', async () => {
  const malformed = echoPort({ secret: () => ({ SecretString: 'no version id' }) });
  await assert.rejects(fetchObjects(planOf('- {objectName: ok, objectType: ssmparameter}\n- {objectName: broken, objectType: secretsmanager}'), POD_CREDENTIALS, malformed, testContext(), OPTIONS), (err) => {
    assert.ok(err instanceof ContextError);
    assert.equal(err.kind, 'internal');
    assert.equal(err.code, 'MalformedResponse');
    assert.ok(err.cause instanceof MalformedResponseError);
    assert.match(err.message, /^objects\[1\] "broken": secretsmanager GetSecretValue/);
    return true;
  });

  const invalid = echoPort({ parameters: (names) => ({ Parameters: [], InvalidParameters: names }) });
  await assert.rejects(fetchObjects(planOf('- {objectName: x, objectType: secretsmanager}\n- {objectName: lone, objectType: ssmparameter}'), POD_CREDENTIALS, invalid, testContext(), OPTIONS), (err) => {
    assert.ok(err instanceof ContextError);
    assert.equal(err.kind, 'not-found');
    assert.match(err.message, /^objects\[1\] "lone": ssm GetParameters/);
    return true;
  });
  await assert.rejects(fetchObjects(planOf('- {objectName: one, objectType: ssmparameter}\n- {objectName: two, objectType: ssmparameter}'), POD_CREDENTIALS, invalid, testContext(), OPTIONS), (err) => {
    assert.ok(!(err instanceof ContextError));
    assert.equal((err as Error).name, 'AwsRequestError');
    assert.match((err as Error).message, /^ssm GetParameters failed in region us-east-1: InvalidParameters: parameters not found or not accessible: "one", "two"$/);
    return true;
  });
});

test('at most `concurrency` calls are in flight for one mount', async () => {
  let inFlight = 0;
  let most = 0;
  const port = new FakeAwsPort({
    getSecretValue: async (input) => {
      most = Math.max(most, ++inFlight);
      await new Promise((r) => setImmediate(r));
      inFlight--;
      return { VersionId: 'v', SecretString: input.SecretId };
    },
  });
  const plan = planOf(Array.from({ length: 9 }, (_, i) => `- {objectName: s${i}, objectType: secretsmanager}`).join('\n'));
  const fetched = await fetchObjects(plan, POD_CREDENTIALS, port, testContext(), { ...OPTIONS, concurrency: 3 });
  assert.equal(fetched.length, 9);
  assert.equal(most, 3);
});

test('coalescing is per identity and access key: a refreshed key for the same identity makes its own call', async () => {
  let release!: () => void;
  const gate = new Promise<void>((r) => (release = r));
  const port = new FakeAwsPort({
    getSecretValue: async () => {
      await gate;
      return { VersionId: 'v', SecretString: 'x' };
    },
  });
  const coalescer = new FetchCoalescer();
  const plan = planOf('- {objectName: db, objectType: secretsmanager}');
  const refreshed: PodCredentials = { ...POD_CREDENTIALS, accessKeyId: 'AKIDNEW' };
  const runs = [POD_CREDENTIALS, POD_CREDENTIALS, refreshed].map((c) => fetchObjects(plan, c, port, testContext(), { ...OPTIONS, coalescer }));
  await new Promise((r) => setImmediate(r));
  release();
  await Promise.all(runs);
  assert.equal(port.callsOf('getSecretValue').length, 2);

  // Same for SSM batches: one call for two mounts asking the same batch.
  let releaseSsm!: () => void;
  const ssmGate = new Promise<void>((r) => (releaseSsm = r));
  const ssmPort = new FakeAwsPort({
    getParameters: async (input) => {
      await ssmGate;
      return { Parameters: input.Names.map((n) => ({ Name: n, Value: n, Version: 1 })) };
    },
  });
  const ssmPlan = planOf('- {objectName: p, objectType: ssmparameter}');
  const ssmRuns = [1, 2].map(() => fetchObjects(ssmPlan, POD_CREDENTIALS, ssmPort, testContext(), { ...OPTIONS, coalescer }));
  await new Promise((r) => setImmediate(r));
  releaseSsm();
  assert.deepEqual((await Promise.all(ssmRuns)).map(contents), [['0:p'], ['0:p']]);
  assert.equal(ssmPort.callsOf('getParameters').length, 1);
});
