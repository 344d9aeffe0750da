// One call to bring up everything an end-to-end test of the provider needs, on loopback:
// moto (AWS), the fault proxy in front of it, the Kubernetes API stub and two Pod Identity agents
// (127.0.0.1 and ::1), plus SDK clients to seed data in moto and a helper to start the provider wired to all
// of them.
//
// Seeding clients talk to moto DIRECTLY (never through the proxy) so that injected faults and request counts
// only ever concern the provider's own calls.
import { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { SSMClient } from '@aws-sdk/client-ssm';
import { STSClient } from '@aws-sdk/client-sts';
import { startFaultProxy, type FaultProxy } from './fault-proxy.js';
import { startKubeApi, type KubeApi } from './kube-api.js';
import { startMoto, type Moto } from './moto.js';
import { startPodIdentityAgent, type AllowTokenOptions, type PodIdentityAgent } from './pod-identity-agent.js';
import { startProvider, type ProviderProcess, type StartProviderOptions } from './provider-process.js';

/** moto's default account: requests signed with unknown keys (e.g. the seeding clients) land here. */
export const MOTO_DEFAULT_ACCOUNT = '123456789012';

export const DUMMY_CREDENTIALS = { accessKeyId: 'AKIAHARNESSSEEDING00', secretAccessKey: 'harness-seeding-secret' };

export interface ClientOptions {
  /** Seed into this moto account (x-moto-account-id header) instead of 123456789012. */
  accountId?: string;
  /** Go through the fault proxy instead of straight to moto (to test the proxy itself). */
  viaProxy?: boolean;
  credentials?: { accessKeyId: string; secretAccessKey: string; sessionToken?: string };
  maxAttempts?: number;
}

export interface ProviderStartOptions extends StartProviderOptions {
  /** Adds --driver-writes-secrets. */
  driverWritesSecrets?: boolean;
  /** Override --pod-identity-endpoint-ipv4 / -ipv6 (default: the two agent stubs). */
  podIdentityIpv4?: string;
  podIdentityIpv6?: string;
  /** Override AWS_ENDPOINT_URL (default: the fault proxy). */
  awsEndpointUrl?: string;
  /** --metrics-addr; default '' (disabled), so several providers can run side by side. */
  metricsAddr?: string;
}

export interface TestEnvironment {
  moto: Moto;
  proxy: FaultProxy;
  kube: KubeApi;
  /** Pod Identity agent on 127.0.0.1 (the provider's default IPv4 endpoint). */
  agent: PodIdentityAgent;
  /** Pod Identity agent on ::1 (the provider's default IPv6 endpoint). */
  agentIpv6: PodIdentityAgent;
  /** Allows a pods.eks.amazonaws.com token on both agents. */
  allowPodIdentityToken(token: string, options?: AllowTokenOptions): void;
  secretsManager(region: string, options?: ClientOptions): SecretsManagerClient;
  ssm(region: string, options?: ClientOptions): SSMClient;
  sts(region: string, options?: ClientOptions): STSClient;
  /** The provider flags that wire it to this environment (without --provider-volume). */
  providerArgs(options?: ProviderStartOptions): string[];
  /** Starts `node dist/main.js` wired to this environment; stopped by stop() if the test does not. */
  startProvider(options?: ProviderStartOptions): Promise<ProviderProcess>;
  /** Between tests: moto reset, faults and counts cleared, kube objects and agent tokens forgotten. */
  reset(): Promise<void>;
  stop(): Promise<void>;
}

export async function startTestEnvironment(): Promise<TestEnvironment> {
  const stoppers: Array<() => Promise<void>> = [];
  const stopAll = async () => {
    const errors: unknown[] = [];
    for (const stop of stoppers.splice(0).reverse()) {
      try {
        await stop();
      } catch (err) {
        errors.push(err);
      }
    }
    if (errors.length) throw new AggregateError(errors, 'stopping the test environment failed');
  };

  try {
    const moto = await startMoto();
    stoppers.push(() => moto.stop());
    const proxy = await startFaultProxy(moto.url);
    stoppers.push(() => proxy.stop());
    const kube = await startKubeApi();
    stoppers.push(() => kube.stop());
    const agent = await startPodIdentityAgent({ host: '127.0.0.1', motoUrl: moto.url });
    stoppers.push(() => agent.stop());
    const agentIpv6 = await startPodIdentityAgent({ host: '::1', motoUrl: moto.url });
    stoppers.push(() => agentIpv6.stop());
    const providers = new Set<ProviderProcess>();
    stoppers.push(async () => {
      await Promise.all([...providers].map((p) => p.stop('SIGKILL')));
    });

    const clientConfig = (region: string, options: ClientOptions = {}) => ({
      region,
      endpoint: options.viaProxy ? proxy.url : moto.url,
      credentials: options.credentials ?? DUMMY_CREDENTIALS,
      ...(options.maxAttempts !== undefined ? { maxAttempts: options.maxAttempts } : {}),
    });
    const withAccount = <C extends SecretsManagerClient | SSMClient | STSClient>(client: C, accountId?: string): C => {
      if (accountId !== undefined) {
        // The three clients' stacks have different type parameters; the middleware only touches headers.
        type Args = { request: unknown };
        type Stack = {
          add(
            mw: (next: (args: Args) => Promise<unknown>) => (args: Args) => Promise<unknown>,
            options: { step: 'build'; name: string },
          ): void;
        };
        (client.middlewareStack as unknown as Stack).add(
          (next) => async (args) => {
            const request = args.request as { headers?: Record<string, string> };
            if (request.headers) request.headers['x-moto-account-id'] = accountId;
            return next(args);
          },
          { step: 'build', name: 'harnessMotoAccount' },
        );
      }
      return client;
    };

    const providerArgs = (options: ProviderStartOptions = {}) => [
      '--kubeconfig',
      kube.kubeconfigPath,
      '--pod-identity-endpoint-ipv4',
      options.podIdentityIpv4 ?? agent.url,
      '--pod-identity-endpoint-ipv6',
      options.podIdentityIpv6 ?? agentIpv6.url,
      ...(options.driverWritesSecrets ? ['--driver-writes-secrets'] : []),
      `--metrics-addr=${options.metricsAddr ?? ''}`,
      ...(options.args ?? []),
    ];

    return {
      moto,
      proxy,
      kube,
      agent,
      agentIpv6,
      allowPodIdentityToken(token, options) {
        agent.allowToken(token, options);
        agentIpv6.allowToken(token, options);
      },
      secretsManager: (region, options = {}) =>
        withAccount(new SecretsManagerClient(clientConfig(region, options)), options.accountId),
      ssm: (region, options = {}) => withAccount(new SSMClient(clientConfig(region, options)), options.accountId),
      sts: (region, options = {}) => withAccount(new STSClient(clientConfig(region, options)), options.accountId),
      providerArgs,
      async startProvider(options = {}) {
        const provider = await startProvider({
          ...options,
          args: providerArgs(options),
          env: { AWS_ENDPOINT_URL: options.awsEndpointUrl ?? proxy.url, ...options.env },
        });
        providers.add(provider);
        void provider.exited.then(() => providers.delete(provider));
        return provider;
      },
      async reset() {
        await moto.reset();
        proxy.clearFaults();
        proxy.resetCounts();
        kube.reset();
        agent.reset();
        agentIpv6.reset();
      },
      stop: stopAll,
    };
  } catch (err) {
    await stopAll().catch(() => {});
    throw err;
  }
}
