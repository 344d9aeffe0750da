// deploy/: the plain kubectl installers and the CSIDriver snippet. The installer must replace the Go
// provider's deployment/aws-provider-installer.yaml (3.1.1) in place, so its objects are compared fact by
// fact with that installer's, written out below by hand from reading it; where ours deliberately differs
// the difference is asserted and its reason given. The private-registry variant must be the same
// installer with only the image left to envsubst, and the installer's DaemonSet must match what the Helm
// chart renders with its default values (so they cannot drift). The chart comparison needs helm from
// `bash scripts/install-helm.sh` (fails, never skips, without it).
import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse } from 'yaml';
import { chartDir, only, parseYamlDocuments, providerContainer, render, repoRoot, type K8sObject } from './helm-render.js';
import { parseArgs } from '../src/config.js';

const installerText = readFileSync(join(repoRoot, 'deploy', 'aws-provider-installer.yaml'), 'utf8');
const privateText = readFileSync(join(repoRoot, 'deploy', 'private-installer.yaml'), 'utf8');
const installer = parseYamlDocuments(installerText);
const csiDriverDocs = parseYamlDocuments(readFileSync(join(repoRoot, 'deploy', 'csidriver-token-requests.yaml'), 'utf8'));

// ---- Facts about the Go provider's deployment/aws-provider-installer.yaml (3.1.1), by hand. ----
const goName = 'csi-secrets-store-provider-aws';
const goSocketDir = '/var/run/secrets-store-csi-providers';
const goInstaller = {
  serviceAccount: { name: goName, namespace: 'kube-system' },
  clusterRole: `${goName}-cluster-role`,
  // Note "rolebinding": the Go installer's spelling, unlike its chart's "role-binding".
  clusterRoleBinding: `${goName}-cluster-rolebinding`,
  rules: ['/nodes:get', '/pods:get', '/serviceaccounts:get'],
  daemonSet: {
    name: goName,
    namespace: 'kube-system',
    labels: { app: goName },
    selector: { app: goName },
    podLabels: { app: goName },
    serviceAccountName: goName,
    hostNetwork: false,
    updateStrategy: { type: 'RollingUpdate' },
    container: 'provider-aws-installer',
    imagePullPolicy: 'Always',
    args: [`--provider-volume=${goSocketDir}`],
    env: undefined,
    resources: { requests: { cpu: '50m', memory: '100Mi' }, limits: { cpu: '50m', memory: '100Mi' } },
    securityContext: { privileged: false, allowPrivilegeEscalation: false },
    hostPaths: { providervol: goSocketDir, 'mountpoint-dir': '/var/lib/kubelet/pods' },
    volumeMounts: {
      providervol: { mountPath: goSocketDir },
      'mountpoint-dir': { mountPath: '/var/lib/kubelet/pods', mountPropagation: 'HostToContainer' },
    },
    nodeSelector: { 'kubernetes.io/os': 'linux' },
    tolerations: [{ operator: 'Exists' }],
    affinity: undefined,
    priorityClassName: undefined,
    dnsPolicy: undefined,
  },
};

function rules(objects: K8sObject[]): string[] {
  const out: string[] = [];
  for (const rule of only(objects, 'ClusterRole').rules as K8sObject[]) {
    for (const g of rule.apiGroups as string[])
      for (const r of rule.resources as string[]) for (const v of rule.verbs as string[]) out.push(`${g}/${r}:${v}`);
  }
  return out.sort();
}

/** The DaemonSet facts compared with goInstaller.daemonSet. */
function daemonSetFacts(objects: K8sObject[]): Record<string, unknown> {
  const ds = only(objects, 'DaemonSet');
  const spec = ds.spec.template.spec;
  const c = providerContainer(ds);
  return {
    name: ds.metadata.name,
    namespace: ds.metadata.namespace,
    labels: ds.metadata.labels,
    selector: ds.spec.selector.matchLabels,
    podLabels: ds.spec.template.metadata.labels,
    serviceAccountName: spec.serviceAccountName,
    hostNetwork: spec.hostNetwork,
    updateStrategy: ds.spec.updateStrategy,
    container: c.name,
    imagePullPolicy: c.imagePullPolicy,
    args: c.args,
    env: c.env,
    resources: c.resources,
    securityContext: c.securityContext,
    hostPaths: Object.fromEntries((spec.volumes as K8sObject[]).map((v) => [v.name, v.hostPath.path])),
    volumeMounts: Object.fromEntries((c.volumeMounts as K8sObject[]).map(({ name, ...m }) => [name, m])),
    nodeSelector: spec.nodeSelector,
    tolerations: spec.tolerations,
    affinity: spec.affinity,
    priorityClassName: spec.priorityClassName,
    dnsPolicy: spec.dnsPolicy,
  };
}

