// An HTTP proxy in front of moto that can make one AWS region (or service, or operation) misbehave while the
// others keep working: that is how failover, retry and error-classification tests get a real network path.
//
// The provider under test gets AWS_ENDPOINT_URL=<proxy url>, so every AWS call it makes, for every region,
// arrives here with a loopback Host. The region is therefore read from the SigV4 credential scope in the
// Authorization header. STS AssumeRoleWithWebIdentity is unsigned: its region comes from the Host when that
// is a regional AWS host name, else it is recorded as region 'sts' (UNSIGNED_REGION); scope STS faults by
// `service: 'sts'` and leave `region` out.
import { randomUUID } from 'node:crypto';
import http from 'node:http';
import { closeServer, httpUrl, listen } from './server.js';

/** Region recorded for unsigned requests (STS web identity) whose Host names no region. */
export const UNSIGNED_REGION = 'sts';

export type Fault =
  /** Answer with a 5xx in the service's protocol (JSON `__type` InternalServiceError, or STS XML). */
  | { kind: 'status'; status: 500 | 502 | 503 | 504 }
  /**
   * Throttle. Default: HTTP 400 with the modeled code the SDK classifies as throttling
   * (`ThrottlingException` for Secrets Manager / SSM, `Throttling` for STS).
   * `http429: true`: a bare HTTP 429 with a plain-text body, like a load balancer would send.
   */
  | { kind: 'throttle'; http429?: boolean }
  /** HTTP 400 `AccessDeniedException` (JSON services) or HTTP 403 `AccessDenied` (STS XML). */
  | { kind: 'accessDenied'; message?: string }
  /** Destroy the client socket without any response (the SDK sees ECONNRESET / socket hang up). */
  | { kind: 'reset' }
  /** Wait `ms`, then forward normally. */
  | { kind: 'latency'; ms: number };

export interface FaultRule {
  fault: Fault;
  /** Only requests for this region (from the SigV4 scope). Absent = every region. */
  region?: string;
  /** 'secretsmanager' | 'ssm' | 'sts'. Absent = every service. */
  service?: string;
  /** Operation name without prefix, e.g. 'GetSecretValue', 'GetParameters', 'AssumeRoleWithWebIdentity'. */
  operation?: string;
  /** Apply to this many matching requests, then stop matching. Absent = forever. */
  times?: number;
}

export interface FaultHandle {
  /** How many requests this rule has hit so far. */
  hits(): number;
  /** Removes this rule. */
  clear(): void;
}

export type Outcome = 'forwarded' | 'faulted';

/** One request as the proxy saw it. */
export interface RequestRecord {
  region: string;
  service: string;
  /** e.g. 'GetSecretValue', 'GetParameters', 'AssumeRoleWithWebIdentity'; '' when unknown. */
  operation: string;
  /** SigV4 access key id, '' for unsigned requests: lets tests check whose credentials were used. */
  accessKeyId: string;
  /** STS AssumeRole only: what was asked (RoleArn, RoleSessionName, ExternalId, DurationSeconds). */
  assumeRole?: Record<string, string>;
  outcome: Outcome;
  /** The fault applied, if any ('latency' requests are also forwarded). */
  fault?: Fault['kind'];
  /** The HTTP status sent back ('reset' = none: 0; upstream failure: 502). */
  status: number;
}

export interface RequestCount {
  region: string;
  service: string;
  operation: string;
  forwarded: number;
  faulted: number;
  /** Forwarded after an injected latency. */
  delayed: number;
}

export interface RequestFilter {
  region?: string;
  service?: string;
  operation?: string;
  outcome?: Outcome;
}

export interface FaultProxy {
  readonly url: string;
  setFault(rule: FaultRule): FaultHandle;
  clearFaults(): void;
  /** Aggregated per {region, service, operation}. */
  counts(): RequestCount[];
  /** Number of requests matching the filter (all fields optional). */
  count(filter?: RequestFilter): number;
  /** Every request since the last resetCounts(), in arrival order. */
  requests(): RequestRecord[];
  resetCounts(): void;
  stop(): Promise<void>;
}

interface ActiveRule extends FaultRule {
  hitCount: number;
}

interface RequestInfo {
  region: string;
  service: string;
  operation: string;
  accessKeyId: string;
  assumeRole?: Record<string, string>;
  json: boolean;
}

const TARGET_PREFIX_TO_SERVICE: Record<string, string> = {
  secretsmanager: 'secretsmanager',
  AmazonSSM: 'ssm',
};

