// Everything a Mount needs beyond the gRPC edge, built in one place: the AWS port,
// Kubernetes lookups, the credential resolver, the fetch coalescer, the parsed-objects
// memo and the metrics. main.ts imports this module only after the socket serves
// (it is a separate chunk of the bundle): start-up parses and runs just the edge, and a
// node that never mounts still answers Version and health checks at once.
import { AwsSdkPort } from './aws/sdk-port.js';
import { PodCredentialsResolver } from './auth/credentials.js';
import type { Config } from './config.js';
import { FetchCoalescer } from './fetch/fetch-objects.js';
import { connectEventWriter, EventPoster } from './kube/events.js';
import { connectCoreV1, KubeLookups } from './kube/lookups.js';
import { TokenBucket } from './kube/rate-limiter.js';
import { ProviderMetrics } from './metrics.js';
import { performMount, type MountDeps } from './mount.js';
import { ParsedObjectsMemo } from './plan/objects-memo.js';
import { RotationEvents } from './server/rotation-events.js';

/** AWS calls in flight at once for one mount. */
const FETCH_CONCURRENCY = 16;

export interface MountRuntime {
  deps: MountDeps;
  metrics: ProviderMetrics;
  performMount: typeof performMount;
  /** --emit-events: Warning events on pods whose remount (rotation) failed. */
  rotationEvents?: RotationEvents;
}

export function createMountRuntime(config: Config, appId: string): MountRuntime {
  const aws = new AwsSdkPort(appId);
  const kubeLimiter = new TokenBucket(config.qps, config.burst);
  const kube = new KubeLookups(() => connectCoreV1(config.kubeconfig), kubeLimiter);
  const credentials = new PodCredentialsResolver(aws, kube, {
    ipv4: config.podIdentityEndpointIpv4,
    ipv6: config.podIdentityEndpointIpv6,
    timeoutMs: config.podIdentityHttpTimeoutMs,
    waitMs: config.podIdentityAgentWaitMs,
  });
  return {
    metrics: new ProviderMetrics(),
    performMount,
    ...(config.emitEvents && { rotationEvents: new RotationEvents(new EventPoster(() => connectEventWriter(config.kubeconfig), kubeLimiter)) }),
    deps: {
      envRegion: process.env.AWS_REGION || undefined,
      kube,
      credentials,
      aws,
      driverWritesSecrets: config.driverWritesSecrets,
      fetchConcurrency: FETCH_CONCURRENCY,
      coalescer: new FetchCoalescer(),
      objectsMemo: new ParsedObjectsMemo(),
    },
  };
}
