// Whether a Kubernetes configuration is there to load, checked at start-up without
// loading @kubernetes/client-node (it is loaded on first use): the kubeconfig file
// given by --kubeconfig, or the in-cluster configuration a pod gets (the API
// server's address in KUBERNETES_SERVICE_HOST/PORT and the service account's token
// and CA). The Go provider refuses to start without one too.
import { accessSync, constants } from 'node:fs';

export const IN_CLUSTER_TOKEN = '/var/run/secrets/kubernetes.io/serviceaccount/token';
export const IN_CLUSTER_CA = '/var/run/secrets/kubernetes.io/serviceaccount/ca.crt';

/** A sentence saying what is missing and how to fix it, or undefined when a configuration is there. */
export function kubernetesConfigProblem(
  kubeconfig: string,
  env: NodeJS.ProcessEnv,
  readable: (path: string) => boolean = isReadable,
): string | undefined {
  if (kubeconfig) {
    return readable(kubeconfig) ? undefined : `--kubeconfig ${kubeconfig} cannot be read: give the path of a readable kubeconfig file`;
  }
  const missing = [
    !env.KUBERNETES_SERVICE_HOST && 'KUBERNETES_SERVICE_HOST',
    !env.KUBERNETES_SERVICE_PORT && 'KUBERNETES_SERVICE_PORT',
    !readable(IN_CLUSTER_TOKEN) && IN_CLUSTER_TOKEN,
    !readable(IN_CLUSTER_CA) && IN_CLUSTER_CA,
  ].filter(Boolean);
  if (missing.length === 0) return undefined;
  return (
    `no Kubernetes configuration: not running in a pod with a service account (missing ${missing.join(', ')}) ` +
    'and no --kubeconfig given. In a cluster, run the provider as the chart or the installer does (automountServiceAccountToken); ' +
    'outside one, pass --kubeconfig=PATH. To check SecretProviderClasses without a cluster use the validate or mount subcommands.'
  );
}

function isReadable(path: string): boolean {
  try {
    accessSync(path, constants.R_OK);
    return true;
  } catch {
    return false;
  }
}
