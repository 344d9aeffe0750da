// The pod's AWS credentials for a mount: IRSA or Pod Identity, cached per
// identity (role + token for IRSA, token for Pod Identity) until shortly
// before they expire, loaded once under concurrency; then, when the
// SecretProviderClass names assumeRoleArn, that role's session, cached the
// same way per (pod identity, role, external id, duration, session name).
// Cache keys are hashes: tokens are never stored as keys or logged.
import { createHash } from 'node:crypto';
import type { AwsPort, FetchedCredentials, PodCredentials } from '../aws/port.js';
import { ExpiringCache } from '../cache.js';
import type { MountContext } from '../context.js';
import { AwsRequestError } from '../errors.js';
import type { KubeLookups } from '../kube/lookups.js';
import type { AssumeRolePlan } from '../plan/assume-role.js';
import type { AuthPlan, Regions } from '../plan/request.js';
import { assumeRole } from './assume-role.js';
import { assumeRoleWithWebIdentity } from './irsa.js';
import { DEFAULT_AGENT_WAIT_MS, fetchPodIdentityCredentials, type PodIdentityEndpoints } from './pod-identity.js';

/** Stop using credentials this long before they expire. */
const REFRESH_MARGIN_MS = 5 * 60_000;
/** Upper bound for one shared credential load, whoever is waiting for it (longer while the agent may be starting). */
const LOAD_TIMEOUT_MS = 30_000;

export class PodCredentialsResolver {
  private readonly cache: ExpiringCache<PodCredentials>;

  constructor(
    private readonly port: AwsPort,
    private readonly kube: KubeLookups,
    private readonly podIdentity: PodIdentityEndpoints,
    maxIdentities = 2048,
    now: () => number = Date.now,
  ) {
    this.cache = new ExpiringCache<PodCredentials>(maxIdentities, now);
  }

  /**
   * The pod's credentials, or with `role` the session of that role assumed with them. Records
   * the source (cache, fetched, error) in the mount's record.
   */
  async resolve(auth: AuthPlan, regions: Regions, ctx: MountContext, role?: RoleToAssume): Promise<PodCredentials> {
    const own = await this.podIdentitySource(auth, regions, ctx);
    if (!role) return this.cached(own.identityKey, auth.token.expiresAt, ctx, own.load, own.loadTimeoutMs);
    // Keyed by the pod's identity and everything STS is asked: the pod's own credentials are
    // only loaded (or taken from the cache) when the role's session is not cached.
    const { plan, sessionName } = role;
    const identityKey = `assume-role:${hash(own.identityKey, plan.roleArn, plan.externalId ?? '', String(plan.durationSeconds ?? ''), sessionName)}`;
    const load = async (shared: AbortSignal) => {
      // Waited for under the shared signal: this load may outlive the mount that started it.
      const credentials = await this.cached(own.identityKey, auth.token.expiresAt, ctx, own.load, own.loadTimeoutMs, shared);
      return this.withRegionFallback('AssumeRole', regions, ctx, (region) =>
        assumeRole(this.port, plan, sessionName, credentials, { region, signal: shared, record: ctx.record }),
      );
    };
    return this.cached(identityKey, auth.token.expiresAt, ctx, load, own.loadTimeoutMs + LOAD_TIMEOUT_MS);
  }

  /** The cache key of the pod's own identity and how to load its credentials. */
  private async podIdentitySource(auth: AuthPlan, regions: Regions, ctx: MountContext) {
    if (auth.mode === 'irsa') {
      const roleArn = await this.kube.roleArn(auth.namespace, auth.serviceAccount, ctx);
      return {
        identityKey: `irsa:${hash(roleArn, auth.token.token)}`,
        loadTimeoutMs: LOAD_TIMEOUT_MS,
        load: (shared: AbortSignal) =>
          this.withRegionFallback('AssumeRoleWithWebIdentity', regions, ctx, (region) =>
            assumeRoleWithWebIdentity(this.port, roleArn, auth.token.token, { region, signal: shared, record: ctx.record }),
          ),
      };
    }
    // The agent may not be listening yet: its wait, plus one last round over both endpoints.
    const { waitMs = DEFAULT_AGENT_WAIT_MS, timeoutMs } = this.podIdentity;
    return {
      identityKey: `pod-identity:${hash(auth.token.token)}`,
      loadTimeoutMs: Math.max(LOAD_TIMEOUT_MS, waitMs + 2 * timeoutMs + 1_000),
      load: (shared: AbortSignal) =>
        fetchPodIdentityCredentials(this.port, this.podIdentity, auth.addressPreference, auth.token.token, regions.primary, shared, ctx),
    };
  }

  /**
   * The cached credentials of an identity, loaded once for all concurrent callers. The shared
   * load has its own time limit and ends early only when every mount waiting for it has gone.
   */
  private async cached(
    identityKey: string,
    tokenExpiresAt: number | undefined,
    ctx: MountContext,
    load: (shared: AbortSignal) => Promise<FetchedCredentials>,
    loadTimeoutMs: number,
    waitSignal: AbortSignal = ctx.signal,
  ) {
    let loaded = false; // only the mount whose load runs fetched; the others were served from the cache
    try {
      const credentials = await this.cache.get(
        identityKey,
        async (shared) => {
          loaded = true;
          const c = await load(AbortSignal.any([shared, AbortSignal.timeout(loadTimeoutMs)]));
          return { value: { ...c, identityKey }, expiresAt: cacheUntil(c, tokenExpiresAt, Date.now()) };
        },
        waitSignal,
      );
      ctx.record.credentials = loaded ? 'fetched' : 'cache';
      return credentials;
    } catch (err) {
      ctx.record.credentials = 'error';
      throw err;
    }
  }

  /** STS is regional: when the primary region's STS is down, ask the failover region's. */
  private async withRegionFallback(
    operation: string,
    regions: Regions,
    ctx: MountContext,
    call: (region: string) => Promise<FetchedCredentials>,
  ): Promise<FetchedCredentials> {
    try {
      return await call(regions.primary);
    } catch (err) {
      if (!regions.failover || !(err instanceof AwsRequestError) || !err.transient) throw err;
      ctx.log.warn({ error: err.message }, `STS ${operation} in ${regions.primary} failed; trying the next endpoint or region`);
      return call(regions.failover);
    }
  }
}

/** A role to assume with the pod's credentials, and the session name that names the pod. */
export interface RoleToAssume {
  plan: AssumeRolePlan;
  sessionName: string;
}

/**
 * Until when credentials may be served: five minutes before they expire (half their life
 * when they are short-lived), and never past the expiry of the token they came from.
 */
export function cacheUntil(c: FetchedCredentials, tokenExpiresAt: number | undefined, now: number): number {
  const expires = c.expiration?.getTime() ?? now + 15 * 60_000;
  const margin = Math.min(REFRESH_MARGIN_MS, (expires - now) / 2);
  return Math.min(expires - margin, tokenExpiresAt ?? Infinity);
}

function hash(...parts: string[]): string {
  return createHash('sha256').update(parts.join('\0')).digest('base64url').slice(0, 32);
}
