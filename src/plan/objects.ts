// The `objects` parameter: YAML -> validated object plans. Pure functions, no
// I/O, no state: parseObjects for a mount (the first problem throws, in the Go
// provider's order) and findObjectProblems / findUnknownObjectFields for the
// validate subcommand (every problem). Every rule of the Go provider
// (docs/parity.md) plus our stricter file-name checks runs here, before any
// credential or AWS call. The memo of parsed plans is src/plan/objects-memo.ts.
import jmespath from 'jmespath';
import { Lexer, LineCounter, Parser, parseDocument, visit } from 'yaml';
import { parseGoBool } from '../config.js';
import { ObjectSpecError } from '../errors.js';
import { editDistance } from '../util/edit-distance.js';
import {
  MAX_JMESPATH_EXPRESSION_BYTES, MAX_JMESPATH_NESTING, MAX_MOUNT_FILES, MAX_OBJECTS, MAX_OBJECTS_YAML_BYTES, MAX_OBJECTS_YAML_NESTING, MAX_OBJECTS_YAML_TOKENS,
} from '../limits.js';

export type ObjectType = 'secretsmanager' | 'ssmparameter';

/** How a value is decoded before it is written; `utf-8` (as is) is the default and is not recorded. */
export type ObjectEncoding = 'base64' | 'hex';
const OBJECT_ENCODINGS = ['utf-8', 'base64', 'hex'];

export interface JmesPathPlan {
  path: string;
  objectAlias: string;
  fileName: string;
  mode: number;
  objectEncoding?: ObjectEncoding;
}

/**
 * How a name known only when the value arrives (a JSON key, a parameter's name below its path)
 * becomes a file name: `/` replaced by `translation`, or kept when it is undefined.
 */
export interface DynamicNames {
  translation: string | undefined;
}

export interface FailoverObjectPlan {
  objectName: string;
  objectVersion?: string;
  objectVersionLabel?: string;
}

export interface ObjectPlan {
  /** Position in the `objects` list, for error messages. */
  index: number;
  objectName: string;
  objectType: ObjectType;
  objectAlias?: string;
  objectVersion?: string;
  objectVersionLabel?: string;
  /** Path of the mounted file relative to the target directory; '' with parametersByPath (no file of its own). */
  fileName: string;
  mode: number;
  jmesPath: JmesPathPlan[];
  failoverObject?: FailoverObjectPlan;
  /** Decoding of the value (before jmesPath and allKeys read it). */
  objectEncoding?: ObjectEncoding;
  /** Every top-level key of the JSON value is also a file. */
  allKeys?: DynamicNames;
  /** objectName is an SSM path: every parameter below it is a file. */
  parametersByPath?: DynamicNames & { recursive: boolean };
}

export interface ObjectsContext {
  primaryRegion: string;
  failoverRegion?: string;
  /** Replacement for '/', or undefined when translation is off. */
  translation: string | undefined;
  /** The request's default file mode. */
  defaultMode: number;
}

export { MAX_OBJECTS_YAML_BYTES };
const MAX_NAME_BYTES = 255;
const MAX_PATH_BYTES = 4096;

const ARN_SERVICE_TYPES: Record<string, ObjectType> = {
  secretsmanager: 'secretsmanager',
  ssm: 'ssmparameter',
};
const OBJECT_TYPES = new Set<string>(['secretsmanager', 'ssmparameter']);

type Raw = Record<string, unknown>;

/** Parses and validates `objects`; returns [] for an empty or absent value. Throws the first problem. */
export function parseObjects(text: string | undefined, ctx: ObjectsContext): ObjectPlan[] {
  const entries = parseYamlList(text ?? '');
  checkFileCount(entries);
  const plans = entries.map((raw, index) => planObject(raw, index, ctx)!);
  checkUniqueness(plans, (problem) => {
    throw problem;
  });
  return plans;
}

