// The Helm chart: it must upgrade a release of the Go provider's chart (3.1.1) in place. Values files
// written for the Go chart are rendered through OUR chart and the rendered objects are compared, fact
// by fact, with what the Go chart renders for the same values (names, labels and selector, service
// accounts, RBAC, args, env, hostPath directories, scheduling, DNS, update strategy, what the driver
// chart is given). Those Go facts are written out below by hand from reading the Go chart; where ours
// deliberately differs, the difference is asserted and its reason given.
// Needs helm from `bash scripts/install-helm.sh`; without it these tests fail (never skip).
import { test, describe, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { parse } from 'yaml';
import {
  chartDir,
  driverValues,
  driverValuesEcho,
  helm,
  helmAsync,
  helmEnv,
  only,
  parseYamlDocuments,
  providerContainer,
  render,
  renderError,
  repoRoot,
  requireHelm,
  scratchDir,
  stagedChart,
  testImageRepository,
  valueArgs,
  writeStandInDriverChart,
  type K8sObject,
  type RenderOptions,
} from './helm-render.js';
import { parseArgs } from '../src/config.js';

const allValuesFile = join(repoRoot, 'test', 'fixtures', 'chart-values-all.yaml');
const goDefaultsFile = join(repoRoot, 'test', 'fixtures', 'go-chart', 'values-3.1.1-defaults.yaml');
const goOverridesFile = join(repoRoot, 'test', 'fixtures', 'go-chart', 'values-overrides.yaml');
const chartYaml = parse(readFileSync(join(chartDir, 'Chart.yaml'), 'utf8')) as K8sObject;
const chartLock = parse(readFileSync(join(chartDir, 'Chart.lock'), 'utf8')) as K8sObject;
const valuesYaml = parse(readFileSync(join(chartDir, 'values.yaml'), 'utf8')) as K8sObject;
const packageJson = JSON.parse(readFileSync(join(repoRoot, 'package.json'), 'utf8')) as { version: string };

const driverRepository = 'https://kubernetes-sigs.github.io/secrets-store-csi-driver/charts';
const socketDir = '/var/run/secrets-store-csi-providers';

// ---- Facts about the Go provider's chart 3.1.1, written by hand from reading it. ----

/** The Go chart's name, and so (without nameOverride) its `app` selector label. */
const goChartName = 'secrets-store-csi-driver-provider-aws';
/** The Go chart's version: ours must sort after it. */
const goChartVersion = [3, 1, 1];
/** The Go provider's public image, which our chart refuses. */
const goImageRepository = 'public.ecr.aws/aws-secrets-manager/secrets-store-csi-driver-provider-aws';
/** The driver chart version the Go chart's Chart.lock pins. */
const goLockedDriverVersion = '1.6.0';
/** The Go chart keeps the provider off Fargate nodes. */
const fargateOnlyAffinity = {
  nodeAffinity: {
    requiredDuringSchedulingIgnoredDuringExecution: {
      nodeSelectorTerms: [
        { matchExpressions: [{ key: 'eks.amazonaws.com/compute-type', operator: 'NotIn', values: ['fargate'] }] },
      ],
    },
  },
};
/** The Go chart's values for the driver chart: names, token audiences, placement. */
const goDriverValues = {
  fullnameOverride: 'secrets-store-csi-driver',
  tokenRequests: [{ audience: 'sts.amazonaws.com' }, { audience: 'pods.eks.amazonaws.com' }],
  linuxAffinity: {
    nodeAffinity: {
      requiredDuringSchedulingIgnoredDuringExecution: {
        nodeSelectorTerms: [
          {
            matchExpressions: [
              { key: 'type', operator: 'NotIn', values: ['virtual-kubelet'] },
              { key: 'eks.amazonaws.com/compute-type', operator: 'NotIn', values: ['fargate'] },
            ],
          },
        ],
      },
    },
  },
};
/** The driver chart 1.6.0's default tolerations for its Linux DaemonSet: every taint. */
const driverChartTolerations = [{ operator: 'Exists' }];

/**
 * The facts of a rendered release that decide whether an upgrade is in place and behaves the same.
 * Labels leave out helm.sh/chart (it carries the chart version) and app.kubernetes.io/version (ours
 * only); both are checked on their own.
 */
interface ReleaseFacts {
  daemonSet: string;
  namespace: string;
  selector: Record<string, string>;
  labels: Record<string, string>;
  podLabels: Record<string, string>;
  podAnnotations: Record<string, string> | undefined;
  serviceAccount: string | undefined;
  podServiceAccount: string;
  clusterRole: string | undefined;
  clusterRoleBinding: string | undefined;
  bindingSubjects: K8sObject[] | undefined;
  rules: string[] | undefined;
  container: string;
  image: string;
  imagePullPolicy: string;
  args: string[];
  env: { name: string; value: string }[] | undefined;
  hostPaths: Record<string, string>;
  volumeMounts: Record<string, { mountPath: string; mountPropagation?: string }>;
  nodeSelector: Record<string, string>;
  tolerations: K8sObject[] | undefined;
  affinity: K8sObject | undefined;
  dnsPolicy: string | undefined;
  dnsConfig: K8sObject | undefined;
  priorityClassName: string | undefined;
  imagePullSecrets: K8sObject[] | undefined;
  updateStrategy: K8sObject;
  resources: K8sObject;
  securityContext: K8sObject;
  hostNetwork: boolean;
}

/** What the Go chart 3.1.1 renders for a release, given the facts that depend on the values. */
function goFacts(release: string, v: Partial<ReleaseFacts> & { fullname: string; name: string }): ReleaseFacts {
  const { fullname, name, ...rest } = v;
  const labels = { 'app.kubernetes.io/name': name, 'app.kubernetes.io/instance': release, 'app.kubernetes.io/managed-by': 'Helm', app: name };
  return {
    daemonSet: fullname,
    namespace: 'kube-system',
    selector: { app: name },
    labels,
    podLabels: labels,
    podAnnotations: undefined,
    serviceAccount: fullname,
    podServiceAccount: fullname,
    clusterRole: `${fullname}-cluster-role`,
    clusterRoleBinding: `${fullname}-cluster-role-binding`,
    bindingSubjects: [{ kind: 'ServiceAccount', name: fullname, namespace: 'kube-system' }],
    rules: ['nodes:get', 'pods:get', 'serviceaccounts:get'],
    container: 'provider-aws-installer',
    image: `${goImageRepository}:3.1.1`,
    imagePullPolicy: 'IfNotPresent',
    args: [`--provider-volume=${socketDir}`],
    env: undefined,
    hostPaths: { providervol: socketDir, 'mountpoint-dir': '/var/lib/kubelet/pods' },
    volumeMounts: {
      providervol: { mountPath: socketDir },
      'mountpoint-dir': { mountPath: '/var/lib/kubelet/pods', mountPropagation: 'HostToContainer' },
    },
    nodeSelector: { 'kubernetes.io/os': 'linux' },
    tolerations: undefined,
    affinity: fargateOnlyAffinity,
    dnsPolicy: undefined,
    dnsConfig: undefined,
    priorityClassName: undefined,
    imagePullSecrets: undefined,
    updateStrategy: { type: 'RollingUpdate' },
    resources: { requests: { cpu: '50m', memory: '100Mi' }, limits: { cpu: '50m', memory: '100Mi' } },
    securityContext: { privileged: false, allowPrivilegeEscalation: false },
    hostNetwork: false,
    ...rest,
  };
}

// ---- Reading our rendered objects. ----

function ds(objects: K8sObject[]): K8sObject {
  return only(objects, 'DaemonSet');
}
function podSpec(objects: K8sObject[]): K8sObject {
  return ds(objects).spec.template.spec;
}
function args(objects: K8sObject[]): string[] {
  return providerContainer(ds(objects)).args;
}
function env(objects: K8sObject[]): Record<string, string> | undefined {
  const list: { name: string; value: string }[] | undefined = providerContainer(ds(objects)).env;
  return list && Object.fromEntries(list.map((e) => [e.name, e.value]));
}
function optional(objects: K8sObject[], kind: string): K8sObject | undefined {
  return objects.some((o) => o.kind === kind) ? only(objects, kind) : undefined;
}
/** ClusterRole rules as "resource:verb" strings, sorted. */
function rules(objects: K8sObject[]): string[] {
  const role = only(objects, 'ClusterRole');
  const out: string[] = [];
  for (const rule of role.rules as K8sObject[]) {
    assert.deepEqual(rule.apiGroups, [''], 'only core-group resources are needed');
    for (const r of rule.resources as string[]) for (const v of rule.verbs as string[]) out.push(`${r}:${v}`);
  }
  return out.sort();
}
function mountFor(objects: K8sObject[], volume: string): K8sObject {
  const m = (providerContainer(ds(objects)).volumeMounts as K8sObject[]).find((v) => v.name === volume);
  assert.ok(m, `no volumeMount for ${volume}`);
  return m;
}
function volumeFor(objects: K8sObject[], volume: string): K8sObject {
  const v = (podSpec(objects).volumes as K8sObject[]).find((x) => x.name === volume);
  assert.ok(v, `no volume ${volume}`);
  return v;
}
function withoutVersionLabels(labels: Record<string, string>): Record<string, string> {
  const { 'helm.sh/chart': _chart, 'app.kubernetes.io/version': _version, ...rest } = labels;
  return rest;
}

function factsOf(objects: K8sObject[]): ReleaseFacts {
  const daemonSet = ds(objects);
  const spec = podSpec(objects);
  const c = providerContainer(daemonSet);
  const sa = optional(objects, 'ServiceAccount');
  const binding = optional(objects, 'ClusterRoleBinding');
  const role = optional(objects, 'ClusterRole');
  return {
    daemonSet: daemonSet.metadata.name,
    namespace: daemonSet.metadata.namespace,
    selector: daemonSet.spec.selector.matchLabels,
    labels: withoutVersionLabels(daemonSet.metadata.labels),
    podLabels: withoutVersionLabels(daemonSet.spec.template.metadata.labels),
    podAnnotations: daemonSet.spec.template.metadata.annotations,
    serviceAccount: sa?.metadata.name,
    podServiceAccount: spec.serviceAccountName,
    clusterRole: role?.metadata.name,
    clusterRoleBinding: binding?.metadata.name,
    bindingSubjects: binding?.subjects,
    rules: role && rules(objects),
    container: c.name,
    image: c.image,
    imagePullPolicy: c.imagePullPolicy,
    args: c.args,
    env: c.env,
    hostPaths: Object.fromEntries((spec.volumes as K8sObject[]).map((v) => [v.name, v.hostPath.path])),
    volumeMounts: Object.fromEntries(
      (c.volumeMounts as K8sObject[]).map(({ name, ...m }) => [name, m as { mountPath: string; mountPropagation?: string }]),
    ),
    nodeSelector: spec.nodeSelector,
    tolerations: spec.tolerations,
    affinity: spec.affinity,
    dnsPolicy: spec.dnsPolicy,
    dnsConfig: spec.dnsConfig,
    priorityClassName: spec.priorityClassName,
    imagePullSecrets: spec.imagePullSecrets,
    updateStrategy: daemonSet.spec.updateStrategy,
    resources: c.resources,
    securityContext: c.securityContext,
    hostNetwork: spec.hostNetwork,
  };
}

/** Every dotted key path of a values tree (lists and empty maps are leaves). */
function keyPaths(tree: K8sObject, prefix = ''): string[] {
  const out: string[] = [];
  for (const [k, v] of Object.entries(tree)) {
    const path = prefix ? `${prefix}.${k}` : k;
    if (v && typeof v === 'object' && !Array.isArray(v) && Object.keys(v).length) out.push(...keyPaths(v, path));
    else out.push(path);
  }
  return out;
}

/** Our image as a Go user sets it on upgrade: the one value that must change. */
const ourImage = ['image.repository=123456789012.dkr.ecr.us-west-2.amazonaws.com/ascp-ts', 'image.tag=0.1.0'];
const ourImageRef = '123456789012.dkr.ecr.us-west-2.amazonaws.com/ascp-ts:0.1.0';

/** What ours adds to every provider container, on purpose (the Go provider has no HTTP server). */
function assertOurAdditions(objects: K8sObject[], port = 8989): void {
  const c = providerContainer(ds(objects));
  assert.deepEqual(c.ports, [{ name: 'metrics', containerPort: port, protocol: 'TCP' }]);
  assert.deepEqual(c.livenessProbe.httpGet, { path: '/healthz', port: 'metrics' });
  assert.deepEqual(c.readinessProbe.httpGet, { path: '/readyz', port: 'metrics' });
  assert.equal(volumeFor(objects, 'providervol').hostPath.type, 'DirectoryOrCreate');
  for (const o of objects.filter((x) => x.metadata.name !== driverValuesEcho.name)) {
    assert.equal(o.metadata.labels['helm.sh/chart'], `${goChartName}-${chartYaml.version}`);
    assert.equal(o.metadata.labels['app.kubernetes.io/version'], chartYaml.appVersion);
  }
}

describe('helm', () => {
  test('helm is installed (run `bash scripts/install-helm.sh` if this fails)', () => {
    requireHelm();
    const version = execFileSync(requireHelm(), ['version', '--template', '{{.Version}}'], { encoding: 'utf8' });
    assert.match(version, /^v3\.\d+\.\d+$/, `expected helm v3, got ${version}`);
  });
});

describe('chart metadata', () => {
  test('the chart version continues the Go chart line: a release, after 3.1.1', () => {
    const version = String(chartYaml.version);
    assert.match(version, /^\d+\.\d+\.\d+$/, 'a plain release version (helm hides pre-releases without --devel)');
    const parts = version.split('.').map(Number);
    const cmp = parts.map((p, i) => p - goChartVersion[i]!).find((d) => d !== 0) ?? 0;
    assert.ok(cmp > 0, `chart version ${version} does not sort after the Go chart's ${goChartVersion.join('.')}`);
    assert.equal(chartYaml.name, goChartName, 'same chart name as the Go chart');
    assert.equal(chartYaml.apiVersion, 'v2');
  });

  test("appVersion is the provider's own version (package.json)", () => {
    assert.equal(chartYaml.appVersion, packageJson.version);
  });

  test('kubeVersion: what the driver chart 1.6 requires (1.30 or later)', () => {
    assert.equal(chartYaml.kubeVersion, '>=1.30.0-0');
    assert.match(renderError({ kubeVersion: '1.29.9' }), /chart requires kubeVersion: >=1\.30\.0-0/);
    assert.ok(render({ kubeVersion: '1.30.0' }).length > 0);
    assert.ok(render({ kubeVersion: '1.30.5-eks-1234567' }).length > 0, 'EKS pre-release style versions pass');
  });

  test('the driver chart is a conditional dependency on 1.6.x from its own repository', () => {
    const deps = chartYaml.dependencies as K8sObject[];
    assert.equal(deps.length, 1);
    assert.equal(deps[0]!.name, 'secrets-store-csi-driver');
    assert.equal(deps[0]!.repository, driverRepository);
    assert.equal(deps[0]!.condition, 'secrets-store-csi-driver.install');
    assert.equal(deps[0]!.version, '~1.6.0');
  });

  test('Chart.lock pins the driver chart the Go chart 3.1.1 ships, so an upgrade leaves the driver as it is', () => {
    assert.deepEqual(chartLock.dependencies, [
      { name: 'secrets-store-csi-driver', repository: driverRepository, version: goLockedDriverVersion },
    ]);
    assert.match(String(chartLock.digest), /^sha256:[0-9a-f]{64}$/);
  });

  test('no dependency archive or charts/ directory is committed', () => {
    const tracked = execFileSync('git', ['ls-files', '--', 'charts/secrets-store-csi-driver-provider-aws/charts'], {
      cwd: repoRoot,
      encoding: 'utf8',
    });
    assert.equal(tracked.trim(), '');
  });
});

describe('helm dependency build with the committed Chart.lock (driver repository served locally)', () => {
  // The driver's chart repository is not reachable here, so a local server stands in for it: helm's
  // own repository cache maps the real repository URL to an index whose chart URL is this server.
  const dir = scratchDir('dependency-build-');
  const served = join(dir, 'served');
  const requests: string[] = [];
  const server = createServer((req, res) => {
    requests.push(req.url ?? '');
    const file = join(served, (req.url ?? '').replace(/^\/+/, ''));
    if (!req.url || req.url.includes('..') || !existsSync(file)) {
      res.writeHead(404).end();
      return;
    }
    res.writeHead(200, { 'content-type': 'application/gzip' }).end(readFileSync(file));
  });
  after(() => new Promise<void>((done) => server.close(() => done())));

  async function repositoryEnv(): Promise<NodeJS.ProcessEnv> {
    if (!server.listening) await new Promise<void>((ready) => server.listen(0, '127.0.0.1', ready));
    const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    if (!existsSync(join(served, 'index.yaml'))) {
      writeStandInDriverChart(join(dir, 'driver-src'));
      helm(['package', join(dir, 'driver-src'), '--destination', served]);
      helm(['repo', 'index', served, '--url', url]);
      mkdirSync(join(dir, 'cache'), { recursive: true });
      cpSync(join(served, 'index.yaml'), join(dir, 'cache', 'secrets-store-csi-driver-index.yaml'));
      writeFileSync(
        join(dir, 'repositories.yaml'),
        `apiVersion: ""\ngenerated: "0001-01-01T00:00:00Z"\nrepositories:\n- name: secrets-store-csi-driver\n  url: ${driverRepository}\n`,
      );
    }
    return helmEnv({ HELM_REPOSITORY_CONFIG: join(dir, 'repositories.yaml'), HELM_REPOSITORY_CACHE: join(dir, 'cache') });
  }

  function chartCopy(name: string): string {
    const copy = join(dir, name);
    cpSync(chartDir, copy, { recursive: true });
    rmSync(join(copy, 'charts'), { recursive: true, force: true });
    return copy;
  }

  test('accepts the lock (in sync with Chart.yaml), fetches driver 1.6.0 and leaves the lock unchanged', async () => {
    const copy = chartCopy('chart');
    const result = await helmAsync(['dependency', 'build', '--skip-refresh', copy], await repositoryEnv());
    assert.equal(result.code, 0, `helm dependency build failed:\n${result.stdout}\n${result.stderr}`);
    assert.ok(existsSync(join(copy, 'charts', `secrets-store-csi-driver-${goLockedDriverVersion}.tgz`)));
    assert.ok(requests.includes(`/secrets-store-csi-driver-${goLockedDriverVersion}.tgz`), `requests: ${requests.join(', ')}`);
    assert.equal(readFileSync(join(copy, 'Chart.lock'), 'utf8'), readFileSync(join(chartDir, 'Chart.lock'), 'utf8'));
    // The built chart renders, driver included, with no stand-in directory of ours.
    const objects = parseYamlDocuments(
      helm(['template', 'secrets-provider-aws', copy, '-n', 'kube-system', '--kube-version', '1.30.0', '--set', `image.repository=${testImageRepository}`]),
    );
    assert.equal(driverValues(objects).fullnameOverride, 'secrets-store-csi-driver');
  });

  test('refuses the lock once Chart.yaml asks for another range (the digest is checked)', async () => {
    const copy = chartCopy('chart-changed');
    const yaml = readFileSync(join(copy, 'Chart.yaml'), 'utf8');
    writeFileSync(join(copy, 'Chart.yaml'), yaml.replace('version: "~1.6.0"', 'version: "^1"'));
    const result = await helmAsync(['dependency', 'build', '--skip-refresh', copy], await repositoryEnv());
    assert.notEqual(result.code, 0);
    assert.match(result.stderr, /Chart\.lock\) is out of sync/);
  });
});

