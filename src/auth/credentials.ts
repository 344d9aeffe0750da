// The pod's AWS credentials for a mount: IRSA or Pod Identity, cached per
// identity (role + token for IRSA, token for Pod Identity) until shortly
// before they expire, loaded once under concurrency. Cache keys are hashes:
// tokens are never stored as keys or logged.
import { createHash } from 'node:crypto';
import type { AwsClients, PodCredentials } from '../aws/clients.js';
import { ExpiringCache } from '../cache.js';
import { AwsRequestError } from '../errors.js';
import type { KubeLookups } from '../kube/lookups.js';
import type { AuthPlan, Regions } from '../plan/request.js';
import { raceSignal } from '../util/abort.js';
import { assumeRoleWithWebIdentity } from './irsa.js';
import { fetchPodIdentityCredentials, type PodIdentityAttempt, type PodIdentityEndpoints } from './pod-identity.js';
import type { FetchedCredentials } from './types.js';

/** Stop using credentials this long before they expire. */
const REFRESH_MARGIN_MS = 5 * 60_000;
/** Upper bound for one shared credential load, whoever is waiting for it. */
const LOAD_TIMEOUT_MS = 30_000;

export interface CredentialEvents {
  /** A cache lookup finished: hit (no call), or miss (this mount's call). */
  onLookup?(mode: AuthPlan['mode'], hit: boolean): void;
  onLookupFailed?(mode: AuthPlan['mode']): void;
  onFallback?(what: string, error: AwsRequestError): void;
}

export class PodCredentialsResolver {
  private readonly cache: ExpiringCache<PodCredentials>;

  constructor(
    private readonly clients: AwsClients,
    private readonly kube: KubeLookups,
    private readonly podIdentity: PodIdentityEndpoints,
    private readonly events: CredentialEvents = {},
    maxIdentities = 2048,
  ) {
    this.cache = new ExpiringCache<PodCredentials>(maxIdentities);
  }

  async resolve(auth: AuthPlan, regions: Regions, signal: AbortSignal): Promise<PodCredentials> {
    if (auth.mode === 'irsa') {
      const roleArn = await raceSignal(this.kube.roleArn(auth.namespace, auth.serviceAccount, signal), signal);
      const identityKey = `irsa:${hash(roleArn, auth.token.token)}`;
      return this.cached(auth, identityKey, signal, (shared) =>
        this.withRegionFallback(regions, 'STS AssumeRoleWithWebIdentity', (region) =>
          assumeRoleWithWebIdentity(this.clients, region, roleArn, auth.token.token, shared),
        ),
      );
    }
    const identityKey = `pod-identity:${hash(auth.token.token)}`;
    return this.cached(auth, identityKey, signal, (shared) =>
      fetchPodIdentityCredentials(this.podIdentity, auth.addressPreference, auth.token.token, regions.primary, shared, (a: PodIdentityAttempt) =>
        this.events.onFallback?.(`Pod Identity agent ${a.endpoint}`, a.error),
      ),
    );
  }

  /**
   * The cached credentials of an identity, loaded once for all concurrent callers. The load gets
   * its own time limit, not the caller's signal: one mount's deadline must not fail the others.
   */
  private async cached(auth: AuthPlan, identityKey: string, signal: AbortSignal, load: (shared: AbortSignal) => Promise<FetchedCredentials>) {
    let loaded = false;
    const credentials = await raceSignal(
      this.cache.get(identityKey, async () => {
        loaded = true;
        const c = await load(AbortSignal.timeout(LOAD_TIMEOUT_MS));
        return { value: { ...c, identityKey }, expiresAt: cacheUntil(c, auth.token.expiresAt) };
      }),
      signal,
    ).catch((err: unknown) => {
      this.events.onLookupFailed?.(auth.mode);
      throw err;
    });
    this.events.onLookup?.(auth.mode, !loaded);
    return credentials;
  }

  /** STS is regional: when the primary region's STS is down, ask the failover region's. */
  private async withRegionFallback(
    regions: Regions,
    what: string,
    call: (region: string) => Promise<FetchedCredentials>,
  ): Promise<FetchedCredentials> {
    try {
      return await call(regions.primary);
    } catch (err) {
      if (!regions.failover || !(err instanceof AwsRequestError) || !err.transient) throw err;
      this.events.onFallback?.(`${what} in ${regions.primary}`, err);
      return call(regions.failover);
    }
  }
}

function cacheUntil(c: FetchedCredentials, tokenExpiresAt: number | undefined): number {
  const now = Date.now();
  const expires = c.expiration?.getTime() ?? now + 15 * 60_000;
  // Short-lived credentials: use them for half their life rather than not at all.
  const margin = Math.min(REFRESH_MARGIN_MS, (expires - now) / 2);
  // Never serve credentials derived from a token past the token's own expiry.
  return Math.min(expires - margin, tokenExpiresAt ?? Infinity);
}

function hash(...parts: string[]): string {
  return createHash('sha256').update(parts.join('\0')).digest('base64url').slice(0, 32);
}
