// Renders the Helm chart offline for test/chart.test.ts and test/deploy.test.ts.
//
// helm comes from scripts/install-helm.sh (.tools/bin/helm). `helm template` refuses a chart whose
// dependency is missing from charts/ even when its condition is false, and the driver's chart is only
// fetched at release time, so we render a temporary copy of the chart with an empty stand-in for the
// dependency and secrets-store-csi-driver.install=false (see charts/.../README.md).
import { spawnSync } from 'node:child_process';
import { accessSync, constants, cpSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseAllDocuments } from 'yaml';

export const repoRoot = resolve(dirname(fileURLToPath(import.meta.url)), '..');
export const chartDir = join(repoRoot, 'charts', 'secrets-store-csi-driver-provider-aws');
export const helmPath = join(repoRoot, '.tools', 'bin', 'helm');

/** A Kubernetes object as parsed from YAML. */
export type K8sObject = Record<string, any>;

/** Throws (so the test fails, never skips) when helm has not been built. */
export function requireHelm(): string {
  try {
    accessSync(helmPath, constants.X_OK);
  } catch {
    throw new Error(
      `helm is missing at ${helmPath}: run \`bash scripts/install-helm.sh\` first (it builds helm v3 with go install)`,
    );
  }
  return helmPath;
}

/** Runs helm; returns stdout, throws with helm's output on a non-zero exit. */
export function helm(args: string[]): string {
  const result = spawnSync(requireHelm(), args, {
    encoding: 'utf8',
    env: {
      ...process.env,
      // Keep helm from reading or writing the user's config, cache and repositories.
      HELM_CONFIG_HOME: join(stagingRoot(), 'helm-config'),
      HELM_CACHE_HOME: join(stagingRoot(), 'helm-cache'),
      HELM_DATA_HOME: join(stagingRoot(), 'helm-data'),
    },
  });
  if (result.error) throw result.error;
  if (result.status !== 0) {
    throw new Error(`helm ${args.join(' ')} exited with ${result.status}:\n${result.stdout}\n${result.stderr}`);
  }
  return result.stdout;
}

let staging: string | undefined;
function stagingRoot(): string {
  if (!staging) {
    staging = mkdtempSync(join(tmpdir(), 'chart-test-'));
    process.on('exit', () => rmSync(staging!, { recursive: true, force: true }));
  }
  return staging;
}

let staged: string | undefined;
/** A copy of the chart whose dependency is an empty stand-in chart, renderable offline. */
export function stagedChart(): string {
  if (staged) return staged;
  const dir = join(stagingRoot(), 'secrets-store-csi-driver-provider-aws');
  cpSync(chartDir, dir, { recursive: true });
  // Drop anything a local `helm dependency build` left behind, then add the stand-in.
  rmSync(join(dir, 'charts'), { recursive: true, force: true });
  rmSync(join(dir, 'Chart.lock'), { force: true });
  const stub = join(dir, 'charts', 'secrets-store-csi-driver');
  mkdirSync(stub, { recursive: true });
  writeFileSync(
    join(stub, 'Chart.yaml'),
    'apiVersion: v2\nname: secrets-store-csi-driver\nversion: 1.6.0\ndescription: offline stand-in for tests\n',
  );
  staged = dir;
  return dir;
}

export interface RenderOptions {
  valuesFiles?: string[];
  /** `--set` expressions, e.g. "awsRegion=us-east-1". */
  set?: string[];
  /** `--set-string` expressions. */
  setString?: string[];
  /** `--set-json` expressions. */
  setJson?: string[];
  namespace?: string;
  releaseName?: string;
}

/** The value options shared by helm template and helm lint, with the driver dependency disabled. */
export function valueArgs(opts: RenderOptions = {}): string[] {
  const args: string[] = [];
  for (const f of opts.valuesFiles ?? []) args.push('--values', f);
  // After the values files so a file cannot turn the (stand-in) dependency back on.
  for (const s of [...(opts.set ?? []), 'secrets-store-csi-driver.install=false']) args.push('--set', s);
  for (const s of opts.setString ?? []) args.push('--set-string', s);
  for (const s of opts.setJson ?? []) args.push('--set-json', s);
  return args;
}

/** `helm template` of the staged chart, parsed into objects (empty documents dropped). */
export function render(opts: RenderOptions = {}): K8sObject[] {
  const out = helm([
    'template',
    opts.releaseName ?? 'secrets-provider-aws',
    stagedChart(),
    '--namespace',
    opts.namespace ?? 'kube-system',
    ...valueArgs(opts),
  ]);
  return parseYamlDocuments(out);
}

/** Parses a multi-document YAML stream; throws on any YAML error; drops empty documents. */
export function parseYamlDocuments(text: string): K8sObject[] {
  const docs = parseAllDocuments(text);
  const objects: K8sObject[] = [];
  for (const doc of docs) {
    if (doc.errors.length) throw new Error(`invalid YAML: ${doc.errors.map((e) => e.message).join('; ')}`);
    const value: unknown = doc.toJS();
    if (value !== null && value !== undefined) objects.push(value as K8sObject);
  }
  return objects;
}

/** The single object of a kind; fails if there are none or several. */
export function only(objects: K8sObject[], kind: string): K8sObject {
  const found = objects.filter((o) => o.kind === kind);
  if (found.length !== 1) throw new Error(`expected exactly one ${kind}, found ${found.length}`);
  return found[0]!;
}

/** The provider container of a DaemonSet. */
export function providerContainer(ds: K8sObject): K8sObject {
  const containers: K8sObject[] = ds.spec?.template?.spec?.containers ?? [];
  if (containers.length !== 1) throw new Error(`expected one container, found ${containers.length}`);
  return containers[0]!;
}
