// The exact refusals of request parsing (src/plan/request.ts) that a user reads in
// the pod's events: target path, attributes, each token's shape and expiry, the
// default permission, pathTranslation, the IRSA identity attributes; and what a
// well-formed request carries into the plan (pod, token expiry, failover region).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ATTR, parseMountRequest, parsePathTranslation, planMount, resolveRegions } from '../../src/plan/request.js';
import { RequestError } from '../../src/errors.js';
import { MAX_ATTRIBUTES_BYTES, MAX_TOKEN_BYTES } from '../../src/limits.js';

const TOKEN = 'eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJ4In0.c2ln';
const tokens = (value: unknown) => JSON.stringify(value);
const attributes = (extra: Record<string, unknown> = {}) =>
  JSON.stringify({
    [ATTR.podName]: 'web-1',
    [ATTR.podNamespace]: 'shop',
    [ATTR.podUid]: 'uid-1',
    [ATTR.serviceAccount]: 'web',
    [ATTR.tokens]: tokens({ 'sts.amazonaws.com': { token: TOKEN, expirationTimestamp: '2030-01-01T00:00:00Z' } }),
    objects: '- {objectName: s, objectType: secretsmanager}\n',
    ...extra,
  });
const request = (over: Record<string, string | undefined> = {}) => ({ target_path: '/var/lib/kubelet/pods/x/mount', permission: '420', attributes: attributes(), ...over });

function refused(over: Record<string, string | undefined>, message: string | RegExp) {
  assert.throws(() => parseMountRequest(request(over)), (err) => {
    assert.ok(err instanceof RequestError, String(err));
    if (typeof message === 'string') assert.equal(err.message, message);
    else assert.match(err.message, message);
    assert.ok(!err.message.includes(TOKEN), 'a token is never echoed');
    return true;
  });
}

test('the target path must be absolute and free of NUL', () => {
  refused({ target_path: undefined }, 'Missing mount path');
  refused({ target_path: 'relative/mount' }, 'target_path must be an absolute path');
  refused({ target_path: '/var/lib/\0/mount' }, 'target_path must be an absolute path');
  assert.equal(parseMountRequest(request()).targetPath, '/var/lib/kubelet/pods/x/mount');
});

test('attributes: a JSON object of strings, at most MAX_ATTRIBUTES_BYTES', () => {
  refused({ attributes: undefined }, /^failed to parse attributes as JSON: /);
  refused({ attributes: 'null' }, 'attributes must be a JSON object of strings');
  refused({ attributes: '"text"' }, 'attributes must be a JSON object of strings');
  refused({ attributes: '["a"]' }, 'attributes must be a JSON object of strings');
  const padded = (total: number) => {
    const base = attributes({ pad: '' });
    return base.replace('"pad":""', `"pad":"${'x'.repeat(total - Buffer.byteLength(base))}"`);
  };
  assert.equal(Buffer.byteLength(padded(MAX_ATTRIBUTES_BYTES)), MAX_ATTRIBUTES_BYTES);
  assert.equal(parseMountRequest(request({ attributes: padded(MAX_ATTRIBUTES_BYTES) })).pod.name, 'web-1');
  refused({ attributes: padded(MAX_ATTRIBUTES_BYTES + 1) }, `attributes are larger than ${MAX_ATTRIBUTES_BYTES} bytes`);
});

test('the pod comes from the attributes; missing ones are empty', () => {
  assert.deepEqual(parseMountRequest(request()).pod, { name: 'web-1', namespace: 'shop', uid: 'uid-1', serviceAccount: 'web' });
  const bare = JSON.stringify({ [ATTR.tokens]: tokens({ 'sts.amazonaws.com': { token: TOKEN } }) });
  assert.deepEqual(parseMountRequest(request({ attributes: bare })).pod, { name: '', namespace: '', uid: '', serviceAccount: '' });
});

const withTokens = (value: string) => ({ attributes: attributes({ [ATTR.tokens]: value }) });
const where = `attribute ${ATTR.tokens}, audience "sts.amazonaws.com"`;

test('tokens: each refusal says what is wrong, for which audience, never quoting the token', () => {
  refused(withTokens(''), `attribute ${ATTR.tokens} is missing: the CSIDriver secrets-store.csi.k8s.io must set tokenRequests for audiences sts.amazonaws.com and pods.eks.amazonaws.com`);
  refused(withTokens(`{"sts.amazonaws.com": "${TOKEN}`), `attribute ${ATTR.tokens} is not valid JSON`);
  for (const notAnObject of ['null', '[]', '"x"', '3']) refused(withTokens(notAnObject), `attribute ${ATTR.tokens} must be a JSON object keyed by audience`);
  for (const entry of [null, [TOKEN], TOKEN, 7]) {
    refused(withTokens(tokens({ 'sts.amazonaws.com': entry })), `${where}: must be an object with "token" and "expirationTimestamp"`);
  }
  for (const token of [undefined, '', 42]) refused(withTokens(tokens({ 'sts.amazonaws.com': { token } })), `${where}: "token" must be a non-empty string`);
  for (const token of ['has space', 'tab\tinside', `${TOKEN}\n`, 'x'.repeat(MAX_TOKEN_BYTES + 1)]) {
    refused(withTokens(tokens({ 'sts.amazonaws.com': { token } })), `${where}: "token" is not a well-formed service account token`);
  }
  for (const expirationTimestamp of ['tomorrow', 1893456000, false]) {
    refused(withTokens(tokens({ 'sts.amazonaws.com': { token: TOKEN, expirationTimestamp } })), `${where}: "expirationTimestamp" must be an RFC 3339 time`);
  }
  const longAudience = 'a'.repeat(300);
  refused(withTokens(tokens({ [longAudience]: 1 })), `attribute ${ATTR.tokens}, audience "${'a'.repeat(100)}": must be an object with "token" and "expirationTimestamp"`);
});

