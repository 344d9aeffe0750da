// `npm run demo [-- FILE...]`: runs the real provider locally against moto and
// mounts each SecretProviderClass in FILE (default: every file in examples/),
// printing the files a pod would see. Needs `npm run setup` first. A file that
// the provider would reject is reported with the provider's own messages (the
// validate subcommand's rules), not mounted; a failed mount prints the message a
// pod's events would show.
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { validateManifests } from '../src/cli/validate.js';
import { startTestEnvironment } from '../test/harness/env.js';
import { mountSpc, readSecretProviderClasses } from '../test/harness/spc-mount.js';

const files = process.argv.slice(2).length
  ? process.argv.slice(2)
  : readdirSync('examples').filter((f) => f.includes('SecretProviderClass')).map((f) => join('examples', f));

let failures = 0;
const fail = (message: string) => {
  failures++;
  console.log(`  ${message}`);
};

try {
  const env = await startTestEnvironment();
  try {
    const provider = await env.startProvider();
    for (const file of files) {
      let text: string;
      try {
        text = readFileSync(file, 'utf8');
      } catch (err) {
        console.log(`\n${file}`);
        fail(`cannot read: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`);
        continue;
      }
      const errors = validateManifests(file, text).problems.filter((p) => p.severity === 'error');
      if (errors.length > 0) {
        console.log(`\n${file}: not mounted; fix these first (node dist/main.js validate ${file}):`);
        for (const p of errors) fail(`${p.line ? `line ${p.line}: ` : ''}${p.where}: ${p.message}`);
        continue;
      }
      for (const spc of readSecretProviderClasses(file)) {
        try {
          const { target, response } = await mountSpc(env, provider.client, spc);
          console.log(`\n${file} (${spc.metadata?.name}) -> ${target}`);
          for (const v of response.object_version) {
            const path = join(target, v.id);
            const mode = (statSync(path).mode & 0o777).toString(8).padStart(4, '0');
            console.log(`  ${mode}  ${relative(target, path).padEnd(28)} ${JSON.stringify(readFileSync(path, 'utf8')).slice(0, 70)}`);
          }
        } catch (err) {
          console.log(`\n${file} (${spc.metadata?.name})`);
          fail(`mount failed: ${(err as { details?: string }).details ?? (err as Error).message}`);
        }
      }
    }
    console.log('\nprovider log (last lines):');
    console.log(provider.logs().trim().split('\n').slice(-3).join('\n'));
  } finally {
    await env.stop();
  }
} catch (err) {
  console.error(`demo failed: ${(err as Error).message}\n(run \`npm run setup\` first: the demo needs moto in .venv and dist/main.js)`);
  process.exit(1);
}
process.exit(failures > 0 ? 1 : 0);
