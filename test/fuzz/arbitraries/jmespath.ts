// JMESPath expressions (generated from the grammar, adversarial, raw) and the
// JSON documents they read (random, deep, big, not JSON).
import fc, { type Arbitrary } from 'fast-check';
import { mutated, specialChar, text } from './text.js';

const identifier = fc.oneof(
  { weight: 4, arbitrary: fc.constantFrom('a', 'b', 'c', 'foo', 'bar', 'username', 'password', 'list', 'nested', 'x') },
  { weight: 1, arbitrary: fc.constantFrom('constructor', '__proto__', 'toString', 'hasOwnProperty', 'length', 'valueOf') },
  { weight: 2, arbitrary: fc.stringMatching(/^[A-Za-z_][A-Za-z0-9_]{0,8}$/) },
);

/** JSON object keys the documents use: the identifiers above, and anything. */
export const documentKey = fc.oneof({ weight: 4, arbitrary: identifier }, { weight: 1, arbitrary: text(8) });

const quotedIdentifier = text(10).map((s) => JSON.stringify(s));
const rawString = text(10).map((s) => `'${s.replace(/['\\]/g, (c) => `\\${c}`)}'`);
const literal = fc.jsonValue({ maxDepth: 2 }).map((v) => `\`${JSON.stringify(v).replace(/`/g, '\\`')}\``);
const index = fc.oneof(fc.integer({ min: -3, max: 3 }), fc.integer({ min: -(2 ** 31), max: 2 ** 31 }));
const sliceBound = fc.option(index, { nil: undefined }).map((i) => (i === undefined ? '' : String(i)));
const slice = fc.tuple(sliceBound, sliceBound, fc.option(sliceBound, { nil: undefined }))
  .map(([a, b, c]) => (c === undefined ? `${a}:${b}` : `${a}:${b}:${c}`));
const comparator = fc.constantFrom('==', '!=', '<', '<=', '>', '>=');
const functionName = fc.constantFrom(
  'abs', 'avg', 'ceil', 'contains', 'ends_with', 'floor', 'join', 'keys', 'length', 'map', 'max', 'max_by', 'merge', 'min',
  'min_by', 'not_null', 'reverse', 'sort', 'sort_by', 'starts_with', 'sum', 'to_array', 'to_number', 'to_string', 'type',
  'values', 'unknown_fn',
);

/** Expressions from the JMESPath grammar, a few levels deep. */
export const grammarExpression: Arbitrary<string> = fc.letrec<{ expr: string }>((tie) => ({
  expr: fc.oneof(
    { depthSize: 'small', maxDepth: 5, withCrossShrink: true },
    identifier, quotedIdentifier, fc.constant('@'), fc.constant('*'), literal, rawString,
    fc.tuple(tie('expr'), identifier).map(([a, b]) => `${a}.${b}`),
    fc.tuple(tie('expr'), index).map(([a, i]) => `${a}[${i}]`),
    tie('expr').map((a) => `${a}[*]`),
    tie('expr').map((a) => `${a}[]`),
    tie('expr').map((a) => `${a}.*`),
    fc.tuple(tie('expr'), slice).map(([a, s]) => `${a}[${s}]`),
    fc.tuple(tie('expr'), tie('expr'), comparator, tie('expr')).map(([a, l, op, r]) => `${a}[?${l} ${op} ${r}]`),
    fc.tuple(tie('expr'), fc.constantFrom('||', '&&', '|', '==', '!=', '<', '>'), tie('expr')).map(([a, op, b]) => `${a} ${op} ${b}`),
    tie('expr').map((a) => `!${a}`),
    tie('expr').map((a) => `(${a})`),
    fc.array(fc.tuple(identifier, tie('expr')), { minLength: 1, maxLength: 3 }).map((kv) => `{${kv.map(([k, v]) => `${k}: ${v}`).join(', ')}}`),
    fc.array(tie('expr'), { minLength: 1, maxLength: 3 }).map((items) => `[${items.join(', ')}]`),
    fc.tuple(functionName, fc.array(fc.oneof(tie('expr'), tie('expr').map((e) => `&${e}`)), { maxLength: 3 }))
      .map(([f, args]) => `${f}(${args.join(', ')})`),
  ),
})).expr;

/** Nesting and chains that make a recursive compiler or interpreter go deep, within and past the 1 KiB bound. */
export const adversarialExpression: Arbitrary<string> = fc
  .record({
    // A literal or raw string full of closers makes a naive bracket counter under-count the nesting that follows.
    decoy: fc.constantFrom('', '`"]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]"`.', "']]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]'.", '`")))))))))))))))))))))))))))))))))"` || '),
    unit: fc.constantFrom(
      { open: '!', close: '' }, { open: '&', close: '' }, { open: '(', close: ')' }, { open: '[', close: ']' }, { open: '{a:', close: '}' },
      { open: 'a.', close: '' }, { open: 'a|', close: '' }, { open: 'a||', close: '' }, { open: '[?', close: ']' }, { open: 'not_null(', close: ')' },
      { open: '[*].', close: '' }, { open: 'a[0]', close: '' }, { open: '!(', close: ')' }, { open: '[a,', close: ']' }, { open: 'length(&', close: ')' },
    ),
    depth: fc.oneof(fc.integer({ min: 0, max: 40 }), fc.integer({ min: 0, max: 1100 }), fc.constantFrom(31, 32, 33, 64, 128, 340, 512, 1000)),
    core: fc.constantFrom('a', '@', '`1`', "'x'", 'b[0]'),
  })
  .map(({ decoy, unit, depth, core }) => decoy + unit.open.repeat(depth) + core + unit.close.repeat(depth));

