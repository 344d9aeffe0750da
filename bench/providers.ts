// The bench's shared environment (AWS stub, Kubernetes stub over HTTPS, PKI) and one way to start either
// provider against it: ours (node dist/main.js) or the Go provider (when a binary is available). In budget
// mode every provider process starts in a fresh cgroup with the chart's limits (cgroup.ts).
import { InClusterSandbox } from '../test/harness/in-cluster-sandbox.js';
import { REGION_LABEL, ROLE_ARN_ANNOTATION, startKubeApi, type KubeApi } from '../test/harness/kube-api.js';
import { makeTestPki, type TestPki } from '../test/harness/pki.js';
import type { CgroupBudget, CgroupUsage } from './cgroup.js';
import { GO_PROVIDER_BIN, goProviderAvailable, goProviderBuildInfo, startGoProvider } from './go-provider.js';
import type { LaunchedProvider } from './launch.js';
import { benchFlags, startOurProvider } from './our-provider.js';
import { NAMESPACE, NODE_NAME, PRIMARY_REGION, ROLE_ARN, SERVICE_ACCOUNT, seedStub } from './requests.js';
import { startStubHost, type AwsStubHost, type StubPlacement } from './stub-host.js';

export type ProviderKind = 'ours' | 'go';

export type GoAvailability = { available: true; info: Record<string, string> | undefined } | { available: false; reason: string };

/** The token the Go provider's in-cluster client presents to the Kubernetes stub. */
const KUBE_TOKEN = 'bench-provider-token';

/** Start-up at 50m CPU takes seconds (0.25 s of CPU at 5 ms per 100 ms), not the unconfined 15 s bound. */
const BUDGET_READY_TIMEOUT_MS = 60_000;

export interface StartOptions {
  /** Budget mode: receives the cgroup's final accounting once the provider has stopped. */
  cgroupUsage?: CgroupUsage[] | undefined;
}

export class BenchEnv {
  private sandbox: InClusterSandbox | undefined;
  private goFailure: string | undefined;
  private goInfo: Record<string, string> | undefined;

  private constructor(
    readonly stub: AwsStubHost,
    readonly kube: KubeApi,
    readonly pki: TestPki,
    /** Flags given to our provider on top of the required ones (see benchFlags). */
    readonly ourExtraArgs: string[],
    /** Budget mode: where the providers' cgroups are made. */
    readonly budget: CgroupBudget | undefined,
  ) {}

  static async create(opts: { latencyMs: number; stub: StubPlacement; budget?: CgroupBudget | undefined }): Promise<BenchEnv> {
    const pki = makeTestPki();
    const stub = await startStubHost(opts.stub, { latencyMs: opts.latencyMs, tls: { cert: pki.certPem, key: pki.keyPem } });
    const kube = await startKubeApi({ pki, token: KUBE_TOKEN });
    kube.addServiceAccount(NAMESPACE, SERVICE_ACCOUNT, { [ROLE_ARN_ANNOTATION]: ROLE_ARN });
    kube.addNode(NODE_NAME, { [REGION_LABEL]: PRIMARY_REGION });
    await seedStub(stub);
    return new BenchEnv(stub, kube, pki, await benchFlags(), opts.budget);
  }

  /** Registers a pod with the Kubernetes stub (the Go provider, and our IRSA path, may read it). */
  addPod(name: string, uid: string): void {
    this.kube.addPod(NAMESPACE, name, NODE_NAME, { serviceAccountName: SERVICE_ACCOUNT, uid });
  }

  goAvailability(disabled: boolean): GoAvailability {
    if (disabled) return { available: false, reason: '--no-go given' };
    if (this.goFailure) return { available: false, reason: this.goFailure };
    if (!goProviderAvailable()) {
      return { available: false, reason: GO_PROVIDER_BIN ? `no binary at ${GO_PROVIDER_BIN}` : 'BENCH_GO_PROVIDER_BIN not set' };
    }
    this.goInfo ??= goProviderBuildInfo();
    return { available: true, info: this.goInfo };
  }

  async start(kind: ProviderKind, opts: StartOptions = {}): Promise<LaunchedProvider> {
    const confine = () => this.budget?.create(kind, (usage) => opts.cgroupUsage?.push(usage));
    const readyTimeoutMs = this.budget ? BUDGET_READY_TIMEOUT_MS : undefined;
    if (kind === 'ours') {
      return startOurProvider({
        awsUrl: this.stub.url,
        kubeconfig: this.kube.kubeconfigPath,
        podIdentityUrl: `${this.stub.url}/v1/credentials`,
        args: this.ourExtraArgs,
        confine: confine(),
        readyTimeoutMs,
      });
    }
    try {
      this.sandbox ??= await InClusterSandbox.create({ token: KUBE_TOKEN, caPem: this.pki.caPem });
      return await startGoProvider({ aws: this.stub, kube: this.kube, pki: this.pki, sandbox: this.sandbox, confine: confine(), readyTimeoutMs });
    } catch (err) {
      // Recorded so later workloads report the reason instead of retrying.
      this.goFailure = `failed to start: ${(err as Error).message.split('\n')[0]}`;
      throw err;
    }
  }

  async close(): Promise<void> {
    await this.sandbox?.close();
    await this.kube.stop();
    await this.stub.close();
    this.pki.cleanup();
  }
}
