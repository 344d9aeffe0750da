// Keeps the chart's monitoring honest (charts/.../templates/prometheusrule.yaml, dashboards/ascp.json,
// the ServiceMonitor and PodMonitor):
//   - every series and label the alert rules and the dashboard's queries use exists in a real /metrics
//     scrape of the provider after real mounts against moto (successes, a failed first mount, a failed
//     remount, a failover, throttling, a credential error, both auth modes). The expressions are parsed by
//     Prometheus' own PromQL parser (test/monitoring, a Go program built here); no list of names is kept by
//     hand. Series from kube-state-metrics and cAdvisor are not ours: they are accepted by the prefixes in
//     EXTERNAL_SERIES_PREFIXES, and the labels Prometheus adds from the scrape target by TARGET_LABELS;
//   - the rules pass `promtool check rules`, and `promtool test rules` shows each alert firing on its
//     condition (test/fixtures/alert-rules.promtool-test.yaml);
//   - the rendered ServiceMonitor, PodMonitor and PrometheusRule are valid against the Prometheus Operator's
//     CRD schemas (from its Go module, downloaded through the Go module proxy).
// Needs Go, helm (scripts/install-helm.sh) and promtool (scripts/install-promtool.sh); without them these
// tests fail, never skip.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { accessSync, constants, copyFileSync, existsSync, readFileSync, writeFileSync } from 'node:fs';
import { spawnSync } from 'node:child_process';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { stringify } from 'yaml';
import { chartDir, render, repoRoot, scratchDir, type K8sObject } from './helm-render.js';
import { GO_TEST_ENV } from './harness/paths.js';
import { createPod, createSecret, mountRequest, objectsYaml, putParameter, startE2E, targetDir, type E2E } from './e2e/fixture.js';

/** Series not exported by the provider, by name prefix, with who exports them. */
export const EXTERNAL_SERIES_PREFIXES: Record<string, string> = {
  kube_: 'kube-state-metrics',
  container_: 'cAdvisor (the kubelet)',
};
/**
 * Labels Prometheus attaches to every series from its scrape target (ServiceMonitor and PodMonitor
 * discovery: namespace, pod, container, service, endpoint; job and instance always). The provider's own
 * series must not carry them (Prometheus would rename ours to exported_<name>), except those in
 * HONOURED_LABELS.
 */
export const TARGET_LABELS: ReadonlySet<string> = new Set(['namespace', 'pod', 'container', 'service', 'endpoint', 'job', 'instance']);
/**
 * Target labels the provider's series do carry: `service` (the AWS service of ascp_aws_*), kept because
 * the chart's monitors set honorLabels (a ServiceMonitor's target label `service` would rename it).
 */
export const HONOURED_LABELS: ReadonlySet<string> = new Set(['service']);
/** Grafana's variables in the dashboard's queries, and what each stands for when the query is parsed. */
const GRAFANA_VARIABLES: Record<string, string> = {
  $__rate_interval: '1m',
  $__range: '6h',
  $namespace: 'kube-system',
  $pod: '.*',
};
/** The alerts the chart promises (README "Alert runbook", docs/operating.md). */
const ALERTS = [
  'AscpMountsFailing', 'AscpRemountsFailing', 'AscpAwsThrottling', 'AscpFailoverActive', 'AscpCredentialErrors',
  'AscpMountLatencyHigh', 'AscpMountsQueued', 'AscpProviderNotReady', 'AscpProviderRestarting',
  'AscpProviderOOMKilled', 'AscpMemoryNearLimit',
];
/** The Prometheus Operator module whose example/ holds its CRDs (the newest the module proxy serves). */
const OPERATOR = { module: 'github.com/prometheus-operator/prometheus-operator', version: 'v0.85.0', crds: 'example/prometheus-operator-crd' };

