// A stub of the EKS Pod Identity agent (the node-local daemon at 169.254.170.23 / [fd00:ec2::23]):
// GET /v1/credentials with `Authorization: <pod's pods.eks.amazonaws.com token>` returns temporary AWS
// credentials for the role associated with the pod's service account. Here, tokens the test allowed get
// credentials that moto accepts; anything else gets an error, as the real agent does when EKS Auth rejects
// the token.
//
// It can listen on 127.0.0.1 or ::1, so a test can run one on ::1 only and hand the provider an unused IPv4
// port, proving the IPv4 -> IPv6 fallback.
import { randomBytes } from 'node:crypto';
import http from 'node:http';
import net from 'node:net';
import { closeServer, httpUrl, listen } from './server.js';

export interface AgentCredentials {
  AccessKeyId: string;
  SecretAccessKey: string;
  Token: string;
  AccountId: string;
  /** ISO-8601, e.g. 2025-01-01T06:00:00Z */
  Expiration: string;
}

export interface AllowTokenOptions {
  /**
   * The role associated with the pod. Needs the agent started with `motoUrl`: credentials are then minted by
   * moto (AssumeRoleWithWebIdentity), so moto maps them to the role's account, and AccountId is that account.
   * Without it, moto maps the random FSIA keys to its default account 123456789012, whatever AccountId says.
   */
  roleArn?: string;
  /** AccountId field when no roleArn is given; default 123456789012 (moto's default account). Cosmetic for moto. */
  accountId?: string;
  /** Lifetime of the handed-out credentials; default 6 hours, like the real agent. */
  expiresInMs?: number;
  /** Fix the access key id (default: a fresh 'FSIA' + 16 characters per call). */
  accessKeyId?: string;
}

export type AgentFault =
  | { kind: 'status'; status: number }
  | { kind: 'latency'; ms: number }
  /** Accept the request and never answer until the client gives up (a black hole, for timeout tests). */
  | { kind: 'hang' }
  | { kind: 'reset' };

export interface AgentCall {
  authorization: string;
  status: number;
  /** The credentials returned, if any. */
  credentials?: AgentCredentials;
}

export interface PodIdentityAgent {
  /** Full credentials endpoint, e.g. http://127.0.0.1:PORT/v1/credentials or http://[::1]:PORT/v1/credentials */
  readonly url: string;
  readonly host: string;
  readonly port: number;
  allowToken(token: string, options?: AllowTokenOptions): void;
  revokeToken(token: string): void;
  /** Applies `fault` to the next `times` calls (default: all calls until clearFaults()). */
  setFault(fault: AgentFault, times?: number): void;
  clearFaults(): void;
  /** Number of GET /v1/credentials calls (optionally only those with this token). */
  count(token?: string): number;
  calls(): AgentCall[];
  resetCounts(): void;
  /** Forgets allowed tokens, faults and calls. */
  reset(): void;
  stop(): Promise<void>;
}

const DEFAULT_ACCOUNT = '123456789012';
const SIX_HOURS_MS = 6 * 60 * 60 * 1000;

export interface StartAgentOptions {
  host?: '127.0.0.1' | '::1';
  /** Listen on this port (e.g. one from unusedEndpoint, to start an agent late); default a free one. */
  port?: number;
  /** moto's URL, to mint role credentials for tokens allowed with a roleArn. */
  motoUrl?: string;
}

