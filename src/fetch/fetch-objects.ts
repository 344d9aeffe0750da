// Fetches every object of a mount plan, concurrently with a bound: Secrets
// Manager objects one call each, SSM parameters in batches of 10, SSM paths page
// by page (src/fetch/ssm-path.ts), each call in
// the primary and (when configured) the failover region. Nothing is written
// until everything is fetched.
import type { AwsPort, PodCredentials, RetryPolicy } from '../aws/port.js';
import type { MountContext } from '../context.js';
import { ContextError, LimitError, ProviderError } from '../errors.js';
import type { ObjectPlan } from '../plan/objects.js';
import type { MountPlan } from '../plan/request.js';
import { mapBounded } from '../util/bounded.js';
import { InFlight } from '../util/in-flight.js';
import { MOUNT_RETRY, retryTransient } from '../util/retry.js';
import { withFailover } from './failover.js';
import { getSecretValue } from './secrets-manager.js';
import { getParameters, selectorOf, SSM_BATCH_SIZE, type ParameterRequest } from './ssm.js';
import { getParametersByPath, type PathParameter } from './ssm-path.js';
import type { FetchedValue } from './types.js';

export interface FetchedObject extends FetchedValue {
  object: ObjectPlan;
  /** One parameter below a parametersByPath object's path (such an object yields one per parameter). */
  parameter?: { name: string; relativeName: string };
}

/** Long-lived: shares identical in-flight calls between concurrent mounts of one identity. */
export class FetchCoalescer {
  readonly secrets = new InFlight<FetchedValue>();
  readonly parameters = new InFlight<FetchedValue[]>();
  readonly paths = new InFlight<PathParameter[]>();
}

export interface FetchOptions {
  /** AWS calls in flight at once for one mount. */
  concurrency: number;
  /** Bytes of fetched values one mount may hold; checked as values arrive, before any file is built. */
  maxBytes: number;
  coalescer?: FetchCoalescer;
}

