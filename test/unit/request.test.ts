// Unit tests for request parsing: the documented check order, tokens,
// permission, regions, usePodIdentity, pathTranslation.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseMountRequest, planMount, primaryRegion, resolveRegions } from '../../src/plan/request.js';
import { RequestError, ObjectSpecError } from '../../src/errors.js';

const TOKENS = JSON.stringify({
  'sts.amazonaws.com': { token: 'eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJ4In0.c2ln', expirationTimestamp: '2030-01-01T00:00:00Z' },
  'pods.eks.amazonaws.com': { token: 'eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJ5In0.c2ln', expirationTimestamp: '2030-01-01T00:00:00Z' },
});

function attrs(extra: Record<string, unknown> = {}) {
  return JSON.stringify({
    'csi.storage.k8s.io/pod.name': 'web-1',
    'csi.storage.k8s.io/pod.namespace': 'shop',
    'csi.storage.k8s.io/pod.uid': 'uid-1',
    'csi.storage.k8s.io/serviceAccount.name': 'web',
    'csi.storage.k8s.io/serviceAccount.tokens': TOKENS,
    region: 'us-east-1',
    objects: '- objectName: s\n  objectType: secretsmanager\n',
    ...extra,
  });
}
const req = (over: Record<string, string> = {}) => ({ target_path: '/var/lib/kubelet/pods/x/volumes/kubernetes.io~csi/v/mount', permission: '420', attributes: attrs(), ...over });

function plan(over: Record<string, string> = {}, env?: string) {
  const parsed = parseMountRequest(req(over));
  return planMount(parsed, resolveRegions(parsed.attributes, primaryRegion(parsed.attributes, env) ?? 'eu-central-1'));
}

function invalid(fn: () => unknown, pattern: RegExp) {
  assert.throws(fn, (err: unknown) => {
    assert.ok(err instanceof RequestError || err instanceof ObjectSpecError, String(err));
    assert.match((err as Error).message, pattern);
    return true;
  });
}

test('a well-formed request plans IRSA with the sts token', () => {
  const p = plan();
  assert.equal(p.auth.mode, 'irsa');
  assert.equal(p.regions.primary, 'us-east-1');
  assert.equal(p.objects.length, 1);
  assert.equal(p.objects[0]!.mode, 0o644);
});

test('checks run in order: target path, attributes, tokens, permission', () => {
  invalid(() => parseMountRequest({ target_path: '', attributes: 'nope', permission: 'x' }), /^Missing mount path$/);
  invalid(() => parseMountRequest(req({ attributes: 'nope', permission: 'x' })), /failed to parse attributes/);
  invalid(() => parseMountRequest(req({ attributes: '[]' })), /JSON object of strings/);
  invalid(() => parseMountRequest(req({ attributes: '{"a":1}' })), /attribute "a" must be a string/);
  invalid(() => parseMountRequest(req({ attributes: '{}', permission: 'x' })), /serviceAccount.tokens is missing: the CSIDriver/);
  invalid(() => parseMountRequest(req({ permission: 'x' })), /failed to parse permission "x"/);
});

test('permission is a decimal mode', () => {
  assert.equal(parseMountRequest(req({ permission: '384' })).defaultMode, 0o600);
  for (const bad of ['', '0644', '-1', '4.2', '4e2', '"420"', '420x', '99999999999']) invalid(() => parseMountRequest(req({ permission: bad })), /failed to parse permission/);
  // Read as a JSON number, as the Go provider does: JSON whitespace around it is fine.
  for (const spaced of [' 420', '420\n', '\t420 ']) assert.equal(parseMountRequest(req({ permission: spaced })).defaultMode, 0o644);
  // Setuid, setgid, sticky (and anything above them) are refused: the files are root's.
  for (const special of ['2541', '1517', '1005', '4095', '99999']) {
    invalid(() => parseMountRequest(req({ permission: special })), /sets setuid, setgid, sticky or unknown bits/);
  }
  assert.equal(parseMountRequest(req({ permission: '511' })).defaultMode, 0o777);
});