describe('values.yaml', () => {
  test('every value name of the Go chart 3.1.1 is a value of ours', () => {
    const ours = new Set(keyPaths(valuesYaml));
    const goNames = [
      ...keyPaths(parse(readFileSync(goDefaultsFile, 'utf8')) as K8sObject),
      // Read by the Go templates without a default in its values.yaml:
      'dnsPolicy',
      'k8sThrottlingParams',
      'eksAddonVersion',
      'rbac.serviceAccountName',
    ];
    const ourPrefixes = [...ours];
    for (const name of goNames) {
      assert.ok(
        ours.has(name) || ourPrefixes.some((p) => p.startsWith(`${name}.`) || name.startsWith(`${p}.`)),
        `values.yaml lacks the Go chart's ${name}`,
      );
    }
  });

  test('the driver: installed, named as by the Go chart, placed as by the Go chart, both token audiences', () => {
    const driver = valuesYaml['secrets-store-csi-driver'];
    assert.equal(driver.install, true);
    assert.equal(driver.fullnameOverride, goDriverValues.fullnameOverride);
    assert.deepEqual(driver.tokenRequests, goDriverValues.tokenRequests);
    assert.deepEqual(driver.linux.affinity, goDriverValues.linuxAffinity);
    // The driver chart's own defaults, spelled out.
    assert.equal(driver.syncSecret.enabled, false);
    assert.equal(driver.enableSecretRotation, false);
  });

  test("the socket directory is the Go chart's and the provider binary's own default", () => {
    assert.equal(valuesYaml.providerVolume, socketDir);
    assert.equal(parseArgs([]).config.providerVolume, socketDir);
  });

  test('the image repository has no default (no public image exists)', () => {
    assert.equal(valuesYaml.image.repository, '');
    assert.equal(valuesYaml.image.tag, '');
  });

  test('the fixture sets every value that values.yaml defines', () => {
    const all = parse(readFileSync(allValuesFile, 'utf8')) as K8sObject;
    for (const key of Object.keys(valuesYaml)) assert.ok(key in all, `fixture does not set ${key}`);
  });
});

