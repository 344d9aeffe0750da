// Builds MountRequests exactly as the Secrets Store CSI driver (v1.6) does: the SecretProviderClass
// parameters, overlaid with kubelet's pod info and the service-account tokens (a JSON string inside the
// JSON), so tests exercise the provider's real parsing path. (docs/design.md describes what the driver sends).
import { randomBytes, randomUUID } from 'node:crypto';
import type { MountRequest } from './grpc-client.js';

export const AUDIENCE_STS = 'sts.amazonaws.com';
export const AUDIENCE_POD_IDENTITY = 'pods.eks.amazonaws.com';

export interface PodInfo {
  name: string;
  namespace: string;
  uid: string;
  serviceAccountName: string;
}

export interface TokenEntry {
  token: string;
  /** RFC 3339 */
  expirationTimestamp: string;
}

export interface AttributesOptions {
  /** SecretProviderClass spec.parameters, e.g. { objects: '...', region: 'us-west-2' }. */
  parameters: Record<string, string>;
  pod: PodInfo;
  /**
   * Token per audience. Default: a fresh JWT for both sts.amazonaws.com and pods.eks.amazonaws.com.
   * Pass an object to choose (an audience set to null is left out); pass null to omit the
   * serviceAccount.tokens key entirely (a CSIDriver without tokenRequests).
   */
  tokens?: Partial<Record<string, TokenEntry | string | null>> | null;
  /** Pod volume attributes, e.g. { secretProviderClass: 'my-spc' }; they overlay the parameters. */
  volumeAttributes?: Record<string, string>;
}

/** The `attributes` string of a MountRequest. */
export function buildAttributes(options: AttributesOptions): string {
  const { pod } = options;
  const attributes: Record<string, string> = {
    ...options.parameters,
    ...options.volumeAttributes,
    'csi.storage.k8s.io/pod.name': pod.name,
    'csi.storage.k8s.io/pod.namespace': pod.namespace,
    'csi.storage.k8s.io/pod.uid': pod.uid,
    'csi.storage.k8s.io/serviceAccount.name': pod.serviceAccountName,
    'csi.storage.k8s.io/ephemeral': 'false',
  };
  if (options.tokens !== null) {
    attributes['csi.storage.k8s.io/serviceAccount.tokens'] = JSON.stringify(
      buildTokens(pod, options.tokens ?? { [AUDIENCE_STS]: undefined, [AUDIENCE_POD_IDENTITY]: undefined }),
    );
  }
  return JSON.stringify(attributes);
}

function buildTokens(
  pod: PodInfo,
  tokens: Partial<Record<string, TokenEntry | string | null>>,
): Record<string, TokenEntry> {
  const out: Record<string, TokenEntry> = {};
  const expiry = new Date(Date.now() + 3600_000);
  for (const [audience, value] of Object.entries(tokens)) {
    if (value === null) continue;
    if (value === undefined) {
      out[audience] = { token: makePodToken(pod, { audience }), expirationTimestamp: rfc3339(expiry) };
    } else if (typeof value === 'string') {
      out[audience] = { token: value, expirationTimestamp: rfc3339(expiry) };
    } else {
      out[audience] = value;
    }
  }
  return out;
}

export interface MountRequestOptions extends AttributesOptions {
  /** Default: a kubelet-shaped path under /var/lib/kubelet/pods/<uid>/... (use a real temp dir to write files). */
  targetPath?: string;
  /** Default file mode as a decimal string; default "420" (0644). */
  permission?: string;
  /** nodePublishSecretRef data as JSON; default "{}". */
  secrets?: string;
}

/** The tokens inside an attributes string, by audience (to allow a generated token on the agent stub). */
export function readTokens(attributes: string): Record<string, TokenEntry> {
  const parsed = JSON.parse(attributes) as Record<string, string>;
  const raw = parsed['csi.storage.k8s.io/serviceAccount.tokens'];
  return raw === undefined ? {} : (JSON.parse(raw) as Record<string, TokenEntry>);
}

/** A whole MountRequest. */
export function buildMountRequest(options: MountRequestOptions): MountRequest {
  return {
    attributes: buildAttributes(options),
    secrets: options.secrets ?? '{}',
    target_path:
      options.targetPath ??
      `/var/lib/kubelet/pods/${options.pod.uid}/volumes/kubernetes.io~csi/secrets-store-inline/mount`,
    permission: options.permission ?? '420',
    current_object_version: [],
  };
}

/** Pod info with a fresh uid: makePod('default', 'app') -> { name: 'app', namespace: 'default', ... }. */
export function makePod(namespace: string, name: string, serviceAccountName = 'default'): PodInfo {
  return { namespace, name, uid: randomUUID(), serviceAccountName };
}

export interface TokenOptions {
  audience?: string;
  /** Seconds from now; default 3600. Negative for an expired token. */
  expiresInSec?: number;
  issuer?: string;
}

/**
 * A realistic-looking projected service-account token (header.payload.signature, base64url). The signature is
 * random bytes: nothing in the test path verifies it (moto does not; the agent stub matches the whole string).
 */
export function makePodToken(pod: PodInfo, options: TokenOptions = {}): string {
  const now = Math.floor(Date.now() / 1000);
  const header = { alg: 'RS256', kid: 'harness-key-1' };
  const payload = {
    aud: [options.audience ?? AUDIENCE_STS],
    exp: now + (options.expiresInSec ?? 3600),
    iat: now,
    iss: options.issuer ?? 'https://oidc.eks.us-west-2.amazonaws.com/id/EXAMPLED539D4633E53DE1B71EXAMPLE',
    jti: randomUUID(),
    'kubernetes.io': {
      namespace: pod.namespace,
      node: { name: 'ip-192-168-1-10.us-west-2.compute.internal', uid: randomUUID() },
      pod: { name: pod.name, uid: pod.uid },
      serviceaccount: { name: pod.serviceAccountName, uid: randomUUID() },
    },
    nbf: now,
    sub: `system:serviceaccount:${pod.namespace}:${pod.serviceAccountName}`,
  };
  return [b64url(JSON.stringify(header)), b64url(JSON.stringify(payload)), randomBytes(256).toString('base64url')].join('.');
}

function b64url(s: string): string {
  return Buffer.from(s, 'utf8').toString('base64url');
}

export function rfc3339(d: Date): string {
  return d.toISOString().replace(/\.\d{3}Z$/, 'Z');
}
