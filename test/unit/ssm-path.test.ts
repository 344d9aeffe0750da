// SSM parameters by path (src/fetch/ssm-path.ts, and its place in fetchObjects) against
// a fake AwsPort: every page is read with the previous page's token, decrypted, ten at a
// time; names are kept relative to the path; the count and the pages are bounded; an
// empty path is "not found"; a parameter outside the path or without a value is a
// malformed answer; failover asks the failoverObject's path in the other region.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { ParametersByPathInput, ParametersByPathOutput, SignedCallOptions } from '../../src/aws/port.js';
import { AwsRequestError, ContextError, LimitError, MalformedResponseError } from '../../src/errors.js';
import { fetchObjects } from '../../src/fetch/fetch-objects.js';
import { getParametersByPath, PATH_PAGE_SIZE } from '../../src/fetch/ssm-path.js';
import { MAX_PARAMETERS_BY_PATH, MAX_PARAMETERS_BY_PATH_PAGES } from '../../src/limits.js';
import { parseObjects } from '../../src/plan/objects.js';
import { toGrpcError } from '../../src/server/status.js';
import { status as Status } from '@grpc/grpc-js';
import { FakeAwsPort, POD_CREDENTIALS, sdkError } from './support/fake-aws-port.js';
import { testContext } from './support/context.js';

const REGION = 'us-east-1';
const call = (): SignedCallOptions => ({ region: REGION, credentials: POD_CREDENTIALS, retry: { maxAttempts: 3 }, signal: AbortSignal.timeout(5_000) });

/** A store of names below which the fake pages like SSM: PATH_PAGE_SIZE per page, the token an offset. */
function pagingPort(names: string[], byRegion?: (region: string) => Error | undefined) {
  return new FakeAwsPort({
    getParametersByPath: async (input: ParametersByPathInput, c): Promise<ParametersByPathOutput> => {
      const failure = byRegion?.(c.region);
      if (failure) throw failure;
      const prefix = input.Path.replace(/\/?$/, '/');
      const below = names.filter((n) => n.startsWith(prefix) && (input.Recursive || !n.slice(prefix.length).includes('/')));
      const start = Number(input.NextToken ?? 0);
      const page = below.slice(start, start + input.MaxResults);
      return {
        Parameters: page.map((Name, i) => ({ Name, Value: `${c.region}:${Name}`, Version: start + i + 1 })),
        ...(start + input.MaxResults < below.length && { NextToken: String(start + input.MaxResults) }),
      };
    },
  });
}

test('every page, each asked with the previous token, decrypted, ten at a time; names relative to the path, versions their own', async () => {
  const names = Array.from({ length: 23 }, (_, i) => `/app/p${String(i).padStart(2, '0')}`);
  const port = pagingPort([...names, '/app/deeper/x', '/other/y']);
  const got = await getParametersByPath(port, { path: '/app', recursive: false }, call());
  assert.equal(got.length, 23);
  assert.deepEqual(got.slice(0, 2), [
    { name: '/app/p00', relativeName: 'p00', value: Buffer.from('us-east-1:/app/p00'), version: '1', region: REGION },
    { name: '/app/p01', relativeName: 'p01', value: Buffer.from('us-east-1:/app/p01'), version: '2', region: REGION },
  ]);
  assert.deepEqual(port.calls.map((c) => c.input), [
    { Path: '/app', Recursive: false, WithDecryption: true, MaxResults: PATH_PAGE_SIZE },
    { Path: '/app', Recursive: false, WithDecryption: true, MaxResults: PATH_PAGE_SIZE, NextToken: '10' },
    { Path: '/app', Recursive: false, WithDecryption: true, MaxResults: PATH_PAGE_SIZE, NextToken: '20' },
  ]);
  const deep = await getParametersByPath(port, { path: '/app/', recursive: true }, call());
  assert.deepEqual(deep.map((p) => p.relativeName).slice(-2), ['p22', 'deeper/x']);
});

