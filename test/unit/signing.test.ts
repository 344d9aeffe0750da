// The pod's credentials travel with each command (clients are shared by all
// identities): each request must carry a valid SigV4 signature for exactly the
// pod's credentials. The server here verifies signatures as AWS does: it
// recomputes them from the received request with the expected secret key.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash, createHmac } from 'node:crypto';
import { createServer } from 'node:http';
import { SignatureV4 } from '@smithy/signature-v4';
import { AwsSdkPort } from '../../src/aws/sdk-port.js';
import type { AwsPort, SignedCallOptions } from '../../src/aws/port.js';

const POD = { accessKeyId: 'ASIAPODPODPODPOD0001', secretAccessKey: 'pod-secret', sessionToken: 'pod-session-token', identityKey: 'k1' };
const OTHER = { accessKeyId: 'ASIAOTHEROTHEROTHER2', secretAccessKey: 'other-secret', sessionToken: 'other-session', identityKey: 'k2' };
const SECRETS: Record<string, string> = { [POD.accessKeyId]: POD.secretAccessKey, [OTHER.accessKeyId]: OTHER.secretAccessKey };

class Sha256 {
  private readonly hash;
  constructor(secret?: unknown) {
    this.hash = secret ? createHmac('sha256', secret as string) : createHash('sha256');
  }
  update(data: string | Uint8Array) {
    this.hash.update(data);
  }
  async digest() {
    return new Uint8Array(this.hash.digest());
  }
}

interface Received {
  accessKeyId: string;
  token: string | undefined;
  valid: boolean;
}

async function verify(service: string, method: string, path: string, headers: Record<string, string>, body: string): Promise<Received> {
  const auth = headers.authorization ?? '';
  const accessKeyId = /Credential=([^/]+)\//.exec(auth)?.[1] ?? '';
  const signedHeaders = /SignedHeaders=([^,]+)/.exec(auth)?.[1]?.split(';') ?? [];
  const secretAccessKey = SECRETS[accessKeyId];
  if (!secretAccessKey) return { accessKeyId, token: headers['x-amz-security-token'], valid: false };
  const toSign = Object.fromEntries(signedHeaders.map((h) => [h, headers[h]!]));
  const signer = new SignatureV4({ credentials: { accessKeyId, secretAccessKey, sessionToken: headers['x-amz-security-token'] }, region: 'us-east-1', service, sha256: Sha256 });
  const d = headers['x-amz-date']!;
  const signingDate = new Date(`${d.slice(0, 4)}-${d.slice(4, 6)}-${d.slice(6, 8)}T${d.slice(9, 11)}:${d.slice(11, 13)}:${d.slice(13, 15)}Z`);
  const [hostname, port] = headers.host!.split(':');
  const resigned = await signer.sign(
    { method, protocol: 'http:', hostname: hostname!, port: Number(port), path, query: {}, headers: toSign, body },
    { signingDate },
  );
  return { accessKeyId, token: headers['x-amz-security-token'], valid: resigned.headers.authorization === auth };
}

async function run(service: 'secretsmanager' | 'ssm' | 'sts', command: (port: AwsPort, call: SignedCallOptions) => Promise<unknown>): Promise<Received[]> {
  const seen: Promise<Received>[] = [];
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      seen.push(verify(service, req.method!, req.url!, req.headers as Record<string, string>, Buffer.concat(chunks).toString()));
      res.writeHead(400, { 'content-type': 'application/x-amz-json-1.1' }).end('{"__type":"ResourceNotFoundException","message":"x"}');
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  process.env.AWS_ENDPOINT_URL = `http://127.0.0.1:${(server.address() as { port: number }).port}`;
  try {
    const port = new AwsSdkPort('test-app');
    const send = (c: typeof POD) => command(port, { region: 'us-east-1', retry: { maxAttempts: 1 }, credentials: c, signal: AbortSignal.timeout(5000) }).catch(() => undefined);
    await Promise.all([send(POD), send(OTHER), send(POD)]);
  } finally {
    delete process.env.AWS_ENDPOINT_URL;
    server.close();
  }
  return Promise.all(seen);
}

for (const [service, command] of [
  ['secretsmanager', (port: AwsPort, call: SignedCallOptions) => port.getSecretValue({ SecretId: 'db' }, call)],
  ['ssm', (port: AwsPort, call: SignedCallOptions) => port.getParameters({ Names: ['/p'], WithDecryption: true }, call)],
  // assumeRoleArn: STS AssumeRole is signed with the pod's credentials too.
  ['sts', (port: AwsPort, call: SignedCallOptions) => port.assumeRole({ RoleArn: 'arn:aws:iam::111122223333:role/target', RoleSessionName: 'shop.web' }, call)],
] as const) {
  test(`${service}: concurrent commands of different pods on one shared client are each signed validly with their own credentials`, async () => {
    const received = await run(service, command);
    assert.equal(received.length, 3);
    assert.deepEqual(
      received.map((r) => [r.accessKeyId, r.token, r.valid]).sort(),
      [
        [OTHER.accessKeyId, OTHER.sessionToken, true],
        [POD.accessKeyId, POD.sessionToken, true],
        [POD.accessKeyId, POD.sessionToken, true],
      ],
    );
  });
}

test('the signature check itself rejects a request signed with another key', async () => {
  const r = await verify('ssm', 'POST', '/', { authorization: 'AWS4-HMAC-SHA256 Credential=ASIAPODPODPODPOD0001/20260101/us-east-1/ssm/aws4_request, SignedHeaders=host;x-amz-date, Signature=00', host: '127.0.0.1:1', 'x-amz-date': '20260101T000000Z' }, '');
  assert.equal(r.valid, false);
});
