// The pod's AWS credentials for a mount: IRSA or Pod Identity, cached per
// identity (role + token for IRSA, token for Pod Identity) until shortly
// before they expire, loaded once under concurrency. Cache keys are hashes:
// tokens are never stored as keys or logged.
import { createHash } from 'node:crypto';
import type { AwsPort, FetchedCredentials, PodCredentials } from '../aws/port.js';
import { ExpiringCache } from '../cache.js';
import type { MountContext } from '../context.js';
import { AwsRequestError } from '../errors.js';
import type { KubeLookups } from '../kube/lookups.js';
import type { AuthPlan, Regions } from '../plan/request.js';
import { assumeRoleWithWebIdentity } from './irsa.js';
import { fetchPodIdentityCredentials, type PodIdentityEndpoints } from './pod-identity.js';

/** Stop using credentials this long before they expire. */
const REFRESH_MARGIN_MS = 5 * 60_000;
/** Upper bound for one shared credential load, whoever is waiting for it. */
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

  /** Records the source (cache, fetched, error) in the mount's record. */
  async resolve(auth: AuthPlan, regions: Regions, ctx: MountContext): Promise<PodCredentials> {
    if (auth.mode === 'irsa') {
      const roleArn = await this.kube.roleArn(auth.namespace, auth.serviceAccount, ctx);
      const identityKey = `irsa:${hash(roleArn, auth.token.token)}`;
      return this.cached(auth, identityKey, ctx, (shared) =>
        this.withRegionFallback(regions, ctx, (region) =>
          assumeRoleWithWebIdentity(this.port, roleArn, auth.token.token, { region, signal: shared, record: ctx.record }),
        ),
      );
    }
    const identityKey = `pod-identity:${hash(auth.token.token)}`;
    return this.cached(auth, identityKey, ctx, (shared) =>
      fetchPodIdentityCredentials(this.port, this.podIdentity, auth.addressPreference, auth.token.token, regions.primary, shared, ctx),
    );
  }

  /**
   * The cached credentials of an identity, loaded once for all concurrent callers. The shared
   * load has its own time limit and ends early only when every mount waiting for it has gone.
   */
  private async cached(auth: AuthPlan, identityKey: string, ctx: MountContext, load: (shared: AbortSignal) => Promise<FetchedCredentials>) {
    let loaded = false; // only the mount whose load runs fetched; the others were served from the cache
    try {
      const credentials = await this.cache.get(
        identityKey,
        async (shared) => {
          loaded = true;
          const c = await load(AbortSignal.any([shared, AbortSignal.timeout(LOAD_TIMEOUT_MS)]));
          return { value: { ...c, identityKey }, expiresAt: cacheUntil(c, auth.token.expiresAt, Date.now()) };
        },
        ctx.signal,
      );
      ctx.record.credentials = loaded ? 'fetched' : 'cache';
      return credentials;
    } catch (err) {
      ctx.record.credentials = 'error';
      throw err;
    }
  }

  /** STS is regional: when the primary region's STS is down, ask the failover region's. */
  private async withRegionFallback(regions: Regions, ctx: MountContext, call: (region: string) => Promise<FetchedCredentials>): Promise<FetchedCredentials> {
    try {
      return await call(regions.primary);
    } catch (err) {
      if (!regions.failover || !(err instanceof AwsRequestError) || !err.transient) throw err;
      ctx.log.warn({ error: err.message }, `STS AssumeRoleWithWebIdentity in ${regions.primary} failed; trying the next endpoint or region`);
      return call(regions.failover);
    }
  }
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
