// The gRPC service definitions of the provider socket (v1alpha1.CSIDriverProvider and
// grpc.health.v1.Health). The .proto files are parsed when the bundle is built
// (scripts/build.mjs turns each into protobufjs's JSON form), so start-up neither
// tokenizes proto text nor builds the descriptor protos that @grpc/proto-loader makes
// for reflection, which nothing here serves: protobufjs's reflection runtime ("light",
// no parser) is enough. Messages are converted exactly as proto-loader does with
// PROTO_OPTIONS (names as in the .proto, enums and 64-bit integers as strings, defaults
// filled in, the set oneof named); the tests' clients decode with proto-loader itself.
import type { MethodDefinition, ServiceDefinition } from '@grpc/grpc-js';
import protobuf from 'protobufjs/light.js';
import healthProto from '../../proto/health.proto';
import serviceProto from '../../proto/service.proto';

export const PROTO_OPTIONS: protobuf.IConversionOptions = { longs: String, enums: String, defaults: true, oneofs: true };

function serviceDefinition(json: protobuf.INamespace, serviceName: string): ServiceDefinition {
  const root = protobuf.Root.fromJSON(json);
  const service = root.lookupService(serviceName);
  const definition: Record<string, MethodDefinition<unknown, unknown>> = {};
  for (const method of service.methodsArray) {
    method.resolve();
    const requestType = method.resolvedRequestType!;
    const responseType = method.resolvedResponseType!;
    definition[method.name] = {
      path: `/${serviceName}/${method.name}`,
      requestStream: !!method.requestStream,
      responseStream: !!method.responseStream,
      requestSerialize: (value) => Buffer.from(requestType.encode(requestType.fromObject(value as object)).finish()),
      requestDeserialize: (bytes) => requestType.toObject(requestType.decode(bytes), PROTO_OPTIONS),
      responseSerialize: (value) => Buffer.from(responseType.encode(responseType.fromObject(value as object)).finish()),
      responseDeserialize: (bytes) => responseType.toObject(responseType.decode(bytes), PROTO_OPTIONS),
      originalName: method.name[0]!.toLowerCase() + method.name.slice(1),
    };
  }
  return definition;
}

export function csiDriverProviderService(): ServiceDefinition {
  return serviceDefinition(serviceProto, 'v1alpha1.CSIDriverProvider');
}

export function healthService(): ServiceDefinition {
  return serviceDefinition(healthProto, 'grpc.health.v1.Health');
}
