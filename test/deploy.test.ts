// deploy/: the plain kubectl installer and the CSIDriver snippet parse, hold what they must, and the
// installer's DaemonSet matches what the Helm chart renders with its default values (so they cannot
// drift). The comparison needs helm from `bash scripts/install-helm.sh` (fails, never skips, without it).
import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse } from 'yaml';
import { chartDir, only, parseYamlDocuments, providerContainer, render, repoRoot, type K8sObject } from './helm-render.js';

const installer = parseYamlDocuments(readFileSync(join(repoRoot, 'deploy', 'aws-provider-installer.yaml'), 'utf8'));
const csiDriverDocs = parseYamlDocuments(
  readFileSync(join(repoRoot, 'deploy', 'csidriver-token-requests.yaml'), 'utf8'),
);
const chartYaml = parse(readFileSync(join(chartDir, 'Chart.yaml'), 'utf8')) as K8sObject;

function rules(objects: K8sObject[]): string[] {
  const out: string[] = [];
  for (const rule of only(objects, 'ClusterRole').rules as K8sObject[]) {
    for (const g of rule.apiGroups as string[])
      for (const r of rule.resources as string[]) for (const v of rule.verbs as string[]) out.push(`${g}/${r}:${v}`);
  }
  return out.sort();
}

describe('deploy/aws-provider-installer.yaml', () => {
  test('holds exactly a ServiceAccount, ClusterRole, ClusterRoleBinding and DaemonSet', () => {
    assert.deepEqual(installer.map((o) => o.kind).sort(), [
      'ClusterRole',
      'ClusterRoleBinding',
      'DaemonSet',
      'ServiceAccount',
    ]);
    for (const o of installer) {
      assert.equal(typeof o.apiVersion, 'string', `${o.kind} lacks apiVersion`);
      assert.ok(o.metadata?.name, `${o.kind} lacks a name`);
    }
  });

  test('namespaced objects live in kube-system', () => {
    assert.equal(only(installer, 'ServiceAccount').metadata.namespace, 'kube-system');
    assert.equal(only(installer, 'DaemonSet').metadata.namespace, 'kube-system');
  });

  test('RBAC: get serviceaccounts, pods and nodes (no region set), nothing else', () => {
    assert.deepEqual(rules(installer), ['/nodes:get', '/pods:get', '/serviceaccounts:get']);
  });

  test('the binding ties the ClusterRole to the DaemonSet ServiceAccount', () => {
    const sa = only(installer, 'ServiceAccount');
    const binding = only(installer, 'ClusterRoleBinding');
    const ds = only(installer, 'DaemonSet');
    assert.deepEqual(binding.roleRef, {
      apiGroup: 'rbac.authorization.k8s.io',
      kind: 'ClusterRole',
      name: only(installer, 'ClusterRole').metadata.name,
    });
    assert.deepEqual(binding.subjects, [
      { kind: 'ServiceAccount', name: sa.metadata.name, namespace: sa.metadata.namespace },
    ]);
    assert.equal(ds.spec.template.spec.serviceAccountName, sa.metadata.name);
  });

  test('names and the DaemonSet selector are the Go installer ones (in-place replacement)', () => {
    const ds = only(installer, 'DaemonSet');
    assert.equal(ds.metadata.name, 'csi-secrets-store-provider-aws');
    assert.deepEqual(ds.spec.selector.matchLabels, { app: 'csi-secrets-store-provider-aws' });
    assert.equal(ds.spec.template.metadata.labels.app, 'csi-secrets-store-provider-aws');
    assert.equal(only(installer, 'ClusterRole').metadata.name, 'csi-secrets-store-provider-aws-cluster-role');
  });

  test('args: the provider volume; no env (region from the node label)', () => {
    const c = providerContainer(only(installer, 'DaemonSet'));
    assert.deepEqual(c.args, ['--provider-volume=/etc/kubernetes/secrets-store-csi-providers']);
    assert.equal(c.env, undefined);
  });

  test('image tag is the chart appVersion', () => {
    const c = providerContainer(only(installer, 'DaemonSet'));
    assert.match(c.image, new RegExp(`:${String(chartYaml.appVersion).replace(/\./g, '\\.')}$`));
  });

  describe('matches the chart rendered with default values', () => {
    const chartObjects = render();
    const fromChart = only(chartObjects, 'DaemonSet');
    const fromDeploy = only(installer, 'DaemonSet');
    const chartContainer = providerContainer(fromChart);
    const deployContainer = providerContainer(fromDeploy);

    for (const field of [
      'name',
      'image',
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
      'affinity',
      'tolerations',
      'hostNetwork',
      'priorityClassName',
      'dnsConfig',
      'imagePullSecrets',
      'securityContext',
    ]) {
      test(`pod ${field}`, () => {
        assert.deepEqual(fromDeploy.spec.template.spec[field], fromChart.spec.template.spec[field]);
      });
    }

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
    assert.deepEqual(
      (spec.tokenRequests as K8sObject[]).map((t) => t.audience).sort(),
      ['pods.eks.amazonaws.com', 'sts.amazonaws.com'],
    );
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
