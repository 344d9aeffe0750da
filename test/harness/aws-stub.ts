// A fast wire-level stub of the AWS endpoints a provider talks to, for the bench and the in-cluster test:
// one Node HTTP server answering
//   - Secrets Manager GetSecretValue and DescribeSecret (awsJson1_1, X-Amz-Target secretsmanager.*),
//   - SSM GetParameters (awsJson1_1, X-Amz-Target AmazonSSM.*),
//   - STS AssumeRoleWithWebIdentity (awsQuery: form body with Action=..., XML response),
//   - the EKS Pod Identity agent, GET /v1/credentials (also in proxy form, `GET http://169.254.170.23/v1/credentials`,
//     so it can serve as HTTP_PROXY for a client that has the agent address hard-coded).
// With `tls` it also accepts CONNECT (HTTPS_PROXY) and terminates TLS itself, so a client that ignores
// endpoint overrides and calls https://<service>.<region>.amazonaws.com still lands here (the client must
// trust the CA that signed `tls.cert`, e.g. SSL_CERT_FILE for Go).
//
// It never verifies signatures. It counts calls per operation and per region (from the SigV4 credential
// scope, else from the Host name), injects a configurable latency before every response (default 20 ms),
// and can fail every request signed for a region (503 InternalServiceError) to benchmark "primary down".
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { randomBytes, randomUUID } from 'node:crypto';
import { createSecureContext, TLSSocket, type SecureContext } from 'node:tls';
import type { Socket } from 'node:net';
import { httpUrl, listen } from './server.js';

export const OP_GET_SECRET_VALUE = 'GetSecretValue';
export const OP_DESCRIBE_SECRET = 'DescribeSecret';
export const OP_GET_PARAMETERS = 'GetParameters';
export const OP_ASSUME_ROLE_WEB_IDENTITY = 'AssumeRoleWithWebIdentity';
export const OP_POD_IDENTITY = 'PodIdentityAgent';

/** The region key used for calls whose region cannot be told (unsigned calls to a bare endpoint URL, the agent). */
export const NO_REGION = '-';

export interface AwsStubOptions {
  /** Port to listen on (0 = any free port). */
  port?: number;
  /** Address to listen on; default 127.0.0.1. */
  host?: string;
  /** Injected latency in ms before each response; default 20. */
  latencyMs?: number;
  /** Account id used in ARNs and agent responses; default 123456789012. */
  accountId?: string;
  /** Lifetime of the credentials STS and the agent hand out, in seconds; default 3600. */
  credentialTtlSeconds?: number;
  /** Certificate and key (PEM) to terminate TLS for CONNECT tunnels; without it CONNECT is refused. */
  tls?: { cert: string; key: string };
}

export interface StubCounts {
  /** All requests answered (including injected failures). */
  total: number;
  /** Requests answered with an error status (injected or not). */
  errors: number;
  byOperation: Record<string, number>;
  /** region -> operation -> calls. */
  byRegion: Record<string, Record<string, number>>;
  /** Most requests in flight at once (including the injected wait). */
  peakInFlight: number;
}

interface SecretVersion {
  versionId: string;
  value: string | Uint8Array;
  stages: string[];
  created: number; // epoch seconds
}
interface SecretRecord {
  name: string;
  arn: string;
  versions: SecretVersion[];
}
interface ParameterVersion {
  version: number;
  value: string;
  type: ParameterType;
  labels: string[];
  modified: number; // epoch seconds
}
interface ParameterRecord {
  name: string;
  arn: string;
  versions: ParameterVersion[];
}
export type ParameterType = 'String' | 'SecureString' | 'StringList';

interface RegionData {
  secretsByName: Map<string, SecretRecord>;
  secretsByArn: Map<string, SecretRecord>;
  parameters: Map<string, ParameterRecord>;
}

type Protocol = 'json' | 'query' | 'agent';

interface Reply {
  status: number;
  body: string;
  contentType: string;
  errorType?: string;
}

const JSON_CT = 'application/x-amz-json-1.1';
const SCOPE_RE = /Credential=[^/,\s]+\/\d{8}\/([^/]+)\/([^/]+)\//;
const HOST_RE = /^([a-z0-9-]+)\.([a-z]{2}(?:-[a-z]+)+-\d)\.amazonaws\.com(?::\d+)?$/;

