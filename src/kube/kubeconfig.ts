// Only KubeConfig from @kubernetes/client-node: imported by name so the bundle
// leaves out the generated API models, and loaded on first use.
export { KubeConfig } from '@kubernetes/client-node';
