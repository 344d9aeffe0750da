// The CSIDriverProvider service definition, embedded in the bundle so the
// container ships a single file, and loaded with @grpc/proto-loader.
import { loadPackageDefinition, type ServiceDefinition } from '@grpc/grpc-js';
import { fromJSON } from '@grpc/proto-loader';
import protobuf from 'protobufjs';
import serviceProto from '../../proto/service.proto';

export const PROTO_OPTIONS = { keepCase: true, longs: String, enums: String, defaults: true, oneofs: true };

export function csiDriverProviderService(): ServiceDefinition {
  const root = protobuf.parse(serviceProto, { keepCase: true }).root;
  const pkg = loadPackageDefinition(fromJSON(root.toJSON(), PROTO_OPTIONS)) as unknown as {
    v1alpha1: { CSIDriverProvider: { service: ServiceDefinition } };
  };
  return pkg.v1alpha1.CSIDriverProvider.service;
}