const MONITORING_DIR = join(repoRoot, 'test', 'monitoring');
const GO_TIMEOUT_MS = 15 * 60_000;
const promtoolPath = process.env.PROMTOOL || join(repoRoot, '.tools', 'bin', 'promtool');

type ScrapedSeries = Record<string, Record<string, string[]>>;
interface Selector { metric: string; matchers: { name: string; type: string; value: string }[] }
interface LabelUse { label: string; clause: string; metrics: string[] }
interface ExprFacts { id: string; error?: string; selectors: Selector[]; labels: LabelUse[] }

function run(command: string, args: string[], options: { cwd?: string; input?: string; env?: Record<string, string>; timeoutMs?: number } = {}) {
  const result = spawnSync(command, args, {
    cwd: options.cwd,
    input: options.input,
    encoding: 'utf8',
    env: { ...process.env, ...options.env },
    timeout: options.timeoutMs ?? 60_000,
    maxBuffer: 64 * 1024 * 1024,
  });
  if (result.error) throw result.error;
  return { code: result.status, stdout: result.stdout, stderr: result.stderr };
}

function requirePromtool(): string {
  try {
    accessSync(promtoolPath, constants.X_OK);
  } catch {
    throw new Error(`promtool is missing at ${promtoolPath}: run \`bash scripts/install-promtool.sh\` first (it builds promtool with go install)`);
  }
  return promtoolPath;
}

let helper: string | undefined;
/** Builds test/monitoring once (go build; the module graph is shared with promtool's in .build/go). */
function monitoringCheck(command: string[], input: string): unknown {
  if (!helper) {
    const out = join(scratchDir('monitoring-check-'), 'monitoring-check');
    const built = run('go', ['build', '-o', out, '.'], { cwd: MONITORING_DIR, env: GO_TEST_ENV, timeoutMs: GO_TIMEOUT_MS });
    assert.equal(built.code, 0, `go build of test/monitoring failed:\n${built.stdout}\n${built.stderr}`);
    helper = out;
  }
  const result = run(helper, command, { input });
  assert.equal(result.code, 0, `monitoring-check ${command.join(' ')} failed:\n${result.stderr}`);
  return JSON.parse(result.stdout);
}

function parseExpressions(exprs: { id: string; expr: string }[]): ExprFacts[] {
  return monitoringCheck(['selectors'], JSON.stringify(exprs)) as ExprFacts[];
}

let crdDirectory: string | undefined;
/** The Prometheus Operator's CRDs, from its module (go mod download, cached in .build/go/mod). */
function operatorCrds(): string {
  if (!crdDirectory) {
    const result = run('go', ['mod', 'download', '-json', `${OPERATOR.module}@${OPERATOR.version}`], {
      cwd: scratchDir('operator-module-'),
      env: GO_TEST_ENV,
      timeoutMs: GO_TIMEOUT_MS,
    });
    const info = JSON.parse(result.stdout || '{}') as { Dir?: string; Error?: string };
    assert.ok(info.Dir, `go mod download ${OPERATOR.module}@${OPERATOR.version} failed: ${info.Error ?? result.stderr}`);
    crdDirectory = join(info.Dir, OPERATOR.crds);
    assert.ok(existsSync(join(crdDirectory, 'monitoring.coreos.com_servicemonitors.yaml')), `no CRDs in ${crdDirectory}`);
  }
  return crdDirectory;
}

function validateAgainstCrds(objects: K8sObject[]): { kind: string; name: string; errors: string[] }[] {
  return monitoringCheck(['crd', operatorCrds()], JSON.stringify(objects)) as { kind: string; name: string; errors: string[] }[];
}

// ---- what the chart renders with every monitoring value on ----