export class AwsStub {
  readonly host: string;
  readonly port: number;
  readonly url: string;
  readonly accountId: string;
  latencyMs: number;
  credentialTtlSeconds: number;

  private readonly server: Server;
  private readonly regions = new Map<string, RegionData>();
  private readonly downRegions = new Set<string>();
  private readonly downOperations = new Set<string>();
  private readonly opLatency = new Map<string, number>();
  private ops = new Map<string, number>();
  private regionOps = new Map<string, Map<string, number>>();
  private total = 0;
  private errors = 0;
  private inFlight = 0;
  private peak = 0;
  private requestSeq = 0;
  private keySeq = 0;
  private readonly sockets = new Set<Socket>();

  private constructor(server: Server, host: string, port: number, opts: AwsStubOptions) {
    this.server = server;
    this.host = host;
    this.port = port;
    this.url = httpUrl(host, port);
    this.accountId = opts.accountId ?? '123456789012';
    this.latencyMs = opts.latencyMs ?? 20;
    this.credentialTtlSeconds = opts.credentialTtlSeconds ?? 3600;
  }

  static async start(opts: AwsStubOptions = {}): Promise<AwsStub> {
    const host = opts.host ?? '127.0.0.1';
    const server = createServer({ keepAlive: true });
    server.keepAliveTimeout = 65_000;
    server.headersTimeout = 66_000;
    server.requestTimeout = 0;
    const port = await listen(server, host, { ...(opts.port !== undefined && { port: opts.port }), backlog: 4096 });
    const stub = new AwsStub(server, host, port, opts);
    stub.attach(opts.tls ? createSecureContext({ cert: opts.tls.cert, key: opts.tls.key }) : undefined);
    return stub;
  }

  /** Environment that points AWS SDKs (Go v2, JS v3) at this stub for the services it answers. */
  endpointEnv(): Record<string, string> {
    return {
      AWS_ENDPOINT_URL_SECRETS_MANAGER: this.url,
      AWS_ENDPOINT_URL_SSM: this.url,
      AWS_ENDPOINT_URL_STS: this.url,
    };
  }

  // ---- data ---------------------------------------------------------------------------------------

  /**
   * Stores a new version of a secret (created on first use) and makes it AWSCURRENT; the previous
   * AWSCURRENT becomes AWSPREVIOUS. A Uint8Array value is served as SecretBinary.
   */
  putSecret(
    region: string,
    name: string,
    value: string | Uint8Array,
    opts: { versionId?: string; stages?: string[] } = {},
  ): { arn: string; versionId: string } {
    const data = this.region(region);
    let rec = data.secretsByName.get(name);
    if (!rec) {
      const suffix = randomBytes(6).toString('base64').replace(/[^A-Za-z0-9]/g, 'x').slice(0, 6);
      rec = { name, arn: `arn:aws:secretsmanager:${region}:${this.accountId}:secret:${name}-${suffix}`, versions: [] };
      data.secretsByName.set(name, rec);
      data.secretsByArn.set(rec.arn, rec);
    }
    const stages = opts.stages ?? ['AWSCURRENT'];
    for (const v of rec.versions) {
      const hadCurrent = v.stages.includes('AWSCURRENT');
      v.stages = v.stages.filter((s) => !stages.includes(s) && s !== 'AWSPREVIOUS');
      if (hadCurrent && stages.includes('AWSCURRENT')) v.stages.push('AWSPREVIOUS');
    }
    const version: SecretVersion = {
      versionId: opts.versionId ?? randomUUID(),
      value,
      stages: [...stages],
      created: Date.now() / 1000,
    };
    rec.versions.push(version);
    return { arn: rec.arn, versionId: version.versionId };
  }

  /** Stores a new version of a parameter (version 1 on first use); `labels` move to the new version. */
  putParameter(
    region: string,
    name: string,
    value: string,
    opts: { type?: ParameterType; labels?: string[] } = {},
  ): { arn: string; version: number } {
    const data = this.region(region);
    let rec = data.parameters.get(name);
    if (!rec) {
      const path = name.startsWith('/') ? name : `/${name}`;
      rec = { name, arn: `arn:aws:ssm:${region}:${this.accountId}:parameter${path}`, versions: [] };
      data.parameters.set(name, rec);
    }
    const labels = opts.labels ?? [];
    for (const v of rec.versions) v.labels = v.labels.filter((l) => !labels.includes(l));
    const version = (rec.versions.at(-1)?.version ?? 0) + 1;
    rec.versions.push({ version, value, type: opts.type ?? 'String', labels: [...labels], modified: Date.now() / 1000 });
    return { arn: rec.arn, version };
  }