/** Every problem in `objects`, for the linter: every field of every object, plus duplicates. */
export function findObjectProblems(text: string | undefined, ctx: ObjectsContext, lineOffset = 0): ObjectSpecError[] {
  const problems: ObjectSpecError[] = [];
  let entries: unknown[];
  try {
    entries = parseYamlList(text ?? '', lineOffset);
    checkFileCount(entries);
  } catch (err) {
    if (!(err instanceof ObjectSpecError)) throw err;
    return [err];
  }
  const plans: ObjectPlan[] = [];
  entries.forEach((raw, index) => {
    try {
      const plan = planObject(raw, index, ctx, (problem) => problems.push(problem));
      if (plan) plans.push(plan);
    } catch (err) {
      if (!(err instanceof ObjectSpecError)) throw err;
      problems.push(err);
    }
  });
  checkUniqueness(plans, (problem) => problems.push(problem));
  return problems.sort((a, b) => (a.index ?? -1) - (b.index ?? -1));
}

const KNOWN_OBJECT_FIELDS = [
  'objectName', 'objectType', 'objectAlias', 'objectVersion', 'objectVersionLabel', 'filePermission', 'jmesPath', 'failoverObject',
  'objectEncoding', 'allKeys', 'parametersByPath', 'recursive',
];
const KNOWN_JMESPATH_FIELDS = ['path', 'objectAlias', 'filePermission', 'objectEncoding'];
const KNOWN_FAILOVER_FIELDS = ['objectName', 'objectVersion', 'objectVersionLabel'];

/**
 * Keys the provider does not read (a typo such as `objectAlais` silently names the file
 * after the object). Field names match case-insensitively, as they do when mounting.
 */
export function findUnknownObjectFields(text: string | undefined): ObjectSpecError[] {
  let entries: unknown[];
  try {
    entries = parseYamlList(text ?? '');
  } catch {
    return []; // reported by findObjectProblems
  }
  const out: ObjectSpecError[] = [];
  const isMap = (v: unknown): v is Raw => v !== null && typeof v === 'object' && !Array.isArray(v);
  const unknown = (raw: Raw, known: string[], index: number, prefix: string) => {
    for (const key of Object.keys(raw)) {
      if (!known.some((k) => k.toLowerCase() === key.toLowerCase())) {
        const hint = closest(key, known);
        out.push(new ObjectSpecError(index, `${prefix}${key}`, `is not a field the provider reads${hint ? ` (did you mean ${prefix}${hint}?)` : ''}`));
      }
    }
  };
  entries.forEach((entry, index) => {
    if (!isMap(entry)) return;
    unknown(entry, KNOWN_OBJECT_FIELDS, index, '');
    const jmes = lookup(entry, 'jmesPath');
    if (Array.isArray(jmes)) jmes.forEach((j, i) => isMap(j) && unknown(j, KNOWN_JMESPATH_FIELDS, index, `jmesPath[${i}].`));
    let failover = lookup(entry, 'failoverObject');
    if (Array.isArray(failover) && failover.length === 1) failover = failover[0];
    if (isMap(failover)) unknown(failover, KNOWN_FAILOVER_FIELDS, index, 'failoverObject.');
  });
  return out;
}

/** The known name within two edits of `key`, for a "did you mean". */
function closest(key: string, known: readonly string[]): string | undefined {
  let best: string | undefined;
  let bestDistance = 3;
  for (const k of known) {
    const d = editDistance(key.toLowerCase(), k.toLowerCase());
    if (d < bestDistance) [best, bestDistance] = [k, d];
  }
  return best;
}