const monitoringValues = [
  'metrics.serviceMonitor.enabled=true',
  'metrics.podMonitor.enabled=true',
  'prometheusRule.enabled=true',
  'dashboard.enabled=true',
];
const rendered = render({ set: monitoringValues });
const ruleObject = rendered.find((o) => o.kind === 'PrometheusRule')!;
const rules: K8sObject[] = (ruleObject?.spec?.groups ?? []).flatMap((g: K8sObject) => g.rules);
const dashboardText = readFileSync(join(chartDir, 'dashboards', 'ascp.json'), 'utf8');
const dashboard = JSON.parse(dashboardText) as K8sObject;

/** Every PromQL query of the dashboard (panel targets and query variables), Grafana variables replaced. */
function dashboardQueries(): { id: string; expr: string; label?: string }[] {
  const out: { id: string; expr: string; label?: string }[] = [];
  const substitute = (id: string, text: string) => {
    let expr = text;
    for (const [name, value] of Object.entries(GRAFANA_VARIABLES).sort((a, b) => b[0].length - a[0].length)) expr = expr.split(name).join(value);
    assert.doesNotMatch(expr, /\$/, `${id}: a Grafana variable the test does not know: ${text}`);
    return expr;
  };
  const panels = (dashboard.panels as K8sObject[]).flatMap((p) => [p, ...((p.panels as K8sObject[] | undefined) ?? [])]);
  for (const panel of panels) {
    for (const target of (panel.targets as K8sObject[] | undefined) ?? []) {
      const id = `panel "${panel.title}" ${target.refId}`;
      out.push({ id, expr: substitute(id, target.expr) });
    }
  }
  for (const variable of dashboard.templating.list as K8sObject[]) {
    if (variable.type !== 'query') continue;
    const id = `variable ${variable.name}`;
    const query = typeof variable.query === 'string' ? variable.query : variable.query.query;
    const m = /^label_values\((.+),\s*([a-zA-Z_][a-zA-Z0-9_]*)\)$/.exec(query);
    assert.ok(m, `${id}: only label_values(selector, label) queries are expected, got ${query}`);
    out.push({ id, expr: substitute(id, m[1]!), label: m[2]! });
  }
  return out;
}

/** Problems with the series and labels an expression uses, against the scrape. */
function problems(facts: ExprFacts, scraped: ScrapedSeries, extraLabel?: string): string[] {
  const out: string[] = [];
  if (facts.error) return [`${facts.id}: not valid PromQL: ${facts.error}`];
  const external = (metric: string) => Object.keys(EXTERNAL_SERIES_PREFIXES).some((p) => metric.startsWith(p));
  const hasLabel = (metric: string, label: string) => TARGET_LABELS.has(label) || (external(metric) ? true : label in (scraped[metric] ?? {}));
  if (facts.selectors.length === 0) out.push(`${facts.id}: selects no series`);
  for (const s of facts.selectors) {
    if (external(s.metric)) continue;
    if (!s.metric.startsWith('ascp_')) out.push(`${facts.id}: ${s.metric} is neither the provider's (ascp_) nor an external series (${Object.keys(EXTERNAL_SERIES_PREFIXES).join(', ')})`);
    const labels = scraped[s.metric];
    if (!labels) {
      out.push(`${facts.id}: ${s.metric} is not in the provider's /metrics`);
      continue;
    }
    for (const m of s.matchers) {
      if (TARGET_LABELS.has(m.name)) continue;
      if (!(m.name in labels)) out.push(`${facts.id}: ${s.metric} has no label ${m.name}`);
      // An exact value of one of our labels must be one the provider really produced in the scrape.
      else if (m.type === '=' && !labels[m.name]!.includes(m.value)) out.push(`${facts.id}: ${s.metric}{${m.name}="${m.value}"} never appeared (seen: ${labels[m.name]!.join(', ')})`);
    }
  }
  for (const use of facts.labels) {
    if (!use.metrics.some((metric) => hasLabel(metric, use.label))) out.push(`${facts.id}: ${use.clause} (${use.label}): none of ${[...new Set(use.metrics)].join(', ')} has that label`);
  }
  if (extraLabel && !facts.selectors.some((s) => hasLabel(s.metric, extraLabel))) out.push(`${facts.id}: label_values of ${extraLabel}, which its series lack`);
  return out;
}