  /** Forgets all secrets and parameters. */
  clearData(): void {
    this.regions.clear();
  }

  // ---- behaviour switches -------------------------------------------------------------------------

  /** Latency for one operation (overrides `latencyMs`); pass undefined to go back to the default. */
  setOperationLatency(operation: string, ms: number | undefined): void {
    if (ms === undefined) this.opLatency.delete(operation);
    else this.opLatency.set(operation, ms);
  }

  /** While down, every request signed for (or addressed to) `region` gets 503 InternalServiceError. */
  setRegionDown(region: string, down = true): void {
    if (down) this.downRegions.add(region);
    else this.downRegions.delete(region);
  }

  /** While down, every request for `operation` (e.g. OP_POD_IDENTITY) gets a 503. */
  setOperationDown(operation: string, down = true): void {
    if (down) this.downOperations.add(operation);
    else this.downOperations.delete(operation);
  }

  // ---- counters -----------------------------------------------------------------------------------

  counts(): StubCounts {
    const byRegion: Record<string, Record<string, number>> = {};
    for (const [region, m] of this.regionOps) byRegion[region] = Object.fromEntries(m);
    return {
      total: this.total,
      errors: this.errors,
      byOperation: Object.fromEntries(this.ops),
      byRegion,
      peakInFlight: this.peak,
    };
  }

  resetCounts(): void {
    this.ops = new Map();
    this.regionOps = new Map();
    this.total = 0;
    this.errors = 0;
    this.peak = this.inFlight;
  }

  async close(): Promise<void> {
    await new Promise<void>((resolve) => {
      this.server.close(() => resolve());
      for (const s of this.sockets) s.destroy();
      this.server.closeAllConnections();
    });
  }

  // ---- wire ---------------------------------------------------------------------------------------

  private attach(secureContext: SecureContext | undefined): void {
    this.server.on('connection', (s: Socket) => {
      this.sockets.add(s);
      s.once('close', () => this.sockets.delete(s));
    });
    this.server.on('request', (req: IncomingMessage, res: ServerResponse) => this.onRequest(req, res));
    this.server.on('connect', (req: IncomingMessage, socket: Socket, head: Buffer) => {
      if (!secureContext) {
        socket.end('HTTP/1.1 405 Method Not Allowed\r\nContent-Length: 0\r\n\r\n');
        return;
      }
      this.sockets.add(socket);
      socket.once('close', () => this.sockets.delete(socket));
      socket.write('HTTP/1.1 200 Connection Established\r\n\r\n');
      if (head.length > 0) socket.unshift(head);
      const tlsSocket = new TLSSocket(socket, { isServer: true, secureContext, ALPNProtocols: ['http/1.1'] });
      tlsSocket.on('error', () => socket.destroy());
      this.server.emit('connection', tlsSocket);
    });
  }

