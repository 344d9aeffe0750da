// The bench's shared environment (AWS stub, Kubernetes stub, PKI, kubeconfig) and one way to start either
// provider against it: ours (node dist/main.js) or the Go provider (when a binary is available).
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { KubeStub } from './kube-stub.js';
import { makeTestPki, type TestPki } from './pki.js';
import { GO_PROVIDER_BIN, GoProvider, goProviderAvailable, goProviderBuildInfo, InClusterSandbox, type StartupStats } from './go-provider.js';
import { benchFlags, OurProvider } from './our-provider.js';
import type { ProviderClient } from './provider-client.js';
import { NAMESPACE, NODE_NAME, PRIMARY_REGION, ROLE_ARN, SERVICE_ACCOUNT, seedStub } from './requests.js';
import { startStubHost, type AwsStubHost, type StubPlacement } from './stub-host.js';
import { makeTempDir, removeTempDir, trackTempDir } from './temp.js';

export type ProviderKind = 'ours' | 'go';

/** A running provider, whichever it is. */
export interface BenchProvider {
  readonly pid: number;
  readonly client: ProviderClient;
  readonly startup: StartupStats;
  cpuMs(): number;
  cpuMsPrecise(): number | undefined;
  rssKiB(): number | undefined;
  peakRssKiB(): number | undefined;
  stop(): Promise<void>;
}

export type GoAvailability = { available: true; info: Record<string, string> | undefined } | { available: false; reason: string };

/** The token the Go provider's in-cluster client presents to the Kubernetes stub. */
const KUBE_TOKEN = 'bench-provider-token';

export class BenchEnv {
  private sandbox: InClusterSandbox | undefined;
  private goFailure: string | undefined;

  private constructor(
    readonly stub: AwsStubHost,
    readonly kube: KubeStub,
    readonly pki: TestPki,
    readonly kubeconfig: string,
    /** Flags given to our provider on top of the required ones (see benchFlags). */
    readonly ourExtraArgs: string[],
    private readonly dir: string,
  ) {}

  static async create(opts: { latencyMs: number; stub: StubPlacement }): Promise<BenchEnv> {
    const pki = makeTestPki();
    trackTempDir(pki.dir);
    const stub = await startStubHost(opts.stub, { latencyMs: opts.latencyMs, tls: { cert: pki.certPem, key: pki.keyPem } });
    const kube = await KubeStub.start({ pki, token: KUBE_TOKEN });
    kube.addServiceAccount(NAMESPACE, SERVICE_ACCOUNT, { roleArn: ROLE_ARN });
    kube.addNode(NODE_NAME, { region: PRIMARY_REGION });
    await seedStub(stub);
    const dir = makeTempDir('bench-env-');
    const kubeconfig = join(dir, 'kubeconfig');
    writeFileSync(kubeconfig, kubeconfigYaml(kube.url, pki.caFile, KUBE_TOKEN));
    return new BenchEnv(stub, kube, pki, kubeconfig, await benchFlags(), dir);
  }

  /** Registers a pod with the Kubernetes stub (the Go provider, and our IRSA path, may read it). */
  addPod(name: string, uid: string): void {
    this.kube.addPod(NAMESPACE, name, { nodeName: NODE_NAME, serviceAccount: SERVICE_ACCOUNT, uid });
  }

  goAvailability(disabled: boolean): GoAvailability {
    if (disabled) return { available: false, reason: '--no-go given' };
    if (this.goFailure) return { available: false, reason: this.goFailure };
    if (!goProviderAvailable()) {
      return {
        available: false,
        reason: `no binary at ${GO_PROVIDER_BIN}; scripts/install-go-provider.sh builds it (exit 3: the Go module proxy refuses the module) or set BENCH_GO_PROVIDER_BIN`,
      };
    }
    return { available: true, info: goProviderBuildInfo() };
  }

  async start(kind: ProviderKind): Promise<BenchProvider> {
    if (kind === 'ours') {
      return OurProvider.start({
        awsUrl: this.stub.url,
        kubeconfig: this.kubeconfig,
        podIdentityUrl: `${this.stub.url}/v1/credentials`,
        args: this.ourExtraArgs,
      });
    }
    try {
      this.sandbox ??= await InClusterSandbox.create({ token: KUBE_TOKEN, caPem: this.pki.caPem });
      return await GoProvider.start({ aws: this.stub, kube: this.kube, pki: this.pki, sandbox: this.sandbox, token: KUBE_TOKEN });
    } catch (err) {
      // Recorded so later workloads report the reason instead of retrying.
      this.goFailure = `failed to start: ${(err as Error).message.split('\n')[0]}`;
      throw err;
    }
  }

  async close(): Promise<void> {
    await this.sandbox?.close();
    await this.kube.close();
    await this.stub.close();
    removeTempDir(this.pki.dir);
    removeTempDir(this.dir);
  }
}

function kubeconfigYaml(server: string, caFile: string, token: string): string {
  return [
    'apiVersion: v1',
    'kind: Config',
    'clusters:',
    '- name: bench',
    '  cluster:',
    `    server: ${server}`,
    `    certificate-authority: ${caFile}`,
    'users:',
    '- name: bench',
    '  user:',
    `    token: ${token}`,
    'contexts:',
    '- name: bench',
    '  context:',
    '    cluster: bench',
    '    user: bench',
    'current-context: bench',
    '',
  ].join('\n');
}
