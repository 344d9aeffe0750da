// `objects` parameters: object lists built as data and written with the yaml
// library in random styles (then sometimes edited), and raw adversarial YAML.
import fc, { type Arbitrary } from 'fast-check';
import { stringify, type ToStringOptions } from 'yaml';
import { longRun, mutated, nameLike, region, specialChar, text } from './text.js';
import { jmesPathExpression } from './jmespath.js';

/** The region pair a target plans with; ARNs below are drawn in these regions most of the time. */
export const regions = fc.record({
  primary: fc.constantFrom('us-east-1', 'eu-central-1'),
  failover: fc.option(fc.constantFrom('us-west-2', 'us-east-1'), { nil: undefined }),
});

export const translation: Arbitrary<string | false> = fc.oneof(
  fc.constantFrom<string | false>('_', '.', '-', '/', ' ', '\\', 'é', '😀', ':', false),
  fc.string({ unit: 'binary', minLength: 1, maxLength: 1 }),
);

export const fileMode: Arbitrary<string> = fc.oneof(
  fc.constantFrom('0600', '0644', '0400', '0777', '0000', '1777', '4755', '7777', '600', '00600', '0o600', '08', 'abcd', '0644 ', '０６４４', ''),
  fc.stringMatching(/^[0-7]{3,5}$/),
);

const objectType = fc.oneof(
  { weight: 6, arbitrary: fc.constantFrom('secretsmanager', 'ssmparameter') },
  { weight: 1, arbitrary: fc.constantFrom('SecretsManager', 'ssm', 'secretsmanager ', '') },
  { weight: 1, arbitrary: text(12) },
);

function arn(regionArb: Arbitrary<string>): Arbitrary<string> {
  return fc
    .record({
      partition: fc.constantFrom('aws', 'aws-cn', 'aws-us-gov', ''),
      service: fc.constantFrom('secretsmanager', 'ssm', 'ssm', 'secretsmanager', 's3', '', 'SSM'),
      region: fc.oneof({ weight: 4, arbitrary: regionArb }, { weight: 1, arbitrary: region }, { weight: 1, arbitrary: fc.constant('') }),
      account: fc.constantFrom('123456789012', '000000000000', '', '12345', 'abcdefghijkl'),
      resource: fc.oneof(
        fc.tuple(fc.constantFrom('secret:', 'parameter/', 'parameter', 'secret:a:b:', ''), nameLike).map(([kind, name]) => kind + name),
        nameLike,
      ),
    })
    .map((a) => `arn:${a.partition}:${a.service}:${a.region}:${a.account}:${a.resource}`);
}

function objectName(regionArb: Arbitrary<string>): Arbitrary<string> {
  return fc.oneof(
    { weight: 4, arbitrary: fc.stringMatching(/^[A-Za-z0-9_/+=.@-]{1,30}$/) },
    { weight: 3, arbitrary: arn(regionArb) },
    { weight: 3, arbitrary: nameLike },
  );
}

/** Values that are not strings in YAML: lists, maps, nulls, numbers. */
const nonString: Arbitrary<unknown> = fc.oneof(
  fc.constant(null),
  fc.integer(),
  fc.boolean(),
  fc.array(text(6), { maxLength: 3 }),
  fc.dictionary(text(6), text(6), { maxKeys: 2 }),
);

/** Mostly the field's own kind of value, sometimes anything. */
function field<T>(usual: Arbitrary<T>): Arbitrary<unknown> {
  return fc.oneof({ weight: 8, arbitrary: usual }, { weight: 1, arbitrary: nonString }, { weight: 1, arbitrary: text(8) });
}

/** Field names as the Go provider accepts them: any case. */
function key(name: string): Arbitrary<string> {
  return fc.oneof({ weight: 6, arbitrary: fc.constant(name) }, { weight: 1, arbitrary: fc.mixedCase(fc.constant(name)) });
}

type Entry = Record<string, unknown>;

/** Builds a mapping from optional [key, value] pairs, dropping absent ones. */
function mapping(fields: Arbitrary<[string, unknown] | undefined>[]): Arbitrary<Entry> {
  return fc.tuple(...fields).map((pairs) => {
    const out: Entry = {};
    for (const pair of pairs) if (pair) out[pair[0]] = pair[1];
    return out;
  });
}

function optionalField(name: string, value: Arbitrary<unknown>, presence = 0.5): Arbitrary<[string, unknown] | undefined> {
  const present = fc.tuple(key(name), value);
  const freq = Math.round(presence * 10);
  return fc.oneof({ weight: freq, arbitrary: present }, { weight: 10 - freq, arbitrary: fc.constant(undefined) });
}

const jmesPathEntry: Arbitrary<Entry> = mapping([
  optionalField('path', field(jmesPathExpression), 0.9),
  optionalField('objectAlias', field(nameLike), 0.9),
  optionalField('filePermission', field(fileMode), 0.2),
]);

