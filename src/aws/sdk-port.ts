// The AwsPort (src/aws/port.ts) with the AWS SDK. Clients per service, region
// and retry policy are shared by every identity: each call carries the pod's
// credentials. One keep-alive HTTP handler serves them all, with enforced
// connection and request timeouts. Endpoints, FIPS and the rest of the standard
// SDK environment (AWS_ENDPOINT_URL_*, AWS_USE_FIPS_ENDPOINT) are resolved by the
// SDK itself; credentials are always the pod's, never the process's.
// GetSecretValue, GetParameters and GetParametersByPath take the lean path
// of json-rpc.ts (the SDK's parts in a fixed chain); STS goes through the SDK client.
// The SDK packages are imported on first use, here and nowhere else: they are a
// third of the provider's idle memory, and a node without mounts needs none.
import { Agent as HttpAgent } from 'node:http';
import { Agent as HttpsAgent } from 'node:https';
import type { AwsCredentialIdentity } from '@aws-sdk/types';
import { LRUCache } from 'lru-cache';
import type { MountRecord } from '../context.js';
import { MalformedResponseError } from '../errors.js';
import { MAX_AWS_CLIENTS } from '../limits.js';
import { patientTimeout, raceSignal } from '../util/abort.js';
import { classifyFailure } from './classify.js';
import { ATTEMPT_TIMEOUT_MS, JsonRpcClient, SignerCache, type ServiceClientConfig } from './json-rpc.js';
import {
  AgentHttpError, type AssumeRoleInput, type AwsPort, type CallOptions, type FetchedCredentials, type ParametersOutput, type PodCredentials,
  type RetryPolicy, type RoleCredentialsOutput, type SecretValueOutput, type SignedCallOptions,
} from './port.js';
import type { ParametersByPathInput, ParametersByPathOutput } from './port.js';

/** Pod credentials whose SigV4 signer (with its derived keys) is kept. */
const MAX_CACHED_SIGNERS = 512;
/** Time to establish a TCP (and TLS) connection to an AWS endpoint. */
export const CONNECTION_TIMEOUT_MS = 3_000;
/** Time from sending one HTTP attempt to its response; AWS answers these calls in milliseconds. */
export const REQUEST_TIMEOUT_MS = 5_000;

type Service = 'secretsmanager' | 'ssm' | 'sts';

/** The SDK modules the port uses, loaded together on first use. */
function loadSdk() {
  return Promise.all([
    import('@aws-sdk/client-secrets-manager'),
    import('@aws-sdk/client-ssm'),
    import('@aws-sdk/client-sts'),
    import('@smithy/node-http-handler'),
    import('@smithy/signature-v4'),
    import('@smithy/core/protocols'),
    import('@smithy/core/serde'),
    import('@smithy/core/retry'),
    import('@smithy/core/endpoints'),
    import('@aws-sdk/core/client'),
    import('@aws-sdk/core/httpAuthSchemes'),
  ]).then(([secretsManager, ssm, sts, httpHandler, signatureV4, protocols, serde, retry, endpoints, awsClient, awsAuth]) => ({
    secretsManager, ssm, sts, httpHandler, signatureV4, protocols, serde, retry, endpoints, awsClient, awsAuth,
  }));
}
type Sdk = Awaited<ReturnType<typeof loadSdk>>;

interface SdkClient {
  send(command: unknown, options: { abortSignal: AbortSignal }): Promise<unknown>;
}
interface SdkCommand {
  middlewareStack: unknown;
}

export class AwsSdkPort implements AwsPort {
  private sdk: Promise<Sdk> | undefined;
  private requestHandler: Promise<InstanceType<Sdk['httpHandler']['NodeHttpHandler']>> | undefined;
  private leanRequestHandler: Promise<InstanceType<Sdk['httpHandler']['NodeHttpHandler']>> | undefined;
  /**
   * Per service, region and retry policy: a handful, shared by every identity. Bounded:
   * regions come from SecretProviderClasses, and an evicted client is simply rebuilt.
   * (Evicted clients are not destroyed: they share the one request handler.)
   */
  private readonly clients = new LRUCache<string, Promise<SdkClient>>({ max: MAX_AWS_CLIENTS });
  private readonly rpcClients = new LRUCache<string, Promise<JsonRpcClient>>({ max: MAX_AWS_CLIENTS });
  /** SigV4 signers per pod credentials, shared by the lean path's clients. */
  private readonly signers = new SignerCache(MAX_CACHED_SIGNERS);

  constructor(private readonly appId: string) {}

