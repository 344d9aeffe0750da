// `node dist/main.js validate [--strict] [--output text|json] FILE...`: lints
// SecretProviderClass manifests with the server's own parser and rules (same
// messages), reporting every problem of every object with file, line, object
// index and field. Unknown keys are warnings (--strict makes them errors).
// Exit 1 when anything is wrong. For CI pipelines, before deploy.
import { readFile } from 'node:fs/promises';
import { isMap, isScalar, LineCounter, parseAllDocuments, parseDocument, type Document, type Node } from 'yaml';
import { helpText, parseFlagValues, UsageError, type FlagSpec } from '../config.js';
import { ProviderError } from '../errors.js';
import { ASSUME_ROLE_ATTR, parseAssumeRole, ROLE_CHAINING_MAX_SECONDS } from '../plan/assume-role.js';
import { findObjectProblems, findUnknownObjectFields, parseArn } from '../plan/objects.js';
import { ATTR, parsePathTranslation, parseUsePodIdentity, primaryRegion, resolveRegions } from '../plan/request.js';
import { checkRegionName } from '../plan/regions.js';
import { editDistance } from '../util/edit-distance.js';

export interface Problem {
  file: string;
  /** 1-based line in the file, when known. */
  line?: number;
  /** e.g. `SecretProviderClass app-secrets (document 2)` */
  where: string;
  message: string;
  severity: 'error' | 'warning';
}

const FLAGS: FlagSpec[] = [
  { name: 'strict', kind: 'bool', default: 'false', help: 'Treat warnings (unknown keys, ...) as errors' },
  { name: 'output', kind: 'string', default: 'text', help: 'text, or json for CI (one object: problems and counts)' },
  { name: 'help', kind: 'bool', default: 'false', help: 'Print this help' },
];
const USAGE = 'Usage: node dist/main.js validate [--strict] [--output text|json] FILE...\n\nChecks every SecretProviderClass (provider: aws) in the files with the provider\'s own rules; other kinds are skipped.';

const KNOWN_PARAMETERS = [
  ATTR.region, ATTR.failoverRegion, ATTR.pathTranslation, ATTR.usePodIdentity, ATTR.preferredAddressType, ATTR.objects,
  ...Object.values(ASSUME_ROLE_ATTR),
];
const SPC_KIND = 'SecretProviderClass';
const DRIVER_API_GROUP = 'secrets-store.csi.x-k8s.io/';

export async function runValidate(argv: string[]): Promise<number> {
  let values: Map<string, string>;
  let files: string[];
  try {
    ({ values, rest: files } = parseFlagValues(argv, FLAGS));
    if (values.get('help') === 'true') {
      process.stdout.write(`${helpText(FLAGS, USAGE)}\n`);
      return 0;
    }
    if (files.length === 0) throw new UsageError('no files given');
    if (!['text', 'json'].includes(values.get('output')!)) throw new UsageError('--output must be text or json');
  } catch (err) {
    if (!(err instanceof UsageError)) throw err;
    process.stderr.write(`${err.message}\n\n${helpText(FLAGS, USAGE)}\n`);
    return 2;
  }
  const strict = values.get('strict') === 'true';
  const problems: Problem[] = [];
  let classes = 0;
  for (const file of files) {
    let text: string;
    try {
      text = await readFile(file, 'utf8');
    } catch (err) {
      problems.push({ file, where: 'file', severity: 'error', message: `cannot read: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}` });
      continue;
    }
    const result = validateManifests(file, text, process.env.AWS_REGION);
    classes += result.classes;
    problems.push(...result.problems);
  }
  const reported = problems.map((p) => (strict && p.severity === 'warning' ? { ...p, severity: 'error' as const } : p));
  const errors = reported.filter((p) => p.severity === 'error').length;
  const warnings = reported.length - errors;
  if (values.get('output') === 'json') {
    process.stdout.write(`${JSON.stringify({ classes, errors, warnings, problems: reported }, null, 2)}\n`);
  } else {
    for (const p of reported) process.stdout.write(`${p.file}${p.line ? `:${p.line}` : ''}: ${p.where}: ${p.severity}: ${p.message}\n`);
    const plural = (n: number, word: string) => `${n} ${word}${n === 1 ? '' : word.endsWith('s') ? 'es' : 's'}`;
    process.stdout.write(`${plural(classes, SPC_KIND)} checked, ${plural(errors, 'error')}, ${plural(warnings, 'warning')}\n`);
  }
  return errors > 0 ? 1 : 0;
}

