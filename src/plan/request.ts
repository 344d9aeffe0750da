// MountRequest -> MountPlan, pure. The checks run in the Go provider's order so
// the first failing check decides the error (docs/parity.md lists the order). Region lookup from
// the node is the only step that may need I/O; the caller does it between
// parseMountRequest and planMount.
import { RequestError } from '../errors.js';
import { parseGoBool } from '../config.js';
import { MAX_ATTRIBUTES_BYTES, MAX_TOKEN_BYTES } from '../limits.js';
import { parseAssumeRole, type AssumeRolePlan } from './assume-role.js';
import { parseObjects, type ObjectPlan, type ObjectsContext } from './objects.js';
import { checkRegionName } from './regions.js';

export const ATTR = {
  podName: 'csi.storage.k8s.io/pod.name',
  podNamespace: 'csi.storage.k8s.io/pod.namespace',
  podUid: 'csi.storage.k8s.io/pod.uid',
  serviceAccount: 'csi.storage.k8s.io/serviceAccount.name',
  tokens: 'csi.storage.k8s.io/serviceAccount.tokens',
  region: 'region',
  failoverRegion: 'failoverRegion',
  pathTranslation: 'pathTranslation',
  usePodIdentity: 'usePodIdentity',
  preferredAddressType: 'preferredAddressType',
  objects: 'objects',
} as const;

export const IRSA_AUDIENCE = 'sts.amazonaws.com';
export const POD_IDENTITY_AUDIENCE = 'pods.eks.amazonaws.com';

/** The fields of a v1alpha1.MountRequest we read (as decoded by proto-loader). */
export interface MountRequestMessage {
  attributes?: string;
  target_path?: string;
  permission?: string;
}

export interface PodInfo {
  name: string;
  namespace: string;
  uid: string;
  serviceAccount: string;
}

export interface PodToken {
  token: string;
  /** Epoch ms, when the driver told us. */
  expiresAt?: number;
}

export interface ParsedRequest {
  targetPath: string;
  attributes: Readonly<Record<string, string>>;
  pod: PodInfo;
  tokens: ReadonlyMap<string, PodToken>;
  defaultMode: number;
}

export interface Regions {
  primary: string;
  failover?: string;
}

export type AddressPreference = 'ipv4' | 'ipv6' | 'auto';

export type AuthPlan =
  | { mode: 'irsa'; token: PodToken; namespace: string; serviceAccount: string }
  | { mode: 'pod-identity'; token: PodToken; addressPreference: AddressPreference };

export interface MountPlan {
  pod: PodInfo;
  targetPath: string;
  regions: Regions;
  auth: AuthPlan;
  objects: ObjectPlan[];
  /** A role to assume with the pod's credentials (assumeRoleArn), when the SecretProviderClass names one. */
  assumeRole?: AssumeRolePlan;
}


/** Checks 1-4 of docs/parity.md: target path, attributes, tokens, permission. */
export function parseMountRequest(req: MountRequestMessage): ParsedRequest {
  const targetPath = req.target_path ?? '';
  if (targetPath === '') throw new RequestError('Missing mount path');
  if (!targetPath.startsWith('/') || targetPath.includes('\0')) {
    throw new RequestError('target_path must be an absolute path');
  }

  const attributes = parseAttributes(req.attributes ?? '');
  const pod: PodInfo = {
    name: attributes[ATTR.podName] ?? '',
    namespace: attributes[ATTR.podNamespace] ?? '',
    uid: attributes[ATTR.podUid] ?? '',
    serviceAccount: attributes[ATTR.serviceAccount] ?? '',
  };
  const tokens = parseTokens(attributes[ATTR.tokens]);
  const defaultMode = parsePermission(req.permission ?? '');
  return { targetPath, attributes, pod, tokens, defaultMode };
}

function parseAttributes(text: string): Record<string, string> {
  if (Buffer.byteLength(text) > MAX_ATTRIBUTES_BYTES) {
    throw new RequestError(`attributes are larger than ${MAX_ATTRIBUTES_BYTES} bytes`);
  }
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (err) {
    throw new RequestError(`failed to parse attributes as JSON: ${(err as Error).message}`);
  }
  if (value === null || typeof value !== 'object' || Array.isArray(value)) {
    throw new RequestError('attributes must be a JSON object of strings');
  }
  const out: Record<string, string> = Object.create(null);
  for (const [key, v] of Object.entries(value)) {
    if (typeof v !== 'string') throw new RequestError(`attribute "${key}" must be a string`);
    out[key] = v;
  }
  return out;
}

function parseTokens(text: string | undefined): Map<string, PodToken> {
  const hint = 'the CSIDriver secrets-store.csi.k8s.io must set tokenRequests for audiences sts.amazonaws.com and pods.eks.amazonaws.com';
  if (text === undefined || text === '') {
    throw new RequestError(`attribute ${ATTR.tokens} is missing: ${hint}`);
  }
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    // The parser's message may quote the token: keep it out.
    throw new RequestError(`attribute ${ATTR.tokens} is not valid JSON`);
  }
  if (value === null || typeof value !== 'object' || Array.isArray(value)) {
    throw new RequestError(`attribute ${ATTR.tokens} must be a JSON object keyed by audience`);
  }
  const tokens = new Map<string, PodToken>();
  for (const [audience, entry] of Object.entries(value)) {
    const where = `attribute ${ATTR.tokens}, audience "${audience.slice(0, 100)}"`;
    if (entry === null || typeof entry !== 'object' || Array.isArray(entry)) {
      throw new RequestError(`${where}: must be an object with "token" and "expirationTimestamp"`);
    }
    const { token, expirationTimestamp } = entry as Record<string, unknown>;
    if (typeof token !== 'string' || token === '') throw new RequestError(`${where}: "token" must be a non-empty string`);
    if (token.length > MAX_TOKEN_BYTES || !/^[\x21-\x7e]+$/.test(token)) {
      throw new RequestError(`${where}: "token" is not a well-formed service account token`);
    }
    let expiresAt: number | undefined;
    if (expirationTimestamp !== undefined && expirationTimestamp !== '') {
      expiresAt = typeof expirationTimestamp === 'string' ? Date.parse(expirationTimestamp) : NaN;
      if (!Number.isFinite(expiresAt)) throw new RequestError(`${where}: "expirationTimestamp" must be an RFC 3339 time`);
    }
    tokens.set(audience, { token, ...(expiresAt !== undefined && { expiresAt }) });
  }
  return tokens;
}