test('empty pages with a token are followed; an empty final token ends the listing', async () => {
  const answers: ParametersByPathOutput[] = [
    { Parameters: [], NextToken: 'a' },
    { Parameters: [{ Name: '/app/x', Value: 'v', Version: 4 }], NextToken: 'b' },
    { Parameters: [], NextToken: '' },
  ];
  const port = new FakeAwsPort({ getParametersByPath: async () => answers.shift()! });
  const got = await getParametersByPath(port, { path: '/app', recursive: false }, call());
  assert.deepEqual(got.map((p) => [p.relativeName, p.version]), [['x', '4']]);
  assert.equal(port.calls.length, 3);
});

test(`at most ${MAX_PARAMETERS_BY_PATH} parameters per path: exactly that many mount, one more is refused naming the path`, async () => {
  const names = (n: number) => Array.from({ length: n }, (_, i) => `/big/p${i}`);
  assert.equal((await getParametersByPath(pagingPort(names(MAX_PARAMETERS_BY_PATH)), { path: '/big', recursive: true }, call())).length, MAX_PARAMETERS_BY_PATH);
  await assert.rejects(getParametersByPath(pagingPort(names(MAX_PARAMETERS_BY_PATH + 1)), { path: '/big', recursive: true }, call()), (err) => {
    assert.ok(err instanceof LimitError);
    assert.equal(err.message, `path "/big" in region us-east-1 has more than ${MAX_PARAMETERS_BY_PATH} parameters (recursive), the most one parametersByPath object may mount; use a narrower path`);
    return true;
  });
});

test('an endpoint that pages forever is stopped after a bounded number of pages', async () => {
  const port = new FakeAwsPort({ getParametersByPath: async () => ({ Parameters: [], NextToken: 'again' }) });
  await assert.rejects(getParametersByPath(port, { path: '/app', recursive: false }, call()), MalformedResponseError);
  assert.equal(port.calls.length, MAX_PARAMETERS_BY_PATH_PAGES);
});

test('a path with no parameters is NOT_FOUND, naming the path and the region; the hint mentions recursive when it is off', async () => {
  await assert.rejects(getParametersByPath(pagingPort(['/app/deep/x']), { path: '/app', recursive: false }, call()), (err) => {
    assert.ok(err instanceof AwsRequestError);
    assert.equal(err.kind, 'not-found');
    assert.equal(err.message, 'ssm GetParametersByPath for parameters under path "/app" failed in region us-east-1: ParameterNotFound: there are none directly below it (recursive: "true" also reads deeper levels)');
    return true;
  });
  await assert.rejects(getParametersByPath(pagingPort([]), { path: '/app', recursive: true }, call()), /for parameters under path "\/app" failed in region us-east-1: ParameterNotFound: there are none$/);
});

test('an answer with a parameter outside the path, equal to it, or without Name, Value or Version is malformed', async () => {
  const answering = (p: object) => new FakeAwsPort({ getParametersByPath: async () => ({ Parameters: [p] }) });
  for (const p of [{ Name: '/apple', Value: 'v', Version: 1 }, { Name: '/app/', Value: 'v', Version: 1 }, { Name: '/app/x', Version: 1 }, { Name: '/app/x', Value: 'v' }, { Value: 'v', Version: 1 }]) {
    await assert.rejects(getParametersByPath(answering(p), { path: '/app', recursive: false }, call()), MalformedResponseError, JSON.stringify(p));
  }
});

test('a transport or AWS error is classified like any other SSM call, naming the path', async () => {
  const port = new FakeAwsPort({ getParametersByPath: async () => { throw sdkError('AccessDeniedException', 400, 'not authorized to perform: ssm:GetParametersByPath'); } });
  await assert.rejects(getParametersByPath(port, { path: '/app', recursive: false }, call()), (err) => {
    assert.ok(err instanceof AwsRequestError);
    assert.equal(toGrpcError(err, undefined).code, Status.PERMISSION_DENIED);
    assert.match(err.message, /^ssm GetParametersByPath for parameters under path "\/app" failed in region us-east-1 \(HTTP 400\): AccessDeniedException: not authorized/);
    return true;
  });
});