  private onRequest(req: IncomingMessage, res: ServerResponse): void {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      this.inFlight++;
      if (this.inFlight > this.peak) this.peak = this.inFlight;
      let reply: Reply;
      let op: string;
      try {
        [op, reply] = this.handle(req, chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks));
      } catch (err) {
        op = 'Unknown';
        reply = jsonError(500, 'InternalFailure', String(err));
      }
      const delay = this.opLatency.get(op) ?? this.latencyMs;
      const send = () => {
        this.inFlight--;
        if (reply.status >= 400) this.errors++;
        const headers: Record<string, string | number> = {
          'Content-Type': reply.contentType,
          'Content-Length': Buffer.byteLength(reply.body),
          'x-amzn-RequestId': `stub-${++this.requestSeq}`,
        };
        if (reply.errorType) headers['x-amzn-ErrorType'] = reply.errorType;
        res.writeHead(reply.status, headers);
        res.end(reply.body);
      };
      if (delay > 0) setTimeout(send, delay);
      else send();
    });
    req.on('error', () => res.destroy());
  }

  /** Works out the operation and region, counts the call, and builds the reply. */
  private handle(req: IncomingMessage, body: Buffer): [string, Reply] {
    const url = new URL(req.url ?? '/', 'http://stub.invalid');
    const target = req.headers['x-amz-target'];
    let protocol: Protocol;
    let op: string;
    let form: URLSearchParams | undefined;
    if (typeof target === 'string' && target.includes('.')) {
      protocol = 'json';
      op = target.slice(target.lastIndexOf('.') + 1);
    } else if (url.pathname === '/v1/credentials' && req.method === 'GET') {
      protocol = 'agent';
      op = OP_POD_IDENTITY;
    } else {
      protocol = 'query';
      form = new URLSearchParams(body.length > 0 ? body.toString('utf8') : url.search);
      op = form.get('Action') ?? 'Unknown';
    }
    const region = protocol === 'agent' ? NO_REGION : regionOf(req);
    this.count(op, region);

    if (this.downOperations.has(op) || (region !== NO_REGION && this.downRegions.has(region))) {
      const message = `stub: ${region === NO_REGION ? op : region} is down`;
      if (protocol === 'query') return [op, queryError(503, 'ServiceUnavailable', message, 'Receiver')];
      if (protocol === 'agent') return [op, { status: 503, contentType: 'application/json', body: JSON.stringify({ code: 'ServiceUnavailable', message }) }];
      return [op, jsonError(503, 'InternalServiceError', message)];
    }

    switch (protocol) {
      case 'agent':
        return [op, this.podIdentityCredentials(req)];
      case 'query':
        if (op === OP_ASSUME_ROLE_WEB_IDENTITY) return [op, this.assumeRoleWithWebIdentity(form!)];
        return [op, queryError(400, 'InvalidAction', `stub: operation ${op} is not implemented`, 'Sender')];
      case 'json': {
        let input: Record<string, unknown>;
        try {
          input = body.length > 0 ? (JSON.parse(body.toString('utf8')) as Record<string, unknown>) : {};
        } catch {
          return [op, jsonError(400, 'SerializationException', 'stub: request body is not JSON')];
        }
        const data = this.regions.get(region);
        if (op === OP_GET_SECRET_VALUE) return [op, this.getSecretValue(data, input)];
        if (op === OP_DESCRIBE_SECRET) return [op, this.describeSecret(data, input)];
        if (op === OP_GET_PARAMETERS) return [op, this.getParameters(data, input)];
        return [op, jsonError(400, 'UnknownOperationException', `stub: operation ${op} is not implemented`)];
      }
    }
  }

  private count(op: string, region: string): void {
    this.total++;
    this.ops.set(op, (this.ops.get(op) ?? 0) + 1);
    let m = this.regionOps.get(region);
    if (!m) this.regionOps.set(region, (m = new Map()));
    m.set(op, (m.get(op) ?? 0) + 1);
  }

  private region(region: string): RegionData {
    let data = this.regions.get(region);
    if (!data) {
      data = { secretsByName: new Map(), secretsByArn: new Map(), parameters: new Map() };
      this.regions.set(region, data);
    }
    return data;
  }

  // ---- Secrets Manager ----------------------------------------------------------------------------

  private findSecret(data: RegionData | undefined, id: unknown): SecretRecord | undefined {
    if (!data || typeof id !== 'string') return undefined;
    return id.startsWith('arn:') ? data.secretsByArn.get(id) : data.secretsByName.get(id);
  }

  private getSecretValue(data: RegionData | undefined, input: Record<string, unknown>): Reply {
    const rec = this.findSecret(data, input['SecretId']);
    if (!rec) return jsonError(400, 'ResourceNotFoundException', "Secrets Manager can't find the specified secret.");
    const versionId = typeof input['VersionId'] === 'string' ? input['VersionId'] : undefined;
    const stage = typeof input['VersionStage'] === 'string' ? input['VersionStage'] : undefined;
    let version: SecretVersion | undefined;
    if (versionId) {
      version = rec.versions.find((v) => v.versionId === versionId);
      if (version && stage && !version.stages.includes(stage)) {
        return jsonError(400, 'InvalidRequestException', 'You provided a VersionStage that is not associated to the provided VersionId.');
      }
    } else {
      const want = stage ?? 'AWSCURRENT';
      version = rec.versions.find((v) => v.stages.includes(want));
    }
    if (!version) {
      return jsonError(400, 'ResourceNotFoundException', `Secrets Manager can't find the specified secret value for ${versionId ? `VersionId: ${versionId}` : `staging label: ${stage ?? 'AWSCURRENT'}`}`);
    }
    const out: Record<string, unknown> = {
      ARN: rec.arn,
      Name: rec.name,
      VersionId: version.versionId,
      VersionStages: version.stages,
      CreatedDate: version.created,
    };
    if (typeof version.value === 'string') out['SecretString'] = version.value;
    else out['SecretBinary'] = Buffer.from(version.value).toString('base64');
    return jsonOk(out);
  }

  private describeSecret(data: RegionData | undefined, input: Record<string, unknown>): Reply {
    const rec = this.findSecret(data, input['SecretId']);
    if (!rec) return jsonError(400, 'ResourceNotFoundException', "Secrets Manager can't find the specified secret.");
    const stages: Record<string, string[]> = {};
    for (const v of rec.versions) if (v.stages.length > 0) stages[v.versionId] = v.stages;
    return jsonOk({ ARN: rec.arn, Name: rec.name, VersionIdsToStages: stages });
  }

  // ---- SSM ----------------------------------------------------------------------------------------

  private getParameters(data: RegionData | undefined, input: Record<string, unknown>): Reply {
    const names = input['Names'];
    if (!Array.isArray(names) || names.length === 0 || names.some((n) => typeof n !== 'string')) {
      return jsonError(400, 'ValidationException', 'stub: Names must be a non-empty list of strings');
    }
    if (names.length > 10) {
      return jsonError(400, 'ValidationException', `1 validation error detected: Value at 'names' failed to satisfy constraint: Member must have length less than or equal to 10`);
    }
    const decrypt = input['WithDecryption'] === true;
    const parameters: Record<string, unknown>[] = [];
    const invalid: string[] = [];
    for (const requested of names as string[]) {
      const { name, selector } = splitSelector(requested);
      const rec = data ? (data.parameters.get(name) ?? (name.startsWith('/') ? data.parameters.get(name.slice(1)) : undefined)) : undefined;
      let version: ParameterVersion | undefined;
      if (rec) {
        if (selector === undefined) version = rec.versions.at(-1);
        else if (/^\d+$/.test(selector)) version = rec.versions.find((v) => v.version === Number(selector));
        else version = rec.versions.find((v) => v.labels.includes(selector));
      }
      if (!rec || !version) {
        invalid.push(requested);
        continue;
      }
      const value = version.type === 'SecureString' && !decrypt
        ? Buffer.from(`stub-kms-ciphertext:${version.value}`).toString('base64')
        : version.value;
      const p: Record<string, unknown> = {
        Name: rec.name,
        Type: version.type,
        Value: value,
        Version: version.version,
        LastModifiedDate: version.modified,
        ARN: rec.arn,
        DataType: 'text',
      };
      if (selector !== undefined) p['Selector'] = `:${selector}`;
      parameters.push(p);
    }
    return jsonOk({ Parameters: parameters, InvalidParameters: invalid });
  }

  // ---- credentials --------------------------------------------------------------------------------

  private newCredentials(): { accessKeyId: string; secretAccessKey: string; token: string; expiration: string } {
    const n = ++this.keySeq;
    return {
      accessKeyId: `ASIASTUB${n.toString().padStart(12, '0')}`,
      secretAccessKey: randomBytes(30).toString('base64'),
      token: `stub-session-token-${n}-${randomBytes(24).toString('base64')}`,
      expiration: new Date(Date.now() + this.credentialTtlSeconds * 1000).toISOString().replace(/\.\d{3}Z$/, 'Z'),
    };
  }

  private assumeRoleWithWebIdentity(form: URLSearchParams): Reply {
    const roleArn = form.get('RoleArn');
    const session = form.get('RoleSessionName') ?? 'session';
    const token = form.get('WebIdentityToken');
    if (!roleArn) return queryError(400, 'ValidationError', 'stub: RoleArn is required', 'Sender');
    if (!token) return queryError(400, 'InvalidIdentityToken', 'stub: WebIdentityToken is required', 'Sender');
    const c = this.newCredentials();
    const roleName = roleArn.slice(roleArn.lastIndexOf('/') + 1);
    const body =
      '<AssumeRoleWithWebIdentityResponse xmlns="https://sts.amazonaws.com/doc/2011-06-15/">' +
      '<AssumeRoleWithWebIdentityResult>' +
      `<SubjectFromWebIdentityToken>${xml(subjectOf(token))}</SubjectFromWebIdentityToken>` +
      '<Audience>sts.amazonaws.com</Audience>' +
      `<AssumedRoleUser><Arn>arn:aws:sts::${this.accountId}:assumed-role/${xml(roleName)}/${xml(session)}</Arn>` +
      `<AssumedRoleId>AROASTUB${this.accountId}:${xml(session)}</AssumedRoleId></AssumedRoleUser>` +
      `<Credentials><AccessKeyId>${c.accessKeyId}</AccessKeyId><SecretAccessKey>${xml(c.secretAccessKey)}</SecretAccessKey>` +
      `<SessionToken>${xml(c.token)}</SessionToken><Expiration>${c.expiration}</Expiration></Credentials>` +
      '<Provider>oidc.eks.stub.amazonaws.com</Provider>' +
      '</AssumeRoleWithWebIdentityResult>' +
      `<ResponseMetadata><RequestId>${randomUUID()}</RequestId></ResponseMetadata>` +
      '</AssumeRoleWithWebIdentityResponse>';
    return { status: 200, contentType: 'text/xml', body };
  }

  private podIdentityCredentials(req: IncomingMessage): Reply {
    const auth = req.headers['authorization'];
    if (!auth) {
      return { status: 400, contentType: 'application/json', body: JSON.stringify({ code: 'InvalidToken', message: 'stub: missing Authorization header' }) };
    }
    const c = this.newCredentials();
    return {
      status: 200,
      contentType: 'application/json',
      body: JSON.stringify({
        AccessKeyId: c.accessKeyId,
        SecretAccessKey: c.secretAccessKey,
        Token: c.token,
        AccountId: this.accountId,
        Expiration: c.expiration,
      }),
    };
  }
}