type Manifest = { apiVersion?: unknown; kind?: unknown; metadata?: { name?: unknown }; spec?: Record<string, unknown> | null } | null;

/** Pure: every problem in the SecretProviderClasses of one file. */
export function validateManifests(file: string, text: string, envRegion?: string): { classes: number; problems: Problem[] } {
  const problems: Problem[] = [];
  const lines = new LineCounter();
  const lineOf = (node: Node | null | undefined) => (node?.range ? lines.linePos(node.range[0]).line : undefined);
  let classes = 0;
  let documents: Document.Parsed[];
  try {
    documents = parseAllDocuments(text, { lineCounter: lines, prettyErrors: true }) as Document.Parsed[];
  } catch (err) {
    return { classes, problems: [{ file, where: 'file', severity: 'error', message: `cannot be read as YAML: ${(err as Error).message}` }] };
  }
  documents.forEach((doc, i) => {
    const docWhere = `document ${i + 1}`;
    if (doc.errors.length > 0) {
      const first = doc.errors[0]!;
      problems.push({ file, ...(first.linePos && { line: first.linePos[0].line }), where: docWhere, severity: 'error', message: `invalid YAML: ${first.message.split('\n')[0]}` });
      return;
    }
    const manifest = doc.toJS({ maxAliasCount: 100 }) as Manifest;
    if (!manifest || typeof manifest !== 'object') return;
    const kind = typeof manifest.kind === 'string' ? manifest.kind : '';
    const name = String(manifest.metadata?.name ?? '(unnamed)');
    if (kind !== SPC_KIND) {
      // A misspelled kind would otherwise be skipped silently, and the file would "pass".
      const driverKind = typeof manifest.apiVersion === 'string' && manifest.apiVersion.startsWith(DRIVER_API_GROUP) && kind !== 'SecretProviderClassPodStatus';
      if (driverKind || (kind && editDistance(kind.toLowerCase(), SPC_KIND.toLowerCase()) <= 3)) {
        problems.push({ file, ...at(lineOf(doc.get('kind', true) as Node)), where: `${kind || '(no kind)'} ${name} (${docWhere})`, severity: 'error', message: `kind "${kind}" is not ${SPC_KIND}: misspelled?` });
      }
      return;
    }
    classes++;
    const where = `${SPC_KIND} ${name} (${docWhere})`;
    const add = (message: string, severity: Problem['severity'] = 'error', line?: number) => problems.push({ file, ...at(line), where, message, severity });
    const spec = manifest.spec;
    if (!spec || typeof spec !== 'object') return add('spec is missing', 'error', lineOf(doc.contents as Node));
    if (spec.provider !== 'aws') return add(`spec.provider is "${String(spec.provider)}", not "aws": skipped`, 'warning', lineOf(doc.getIn(['spec', 'provider'], true) as Node));
    if (spec.parameters === undefined || spec.parameters === null) {
      const others = Object.keys(spec).filter((k) => k !== 'provider' && k !== 'secretObjects');
      return add(`spec.parameters is missing${others.length ? ` (found spec.${others.join(', spec.')}: misspelled?)` : ''}: the provider would mount nothing`, 'error', lineOf(doc.get('spec', true) as Node));
    }
    const raw = spec.parameters;
    if (typeof raw !== 'object' || Array.isArray(raw)) return add('spec.parameters must be a mapping', 'error', lineOf(doc.getIn(['spec', 'parameters'], true) as Node));
    const params: Record<string, string> = {};
    for (const [key, value] of Object.entries(raw as Record<string, unknown>)) {
      const line = lineOf(doc.getIn(['spec', 'parameters', key], true) as Node);
      if (typeof value !== 'string') add(`spec.parameters.${key} must be a string (quote it: "${String(value)}")`, 'error', line);
      else params[key] = value;
      if (!KNOWN_PARAMETERS.includes(key as never)) {
        const hint = KNOWN_PARAMETERS.find((k) => editDistance(k.toLowerCase(), key.toLowerCase()) <= 2);
        add(`spec.parameters.${key} is not a parameter the AWS provider reads${hint ? ` (did you mean ${hint}?)` : ''}`, 'warning', line);
      }
    }
    const objectsNode = doc.getIn(['spec', 'parameters', ATTR.objects], true) as Node | undefined;
    for (const p of lintParameters(params, envRegion, objectsLineOffset(objectsNode, lines))) add(p.message, p.severity, p.line);
  });
  return { classes, problems };
}