/**
 * The driver sends the default mode as a decimal JSON number ("420" = 0644); like the Go
 * provider we read it as JSON, so surrounding JSON whitespace is accepted. Setuid, setgid
 * and sticky bits are refused: the provider writes root-owned files.
 */
function parsePermission(text: string): number {
  const number = text.replace(/^[ \t\r\n]+|[ \t\r\n]+$/g, '');
  if (!/^(0|[1-9]\d{0,9})$/.test(number) || Number(number) > 0xffffffff) {
    throw new RequestError(`failed to parse permission "${text.slice(0, 20)}": expected a decimal file mode such as "420" (0644)`);
  }
  const mode = Number(number);
  if (mode > 0o777) {
    throw new RequestError(`permission ${mode} (${mode.toString(8).padStart(4, '0')}) sets setuid, setgid, sticky or unknown bits, which secret files must not have`);
  }
  return mode;
}

/** The primary region when the request or environment gives it; undefined means "ask the node". */
/**
 * The primary region, in the one order every caller uses: the SecretProviderClass's region,
 * then the caller's fallbacks (the server: AWS_REGION; `mount`: --region, then AWS_REGION).
 * Undefined means "ask the node" (the server looks up its topology.kubernetes.io/region label).
 */
export function primaryRegion(attributes: Readonly<Record<string, string>>, ...fallbacks: Array<string | undefined>): string | undefined {
  return [attributes[ATTR.region], ...fallbacks].find((r) => r) || undefined;
}

/** Check 5 (regions), once the primary region is known. */
export function resolveRegions(attributes: Readonly<Record<string, string>>, primary: string): Regions {
  checkRegionName(primary, 'region');
  const failover = attributes[ATTR.failoverRegion] || undefined;
  if (failover === undefined) return { primary };
  checkRegionName(failover, 'failoverRegion');
  if (failover === primary) {
    throw new RequestError(`failoverRegion ${failover} cannot be the same as the primary region`);
  }
  return { primary, failover };
}

export { checkRegionName };

/** Checks 6-9: auth mode, the pod's token, (ours) the role to assume, pathTranslation, objects. */
export function planMount(
  parsed: ParsedRequest,
  regions: Regions,
  parse: (text: string | undefined, ctx: ObjectsContext) => ObjectPlan[] = parseObjects,
): MountPlan {
  const { attributes, pod } = parsed;

  const usePodIdentity = parseUsePodIdentity(attributes[ATTR.usePodIdentity]);

  const auth = planAuth(parsed, usePodIdentity, attributes[ATTR.preferredAddressType] ?? '');
  const assumeRole = parseAssumeRole(attributes);
  const translation = parsePathTranslation(attributes[ATTR.pathTranslation]);
  const objects = parse(attributes[ATTR.objects], {
    primaryRegion: regions.primary,
    ...(regions.failover && { failoverRegion: regions.failover }),
    translation,
    defaultMode: parsed.defaultMode,
  });
  return { pod, targetPath: parsed.targetPath, regions, auth, objects, ...(assumeRole && { assumeRole }) };
}

function planAuth(parsed: ParsedRequest, usePodIdentity: boolean, preferredAddressType: string): AuthPlan {
  const audience = usePodIdentity ? POD_IDENTITY_AUDIENCE : IRSA_AUDIENCE;
  const token = parsed.tokens.get(audience);
  if (!token) {
    throw new RequestError(
      `no service account token for audience ${audience} in ${ATTR.tokens}: add it to the tokenRequests of the CSIDriver secrets-store.csi.k8s.io`,
    );
  }
  if (usePodIdentity) {
    const preference = preferredAddressType.toLowerCase();
    return {
      mode: 'pod-identity',
      token,
      addressPreference: preference === 'ipv4' || preference === 'ipv6' ? preference : 'auto',
    };
  }
  const { namespace, serviceAccount } = parsed.pod;
  if (!namespace || !serviceAccount) {
    throw new RequestError(`attributes ${ATTR.podNamespace} and ${ATTR.serviceAccount} are required to find the pod's IAM role`);
  }
  return { mode: 'irsa', token, namespace, serviceAccount };
}

/** Absent or empty: false (IRSA); otherwise Go's boolean spellings. */
export function parseUsePodIdentity(value: string | undefined): boolean {
  const text = value ?? '';
  const usePodIdentity = text === '' ? false : parseGoBool(text);
  if (usePodIdentity === undefined) {
    throw new RequestError(`failed to parse usePodIdentity value "${text.slice(0, 40)}": use "true" or "false"`);
  }
  return usePodIdentity;
}

/** Absent: "_"; "False" in any case: no translation; else exactly one character. */
export function parsePathTranslation(value: string | undefined): string | undefined {
  if (value === undefined || value === '') return '_';
  if (value.toLowerCase() === 'false') return undefined;
  if ([...value].length !== 1 || value === '/' || value === '\0') {
    throw new RequestError(`pathTranslation "${value.slice(0, 20)}" must be either "False" or a single character other than "/"`);
  }
  return value;
}