describe('deploy/aws-provider-installer.yaml replaces the Go installer in place', () => {
  test('holds exactly a ServiceAccount, ClusterRole, ClusterRoleBinding and DaemonSet', () => {
    assert.deepEqual(installer.map((o) => o.kind).sort(), ['ClusterRole', 'ClusterRoleBinding', 'DaemonSet', 'ServiceAccount']);
    for (const o of installer) {
      assert.equal(typeof o.apiVersion, 'string', `${o.kind} lacks apiVersion`);
      assert.ok(o.metadata?.name, `${o.kind} lacks a name`);
    }
  });

  test("ServiceAccount, ClusterRole and ClusterRoleBinding: the Go installer's names and rules", () => {
    const sa = only(installer, 'ServiceAccount');
    assert.deepEqual({ name: sa.metadata.name, namespace: sa.metadata.namespace }, goInstaller.serviceAccount);
    assert.equal(only(installer, 'ClusterRole').metadata.name, goInstaller.clusterRole);
    assert.deepEqual(rules(installer), goInstaller.rules);
    const binding = only(installer, 'ClusterRoleBinding');
    assert.equal(binding.metadata.name, goInstaller.clusterRoleBinding);
    assert.deepEqual(binding.roleRef, { apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name: goInstaller.clusterRole });
    assert.deepEqual(binding.subjects, [{ kind: 'ServiceAccount', ...goInstaller.serviceAccount }]);
  });

  test("DaemonSet: every fact of the Go installer's, except the pull policy and container hardening", () => {
    assert.deepEqual(daemonSetFacts(installer), {
      ...goInstaller.daemonSet,
      // Deliberate: the image is one you built and tagged yourself; IfNotPresent (as the Go chart) keeps
      // node restarts independent of the registry.
      imagePullPolicy: 'IfNotPresent',
      // Deliberate: the provider writes nothing to its own filesystem.
      securityContext: { ...goInstaller.daemonSet.securityContext, readOnlyRootFilesystem: true },
    });
  });

  test('ours adds health probes on the metrics port and creates the socket directory if missing', () => {
    const ds = only(installer, 'DaemonSet');
    const c = providerContainer(ds);
    assert.deepEqual(c.ports, [{ name: 'metrics', containerPort: 8989, protocol: 'TCP' }]);
    assert.deepEqual(c.livenessProbe.httpGet, { path: '/healthz', port: 'metrics' });
    assert.deepEqual(c.readinessProbe.httpGet, { path: '/readyz', port: 'metrics' });
    const providervol = (ds.spec.template.spec.volumes as K8sObject[]).find((v) => v.name === 'providervol')!;
    assert.equal(providervol.hostPath.type, 'DirectoryOrCreate');
  });

  test("the socket directory is the provider binary's own default", () => {
    const c = providerContainer(only(installer, 'DaemonSet'));
    assert.equal(parseArgs(c.args).config.providerVolume, parseArgs([]).config.providerVolume);
  });

  test('the image is empty until the user sets it (the API server rejects an empty image, so nothing changes)', () => {
    assert.equal(providerContainer(only(installer, 'DaemonSet')).image, '');
    assert.match(installerText, /REQUIRED/);
  });
});

