// The gRPC client of the tests and the bench for a provider's unix socket, speaking proto/service.proto exactly
// as the Secrets Store CSI driver does (insecure credentials over `unix://`, :authority "localhost", 4 MiB
// receive limit), with promise-returning calls; the same against our provider and the Go provider. Fields
// keep the proto's snake_case (keepCase). Errors reject with grpc-js's ServiceError, so callers can read
// `.code` (grpc.status) and `.details`.
import * as grpc from '@grpc/grpc-js';
import * as protoLoader from '@grpc/proto-loader';
import { isAbsolute, join } from 'node:path';
import { REPO_ROOT } from './paths.js';

export const PROTO_PATH = join(REPO_ROOT, 'proto', 'service.proto');

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
  close(): void;
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
    close: () => client.close(),
  };
}

export { grpc };