  async getSecretValue(input: { SecretId: string; VersionId?: string; VersionStage?: string }, call: SignedCallOptions): Promise<SecretValueOutput> {
    const output = (await this.callJsonRpc('secretsmanager', 'GetSecretValue', input, call)) as SecretValueOutput & { SecretBinary?: unknown };
    // JSON carries blobs as base64; the SDK would decode it to bytes.
    if (typeof output.SecretBinary === 'string') output.SecretBinary = Buffer.from(output.SecretBinary, 'base64');
    return output;
  }

  async getParameters(input: { Names: string[]; WithDecryption: boolean }, call: SignedCallOptions): Promise<ParametersOutput> {
    return (await this.callJsonRpc('ssm', 'GetParameters', input, call)) as ParametersOutput;
  }

  async getParametersByPath(input: ParametersByPathInput, call: SignedCallOptions): Promise<ParametersByPathOutput> {
    return (await this.callJsonRpc('ssm', 'GetParametersByPath', input, call)) as ParametersByPathOutput;
  }

  async assumeRoleWithWebIdentity(input: { RoleArn: string; RoleSessionName: string; WebIdentityToken: string }, call: CallOptions): Promise<RoleCredentialsOutput> {
    const { sts } = await this.load();
    const command = new sts.AssumeRoleWithWebIdentityCommand(input);
    recordAttempts(command, 'sts', 'AssumeRoleWithWebIdentity', call.region, call.record);
    const client = await this.client('sts', call.region, undefined);
    return client.send(command, { abortSignal: call.signal }) as Promise<RoleCredentialsOutput>;
  }

  /** STS AssumeRole signed with the pod's credentials, like the Secrets Manager and SSM calls. */
  async assumeRole(input: AssumeRoleInput, call: SignedCallOptions): Promise<RoleCredentialsOutput> {
    const { sts } = await this.load();
    return this.sendSigned('sts', call, new sts.AssumeRoleCommand(input), 'AssumeRole') as Promise<RoleCredentialsOutput>;
  }

  /**
   * One GET to the agent, with the SDK's HTTP handler and an enforced time limit for the
   * whole exchange (the SDK's fromHttp only warns when its request timeout passes, so a
   * silent agent would hold the mount and the other address family would never be tried).
   * The limit is patient (util/abort.ts): an answer that arrived while the process was not
   * scheduled is read, not timed out. The response is read as the SDK's container credential format.
   */
  async getAgentCredentials(endpoint: string, token: string, timeoutMs: number, signal: AbortSignal): Promise<FetchedCredentials> {
    const { httpHandler, protocols, serde } = await this.load();
    const url = new URL(endpoint);
    const handler = new httpHandler.NodeHttpHandler();
    const limit = patientTimeout(timeoutMs, `the Pod Identity agent at ${endpoint} did not answer within ${timeoutMs} ms`);
    const abortSignal = AbortSignal.any([signal, limit.signal]);
    try {
      let response;
      let body;
      try {
        ({ response } = await handler.handle(
          new protocols.HttpRequest({
            protocol: url.protocol,
            hostname: url.hostname.replace(/^\[(.*)\]$/, '$1'),
            ...(url.port && { port: Number(url.port) }),
            path: url.pathname,
            headers: { host: url.host, authorization: token },
          }),
          { abortSignal },
        ));
        body = await raceSignal(serde.sdkStreamMixin(response.body).transformToString(), abortSignal);
      } catch (err) {
        // Our time limit, not the mount's cancellation: a transient failure (TimeoutError).
        if (limit.signal.aborted && !signal.aborted) throw limit.signal.reason;
        throw err;
      }
      if (response.statusCode !== 200) throw new AgentHttpError(response.statusCode, agentMessage(body));
      let parsed: Record<string, unknown>;
      try {
        parsed = JSON.parse(body) as Record<string, unknown>;
      } catch {
        throw new MalformedResponseError(`the Pod Identity agent at ${endpoint} answered with a body that is not JSON`);
      }
      const { AccessKeyId, SecretAccessKey, Token, Expiration } = parsed;
      if (typeof AccessKeyId !== 'string' || typeof SecretAccessKey !== 'string' || typeof Token !== 'string' || typeof Expiration !== 'string') {
        throw new MalformedResponseError(`the Pod Identity agent at ${endpoint} answered without AccessKeyId, SecretAccessKey, Token and Expiration`);
      }
      return { accessKeyId: AccessKeyId, secretAccessKey: SecretAccessKey, sessionToken: Token, expiration: serde.parseRfc3339DateTime(Expiration) };
    } finally {
      limit.clear();
      handler.destroy();
    }
  }