/** `lineOffset`: lines before the text in its file, so YAML positions are file lines (the linter). */
function parseYamlList(text: string, lineOffset = 0): unknown[] {
  if (Buffer.byteLength(text) > MAX_OBJECTS_YAML_BYTES) {
    throw new ObjectSpecError(undefined, 'objects', `is larger than ${MAX_OBJECTS_YAML_BYTES} bytes`);
  }
  if (text.trim() === '') return [];
  checkYamlNesting(text);
  // The failsafe schema keeps every scalar as the string that was written:
  // `filePermission: 0600` stays "0600", `objectVersion: 2` is "2", `yes` is "yes".
  // Not prettyErrors: it rescans the error's whole line for every error (quadratic: a 200 KiB line of
  // errors took 39 s). Only the first error is reported, positioned with a LineCounter.
  const lines = new LineCounter();
  const doc = parseDocument(text, { schema: 'failsafe', uniqueKeys: false, prettyErrors: false, lineCounter: lines });
  if (doc.errors.length > 0) {
    const first = doc.errors[0]!;
    const pos = lines.linePos(first.pos[0]);
    const where = ` at line ${pos.line + lineOffset}, column ${pos.col}`;
    const reason = first.message.split('\n')[0]!;
    throw new ObjectSpecError(undefined, 'objects', `is not valid YAML${where}: ${reason}`);
  }
  // YAML nulls (`key:`, `~`, `null`) mean "not set", as they do for the Go provider.
  visit(doc, {
    Scalar(_key, node) {
      if (node.type === 'PLAIN' && /^(~|null|Null|NULL|)$/.test(String(node.value))) node.value = '';
    },
  });
  let value: unknown;
  try {
    value = doc.toJS({ maxAliasCount: 100 });
  } catch (err) {
    throw new ObjectSpecError(undefined, 'objects', `cannot be read: ${(err as Error).message}`);
  }
  if (value === '' || value === null || value === undefined) return [];
  if (!Array.isArray(value)) {
    throw new ObjectSpecError(undefined, 'objects', 'must be a YAML list of objects (each item starting with "- objectName: ...")');
  }
  if (value.length > MAX_OBJECTS) {
    throw new ObjectSpecError(undefined, 'objects', `lists ${value.length} objects; at most ${MAX_OBJECTS} are allowed`);
  }
  return value;
}

/**
 * Rejects deep nesting and excessive size before the YAML is composed: composing recurses, and past the
 * stack limit V8 can abort the whole process on its next regular expression. The
 * library's own lexer and CST parser are iterative; their stack depth is the nesting.
 */
function checkYamlNesting(text: string): void {
  const parser = new Parser();
  let tokens = 0;
  for (const lexeme of new Lexer().lex(text)) {
    if (++tokens > MAX_OBJECTS_YAML_TOKENS) {
      throw new ObjectSpecError(undefined, 'objects', `has more than ${MAX_OBJECTS_YAML_TOKENS} YAML tokens, more than any list of ${MAX_OBJECTS} objects needs`);
    }
    for (const _token of parser.next(lexeme));
    if (parser.stack.length > MAX_OBJECTS_YAML_NESTING) {
      throw new ObjectSpecError(undefined, 'objects', `nests more than ${MAX_OBJECTS_YAML_NESTING} levels deep; a list of objects needs at most 6`);
    }
  }
}

/** Objects plus jmesPath entries, each a file: counted before any entry is planned or compiled. */
function checkFileCount(entries: readonly unknown[]): void {
  let files = entries.length;
  for (const entry of entries) {
    const jmesPath = entry && typeof entry === 'object' && !Array.isArray(entry) ? lookup(entry as Raw, 'jmesPath') : undefined;
    if (Array.isArray(jmesPath)) files += jmesPath.length;
  }
  if (files > MAX_MOUNT_FILES) {
    throw new ObjectSpecError(undefined, 'objects', `would mount ${files} files (objects and jmesPath entries); at most ${MAX_MOUNT_FILES} files per mount are allowed`);
  }
}

/** Bounds what the JMESPath compiler (which recurses) is given. */
function jmesPathBoundProblem(path: string): string | undefined {
  if (Buffer.byteLength(path) > MAX_JMESPATH_EXPRESSION_BYTES) return `is longer than ${MAX_JMESPATH_EXPRESSION_BYTES} bytes`;
  let depth = 0;
  for (const c of path) {
    if (c === '[' || c === '(' || c === '{') depth++;
    else if (c === ']' || c === ')' || c === '}') depth--;
    if (depth > MAX_JMESPATH_NESTING) return `nests brackets more than ${MAX_JMESPATH_NESTING} levels deep`;
  }
  return undefined;
}

