import { startTestEnvironment } from './harness/env.js';
import { startProvider } from './harness/provider-process.js';
const env = await startTestEnvironment();
const p = await startProvider({ entry: new URL('./fixtures/fake-provider.ts', import.meta.url).pathname, nodeArgs: ['--import', 'tsx'], args: env.providerArgs() });
console.log('READY', p.pid);
setInterval(() => {}, 1000);
