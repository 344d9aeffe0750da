// MountRequest fields: the attributes JSON (structured and arbitrary), the
// service account tokens inside it, the permission string and the target path.
import fc, { type Arbitrary } from 'fast-check';
import { IRSA_AUDIENCE, POD_IDENTITY_AUDIENCE } from '../../../src/plan/request.js';
import { mutated, region, specialChar, text } from './text.js';
import { objectsText, translation } from './objects.js';

/** Every generated token carries this prefix then random characters: error messages must never contain one. */
export const TOKEN_PREFIX = 'eyJ0b2tlbiI6';

const tokenValue: Arbitrary<string> = fc.oneof(
  { weight: 12, arbitrary: fc.stringMatching(/^[A-Za-z0-9_-]{16,60}\.[A-Za-z0-9_-]{8,40}$/).map((s) => TOKEN_PREFIX + s) },
  { weight: 1, arbitrary: fc.tuple(text(8), fc.stringMatching(/^[A-Za-z0-9]{16}$/)).map(([junk, s]) => `${TOKEN_PREFIX}${s}${junk}`) },
  { weight: 1, arbitrary: fc.integer({ min: 16_370, max: 16_400 }).map((n) => TOKEN_PREFIX + 'x'.repeat(n)) },
  { weight: 1, arbitrary: fc.constantFrom('', ' ', 'x') },
);

const timestamp: Arbitrary<unknown> = fc.oneof(
  { weight: 8, arbitrary: fc.date({ noInvalidDate: true, min: new Date(0), max: new Date(4e12) }).map((d) => d.toISOString()) },
  { weight: 1, arbitrary: fc.constantFrom('2030-01-01T00:00:00Z', '2030-01-01T00:00:00+02:00', 'tomorrow', '', '0', '2030-13-45T99:99:99Z', '9999999999') },
  { weight: 1, arbitrary: fc.oneof(fc.integer(), fc.constant(null), text(12)) },
);

const audience = fc.oneof(
  { weight: 6, arbitrary: fc.constantFrom(IRSA_AUDIENCE, POD_IDENTITY_AUDIENCE) },
  { weight: 1, arbitrary: fc.constantFrom('__proto__', 'constructor', '', 'STS.amazonaws.com') },
  { weight: 1, arbitrary: text(10) },
);

const tokenEntry: Arbitrary<unknown> = fc.oneof(
  { weight: 16, arbitrary: fc.record({ token: tokenValue, expirationTimestamp: timestamp }, { requiredKeys: ['token'] }) },
  { weight: 1, arbitrary: tokenValue },
  { weight: 1, arbitrary: fc.jsonValue({ maxDepth: 2 }) },
);

/** The serviceAccount.tokens attribute: a JSON object keyed by audience, or something else. */
export const tokensJson: Arbitrary<string> = fc.oneof(
  { weight: 12, arbitrary: fc.dictionary(audience, tokenEntry, { maxKeys: 3 }).map((t) => JSON.stringify(t)) },
  { weight: 2, arbitrary: mutated(fc.dictionary(audience, tokenEntry, { maxKeys: 3 }).map((t) => JSON.stringify(t))) },
  { weight: 1, arbitrary: fc.json() },
  { weight: 1, arbitrary: text(20) },
);

export const permission: Arbitrary<string> = fc.oneof(
  { weight: 6, arbitrary: fc.constantFrom('420', '384', '256', '0', '511', '292') },
  fc.constantFrom('420', '384', '0', '4095', '4096', '0644', '-1', '1e3', ' 420', '420 ', '٤٢٠', '99999', '00', '', '+420', '0x1a4', '420\n'),
  fc.nat({ max: 100_000 }).map(String),
  text(8),
);

export const targetPath: Arbitrary<string> = fc.oneof(
  { weight: 12, arbitrary: fc.constant('/var/lib/kubelet/pods/uid/volumes/kubernetes.io~csi/secrets/mount') },
  { weight: 2, arbitrary: fc.tuple(fc.constantFrom('/', '', 'relative/', '//', '/..'), text(20)).map(([p, s]) => p + s) },
  { weight: 1, arbitrary: fc.constantFrom('/a\0b', '/', '') },
);

const goBool = fc.oneof(fc.constantFrom('true', 'false', '1', '0', 't', 'F', 'TRUE', 'False', 'yes', 'on', ' true', ''), text(6));

/** Attribute keys the driver and the SecretProviderClass set, and their values. */
function structuredAttributes(): Arbitrary<Record<string, string>> {
  const regionPair = fc.constantFrom('us-east-1', 'eu-central-1', 'us-west-2');
  const fields: [string, Arbitrary<string>, number][] = [
    ['csi.storage.k8s.io/pod.name', fc.oneof(fc.constant('web-1'), text(12)), 0.9],
    ['csi.storage.k8s.io/pod.namespace', fc.oneof(fc.constant('shop'), text(12)), 0.9],
    ['csi.storage.k8s.io/pod.uid', fc.oneof(fc.uuid(), text(12)), 0.9],
    ['csi.storage.k8s.io/serviceAccount.name', fc.oneof(fc.constant('web'), text(12)), 0.9],
    ['csi.storage.k8s.io/serviceAccount.tokens', tokensJson, 0.95],
    ['region', fc.oneof(regionPair, region), 0.6],
    ['failoverRegion', fc.oneof(regionPair, region), 0.3],
    ['pathTranslation', fc.oneof(translation.map((t) => (t === false ? 'False' : t)), fc.constantFrom('false', 'FALSE', 'fAlSe', '', '😀😀', 'ab', '\0')), 0.3],
    ['usePodIdentity', goBool, 0.4],
    ['preferredAddressType', fc.oneof(fc.constantFrom('ipv4', 'IPv6', 'auto', 'ipv5', ''), text(6)), 0.2],
    ['objects', objectsText(regionPair, regionPair), 0.9],
    ['secrets', fc.constantFrom('{"a":"b"}', ''), 0.1],
  ];
  const pairs = fields.map(([name, value, presence]) => {
    const freq = Math.round(presence * 10);
    return fc.oneof(
      { weight: freq, arbitrary: value.map((v) => [name, v] as const) },
      { weight: 10 - freq, arbitrary: fc.constant(undefined) },
    );
  });
  return fc
    .tuple(fc.tuple(...pairs), fc.dictionary(text(10), text(10), { maxKeys: 2 }))
    .map(([known, extra]) => {
      const out: Record<string, string> = { ...extra };
      for (const pair of known) if (pair) out[pair[0]] = pair[1];
      return out;
    });
}

export const attributesObject = structuredAttributes();

/** The attributes JSON text: structured, edited, or arbitrary JSON and text. */
export const attributesJson: Arbitrary<string> = fc.oneof(
  { weight: 10, arbitrary: attributesObject.map((a) => JSON.stringify(a)) },
  { weight: 2, arbitrary: mutated(attributesObject.map((a) => JSON.stringify(a)), fc.oneof(specialChar, fc.constantFrom('"', '\\', ',', '}', '{', ':', '1'))) },
  { weight: 1, arbitrary: fc.json({ maxDepth: 3 }) },
  { weight: 1, arbitrary: fc.oneof(text(20), fc.constantFrom('null', '[]', '"x"', '{"a":1}', '{"a":null}', '{"__proto__":"x"}', '['.repeat(100_000))) },
);
