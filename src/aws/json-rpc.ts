// The lean call path for the hot operations (Secrets Manager GetSecretValue, SSM
// GetParameters): both are AWS JSON 1.1 (one POST with a JSON body), so each call
// is the SDK's own parts composed in a short, fixed chain instead of a command
// through the client's generic middleware stack (measured ~3x less CPU per call):
// - the endpoint: the SDK's endpoint resolution (partitions, FIPS, dual-stack,
//   AWS_ENDPOINT_URL_*) from the service client's resolved configuration, once per
//   service, region and retry policy, cached with the client;
// - the user agent: the SDK's user-agent middleware, run once per client;
// - retries: the SDK's retry middleware with the client's own retry strategy
//   (standard mode, throttling classification, backoff, retry quota, Retry-After);
// - signing: the SDK's SigV4 signer (@smithy/signature-v4) with the pod's
//   credentials, and the SDK's clock-skew correction;
// - errors: the SDK's JSON-RPC error-code parsing, into an error shaped like the
//   SDK's service exceptions (name, $fault, $metadata, $response), which the
//   SDK's classification and ours (classify.ts) read.
// HTTP goes through the SDK's keep-alive Node.js handler shared by every client.
import type { AwsCredentialIdentity } from '@aws-sdk/types';
import { LRUCache } from 'lru-cache';
import type { MountRecord } from '../context.js';
import { MalformedResponseError } from '../errors.js';
import { classifyFailure } from './classify.js';
import { patientTimeout } from '../util/abort.js';

/** The SDK modules this path composes; loaded with the rest of the SDK (sdk-port.ts). */
export interface JsonRpcSdk {
  protocols: typeof import('@smithy/core/protocols');
  retry: typeof import('@smithy/core/retry');
  endpoints: typeof import('@smithy/core/endpoints');
  awsClient: typeof import('@aws-sdk/core/client');
  awsAuth: typeof import('@aws-sdk/core/httpAuthSchemes');
  signatureV4: typeof import('@smithy/signature-v4');
}

/** What the path needs of a service client's resolved configuration. */
export interface ServiceClientConfig {
  sha256: unknown;
  retryStrategy(): Promise<unknown>;
  maxAttempts(): Promise<number>;
  streamCollector(body: unknown): Promise<Uint8Array>;
  disableClockSkewCorrection?: () => Promise<boolean>;
  [key: string]: unknown;
}

export interface JsonRpcTarget {
  /** SigV4 service name, e.g. "secretsmanager". */
  signingName: string;
  /** X-Amz-Target prefix, e.g. "secretsmanager" or "AmazonSSM". */
  targetPrefix: string;
  /** The service client's configuration (endpoint, retry strategy, user agent, hashing). */
  config: ServiceClientConfig;
  /** The command class of any operation: its endpoint parameter instructions are the service's. */
  endpointInstructions: unknown;
}

export interface JsonRpcCall {
  operation: string;
  region: string;
  credentials: AwsCredentialIdentity;
  signal: AbortSignal;
  record: MountRecord | undefined;
}

type Handler = (args: { request: unknown; input: unknown }) => Promise<{ response: unknown; output: Record<string, unknown> & { $metadata: object } }>;

interface HttpResponse {
  statusCode: number;
  headers: Record<string, string>;
  body: unknown;
}

interface HttpHandlerLike {
  handle(request: unknown, options: { abortSignal: AbortSignal }): Promise<{ response: HttpResponse }>;
}

/** SigV4 signers per pod credentials, shared by every client: each caches its derived signing keys. */
export class SignerCache {
  private readonly signers: LRUCache<string, object>;
  constructor(max: number) {
    this.signers = new LRUCache({ max });
  }

  /** The signer for these credentials, made with create() the first time. */
  forCredentials(credentials: AwsCredentialIdentity, create: () => object): object {
    const key = `${credentials.accessKeyId}|${credentials.sessionToken ?? ''}`;
    let signer = this.signers.get(key);
    if (!signer) {
      signer = create();
      this.signers.set(key, signer);
    }
    return signer;
  }
}

const CONTENT_TYPE = 'application/x-amz-json-1.1';
/**
 * One HTTP attempt, connection included; AWS answers these calls in milliseconds. Patient
 * (util/abort.ts): it does not fire while an answer waits unread after the process was not
 * scheduled. The HTTP handler's own, impatient timeouts are only a backstop above it.
 */
