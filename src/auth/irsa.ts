// IRSA: exchange the pod's sts.amazonaws.com token for role credentials with
// STS AssumeRoleWithWebIdentity in the mount's region.
import { toAwsError } from '../aws/classify.js';
import type { AwsPort, CallOptions, FetchedCredentials } from '../aws/port.js';
import { MalformedResponseError } from '../errors.js';

/** The role session name the Go provider uses; it shows up in CloudTrail. */
export const ROLE_SESSION_NAME = 'secrets-store-csi-driver-provider-aws';

export async function assumeRoleWithWebIdentity(port: AwsPort, roleArn: string, token: string, call: CallOptions): Promise<FetchedCredentials> {
  const { region } = call;
  let response;
  try {
    response = await port.assumeRoleWithWebIdentity({ RoleArn: roleArn, RoleSessionName: ROLE_SESSION_NAME, WebIdentityToken: token }, call);
  } catch (err) {
    throw toAwsError(err, { service: 'sts', operation: 'AssumeRoleWithWebIdentity', region, subject: `role ${roleArn}` }, call.signal);
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
