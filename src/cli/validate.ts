// `node dist/main.js validate FILE...`: lints SecretProviderClass manifests
// with the server's own parser and validator, reporting every problem with
// file, object index and field. Exit 1 when anything is wrong. For CI
// pipelines, before deploy.
import { readFile } from 'node:fs/promises';
import { parseAllDocuments } from 'yaml';
import { parseGoBool } from '../config.js';
import { findObjectProblems, parseArn } from '../plan/objects.js';
import { ATTR, checkRegionName, parsePathTranslation } from '../plan/request.js';

export interface Problem {
  file: string;
  /** e.g. `SecretProviderClass app-secrets (document 2)` */
  where: string;
  message: string;
  severity: 'error' | 'warning';
}

const KNOWN_PARAMETERS = new Set<string>([
  ATTR.region, ATTR.failoverRegion, ATTR.pathTranslation, ATTR.usePodIdentity, ATTR.preferredAddressType, ATTR.objects,
]);

export async function runValidate(args: string[]): Promise<number> {
  if (args.length === 0 || args.includes('--help')) {
    process.stderr.write('Usage: node dist/main.js validate FILE... \n\nChecks every SecretProviderClass (provider: aws) in the files; other kinds are skipped.\n');
    return args.length === 0 ? 2 : 0;
  }
  let errors = 0;
  let classes = 0;
  for (const file of args) {
    let text: string;
    try {
      text = await readFile(file, 'utf8');
    } catch (err) {
      process.stdout.write(`${file}: cannot read: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}\n`);
      errors++;
      continue;
    }
    const result = validateManifests(file, text, process.env.AWS_REGION);
    classes += result.classes;
    for (const p of result.problems) {
      process.stdout.write(`${p.file}: ${p.where}: ${p.severity}: ${p.message}\n`);
      if (p.severity === 'error') errors++;
    }
  }
  process.stdout.write(`${classes} SecretProviderClass${classes === 1 ? '' : 'es'} checked, ${errors} error${errors === 1 ? '' : 's'}\n`);
  return errors > 0 ? 1 : 0;
}

/** Pure: every problem in the SecretProviderClasses of one file. */
export function validateManifests(file: string, text: string, envRegion?: string): { classes: number; problems: Problem[] } {
  const problems: Problem[] = [];
  let classes = 0;
  parseAllDocuments(text).forEach((doc, i) => {
    const docWhere = `document ${i + 1}`;
    if (doc.errors.length > 0) {
      problems.push({ file, where: docWhere, severity: 'error', message: `invalid YAML: ${doc.errors[0]!.message.split('\n')[0]}` });
      return;
    }
    const manifest = doc.toJS({ maxAliasCount: 100 }) as { kind?: unknown; metadata?: { name?: unknown }; spec?: { provider?: unknown; parameters?: unknown } } | null;
    if (!manifest || manifest.kind !== 'SecretProviderClass') return;
    classes++;
    const where = `SecretProviderClass ${String(manifest.metadata?.name ?? '(unnamed)')} (${docWhere})`;
    const add = (message: string, severity: Problem['severity'] = 'error') => problems.push({ file, where, message, severity });
    if (manifest.spec?.provider !== 'aws') {
      add(`spec.provider is "${String(manifest.spec?.provider)}", not "aws": skipped`, 'warning');
      return;
    }
    const raw = manifest.spec.parameters ?? {};
    if (typeof raw !== 'object' || Array.isArray(raw)) return add('spec.parameters must be a mapping');
    const params: Record<string, string> = {};
    for (const [key, value] of Object.entries(raw)) {
      if (typeof value !== 'string') add(`spec.parameters.${key} must be a string (quote it: "${String(value)}")`);
      else params[key] = value;
      if (!KNOWN_PARAMETERS.has(key)) add(`spec.parameters.${key} is not a parameter the AWS provider reads`, 'warning');
    }
    for (const p of lintParameters(params, envRegion)) add(p.message, p.severity);
  });
  return { classes, problems };
}

function lintParameters(params: Record<string, string>, envRegion?: string): Array<Pick<Problem, 'message' | 'severity'>> {
  const out: Array<Pick<Problem, 'message' | 'severity'>> = [];
  const check = (fn: () => void) => {
    try {
      fn();
    } catch (err) {
      out.push({ message: (err as Error).message, severity: 'error' });
    }
  };
  let region = params.region || envRegion;
  if (params.region) check(() => checkRegionName(params.region!, 'region'));
  if (params.failoverRegion) {
    check(() => checkRegionName(params.failoverRegion!, 'failoverRegion'));
    if (params.failoverRegion === region) out.push({ message: `failoverRegion ${region} cannot be the same as the primary region`, severity: 'error' });
  }
  if (params.usePodIdentity && parseGoBool(params.usePodIdentity) === undefined) {
    out.push({ message: `usePodIdentity "${params.usePodIdentity}" is not a boolean (use "true" or "false")`, severity: 'error' });
  }
  if (params.preferredAddressType && !/^(ipv4|ipv6|auto)$/i.test(params.preferredAddressType)) {
    out.push({ message: `preferredAddressType "${params.preferredAddressType}" is not ipv4 or ipv6; auto will be used`, severity: 'warning' });
  }
  let translation: string | undefined = '_';
  check(() => {
    translation = parsePathTranslation(params.pathTranslation);
  });
  if (!region) {
    // The mount would take the node's region: check ARNs against the first ARN's region instead.
    region = firstArnRegion(params.objects) ?? 'us-east-1';
    out.push({ message: `no region parameter: the node's region will be used at mount time; ARNs checked against ${region}`, severity: 'warning' });
  }
  for (const problem of findObjectProblems(params.objects, {
    primaryRegion: region,
    ...(params.failoverRegion && { failoverRegion: params.failoverRegion }),
    translation,
    defaultMode: 0o644,
  })) {
    out.push({ message: problem.message, severity: 'error' });
  }
  return out;
}

function firstArnRegion(objects: string | undefined): string | undefined {
  const match = /arn:[^\s"']+/.exec(objects ?? '');
  return match ? parseArn(match[0])?.region || undefined : undefined;
}
