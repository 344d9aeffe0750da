// IRSA: exchange the pod's sts.amazonaws.com token for role credentials with
// STS AssumeRoleWithWebIdentity in the mount's region.
import type { AwsClients } from '../aws/clients.js';
import { toAwsError } from '../aws/classify.js';
import { MalformedResponseError } from '../errors.js';
import type { FetchedCredentials } from './types.js';

/** The role session name the Go provider uses; it shows up in CloudTrail. */
export const ROLE_SESSION_NAME = 'secrets-store-csi-driver-provider-aws';

export async function assumeRoleWithWebIdentity(
  clients: AwsClients,
  region: string,
  roleArn: string,
  token: string,
  signal: AbortSignal,
): Promise<FetchedCredentials> {
  let response;
  try {
    const [client, { AssumeRoleWithWebIdentityCommand }] = await Promise.all([clients.sts(region), import('@aws-sdk/client-sts')]);
    response = await client.send(
      new AssumeRoleWithWebIdentityCommand({
        RoleArn: roleArn,
        RoleSessionName: ROLE_SESSION_NAME,
        WebIdentityToken: token,
      }),
      { abortSignal: signal },
    );
  } catch (err) {
    throw toAwsError(err, { service: 'sts', operation: 'AssumeRoleWithWebIdentity', region, subject: `role ${roleArn}` }, signal);
  }
  const c = response.Credentials;
  if (!c?.AccessKeyId || !c.SecretAccessKey || !c.SessionToken) {
    throw new MalformedResponseError(`sts AssumeRoleWithWebIdentity for role ${roleArn} in region ${region} returned no credentials`);
  }
  return {
    accessKeyId: c.AccessKeyId,
    secretAccessKey: c.SecretAccessKey,
    sessionToken: c.SessionToken,
    ...(c.Expiration && { expiration: new Date(c.Expiration) }),
  };
}
