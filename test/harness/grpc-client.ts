// A gRPC client for the provider's unix socket, speaking proto/service.proto exactly as the Secrets Store
// CSI driver does (insecure credentials over `unix://`), with promise-returning calls so tests read simply.
// Errors reject with grpc-js's ServiceError, so tests can assert on `.code` (grpc.status) and `.details`.
import * as grpc from '@grpc/grpc-js';
import * as protoLoader from '@grpc/proto-loader';
import { dirname, isAbsolute, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

export const PROTO_PATH = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..', 'proto', 'service.proto');

export interface ObjectVersion {
  id: string;
  version: string;
}

export interface MountRequest {
  attributes: string;
  secrets?: string;
  target_path: string;
  permission: string;
  current_object_version?: ObjectVersion[];
}

export interface MountFile {
  path: string;
  mode: number;
  contents: Buffer;
}

export interface MountResponse {
  object_version: ObjectVersion[];
  /** With `defaults: true` an absent error decodes as null (message fields have no default). */
  error: { code: string } | null;
  files: MountFile[];
}

export interface VersionResponse {
  version: string;
  runtime_name: string;
  runtime_version: string;
}

export interface CallOptions {
  /** Deadline relative to now, like kubelet's NodePublishVolume deadline. */
  deadlineMs?: number;
  metadata?: grpc.Metadata;
}

export interface ProviderClient {
  version(request?: { version?: string }, options?: CallOptions): Promise<VersionResponse>;
  mount(request: MountRequest, options?: CallOptions): Promise<MountResponse>;
  /** Resolves when the channel is connected, rejects after `timeoutMs`. */
  waitForReady(timeoutMs: number): Promise<void>;
  close(): void;
  readonly raw: grpc.Client;
}

type UnaryMethod = (
  request: object,
  metadata: grpc.Metadata,
  options: grpc.CallOptions,
  callback: (err: grpc.ServiceError | null, response: unknown) => void,
) => grpc.ClientUnaryCall;

let serviceCtor: grpc.ServiceClientConstructor | undefined;

function loadService(): grpc.ServiceClientConstructor {
  if (serviceCtor) return serviceCtor;
  const definition = protoLoader.loadSync(PROTO_PATH, {
    keepCase: true,
    longs: String,
    enums: String,
    defaults: true,
    oneofs: true,
  });
  const pkg = grpc.loadPackageDefinition(definition) as unknown as {
    v1alpha1: { CSIDriverProvider: grpc.ServiceClientConstructor };
  };
  serviceCtor = pkg.v1alpha1.CSIDriverProvider;
  return serviceCtor;
}

/** Connects to the provider's socket, e.g. connectProvider('/tmp/x/aws.sock'). */
export function connectProvider(socketPath: string, options: grpc.ChannelOptions = {}): ProviderClient {
  if (!isAbsolute(socketPath)) throw new Error(`socket path must be absolute: ${socketPath}`);
  const Ctor = loadService();
  const client = new Ctor(`unix://${socketPath}`, grpc.credentials.createInsecure(), {
    // Match the driver: 4 MiB receive limit, authority "localhost" (driver v1.6+).
    'grpc.max_receive_message_length': 4 * 1024 * 1024,
    'grpc.default_authority': 'localhost',
    ...options,
  });

  const call = <T>(method: string, request: object, opts: CallOptions = {}): Promise<T> =>
    new Promise((resolvePromise, reject) => {
      const fn = (client as unknown as Record<string, UnaryMethod>)[method]!.bind(client);
      const callOptions: grpc.CallOptions = {};
      if (opts.deadlineMs !== undefined) callOptions.deadline = Date.now() + opts.deadlineMs;
      fn(request, opts.metadata ?? new grpc.Metadata(), callOptions, (err, response) => {
        if (err) reject(err);
        else resolvePromise(response as T);
      });
    });

  return {
    version: (request = {}, opts) => call<VersionResponse>('Version', { version: 'v1alpha1', ...request }, opts),
    mount: (request, opts) =>
      call<MountResponse>(
        'Mount',
        { secrets: '{}', current_object_version: [], ...request },
        opts,
      ),
    waitForReady: (timeoutMs) =>
      new Promise((resolvePromise, reject) =>
        client.waitForReady(Date.now() + timeoutMs, (err) => (err ? reject(err) : resolvePromise())),
      ),
    close: () => client.close(),
    raw: client,
  };
}

export { grpc };
