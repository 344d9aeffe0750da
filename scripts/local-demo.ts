// `npm run demo [-- FILE...]`: runs the real provider locally against moto and
// mounts each SecretProviderClass in FILE (default: every file in examples/),
// printing the files a pod would see. Needs `npm run setup` first.
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { startTestEnvironment } from '../test/harness/env.js';
import { mountSpc, readSecretProviderClasses } from '../test/harness/spc-mount.js';

const files = process.argv.slice(2).length
  ? process.argv.slice(2)
  : readdirSync('examples').filter((f) => f.includes('SecretProviderClass')).map((f) => join('examples', f));

const env = await startTestEnvironment();
try {
  const provider = await env.startProvider();
  for (const file of files) {
    for (const spc of readSecretProviderClasses(file)) {
      const { target, response } = await mountSpc(env, provider.client, spc);
      console.log(`\n${file} (${spc.metadata?.name}) -> ${target}`);
      for (const v of response.object_version) {
        const path = join(target, v.id);
        const mode = (statSync(path).mode & 0o777).toString(8).padStart(4, '0');
        console.log(`  ${mode}  ${relative(target, path).padEnd(28)} ${JSON.stringify(readFileSync(path, 'utf8')).slice(0, 70)}`);
      }
    }
  }
  console.log('\nprovider log (last lines):');
  console.log(provider.logs().trim().split('\n').slice(-3).join('\n'));
} finally {
  await env.stop();
}