test('malformed tokens are INVALID_ARGUMENT and never echoed', () => {
  const secret = 'eyJhbGciOiJSUzI1NiJ9.SECRET-TOKEN-VALUE';
  const cases = [
    `{"sts.amazonaws.com": "${secret}"`,
    JSON.stringify({ 'sts.amazonaws.com': secret }),
    JSON.stringify({ 'sts.amazonaws.com': { token: '' } }),
    JSON.stringify({ 'sts.amazonaws.com': { token: `${secret}\r\nX-Injected: 1` } }),
    JSON.stringify({ 'sts.amazonaws.com': { token: secret, expirationTimestamp: 'tomorrow' } }),
    JSON.stringify([secret]),
  ];
  for (const tokens of cases) {
    assert.throws(() => parseMountRequest(req({ attributes: attrs({ 'csi.storage.k8s.io/serviceAccount.tokens': tokens }) })), (err: Error) => {
      assert.ok(err instanceof RequestError);
      assert.ok(!err.message.includes('SECRET-TOKEN-VALUE'), err.message);
      return true;
    });
  }
});

test('regions: attribute, then AWS_REGION, then the node; failover must differ and be a region', () => {
  const parsed = parseMountRequest(req({ attributes: attrs({ region: '' }) }));
  assert.equal(primaryRegion(parsed.attributes, 'eu-west-1'), 'eu-west-1');
  assert.equal(primaryRegion(parsed.attributes, undefined), undefined);
  assert.equal(plan({ attributes: attrs({ region: '' }) }).regions.primary, 'eu-central-1');
  invalid(() => plan({ attributes: attrs({ failoverRegion: 'us-east-1' }) }), /failoverRegion us-east-1 cannot be the same as the primary region/);
  invalid(() => plan({ attributes: attrs({ region: 'us-east-1.evil.example' }) }), /region "us-east-1.evil.example" is not a valid AWS region name/);
  assert.deepEqual(plan({ attributes: attrs({ failoverRegion: 'us-west-2' }) }).regions, { primary: 'us-east-1', failover: 'us-west-2' });
});

test('usePodIdentity is Go ParseBool, and picks the token audience', () => {
  for (const v of ['1', 't', 'T', 'TRUE', 'true', 'True']) assert.equal(plan({ attributes: attrs({ usePodIdentity: v }) }).auth.mode, 'pod-identity');
  for (const v of ['', '0', 'f', 'F', 'FALSE', 'false', 'False']) assert.equal(plan({ attributes: attrs({ usePodIdentity: v }) }).auth.mode, 'irsa');
  for (const v of ['yes', 'on', ' true', 'TrUe']) invalid(() => plan({ attributes: attrs({ usePodIdentity: v }) }), /failed to parse usePodIdentity/);
  const onlySts = JSON.stringify({ 'sts.amazonaws.com': { token: 'a.b.c' } });
  invalid(() => plan({ attributes: attrs({ usePodIdentity: 'true', 'csi.storage.k8s.io/serviceAccount.tokens': onlySts }) }), /no service account token for audience pods\.eks\.amazonaws\.com/);
});

test('preferredAddressType is case-insensitive, anything else is auto', () => {
  const pref = (v: string) => {
    const auth = plan({ attributes: attrs({ usePodIdentity: 'true', preferredAddressType: v }) }).auth;
    return auth.mode === 'pod-identity' ? auth.addressPreference : undefined;
  };
  assert.equal(pref('IPv6'), 'ipv6');
  assert.equal(pref('IPV4'), 'ipv4');
  assert.equal(pref(''), 'auto');
  assert.equal(pref('dual'), 'auto');
});

test('pathTranslation: False in any case turns it off; otherwise one character', () => {
  const name = (t: string) => plan({ attributes: attrs({ pathTranslation: t, objects: '- objectName: /a/b\n  objectType: ssmparameter\n' }) }).objects[0]!.fileName;
  assert.equal(name(''), '_a_b');
  assert.equal(name('FALSE'), 'a/b');
  assert.equal(name('-'), '-a-b');
  invalid(() => name('ab'), /pathTranslation "ab" must be either "False" or a single character/);
});

test('objects are validated before anything else runs (after the pure checks)', () => {
  invalid(() => plan({ attributes: attrs({ objects: '- objectType: secretsmanager\n' }) }), /objects\[0\] objectName: is required/);
});
