// An AwsPort whose answers a test scripts: each method runs the test's handler,
// or rejects when the test did not expect that call. Every call is recorded with
// its input and region, so tests can assert what was asked of AWS.
import type {
  AwsPort, CallOptions, FetchedCredentials, ParametersByPathInput, ParametersByPathOutput, ParametersOutput, PodCredentials, RoleCredentialsOutput,
  SecretValueOutput, SignedCallOptions,
} from '../../../src/aws/port.js';

export interface PortCall {
  method: keyof AwsPort;
  input: unknown;
  region: string | undefined;
}

export interface PortHandlers {
  getSecretValue?: (input: Parameters<AwsPort['getSecretValue']>[0], call: SignedCallOptions) => Promise<SecretValueOutput>;
  getParameters?: (input: Parameters<AwsPort['getParameters']>[0], call: SignedCallOptions) => Promise<ParametersOutput>;
  getParametersByPath?: (input: ParametersByPathInput, call: SignedCallOptions) => Promise<ParametersByPathOutput>;
  assumeRoleWithWebIdentity?: (input: Parameters<AwsPort['assumeRoleWithWebIdentity']>[0], call: CallOptions) => Promise<RoleCredentialsOutput>;
  assumeRole?: (input: Parameters<AwsPort['assumeRole']>[0], call: SignedCallOptions) => Promise<RoleCredentialsOutput>;
  getAgentCredentials?: (endpoint: string, token: string) => Promise<FetchedCredentials>;
}

export class FakeAwsPort implements AwsPort {
  readonly calls: PortCall[] = [];
  constructor(private readonly handlers: PortHandlers) {}

  private handler<K extends keyof PortHandlers>(method: K): NonNullable<PortHandlers[K]> {
    const h = this.handlers[method];
    if (!h) throw new Error(`unexpected ${method} call`);
    return h as NonNullable<PortHandlers[K]>;
  }

  async getSecretValue(input: Parameters<AwsPort['getSecretValue']>[0], call: SignedCallOptions): Promise<SecretValueOutput> {
    this.calls.push({ method: 'getSecretValue', input, region: call.region });
    return this.handler('getSecretValue')(input, call);
  }

  async getParameters(input: Parameters<AwsPort['getParameters']>[0], call: SignedCallOptions): Promise<ParametersOutput> {
    this.calls.push({ method: 'getParameters', input, region: call.region });
    return this.handler('getParameters')(input, call);
  }

  async getParametersByPath(input: ParametersByPathInput, call: SignedCallOptions): Promise<ParametersByPathOutput> {
    this.calls.push({ method: 'getParametersByPath', input, region: call.region });
    return this.handler('getParametersByPath')(input, call);
  }

  async assumeRoleWithWebIdentity(input: Parameters<AwsPort['assumeRoleWithWebIdentity']>[0], call: CallOptions): Promise<RoleCredentialsOutput> {
    this.calls.push({ method: 'assumeRoleWithWebIdentity', input, region: call.region });
    return this.handler('assumeRoleWithWebIdentity')(input, call);
  }

  async assumeRole(input: Parameters<AwsPort['assumeRole']>[0], call: SignedCallOptions): Promise<RoleCredentialsOutput> {
    this.calls.push({ method: 'assumeRole', input, region: call.region });
    return this.handler('assumeRole')(input, call);
  }

  async getAgentCredentials(endpoint: string, token: string): Promise<FetchedCredentials> {
    this.calls.push({ method: 'getAgentCredentials', input: { endpoint }, region: undefined });
    return this.handler('getAgentCredentials')(endpoint, token);
  }

  callsOf(method: keyof AwsPort): PortCall[] {
    return this.calls.filter((c) => c.method === method);
  }
}

export const POD_CREDENTIALS: PodCredentials = { accessKeyId: 'AKIDPOD', secretAccessKey: 'pod-secret', sessionToken: 'pod-session', identityKey: 'identity-1' };

/** An SDK-shaped service error: a name (the AWS error code) and the HTTP status. */
export function sdkError(name: string, httpStatusCode: number | undefined, message = `${name} from the fake`): Error {
  return Object.assign(new Error(message), { name, ...(httpStatusCode !== undefined && { $metadata: { httpStatusCode } }) });
}