export function startAwsStub(opts: AwsStubOptions = {}): Promise<AwsStub> {
  return AwsStub.start(opts);
}

// ---- helpers --------------------------------------------------------------------------------------

function regionOf(req: IncomingMessage): string {
  const auth = req.headers['authorization'];
  if (typeof auth === 'string') {
    const m = SCOPE_RE.exec(auth);
    if (m) return m[1]!;
  }
  const host = req.headers['host'];
  if (typeof host === 'string') {
    const m = HOST_RE.exec(host);
    if (m) return m[2]!;
  }
  return NO_REGION;
}

/** "name", "name:3", "name:label", "arn:aws:ssm:r:a:parameter/name[:sel]" -> name and selector. */
function splitSelector(requested: string): { name: string; selector: string | undefined } {
  let rest = requested;
  if (rest.startsWith('arn:')) {
    const parts = rest.split(':');
    const resource = parts[5] ?? '';
    rest = resource.startsWith('parameter') ? resource.slice('parameter'.length) : resource;
    if (parts.length > 6) return { name: rest, selector: parts.slice(6).join(':') };
    return { name: rest, selector: undefined };
  }
  const i = rest.lastIndexOf(':');
  if (i > 0) return { name: rest.slice(0, i), selector: rest.slice(i + 1) };
  return { name: rest, selector: undefined };
}