// ---- field access: keys match case-insensitively, values must be strings ----

function asMap(value: unknown, index: number, field: string | undefined): Raw {
  if (value === null || typeof value !== 'object' || Array.isArray(value)) {
    throw new ObjectSpecError(index, field, 'must be a mapping of fields (objectName, objectType, ...)');
  }
  return value as Raw;
}

function lookup(raw: Raw, name: string): unknown {
  if (name in raw) return raw[name];
  const lower = name.toLowerCase();
  for (const key of Object.keys(raw)) if (key.toLowerCase() === lower) return raw[key];
  return undefined;
}

function str(raw: Raw, name: string, index: number, prefix = ''): string | undefined {
  const value = lookup(raw, name);
  if (value === undefined || value === '') return undefined;
  if (typeof value !== 'string') {
    throw new ObjectSpecError(index, prefix + name, 'must be a string');
  }
  if (value.includes('\0')) throw new ObjectSpecError(index, prefix + name, 'must not contain NUL characters');
  return value;
}

function list(raw: Raw, name: string, index: number): Raw[] {
  const value = lookup(raw, name);
  if (value === undefined || value === '') return [];
  if (!Array.isArray(value)) throw new ObjectSpecError(index, name, 'must be a list of {path, objectAlias} entries');
  return value.map((entry, i) => asMap(entry, index, `${name}[${i}]`));
}

// ---- one object ----

/**
 * Runs one rule. Without a sink the first problem throws (the server: the first failing
 * check decides the error, in the Go provider's order); with one, problems are collected
 * and planning goes on with whatever does not depend on the failed rule (the linter).
 */
type Check = <T>(rule: () => T) => T | undefined;

function checker(sink: ((problem: ObjectSpecError) => void) | undefined): Check {
  if (!sink) return (rule) => rule();
  return (rule) => {
    try {
      return rule();
    } catch (err) {
      if (!(err instanceof ObjectSpecError)) throw err;
      sink(err);
      return undefined;
    }
  };
}

