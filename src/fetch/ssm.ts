// SSM Parameter Store GetParameters for up to 10 parameters: `name:version`
// and `name:label` selectors, decrypted; results matched back by name, then ARN.
import { toAwsError } from '../aws/classify.js';
import type { AwsPort, ParameterOutput as Parameter, SignedCallOptions } from '../aws/port.js';
import { AwsRequestError, MalformedResponseError } from '../errors.js';
import type { FetchedValue } from './types.js';

export const SSM_BATCH_SIZE = 10;

export interface ParameterRequest {
  name: string;
  version?: string | undefined;
  label?: string | undefined;
}

export function selectorOf(r: ParameterRequest): string {
  const selector = r.version ?? r.label;
  return selector ? `${r.name}:${selector}` : r.name;
}

/** Values aligned with requests. Any InvalidParameters fails the whole batch. */
export async function getParameters(port: AwsPort, requests: readonly ParameterRequest[], call: SignedCallOptions): Promise<FetchedValue[]> {
  const { region } = call;
  const names = [...new Set(requests.map(selectorOf))];
  const subject = `parameters ${names.map((n) => `"${n}"`).join(', ')}`;
  let response;
  try {
    response = await port.getParameters({ Names: names, WithDecryption: true }, call);
  } catch (err) {
    throw toAwsError(err, { service: 'ssm', operation: 'GetParameters', region, subject }, call.signal);
  }
  const invalid = response.InvalidParameters ?? [];
  if (invalid.length > 0) {
    throw new AwsRequestError({
      service: 'ssm',
      operation: 'GetParameters',
      region,
      failureClass: 'client',
      awsCode: 'InvalidParameters',
      awsMessage: `parameters not found or not accessible: ${invalid.map((n) => `"${n}"`).join(', ')}`,
    });
  }
  const parameters = response.Parameters ?? [];
  return requests.map((request) => {
    const found = matchParameter(parameters, request);
    if (!found) {
      throw new MalformedResponseError(`ssm GetParameters in region ${region} neither returned nor listed as invalid parameter "${selectorOf(request)}"`);
    }
    if (typeof found.Value !== 'string' || found.Version === undefined) {
      throw new MalformedResponseError(`ssm GetParameters in region ${region} returned parameter "${selectorOf(request)}" without a Value or Version`);
    }
    return { value: Buffer.from(found.Value, 'utf8'), version: String(found.Version), region };
  });
}

function matchParameter(parameters: readonly Parameter[], request: ParameterRequest): Parameter | undefined {
  const wanted = request.version ?? request.label;
  const selectorMatches = (p: Parameter) =>
    wanted === undefined ? !p.Selector : p.Selector === `:${wanted}` || (request.version !== undefined && String(p.Version) === request.version);
  const byName = parameters.filter((p) => p.Name === request.name);
  const byArn = parameters.filter((p) => p.ARN === request.name);
  for (const candidates of [byName, byArn]) {
    const exact = candidates.find(selectorMatches);
    if (exact) return exact;
  }
  // Older responses carry no Selector: with a single candidate, it is the one.
  const all = byName.length > 0 ? byName : byArn;
  return all.length === 1 ? all[0] : undefined;
}