// ---- a real scrape after real mounts ----

async function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const srv = createServer().listen(0, '127.0.0.1', () => {
      const { port } = srv.address() as { port: number };
      srv.close(() => resolve(port));
    });
  });
}

/** Runs every kind of mount whose metrics the rules and the dashboard read; returns the /metrics text. */
async function scrapeAfterMounts(e2e: E2E, metricsUrl: string): Promise<string> {
  const { env, provider } = e2e;
  await createSecret(env, 'us-east-1', 'ops/db', JSON.stringify({ user: 'u' }));
  await createSecret(env, 'us-west-2', 'ops/db', JSON.stringify({ user: 'u-west' }));
  await putParameter(env, 'us-east-1', '/ops/param', 'p');
  await putParameter(env, 'us-west-2', '/ops/param', 'p-west');
  const objects = objectsYaml([
    { objectName: 'ops/db', objectType: 'secretsmanager', jmesPath: [{ path: 'user', objectAlias: 'user' }] },
    { objectName: '/ops/param', objectType: 'ssmparameter' },
  ]);
  const both = { region: 'us-east-1', failoverRegion: 'us-west-2', objects };
  const pod = createPod(env);
  // IRSA: credentials fetched, then (same token) from the cache.
  const first = mountRequest(env, { pod, parameters: both });
  await provider.client.mount(first);
  await provider.client.mount({ ...first, target_path: targetDir() });
  // No region in the class: the node's region label (Kubernetes pod and node reads).
  await provider.client.mount(mountRequest(env, { pod: createPod(env), parameters: { objects } }));
  // Pod Identity.
  await provider.client.mount(mountRequest(env, { pod: createPod(env), parameters: { ...both, usePodIdentity: 'true' } }));
  // Throttled once (retried), and a failover: the primary region's Secrets Manager answers 503.
  env.proxy.setFault({ region: 'us-east-1', service: 'ssm', fault: { kind: 'throttle' }, times: 1 });
  env.proxy.setFault({ region: 'us-east-1', service: 'secretsmanager', fault: { kind: 'status', status: 503 } });
  await provider.client.mount(mountRequest(env, { pod, parameters: both }));
  env.proxy.clearFaults();
  // A failed first mount (NOT_FOUND): the target holds nothing, so it is not a remount failure.
  await assert.rejects(provider.client.mount(mountRequest(env, { pod, parameters: { region: 'us-east-1', objects: objectsYaml([{ objectName: 'ops/absent', objectType: 'secretsmanager' }]) } })));
  // A failed remount: the target keeps the first mount's files.
  const target = targetDir();
  await provider.client.mount(mountRequest(env, { pod, target, parameters: both }));
  env.proxy.setFault({ service: 'secretsmanager', fault: { kind: 'accessDenied' } });
  await assert.rejects(provider.client.mount(mountRequest(env, { pod, target, parameters: both })));
  env.proxy.clearFaults();
  // A credential error: STS refuses a service account it has not seen.
  env.proxy.setFault({ service: 'sts', fault: { kind: 'accessDenied' } });
  await assert.rejects(provider.client.mount(mountRequest(env, { pod: createPod(env), parameters: both })));
  env.proxy.clearFaults();

  // /metrics is rendered at most once a second: read until it shows the last mount.
  const deadline = Date.now() + 10_000;
  for (;;) {
    const text = await (await fetch(`${metricsUrl}/metrics`)).text();
    if (/^ascp_credential_requests_total\{[^}]*source="error"[^}]*\} 1$/m.test(text)) return text;
    assert.ok(Date.now() < deadline, `the scrape never showed the last mount:\n${text}`);
    await new Promise((r) => setTimeout(r, 200));
  }
}