  private load(): Promise<Sdk> {
    this.sdk ??= loadSdk();
    return this.sdk;
  }

  private async callJsonRpc(service: 'secretsmanager' | 'ssm', operation: string, input: object, call: SignedCallOptions): Promise<Record<string, unknown>> {
    const { region } = call;
    const key = `${service}|${region}|${call.retry.maxAttempts}`;
    let client = this.rpcClients.get(key);
    if (!client) {
      client = this.createRpcClient(service, region, call.retry);
      this.rpcClients.set(key, client);
      // A failed set-up (an invalid region for the endpoint rules) is not kept.
      client.catch(() => this.rpcClients.get(key) === client && this.rpcClients.delete(key));
    }
    return (await client).call(input as Record<string, unknown>, { operation, region, credentials: call.credentials, signal: call.signal, record: call.record });
  }

  private async createRpcClient(service: 'secretsmanager' | 'ssm', region: string, retry: RetryPolicy): Promise<JsonRpcClient> {
    const [sdk, http] = await Promise.all([this.load(), this.leanHandler()]);
    // The service client is built for its resolved configuration only (endpoint, retry
    // strategy, user agent, hashing); the calls themselves take the lean path.
    const sdkClient = (await this.client(service, region, retry)) as unknown as { config: ServiceClientConfig };
    const target =
      service === 'secretsmanager'
        ? { signingName: 'secretsmanager', targetPrefix: 'secretsmanager', endpointInstructions: sdk.secretsManager.GetSecretValueCommand }
        : { signingName: 'ssm', targetPrefix: 'AmazonSSM', endpointInstructions: sdk.ssm.GetParametersCommand };
    return JsonRpcClient.create(sdk, { ...target, config: sdkClient.config }, http as never, this.signers);
  }

  /** One pool of keep-alive sockets shared by every client (SDK clients and the lean path). */
  private readonly agents = { httpAgent: new HttpAgent({ keepAlive: true, maxSockets: 128 }), httpsAgent: new HttpsAgent({ keepAlive: true, maxSockets: 128 }) };

  /** The SDK clients' handler (STS). */
  private handler() {
    this.requestHandler ??= this.load().then(
      ({ httpHandler }) =>
        new httpHandler.NodeHttpHandler({
          ...this.agents,
          connectionTimeout: CONNECTION_TIMEOUT_MS,
          // Enforced, not just logged: a silent endpoint must not hold a mount until its deadline.
          // The SDK classifies the timeout as transient and retries; so does the mount.
          requestTimeout: REQUEST_TIMEOUT_MS,
          throwOnRequestTimeout: true,
        }),
    );
    return this.requestHandler;
  }

  /** The lean path's handler: its attempts have a patient time limit (json-rpc.ts); these are a backstop. */
  private leanHandler() {
    this.leanRequestHandler ??= this.load().then(
      ({ httpHandler }) =>
        new httpHandler.NodeHttpHandler({
          ...this.agents,
          connectionTimeout: 2 * ATTEMPT_TIMEOUT_MS,
          requestTimeout: 2 * ATTEMPT_TIMEOUT_MS,
          throwOnRequestTimeout: true,
        }),
    );
    return this.leanRequestHandler;
  }

  /**
   * Sends an SDK command signed with the pod's credentials (STS AssumeRole; the hot
   * operations take the lean path of json-rpc.ts).
   * The credentials travel with the command (a per-command middleware sets
   * them as the request's identity), so clients need not be built per pod.
   */
  private async sendSigned(service: Service, call: SignedCallOptions, command: SdkCommand, operation?: string): Promise<unknown> {
    const { signatureV4 } = await this.load();
    const { credentials, region } = call;
    const identity: AwsCredentialIdentity = {
      accessKeyId: credentials.accessKeyId,
      secretAccessKey: credentials.secretAccessKey,
      ...(credentials.sessionToken && { sessionToken: credentials.sessionToken }),
      ...(credentials.expiration && { expiration: credentials.expiration }),
    };
    (command.middlewareStack as Stack).addRelativeTo(
      (next, context) => async (args) => {
        const scheme = (context.__smithy_context as { selectedHttpAuthScheme?: SelectedScheme } | undefined)?.selectedHttpAuthScheme;
        const properties = scheme?.httpAuthOption.signingProperties;
        if (!scheme || !properties?.config) throw new Error('no SigV4 auth scheme selected: refusing to send without the pod\'s credentials');
        scheme.identity = identity;
        // The SDK's SigV4 signer signs with a SignatureV4 built from the client's
        // credentials, not the selected identity: hand it one built from the pod's.
        const base = properties.config;
        const podConfig = Object.create(base) as SigningConfig;
        podConfig.signer = async () =>
          new signatureV4.SignatureV4({ credentials: identity, region, service: base.signingName ?? service, sha256: base.sha256, uriEscapePath: base.signingEscapePath ?? true });
        properties.config = podConfig;
        return next(args);
      },
      { relation: 'after', toMiddleware: 'httpAuthSchemeMiddleware', name: 'ascpPodCredentials', override: true },
    );
    recordAttempts(command, service, operation ?? (service === 'ssm' ? 'GetParameters' : 'GetSecretValue'), region, call.record);
    const client = await this.client(service, region, call.retry);
    return client.send(command, { abortSignal: call.signal });
  }