export async function startFaultProxy(targetUrl: string, options: { host?: string } = {}): Promise<FaultProxy> {
  const target = new URL(targetUrl);
  const upstreamAgent = new http.Agent({ keepAlive: true });
  let rules: ActiveRule[] = [];
  let log: RequestRecord[] = [];

  const takeFault = (info: RequestInfo): Fault | undefined => {
    for (const rule of rules) {
      if (rule.region !== undefined && rule.region !== info.region) continue;
      if (rule.service !== undefined && rule.service !== info.service) continue;
      if (rule.operation !== undefined && rule.operation !== info.operation) continue;
      if (rule.times !== undefined && rule.hitCount >= rule.times) continue;
      rule.hitCount++;
      return rule.fault;
    }
    return undefined;
  };

  const server = http.createServer((req, res) => {
    // Buffer the request body: it is small, and the STS operation name is inside it.
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('error', () => req.socket.destroy());
    req.on('end', () => {
      const body = Buffer.concat(chunks);
      const info = describe(req, body);
      const fault = takeFault(info);
      const record = (outcome: Outcome, status: number) =>
        log.push({ ...info, outcome, status, ...(fault ? { fault: fault.kind } : {}) });

      if (!fault) return forward(req, res, body, (status) => record('forwarded', status));
      switch (fault.kind) {
        case 'latency': {
          let fired = false;
          const timer = setTimeout(() => {
            fired = true;
            forward(req, res, body, (status) => record('forwarded', status));
          }, fault.ms);
          // The client may give up (deadline) while we wait: nothing is forwarded, recorded as faulted, status 0.
          res.once('close', () => {
            if (fired) return;
            clearTimeout(timer);
            record('faulted', 0);
          });
          return;
        }
        case 'reset':
          record('faulted', 0);
          req.socket.destroy();
          return;
        default: {
          const reply = faultResponse(fault, info);
          record('faulted', reply.status);
          res.writeHead(reply.status, reply.headers);
          res.end(reply.body);
        }
      }
    });
  });

  const forward = (
    req: http.IncomingMessage,
    res: http.ServerResponse,
    body: Buffer,
    done: (status: number) => void,
  ): void => {
    if (res.destroyed) return;
    const headers = { ...req.headers };
    // Keep the client's Host (it is part of the SigV4 signature; moto routes by the Authorization header).
    delete headers['connection'];
    headers['content-length'] = String(body.length);
    delete headers['transfer-encoding'];
    const upstream = http.request(
      {
        protocol: target.protocol,
        hostname: target.hostname,
        port: target.port,
        method: req.method,
        path: req.url,
        headers,
        agent: upstreamAgent,
      },
      (upRes) => {
        done(upRes.statusCode ?? 0);
        const out: Record<string, string | string[]> = {};
        for (const [k, v] of Object.entries(upRes.headers)) {
          if (v === undefined || k === 'connection' || k === 'keep-alive') continue;
          out[k] = v;
        }
        res.writeHead(upRes.statusCode ?? 502, upRes.statusMessage, out);
        upRes.pipe(res); // responses stream through
      },
    );
    upstream.on('error', (err) => {
      done(502);
      if (!res.headersSent) {
        res.writeHead(502, { 'content-type': 'text/plain' });
        res.end(`fault proxy: upstream error: ${err.message}`);
      } else {
        res.destroy();
      }
    });
    res.once('close', () => {
      if (!res.writableFinished) upstream.destroy();
    });
    upstream.end(body);
  };

  const host = options.host ?? '127.0.0.1';
  const url = httpUrl(host, await listen(server, host));

  const matches = (r: RequestRecord, f: RequestFilter) =>
    (f.region === undefined || f.region === r.region) &&
    (f.service === undefined || f.service === r.service) &&
    (f.operation === undefined || f.operation === r.operation) &&
    (f.outcome === undefined || f.outcome === r.outcome);

  return {
    url,
    setFault(rule) {
      const active: ActiveRule = { ...rule, hitCount: 0 };
      rules.push(active);
      return {
        hits: () => active.hitCount,
        clear: () => {
          rules = rules.filter((r) => r !== active);
        },
      };
    },
    clearFaults() {
      rules = [];
    },
    counts() {
      const byKey = new Map<string, RequestCount>();
      for (const r of log) {
        const key = `${r.region}\0${r.service}\0${r.operation}`;
        let c = byKey.get(key);
        if (!c) {
          c = { region: r.region, service: r.service, operation: r.operation, forwarded: 0, faulted: 0, delayed: 0 };
          byKey.set(key, c);
        }
        c[r.outcome]++;
        if (r.fault === 'latency') c.delayed++;
      }
      return [...byKey.values()];
    },
    count(filter = {}) {
      return log.filter((r) => matches(r, filter)).length;
    },
    requests: () => [...log],
    resetCounts() {
      log = [];
    },
    async stop() {
      upstreamAgent.destroy();
      await closeServer(server);
    },
  };
}