describe('helm lint', () => {
  test('the chart as committed lints (the missing dependency is only a warning)', () => {
    const out = helm(['lint', chartDir, ...valueArgs()]);
    assert.match(out, /0 chart\(s\) failed/);
  });

  test('lint --strict with default values', () => {
    helm(['lint', '--strict', stagedChart(), ...valueArgs()]);
  });

  test('lint --strict with every value set', () => {
    helm(['lint', '--strict', stagedChart(), ...valueArgs({ valuesFiles: [allValuesFile] })]);
  });

  test('lint --strict with the Go chart values and our image', () => {
    helm(['lint', '--strict', stagedChart(), ...valueArgs({ valuesFiles: [goDefaultsFile, goOverridesFile] })]);
  });
});

describe('image: a value users must set', () => {
  test('no repository: helm refuses to render, naming the value and the guide', () => {
    const err = renderError({ withoutTestImage: true });
    assert.match(err, /image\.repository is required/);
    assert.match(err, /docs\/migrating-from-go\.md/);
  });

  test("the Go provider's image (a Go values file carried over) is refused", () => {
    assert.match(renderError({ withoutTestImage: true, valuesFiles: [goDefaultsFile] }), /the Go provider's image/);
    assert.match(renderError({ set: [`image.repository=${goImageRepository}/`] }), /the Go provider's image/);
  });

  test("the tag defaults to the chart's appVersion; a numeric tag stays a string", () => {
    assert.equal(providerContainer(ds(render())).image, `${testImageRepository}:${chartYaml.appVersion}`);
    assert.equal(providerContainer(ds(render({ set: ['image.tag=2'] }))).image, `${testImageRepository}:2`);
  });
});

describe('the Go chart 3.1.1 defaults values file, upgraded with our image', () => {
  const objects = render({ valuesFiles: [goDefaultsFile], set: ourImage });

  test('every fact matches the Go chart, except our image and our container hardening', () => {
    assert.deepEqual(
      factsOf(objects),
      goFacts('secrets-provider-aws', {
        fullname: 'secrets-provider-aws-secrets-store-csi-driver-provider-aws',
        name: goChartName,
        image: ourImageRef,
        // Deliberate: a read-only root filesystem (the provider writes nothing to its image).
        securityContext: { privileged: false, allowPrivilegeEscalation: false, readOnlyRootFilesystem: true },
      }),
    );
  });

  test('ours adds health probes and the metrics port; labels carry our chart and app versions', () => {
    assertOurAdditions(objects);
  });

  test('the driver chart gets the Go chart values: same object names, audiences and placement', () => {
    const values = driverValues(render({ valuesFiles: [goDefaultsFile], set: ourImage, withDriver: true }));
    assert.equal(values.fullnameOverride, goDriverValues.fullnameOverride);
    assert.deepEqual(values.tokenRequests, goDriverValues.tokenRequests);
    assert.deepEqual(values.linux.affinity, goDriverValues.linuxAffinity);
  });
});

describe('the Go chart 3.1.1 with common overrides (test/fixtures/go-chart/values-overrides.yaml)', () => {
  const objects = render({ valuesFiles: [goOverridesFile] });
  const name = goChartName;
  const release = 'secrets-provider-aws';
  const goLabels = {
    'app.kubernetes.io/name': name,
    'app.kubernetes.io/instance': release,
    'app.kubernetes.io/managed-by': 'Helm',
    app: name,
    'cost-center': '42',
  };

  test('every fact matches what the Go chart renders for these values', () => {
    assert.deepEqual(
      factsOf(objects),
      goFacts(release, {
        fullname: 'ascp',
        name,
        labels: goLabels,
        podLabels: { ...goLabels, team: 'platform' },
        podAnnotations: { 'prometheus.io/scrape': 'false' },
        serviceAccount: 'ascp-provider',
        podServiceAccount: 'ascp-provider',
        clusterRole: 'ascp-cluster-role',
        clusterRoleBinding: 'ascp-cluster-role-binding',
        bindingSubjects: [{ kind: 'ServiceAccount', name: 'ascp-provider', namespace: 'kube-system' }],
        rules: ['serviceaccounts:get'],
        image: '123456789012.dkr.ecr.us-west-2.amazonaws.com/ascp-ts:4.0.0',
        imagePullPolicy: 'Always',
        args: [
          `--provider-volume=${socketDir}`,
          '--driver-writes-secrets=true',
          '--qps=20',
          '--burst=40',
          '--eks-addon-version=v3.1.1-eksbuild.1',
          '--pod-identity-http-timeout=250ms',
        ],
        env: [
          { name: 'AWS_USE_FIPS_ENDPOINT', value: 'true' },
          { name: 'AWS_REGION', value: 'us-west-2' },
        ],
        hostPaths: { providervol: socketDir, 'mountpoint-dir': '/var/lib/k0s/kubelet/pods' },
        volumeMounts: {
          providervol: { mountPath: socketDir },
          'mountpoint-dir': { mountPath: '/var/lib/k0s/kubelet/pods', mountPropagation: 'HostToContainer' },
        },
        nodeSelector: { 'kubernetes.io/os': 'linux', 'node-role.example.com/apps': 'true' },
        tolerations: [{ key: 'dedicated', operator: 'Equal', value: 'secrets', effect: 'NoSchedule' }],
        affinity: {
          nodeAffinity: {
            requiredDuringSchedulingIgnoredDuringExecution: {
              nodeSelectorTerms: [{ matchExpressions: [{ key: 'kubernetes.io/arch', operator: 'In', values: ['amd64', 'arm64'] }] }],
            },
          },
        },
        dnsPolicy: 'ClusterFirstWithHostNet',
        dnsConfig: { options: [{ name: 'ndots', value: '1' }] },
        priorityClassName: 'system-node-critical',
        imagePullSecrets: [{ name: 'ecr-pull' }],
        updateStrategy: { type: 'RollingUpdate', rollingUpdate: { maxUnavailable: 2 } },
        // Deliberate, as above.
        securityContext: { privileged: false, allowPrivilegeEscalation: false, readOnlyRootFilesystem: true },
      }),
    );
  });

  test('commonLabels reach every object, as in the Go chart', () => {
    for (const o of objects) assert.equal(o.metadata.labels['cost-center'], '42', `${o.kind} lacks commonLabels`);
  });

  test('ours adds health probes and the metrics port', () => {
    assertOurAdditions(objects);
  });

  test("the rendered flags are ones the provider's parser accepts, with the same meaning", () => {
    const parsed = parseArgs(args(objects));
    assert.deepEqual(parsed.warnings, []);
    assert.deepEqual(parsed.rest, []);
    assert.equal(parsed.config.providerVolume, socketDir);
    assert.equal(parsed.config.driverWritesSecrets, true);
    assert.equal(parsed.config.qps, 20);
    assert.equal(parsed.config.burst, 40);
    assert.equal(parsed.config.eksAddonVersion, 'v3.1.1-eksbuild.1');
    assert.equal(parsed.config.podIdentityHttpTimeoutMs, 250);
  });
});

describe('release and override naming follows the Go chart', () => {
  // The Go chart's full name: fullnameOverride, else the release name when it contains the chart name
  // (or nameOverride), else <release>-<name>; the selector is app=<name>.
  const cases: [string, string[], string, string][] = [
    ['secrets-provider-aws', [], 'secrets-provider-aws-secrets-store-csi-driver-provider-aws', goChartName],
    ['secrets-store-csi-driver-provider-aws', [], 'secrets-store-csi-driver-provider-aws', goChartName],
    ['my-secrets-store-csi-driver-provider-aws-prod', [], 'my-secrets-store-csi-driver-provider-aws-prod', goChartName],
    ['ascp', ['nameOverride=ascp'], 'ascp', 'ascp'],
    ['rel', ['nameOverride=ascp'], 'rel-ascp', 'ascp'],
    ['rel', ['fullnameOverride=custom'], 'custom', goChartName],
  ];
  for (const [release, set, fullname, name] of cases) {
    test(`release ${release} ${set.join(' ')}`.trim(), () => {
      const objects = render({ releaseName: release, set });
      assert.equal(ds(objects).metadata.name, fullname);
      assert.deepEqual(ds(objects).spec.selector.matchLabels, { app: name });
      assert.equal(only(objects, 'ServiceAccount').metadata.name, fullname);
      assert.equal(only(objects, 'ClusterRole').metadata.name, `${fullname}-cluster-role`);
      assert.equal(only(objects, 'ClusterRoleBinding').metadata.name, `${fullname}-cluster-role-binding`);
      assert.equal(ds(objects).spec.template.metadata.labels['app.kubernetes.io/instance'], release);
    });
  }
});

describe('our defaults', () => {
  const objects = render();

  test('renders exactly a ServiceAccount, ClusterRole, ClusterRoleBinding and DaemonSet', () => {
    assert.deepEqual(objects.map((o) => o.kind).sort(), ['ClusterRole', 'ClusterRoleBinding', 'DaemonSet', 'ServiceAccount']);
  });

  test("match the Go chart's defaults except where the provider must run wherever the driver runs", () => {
    assert.deepEqual(
      factsOf(objects),
      goFacts('secrets-provider-aws', {
        fullname: 'secrets-provider-aws-secrets-store-csi-driver-provider-aws',
        name: goChartName,
        image: `${testImageRepository}:${chartYaml.appVersion}`,
        // Deliberate: the driver's own placement (its chart's tolerations, the Go chart's driver
        // affinity), so no node has a driver without a provider ("provider not found").
        tolerations: driverChartTolerations,
        affinity: goDriverValues.linuxAffinity,
        securityContext: { privileged: false, allowPrivilegeEscalation: false, readOnlyRootFilesystem: true },
      }),
    );
    assertOurAdditions(objects);
  });

  test('the provider is placed exactly as the driver: same tolerations, same affinity', () => {
    assert.deepEqual(podSpec(objects).tolerations, driverChartTolerations);
    assert.deepEqual(podSpec(objects).affinity, valuesYaml['secrets-store-csi-driver'].linux.affinity);
  });

  test('the driver chart is given the Go chart values (object names, audiences, placement)', () => {
    const values = driverValues(render({ withDriver: true }));
    assert.equal(values.install, true);
    assert.equal(values.fullnameOverride, goDriverValues.fullnameOverride);
    assert.deepEqual(values.tokenRequests, goDriverValues.tokenRequests);
    assert.deepEqual(values.linux.affinity, goDriverValues.linuxAffinity);
  });

  test('install=false leaves the driver out', () => {
    assert.equal(render({ withDriver: true, set: ['secrets-store-csi-driver.install=false'] }).some((o) => o.metadata.name === driverValuesEcho.name), false);
  });

  test('socket directory: hostPath, mount and --provider-volume all the default', () => {
    assert.deepEqual(volumeFor(objects, 'providervol').hostPath, { path: socketDir, type: 'DirectoryOrCreate' });
    assert.equal(mountFor(objects, 'providervol').mountPath, socketDir);
    assert.deepEqual(args(objects), [`--provider-volume=${socketDir}`]);
    assert.equal(parseArgs(args(objects)).config.providerVolume, parseArgs([]).config.providerVolume);
  });

  test('probes: liveness /healthz and readiness /readyz on the metrics port 8989', () => {
    const c = providerContainer(ds(objects));
    assert.deepEqual(c.ports, [{ name: 'metrics', containerPort: 8989, protocol: 'TCP' }]);
    assert.deepEqual(c.livenessProbe.httpGet, { path: '/healthz', port: 'metrics' });
    assert.deepEqual(c.readinessProbe.httpGet, { path: '/readyz', port: 'metrics' });
  });

  test('runs as root, with no pod-level security context', () => {
    assert.equal(podSpec(objects).securityContext, undefined, 'no pod-level runAsNonRoot/runAsUser');
  });
});

describe('every value set (test/fixtures/chart-values-all.yaml)', () => {
  const objects = render({ valuesFiles: [allValuesFile] });

  test('container args: one flag per value', () => {
    assert.deepEqual(args(objects), [
      '--provider-volume=/etc/kubernetes/secrets-store-csi-providers',
      '--driver-writes-secrets=true',
      '--qps=20',
      '--burst=40',
      '--eks-addon-version=v3.1.0-eksbuild.1',
      '--pod-identity-http-timeout=750ms',
      '--metrics-addr=:9090',
      '--log-level=debug',
      '--emit-events=true',
      '--shutdown-timeout=20s',
    ]);
  });

  test('env: AWS_USE_FIPS_ENDPOINT from useFipsEndpoint, AWS_REGION from awsRegion', () => {
    assert.deepEqual(env(objects), { AWS_REGION: 'eu-west-3', AWS_USE_FIPS_ENDPOINT: 'true' });
  });

  test('RBAC: with awsRegion set, no pods/nodes access; with emitEvents, events create and patch', () => {
    assert.deepEqual(rules(objects), ['events:create', 'events:patch', 'serviceaccounts:get']);
  });

  test('names: fullnameOverride, nameOverride and rbac.serviceAccountName', () => {
    assert.equal(ds(objects).metadata.name, 'ascp-full');
    assert.deepEqual(ds(objects).spec.selector.matchLabels, { app: 'ascp' });
    assert.equal(only(objects, 'ServiceAccount').metadata.name, 'ascp-sa');
    assert.equal(podSpec(objects).serviceAccountName, 'ascp-sa');
    assert.equal(only(objects, 'ClusterRoleBinding').subjects[0].name, 'ascp-sa');
    assert.equal(only(objects, 'ClusterRole').metadata.name, 'ascp-full-cluster-role');
  });

  test('image: repository, tag, pullPolicy, imagePullSecrets', () => {
    const c = providerContainer(ds(objects));
    assert.equal(c.image, 'registry.example.com/platform/ascp-ts:9.8.7');
    assert.equal(c.imagePullPolicy, 'Always');
    assert.deepEqual(podSpec(objects).imagePullSecrets, [{ name: 'regcred' }]);
  });

  test('resources', () => {
    assert.deepEqual(providerContainer(ds(objects)).resources, {
      requests: { cpu: '100m', memory: '128Mi' },
      limits: { cpu: '200m', memory: '256Mi' },
    });
  });

  test('volumes follow providerVolume and kubeletPath', () => {
    assert.equal(volumeFor(objects, 'providervol').hostPath.path, '/etc/kubernetes/secrets-store-csi-providers');
    assert.equal(mountFor(objects, 'providervol').mountPath, '/etc/kubernetes/secrets-store-csi-providers');
    assert.equal(volumeFor(objects, 'mountpoint-dir').hostPath.path, '/data/kubelet/pods');
    assert.equal(mountFor(objects, 'mountpoint-dir').mountPath, '/data/kubelet/pods');
    assert.equal(mountFor(objects, 'mountpoint-dir').mountPropagation, 'HostToContainer');
  });

  test('scheduling and DNS: nodeSelector, tolerations, affinity, priorityClassName, dnsPolicy, dnsConfig', () => {
    const spec = podSpec(objects);
    assert.deepEqual(spec.nodeSelector, { 'kubernetes.io/os': 'linux', 'node.kubernetes.io/pool': 'system' });
    assert.deepEqual(spec.tolerations, [{ key: 'CriticalAddonsOnly', operator: 'Exists' }]);
    assert.deepEqual(
      spec.affinity.nodeAffinity.requiredDuringSchedulingIgnoredDuringExecution.nodeSelectorTerms[0].matchExpressions,
      [{ key: 'kubernetes.io/arch', operator: 'In', values: ['arm64'] }],
    );
    assert.equal(spec.priorityClassName, 'system-node-critical');
    assert.equal(spec.dnsPolicy, 'Default');
    assert.deepEqual(spec.dnsConfig, { options: [{ name: 'ndots', value: '2' }] });
  });

  test('labels and annotations: podLabels, podAnnotations, commonLabels on every object', () => {
    const meta = ds(objects).spec.template.metadata;
    assert.equal(meta.labels.team, 'platform');
    assert.equal(meta.labels.app, 'ascp', 'selector label kept');
    // podAnnotations, plus the scrape annotations of metrics.scrapeAnnotations (port follows `port`).
    assert.deepEqual(meta.annotations, {
      'example.com/scrape': 'true',
      'prometheus.io/scrape': 'true',
      'prometheus.io/port': '9090',
      'prometheus.io/path': '/metrics',
    });
    for (const o of objects) assert.equal(o.metadata.labels['cost-center'], '1234', `${o.kind} lacks commonLabels`);
    assert.equal(meta.labels['cost-center'], '1234');
    assert.equal(ds(objects).metadata.labels.team, undefined, 'podLabels only on pods');
  });

  test('updateStrategy and securityContext are passed through', () => {
    assert.deepEqual(ds(objects).spec.updateStrategy, { type: 'RollingUpdate', rollingUpdate: { maxUnavailable: '25%' } });
    assert.deepEqual(providerContainer(ds(objects)).securityContext.capabilities, { drop: ['NET_RAW'] });
  });

  test('probes use the named port, which follows `port`', () => {
    const c = providerContainer(ds(objects));
    assert.deepEqual(c.ports, [{ name: 'metrics', containerPort: 9090, protocol: 'TCP' }]);
    assert.equal(c.livenessProbe.httpGet.port, 'metrics');
    assert.equal(c.readinessProbe.httpGet.port, 'metrics');
  });

  test('the driver values of the fixture reach the driver chart', () => {
    const values = driverValues(render({ valuesFiles: [allValuesFile], withDriver: true, set: ['secrets-store-csi-driver.install=true'] }));
    assert.equal(values.syncSecret.enabled, true);
    assert.equal(values.enableSecretRotation, true);
    assert.equal(values.fullnameOverride, 'secrets-store-csi-driver');
  });
});

describe('single values, as Go-chart users pass them with --set', () => {
  test('awsRegion alone: AWS_REGION env and no pods/nodes rules', () => {
    const objects = render({ set: ['awsRegion=us-east-1'] });
    assert.deepEqual(env(objects), { AWS_REGION: 'us-east-1' });
    assert.deepEqual(rules(objects), ['serviceaccounts:get']);
    assert.deepEqual(args(objects), [`--provider-volume=${socketDir}`]);
  });

  test('useFipsEndpoint alone: AWS_USE_FIPS_ENDPOINT only, region RBAC kept', () => {
    const objects = render({ set: ['useFipsEndpoint=true'] });
    assert.deepEqual(env(objects), { AWS_USE_FIPS_ENDPOINT: 'true' });
    assert.deepEqual(rules(objects), ['nodes:get', 'pods:get', 'serviceaccounts:get']);
  });

  test('driverWritesSecrets=true', () => {
    assert.ok(args(render({ set: ['driverWritesSecrets=true'] })).includes('--driver-writes-secrets=true'));
    assert.ok(!args(render({ set: ['driverWritesSecrets=false'] })).some((a) => a.startsWith('--driver-writes')));
  });

  test('k8sThrottlingParams as --set-json with strings, as in the Go README', () => {
    const objects = render({ setJson: ['k8sThrottlingParams={"qps": "20", "burst": "40"}'] });
    assert.deepEqual(args(objects).slice(1), ['--qps=20', '--burst=40']);
    assert.deepEqual(args(render({ set: ['k8sThrottlingParams.qps=7'] })).slice(1), ['--qps=7']);
  });

  test('podIdentityHttpTimeout and eksAddonVersion', () => {
    const a = args(render({ set: ['podIdentityHttpTimeout=500ms', 'eksAddonVersion=v2.0.0-eksbuild.1'] }));
    assert.deepEqual(a.slice(1), ['--eks-addon-version=v2.0.0-eksbuild.1', '--pod-identity-http-timeout=500ms']);
  });

  test('emitEvents: --emit-events and events RBAC only when true; the provider accepts the flag', () => {
    const on = render({ set: ['emitEvents=true'] });
    assert.deepEqual(args(on).slice(1), ['--emit-events=true']);
    assert.equal(parseArgs(args(on)).config.emitEvents, true);
    assert.deepEqual(rules(on), ['events:create', 'events:patch', 'nodes:get', 'pods:get', 'serviceaccounts:get']);
    const off = render({ set: ['emitEvents=false'] });
    assert.deepEqual(args(off), [`--provider-volume=${socketDir}`]);
    assert.deepEqual(rules(off), ['nodes:get', 'pods:get', 'serviceaccounts:get']);
  });

  test('dnsPolicy alone (the Go chart honours it; so do we)', () => {
    assert.equal(podSpec(render({ set: ['dnsPolicy=ClusterFirstWithHostNet'] })).dnsPolicy, 'ClusterFirstWithHostNet');
    assert.equal(podSpec(render()).dnsPolicy, undefined);
  });

  test('tolerations=[] (as in a Go values file) renders none, as the Go chart did', () => {
    assert.equal(podSpec(render({ setJson: ['tolerations=[]'] })).tolerations, undefined);
  });

  test('rbac.install=false: no ServiceAccount or RBAC, the DaemonSet still names its account', () => {
    const objects = render({ set: ['rbac.install=false', 'rbac.serviceAccountName=byo-sa'] });
    assert.deepEqual(objects.map((o) => o.kind), ['DaemonSet']);
    assert.equal(podSpec(objects).serviceAccountName, 'byo-sa');
  });

  test('podLabels cannot break the selector', () => {
    const objects = render({ set: ['podLabels.app=other'] });
    assert.equal(ds(objects).spec.template.metadata.labels.app, ds(objects).spec.selector.matchLabels.app);
  });

  test('nodeSelector cannot drop the Linux constraint', () => {
    const objects = render({ set: ['nodeSelector.kubernetes\\.io/os=windows'] });
    assert.deepEqual(podSpec(objects).nodeSelector, { 'kubernetes.io/os': 'linux' });
  });

  test('release namespace is used', () => {
    const objects = render({ namespace: 'secrets' });
    assert.equal(ds(objects).metadata.namespace, 'secrets');
    assert.equal(only(objects, 'ServiceAccount').metadata.namespace, 'secrets');
    assert.equal(only(objects, 'ClusterRoleBinding').subjects[0].namespace, 'secrets');
  });
});

describe('values.schema.json: typos and wrong types are refused, every Go chart value is accepted', () => {
  const schema = JSON.parse(readFileSync(join(chartDir, 'values.schema.json'), 'utf8')) as K8sObject;

  const refused: [string, RenderOptions, RegExp][] = [
    ['a misspelt top-level value', { set: ['awsRegoin=us-east-1'] }, /additional properties 'awsRegoin' not allowed/],
    ['a misspelt nested value', { set: ['metrics.serviceMonitor.enabeld=true'] }, /at '\/metrics\/serviceMonitor': additional properties 'enabeld' not allowed/],
    ['a misspelt image value', { set: ['image.pulPolicy=Always'] }, /at '\/image': additional properties 'pulPolicy' not allowed/],
    ['a string for a boolean', { setString: ['driverWritesSecrets=yes'] }, /at '\/driverWritesSecrets': got string, want boolean/],
    ['a string for the port', { setString: ['port=http'] }, /at '\/port': got string, want integer/],
    ['a port out of range', { set: ['port=70000'] }, /at '\/port'/],
    ['an unknown pull policy', { set: ['image.pullPolicy=Sometimes'] }, /at '\/image\/pullPolicy'/],
    ['an unknown dnsPolicy', { set: ['dnsPolicy=ClusterLast'] }, /at '\/dnsPolicy'/],
    ['a non-numeric qps', { setJson: ['k8sThrottlingParams={"qps": "fast"}'] }, /at '\/k8sThrottlingParams\/qps'/],
    ['a misspelt resources key', { setJson: ['resources={"limts": {"cpu": "1"}}'] }, /at '\/resources': additional properties 'limts' not allowed/],
    ['a bad scrape interval', { set: ['metrics.podMonitor.interval=30 seconds'] }, /at '\/metrics\/podMonitor\/interval'/],
    ['an unknown alert to disable', { set: ['prometheusRule.disabledAlerts[0]=AscpNope'] }, /at '\/prometheusRule\/disabledAlerts\/0'/],
    ['a ratio above 1', { set: ['prometheusRule.thresholds.memoryLimitRatio=90'] }, /at '\/prometheusRule\/thresholds\/memoryLimitRatio'/],
  ];
  for (const [what, opts, message] of refused) {
    test(`helm template refuses ${what}`, () => {
      assert.match(renderError(opts), message);
    });
  }

  test('helm lint refuses a typo and a wrong type too', () => {
    for (const set of [['awsRegoin=us-east-1'], ['prometheusRule.enabled=maybe']]) {
      const result = spawnSync(requireHelm(), ['lint', stagedChart(), ...valueArgs({ setString: set })], { encoding: 'utf8', env: helmEnv() });
      assert.notEqual(result.status, 0, `helm lint accepted ${set.join(' ')}`);
      assert.match(result.stdout + result.stderr, /values don't meet the specifications of the schema/);
    }
  });

  test("the Go chart's values render: its defaults file, its overrides, its README's --set-json strings, a null timeout", () => {
    assert.ok(render({ valuesFiles: [goDefaultsFile], set: ourImage }).length > 0);
    assert.ok(render({ valuesFiles: [goOverridesFile] }).length > 0);
    assert.ok(render({ setJson: ['k8sThrottlingParams={"qps": "20", "burst": "40"}', 'podIdentityHttpTimeout=null'] }).length > 0);
    assert.ok(render({ set: ['global.imageRegistry=example.com'] }).length > 0, "helm's global values");
    assert.ok(render({ set: ['secrets-store-csi-driver.logVerbosity=5'] }).length > 0, 'driver chart values pass through');
  });

  test('every value in values.yaml is declared in the schema (and nothing else at the top level)', () => {
    const declared = (path: string[]): boolean => {
      let node: K8sObject | undefined = schema;
      for (const key of path) {
        if (!node) return false;
        if (node.properties?.[key]) node = node.properties[key];
        else if (node.additionalProperties === false) return false;
        else return true; // an open map (labels, Kubernetes objects, driver values)
      }
      return true;
    };
    for (const path of keyPaths(valuesYaml)) assert.ok(declared(path.split('.')), `values.yaml's ${path} is not in values.schema.json`);
    assert.deepEqual(Object.keys(schema.properties).filter((k) => k !== 'global').sort(), Object.keys(valuesYaml).sort());
    assert.equal(schema.additionalProperties, false);
  });
});

describe('monitoring objects (off by default)', () => {
  const kindsOf = (objects: K8sObject[]) => objects.map((o) => o.kind).sort();

  test('defaults render none of them, and no scrape annotations', () => {
    const objects = render();
    assert.deepEqual(kindsOf(objects), ['ClusterRole', 'ClusterRoleBinding', 'DaemonSet', 'ServiceAccount']);
    assert.equal(ds(objects).spec.template.metadata.annotations, undefined);
  });

  test('serviceMonitor: a headless metrics Service selecting the provider pods, and a ServiceMonitor selecting it', () => {
    const objects = render({ set: ['metrics.serviceMonitor.enabled=true', 'metrics.serviceMonitor.labels.release=kps', 'metrics.serviceMonitor.interval=15s'] });
    assert.deepEqual(kindsOf(objects), ['ClusterRole', 'ClusterRoleBinding', 'DaemonSet', 'Service', 'ServiceAccount', 'ServiceMonitor']);
    const service = only(objects, 'Service');
    const monitor = only(objects, 'ServiceMonitor');
    assert.equal(service.spec.clusterIP, 'None');
    assert.deepEqual(service.spec.selector, ds(objects).spec.selector.matchLabels);
    assert.deepEqual(service.spec.ports, [{ name: 'metrics', port: 8989, targetPort: 'metrics', protocol: 'TCP' }]);
    assert.equal(providerContainer(ds(objects)).ports[0].name, 'metrics');
    for (const [k, v] of Object.entries(monitor.spec.selector.matchLabels as Record<string, string>)) assert.equal(service.metadata.labels[k], v, `Service lacks ${k}`);
    assert.deepEqual(monitor.spec.namespaceSelector, { matchNames: ['kube-system'] });
    assert.deepEqual(monitor.spec.endpoints, [{ port: 'metrics', path: '/metrics', scheme: 'http', honorLabels: true, interval: '15s', scrapeTimeout: '10s' }]);
    assert.equal(monitor.metadata.labels.release, 'kps');
  });

  test('podMonitor: selects the provider pods by their selector label, no Service needed', () => {
    const objects = render({ set: ['metrics.podMonitor.enabled=true', 'port=9100'] });
    assert.deepEqual(kindsOf(objects), ['ClusterRole', 'ClusterRoleBinding', 'DaemonSet', 'PodMonitor', 'ServiceAccount']);
    const monitor = only(objects, 'PodMonitor');
    assert.deepEqual(monitor.spec.selector.matchLabels, ds(objects).spec.selector.matchLabels);
    assert.deepEqual(monitor.spec.podMetricsEndpoints, [{ port: 'metrics', path: '/metrics', scheme: 'http', honorLabels: true, interval: '30s', scrapeTimeout: '10s' }]);
  });

  test('scrapeAnnotations: prometheus.io annotations naming the port, beside podAnnotations', () => {
    const objects = render({ set: ['metrics.scrapeAnnotations=true', 'port=9100', 'podAnnotations.team=x'] });
    assert.deepEqual(ds(objects).spec.template.metadata.annotations, {
      team: 'x', 'prometheus.io/scrape': 'true', 'prometheus.io/port': '9100', 'prometheus.io/path': '/metrics',
    });
  });

  test('monitor labels cannot replace the chart labels a selector depends on', () => {
    const objects = render({ set: ['metrics.service.enabled=true', 'metrics.service.labels.app=other', 'metrics.service.labels.extra=yes'] });
    const service = only(objects, 'Service');
    assert.equal(service.metadata.labels.app, goChartName);
    assert.equal(service.metadata.labels.extra, 'yes');
  });

  test('prometheusRule: thresholds, disabled alerts, alert labels and runbook links follow the values', () => {
    const objects = render({
      set: [
        'prometheusRule.enabled=true', 'prometheusRule.thresholds.mountLatencyP99Seconds=42', 'prometheusRule.disabledAlerts[0]=AscpFailoverActive',
        'prometheusRule.alertLabels.team=platform', 'prometheusRule.runbookUrl=https://git.example.com/ascp/docs/operating.md',
      ],
      namespace: 'secrets',
    });
    const rules = (only(objects, 'PrometheusRule').spec.groups as K8sObject[]).flatMap((g) => g.rules as K8sObject[]);
    const byName = Object.fromEntries(rules.map((r) => [r.alert, r]));
    assert.equal(byName.AscpFailoverActive, undefined);
    assert.match(byName.AscpMountLatencyHigh.expr, /> 42$/);
    for (const r of rules) {
      assert.equal(r.labels.team, 'platform');
      assert.equal(r.annotations.runbook_url, `https://git.example.com/ascp/docs/operating.md#${r.alert.toLowerCase()}`);
    }
    // kube-state-metrics and cAdvisor series are selected by the release namespace and the container name.
    assert.match(byName.AscpProviderRestarting.expr, /kube_pod_container_status_restarts_total\{namespace="secrets", container="provider-aws-installer"\}/);
    assert.equal(providerContainer(ds(objects)).name, 'provider-aws-installer');
  });

  test('the runbook anchors exist: docs/operating.md has a heading per alert, the README links them', () => {
    const operating = readFileSync(join(repoRoot, 'docs', 'operating.md'), 'utf8');
    const readme = readFileSync(join(repoRoot, 'README.md'), 'utf8');
    const rules = (only(render({ set: ['prometheusRule.enabled=true'] }), 'PrometheusRule').spec.groups as K8sObject[]).flatMap((g) => g.rules as K8sObject[]);
    for (const r of rules) {
      assert.match(operating, new RegExp(`^### ${r.alert}$`, 'm'), `docs/operating.md has no section for ${r.alert}`);
      // The section quotes the expression as rendered (whitespace collapsed, the namespace a placeholder).
      const expr = String(r.expr).replace(/\s+/g, ' ').trim().replace(/\( /g, '(').replace(/ \)/g, ')').replaceAll('namespace="kube-system"', 'namespace="<release namespace>"');
      const section = operating.slice(operating.indexOf(`### ${r.alert}\n`)).split(/\n### /)[0]!;
      assert.ok(section.includes(`\`${expr}\``), `docs/operating.md's ${r.alert} section does not quote its expression:\n${expr}`);
      assert.ok(readme.includes(`docs/operating.md#${r.alert.toLowerCase()}`), `README's alert runbook does not link ${r.alert}`);
    }
  });

  test('dashboard: a ConfigMap with the sidecar label, in the namespace asked for', () => {
    const objects = render({ set: ['dashboard.enabled=true', 'dashboard.namespace=monitoring', 'dashboard.annotations.grafana_folder=Secrets'] });
    const configMap = only(objects, 'ConfigMap');
    assert.equal(configMap.metadata.namespace, 'monitoring');
    assert.equal(configMap.metadata.labels.grafana_dashboard, '1');
    assert.equal(configMap.metadata.annotations.grafana_folder, 'Secrets');
    assert.deepEqual(JSON.parse(configMap.data['ascp.json']), JSON.parse(readFileSync(join(chartDir, 'dashboards', 'ascp.json'), 'utf8')));
  });

  test('every value set: all monitoring objects, with their labels and commonLabels', () => {
    const objects = render({ valuesFiles: [allValuesFile] });
    assert.deepEqual(kindsOf(objects), ['ClusterRole', 'ClusterRoleBinding', 'ConfigMap', 'DaemonSet', 'PodMonitor', 'PrometheusRule', 'Service', 'ServiceAccount', 'ServiceMonitor']);
    for (const kind of ['ServiceMonitor', 'PodMonitor', 'PrometheusRule']) assert.equal(only(objects, kind).metadata.labels.release, 'kube-prometheus-stack');
    assert.equal(only(objects, 'Service').metadata.labels.tier, 'metrics');
    assert.equal(only(objects, 'ServiceMonitor').spec.endpoints[0].metricRelabelings[0].action, 'drop');
    const rules = (only(objects, 'PrometheusRule').spec.groups as K8sObject[]).flatMap((g) => g.rules as K8sObject[]);
    assert.ok(rules.some((r) => r.record === 'ascp:mounts:rate5m'), 'extraRules appended');
    assert.ok(!rules.some((r) => r.alert === 'AscpFailoverActive'));
  });
});
