// SSM Parameter Store GetParametersByPath for one parametersByPath object: every
// page (10 parameters each, sequential: each page needs the previous one's token),
// decrypted, bounded in count and pages. Each parameter keeps its name relative to
// the path (its file name, once translated) and its own version.
import { toAwsError } from '../aws/classify.js';
import type { AwsPort, SignedCallOptions } from '../aws/port.js';
import { AwsRequestError, LimitError, MalformedResponseError } from '../errors.js';
import { MAX_PARAMETERS_BY_PATH, MAX_PARAMETERS_BY_PATH_PAGES } from '../limits.js';
import type { FetchedValue } from './types.js';

/** The most GetParametersByPath returns in one call. */
export const PATH_PAGE_SIZE = 10;

export interface PathRequest {
  path: string;
  recursive: boolean;
}

export interface PathParameter extends FetchedValue {
  /** Full parameter name. */
  name: string;
  /** The name below the path, without a leading "/". */
  relativeName: string;
}

/** Every parameter below the path, in the order SSM lists them. None at all is "not found". */
export async function getParametersByPath(port: AwsPort, request: PathRequest, call: SignedCallOptions): Promise<PathParameter[]> {
  const { region } = call;
  const { path, recursive } = request;
  const subject = `parameters under path "${path}"`;
  const prefix = path.endsWith('/') ? path : `${path}/`;
  const found: PathParameter[] = [];
  let token: string | undefined;
  let pages = 0;
  do {
    if (++pages > MAX_PARAMETERS_BY_PATH_PAGES) {
      throw new MalformedResponseError(`ssm GetParametersByPath for path "${path}" in region ${region} did not finish within ${MAX_PARAMETERS_BY_PATH_PAGES} pages`);
    }
    let page;
    try {
      page = await port.getParametersByPath(
        { Path: path, Recursive: recursive, WithDecryption: true, MaxResults: PATH_PAGE_SIZE, ...(token && { NextToken: token }) },
        call,
      );
    } catch (err) {
      throw toAwsError(err, { service: 'ssm', operation: 'GetParametersByPath', region, subject }, call.signal);
    }
    for (const p of page.Parameters ?? []) {
      if (typeof p.Name !== 'string' || typeof p.Value !== 'string' || p.Version === undefined) {
        throw new MalformedResponseError(`ssm GetParametersByPath for path "${path}" in region ${region} returned a parameter without a Name, Value or Version`);
      }
      if (!p.Name.startsWith(prefix) || p.Name.length === prefix.length) {
        throw new MalformedResponseError(`ssm GetParametersByPath for path "${path}" in region ${region} returned parameter "${p.Name}", which is not below the path`);
      }
      if (found.length === MAX_PARAMETERS_BY_PATH) {
        throw new LimitError(
          `path "${path}" in region ${region} has more than ${MAX_PARAMETERS_BY_PATH} parameters${recursive ? ' (recursive)' : ''}, the most one parametersByPath object may mount; use a narrower path`,
        );
      }
      found.push({ name: p.Name, relativeName: p.Name.slice(prefix.length), value: Buffer.from(p.Value, 'utf8'), version: String(p.Version), region });
    }
    token = page.NextToken || undefined;
  } while (token);
  if (found.length === 0) {
    throw new AwsRequestError({
      service: 'ssm',
      operation: 'GetParametersByPath',
      region,
      failureClass: 'client',
      subject,
      awsCode: 'ParameterNotFound',
      awsMessage: `there are none${recursive ? '' : ' directly below it (recursive: "true" also reads deeper levels)'}`,
    });
  }
  return found;
}
