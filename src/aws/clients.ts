// AWS SDK clients per service, region and retry policy, shared by every
// identity: each command carries the pod's credentials. One keep-alive HTTP
// agent serves them all. Endpoints, FIPS and the rest of the standard SDK
// environment (AWS_ENDPOINT_URL_*, AWS_USE_FIPS_ENDPOINT) are resolved by the
// SDK itself; credentials are always the pod's, never the process's.
// The SDK packages are imported on first use (dynamic import): they are a
// third of the provider's idle memory, and a node without mounts needs none.
import { Agent as HttpAgent } from 'node:http';
import { Agent as HttpsAgent } from 'node:https';
import type { NodeHttpHandler } from '@smithy/node-http-handler';
import type { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import type { SSMClient } from '@aws-sdk/client-ssm';
import type { STSClient } from '@aws-sdk/client-sts';
import type { AwsCredentialIdentity } from '@aws-sdk/types';
import { LRUCache } from 'lru-cache';
import { MAX_AWS_CLIENTS } from '../limits.js';
import { noopObserver, type AwsOutcome, type Observer } from '../metrics.js';
import { isThrottling } from './classify.js';

export interface PodCredentials extends AwsCredentialIdentity {
  /** Stable id of the identity these credentials belong to (a hash, never a token). */
  identityKey: string;
}

export interface RetryPolicy {
  /** Total attempts per call; 1 when a failover region stands by. */
  maxAttempts: number;
}

type Service = 'secretsmanager' | 'ssm';

/** Time to establish a TCP (and TLS) connection to an AWS endpoint. */
export const CONNECTION_TIMEOUT_MS = 3_000;
/** Time from sending one HTTP attempt to its response; AWS answers these calls in milliseconds. */
export const REQUEST_TIMEOUT_MS = 5_000;

export class AwsClients {
  private requestHandler: Promise<NodeHttpHandler> | undefined;
  /**
   * Per service, region and retry policy: a handful, shared by every identity. Bounded:
   * regions come from SecretProviderClasses, and an evicted client is simply rebuilt.
   * (Evicted clients are not destroyed: they share the one request handler.)
   */
  private readonly clients = new LRUCache<string, Promise<SecretsManagerClient | SSMClient>>({ max: MAX_AWS_CLIENTS });
  private readonly stsClients = new LRUCache<string, Promise<STSClient>>({ max: MAX_AWS_CLIENTS });

  constructor(
    private readonly appId: string,
    private readonly observer: Observer = noopObserver,
    private readonly onTransientFailure: (what: { service: string; operation: string; region: string; outcome: AwsOutcome }) => void = () => {},
  ) {}

  /** One pool of keep-alive sockets shared by every client. */
  private handler(): Promise<NodeHttpHandler> {
    this.requestHandler ??= import('@smithy/node-http-handler').then(
      ({ NodeHttpHandler }) =>
        new NodeHttpHandler({
          httpAgent: new HttpAgent({ keepAlive: true, maxSockets: 128 }),
          httpsAgent: new HttpsAgent({ keepAlive: true, maxSockets: 128 }),
          connectionTimeout: CONNECTION_TIMEOUT_MS,
          // Enforced, not just logged: a silent endpoint must not hold a mount until its deadline.
          // The SDK classifies the timeout as transient and retries; so does the mount.
          requestTimeout: REQUEST_TIMEOUT_MS,
          throwOnRequestTimeout: true,
        }),
    );
    return this.requestHandler;
  }

  /**
   * Sends a Secrets Manager or SSM command signed with the pod's credentials.
   * The credentials travel with the command (a per-command middleware sets
   * them as the request's identity), so clients need not be built per pod.
   */
  async send<Output>(
    service: Service,
    region: string,
    retry: RetryPolicy,
    credentials: PodCredentials,
    command: { middlewareStack: unknown },
    signal: AbortSignal,
  ): Promise<Output> {
    type Handler = (args: unknown) => Promise<unknown>;
    type Stack = { addRelativeTo(mw: (next: Handler, context: Record<string, unknown>) => Handler, options: object): void };
    const identity: AwsCredentialIdentity = {
      accessKeyId: credentials.accessKeyId,
      secretAccessKey: credentials.secretAccessKey,
      ...(credentials.sessionToken && { sessionToken: credentials.sessionToken }),
      ...(credentials.expiration && { expiration: credentials.expiration }),
    };
    (command.middlewareStack as Stack).addRelativeTo(
      (next, context) => async (args) => {
        const scheme = (context.__smithy_context as { selectedHttpAuthScheme?: SelectedScheme } | undefined)?.selectedHttpAuthScheme;
        const properties = scheme?.httpAuthOption.signingProperties;
        if (!scheme || !properties?.config) throw new Error('no SigV4 auth scheme selected: refusing to send without the pod\'s credentials');
        scheme.identity = identity;
        // The SDK's SigV4 signer signs with a SignatureV4 built from the client's
        // credentials, not the selected identity: hand it one built from the pod's.
        const base = properties.config;
        const podConfig = Object.create(base) as SigningConfig;
        podConfig.signer = async () => {
          const { SignatureV4 } = await import('@smithy/signature-v4');
          return new SignatureV4({ credentials: identity, region, service: base.signingName ?? service, sha256: base.sha256, uriEscapePath: base.signingEscapePath ?? true });
        };
        properties.config = podConfig;
        return next(args);
      },
      { relation: 'after', toMiddleware: 'httpAuthSchemeMiddleware', name: 'ascpPodCredentials', override: true },
    );
    const client = (await this.client(service, region, retry)) as { send(c: unknown, o: { abortSignal: AbortSignal }): Promise<Output> };
    return client.send(command, { abortSignal: signal });
  }

  /** STS for AssumeRoleWithWebIdentity, which is unsigned: no credentials at all. */
  sts(region: string): Promise<STSClient> {
    let client = this.stsClients.get(region);
    if (!client) {
      client = Promise.all([import('@aws-sdk/client-sts'), this.handler()]).then(([{ STSClient }, requestHandler]) => {
        const sts = new STSClient({ region, requestHandler, userAgentAppId: this.appId, credentials: noProcessCredentials });
        this.observe(sts, 'sts', region);
        return sts;
      });
      this.stsClients.set(region, client);
    }
    return client;
  }

  /**
   * Records every HTTP attempt (high priority in the deserialize step wraps
   * the deserializer, inside the SDK's retry loop) with outcome and duration.
   */
  private observe(client: SecretsManagerClient | SSMClient | STSClient, service: string, region: string): void {
    type Handler = (args: unknown) => Promise<unknown>;
    type Stack = { add(mw: (next: Handler, context: { commandName?: string }) => Handler, options: { step: 'deserialize'; name: string; priority: 'high' }): void };
    (client.middlewareStack as unknown as Stack).add(
      (next, context) => async (args) => {
        const started = performance.now();
        const operation = (context.commandName ?? 'unknown').replace(/Command$/, '');
        let outcome: AwsOutcome = 'ok';
        try {
          return await next(args);
        } catch (err) {
          outcome = attemptOutcome(err);
          if (outcome === 'throttled' || outcome === 'server_error' || outcome === 'network') {
            this.onTransientFailure({ service, operation, region, outcome });
          }
          throw err;
        } finally {
          this.observer.awsRequest(service, operation, region, outcome, (performance.now() - started) / 1000);
        }
      },
      { step: 'deserialize', name: 'ascpRequestMetrics', priority: 'high' },
    );
  }

  private client(service: Service, region: string, retry: RetryPolicy): Promise<SecretsManagerClient | SSMClient> {
    const key = `${service}|${region}|${retry.maxAttempts}`;
    let client = this.clients.get(key);
    if (!client) {
      client = this.createClient(service, region, retry);
      this.clients.set(key, client);
    }
    return client;
  }

  private async createClient(service: Service, region: string, retry: RetryPolicy): Promise<SecretsManagerClient | SSMClient> {
    const config = {
      region,
      // Every command carries the pod's credentials (see send); the SDK resolves this
      // placeholder first and it is replaced before signing. AWS would reject it.
      credentials: PLACEHOLDER_IDENTITY,
      maxAttempts: retry.maxAttempts,
      requestHandler: await this.handler(),
      userAgentAppId: this.appId,
    };
    const client =
      service === 'secretsmanager'
        ? new (await import('@aws-sdk/client-secrets-manager')).SecretsManagerClient(config)
        : new (await import('@aws-sdk/client-ssm')).SSMClient(config);
    this.observe(client, service, region);
    return client;
  }
}

function attemptOutcome(err: unknown): AwsOutcome {
  const e = err as { name?: string; $metadata?: { httpStatusCode?: number } };
  const status = e.$metadata?.httpStatusCode;
  if (e.name === 'AbortError') return 'cancelled';
  if (isThrottling(err)) return 'throttled';
  if (status === undefined) return 'network';
  return status >= 500 ? 'server_error' : 'client_error';
}

interface SigningConfig {
  signer: (authScheme?: unknown) => Promise<unknown>;
  signingName?: string;
  signingEscapePath?: boolean;
  sha256: ConstructorParameters<typeof import('@smithy/signature-v4').SignatureV4>[0]['sha256'];
}

interface SelectedScheme {
  identity: unknown;
  httpAuthOption: { signingProperties?: { config?: SigningConfig } };
}

const PLACEHOLDER_IDENTITY: AwsCredentialIdentity = { accessKeyId: 'ASCP-NO-POD-CREDENTIALS', secretAccessKey: 'unset' };

/** Guards against the SDK ever signing with the node's own credentials. */
async function noProcessCredentials(): Promise<AwsCredentialIdentity> {
  throw new Error('the provider only calls AWS with the pod\'s credentials');
}
