// SSM GetParameters through a fake AwsPort: which parameter answers which request
// (by name, then by ARN; by Selector, or by Version when an endpoint sends no
// Selector), what is asked of SSM, and how a batch fails (InvalidParameters,
// a parameter missing from the answer, an answer without a value, a transport error).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { getParameters, selectorOf, type ParameterRequest } from '../../src/fetch/ssm.js';
import type { ParameterOutput, ParametersOutput, SignedCallOptions } from '../../src/aws/port.js';
import { AwsRequestError, MalformedResponseError } from '../../src/errors.js';
import { FakeAwsPort, POD_CREDENTIALS, sdkError } from './support/fake-aws-port.js';

const REGION = 'eu-west-1';
const ARN = 'arn:aws:ssm:eu-west-1:123456789012:parameter/app/db-password';
const call = (): SignedCallOptions => ({ region: REGION, signal: new AbortController().signal, credentials: POD_CREDENTIALS, retry: { maxAttempts: 3 } });

function answering(response: ParametersOutput): FakeAwsPort {
  return new FakeAwsPort({ getParameters: async () => structuredClone(response) });
}

async function fetchValues(parameters: ParameterOutput[], requests: ParameterRequest[]): Promise<string[]> {
  const values = await getParameters(answering({ Parameters: parameters, InvalidParameters: [] }), requests, call());
  return values.map((v) => `${v.value.toString('utf8')}@${v.version}`);
}

test('a parameter requested by its ARN is matched by the ARN in the answer (SSM returns the plain name as Name)', async () => {
  const values = await fetchValues([{ Name: '/app/db-password', ARN, Value: 'hunter2', Version: 4 }], [{ name: ARN }]);
  assert.deepEqual(values, ['hunter2@4']);
  // Among other parameters of the batch, only the one with that ARN answers it.
  const batch = await fetchValues(
    [
      { Name: '/app/user', ARN: 'arn:aws:ssm:eu-west-1:123456789012:parameter/app/user', Value: 'admin', Version: 1 },
      { Name: '/app/db-password', ARN, Value: 'hunter2', Version: 4 },
      { Name: '/app/other', Value: 'other', Version: 2 },
    ],
    [{ name: '/app/user' }, { name: ARN }],
  );
  assert.deepEqual(batch, ['admin@1', 'hunter2@4']);
});

test('by ARN with a selector: the ARN candidates are searched for the matching Selector', async () => {
  const values = await fetchValues(
    [
      { Name: '/app/db-password', ARN, Value: 'v2', Version: 2, Selector: ':2' },
      { Name: '/app/db-password', ARN, Value: 'v3', Version: 3, Selector: ':3' },
    ],
    [{ name: ARN, version: '3' }, { name: ARN, version: '2' }],
  );
  assert.deepEqual(values, ['v3@3', 'v2@2']);
});

test('a name match wins over an ARN match when both are in the answer', async () => {
  // A request named like another parameter's ARN (contrived, but the rule must be stable): name first.
  const values = await fetchValues(
    [
      { Name: 'other', ARN: 'p', Value: 'by-arn', Version: 1 },
      { Name: 'p', ARN: 'arn:aws:ssm:eu-west-1:123456789012:parameter/p', Value: 'by-name', Version: 7 },
    ],
    [{ name: 'p' }],
  );
  assert.deepEqual(values, ['by-name@7']);
});

test('the same parameter at two versions and a label in one batch: each request gets its own value by Selector', async () => {
  const values = await fetchValues(
    [
      { Name: 'p', Value: 'latest', Version: 9 },
      { Name: 'p', Value: 'one', Version: 1, Selector: ':1' },
      { Name: 'p', Value: 'prod', Version: 5, Selector: ':prod' },
    ],
    [{ name: 'p', label: 'prod' }, { name: 'p' }, { name: 'p', version: '1' }],
  );
  assert.deepEqual(values, ['prod@5', 'latest@9', 'one@1']);
});

test('an endpoint that sends no Selector: a versioned request is matched by Version among several candidates', async () => {
  const values = await fetchValues(
    [
      { Name: 'p', Value: 'v2', Version: 2 },
      { Name: 'p', Value: 'v6', Version: 6 },
    ],
    [{ name: 'p', version: '6' }, { name: 'p', version: '2' }],
  );
  assert.deepEqual(values, ['v6@6', 'v2@2']);
});

test('an unversioned request is not answered by a versioned entry when an unversioned one is there', async () => {
  const values = await fetchValues(
    [
      { Name: 'p', Value: 'pinned', Version: 3, Selector: ':3' },
      { Name: 'p', Value: 'current', Version: 4 },
    ],
    [{ name: 'p' }],
  );
  assert.deepEqual(values, ['current@4']);
});

test('a label request is not answered by an entry with another label', async () => {
  // Two entries, neither with the requested label: no way to tell which one is meant.
  await assert.rejects(
    getParameters(
      answering({ Parameters: [
        { Name: 'p', Value: 'a', Version: 1, Selector: ':blue' },
        { Name: 'p', Value: 'b', Version: 2, Selector: ':green' },
      ] }),
      [{ name: 'p', label: 'prod' }],
      call(),
    ),
    (err) => err instanceof MalformedResponseError && /neither returned nor listed as invalid parameter "p:prod"/.test(err.message),
  );
});