function failoverObject(failoverRegion: Arbitrary<string>): Arbitrary<unknown> {
  const entry = mapping([
    optionalField('objectName', field(objectName(failoverRegion)), 0.9),
    optionalField('objectVersion', field(fc.constantFrom('v1', 'AWSCURRENT', '1', '2')), 0.3),
    optionalField('objectVersionLabel', field(fc.constantFrom('AWSCURRENT', 'AWSPREVIOUS', 'label')), 0.2),
  ]);
  return fc.oneof(
    { weight: 4, arbitrary: entry },
    { weight: 2, arbitrary: entry.map((e) => [e]) },
    { weight: 1, arbitrary: fc.array(entry, { maxLength: 3 }) },
    { weight: 1, arbitrary: nonString },
  );
}

/** One item of `objects`: every field optional, values mostly of the right kind. */
export function objectEntry(primaryRegion: Arbitrary<string>, failoverRegion: Arbitrary<string>): Arbitrary<Entry> {
  return mapping([
    optionalField('objectName', field(objectName(primaryRegion)), 0.95),
    optionalField('objectType', field(objectType), 0.8),
    optionalField('objectAlias', field(nameLike), 0.5),
    optionalField('objectVersion', field(fc.constantFrom('v1', 'AWSCURRENT', '1', '2', 'EXAMPLE1-90ab-cdef-fedc-ba987EXAMPLE')), 0.2),
    optionalField('objectVersionLabel', field(fc.constantFrom('AWSCURRENT', 'AWSPREVIOUS', 'label', '1')), 0.2),
    optionalField('filePermission', field(fileMode), 0.3),
    optionalField('jmesPath', field(fc.array(jmesPathEntry, { maxLength: 4 })), 0.3),
    optionalField('failoverObject', failoverObject(failoverRegion), 0.2),
    optionalField('extra', nonString, 0.1),
  ]);
}

const yamlStyle: Arbitrary<ToStringOptions> = fc.record({
  defaultStringType: fc.constantFrom('PLAIN', 'QUOTE_DOUBLE', 'QUOTE_SINGLE', 'BLOCK_LITERAL', 'BLOCK_FOLDED'),
  collectionStyle: fc.constantFrom('any', 'block', 'flow'),
  indent: fc.integer({ min: 1, max: 8 }),
  indentSeq: fc.boolean(),
  lineWidth: fc.constantFrom(0, 20, 80),
});

/** A list of object entries written as YAML: the shape a SecretProviderClass has, with random values. */
export function objectListYaml(primaryRegion: Arbitrary<string>, failoverRegion: Arbitrary<string>): Arbitrary<string> {
  const entry = objectEntry(primaryRegion, failoverRegion);
  const list = fc.oneof(
    { weight: 8, arbitrary: fc.array(entry, { maxLength: 6 }) },
    // Same names in several entries: the uniqueness and collision rules.
    { weight: 2, arbitrary: fc.tuple(entry, fc.array(fc.tuple(entry, fc.constantFrom('objectName', 'objectAlias')), { maxLength: 4 }))
      .map(([head, rest]) => [head, ...rest.map(([e, k]) => ({ ...e, [k]: head.objectName }))]) },
    { weight: 1, arbitrary: nonString },
  );
  return fc.tuple(list, yamlStyle).map(([value, style]) => stringify(value, style));
}

// ---- raw adversarial YAML ----

const yamlPiece = fc.constantFrom(
  '[', ']', '{', '}', '- ', '-', '? ', ': ', ':', ',', ' ', '  ', '\n', '\n  ', '\n- ', '\t', '&a ', '&b ', '*a', '*b',
  '!!str ', '!!map ', '!!seq ', '!!binary ', '!t ', '!<tag:x> ', '|', '|-', '>', '>+', '"', "'", '#', '---\n', '...\n',
  '%YAML 1.2\n', '%TAG ! tag:x,2000:\n', '<<: ', '<<: *a', 'objectName: ', 'objectType: secretsmanager', 'jmesPath:',
  'failoverObject:', 'path: a', 'objectAlias: b', 'a', 'x: y', '\\', '\r\n', '\ufeff', '\u2028', '\u0085', '@', '`', '%', '\0',
);

/** Openers whose nesting recurses in a YAML composer, with their closers. */
const nester = fc.constantFrom(
  { open: '[', close: ']' }, { open: '{', close: '}' }, { open: '- ', close: '' }, { open: '? ', close: '' },
  { open: '[ ', close: ' ]' }, { open: '{a: ', close: '}' }, { open: '- - ', close: '' }, { open: '? - ', close: '' },
  { open: '[{', close: '}]' }, { open: '- [', close: ']' }, { open: '&x [', close: ']' }, { open: '!!seq [', close: ']' },
  { open: '{? ', close: '}' }, { open: '[a, ', close: ']' }, { open: '- a: ', close: '' }, { open: '"', close: '"' },
);

