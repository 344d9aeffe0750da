// A throw-away test PKI: one CA and one server certificate, made with the openssl CLI. The server
// certificate covers 127.0.0.1/localhost (the Kubernetes API stub over HTTPS) and the AWS endpoint host
// names (the AWS stub when it is reached through HTTPS_PROXY with CONNECT), so one CA file is enough
// for SSL_CERT_FILE (Go) and the Kubernetes in-cluster ca.crt.
import { execFileSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { makeTempDir, removeTempDir } from './process-cleanup.js';

export interface TestPki {
  dir: string;
  caFile: string;
  certFile: string;
  keyFile: string;
  caPem: string;
  certPem: string;
  keyPem: string;
  /** Removes the directory holding the keys. */
  cleanup(): void;
}

/** Regions whose AWS host names (`<service>.<region>.amazonaws.com`) the server certificate covers. */
export const DEFAULT_CERT_REGIONS = [
  'us-east-1', 'us-east-2', 'us-west-1', 'us-west-2', 'eu-west-1', 'eu-west-2', 'eu-central-1',
  'ap-southeast-1', 'ap-southeast-2', 'ap-northeast-1', 'ap-south-1', 'ca-central-1', 'sa-east-1',
];

export function makeTestPki(opts: { regions?: string[] } = {}): TestPki {
  const dir = makeTempDir('test-pki-');
  const regions = opts.regions ?? DEFAULT_CERT_REGIONS;
  const caKey = join(dir, 'ca.key');
  const caFile = join(dir, 'ca.crt');
  const keyFile = join(dir, 'server.key');
  const csr = join(dir, 'server.csr');
  const certFile = join(dir, 'server.crt');
  const ext = join(dir, 'server.ext');
  const sans = [
    'IP:127.0.0.1', 'IP:::1', 'DNS:localhost', 'DNS:kubernetes.default.svc',
    'DNS:amazonaws.com', 'DNS:*.amazonaws.com',
    ...regions.map((r) => `DNS:*.${r}.amazonaws.com`),
  ];
  writeFileSync(
    ext,
    [
      'basicConstraints=CA:FALSE',
      'keyUsage=digitalSignature,keyEncipherment',
      'extendedKeyUsage=serverAuth',
      `subjectAltName=${sans.join(',')}`,
      '',
    ].join('\n'),
  );
  const run = (args: string[]) => execFileSync('openssl', args, { stdio: ['ignore', 'ignore', 'pipe'] });
  run(['ecparam', '-name', 'prime256v1', '-genkey', '-noout', '-out', caKey]);
  run(['req', '-x509', '-new', '-key', caKey, '-sha256', '-days', '2', '-subj', '/CN=test CA', '-out', caFile]);
  run(['ecparam', '-name', 'prime256v1', '-genkey', '-noout', '-out', keyFile]);
  run(['req', '-new', '-key', keyFile, '-subj', '/CN=test stub', '-out', csr]);
  run(['x509', '-req', '-in', csr, '-CA', caFile, '-CAkey', caKey, '-CAcreateserial', '-days', '2', '-sha256',
    '-extfile', ext, '-out', certFile]);
  return {
    dir,
    caFile,
    certFile,
    keyFile,
    caPem: readFileSync(caFile, 'utf8'),
    certPem: readFileSync(certFile, 'utf8'),
    keyPem: readFileSync(keyFile, 'utf8'),
    cleanup: () => removeTempDir(dir),
  };
}