export async function startPodIdentityAgent(options: StartAgentOptions = {}): Promise<PodIdentityAgent> {
  const host = options.host ?? '127.0.0.1';
  const allowed = new Map<string, AllowTokenOptions>();
  let faults: Array<{ fault: AgentFault; remaining: number }> = [];
  let log: AgentCall[] = [];

  const server = http.createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://agent');
    const authorization = req.headers['authorization'] ?? '';
    const reply = (status: number, body: object, credentials?: AgentCredentials) => {
      log.push({ authorization, status, ...(credentials ? { credentials } : {}) });
      if (res.destroyed) return; // the client gave up
      const text = JSON.stringify(body);
      res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text) });
      res.end(text);
    };
    if (req.method !== 'GET' || url.pathname !== '/v1/credentials') {
      res.writeHead(404, { 'content-type': 'text/plain' });
      res.end('404 page not found\n');
      return;
    }

    const entry = faults.find((f) => f.remaining > 0);
    if (entry) {
      entry.remaining--;
      const fault = entry.fault;
      switch (fault.kind) {
        case 'status':
          return reply(fault.status, { code: 'InternalError', message: 'injected by harness' });
        case 'hang':
          log.push({ authorization, status: 0 });
          return; // never answer; stop() closes the connection
        case 'reset':
          log.push({ authorization, status: 0 });
          req.socket.destroy();
          return;
        case 'latency':
          setTimeout(() => answer(), fault.ms);
          return;
      }
    }
    answer();

    function answer() {
      if (res.destroyed) return;
      if (!authorization) {
        return reply(400, { code: 'InvalidParameterException', message: 'Service account token cannot be empty' });
      }
      const grant = allowed.get(authorization);
      if (!grant) {
        return reply(403, {
          code: 'AccessDeniedException',
          message: 'Failed to retrieve credentials: the service account token is not valid for a pod identity association',
        });
      }
      const expiration = new Date(Date.now() + (grant.expiresInMs ?? SIX_HOURS_MS)).toISOString().replace(/\.\d{3}Z$/, 'Z');
      if (grant.roleArn === undefined) {
        const credentials: AgentCredentials = {
          AccessKeyId: grant.accessKeyId ?? `FSIA${randomChars(16)}`,
          SecretAccessKey: randomBytes(30).toString('base64'),
          Token: `IQoJb3JpZ2luX2VjE${randomBytes(48).toString('base64')}`,
          AccountId: grant.accountId ?? DEFAULT_ACCOUNT,
          Expiration: expiration,
        };
        return reply(200, credentials, credentials);
      }
      mintFromMoto(options.motoUrl, grant.roleArn, authorization).then(
        (minted) => {
          const credentials: AgentCredentials = { ...minted, Expiration: expiration };
          reply(200, credentials, credentials);
        },
        (err: Error) => reply(500, { code: 'InternalError', message: `harness could not mint credentials: ${err.message}` }),
      );
    }
  });

  const port = await listen(server, host, options.port !== undefined ? { port: options.port } : {});
  const url = `${httpUrl(host, port)}/v1/credentials`;

  return {
    url,
    host,
    port,
    allowToken(token, grant = {}) {
      allowed.set(token, grant);
    },
    revokeToken(token) {
      allowed.delete(token);
    },
    setFault(fault, times = Number.POSITIVE_INFINITY) {
      faults.push({ fault, remaining: times });
    },
    clearFaults() {
      faults = [];
    },
    count(token) {
      return token === undefined ? log.length : log.filter((c) => c.authorization === token).length;
    },
    calls: () => [...log],
    resetCounts() {
      log = [];
    },
    reset() {
      allowed.clear();
      faults = [];
      log = [];
    },
    stop: () => closeServer(server),
  };
}

/** Role credentials from moto's (unsigned, unverified) AssumeRoleWithWebIdentity: moto ties their keys to the role's account. */
async function mintFromMoto(
  motoUrl: string | undefined,
  roleArn: string,
  token: string,
): Promise<Omit<AgentCredentials, 'Expiration'>> {
  if (!motoUrl) throw new Error('allowToken with roleArn needs the agent started with motoUrl');
  const res = await fetch(motoUrl, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({
      Action: 'AssumeRoleWithWebIdentity',
      Version: '2011-06-15',
      RoleArn: roleArn,
      RoleSessionName: 'eks-pod-identity',
      WebIdentityToken: token,
    }),
  });
  const xml = await res.text();
  const field = (name: string) => new RegExp(`<${name}>([^<]*)</${name}>`).exec(xml)?.[1];
  const accessKeyId = field('AccessKeyId');
  const secretAccessKey = field('SecretAccessKey');
  const sessionToken = field('SessionToken');
  if (!res.ok || !accessKeyId || !secretAccessKey || !sessionToken) throw new Error(`moto STS: HTTP ${res.status} ${xml}`);
  return {
    AccessKeyId: accessKeyId,
    SecretAccessKey: secretAccessKey,
    Token: sessionToken,
    AccountId: /^arn:[^:]+:iam::(\d{12}):/.exec(roleArn)?.[1] ?? DEFAULT_ACCOUNT,
  };
}

/**
 * A loopback URL where nothing listens (the port was free a moment ago), e.g. as the IPv4 endpoint when
 * testing the fallback to IPv6: connecting gets ECONNREFUSED.
 */
export async function unusedEndpoint(host: '127.0.0.1' | '::1' = '127.0.0.1'): Promise<string> {
  const probe = net.createServer();
  const port = await listen(probe, host);
  await new Promise<void>((resolve) => probe.close(() => resolve()));
  return `${httpUrl(host, port)}/v1/credentials`;
}

const ALPHANUM = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ234567';

function randomChars(n: number): string {
  return [...randomBytes(n)].map((b) => ALPHANUM[b % ALPHANUM.length]).join('');
}