  private client(service: Service, region: string, retry: RetryPolicy | undefined): Promise<SdkClient> {
    const key = `${service}|${region}|${retry?.maxAttempts ?? 'default'}`;
    let client = this.clients.get(key);
    if (!client) {
      client = this.createClient(service, region, retry);
      this.clients.set(key, client);
    }
    return client;
  }

  private async createClient(service: Service, region: string, retry: RetryPolicy | undefined): Promise<SdkClient> {
    const [{ secretsManager, ssm, sts }, requestHandler] = await Promise.all([this.load(), this.handler()]);
    const config = {
      region,
      requestHandler,
      userAgentAppId: this.appId,
      ...(retry && { maxAttempts: retry.maxAttempts }),
    };
    // Unsigned STS (web identity) is the only client built without a retry policy.
    if (service === 'sts' && !retry) return new sts.STSClient({ ...config, credentials: noProcessCredentials });
    // Signed STS commands carry the pod's credentials (see sendSigned); the SDK resolves this
    // placeholder first and it is replaced before signing. AWS would reject it.
    if (service === 'sts') return new sts.STSClient({ ...config, credentials: PLACEHOLDER_IDENTITY });
    // Secrets Manager and SSM clients only lend their resolved configuration to the lean path
    // (json-rpc.ts), which signs with the pod's credentials; they never send.
    const guarded = { ...config, credentials: noProcessCredentials };
    return service === 'secretsmanager' ? new secretsManager.SecretsManagerClient(guarded) : new ssm.SSMClient(guarded);
  }
}

type Handler = (args: unknown) => Promise<unknown>;
type Stack = {
  addRelativeTo(mw: (next: Handler, context: Record<string, unknown>) => Handler, options: object): void;
  add(mw: (next: Handler) => Handler, options: { step: 'deserialize'; name: string; priority: 'high' }): void;
};

/**
 * Records every HTTP attempt of a command (high priority in the deserialize step wraps the
 * deserializer, inside the SDK's retry loop) with its outcome class and duration.
 */
function recordAttempts(command: SdkCommand, service: string, operation: string, region: string, record: MountRecord | undefined): void {
  if (!record) return;
  (command.middlewareStack as Stack).add(
    (next) => async (args) => {
      const started = performance.now();
      try {
        const output = await next(args);
        record.attempt({ service, operation, region, outcome: 'ok', seconds: (performance.now() - started) / 1000 });
        return output;
      } catch (err) {
        record.attempt({ service, operation, region, outcome: classifyFailure(err), seconds: (performance.now() - started) / 1000 });
        throw err;
      }
    },
    { step: 'deserialize', name: 'ascpRecordAttempt', priority: 'high' },
  );
}

/** The agent's error body is JSON with a Message; never echo anything else it sent. */
function agentMessage(body: string): string | undefined {
  try {
    const { Message } = JSON.parse(body) as { Message?: unknown };
    return typeof Message === 'string' ? Message.slice(0, 200) : undefined;
  } catch {
    return undefined;
  }
}

interface SigningConfig {
  signer: (authScheme?: unknown) => Promise<unknown>;
  signingName?: string;
  signingEscapePath?: boolean;
  sha256: ConstructorParameters<Sdk['signatureV4']['SignatureV4']>[0]['sha256'];
}

interface SelectedScheme {
  identity: unknown;
  httpAuthOption: { signingProperties?: { config?: SigningConfig } };
}

const PLACEHOLDER_IDENTITY: AwsCredentialIdentity = { accessKeyId: 'ASCP-NO-POD-CREDENTIALS', secretAccessKey: 'unset' };

/** Guards against the SDK ever signing with the node's own credentials. */
async function noProcessCredentials(): Promise<AwsCredentialIdentity> {
  throw new Error('the provider only calls AWS with the pod\'s credentials');
}

export type { PodCredentials };