describe('deploy/private-installer.yaml', () => {
  const variables = [...privateText.split('\n').filter((l) => !/^\s*#/.test(l)).join('\n').matchAll(/\$\{?(\w+)/g)].map((m) => m[1]);

  test('its only variables are PRIVREPO and PRIVTAG (as in the Go private installer), in the image', () => {
    assert.deepEqual(variables.sort(), ['PRIVREPO', 'PRIVTAG']);
    const ds = only(parseYamlDocuments(privateText), 'DaemonSet');
    assert.equal(providerContainer(ds).image, '${PRIVREPO}:${PRIVTAG}');
  });

  test('after envsubst it is the installer with that image and nothing else changed', () => {
    const image = '123456789012.dkr.ecr.eu-west-1.amazonaws.com/ascp-ts:0.1.0';
    // What `envsubst '$PRIVREPO $PRIVTAG'` does to the file.
    const substituted = privateText
      .replaceAll('${PRIVREPO}', '123456789012.dkr.ecr.eu-west-1.amazonaws.com/ascp-ts')
      .replaceAll('${PRIVTAG}', '0.1.0');
    const objects = parseYamlDocuments(substituted);
    assert.equal(providerContainer(only(objects, 'DaemonSet')).image, image);
    const expected = parseYamlDocuments(installerText);
    providerContainer(only(expected, 'DaemonSet')).image = image;
    assert.deepEqual(objects, expected);
  });

  test('documents the envsubst command with the variable list and a guard for unset variables', () => {
    assert.match(privateText, /envsubst '\$PRIVREPO \$PRIVTAG' < deploy\/private-installer\.yaml \| kubectl apply -f -/);
    assert.match(privateText, /\$\{PRIVREPO:\?\}/);
  });
});

describe('the installer matches the chart rendered with default values', () => {
  const chartObjects = render();
  const fromChart = only(chartObjects, 'DaemonSet');
  const fromDeploy = only(installer, 'DaemonSet');
  const chartContainer = providerContainer(fromChart);
  const deployContainer = providerContainer(fromDeploy);

  for (const field of [
    'name',
    'imagePullPolicy',
    'args',
    'env',
    'ports',
    'livenessProbe',
    'readinessProbe',
    'resources',
    'securityContext',
    'volumeMounts',
  ]) {
    test(`container ${field}`, () => {
      assert.deepEqual(deployContainer[field], chartContainer[field]);
    });
  }

  for (const field of [
    'volumes',
    'nodeSelector',
    'tolerations',
    'hostNetwork',
    'priorityClassName',
    'dnsPolicy',
    'dnsConfig',
    'imagePullSecrets',
    'securityContext',
  ]) {
    test(`pod ${field}`, () => {
      assert.deepEqual(fromDeploy.spec.template.spec[field], fromChart.spec.template.spec[field]);
    });
  }

  test("affinity: each follows its Go counterpart (the chart the driver chart's placement, the installer none, as the driver's manifest)", () => {
    assert.equal(fromDeploy.spec.template.spec.affinity, undefined);
    const values = parse(readFileSync(join(chartDir, 'values.yaml'), 'utf8')) as K8sObject;
    assert.deepEqual(fromChart.spec.template.spec.affinity, values['secrets-store-csi-driver'].linux.affinity);
  });

  test('updateStrategy', () => {
    assert.deepEqual(fromDeploy.spec.updateStrategy, fromChart.spec.updateStrategy);
  });

  test('RBAC rules', () => {
    assert.deepEqual(rules(installer), rules(chartObjects));
  });

  test('the same kinds of objects', () => {
    assert.deepEqual(installer.map((o) => o.kind).sort(), chartObjects.map((o) => o.kind).sort());
  });
});

describe('deploy/csidriver-token-requests.yaml', () => {
  test('is one CSIDriver for secrets-store.csi.k8s.io', () => {
    assert.equal(csiDriverDocs.length, 1);
    const d = csiDriverDocs[0]!;
    assert.equal(d.apiVersion, 'storage.k8s.io/v1');
    assert.equal(d.kind, 'CSIDriver');
    assert.equal(d.metadata.name, 'secrets-store.csi.k8s.io');
  });

  test('requests tokens for the IRSA and Pod Identity audiences, and republish', () => {
    const spec = csiDriverDocs[0]!.spec;
    assert.deepEqual((spec.tokenRequests as K8sObject[]).map((t) => t.audience).sort(), ['pods.eks.amazonaws.com', 'sts.amazonaws.com']);
    assert.equal(spec.requiresRepublish, true);
  });

  test("keeps the driver's own immutable settings", () => {
    const spec = csiDriverDocs[0]!.spec;
    assert.equal(spec.attachRequired, false);
    assert.equal(spec.podInfoOnMount, true);
    assert.deepEqual(spec.volumeLifecycleModes, ['Ephemeral']);
  });

  test('the chart asks the driver chart for the same audiences', () => {
    const values = parse(readFileSync(join(chartDir, 'values.yaml'), 'utf8')) as K8sObject;
    assert.deepEqual(
      (values['secrets-store-csi-driver'].tokenRequests as K8sObject[]).map((t) => t.audience).sort(),
      (csiDriverDocs[0]!.spec.tokenRequests as K8sObject[]).map((t) => t.audience).sort(),
    );
  });
});
