// The cross-account role parameters of a SecretProviderClass, pure: assumeRoleArn, with an optional
// assumeRoleExternalId and assumeRoleDurationSeconds. The pod's own credentials (IRSA or Pod
// Identity) then call STS AssumeRole for that role (src/auth/assume-role.ts). The rules are the
// STS API's own (RoleArn, ExternalId, DurationSeconds), so a bad value fails here, before any AWS
// call, naming the parameter and the value.
import { RequestError } from '../errors.js';

export const ASSUME_ROLE_ATTR = {
  roleArn: 'assumeRoleArn',
  externalId: 'assumeRoleExternalId',
  durationSeconds: 'assumeRoleDurationSeconds',
} as const;

export interface AssumeRolePlan {
  roleArn: string;
  externalId?: string;
  /** Absent: STS's default (one hour). */
  durationSeconds?: number;
}

/** STS's limits for DurationSeconds. */
export const MIN_ROLE_DURATION_SECONDS = 900;
export const MAX_ROLE_DURATION_SECONDS = 43_200;
/**
 * AWS caps a session assumed with credentials that are themselves a role session ("role chaining",
 * which IRSA and Pod Identity credentials are) at one hour, whatever the role allows.
 */
export const ROLE_CHAINING_MAX_SECONDS = 3_600;

/**
 * arn:<partition>:iam::<account>:role/<path/><name>. Names are IAM's [\w+=,.@-]{1,64}; a path is
 * printable ASCII between slashes; STS accepts at most 2048 characters.
 */
const ROLE_ARN = /^arn:aws(?:-[a-z]+)*:iam::\d{12}:role\/(?:[\x21-\x7e]*\/)?[\w+=,.@-]{1,64}$/;
const MAX_ROLE_ARN_LENGTH = 2048;
/** STS ExternalId: 2 to 1224 characters of [\w+=,.@:/-]. */
const EXTERNAL_ID = /^[\w+=,.@:/-]{2,1224}$/;

/** Undefined when no role is to be assumed; RequestError naming the parameter otherwise. */
export function parseAssumeRole(attributes: Readonly<Record<string, string | undefined>>): AssumeRolePlan | undefined {
  const roleArn = attributes[ASSUME_ROLE_ATTR.roleArn] || undefined;
  const externalId = attributes[ASSUME_ROLE_ATTR.externalId] || undefined;
  const duration = attributes[ASSUME_ROLE_ATTR.durationSeconds] || undefined;
  if (roleArn === undefined) {
    const orphan = externalId !== undefined ? ASSUME_ROLE_ATTR.externalId : duration !== undefined ? ASSUME_ROLE_ATTR.durationSeconds : undefined;
    if (orphan) throw new RequestError(`${orphan} is set but ${ASSUME_ROLE_ATTR.roleArn} is not: it only applies when a role is assumed`);
    return undefined;
  }
  if (roleArn.length > MAX_ROLE_ARN_LENGTH || !ROLE_ARN.test(roleArn)) {
    throw new RequestError(
      `${ASSUME_ROLE_ATTR.roleArn} "${roleArn.slice(0, 120)}" is not an IAM role ARN: expected arn:aws:iam::<12-digit account id>:role/<name>`,
    );
  }
  if (externalId !== undefined && !EXTERNAL_ID.test(externalId)) {
    throw new RequestError(
      `${ASSUME_ROLE_ATTR.externalId} "${externalId.slice(0, 60)}" must be 2 to 1224 characters of letters, digits, _ and +=,.@:/-`,
    );
  }
  let durationSeconds: number | undefined;
  if (duration !== undefined) {
    durationSeconds = /^\d{1,6}$/.test(duration) ? Number(duration) : NaN;
    if (!(durationSeconds >= MIN_ROLE_DURATION_SECONDS && durationSeconds <= MAX_ROLE_DURATION_SECONDS)) {
      throw new RequestError(
        `${ASSUME_ROLE_ATTR.durationSeconds} "${duration.slice(0, 20)}" must be a whole number of seconds from ${MIN_ROLE_DURATION_SECONDS} to ${MAX_ROLE_DURATION_SECONDS}`,
      );
    }
  }
  return { roleArn, ...(externalId !== undefined && { externalId }), ...(durationSeconds !== undefined && { durationSeconds }) };
}
