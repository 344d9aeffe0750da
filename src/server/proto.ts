// The service definitions, embedded in the bundle so the container ships a
// single file, and loaded with @grpc/proto-loader.
import { loadPackageDefinition, type ServiceDefinition } from '@grpc/grpc-js';
import { fromJSON } from '@grpc/proto-loader';
import protobuf from 'protobufjs';
import healthProto from '../../proto/health.proto';
import serviceProto from '../../proto/service.proto';

export const PROTO_OPTIONS = { keepCase: true, longs: String, enums: String, defaults: true, oneofs: true };

function load(text: string): Record<string, unknown> {
  return loadPackageDefinition(fromJSON(protobuf.parse(text, { keepCase: true }).root.toJSON(), PROTO_OPTIONS)) as Record<string, unknown>;
}

export function csiDriverProviderService(): ServiceDefinition {
  const pkg = load(serviceProto) as { v1alpha1: { CSIDriverProvider: { service: ServiceDefinition } } };
  return pkg.v1alpha1.CSIDriverProvider.service;
}

export function healthService(): ServiceDefinition {
  const pkg = load(healthProto) as { grpc: { health: { v1: { Health: { service: ServiceDefinition } } } } };
  return pkg.grpc.health.v1.Health.service;
}