function planObject(value: unknown, index: number, ctx: ObjectsContext, sink?: (problem: ObjectSpecError) => void): ObjectPlan | undefined {
  const check = checker(sink);
  let failed = false;
  const must: Check = (rule) =>
    check(() => {
      try {
        return rule();
      } catch (err) {
        failed = true;
        throw err;
      }
    });

  const raw = asMap(value, index, undefined);
  const objectName = must(() => {
    const name = str(raw, 'objectName', index);
    if (!name) throw new ObjectSpecError(index, 'objectName', 'is required');
    return name;
  });
  const declaredType = must(() => str(raw, 'objectType', index));
  const objectType = objectName === undefined ? undefined : must(() => resolveObjectType(objectName, declaredType, ctx.primaryRegion, index, 'objectName'));
  const objectAlias = must(() => str(raw, 'objectAlias', index));
  const objectVersion = must(() => str(raw, 'objectVersion', index));
  const objectVersionLabel = must(() => str(raw, 'objectVersionLabel', index));

  if (objectType === 'ssmparameter' && objectVersion && objectVersionLabel) {
    must(() => {
      throw new ObjectSpecError(index, 'objectVersion', `SSM parameter "${objectName}" cannot specify both objectVersion and objectVersionLabel`);
    });
  }

  const mode = must(() => parseFilePermission(str(raw, 'filePermission', index), ctx.defaultMode, index, 'filePermission'));
  if (objectName !== undefined) must(() => checkNameIsSafe(objectName, index, 'objectName'));
  if (objectAlias) must(() => checkNameIsSafe(objectAlias, index, 'objectAlias'));

  // Fields of our own (not in the Go provider): absent, they change nothing above or below.
  const objectEncoding = must(() => parseEncoding(str(raw, 'objectEncoding', index), index, 'objectEncoding'));
  const allKeys = must(() => parseFlag(raw, 'allKeys', index));
  const byPath = must(() => parseFlag(raw, 'parametersByPath', index));
  const recursive = must(() => parseFlag(raw, 'recursive', index));
  if (recursive && !byPath) {
    must(() => {
      throw new ObjectSpecError(index, 'recursive', 'applies only with parametersByPath: "true"');
    });
  }
  if (byPath && objectName !== undefined) {
    const conflicts: Array<[string, unknown]> = [
      ['objectAlias', objectAlias], ['objectVersion', objectVersion], ['objectVersionLabel', objectVersionLabel],
      ['jmesPath', (() => { const j = lookup(raw, 'jmesPath'); return Array.isArray(j) && j.length > 0; })()], ['allKeys', allKeys],
    ];
    if (objectType !== undefined && objectType !== 'ssmparameter') {
      must(() => {
        throw new ObjectSpecError(index, 'parametersByPath', `is only for SSM parameters; "${objectName}" is a ${objectType} object`);
      });
    }
    must(() => checkParameterPath(objectName, index, 'objectName'));
    for (const [field, set] of conflicts) {
      if (!set) continue;
      must(() => {
        throw new ObjectSpecError(index, field, `cannot be used with parametersByPath (path "${objectName}": each parameter below it is a file named after the parameter, with its own version)`);
      });
    }
  }

  const nameForFile = objectAlias ?? objectName;
  const fileName = byPath
    ? ''
    : nameForFile === undefined ? undefined : must(() => toFileName(nameForFile, ctx.translation, index, objectAlias ? 'objectAlias' : 'objectName'));

  const entries = must(() => list(raw, 'jmesPath', index)) ?? [];
  const jmesPath = entries.map((entry, i): JmesPathPlan | undefined => {
    const field = `jmesPath[${i}].`;
    const path = must(() => {
      const p = str(entry, 'path', index, field);
      if (!p) throw new ObjectSpecError(index, `${field}path`, 'is required');
      return p;
    });
    const alias = must(() => {
      const a = str(entry, 'objectAlias', index, field);
      if (!a) throw new ObjectSpecError(index, `${field}objectAlias`, 'is required');
      return a;
    });
    if (path !== undefined) {
      must(() => {
        const bound = jmesPathBoundProblem(path);
        if (bound) throw new ObjectSpecError(index, `${field}path`, `(objectAlias "${alias ?? ''}") ${bound}`);
        try {
          jmespath.compile(path);
        } catch (err) {
          throw new ObjectSpecError(index, `${field}path`, `"${path}" (objectAlias "${alias ?? ''}") is not a valid JMESPath expression: ${(err as Error).message}`);
        }
      });
    }
    if (alias !== undefined) must(() => checkNameIsSafe(alias, index, `${field}objectAlias`));
    const entryFile = alias === undefined ? undefined : must(() => toFileName(alias, ctx.translation, index, `${field}objectAlias`));
    const entryMode = must(() => parseFilePermission(str(entry, 'filePermission', index, field), mode ?? ctx.defaultMode, index, `${field}filePermission`));
    const entryEncoding = must(() => parseEncoding(str(entry, 'objectEncoding', index, field), index, `${field}objectEncoding`));
    if (path === undefined || alias === undefined || entryFile === undefined || entryMode === undefined) return undefined;
    return { path, objectAlias: alias, fileName: entryFile, mode: entryMode, ...(entryEncoding && { objectEncoding: entryEncoding }) };
  });

  const failoverObject =
    objectName === undefined || objectType === undefined
      ? undefined
      : must(() => planFailoverObject(raw, index, ctx, { objectName, declaredType, objectType, objectAlias, objectVersion, byPath: byPath === true }));

  if (failed || objectName === undefined || objectType === undefined || fileName === undefined || mode === undefined) return undefined;
  return {
    index, objectName, objectType, fileName, mode, jmesPath: jmesPath as JmesPathPlan[],
    ...(objectAlias && { objectAlias }),
    ...(objectVersion && { objectVersion }),
    ...(objectVersionLabel && { objectVersionLabel }),
    ...(failoverObject && { failoverObject }),
    ...(objectEncoding && { objectEncoding }),
    ...(allKeys && { allKeys: { translation: ctx.translation } }),
    ...(byPath && { parametersByPath: { translation: ctx.translation, recursive: recursive === true } }),
  };
}