/** Failovers and AWS attempts are recorded in ctx.record; failovers are also logged. */
export async function fetchObjects(
  plan: Pick<MountPlan, 'regions' | 'objects'>,
  credentials: PodCredentials,
  port: AwsPort,
  ctx: MountContext,
  options: FetchOptions,
): Promise<FetchedObject[]> {
  const { signal } = ctx;
  const { primary, failover } = plan.regions;
  // With a failover region standing by, it is the retry: fail over rather than back off.
  const retry: RetryPolicy = { maxAttempts: failover ? 1 : 3 };
  // Rounds of the whole call (both regions with a failover pair); the SDK has already retried within each.
  const rounds = { ...MOUNT_RETRY, attempts: failover ? 3 : 2 };

  const secrets = plan.objects.filter((o) => o.objectType === 'secretsmanager');
  const parameters = plan.objects.filter((o) => o.objectType === 'ssmparameter' && !o.parametersByPath);
  const paths = plan.objects.filter((o) => o.parametersByPath);
  const batches = ssmBatches(parameters);

  // Identical calls of the same identity in flight at once are made once.
  const coalescer = options.coalescer ?? new FetchCoalescer();
  const scope = `${credentials.identityKey}|${credentials.accessKeyId}|${retry.maxAttempts}`;
  // A shared call records its attempts in the context of the mount that starts it.
  const call = (region: string, shared: AbortSignal) => ({ region, credentials, retry, signal: shared, record: ctx.record });
  const secretCall = (region: string, object: ObjectPlan, inFailover: boolean) => {
    const request = secretRequest(object, inFailover);
    return (s: AbortSignal) =>
      coalescer.secrets.run(JSON.stringify([scope, region, request]), (shared) => getSecretValue(port, request, call(region, shared)), s);
  };
  const parametersCall = (region: string, batch: ObjectPlan[], inFailover: boolean) => {
    const requests = batch.map((o) => selection(o, inFailover));
    return (s: AbortSignal) =>
      coalescer.parameters.run(JSON.stringify([scope, region, requests]), (shared) => getParameters(port, requests, call(region, shared)), s);
  };
  const pathCall = (region: string, object: ObjectPlan, inFailover: boolean) => {
    const request = { path: selection(object, inFailover).name, recursive: object.parametersByPath!.recursive };
    return (s: AbortSignal) =>
      coalescer.paths.run(JSON.stringify([scope, region, request]), (shared) => getParametersByPath(port, request, call(region, shared)), s);
  };
  const failedOver = (what: string, service: 'secretsmanager' | 'ssm') => {
    ctx.record.failover(service);
    ctx.log.warn({ object: what, region: failover }, 'primary region failed; mounted the value from the failover region');
  };

  // One object's (or batch's) call: in the primary region with the failover region standing by,
  // within the mount's retry rounds.
  const resilient = <T>(regionCall: (region: string, inFailover: boolean) => (s: AbortSignal) => Promise<T>) =>
    retryTransient(() => withFailover(regionCall(primary, false), failover ? regionCall(failover, true) : undefined, signal), ctx, rounds);

  let fetchedBytes = 0;
  const account = (values: readonly { value: Buffer }[]) => {
    for (const { value } of values) fetchedBytes += value.length;
    if (fetchedBytes > options.maxBytes) {
      throw new LimitError(`the objects' values total more than ${options.maxBytes} bytes, the most one mount may hold`);
    }
  };

  type Task = () => Promise<FetchedObject[]>;
  const tasks: Task[] = [
    ...secrets.map((object): Task => async () => {
      const outcome = await resilient((region, inFailover) => secretCall(region, object, inFailover)).catch((err) => {
        throw describe(err, object);
      });
      account([outcome.value]);
      if (outcome.usedFailover) failedOver(`secret "${object.objectName}"`, 'secretsmanager');
      return [{ object, ...outcome.value }];
    }),
    ...batches.map((batch): Task => async () => {
      const outcome = await resilient((region, inFailover) => parametersCall(region, batch, inFailover)).catch((err) => {
        throw batch.length === 1 ? describe(err, batch[0]!) : err;
      });
      account(outcome.value);
      if (outcome.usedFailover) failedOver(`parameters ${batch.map((o) => `"${o.objectName}"`).join(', ')}`, 'ssm');
      return outcome.value.map((value, i) => ({ object: batch[i]!, ...value }));
    }),
    ...paths.map((object): Task => async () => {
      const outcome = await resilient((region, inFailover) => pathCall(region, object, inFailover)).catch((err) => {
        throw describe(err, object);
      });
      account(outcome.value);
      if (outcome.usedFailover) failedOver(`parameters under path "${object.objectName}"`, 'ssm');
      return outcome.value.map(({ name, relativeName, ...value }) => ({ object, ...value, parameter: { name, relativeName } }));
    }),
  ];

  const results = await mapBounded(tasks, options.concurrency, (task) => task());
  // Back in the order of the objects list, so files and versions are deterministic.
  return results.flat().sort((a, b) => a.object.index - b.object.index);
}

/**
 * Batches of at most 10 in which no parameter name appears twice: responses
 * are matched back by name, and not every SSM endpoint returns the Selector
 * that would tell `name:1` from `name:label` apart.
 */
function ssmBatches(parameters: readonly ObjectPlan[]): ObjectPlan[][] {
  const names = (o: ObjectPlan) => [o.objectName, o.failoverObject?.objectName ?? o.objectName];
  const sameSelection = (a: ObjectPlan, b: ObjectPlan) => selectorOf(selection(a, false)) === selectorOf(selection(b, false));
  const clashes = (a: ObjectPlan, b: ObjectPlan) => !sameSelection(a, b) && names(a).some((n) => names(b).includes(n));
  const batches: ObjectPlan[][] = [];
  for (const object of parameters) {
    const batch = batches.find((b) => b.length < SSM_BATCH_SIZE && !b.some((o) => clashes(o, object)));
    if (batch) batch.push(object);
    else batches.push([object]);
  }
  return batches;
}

/**
 * What to ask for in a region: the failoverObject's name and versions stand in there. Also
 * an SSM request (one selector: validation guarantees version and label are not both set).
 */
function selection(object: ObjectPlan, inFailoverRegion: boolean): ParameterRequest {
  const f = inFailoverRegion ? object.failoverObject : undefined;
  return {
    name: f?.objectName ?? object.objectName,
    version: f?.objectVersion ?? object.objectVersion,
    label: f?.objectVersionLabel ?? object.objectVersionLabel,
  };
}

function secretRequest(object: ObjectPlan, inFailoverRegion: boolean) {
  const { name, version, label } = selection(object, inFailoverRegion);
  return { secretId: name, versionId: version, versionStage: label };
}


function describe(err: unknown, object: ObjectPlan): unknown {
  return err instanceof ProviderError ? new ContextError(`objects[${object.index}] "${object.objectName}"`, err) : err;
}