export const jmesPathExpression: Arbitrary<string> = fc.oneof(
  { weight: 6, arbitrary: grammarExpression },
  { weight: 2, arbitrary: adversarialExpression },
  { weight: 1, arbitrary: mutated(grammarExpression, fc.oneof(specialChar, fc.constantFrom('[', ']', '(', ')', '`', "'", '"', '|', '&', '.'))) },
  { weight: 1, arbitrary: text(20) },
);

/** A marker put into every string of a document: error messages must never contain it. */
export const SECRET_MARKER = 'SEKRET-7f3a9c';

const secretString = fc.oneof(
  fc.constant(SECRET_MARKER),
  text(12).map((s) => `${s}${SECRET_MARKER}`),
  fc.constantFrom('', '0', 'true', 'null'),
);

/** Random JSON documents whose keys the generated expressions name. */
const documentValue: Arbitrary<unknown> = fc.letrec<{ value: unknown }>((tie) => ({
  value: fc.oneof(
    { depthSize: 'small', maxDepth: 6, withCrossShrink: true },
    secretString,
    fc.double(),
    fc.integer(),
    fc.boolean(),
    fc.constant(null),
    fc.array(tie('value'), { maxLength: 5 }),
    fc.dictionary(documentKey, tie('value'), { maxKeys: 5 }),
  ),
})).value;

/** Expressions that reach into `doc`: a random walk of quoted keys and indexes, sometimes wrapped in a function. */
function pathInto(doc: unknown): Arbitrary<string> {
  const paths: string[] = [];
  const walk = (value: unknown, path: string, depth: number) => {
    if (paths.length >= 64 || depth > 8) return;
    if (path) paths.push(path);
    if (Array.isArray(value)) value.slice(0, 4).forEach((v, i) => walk(v, `${path}[${i}]`, depth + 1));
    else if (value !== null && typeof value === 'object') {
      for (const [k, v] of Object.entries(value).slice(0, 4)) walk(v, `${path ? `${path}.` : ''}${JSON.stringify(k)}`, depth + 1);
    }
  };
  walk(doc, '', 0);
  if (paths.length === 0) return fc.constant('@');
  return fc.tuple(fc.constantFrom(...paths), fc.constantFrom('', 'to_string', 'type', 'join', 'keys')).map(([path, fn]) => {
    if (fn === '') return path;
    if (fn === 'join') return `join(',', ${path}[*].to_string(@))`;
    return `${fn}(${path})`;
  });
}

/** A document with expressions that select into it, so extraction succeeds as well as fails. */
export const documentWithPaths: Arbitrary<{ document: string; paths: string[] }> = documentValue.chain((doc) =>
  fc.record({
    document: fc.constant(JSON.stringify(doc) ?? 'null'),
    paths: fc.array(fc.oneof({ weight: 4, arbitrary: pathInto(doc) }, { weight: 1, arbitrary: grammarExpression }), { minLength: 1, maxLength: 4 }),
  }));

/** Nesting around the 128-level bound the provider reads, up to 100,000 levels. */
const deepDocument = fc
  .record({
    depth: fc.oneof(fc.integer({ min: 0, max: 300 }), fc.constantFrom(127, 128, 129, 1000, 10_000, 100_000)),
    wrap: fc.constantFrom('array', 'object', 'mixed'),
    core: documentValue,
  })
  .map(({ depth, wrap, core }) => {
    let textValue = JSON.stringify(core) ?? 'null';
    const opens: string[] = [];
    const closes: string[] = [];
    for (let i = 0; i < depth; i++) {
      const asArray = wrap === 'array' || (wrap === 'mixed' && i % 2 === 0);
      opens.push(asArray ? '[' : '{"a":');
      closes.push(asArray ? ']' : '}');
    }
    textValue = opens.join('') + textValue + closes.reverse().join('');
    return textValue;
  });

/** Big arrays and objects (a Secrets Manager value is at most 64 KiB; these go past it). */
const bigDocument = fc
  .record({ count: fc.integer({ min: 0, max: 20_000 }), item: documentValue, asObject: fc.boolean() })
  .map(({ count, item, asObject }) => {
    const itemText = JSON.stringify(item) ?? 'null';
    if (!asObject) return `[${Array.from({ length: count }, () => itemText).join(',')}]`;
    return `{${Array.from({ length: count }, (_, i) => `"k${i}":${itemText}`).join(',')},"a":${itemText}}`;
  });

/** The fetched value's text: JSON of every shape, and text that is not JSON. */
export const documentText: Arbitrary<string> = fc.oneof(
  { weight: 6, arbitrary: documentValue.map((v) => JSON.stringify(v) ?? 'null') },
  { weight: 2, arbitrary: deepDocument },
  { weight: 1, arbitrary: bigDocument },
  { weight: 1, arbitrary: mutated(documentValue.map((v) => JSON.stringify(v) ?? 'null'), fc.constantFrom('"', '\\', '[', ']', '{', '}', ',', ':', '\\u', '\ud800')) },
  { weight: 1, arbitrary: fc.oneof(text(30), fc.constantFrom('{"__proto__": {"a": "x"}}', '{"a": 1e999}', '{"a": "x", "a": "y"}', '"\\ud800"', '[' + '"a",'.repeat(10) + ']')) },
);
