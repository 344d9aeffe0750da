// Renders the Helm chart offline for test/chart.test.ts and test/deploy.test.ts.
//
// helm comes from scripts/install-helm.sh (.tools/bin/helm). `helm template` refuses a chart whose
// dependency is missing from charts/ even when its condition is false, and the driver's chart is only
// fetched at release time, so we render a temporary copy of the chart with a stand-in for the
// dependency (see charts/.../README.md). The stand-in renders one ConfigMap holding the values it
// received, so tests can check what the chart hands the driver chart; by default the dependency is off
// (secrets-store-csi-driver.install=false) and only the provider's objects are rendered.
import { execFile, spawnSync } from 'node:child_process';
import { accessSync, constants, cpSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseAllDocuments } from 'yaml';

export const repoRoot = resolve(dirname(fileURLToPath(import.meta.url)), '..');
export const chartDir = join(repoRoot, 'charts', 'secrets-store-csi-driver-provider-aws');
export const helmPath = join(repoRoot, '.tools', 'bin', 'helm');
/** The oldest Kubernetes the chart accepts (Chart.yaml kubeVersion); `helm template` defaults to 1.20. */
export const kubeVersion = '1.30.0';
/** The image repository tests render with unless they say otherwise (the chart has no default). */
export const testImageRepository = 'registry.example.com/test/secrets-store-csi-driver-provider-aws-ts';
/** Kind and name of the stand-in driver chart's object that carries the values it was given. */
export const driverValuesEcho = { kind: 'ConfigMap', name: 'stand-in-driver-chart-values' };

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

/** helm's environment: its config, cache and repositories kept away from the user's. */
export function helmEnv(extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  return {
    ...process.env,
    HELM_CONFIG_HOME: join(stagingRoot(), 'helm-config'),
    HELM_CACHE_HOME: join(stagingRoot(), 'helm-cache'),
    HELM_DATA_HOME: join(stagingRoot(), 'helm-data'),
    ...extra,
  };
}

/** Runs helm; returns stdout, throws with helm's output on a non-zero exit. */
export function helm(args: string[], env: NodeJS.ProcessEnv = helmEnv()): string {
  const result = spawnSync(requireHelm(), args, { encoding: 'utf8', env });
  if (result.error) throw result.error;
  if (result.status !== 0) {
    throw new Error(`helm ${args.join(' ')} exited with ${result.status}:\n${result.stdout}\n${result.stderr}`);
  }
  return result.stdout;
}

/** Runs helm without blocking the event loop (for tests that serve helm over HTTP in-process). */
export function helmAsync(
  args: string[],
  env: NodeJS.ProcessEnv = helmEnv(),
): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolvePromise, reject) => {
    execFile(requireHelm(), args, { encoding: 'utf8', env }, (error, stdout, stderr) => {
      if (error && typeof error.code !== 'number') reject(error);
      else resolvePromise({ code: error ? Number(error.code) : 0, stdout, stderr });
    });
  });
}

/** A fresh directory under this run's staging root. */
export function scratchDir(prefix: string): string {
  return mkdtempSync(join(stagingRoot(), prefix));
}

/** Writes the stand-in driver chart (name and version of the pinned dependency) into `dir`. */
export function writeStandInDriverChart(dir: string): void {
  mkdirSync(join(dir, 'templates'), { recursive: true });
  writeFileSync(
    join(dir, 'Chart.yaml'),
    'apiVersion: v2\nname: secrets-store-csi-driver\nversion: 1.6.0\ndescription: offline stand-in for tests\n',
  );
  writeFileSync(
    join(dir, 'templates', 'values.yaml'),
    [
      'apiVersion: v1',
      `kind: ${driverValuesEcho.kind}`,
      'metadata:',
      `  name: ${driverValuesEcho.name}`,
      'data:',
      '  values.json: {{ toJson .Values | quote }}',
      '',
    ].join('\n'),
  );
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
/** A copy of the chart whose dependency is the stand-in chart, renderable offline. */
export function stagedChart(): string {
  if (staged) return staged;
  const dir = join(stagingRoot(), 'secrets-store-csi-driver-provider-aws');
  cpSync(chartDir, dir, { recursive: true });
  // Drop anything a local `helm dependency build` left behind, then add the stand-in.
  rmSync(join(dir, 'charts'), { recursive: true, force: true });
  writeStandInDriverChart(join(dir, 'charts', 'secrets-store-csi-driver'));
  staged = dir;
  return dir;
}

let imageValues: string | undefined;
/** A values file setting image.repository, passed before the test's own files so they can replace it. */
function testImageValuesFile(): string {
  if (!imageValues) {
    imageValues = join(stagingRoot(), 'test-image-values.yaml');
    writeFileSync(imageValues, `image:\n  repository: ${testImageRepository}\n`);
  }
  return imageValues;
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
  /** Render the (stand-in) driver dependency as the values say; default: force it off. */
  withDriver?: boolean;
  /** Leave image.repository to the chart and the test's values; default: testImageRepository. */
  withoutTestImage?: boolean;
  /** `--kube-version`; default kubeVersion. */
  kubeVersion?: string;
}

/** The value options shared by helm template and helm lint. */
export function valueArgs(opts: RenderOptions = {}): string[] {
  const args: string[] = [];
  if (!opts.withoutTestImage) args.push('--values', testImageValuesFile());
  for (const f of opts.valuesFiles ?? []) args.push('--values', f);
  // --set wins over every values file, so a file cannot turn the stand-in dependency back on.
  const set = [...(opts.set ?? []), ...(opts.withDriver ? [] : ['secrets-store-csi-driver.install=false'])];
  for (const s of set) args.push('--set', s);
  for (const s of opts.setString ?? []) args.push('--set-string', s);
  for (const s of opts.setJson ?? []) args.push('--set-json', s);
  return args;
}

/** The `helm template` command line for the staged chart. */
export function templateArgs(opts: RenderOptions = {}): string[] {
  return [
    'template',
    opts.releaseName ?? 'secrets-provider-aws',
    stagedChart(),
    '--namespace',
    opts.namespace ?? 'kube-system',
    '--kube-version',
    opts.kubeVersion ?? kubeVersion,
    ...valueArgs(opts),
  ];
}

/** `helm template` of the staged chart, parsed into objects (empty documents dropped). */
export function render(opts: RenderOptions = {}): K8sObject[] {
  return parseYamlDocuments(helm(templateArgs(opts)));
}

/** `helm template` that is expected to fail: helm's error output (throws if it rendered). */
export function renderError(opts: RenderOptions = {}): string {
  const result = spawnSync(requireHelm(), templateArgs(opts), { encoding: 'utf8', env: helmEnv() });
  if (result.error) throw result.error;
  if (result.status === 0) throw new Error(`helm template rendered, expected an error:\n${result.stdout}`);
  return result.stderr;
}

/** The values the stand-in driver chart received (render with withDriver and the driver installed). */
export function driverValues(objects: K8sObject[]): K8sObject {
  const echo = objects.filter((o) => o.kind === driverValuesEcho.kind && o.metadata?.name === driverValuesEcho.name);
  if (echo.length !== 1) throw new Error(`expected the driver chart to render once, found ${echo.length}`);
  return JSON.parse(echo[0]!.data['values.json'] as string) as K8sObject;
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
