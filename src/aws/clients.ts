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

  constructor(private readonly appId: string) {
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
      this.stsClients.set(region, client);
    }
    return client;
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
      return {
        value: service === 'secretsmanager' ? new SecretsManagerClient(config) : new SSMClient(config),
        expiresAt: credentials.expiration?.getTime() ?? Date.now() + 15 * 60_000,
      };
    });
  }
}

/** Guards against the SDK ever signing with the node's own credentials. */
async function noProcessCredentials(): Promise<AwsCredentialIdentity> {
  throw new Error('the provider only calls AWS with the pod\'s credentials');
}
