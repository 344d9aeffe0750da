// A gRPC client for a CSI driver provider's unix socket, as the Secrets Store CSI driver calls it
// (proto/service.proto: package v1alpha1, service CSIDriverProvider). Works the same against our
// provider and the Go provider.
import * as grpc from '@grpc/grpc-js';
import * as protoLoader from '@grpc/proto-loader';
import { fileURLToPath } from 'node:url';
import { join, dirname } from 'node:path';

export const PROTO_PATH = join(dirname(fileURLToPath(import.meta.url)), '..', 'proto', 'service.proto');

export interface ObjectVersion {
  id: string;
  version: string;
}
export interface ProviderFile {
  path: string;
  mode: number;
  contents: Buffer;
}
export interface MountRequest {
  attributes: string;
  secrets: string;
  targetPath: string;
  permission: string;
  currentObjectVersion?: ObjectVersion[];
}
export interface MountResponse {
  objectVersion: ObjectVersion[];
  error: { code: string } | null;
  files: ProviderFile[];
}
export interface VersionResponse {
  version: string;
  runtimeName: string;
  runtimeVersion: string;
}

type Unary<Req, Res> = (
  req: Req,
  options: grpc.CallOptions,
  cb: (err: grpc.ServiceError | null, res?: Res) => void,
) => grpc.ClientUnaryCall;

interface RawClient extends grpc.Client {
  Version: Unary<{ version: string }, VersionResponse>;
  Mount: Unary<MountRequest, MountResponse>;
}

let clientCtor: (new (address: string, creds: grpc.ChannelCredentials, options?: grpc.ChannelOptions) => RawClient) | undefined;

function loadCtor() {
  if (!clientCtor) {
    const def = protoLoader.loadSync(PROTO_PATH, { keepCase: false, longs: Number, enums: String, defaults: true, oneofs: true });
    const pkg = grpc.loadPackageDefinition(def) as unknown as {
      v1alpha1: { CSIDriverProvider: typeof clientCtor };
    };
    clientCtor = pkg.v1alpha1.CSIDriverProvider;
  }
  return clientCtor!;
}

export class ProviderClient {
  private readonly client: RawClient;
  constructor(readonly socketPath: string) {
    const Ctor = loadCtor();
    // The driver (v1.6+) sends :authority "localhost"; keep that.
    this.client = new Ctor(`unix://${socketPath}`, grpc.credentials.createInsecure(), {
      'grpc.default_authority': 'localhost',
      'grpc.max_receive_message_length': 4 * 1024 * 1024,
    });
  }

  version(timeoutMs = 5000): Promise<VersionResponse> {
    return new Promise((resolve, reject) => {
      this.client.Version({ version: 'v1alpha1' }, { deadline: Date.now() + timeoutMs }, (err, res) =>
        err ? reject(err) : resolve(res!),
      );
    });
  }

  mount(req: MountRequest, timeoutMs = 120_000): Promise<MountResponse> {
    return new Promise((resolve, reject) => {
      this.client.Mount(req, { deadline: Date.now() + timeoutMs }, (err, res) => (err ? reject(err) : resolve(res!)));
    });
  }

  /** Resolves once the channel is connected (the socket answers), or rejects after timeoutMs. */
  waitForReady(timeoutMs: number): Promise<void> {
    return new Promise((resolve, reject) =>
      this.client.waitForReady(Date.now() + timeoutMs, (err) => (err ? reject(err) : resolve())),
    );
  }

  close(): void {
    this.client.close();
  }
}
