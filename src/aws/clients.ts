// AWS SDK clients per service, region, identity and retry policy. Clients are
// reused across mounts (one keep-alive HTTP agent for all of them) and dropped
// when their credentials expire. Endpoints, FIPS and the rest of the standard
// SDK environment (AWS_ENDPOINT_URL_*, AWS_USE_FIPS_ENDPOINT) are resolved by
// the SDK itself; credentials are always the pod's, never the process's.
import { Agent as HttpAgent } from 'node:http';
import { Agent as HttpsAgent } from 'node:https';
import { NodeHttpHandler } from '@smithy/node-http-handler';
import { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { SSMClient } from '@aws-sdk/client-ssm';
import { STSClient } from '@aws-sdk/client-sts';
import type { AwsCredentialIdentity } from '@aws-sdk/types';
import { ExpiringCache } from '../cache.js';
import { noopObserver, type AwsOutcome, type Observer } from '../metrics.js';
import { isThrottlingError } from '@smithy/core/retry';

export interface PodCredentials extends AwsCredentialIdentity {
  /** Stable id of the identity these credentials belong to (a hash, never a token). */
  identityKey: string;
}

export interface RetryPolicy {
  /** Total attempts per call; 1 when a failover region stands by. */
  maxAttempts: number;
}

type Service = 'secretsmanager' | 'ssm';

export class AwsClients {
  private readonly requestHandler: NodeHttpHandler;
  private readonly clients = new ExpiringCache<SecretsManagerClient | SSMClient>(256);
  private readonly stsClients = new Map<string, STSClient>();

  constructor(
    private readonly appId: string,
    private readonly observer: Observer = noopObserver,
    private readonly onTransientFailure: (what: { service: string; operation: string; region: string; outcome: AwsOutcome }) => void = () => {},
  ) {
    // One pool of keep-alive sockets shared by every client.
    this.requestHandler = new NodeHttpHandler({
      httpAgent: new HttpAgent({ keepAlive: true, maxSockets: 64 }),
      httpsAgent: new HttpsAgent({ keepAlive: true, maxSockets: 64 }),
      connectionTimeout: 5_000,
      requestTimeout: 30_000,
    });
  }

  secretsManager(region: string, credentials: PodCredentials, retry: RetryPolicy): Promise<SecretsManagerClient> {
    return this.client('secretsmanager', region, credentials, retry) as Promise<SecretsManagerClient>;
  }

  ssm(region: string, credentials: PodCredentials, retry: RetryPolicy): Promise<SSMClient> {
    return this.client('ssm', region, credentials, retry) as Promise<SSMClient>;
  }

  /** STS for AssumeRoleWithWebIdentity, which is unsigned: no credentials at all. */
  sts(region: string): STSClient {
    let client = this.stsClients.get(region);
    if (!client) {
      client = new STSClient({
        region,
        requestHandler: this.requestHandler,
        userAgentAppId: this.appId,
        credentials: noProcessCredentials,
      });
      this.observe(client, 'sts', region);
      this.stsClients.set(region, client);
    }
    return client;
  }

  /**
   * Records every HTTP attempt (the deserialize step runs inside the SDK's
   * retry loop) with its outcome and duration.
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

  private client(service: Service, region: string, credentials: PodCredentials, retry: RetryPolicy) {
    const key = `${service}|${region}|${retry.maxAttempts}|${credentials.identityKey}|${credentials.accessKeyId}`;
    return this.clients.get(key, async () => {
      const config = {
        region,
        credentials: {
          accessKeyId: credentials.accessKeyId,
          secretAccessKey: credentials.secretAccessKey,
          ...(credentials.sessionToken && { sessionToken: credentials.sessionToken }),
          ...(credentials.expiration && { expiration: credentials.expiration }),
        },
        maxAttempts: retry.maxAttempts,
        requestHandler: this.requestHandler,
        userAgentAppId: this.appId,
      };
      const client = service === 'secretsmanager' ? new SecretsManagerClient(config) : new SSMClient(config);
      this.observe(client, service, region);
      return {
        value: client,
        expiresAt: credentials.expiration?.getTime() ?? Date.now() + 15 * 60_000,
      };
    });
  }
}

function attemptOutcome(err: unknown): AwsOutcome {
  const e = err as { name?: string; $metadata?: { httpStatusCode?: number } };
  const status = e.$metadata?.httpStatusCode;
  if (e.name === 'AbortError') return 'cancelled';
  if (status === 429 || isThrottlingError(err as never)) return 'throttled';
  if (status === undefined) return 'network';
  return status >= 500 ? 'server_error' : 'client_error';
}

/** Guards against the SDK ever signing with the node's own credentials. */
async function noProcessCredentials(): Promise<AwsCredentialIdentity> {
  throw new Error('the provider only calls AWS with the pod\'s credentials');
}