/** A boolean field in Go's spellings (like usePodIdentity); absent or empty: false. */
function parseFlag(raw: Raw, name: string, index: number): boolean {
  const text = str(raw, name, index);
  if (text === undefined) return false;
  const value = parseGoBool(text);
  if (value === undefined) throw new ObjectSpecError(index, name, `"${text.slice(0, 40)}" must be "true" or "false"`);
  return value;
}

/** utf-8 (the default: written as is), base64 or hex, in any case. */
function parseEncoding(value: string | undefined, index: number, field: string): ObjectEncoding | undefined {
  const lower = value?.toLowerCase();
  if (lower === undefined || lower === 'utf-8') return undefined;
  if (lower === 'base64' || lower === 'hex') return lower;
  throw new ObjectSpecError(index, field, `"${value!.slice(0, 40)}" is not an encoding the provider decodes (use ${OBJECT_ENCODINGS.join(', ')})`);
}

/** GetParametersByPath takes a hierarchy path, never an ARN or a plain name. */
function checkParameterPath(path: string, index: number, field: string): void {
  if (!path.startsWith('/')) {
    throw new ObjectSpecError(index, field, `"${path}" must be a parameter path starting with "/" when parametersByPath is set`);
  }
}

function planFailoverObject(
  raw: Raw,
  index: number,
  ctx: ObjectsContext,
  primary: { objectName: string; declaredType?: string | undefined; objectType: ObjectType; objectAlias?: string | undefined; objectVersion?: string | undefined; byPath: boolean },
): FailoverObjectPlan | undefined {
  let value = lookup(raw, 'failoverObject');
  if (value === undefined || value === '') return undefined;
  // The AWS user guide writes failoverObject as a one-item list; accept that spelling too.
  if (Array.isArray(value)) {
    if (value.length !== 1) throw new ObjectSpecError(index, 'failoverObject', 'must be a single {objectName, ...} mapping');
    value = value[0];
  }
  const entry = asMap(value, index, 'failoverObject');
  const objectName = str(entry, 'objectName', index, 'failoverObject.');
  if (!objectName) throw new ObjectSpecError(index, 'failoverObject.objectName', 'is required');
  // A path's files are named after the parameters below it, the same in both regions: no alias needed.
  if (!primary.objectAlias && !primary.byPath) {
    throw new ObjectSpecError(index, 'objectAlias', `is required for "${primary.objectName}" because it has a failoverObject`);
  }
  if (!ctx.failoverRegion) {
    throw new ObjectSpecError(index, 'failoverObject', `for "${primary.objectName}" requires the failoverRegion parameter`);
  }
  const type = resolveObjectType(objectName, primary.declaredType, ctx.failoverRegion, index, 'failoverObject.objectName');
  if (type !== primary.objectType) {
    throw new ObjectSpecError(index, 'failoverObject.objectName', `"${objectName}" is a ${type} object but "${primary.objectName}" is a ${primary.objectType} object`);
  }
  const objectVersion = str(entry, 'objectVersion', index, 'failoverObject.');
  const objectVersionLabel = str(entry, 'objectVersionLabel', index, 'failoverObject.');
  if (type === 'ssmparameter' && objectVersion && objectVersionLabel) {
    throw new ObjectSpecError(index, 'failoverObject.objectVersion', `SSM parameter "${objectName}" cannot specify both objectVersion and objectVersionLabel`);
  }
  if (primary.byPath) {
    checkParameterPath(objectName, index, 'failoverObject.objectName');
    if (objectVersionLabel) throw new ObjectSpecError(index, 'failoverObject.objectVersionLabel', 'cannot be used with parametersByPath');
  }
  if ((objectVersion ?? '') !== (primary.objectVersion ?? '')) {
    throw new ObjectSpecError(index, 'failoverObject.objectVersion', `must equal the primary objectVersion of "${primary.objectName}"`);
  }
  checkNameIsSafe(objectName, index, 'failoverObject.objectName');
  return {
    objectName,
    ...(objectVersion && { objectVersion }),
    ...(objectVersionLabel && { objectVersionLabel }),
  };
}