describe('monitoring: alert rules, dashboard and monitors against a real scrape and real parsers', { timeout: GO_TIMEOUT_MS + 300_000 }, () => {
  let scrapeText = '';
  let scraped: ScrapedSeries = {};
  let e2e: E2E | undefined;

  before(async () => {
    const port = await freePort();
    e2e = await startE2E({ metricsAddr: `127.0.0.1:${port}` });
    try {
      scrapeText = await scrapeAfterMounts(e2e, `http://127.0.0.1:${port}`);
    } finally {
      await e2e.env.stop();
    }
    scraped = monitoringCheck(['scrape'], scrapeText) as ScrapedSeries;
  });
  after(async () => {
    await e2e?.env.stop().catch(() => undefined);
  });

  test('the scrape holds what the mounts did, and the remount failure counts only the failed remount', () => {
    const lines = (name: string, labels: Record<string, string> = {}) =>
      scrapeText.split('\n').filter((l) => l.startsWith(`${name}{`) && Object.entries(labels).every(([k, v]) => l.includes(`${k}="${v}"`)));
    // One failed remount (PERMISSION_DENIED, pod namespace "shop"); the failed first mount (NOT_FOUND) and
    // the credential error left nothing in their targets, so they are not counted.
    assert.deepEqual(scraped.ascp_remount_failures_total?.pod_namespace, ['shop']);
    assert.deepEqual(scraped.ascp_remount_failures_total?.grpc_code, ['PERMISSION_DENIED']);
    assert.deepEqual(lines('ascp_remount_failures_total').map((l) => l.split(' ').pop()), ['1']);
    assert.equal(lines('ascp_mounts_total', { result: 'error', grpc_code: 'NOT_FOUND' }).length, 1);
    assert.equal(lines('ascp_failovers_total', { service: 'secretsmanager' }).length, 1);
    assert.equal(lines('ascp_aws_requests_total', { outcome: 'throttled' }).length, 1);
    assert.equal(lines('ascp_credential_requests_total', { auth_mode: 'pod-identity' }).length, 1);
    assert.ok(lines('ascp_kubernetes_requests_total', { resource: 'nodes' }).length >= 1);
  });

  test("the provider's series carry no label that Prometheus takes from the target, except those the monitors honour", () => {
    for (const [name, labels] of Object.entries(scraped)) {
      for (const label of Object.keys(labels)) {
        assert.ok(!TARGET_LABELS.has(label) || HONOURED_LABELS.has(label), `${name} carries ${label}, which a scrape renames to exported_${label}`);
      }
    }
    assert.ok(Object.values(scraped).some((labels) => 'service' in labels), 'HONOURED_LABELS names a label no series carries: drop it');
    for (const monitor of rendered.filter((o) => o.kind === 'ServiceMonitor' || o.kind === 'PodMonitor')) {
      const endpoints = (monitor.spec.endpoints ?? monitor.spec.podMetricsEndpoints) as K8sObject[];
      for (const e of endpoints) assert.equal(e.honorLabels, true, `${monitor.kind} must honour the provider's labels`);
    }
  });

  test('the parser and the checks can fail: a bad expression, an unknown series and an unknown label are reported', () => {
    const facts = parseExpressions([
      { id: 'bad', expr: 'sum by (le (rate(ascp_mounts_total[5m]))' },
      { id: 'unknown', expr: 'rate(ascp_mountz_total[5m])' },
      { id: 'label', expr: 'sum by (tenant) (rate(ascp_mounts_total{result="failed"}[5m]))' },
    ]);
    assert.match(problems(facts[0]!, scraped).join('\n'), /bad: not valid PromQL/);
    assert.match(problems(facts[1]!, scraped).join('\n'), /ascp_mountz_total is not in the provider's \/metrics/);
    const labelProblems = problems(facts[2]!, scraped).join('\n');
    assert.match(labelProblems, /by \(tenant\)/);
    assert.match(labelProblems, /result="failed"\} never appeared/);
  });

  describe('alert rules (PrometheusRule)', () => {
    test('every promised alert is rendered, with a summary, a description and a severity', () => {
      assert.deepEqual(rules.map((r) => r.alert).sort(), [...ALERTS].sort());
      for (const r of rules) {
        assert.ok(r.annotations?.summary, `${r.alert} has no summary`);
        assert.ok(String(r.annotations?.description ?? '').length > 100, `${r.alert}'s description does not say what to check`);
        assert.match(r.labels?.severity ?? '', /^(warning|critical)$/);
      }
    });

    test('promtool check rules accepts them', () => {
      const dir = scratchDir('rules-');
      writeFileSync(join(dir, 'rules.yaml'), stringify(ruleObject.spec));
      const result = run(requirePromtool(), ['check', 'rules', join(dir, 'rules.yaml')]);
      assert.equal(result.code, 0, `${result.stdout}\n${result.stderr}`);
      assert.match(result.stdout, new RegExp(`SUCCESS: ${ALERTS.length} rules found`));
    });

    test('promtool check rules rejects a broken rule (the check can fail)', () => {
      const dir = scratchDir('rules-bad-');
      const broken = { groups: [{ name: 'g', rules: [{ alert: 'Broken', expr: 'sum by (le (ascp_mounts_total)' }] }] };
      writeFileSync(join(dir, 'rules.yaml'), stringify(broken));
      assert.notEqual(run(requirePromtool(), ['check', 'rules', join(dir, 'rules.yaml')]).code, 0);
    });

    test('promtool test rules: each alert fires on its condition and not beside it', () => {
      const dir = scratchDir('rules-test-');
      // promtool compares annotations word for word: keep the summaries, whose templates name the labels.
      const spec = structuredClone(ruleObject.spec) as K8sObject;
      for (const group of spec.groups) for (const r of group.rules) r.annotations = { summary: r.annotations.summary };
      writeFileSync(join(dir, 'rules.yaml'), stringify(spec));
      copyFileSync(join(repoRoot, 'test', 'fixtures', 'alert-rules.promtool-test.yaml'), join(dir, 'alerts.test.yaml'));
      const result = run(requirePromtool(), ['test', 'rules', join(dir, 'alerts.test.yaml')]);
      assert.equal(result.code, 0, `${result.stdout}\n${result.stderr}`);
      const fixture = readFileSync(join(repoRoot, 'test', 'fixtures', 'alert-rules.promtool-test.yaml'), 'utf8');
      for (const alert of ALERTS) assert.match(fixture, new RegExp(`alertname: ${alert}\\n`), `no promtool test for ${alert}`);
    });

    test('every series and label the rules use exists in a real scrape (external series by prefix)', () => {
      const facts = parseExpressions(rules.map((r) => ({ id: r.alert, expr: r.expr })));
      assert.deepEqual(facts.flatMap((f) => problems(f, scraped)), []);
      const external = facts.flatMap((f) => f.selectors.map((s) => s.metric)).filter((m) => !m.startsWith('ascp_'));
      assert.ok(external.length > 0, 'the restart, OOM, readiness and memory alerts read kube-state-metrics and cAdvisor series');
    });

    test('every provider metric named in an alert description exists in the scrape', () => {
      for (const r of rules) {
        for (const name of String(r.annotations.description).match(/\bascp_[a-z_]+/g) ?? []) {
          assert.ok(name in scraped || `${name}_bucket` in scraped, `${r.alert}'s description names ${name}, which the provider does not export`);
        }
      }
    });
  });

  describe('dashboard (dashboards/ascp.json)', () => {
    test('every series and label its queries use exists in a real scrape (external series by prefix)', () => {
      const queries = dashboardQueries();
      assert.ok(queries.length >= 20, `only ${queries.length} queries`);
      const facts = parseExpressions(queries.map(({ id, expr }) => ({ id, expr })));
      assert.deepEqual(facts.flatMap((f, i) => problems(f, scraped, queries[i]!.label)), []);
    });

    test('it shows what operators need: mounts, latency, AWS calls, failovers, credentials, queue, memory and CPU against limits', () => {
      const used = new Set(parseExpressions(dashboardQueries()).flatMap((f) => f.selectors.map((s) => s.metric)));
      for (const metric of [
        'ascp_mounts_total', 'ascp_mount_duration_seconds_bucket', 'ascp_aws_requests_total', 'ascp_failovers_total',
        'ascp_credential_requests_total', 'ascp_mounts_in_flight', 'ascp_mounts_queued', 'ascp_remount_failures_total',
        'container_memory_working_set_bytes', 'container_cpu_usage_seconds_total', 'kube_pod_container_resource_limits',
      ]) assert.ok(used.has(metric), `the dashboard does not use ${metric}`);
    });

    test('well-formed: unique panel ids, a Prometheus datasource variable on every query, panels within 24 columns', () => {
      const panels = dashboard.panels as K8sObject[];
      const ids = panels.map((p) => p.id);
      assert.equal(new Set(ids).size, ids.length);
      for (const p of panels) {
        assert.ok(p.gridPos.x + p.gridPos.w <= 24, `panel "${p.title}" overflows the grid`);
        if (p.type === 'row') continue;
        assert.equal(p.datasource?.uid, '${datasource}', `panel "${p.title}"`);
        for (const t of p.targets) assert.equal(t.datasource?.uid, '${datasource}', `panel "${p.title}" ${t.refId}`);
      }
      assert.equal(dashboard.templating.list[0].type, 'datasource');
      assert.equal(dashboard.templating.list[0].query, 'prometheus');
    });

    test('the ConfigMap ships the file as it is in the repository, with the sidecar label', () => {
      const configMap = rendered.find((o) => o.kind === 'ConfigMap')!;
      assert.equal(configMap.metadata.labels.grafana_dashboard, '1');
      assert.deepEqual(JSON.parse(configMap.data['ascp.json']), dashboard);
    });
  });

  describe('Prometheus Operator objects against its CRD schemas', () => {
    test(`the rendered ServiceMonitor, PodMonitor and PrometheusRule are valid (CRDs of ${OPERATOR.module} ${OPERATOR.version})`, () => {
      const objects = rendered.filter((o) => String(o.apiVersion).startsWith('monitoring.coreos.com/'));
      assert.deepEqual(objects.map((o) => o.kind).sort(), ['PodMonitor', 'PrometheusRule', 'ServiceMonitor']);
      assert.deepEqual(validateAgainstCrds(objects).filter((r) => r.errors.length), []);
    });

    test('with every monitoring value set (test/fixtures/chart-values-all.yaml) they are still valid', () => {
      const objects = render({ valuesFiles: [join(repoRoot, 'test', 'fixtures', 'chart-values-all.yaml')] }).filter((o) => String(o.apiVersion).startsWith('monitoring.coreos.com/'));
      assert.equal(objects.length, 3);
      assert.deepEqual(validateAgainstCrds(objects).filter((r) => r.errors.length), []);
    });

    test('the validator rejects an unknown field, a bad enum and a bad duration (the check can fail)', () => {
      const monitor = structuredClone(rendered.find((o) => o.kind === 'ServiceMonitor')!);
      monitor.spec.endpoints[0].intervall = '30s';
      monitor.spec.endpoints[0].scheme = 'ftp';
      const rule = structuredClone(ruleObject);
      rule.spec.groups[0].rules[0].for = '10 minutes';
      const [m, r] = validateAgainstCrds([monitor, rule]);
      assert.match(m!.errors.join('\n'), /'intervall' not allowed/);
      assert.match(m!.errors.join('\n'), /scheme/);
      assert.match(r!.errors.join('\n'), /\/for/);
    });
  });
});
