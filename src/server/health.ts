// grpc.health.v1.Health on the provider socket: SERVING while the provider
// accepts mounts, NOT_SERVING once it drains. Service names: "" (the server)
// and "v1alpha1.CSIDriverProvider".
import { status as Status, type sendUnaryData, type Server, type ServerUnaryCall, type ServerWritableStream } from '@grpc/grpc-js';
import { healthService } from './proto.js';

export type ServingStatus = 'SERVING' | 'NOT_SERVING';

const SERVICES = new Set(['', 'v1alpha1.CSIDriverProvider']);

export class HealthState {
  private current: ServingStatus = 'SERVING';
  private readonly watchers = new Set<ServerWritableStream<unknown, unknown>>();


  set(status: ServingStatus): void {
    this.current = status;
    for (const w of this.watchers) w.write({ status });
  }

  addTo(server: Server): void {
    server.addService(healthService(), {
      Check: (call: ServerUnaryCall<{ service?: string }, unknown>, callback: sendUnaryData<unknown>) => {
        if (!SERVICES.has(call.request?.service ?? '')) {
          callback({ code: Status.NOT_FOUND, details: `unknown service "${call.request?.service}"` });
          return;
        }
        callback(null, { status: this.current });
      },
      Watch: (call: ServerWritableStream<{ service?: string }, unknown>) => {
        const known = SERVICES.has(call.request?.service ?? '');
        call.write({ status: known ? this.current : 'SERVICE_UNKNOWN' });
        if (!known) return;
        this.watchers.add(call);
        call.on('cancelled', () => this.watchers.delete(call));
      },
    });
  }

  /** Ends Watch streams so a graceful shutdown is not held up by them. */
  close(): void {
    for (const w of this.watchers) w.end();
    this.watchers.clear();
  }
}