// ---- names, types, ARNs ----

interface ParsedArn {
  partition: string;
  service: string;
  region: string;
  account: string;
  resource: string;
}

export function parseArn(value: string): ParsedArn | undefined {
  const parts = value.split(':');
  if (parts.length < 6 || parts[0] !== 'arn') return undefined;
  const [, partition, service, region, account] = parts as [string, string, string, string, string];
  const resource = parts.slice(5).join(':');
  if (!partition || !service || !resource) return undefined;
  if (account && !/^\d{12}$/.test(account)) return undefined;
  return { partition, service, region, account, resource };
}

function resolveObjectType(
  name: string,
  declaredType: string | undefined,
  region: string,
  index: number,
  field: string,
): ObjectType {
  const isArn = name.startsWith('arn:');
  const arn = isArn ? parseArn(name) : undefined;
  if (isArn && !arn) {
    throw new ObjectSpecError(index, field, `"${name}" is not a well-formed ARN (arn:partition:service:region:account-id:resource)`);
  }
  if (arn && arn.region !== region) {
    throw new ObjectSpecError(index, field, `the region of ARN "${name}" (${arn.region || 'empty'}) must match region ${region}`);
  }
  if (!declaredType && !arn) {
    throw new ObjectSpecError(index, 'objectType', `is required for "${name}" (use secretsmanager or ssmparameter, or give a full ARN)`);
  }
  const arnType = arn ? ARN_SERVICE_TYPES[arn.service] : undefined;
  if (!declaredType) {
    if (!arnType) throw new ObjectSpecError(index, field, `ARN "${name}" has unsupported service "${arn!.service}" (use secretsmanager or ssm)`);
    return arnType;
  }
  if (!OBJECT_TYPES.has(declaredType)) {
    throw new ObjectSpecError(index, 'objectType', `"${declaredType}" is invalid for "${name}" (use secretsmanager or ssmparameter)`);
  }
  if (arn && arnType !== declaredType) {
    throw new ObjectSpecError(index, 'objectType', `"${declaredType}" does not match ARN "${name}"`);
  }
  return declaredType as ObjectType;
}

function parseFilePermission(value: string | undefined, fallback: number, index: number, field: string): number {
  if (value === undefined) return fallback;
  if (!/^[0-7]{4}$/.test(value)) {
    throw new ObjectSpecError(index, field, `"${value}" must be exactly four octal digits, e.g. "0640"`);
  }
  const mode = parseInt(value, 8);
  if (mode > 0o777) {
    throw new ObjectSpecError(index, field, `"${value}" sets setuid, setgid or sticky bits, which secret files must not have (use 0000 to 0777)`);
  }
  return mode;
}

/** Only a whole ".." path element is traversal: "mypath../param" is a valid name. */
function checkNameIsSafe(name: string, index: number, field: string): void {
  if (name === '.' || name.split('/').includes('..')) {
    throw new ObjectSpecError(index, field, `"${name}" must not be "." or have a ".." path element`);
  }
}

/** objectAlias or objectName -> the file's path relative to the target dir. */
function toFileName(name: string, translation: string | undefined, index: number, field: string): string {
  const fileName = translateName(name, translation);
  const problem = fileNameProblem(fileName);
  if (problem) throw new ObjectSpecError(index, field, `"${name}" cannot be used as a file name: ${problem}`);
  return fileName;
}

/** pathTranslation: "/" replaced by the character; off, a leading "/" is dropped and the others make directories. */
function translateName(name: string, translation: string | undefined): string {
  return translation !== undefined ? name.replaceAll('/', translation) : name.replace(/^\/+/, '');
}

