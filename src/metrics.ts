// Prometheus metrics (prom-client), recorded at the gRPC edge from each mount's
// record (src/context.ts: every AWS attempt, credential lookup, Kubernetes read,
// failover and file). Every label has a bounded set of values:
// no secret, pod or object names. The registry belongs to this object, not to
// the process.
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';
import type { AttemptRecord, MountRecord } from './context.js';

/** Outcome label values of ascp_aws_requests_total (stable: dashboards and alerts use them). */
const OUTCOME_LABELS: Record<AttemptRecord['outcome'], string> = {
  ok: 'ok',
  client: 'client_error',
  throttled: 'throttled',
  server: 'server_error',
  network: 'network',
  aborted: 'cancelled',
};

const DURATION_BUCKETS = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120];
/** Distinct region label values we keep; a flood of made-up regions folds into "other". */
const MAX_REGION_LABELS = 40;
/**
 * Distinct namespaces ascp_remount_failures_total keeps (only namespaces with a failed remount get a
 * series); past that they fold into "other". A pod label would grow without bound as pods come and go.
 */
const MAX_NAMESPACE_LABELS = 200;
/** A Kubernetes namespace is a DNS label; anything else folds into "other". */
const NAMESPACE_PATTERN = /^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$/;

export class ProviderMetrics {
  readonly registry = new Registry();
  private readonly regions = new Set<string>();
  private readonly namespaces = new Set<string>();

  private readonly mounts = new Counter({ name: 'ascp_mounts_total', help: 'Mount requests by result and gRPC status code', labelNames: ['result', 'grpc_code'], registers: [this.registry] });
  private readonly mountDuration = new Histogram({ name: 'ascp_mount_duration_seconds', help: 'Mount duration, from request to response', labelNames: ['result'], buckets: DURATION_BUCKETS, registers: [this.registry] });
  private readonly inFlight = new Gauge({ name: 'ascp_mounts_in_flight', help: 'Mounts being served now', registers: [this.registry] });
  private readonly queued = new Gauge({ name: 'ascp_mounts_queued', help: 'Mounts waiting for a free slot', registers: [this.registry] });
  private readonly objects = new Counter({ name: 'ascp_objects_mounted_total', help: 'Files mounted (objects and jmesPath entries) by object type', labelNames: ['object_type'], registers: [this.registry] });
  private readonly bytes = new Counter({ name: 'ascp_mounted_bytes_total', help: 'Bytes of secret content mounted', registers: [this.registry] });
  private readonly awsRequests = new Counter({ name: 'ascp_aws_requests_total', help: 'AWS HTTP requests (each SDK attempt) by service, operation, region and outcome', labelNames: ['service', 'operation', 'region', 'outcome'], registers: [this.registry] });
  private readonly awsDuration = new Histogram({ name: 'ascp_aws_request_duration_seconds', help: 'AWS HTTP request duration', labelNames: ['service', 'operation', 'region'], buckets: DURATION_BUCKETS, registers: [this.registry] });
  private readonly failovers = new Counter({ name: 'ascp_failovers_total', help: 'Values mounted from the failover region because the primary failed', labelNames: ['service'], registers: [this.registry] });
  private readonly credentialLookups = new Counter({ name: 'ascp_credential_requests_total', help: 'Pod credential lookups by auth mode and source (cache hit, fetched from STS or the agent, error)', labelNames: ['auth_mode', 'source'], registers: [this.registry] });
  // pod_namespace, not namespace: Prometheus' target labels (namespace, pod) would rename a scraped
  // `namespace` label to exported_namespace.
  private readonly remountFailures = new Counter({ name: 'ascp_remount_failures_total', help: "Failed mounts whose target still held an earlier mount's files: the pod keeps that older content (kubelet does not report remount errors). By the pod's namespace and gRPC status code", labelNames: ['pod_namespace', 'grpc_code'], registers: [this.registry] });
  private readonly kubeRequests = new Counter({ name: 'ascp_kubernetes_requests_total', help: 'Kubernetes API reads by resource and outcome', labelNames: ['resource', 'outcome'], registers: [this.registry] });

  constructor() {
    this.registry.setDefaultLabels({ provider: 'aws', os_type: process.platform });
    collectDefaultMetrics({ register: this.registry, prefix: 'ascp_' });
  }

  mountStarted(): void {
    this.inFlight.inc();
  }

  mountQueued(delta: 1 | -1): void {
    this.queued.inc(delta);
  }

  /**
   * Everything a finished mount did, from its record (src/context.ts); grpcCode 'OK' for a success.
   * keptEarlierContent: it failed and its target still holds an earlier mount's files.
   */
  mountRecorded(record: MountRecord, grpcCode: string, seconds: number, keptEarlierContent = false): void {
    const result = grpcCode === 'OK' ? 'success' : 'error';
    this.inFlight.dec();
    this.mounts.inc({ result, grpc_code: grpcCode });
    if (keptEarlierContent && record.pod) this.remountFailures.inc({ pod_namespace: this.namespaceLabel(record.pod.namespace), grpc_code: grpcCode });
    this.mountDuration.observe({ result }, seconds);
    if (result === 'success') {
      for (const [objectType, n] of Object.entries(record.filesByType)) {
        this.objects.inc({ object_type: objectType }, n.files);
        this.bytes.inc(n.bytes);
      }
    }
    for (const a of record.attempts) {
      const region = this.regionLabel(a.region);
      this.awsRequests.inc({ service: a.service, operation: a.operation, region, outcome: OUTCOME_LABELS[a.outcome] });
      this.awsDuration.observe({ service: a.service, operation: a.operation, region }, a.seconds);
    }
    for (const service of record.failovers) this.failovers.inc({ service });
    if (record.credentials && record.authMode) this.credentialLookups.inc({ auth_mode: record.authMode, source: record.credentials });
    for (const k of record.kubernetesReads) this.kubeRequests.inc({ resource: k.resource, outcome: k.outcome });
  }

  private namespaceLabel(namespace: string): string {
    if (this.namespaces.has(namespace)) return namespace;
    if (this.namespaces.size >= MAX_NAMESPACE_LABELS || !NAMESPACE_PATTERN.test(namespace)) return 'other';
    this.namespaces.add(namespace);
    return namespace;
  }

  private regionLabel(region: string): string {
    if (this.regions.has(region)) return region;
    if (this.regions.size >= MAX_REGION_LABELS || !/^[a-z]{2}(-[a-z]+)+-\d{1,2}$/.test(region)) return 'other';
    this.regions.add(region);
    return region;
  }
}