const depth = fc.oneof(
  fc.integer({ min: 0, max: 40 }),
  fc.integer({ min: 0, max: 6000 }),
  fc.constantFrom(15, 16, 17, 32, 64, 100, 500, 784, 1000, 2000, 3000, 10000, 50000),
);

const pieces = fc.array(yamlPiece, { maxLength: 8 }).map((p) => p.join(''));

/** Deep flow or compact nesting: '['x1000 + ']'x1000, '- 'x3000 and their mixtures. */
const deepNesting = fc
  .record({ before: pieces, nest: nester, depth, middle: pieces, closeAll: fc.boolean(), after: pieces })
  .map(({ before, nest, depth: n, middle, closeAll, after }) =>
    before + nest.open.repeat(n) + middle + (closeAll ? nest.close.repeat(n) : '') + after);

/** Block nesting by indentation; the text grows with the square of the depth, so depth stays below ~500. */
const deepIndentation = fc
  .record({ depth: fc.integer({ min: 0, max: 500 }), line: fc.constantFrom('a:', '- ', '- a:', '? ', '-'), step: fc.constantFrom(1, 2) })
  .map(({ depth: n, line, step }) => Array.from({ length: n }, (_, i) => ' '.repeat(i * step) + line).join('\n'));

/** Anchors that expand exponentially when read ("billion laughs"). */
const aliasExpansion = fc
  .record({ levels: fc.integer({ min: 1, max: 12 }), width: fc.integer({ min: 1, max: 12 }), asMap: fc.boolean() })
  .map(({ levels, width, asMap }) => {
    const lines = ['- &a0 [x, x]'];
    for (let l = 1; l <= levels; l++) {
      const items = Array.from({ length: width }, () => `*a${l - 1}`).join(', ');
      lines.push(asMap ? `- &a${l} {objectName: [${items}]}` : `- &a${l} [${items}]`);
    }
    return lines.join('\n');
  });

/** One very long scalar or very many entries, up to and past the 256 KiB bound. */
const huge = fc.oneof(
  fc.integer({ min: 0, max: 270_000 }).map((n) => `- objectName: ${'a'.repeat(n)}\n  objectType: secretsmanager\n`),
  fc.integer({ min: 0, max: 270_000 }).map((n) => `- objectName: "${'\\u00e9'.repeat(Math.floor(n / 6))}"\n  objectType: secretsmanager\n`),
  fc.integer({ min: 990, max: 1010 }).map((n) =>
    Array.from({ length: n }, (_, i) => `- {objectName: o${i}, objectType: ssmparameter}`).join('\n')),
  fc.integer({ min: 0, max: 30_000 }).map((n) => `- objectName: a\n  objectType: secretsmanager\n  jmesPath:\n${'    - {path: a, objectAlias: b}\n'.repeat(n)}`),
  fc.tuple(fc.constantFrom('#', ' ', '\n', '- ', '&a ', '!t '), fc.integer({ min: 0, max: 270_000 })).map(([unit, n]) => unit.repeat(Math.floor(n / unit.length))),
);

/** Many parse errors on one line made long by a comment: work per error that grows with the line is quadratic. */
const longErrorLine = fc
  .record({
    unit: fc.constantFrom('}', ']', '!!seq [', '*a [', ',', '- ]'),
    count: fc.integer({ min: 0, max: 24_000 }),
    tail: fc.integer({ min: 0, max: 240_000 }),
  })
  .map(({ unit, count, tail }) => `x: ${unit.repeat(Math.min(count, Math.floor(20_000 / unit.length)))} #${'a'.repeat(tail)}`);

// The long error line is kept rare: each one that is slow costs the per-input time limit and a new executor.
export const adversarialYaml: Arbitrary<string> = fc.oneof(
  { weight: 1, arbitrary: longErrorLine },
  { weight: 30, arbitrary: deepNesting },
  { weight: 10, arbitrary: deepIndentation },
  { weight: 10, arbitrary: aliasExpansion },
  { weight: 10, arbitrary: huge },
  { weight: 30, arbitrary: fc.array(fc.oneof(yamlPiece, specialChar, text(6)), { maxLength: 40 }).map((p) => p.join('')) },
  { weight: 10, arbitrary: fc.array(fc.oneof(deepNesting, aliasExpansion, pieces, longRun), { maxLength: 4 }).map((p) => p.join('\n')) },
);

/** Any `objects` text: structured lists, edited lists, adversarial YAML. */
export function objectsText(primaryRegion: Arbitrary<string>, failoverRegion: Arbitrary<string>): Arbitrary<string> {
  const structured = objectListYaml(primaryRegion, failoverRegion);
  return fc.oneof(
    { weight: 5, arbitrary: structured },
    { weight: 2, arbitrary: mutated(structured, fc.oneof(yamlPiece, specialChar, text(8))) },
    { weight: 3, arbitrary: adversarialYaml },
  );
}
