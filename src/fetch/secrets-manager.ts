// Secrets Manager GetSecretValue for one object: name or ARN, VersionId,
// VersionStage; SecretString wins over SecretBinary.
import type { GetSecretValueCommandOutput } from '@aws-sdk/client-secrets-manager';
import type { AwsClients, PodCredentials, RetryPolicy } from '../aws/clients.js';
import { toAwsError } from '../aws/classify.js';
import { MalformedResponseError } from '../errors.js';
import type { FetchedValue } from './types.js';

export interface SecretRequest {
  secretId: string;
  versionId?: string | undefined;
  versionStage?: string | undefined;
}

export async function getSecretValue(
  aws: { clients: AwsClients; credentials: PodCredentials; retry: RetryPolicy },
  region: string,
  request: SecretRequest,
  signal: AbortSignal,
): Promise<FetchedValue> {
  const subject = `secret "${request.secretId}"`;
  let response;
  try {
    const { GetSecretValueCommand } = await import('@aws-sdk/client-secrets-manager');
    const command = new GetSecretValueCommand({
      SecretId: request.secretId,
      ...(request.versionId && { VersionId: request.versionId }),
      ...(request.versionStage && { VersionStage: request.versionStage }),
    });
    response = await aws.clients.send<GetSecretValueCommandOutput>('secretsmanager', region, aws.retry, aws.credentials, command, signal);
  } catch (err) {
    throw toAwsError(err, { service: 'secretsmanager', operation: 'GetSecretValue', region, subject }, signal);
  }
  if (!response.VersionId) {
    throw new MalformedResponseError(`secretsmanager GetSecretValue for ${subject} in region ${region} returned no VersionId`);
  }
  let value: Buffer;
  if (typeof response.SecretString === 'string') value = Buffer.from(response.SecretString, 'utf8');
  else if (response.SecretBinary) value = Buffer.from(response.SecretBinary);
  else throw new MalformedResponseError(`secretsmanager GetSecretValue for ${subject} in region ${region} returned neither SecretString nor SecretBinary`);
  return { value, version: response.VersionId, region };
}