function planOf(yaml: string, failover?: string) {
  return {
    regions: { primary: REGION, ...(failover && { failover }) },
    objects: parseObjects(yaml, { primaryRegion: REGION, ...(failover && { failoverRegion: failover }), translation: '_', defaultMode: 0o644 }),
  };
}

test('fetchObjects: a path object is not batched with GetParameters; its parameters come back in objects order with their names', async () => {
  const port = pagingPort(['/app/a', '/app/b']);
  const both = new FakeAwsPort({
    getParametersByPath: (input, c) => port.getParametersByPath(input, c),
    getParameters: async (input) => ({ Parameters: input.Names.map((Name) => ({ Name, Value: 'single', Version: 7 })) }),
  });
  const fetched = await fetchObjects(planOf('- {objectName: /solo, objectType: ssmparameter}\n- {objectName: /app, objectType: ssmparameter, parametersByPath: "true"}\n- {objectName: /two, objectType: ssmparameter}\n'), POD_CREDENTIALS, both, testContext(), { concurrency: 4, maxBytes: 1 << 20 });
  assert.deepEqual(fetched.map((f) => [f.object.index, f.parameter?.relativeName, f.version]), [[0, undefined, '7'], [1, 'a', '1'], [1, 'b', '2'], [2, undefined, '7']]);
  assert.deepEqual(both.callsOf('getParameters').map((c) => (c.input as { Names: string[] }).Names), [['/solo', '/two']]);
});

test('fetchObjects with a failover region: both regions asked (the failoverObject\'s path there); a transient primary failure mounts the failover\'s parameters', async () => {
  const yaml = '- {objectName: /app, objectType: ssmparameter, parametersByPath: "true", failoverObject: {objectName: /app-dr}}\n';
  const healthy = pagingPort(['/app/k', '/app-dr/k']);
  const ok = await fetchObjects(planOf(yaml, 'us-west-2'), POD_CREDENTIALS, healthy, testContext(), { concurrency: 4, maxBytes: 1 << 20 });
  assert.deepEqual(ok.map((f) => [f.region, f.value.toString(), f.parameter?.relativeName]), [[REGION, 'us-east-1:/app/k', 'k']]);
  assert.deepEqual(healthy.calls.map((c) => [c.region, (c.input as ParametersByPathInput).Path]).sort(), [['us-east-1', '/app'], ['us-west-2', '/app-dr']]);

  const primaryDown = pagingPort(['/app/k', '/app-dr/k'], (region) => (region === REGION ? sdkError('InternalServerError', 500) : undefined));
  const ctx = testContext();
  const failedOver = await fetchObjects(planOf(yaml, 'us-west-2'), POD_CREDENTIALS, primaryDown, ctx, { concurrency: 4, maxBytes: 1 << 20 });
  assert.deepEqual(failedOver.map((f) => [f.region, f.value.toString(), f.parameter?.relativeName]), [['us-west-2', 'us-west-2:/app-dr/k', 'k']]);

  const missingThere = pagingPort(['/app/k']);
  await assert.rejects(fetchObjects(planOf(yaml, 'us-west-2'), POD_CREDENTIALS, missingThere, testContext(), { concurrency: 4, maxBytes: 1 << 20 }), (err) => {
    assert.ok(err instanceof ContextError);
    assert.equal(toGrpcError(err, undefined).code, Status.NOT_FOUND);
    assert.match(err.message, /^objects\[0\] "\/app": ssm GetParametersByPath for parameters under path "\/app-dr" failed in region us-west-2: ParameterNotFound/);
    return true;
  });
});

test('fetchObjects: a path\'s values count against the mount\'s byte bound', async () => {
  const port = pagingPort(['/app/a', '/app/b']);
  await assert.rejects(
    fetchObjects(planOf('- {objectName: /app, objectType: ssmparameter, parametersByPath: "true"}\n'), POD_CREDENTIALS, port, testContext(), { concurrency: 4, maxBytes: 20 }),
    LimitError,
  );
});