/** The driver's rules for a file path (relative, clean, bounded). */
export function fileNameProblem(fileName: string): string | undefined {
  if (fileName === '') return 'it is empty';
  if (Buffer.byteLength(fileName) > MAX_PATH_BYTES) return `it is longer than ${MAX_PATH_BYTES} bytes`;
  for (const element of fileName.split('/')) {
    if (element === '') return 'it has an empty path element ("//" or a trailing "/")';
    if (element === '.' || element === '..') return `it has a "${element}" path element`;
    if (Buffer.byteLength(element) > MAX_NAME_BYTES) return `a path element is longer than ${MAX_NAME_BYTES} bytes`;
  }
  return undefined;
}

// ---- duplicates and collisions across objects ----

/**
 * File names of one mount and the directories they need: with pathTranslation off a name may
 * hold directories, and "a" and "a/b" cannot both exist. Also used when a mount's names
 * from values (allKeys, parametersByPath) are known (src/files/mounted-files.ts).
 */
export class FileNameClaims {
  private readonly files = new Map<string, string>();
  private readonly directories = new Set<string>();

  /** Claims `fileName` for `owner`; returns the problem (completing "file name "x" ...") instead when it cannot. */
  claim(fileName: string, owner: string): string | undefined {
    const previous = this.files.get(fileName);
    if (previous !== undefined) return `is already used by ${previous}`;
    if (this.directories.has(fileName)) return "is also a directory of another object's file";
    const parts = fileName.split('/');
    for (let i = 1; i < parts.length; i++) {
      const dir = parts.slice(0, i).join('/');
      if (this.files.has(dir)) return `needs directory "${dir}", which is ${this.files.get(dir)}'s file`;
    }
    for (let i = 1; i < parts.length; i++) this.directories.add(parts.slice(0, i).join('/'));
    this.files.set(fileName, owner);
    return undefined;
  }
}

/** A name from a value (a JSON key, a parameter's name below its path) as a file name, or the problem with it. */
export function dynamicFileName(name: string, names: DynamicNames): { fileName: string } | { problem: string } {
  if (name.includes('\0')) return { problem: 'it contains a NUL character' };
  const fileName = translateName(name, names.translation);
  const problem = fileNameProblem(fileName);
  return problem ? { problem } : { fileName };
}

function checkUniqueness(plans: ObjectPlan[], report: (problem: ObjectSpecError) => void): void {
  const objectKeys = new Set<string>();
  const aliases = new Map<string, number>();
  const files = new FileNameClaims();

  const claimFile = (fileName: string, owner: string, index: number, field: string) => {
    const problem = files.claim(fileName, owner);
    if (problem) report(new ObjectSpecError(index, field, `file name "${fileName}" ${problem}`));
  };
  const claimAlias = (alias: string, index: number, field: string) => {
    if (aliases.has(alias)) {
      return report(new ObjectSpecError(index, field, `objectAlias "${alias}" is already used by objects[${aliases.get(alias)}]`));
    }
    aliases.set(alias, index);
  };

  for (const p of plans) {
    // A path and a parameter of the same name are different objects.
    const key = JSON.stringify([p.objectName, p.objectAlias ?? '', p.objectVersionLabel ?? '', p.parametersByPath ? 'path' : '']);
    if (objectKeys.has(key)) {
      report(new ObjectSpecError(p.index, 'objectName', `"${p.objectName}" is listed twice; give each an objectAlias or a different objectVersionLabel`));
      continue;
    }
    objectKeys.add(key);
    if (p.objectAlias) claimAlias(p.objectAlias, p.index, 'objectAlias');
    // A path's files are known only when its parameters are (src/files/mounted-files.ts checks them).
    if (!p.parametersByPath) claimFile(p.fileName, `objects[${p.index}] ("${p.objectName}")`, p.index, p.objectAlias ? 'objectAlias' : 'objectName');
    p.jmesPath.forEach((j, i) => {
      claimAlias(j.objectAlias, p.index, `jmesPath[${i}].objectAlias`);
      claimFile(j.fileName, `objects[${p.index}].jmesPath[${i}]`, p.index, `jmesPath[${i}].objectAlias`);
    });
  }
}
