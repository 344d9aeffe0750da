// Secrets Manager GetSecretValue for one object: name or ARN, VersionId,
// VersionStage; SecretString wins over SecretBinary.
import { toAwsError } from '../aws/classify.js';
import type { AwsPort, SignedCallOptions } from '../aws/port.js';
import { MalformedResponseError } from '../errors.js';
import type { FetchedValue } from './types.js';

export interface SecretRequest {
  secretId: string;
  versionId?: string | undefined;
  versionStage?: string | undefined;
}

export async function getSecretValue(port: AwsPort, request: SecretRequest, call: SignedCallOptions): Promise<FetchedValue> {
  const { region } = call;
  const subject = `secret "${request.secretId}"`;
  let response;
  try {
    response = await port.getSecretValue(
      {
        SecretId: request.secretId,
        ...(request.versionId && { VersionId: request.versionId }),
        ...(request.versionStage && { VersionStage: request.versionStage }),
      },
      call,
    );
  } catch (err) {
    throw toAwsError(err, { service: 'secretsmanager', operation: 'GetSecretValue', region, subject }, call.signal);
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
