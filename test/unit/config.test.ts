// Unit tests for Go-style flag parsing.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseArgs, parseGoDuration, UsageError, DEFAULT_POD_IDENTITY_TIMEOUT_MS } from '../../src/config.js';

test('defaults', () => {
  const { config } = parseArgs([]);
  assert.equal(config.providerVolume, '/var/run/secrets-store-csi-providers');
  assert.equal(config.driverWritesSecrets, false);
  assert.equal(config.qps, 5);
  assert.equal(config.burst, 10);
  assert.equal(config.podIdentityHttpTimeoutMs, DEFAULT_POD_IDENTITY_TIMEOUT_MS);
  assert.equal(config.podIdentityEndpointIpv4, 'http://169.254.170.23/v1/credentials');
  assert.equal(config.podIdentityEndpointIpv6, 'http://[fd00:ec2::23]/v1/credentials');
});

test('--flag=value, --flag value and -flag=value all work; bools need no value', () => {
  const { config } = parseArgs(['--provider-volume=/a', '-qps=7', '--burst', '20', '-driver-writes-secrets', '--eks-addon-version', 'v1.2.3-eksbuild.1']);
  assert.equal(config.providerVolume, '/a');
  assert.equal(config.qps, 7);
  assert.equal(config.burst, 20);
  assert.equal(config.driverWritesSecrets, true);
  assert.equal(config.eksAddonVersion, 'v1.2.3-eksbuild.1');
  assert.equal(parseArgs(['--driver-writes-secrets=false']).config.driverWritesSecrets, false);
});

test('unknown flags and bad values are errors', () => {
  assert.throws(() => parseArgs(['--nope']), UsageError);
  assert.throws(() => parseArgs(['--qps=fast']), UsageError);
  assert.throws(() => parseArgs(['--qps']), UsageError);
  assert.throws(() => parseArgs(['--driver-writes-secrets=maybe']), UsageError);
});

test('pod-identity-http-timeout: Go durations; invalid or non-positive are warned and ignored', () => {
  assert.equal(parseArgs(['--pod-identity-http-timeout=250ms']).config.podIdentityHttpTimeoutMs, 250);
  assert.equal(parseArgs(['--pod-identity-http-timeout=2s']).config.podIdentityHttpTimeoutMs, 2000);
  for (const bad of ['soon', '-1s', '0', '10']) {
    const r = parseArgs([`--pod-identity-http-timeout=${bad}`]);
    assert.equal(r.config.podIdentityHttpTimeoutMs, DEFAULT_POD_IDENTITY_TIMEOUT_MS);
    assert.equal(r.warnings.length, 1, bad);
  }
});

test('Go duration syntax', () => {
  assert.equal(parseGoDuration('1h2m3.5s'), 3_723_500);
  assert.equal(parseGoDuration('1500us'), 1.5);
  assert.equal(parseGoDuration('.5s'), 500);
  assert.equal(parseGoDuration(''), undefined);
  assert.equal(parseGoDuration('5'), undefined);
  assert.equal(parseGoDuration('5 s'), undefined);
});

test('-h, -help and --help ask for the usage text, as Go\'s flag package accepts; --version asks for the version', () => {
  for (const flag of ['-h', '--h', '-help', '--help']) assert.equal(parseArgs([flag]).help, true, flag);
  assert.equal(parseArgs([]).help, false);
  assert.equal(parseArgs(['--version']).version, true);
  assert.equal(parseArgs(['-version']).version, true);
  assert.equal(parseArgs([]).version, false);
});

test('start-up needs a Kubernetes configuration: a readable --kubeconfig, or the in-cluster one', async () => {
  const { kubernetesConfigProblem, IN_CLUSTER_CA, IN_CLUSTER_TOKEN } = await import('../../src/kube/config-check.js');
  const inCluster = { KUBERNETES_SERVICE_HOST: '10.0.0.1', KUBERNETES_SERVICE_PORT: '443' };
  const all = () => true;
  assert.equal(kubernetesConfigProblem('', inCluster, all), undefined);
  assert.equal(kubernetesConfigProblem('/etc/kubeconfig', {}, (p) => p === '/etc/kubeconfig'), undefined);
  assert.match(kubernetesConfigProblem('/nope', inCluster, (p) => p !== '/nope')!, /--kubeconfig \/nope cannot be read/);
  const outside = kubernetesConfigProblem('', {}, () => false)!;
  assert.match(outside, /no Kubernetes configuration: not running in a pod with a service account \(missing KUBERNETES_SERVICE_HOST, KUBERNETES_SERVICE_PORT, /);
  assert.match(outside, /pass --kubeconfig=PATH/);
  assert.match(kubernetesConfigProblem('', inCluster, (p) => p !== IN_CLUSTER_TOKEN)!, new RegExp(`missing ${IN_CLUSTER_TOKEN}\\)`));
  assert.match(kubernetesConfigProblem('', inCluster, (p) => p !== IN_CLUSTER_CA)!, /ca\.crt/);
});

test('pod-identity-agent-wait: a Go duration, 30s by default, 0 for one round; anything else is an error', () => {
  assert.equal(parseArgs([]).config.podIdentityAgentWaitMs, 30_000);
  assert.equal(parseArgs(['--pod-identity-agent-wait=2m']).config.podIdentityAgentWaitMs, 120_000);
  assert.equal(parseArgs(['--pod-identity-agent-wait=0']).config.podIdentityAgentWaitMs, 0);
  for (const bad of ['soon', '-1s', '10', '']) assert.throws(() => parseArgs([`--pod-identity-agent-wait=${bad}`]), UsageError, bad);
});
