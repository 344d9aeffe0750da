// Cross-account roles (assumeRoleArn): the pod's own credentials (IRSA or Pod Identity) call STS
// AssumeRole for the SecretProviderClass's role. The role session name names the pod, so the
// target account's CloudTrail shows which pod read what.
import { createHash } from 'node:crypto';
import { toAwsError } from '../aws/classify.js';
import type { AwsPort, FetchedCredentials, PodCredentials } from '../aws/port.js';
import type { MountRecord } from '../context.js';
import { ContextError, MalformedResponseError } from '../errors.js';
import type { AssumeRolePlan } from '../plan/assume-role.js';

/** STS RoleSessionName: 2 to 64 characters of [\w+=,.@-]. */
const MAX_SESSION_NAME = 64;
const FALLBACK_SESSION_NAME = 'secrets-store-csi-driver-provider-aws';

/**
 * `<namespace>.<pod name>`, which is what a pod is called (both are DNS names, so every character is
 * one STS accepts). Anything else is replaced by "-"; a name longer than 64 characters keeps its
 * first 55 and ends with 8 characters of a hash of the whole, so two long names stay apart and the
 * same pod always gets the same session name.
 */
export function roleSessionName(pod: { namespace: string; name: string }): string {
  if (!pod.namespace || !pod.name) return FALLBACK_SESSION_NAME;
  const full = `${pod.namespace}.${pod.name}`;
  const clean = full.replace(/[^\w+=,.@-]/g, '-');
  if (clean.length <= MAX_SESSION_NAME) return clean;
  const digest = createHash('sha256').update(full).digest('hex').slice(0, 8);
  return `${clean.slice(0, MAX_SESSION_NAME - digest.length - 1)}-${digest}`;
}

export interface AssumeRoleCall {
  region: string;
  signal: AbortSignal;
  record?: MountRecord;
}

/** STS AssumeRole in `region` with the pod's credentials; AccessDenied is final and names the role. */
export async function assumeRole(
  port: AwsPort,
  plan: AssumeRolePlan,
  sessionName: string,
  credentials: PodCredentials,
  call: AssumeRoleCall,
): Promise<FetchedCredentials> {
  const { region } = call;
  let response;
  try {
    response = await port.assumeRole(
      {
        RoleArn: plan.roleArn,
        RoleSessionName: sessionName,
        ...(plan.externalId !== undefined && { ExternalId: plan.externalId }),
        ...(plan.durationSeconds !== undefined && { DurationSeconds: plan.durationSeconds }),
      },
      // The SDK's own retries (3 attempts) for throttling and 5xx; the mount retries beyond that.
      { ...call, credentials, retry: { maxAttempts: 3 } },
    );
  } catch (err) {
    const error = toAwsError(err, { service: 'sts', operation: 'AssumeRole', region, subject: `role ${plan.roleArn}` }, call.signal);
    if (error.kind !== 'permission-denied') throw error;
    throw new ContextError(
      `assumeRoleArn ${plan.roleArn}: the role's trust policy must allow sts:AssumeRole by the pod's own role${plan.externalId !== undefined ? ' with this external id' : ''}`,
      error,
    );
  }
  const c = response.Credentials;
  if (!c?.AccessKeyId || !c.SecretAccessKey || !c.SessionToken) {
    throw new MalformedResponseError(`sts AssumeRole for role ${plan.roleArn} in region ${region} returned no credentials`);
  }
  return {
    accessKeyId: c.AccessKeyId,
    secretAccessKey: c.SecretAccessKey,
    sessionToken: c.SessionToken,
    ...(c.Expiration && { expiration: new Date(c.Expiration) }),
  };
}