const at = (line: number | undefined) => (line ? { line } : {});

/** Lines of the file before the first line of the objects text (a block scalar starts on the next line). */
function objectsLineOffset(node: Node | undefined, lines: LineCounter): number {
  if (!node?.range || !isScalar(node)) return 0;
  const line = lines.linePos(node.range[0]).line;
  return node.type === 'BLOCK_LITERAL' || node.type === 'BLOCK_FOLDED' ? line : line - 1;
}

function lintParameters(params: Record<string, string>, envRegion: string | undefined, lineOffset: number): Array<Pick<Problem, 'message' | 'severity' | 'line'>> {
  const out: Array<Pick<Problem, 'message' | 'severity' | 'line'>> = [];
  // The server's own rules, so the messages are the ones a mount would show.
  const check = (rule: () => void) => {
    try {
      rule();
    } catch (err) {
      if (!(err instanceof ProviderError)) throw err;
      out.push({ message: err.message, severity: 'error' });
    }
  };
  let primary = primaryRegion(params, envRegion);
  if (primary) check(() => resolveRegions(params, primary!));
  else if (params[ATTR.failoverRegion]) check(() => checkRegionName(params[ATTR.failoverRegion]!, 'failoverRegion'));
  check(() => parseUsePodIdentity(params[ATTR.usePodIdentity]));
  const preferred = params[ATTR.preferredAddressType];
  if (preferred && !/^(ipv4|ipv6|auto)$/i.test(preferred)) {
    out.push({ message: `preferredAddressType "${preferred}" is not ipv4 or ipv6; auto will be used`, severity: 'warning' });
  }
  check(() => {
    const role = parseAssumeRole(params);
    if (role?.durationSeconds !== undefined && role.durationSeconds > ROLE_CHAINING_MAX_SECONDS) {
      out.push({
        message: `${ASSUME_ROLE_ATTR.durationSeconds} ${role.durationSeconds}: the pod's own credentials are a role session, and AWS limits a role assumed with them to ${ROLE_CHAINING_MAX_SECONDS} seconds (role chaining); STS will refuse more`,
        severity: 'warning',
      });
    }
  });
  let translation: string | undefined = '_';
  check(() => {
    translation = parsePathTranslation(params[ATTR.pathTranslation]);
  });
  const objects = params[ATTR.objects];
  if (!primary) {
    // The mount would take the node's region. Only ARNs depend on it: check them against the first ARN's region.
    const arnRegion = firstArnRegion(objects);
    primary = arnRegion ?? 'us-east-1';
    if (arnRegion) out.push({ message: `no region parameter: the node's region is used at mount time; ARNs were checked against ${arnRegion}`, severity: 'warning' });
  }
  const ctx = {
    primaryRegion: primary,
    ...(params[ATTR.failoverRegion] && { failoverRegion: params[ATTR.failoverRegion] }),
    translation,
    defaultMode: 0o644,
  };
  const itemLines = objectItemLines(objects, lineOffset);
  for (const problem of findObjectProblems(objects, ctx, lineOffset)) {
    out.push({ message: problem.message, severity: 'error', ...at(problem.index === undefined ? lineOffset + 1 : itemLines[problem.index]) });
  }
  for (const unknown of findUnknownObjectFields(objects)) {
    out.push({ message: unknown.message, severity: 'warning', ...at(unknown.index === undefined ? undefined : itemLines[unknown.index]) });
  }
  return out;
}

/** The file line of each item of the objects list (undefined when the text is not a list). */
function objectItemLines(objects: string | undefined, lineOffset: number): Array<number | undefined> {
  if (!objects) return [];
  const lines = new LineCounter();
  const doc = parseDocument(objects, { schema: 'failsafe', lineCounter: lines });
  const seq = doc.contents as { items?: Node[] } | null;
  if (doc.errors.length > 0 || !seq?.items || isMap(seq)) return [];
  return seq.items.map((item) => (item?.range ? lines.linePos(item.range[0]).line + lineOffset : undefined));
}

function firstArnRegion(objects: string | undefined): string | undefined {
  const match = /arn:[^\s"']+/.exec(objects ?? '');
  return match ? parseArn(match[0])?.region || undefined : undefined;
}