export const ATTEMPT_TIMEOUT_MS = 5_000;

/** One service in one region with one retry policy. */
export class JsonRpcClient {
  private readonly url: URL;
  private readonly fixedHeaders: Record<string, string>;
  private readonly signingRegion: string | undefined;
  private readonly signingName: string;
  private readonly retryHandler: (attempt: Handler, signal: AbortSignal) => Handler;
  /** The SDK's clock-skew state for this client (the SDK keeps it per client too). */
  private readonly clock: { systemClockOffset: number };
  private readonly awsSigner: InstanceType<JsonRpcSdk['awsAuth']['AwsSdkSigV4Signer']>;

  private constructor(
    private readonly sdk: JsonRpcSdk,
    private readonly target: JsonRpcTarget,
    private readonly http: HttpHandlerLike,
    private readonly signers: SignerCache,
    endpoint: { url: URL; headers?: Record<string, string[]>; properties?: { authSchemes?: Array<{ name?: string; signingRegion?: string; signingName?: string }> } },
    userAgentHeaders: Record<string, string>,
    retryStrategy: unknown,
    maxAttempts: number,
    private readonly disableClockSkewCorrection: boolean,
  ) {
    this.url = endpoint.url;
    const sigv4 = endpoint.properties?.authSchemes?.find((s) => s.name === 'sigv4');
    this.signingRegion = sigv4?.signingRegion;
    this.signingName = sigv4?.signingName ?? target.signingName;
    const endpointHeaders = Object.fromEntries(Object.entries(endpoint.headers ?? {}).map(([k, v]) => [k, v.join(',')]));
    this.fixedHeaders = {
      ...endpointHeaders,
      ...userAgentHeaders,
      'content-type': CONTENT_TYPE,
      host: this.url.port ? `${this.url.hostname}:${this.url.port}` : this.url.hostname,
    };
    this.clock = { systemClockOffset: 0 };
    this.awsSigner = new sdk.awsAuth.AwsSdkSigV4Signer();
    const options = { retryStrategy: async () => retryStrategy, maxAttempts: async () => maxAttempts };
    this.retryHandler = (attempt, signal) => sdk.retry.retryMiddleware(options as never)(attempt as never, { __smithy_context: { abortSignal: signal } } as never) as unknown as Handler;
  }

  /** Resolves the endpoint, user agent and retry strategy once, as the SDK client would for each call. */
  static async create(sdk: JsonRpcSdk, target: JsonRpcTarget, http: HttpHandlerLike, signers: SignerCache): Promise<JsonRpcClient> {
    const { config } = target;
    const endpoint = await sdk.endpoints.getEndpointFromInstructions({}, target.endpointInstructions as never, config as never);
    // The SDK's user-agent middleware, run once on an empty request: the headers it sets are
    // the same for every call of this client.
    const probe = new sdk.protocols.HttpRequest({ headers: {} });
    await sdk.awsClient.userAgentMiddleware(config as never)(async (args) => ({ output: args, response: undefined }) as never, {} as never)({ request: probe, input: {} });
    const userAgentHeaders: Record<string, string> = {};
    for (const name of ['user-agent', 'x-amz-user-agent']) if (probe.headers[name]) userAgentHeaders[name] = probe.headers[name];
    // The client was built with the call's retry policy (maxAttempts): its own strategy applies it.
    const [retryStrategy, maxAttempts, disableSkew] = await Promise.all([config.retryStrategy(), config.maxAttempts(), config.disableClockSkewCorrection?.()]);
    return new JsonRpcClient(sdk, target, http, signers, endpoint as never, userAgentHeaders, retryStrategy, maxAttempts, disableSkew === true);
  }

  async call(input: Record<string, unknown>, call: JsonRpcCall): Promise<Record<string, unknown>> {
    const { sdk, target } = this;
    const request = new sdk.protocols.HttpRequest({
      protocol: this.url.protocol,
      hostname: this.url.hostname,
      ...(this.url.port && { port: Number(this.url.port) }),
      path: this.url.pathname,
      method: 'POST',
      headers: { ...this.fixedHeaders, 'x-amz-target': `${target.targetPrefix}.${call.operation}` },
      body: JSON.stringify(input),
    });
    const { output } = await this.retryHandler((args) => this.attempt(args.request, call), call.signal)({ request, input });
    return output;
  }