function jsonOk(out: unknown): Reply {
  return { status: 200, contentType: JSON_CT, body: JSON.stringify(out) };
}

function jsonError(status: number, type: string, message: string): Reply {
  return { status, contentType: JSON_CT, errorType: type, body: JSON.stringify({ __type: type, message, Message: message }) };
}

function queryError(status: number, code: string, message: string, kind: 'Sender' | 'Receiver'): Reply {
  return {
    status,
    contentType: 'text/xml',
    body:
      '<ErrorResponse xmlns="https://sts.amazonaws.com/doc/2011-06-15/">' +
      `<Error><Type>${kind}</Type><Code>${code}</Code><Message>${xml(message)}</Message></Error>` +
      `<RequestId>${randomUUID()}</RequestId></ErrorResponse>`,
  };
}

function xml(s: string): string {
  return s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
}

/** The `sub` claim of a JWT, if it decodes; used only to fill SubjectFromWebIdentityToken. */
function subjectOf(jwt: string): string {
  try {
    const payload = jwt.split('.')[1];
    if (!payload) return 'unknown';
    const claims = JSON.parse(Buffer.from(payload, 'base64url').toString('utf8')) as { sub?: unknown };
    return typeof claims.sub === 'string' ? claims.sub : 'unknown';
  } catch {
    return 'unknown';
  }
}
