// The port between the fetch and credential logic and the calls it makes to AWS
// and the Pod Identity agent. The logic (src/fetch/*, src/auth/*: failover,
// SSM matching, classification, credential expiry, coalescing) is written
// against this interface and unit-tested against a fake; src/aws/sdk-port.ts
// implements it with the AWS SDK (loaded on first use, in one place).
// Methods reject with whatever the transport threw (an SDK error, a network
// error): the callers classify it (src/aws/classify.ts).
import type { AwsCredentialIdentity } from '@aws-sdk/types';
import type { MountRecord } from '../context.js';

export interface PodCredentials extends AwsCredentialIdentity {
  /** Stable id of the identity these credentials belong to (a hash, never a token). */
  identityKey: string;
}

/** Credentials as an identity source returned them. */
export type FetchedCredentials = AwsCredentialIdentity;

export interface RetryPolicy {
  /** Total attempts per call within the SDK; 1 when a failover region stands by. */
  maxAttempts: number;
}

export interface CallOptions {
  region: string;
  signal: AbortSignal;
  /** Where each HTTP attempt is recorded (the context of the mount that makes the call). */
  record?: MountRecord;
}

export interface SignedCallOptions extends CallOptions {
  credentials: PodCredentials;
  retry: RetryPolicy;
}

export interface SecretValueOutput {
  VersionId?: string;
  SecretString?: string;
  SecretBinary?: Uint8Array;
}

export interface ParameterOutput {
  Name?: string;
  ARN?: string;
  Value?: string;
  Version?: number;
  Selector?: string;
}

export interface ParametersOutput {
  Parameters?: ParameterOutput[];
  InvalidParameters?: string[];
}

export interface ParametersByPathInput {
  Path: string;
  Recursive: boolean;
  WithDecryption: boolean;
  MaxResults: number;
  NextToken?: string;
}

export interface ParametersByPathOutput {
  Parameters?: ParameterOutput[];
  NextToken?: string;
}

export interface RoleCredentialsOutput {
  Credentials?: { AccessKeyId?: string; SecretAccessKey?: string; SessionToken?: string; Expiration?: Date };
}

export interface AssumeRoleInput {
  RoleArn: string;
  RoleSessionName: string;
  ExternalId?: string;
  DurationSeconds?: number;
}

export interface AwsPort {
  getSecretValue(input: { SecretId: string; VersionId?: string; VersionStage?: string }, call: SignedCallOptions): Promise<SecretValueOutput>;
  getParameters(input: { Names: string[]; WithDecryption: boolean }, call: SignedCallOptions): Promise<ParametersOutput>;
  /** One page of SSM GetParametersByPath. */
  getParametersByPath(input: ParametersByPathInput, call: SignedCallOptions): Promise<ParametersByPathOutput>;
  /** Unsigned: the web identity token is the credential. */
  assumeRoleWithWebIdentity(input: { RoleArn: string; RoleSessionName: string; WebIdentityToken: string }, call: CallOptions): Promise<RoleCredentialsOutput>;
  /** Signed with the caller's credentials (the pod's): a role session for another role, often in another account. */
  assumeRole(input: AssumeRoleInput, call: SignedCallOptions): Promise<RoleCredentialsOutput>;
  /** One GET of the Pod Identity agent; rejects with AgentHttpError for a non-200 answer. */
  getAgentCredentials(endpoint: string, token: string, timeoutMs: number, signal: AbortSignal): Promise<FetchedCredentials>;
}

/** The agent answered with a status other than 200. */
export class AgentHttpError extends Error {
  constructor(
    readonly statusCode: number,
    agentText: string | undefined,
  ) {
    super(`the agent responded with status ${statusCode}${agentText ? `: ${agentText}` : ''}`);
    this.name = 'AgentHttpError';
  }
}