  /** One HTTP attempt: sign (fresh date), send, read; recorded with its outcome class. */
  private async attempt(request: unknown, call: JsonRpcCall): ReturnType<Handler> {
    const started = performance.now();
    const { sdk, clock, awsSigner } = this;
    const disableSkew = this.disableClockSkewCorrection;
    const signer = this.signers.forCredentials(
      call.credentials,
      () => new sdk.signatureV4.SignatureV4({ credentials: call.credentials, region: call.region, service: this.signingName, sha256: this.target.config.sha256 as never, uriEscapePath: true }),
    );
    const signingProperties = {
      context: {},
      signingRegion: this.signingRegion ?? call.region,
      signingName: this.signingName,
      config: {
        // The SDK's signer reads and corrects the clock offset on the config it is given.
        get systemClockOffset() {
          return clock.systemClockOffset;
        },
        set systemClockOffset(value: number) {
          clock.systemClockOffset = value;
        },
        disableClockSkewCorrection: async () => disableSkew,
        signer: async () => signer,
      },
    };
    const limit = patientTimeout(ATTEMPT_TIMEOUT_MS, `${this.target.signingName} ${call.operation} in region ${call.region} did not answer within ${ATTEMPT_TIMEOUT_MS} ms`);
    try {
      const signed = await awsSigner.sign(request as never, call.credentials, signingProperties);
      const abortSignal = AbortSignal.any([call.signal, limit.signal]);
      let response: HttpResponse;
      let body: Uint8Array;
      try {
        ({ response } = await this.http.handle(signed, { abortSignal }));
        body = await this.target.config.streamCollector(response.body);
      } catch (err) {
        // Our time limit, not the mount's cancellation: a TimeoutError, which the SDK's retry
        // strategy and classify.ts treat as transient.
        if (limit.signal.aborted && !call.signal.aborted) throw limit.signal.reason;
        throw err;
      }
      const text = Buffer.from(body.buffer, body.byteOffset, body.byteLength).toString('utf8');
      const requestId = response.headers['x-amzn-requestid'];
      const $metadata = { httpStatusCode: response.statusCode, ...(requestId && { requestId }) };
      if (response.statusCode >= 200 && response.statusCode < 300) {
        awsSigner.successHandler(response as never, signingProperties);
        let output: Record<string, unknown>;
        try {
          output = text ? (JSON.parse(text) as Record<string, unknown>) : {};
        } catch {
          throw new MalformedResponseError(`${this.target.signingName} ${call.operation} in region ${call.region} answered with a body that is not JSON`);
        }
        call.record?.attempt({ service: this.target.signingName, operation: call.operation, region: call.region, outcome: 'ok', seconds: (performance.now() - started) / 1000 });
        return { response, output: Object.assign(output, { $metadata }) };
      }
      const error = serviceError(sdk, response, text, $metadata);
      awsSigner.errorHandler(signingProperties)(error); // rethrows, clock-skew corrected where it applies
      throw error;
    } catch (err) {
      call.record?.attempt({ service: this.target.signingName, operation: call.operation, region: call.region, outcome: classifyFailure(err, call.signal), seconds: (performance.now() - started) / 1000 });
      throw err;
    } finally {
      limit.clear();
    }
  }
}

/** An AWS error answer, shaped like the SDK's service exceptions. */
export class AwsServiceError extends Error {
  readonly $fault: 'client' | 'server';
  constructor(
    name: string,
    message: string,
    readonly $metadata: { httpStatusCode: number; requestId?: string; clockSkewCorrected?: boolean },
    readonly $response: HttpResponse,
  ) {
    super(message);
    this.name = name;
    this.$fault = $metadata.httpStatusCode >= 500 ? 'server' : 'client';
  }
}

function serviceError(sdk: JsonRpcSdk, response: HttpResponse, text: string, $metadata: { httpStatusCode: number; requestId?: string }): AwsServiceError {
  let data: Record<string, unknown> = {};
  try {
    const parsed: unknown = text ? JSON.parse(text) : {};
    if (parsed && typeof parsed === 'object') data = parsed as Record<string, unknown>;
  } catch {
    // Not JSON (a proxy's error page): the status decides.
  }
  const code = sdk.protocols.loadJsonRpcErrorCode(response as never, data) ?? 'UnknownError';
  const message = typeof data.message === 'string' ? data.message : typeof data.Message === 'string' ? data.Message : code;
  return new AwsServiceError(code, message, $metadata, response);
}