/** Region, service, operation and signer of a request, from its headers and body. */
function describe(req: http.IncomingMessage, body: Buffer): RequestInfo {
  const auth = req.headers['authorization'] ?? '';
  const target = headerValue(req.headers['x-amz-target']);
  const contentType = headerValue(req.headers['content-type']);
  const json = target !== '' || contentType.includes('x-amz-json');

  // Credential=AKID/20240101/us-west-2/secretsmanager/aws4_request
  const scope = /Credential=([^/,\s]+)\/\d{8}\/([^/]+)\/([^/]+)\/aws4_request/.exec(auth);
  let accessKeyId = scope?.[1] ?? '';
  let region = scope?.[2] ?? '';
  let service = scope?.[3] ?? '';

  let operation = '';
  let assumeRole: Record<string, string> | undefined;
  if (target) {
    const [prefix = '', op = ''] = target.split('.', 2);
    operation = op;
    service ||= TARGET_PREFIX_TO_SERVICE[prefix] ?? prefix.toLowerCase();
  } else if (contentType.includes('x-www-form-urlencoded') || body.length > 0) {
    const form = new URLSearchParams(body.toString('utf8'));
    const action = form.get('Action');
    if (action) {
      operation = action;
      service ||= 'sts'; // the only query-protocol service the provider talks to
    }
    if (action === 'AssumeRole') {
      // Never the web identity token: only AssumeRole's fields, which are not secret.
      assumeRole = {};
      for (const key of ['RoleArn', 'RoleSessionName', 'ExternalId', 'DurationSeconds']) {
        const value = form.get(key);
        if (value !== null) assumeRole[key] = value;
      }
    }
  }
  if (!region) {
    // e.g. sts.us-west-2.amazonaws.com
    const host = headerValue(req.headers['host']);
    region = /^[a-z0-9-]+\.([a-z]{2}(?:-[a-z]+)+-\d+)\.amazonaws\.com/.exec(host)?.[1] ?? UNSIGNED_REGION;
  }
  if (!scope) accessKeyId = '';
  return { region, service: service || 'unknown', operation, accessKeyId, ...(assumeRole && { assumeRole }), json };
}

function headerValue(v: string | string[] | undefined): string {
  return Array.isArray(v) ? (v[0] ?? '') : (v ?? '');
}

interface Reply {
  status: number;
  headers: Record<string, string>;
  body: string;
}

/** The error a real service would send for `fault`, in the request's protocol (awsJson1_1 or STS query/XML). */
function faultResponse(fault: Exclude<Fault, { kind: 'latency' | 'reset' }>, info: RequestInfo): Reply {
  const requestId = randomUUID();
  if (fault.kind === 'throttle' && fault.http429) {
    // A bare 429 (no modeled error): the SDK classifies it as throttling by status code alone.
    return {
      status: 429,
      headers: { 'content-type': 'text/plain', 'x-amzn-requestid': requestId },
      body: 'Too Many Requests',
    };
  }
  let status: number;
  let code: string;
  let message: string;
  let sender: boolean;
  switch (fault.kind) {
    case 'status':
      status = fault.status;
      code = info.json
        ? info.service === 'ssm'
          ? 'InternalServerError'
          : 'InternalServiceError'
        : fault.status === 503
          ? 'ServiceUnavailable'
          : 'InternalFailure';
      message = 'injected';
      sender = false;
      break;
    case 'throttle':
      status = 400;
      code = info.json ? 'ThrottlingException' : 'Throttling';
      message = 'Rate exceeded';
      sender = true;
      break;
    case 'accessDenied':
      status = info.json ? 400 : 403;
      code = info.json ? 'AccessDeniedException' : 'AccessDenied';
      message =
        fault.message ??
        `User is not authorized to perform: ${info.service}:${info.operation} (injected by fault proxy, region ${info.region})`;
      sender = true;
      break;
  }
  if (info.json) {
    return {
      status,
      headers: { 'content-type': 'application/x-amz-json-1.1', 'x-amzn-requestid': requestId },
      body: JSON.stringify({ __type: code, message }),
    };
  }
  return {
    status,
    headers: { 'content-type': 'text/xml', 'x-amzn-requestid': requestId },
    body:
      `<ErrorResponse xmlns="https://sts.amazonaws.com/doc/2011-06-15/">` +
      `<Error><Type>${sender ? 'Sender' : 'Receiver'}</Type><Code>${code}</Code>` +
      `<Message>${escapeXml(message)}</Message></Error>` +
      `<RequestId>${requestId}</RequestId></ErrorResponse>`,
  };
}

function escapeXml(s: string): string {
  return s.replace(/[<>&'"]/g, (c) => `&#${c.charCodeAt(0)};`);
}