test('tokens: a token of exactly MAX_TOKEN_BYTES is fine; the expiry is kept when given, absent when not', () => {
  const long = 'x'.repeat(MAX_TOKEN_BYTES);
  const parsed = parseMountRequest(request(withTokens(tokens({
    'sts.amazonaws.com': { token: long, expirationTimestamp: '2030-01-01T00:00:00Z' },
    'pods.eks.amazonaws.com': { token: TOKEN },
    other: { token: TOKEN, expirationTimestamp: '' },
  }))));
  assert.deepEqual(parsed.tokens.get('sts.amazonaws.com'), { token: long, expiresAt: Date.parse('2030-01-01T00:00:00Z') });
  assert.deepEqual(parsed.tokens.get('pods.eks.amazonaws.com'), { token: TOKEN });
  assert.ok(!('expiresAt' in parsed.tokens.get('other')!));
});

test('permission: refusals quote at most 20 characters; whitespace only around the number; at most 32 bits', () => {
  refused({ permission: `${'9'.repeat(30)}` }, `failed to parse permission "${'9'.repeat(20)}": expected a decimal file mode such as "420" (0644)`);
  refused({ permission: '4 20' }, /failed to parse permission "4 20"/);
  refused({ permission: '4294967296' }, /failed to parse permission/);
  refused({ permission: '4294967295' }, /permission 4294967295 \(37777777777\) sets setuid, setgid, sticky or unknown bits/);
  refused({ permission: '512' }, 'permission 512 (1000) sets setuid, setgid, sticky or unknown bits, which secret files must not have');
  assert.equal(parseMountRequest(request({ permission: ' \t\r\n420\n\r\t ' })).defaultMode, 0o644);
  assert.equal(parseMountRequest(request({ permission: '0' })).defaultMode, 0);
});

test('pathTranslation: one character, not "/" nor NUL; refusals quote at most 20 characters', () => {
  assert.equal(parsePathTranslation(undefined), '_');
  assert.equal(parsePathTranslation('fAlSe'), undefined);
  assert.equal(parsePathTranslation('é'), 'é');
  assert.equal(parsePathTranslation('😀'), '😀', 'one character, however many UTF-16 units');
  for (const bad of ['/', '\0', 'ab']) assert.throws(() => parsePathTranslation(bad), RequestError, JSON.stringify(bad));
  assert.throws(() => parsePathTranslation('x'.repeat(50)), (err) => err instanceof RequestError && err.message.startsWith(`pathTranslation "${'x'.repeat(20)}" must be`));
});

test('IRSA needs the pod namespace and service account to find the role', () => {
  for (const missing of [ATTR.podNamespace, ATTR.serviceAccount]) {
    const parsed = parseMountRequest(request({ attributes: attributes({ [missing]: '' }) }));
    assert.throws(() => planMount(parsed, { primary: 'us-east-1' }), (err) =>
      err instanceof RequestError && err.message === `attributes ${ATTR.podNamespace} and ${ATTR.serviceAccount} are required to find the pod's IAM role`,
    );
  }
});

test('usePodIdentity refusals quote at most 40 characters', () => {
  const parsed = parseMountRequest(request({ attributes: attributes({ usePodIdentity: 'y'.repeat(60) }) }));
  assert.throws(() => planMount(parsed, { primary: 'us-east-1' }), (err) => err instanceof RequestError && err.message === `failed to parse usePodIdentity value "${'y'.repeat(40)}": use "true" or "false"`);
});

test('the failover region reaches the objects rules; an invalid failover region is named as such', () => {
  const failoverSpec = '- {objectName: s, objectType: secretsmanager, objectAlias: s, failoverObject: {objectName: s2}}\n';
  const parsed = parseMountRequest(request({ attributes: attributes({ objects: failoverSpec, failoverRegion: 'us-west-2' }) }));
  const plan = planMount(parsed, resolveRegions(parsed.attributes, 'us-east-1'));
  assert.deepEqual(plan.objects[0]!.failoverObject, { objectName: 's2' });
  assert.throws(() => planMount(parsed, { primary: 'us-east-1' }), /requires the failoverRegion parameter/);
  assert.throws(() => resolveRegions({ failoverRegion: 'mars-1' }, 'us-east-1'), (err) => err instanceof RequestError && err.message.startsWith('failoverRegion "mars-1" is not a valid AWS region name'));
});

test('preferredAddressType absent means auto', () => {
  const parsed = parseMountRequest(request({ attributes: attributes({ usePodIdentity: 'true', [ATTR.tokens]: tokens({ 'pods.eks.amazonaws.com': { token: TOKEN } }) }) }));
  const { auth } = planMount(parsed, { primary: 'us-east-1' });
  assert.equal(auth.mode === 'pod-identity' && auth.addressPreference, 'auto');
});
