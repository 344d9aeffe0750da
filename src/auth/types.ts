import type { AwsCredentialIdentity } from '@aws-sdk/types';

/** Credentials as an identity provider returned them. */
export type FetchedCredentials = AwsCredentialIdentity;