test('a label that looks like a version number is matched by Selector only, never by Version', async () => {
  const values = await fetchValues(
    [
      { Name: 'p', Value: 'version-two', Version: 2, Selector: ':two' },
      { Name: 'p', Value: 'labelled', Version: 7, Selector: ':2' },
    ],
    [{ name: 'p', label: '2' }],
  );
  assert.deepEqual(values, ['labelled@7']);
});

test('an older answer without Selector and a single candidate: that candidate is the value', async () => {
  assert.deepEqual(await fetchValues([{ Name: 'p', Value: 'only', Version: 3 }], [{ name: 'p', label: 'prod' }]), ['only@3']);
  assert.deepEqual(await fetchValues([{ Name: 'q', ARN, Value: 'only-arn', Version: 8 }], [{ name: ARN, label: 'prod' }]), ['only-arn@8']);
});

test('what is asked of SSM: each selector once, decrypted, in the mount region', async () => {
  const port = answering({ Parameters: [
    { Name: 'a', Value: 'A', Version: 1 },
    { Name: 'b', Value: 'B', Version: 2, Selector: ':2' },
    { Name: 'c', Value: 'C', Version: 1, Selector: ':live' },
  ] });
  const values = await getParameters(port, [{ name: 'a' }, { name: 'b', version: '2' }, { name: 'a' }, { name: 'c', label: 'live' }], call());
  assert.deepEqual(values.map((v) => [v.value.toString(), v.version, v.region]), [['A', '1', REGION], ['B', '2', REGION], ['A', '1', REGION], ['C', '1', REGION]]);
  assert.deepEqual(port.calls, [{ method: 'getParameters', input: { Names: ['a', 'b:2', 'c:live'], WithDecryption: true }, region: REGION }]);
});

test('selectorOf: name, name:version, name:label', () => {
  assert.equal(selectorOf({ name: 'p' }), 'p');
  assert.equal(selectorOf({ name: 'p', version: '3' }), 'p:3');
  assert.equal(selectorOf({ name: 'p', label: 'prod' }), 'p:prod');
  assert.equal(selectorOf({ name: 'p', version: '', label: undefined }), 'p');
});

test('InvalidParameters fails the whole batch as NOT_FOUND, naming every invalid selector', async () => {
  const port = answering({ Parameters: [{ Name: 'a', Value: 'A', Version: 1 }], InvalidParameters: ['b:9', 'missing'] });
  await assert.rejects(getParameters(port, [{ name: 'a' }, { name: 'b', version: '9' }, { name: 'missing' }], call()), (err) => {
    assert.ok(err instanceof AwsRequestError);
    assert.equal(err.kind, 'not-found');
    assert.equal(err.code, 'InvalidParameters');
    assert.equal(err.details.service, 'ssm');
    assert.equal(err.details.region, REGION);
    assert.match(err.message, /parameters not found or not accessible: "b:9", "missing"/);
    return true;
  });
});

test('a parameter neither returned nor listed as invalid is a malformed answer naming its selector and region', async () => {
  const port = answering({ Parameters: [{ Name: 'a', Value: 'A', Version: 1 }] });
  await assert.rejects(getParameters(port, [{ name: 'a' }, { name: 'b', version: '2' }], call()), (err) => {
    assert.ok(err instanceof MalformedResponseError);
    assert.equal(err.kind, 'internal');
    assert.match(err.message, /region eu-west-1 neither returned nor listed as invalid parameter "b:2"/);
    return true;
  });
});

test('an answer without Parameters or InvalidParameters at all is malformed, not a crash', async () => {
  await assert.rejects(getParameters(answering({}), [{ name: 'a' }], call()), MalformedResponseError);
});

test('a returned parameter without a Value, or without a Version, is malformed (never mounted as "undefined")', async () => {
  for (const parameter of [{ Name: 'a', Version: 1 }, { Name: 'a', Value: 'A' }] as ParameterOutput[]) {
    await assert.rejects(getParameters(answering({ Parameters: [parameter] }), [{ name: 'a', label: 'x' }], call()), (err) => {
      assert.ok(err instanceof MalformedResponseError);
      assert.match(err.message, /returned parameter "a:x" without a Value or Version/);
      return true;
    });
  }
});

test('an empty string value is a value (an empty file), version 0 is a version', async () => {
  assert.deepEqual(await fetchValues([{ Name: 'a', Value: '', Version: 0 }], [{ name: 'a' }]), ['@0']);
});

test('a transport error is classified, naming the parameters asked for', async () => {
  const throttled = new FakeAwsPort({ getParameters: async () => { throw sdkError('ThrottlingException', 400, 'Rate exceeded'); } });
  await assert.rejects(getParameters(throttled, [{ name: 'a' }, { name: 'b', label: 'l' }], call()), (err) => {
    assert.ok(err instanceof AwsRequestError);
    assert.equal(err.transient, true);
    assert.equal(err.details.operation, 'GetParameters');
    assert.match(err.message, /^ssm GetParameters for parameters "a", "b:l" failed in region eu-west-1 \(HTTP 400\): ThrottlingException: Rate exceeded/);
    return true;
  });
  const denied = new FakeAwsPort({ getParameters: async () => { throw sdkError('AccessDeniedException', 400); } });
  await assert.rejects(getParameters(denied, [{ name: 'a' }], call()), (err) => err instanceof AwsRequestError && err.kind === 'permission-denied');
});
