// The Helm chart: lints, renders offline, and every value changes what it should.
// Needs helm from `bash scripts/install-helm.sh`; without it these tests fail (never skip).
import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse } from 'yaml';
import {
  chartDir,
  helm,
  only,
  providerContainer,
  render,
  repoRoot,
  requireHelm,
  stagedChart,
  valueArgs,
  type K8sObject,
} from './helm-render.js';
import { parseArgs } from '../src/config.js';

const allValuesFile = join(repoRoot, 'test', 'fixtures', 'chart-values-all.yaml');
const chartYaml = parse(readFileSync(join(chartDir, 'Chart.yaml'), 'utf8')) as K8sObject;
const valuesYaml = parse(readFileSync(join(chartDir, 'values.yaml'), 'utf8')) as K8sObject;

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

describe('helm', () => {
  test('helm is installed (run `bash scripts/install-helm.sh` if this fails)', () => {
    requireHelm();
    const version = execFileSync(requireHelm(), ['version', '--template', '{{.Version}}'], { encoding: 'utf8' });
    assert.match(version, /^v3\.\d+\.\d+$/, `expected helm v3, got ${version}`);
  });
});

describe('chart metadata', () => {
  test('Chart.yaml: apiVersion v2 with the driver chart as a conditional dependency', () => {
    assert.equal(chartYaml.apiVersion, 'v2');
    assert.equal(chartYaml.name, 'secrets-store-csi-driver-provider-aws');
    const deps = chartYaml.dependencies as K8sObject[];
    assert.equal(deps.length, 1);
    assert.equal(deps[0]!.name, 'secrets-store-csi-driver');
    assert.equal(deps[0]!.repository, 'https://kubernetes-sigs.github.io/secrets-store-csi-driver/charts');
    assert.equal(deps[0]!.condition, 'secrets-store-csi-driver.install');
    assert.match(String(deps[0]!.version), /1\.6/, 'driver v1.6.x is what the provider is built against');
  });

  test('values.yaml: the driver dependency is installed and requests tokens for both AWS audiences', () => {
    const driver = valuesYaml['secrets-store-csi-driver'];
    assert.equal(driver.install, true);
    assert.deepEqual(
      (driver.tokenRequests as K8sObject[]).map((t) => t.audience),
      ['sts.amazonaws.com', 'pods.eks.amazonaws.com'],
    );
    assert.equal(driver.syncSecret.enabled, false);
    assert.equal(driver.enableSecretRotation, false);
  });

  test('values.yaml has every value name of the Go provider chart', () => {
    for (const key of [
      'image', 'awsRegion', 'providerVolume', 'kubeletPath', 'driverWritesSecrets', 'k8sThrottlingParams',
      'eksAddonVersion', 'podIdentityHttpTimeout', 'useFipsEndpoint', 'resources', 'nodeSelector',
      'tolerations', 'affinity', 'priorityClassName', 'podLabels', 'podAnnotations', 'commonLabels',
      'imagePullSecrets', 'updateStrategy', 'dnsConfig', 'rbac', 'securityContext', 'nameOverride',
      'fullnameOverride', 'port', 'secrets-store-csi-driver',
    ]) {
      assert.ok(key in valuesYaml, `values.yaml lacks ${key}`);
    }
    for (const key of ['repository', 'tag', 'pullPolicy']) assert.ok(key in valuesYaml.image, `image.${key}`);
    assert.equal(valuesYaml.rbac.install, true);
  });

  test('no dependency archive or charts/ directory is committed', () => {
    const tracked = execFileSync('git', ['ls-files', '--', 'charts/secrets-store-csi-driver-provider-aws/charts'], {
      cwd: repoRoot,
      encoding: 'utf8',
    });
    assert.equal(tracked.trim(), '');
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
});

describe('default values', () => {
  const objects = render();

  test('renders exactly a ServiceAccount, ClusterRole, ClusterRoleBinding and DaemonSet', () => {
    assert.deepEqual(objects.map((o) => o.kind).sort(), [
      'ClusterRole',
      'ClusterRoleBinding',
      'DaemonSet',
      'ServiceAccount',
    ]);
    for (const o of objects) {
      if (o.kind === 'ServiceAccount' || o.kind === 'DaemonSet') assert.equal(o.metadata.namespace, 'kube-system');
    }
  });

  test('names and the selector match the Go chart, so a Go release upgrades in place', () => {
    const name = 'secrets-provider-aws-secrets-store-csi-driver-provider-aws';
    assert.equal(ds(objects).metadata.name, name);
    assert.deepEqual(ds(objects).spec.selector.matchLabels, { app: 'secrets-store-csi-driver-provider-aws' });
    assert.equal(only(objects, 'ServiceAccount').metadata.name, name);
    assert.equal(only(objects, 'ClusterRole').metadata.name, `${name}-cluster-role`);
    assert.equal(only(objects, 'ClusterRoleBinding').metadata.name, `${name}-cluster-role-binding`);
    const labels = ds(objects).spec.template.metadata.labels;
    assert.equal(labels.app, 'secrets-store-csi-driver-provider-aws');
  });

  test('container args: only the provider volume', () => {
    assert.deepEqual(args(objects), ['--provider-volume=/etc/kubernetes/secrets-store-csi-providers']);
  });

  test('no env without awsRegion / useFipsEndpoint', () => {
    assert.equal(env(objects), undefined);
  });

  test('RBAC: get serviceaccounts, pods, nodes; nothing else', () => {
    assert.deepEqual(rules(objects), ['nodes:get', 'pods:get', 'serviceaccounts:get']);
    const binding = only(objects, 'ClusterRoleBinding');
    const sa = only(objects, 'ServiceAccount');
    assert.deepEqual(binding.roleRef, {
      apiGroup: 'rbac.authorization.k8s.io',
      kind: 'ClusterRole',
      name: only(objects, 'ClusterRole').metadata.name,
    });
    assert.deepEqual(binding.subjects, [{ kind: 'ServiceAccount', name: sa.metadata.name, namespace: 'kube-system' }]);
    assert.equal(podSpec(objects).serviceAccountName, sa.metadata.name);
  });

  test('image: repository and the chart appVersion as tag', () => {
    const c = providerContainer(ds(objects));
    assert.equal(c.image, `${valuesYaml.image.repository}:${chartYaml.appVersion}`);
    assert.equal(c.imagePullPolicy, 'IfNotPresent');
  });

  test('resources: requests and limits 50m / 100Mi', () => {
    assert.deepEqual(providerContainer(ds(objects)).resources, {
      requests: { cpu: '50m', memory: '100Mi' },
      limits: { cpu: '50m', memory: '100Mi' },
    });
  });

  test('volumes: provider socket dir and kubelet pods dir with HostToContainer propagation', () => {
    assert.deepEqual(volumeFor(objects, 'providervol').hostPath, {
      path: '/etc/kubernetes/secrets-store-csi-providers',
      type: 'DirectoryOrCreate',
    });
    assert.equal(mountFor(objects, 'providervol').mountPath, '/etc/kubernetes/secrets-store-csi-providers');
    assert.equal(mountFor(objects, 'providervol').mountPropagation, undefined);
    assert.deepEqual(volumeFor(objects, 'mountpoint-dir').hostPath, {
      path: '/var/lib/kubelet/pods',
      type: 'DirectoryOrCreate',
    });
    assert.equal(mountFor(objects, 'mountpoint-dir').mountPath, '/var/lib/kubelet/pods');
    assert.equal(mountFor(objects, 'mountpoint-dir').mountPropagation, 'HostToContainer');
    assert.equal((podSpec(objects).volumes as K8sObject[]).length, 2);
  });

  test('scheduling: Linux only, not on Fargate, no tolerations or priority class', () => {
    const spec = podSpec(objects);
    assert.deepEqual(spec.nodeSelector, { 'kubernetes.io/os': 'linux' });
    assert.deepEqual(spec.affinity, {
      nodeAffinity: {
        requiredDuringSchedulingIgnoredDuringExecution: {
          nodeSelectorTerms: [
            { matchExpressions: [{ key: 'eks.amazonaws.com/compute-type', operator: 'NotIn', values: ['fargate'] }] },
          ],
        },
      },
    });
    for (const key of ['tolerations', 'priorityClassName', 'imagePullSecrets', 'dnsConfig']) {
      assert.equal(spec[key], undefined, `${key} should not be set by default`);
    }
    assert.equal(spec.hostNetwork, false);
    assert.equal(ds(objects).spec.template.metadata.annotations, undefined);
  });

  test('probes: liveness /healthz and readiness /readyz on the metrics port 8989', () => {
    const c = providerContainer(ds(objects));
    assert.deepEqual(c.ports, [{ name: 'metrics', containerPort: 8989, protocol: 'TCP' }]);
    assert.deepEqual(c.livenessProbe.httpGet, { path: '/healthz', port: 'metrics' });
    assert.deepEqual(c.readinessProbe.httpGet, { path: '/readyz', port: 'metrics' });
  });

  test('security: runs as root, unprivileged, read-only root filesystem', () => {
    const c = providerContainer(ds(objects));
    assert.deepEqual(c.securityContext, {
      privileged: false,
      allowPrivilegeEscalation: false,
      readOnlyRootFilesystem: true,
    });
    assert.equal(podSpec(objects).securityContext, undefined, 'no pod-level runAsNonRoot/runAsUser');
  });

  test('updateStrategy: RollingUpdate', () => {
    assert.deepEqual(ds(objects).spec.updateStrategy, { type: 'RollingUpdate' });
  });
});

describe('every value set (test/fixtures/chart-values-all.yaml)', () => {
  const objects = render({ valuesFiles: [allValuesFile] });

  test('container args: one flag per value', () => {
    assert.deepEqual(args(objects), [
      '--provider-volume=/var/run/secrets-store-csi-providers',
      '--driver-writes-secrets=true',
      '--qps=20',
      '--burst=40',
      '--eks-addon-version=v3.1.0-eksbuild.1',
      '--pod-identity-http-timeout=750ms',
      '--metrics-addr=:9090',
      '--log-level=debug',
      '--shutdown-timeout=20s',
    ]);
  });

  test('env: AWS_REGION from awsRegion, AWS_USE_FIPS_ENDPOINT from useFipsEndpoint', () => {
    assert.deepEqual(env(objects), { AWS_REGION: 'eu-west-3', AWS_USE_FIPS_ENDPOINT: 'true' });
  });

  test('RBAC: with awsRegion set, no pods/nodes access', () => {
    assert.deepEqual(rules(objects), ['serviceaccounts:get']);
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
    assert.equal(volumeFor(objects, 'providervol').hostPath.path, '/var/run/secrets-store-csi-providers');
    assert.equal(mountFor(objects, 'providervol').mountPath, '/var/run/secrets-store-csi-providers');
    assert.equal(volumeFor(objects, 'mountpoint-dir').hostPath.path, '/data/kubelet/pods');
    assert.equal(mountFor(objects, 'mountpoint-dir').mountPath, '/data/kubelet/pods');
    assert.equal(mountFor(objects, 'mountpoint-dir').mountPropagation, 'HostToContainer');
  });

  test('scheduling: nodeSelector, tolerations, affinity, priorityClassName, dnsConfig', () => {
    const spec = podSpec(objects);
    assert.deepEqual(spec.nodeSelector, { 'kubernetes.io/os': 'linux', 'node.kubernetes.io/pool': 'system' });
    assert.deepEqual(spec.tolerations, [{ key: 'CriticalAddonsOnly', operator: 'Exists' }]);
    assert.deepEqual(
      spec.affinity.nodeAffinity.requiredDuringSchedulingIgnoredDuringExecution.nodeSelectorTerms[0].matchExpressions,
      [{ key: 'kubernetes.io/arch', operator: 'In', values: ['arm64'] }],
    );
    assert.equal(spec.priorityClassName, 'system-node-critical');
    assert.deepEqual(spec.dnsConfig, { options: [{ name: 'ndots', value: '2' }] });
  });

  test('labels and annotations: podLabels, podAnnotations, commonLabels on every object', () => {
    const meta = ds(objects).spec.template.metadata;
    assert.equal(meta.labels.team, 'platform');
    assert.equal(meta.labels.app, 'ascp', 'selector label kept');
    assert.deepEqual(meta.annotations, { 'example.com/scrape': 'true' });
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
});

describe('single values, as Go-chart users pass them with --set', () => {
  test('awsRegion alone: AWS_REGION env and no pods/nodes rules', () => {
    const objects = render({ set: ['awsRegion=us-east-1'] });
    assert.deepEqual(env(objects), { AWS_REGION: 'us-east-1' });
    assert.deepEqual(rules(objects), ['serviceaccounts:get']);
    assert.deepEqual(args(objects), ['--provider-volume=/etc/kubernetes/secrets-store-csi-providers']);
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

  test('image.tag given as a number stays a string tag', () => {
    const c = providerContainer(ds(render({ set: ['image.tag=2'] })));
    assert.equal(c.image, `${valuesYaml.image.repository}:2`);
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
    assert.equal(only(objects, 'ClusterRoleBinding').subjects[0].namespace, 'secrets');
  });
});

describe("the provider's own flag parser accepts what the chart renders", () => {
  test('default args', () => {
    const parsed = parseArgs(args(render()));
    assert.equal(parsed.config.providerVolume, '/etc/kubernetes/secrets-store-csi-providers');
    assert.equal(parsed.config.driverWritesSecrets, false);
    assert.deepEqual(parsed.rest, []);
  });

  test('every Go-chart value that becomes a flag', () => {
    const rendered = args(
      render({
        set: [
          'providerVolume=/var/run/secrets-store-csi-providers',
          'driverWritesSecrets=true',
          'k8sThrottlingParams.qps=20',
          'k8sThrottlingParams.burst=40',
          'eksAddonVersion=v3.1.0-eksbuild.1',
          'podIdentityHttpTimeout=750ms',
        ],
      }),
    );
    const parsed = parseArgs(rendered);
    assert.deepEqual(parsed.warnings, []);
    assert.deepEqual(parsed.rest, []);
    assert.equal(parsed.config.providerVolume, '/var/run/secrets-store-csi-providers');
    assert.equal(parsed.config.driverWritesSecrets, true);
    assert.equal(parsed.config.qps, 20);
    assert.equal(parsed.config.burst, 40);
    assert.equal(parsed.config.eksAddonVersion, 'v3.1.0-eksbuild.1');
    assert.equal(parsed.config.podIdentityHttpTimeoutMs, 750);
  });
});
