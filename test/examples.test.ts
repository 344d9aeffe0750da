// Every example SecretProviderClass in examples/ is validated with the
// server's own parser and validator, then mounted end to end against moto.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseAllDocuments } from 'yaml';
import { parseMountRequest, planMount, primaryRegion, resolveRegions } from '../src/plan/request.js';
import { buildMountRequest, makePod } from './harness/attributes.js';
import { startTestEnvironment, type TestEnvironment } from './harness/env.js';
import type { ProviderProcess } from './harness/provider-process.js';
import { mountSpc, readSecretProviderClasses } from './harness/spc-mount.js';

const EXAMPLES = readdirSync('examples').filter((f) => f.endsWith('.yaml')).map((f) => join('examples', f));
const SPC_FILES = EXAMPLES.filter((f) => readSecretProviderClasses(f).length > 0);

test('examples: every file is valid YAML and there is an SPC for IRSA, Pod Identity, jmesPath, failover and SSM', () => {
  for (const file of EXAMPLES) {
    for (const doc of parseAllDocuments(readFileSync(file, 'utf8'))) assert.deepEqual(doc.errors, [], file);
  }
  const all = SPC_FILES.flatMap(readSecretProviderClasses).map((s) => JSON.stringify(s.spec?.parameters));
  assert.ok(all.some((p) => p.includes('"usePodIdentity":"true"')), 'a Pod Identity example');
  assert.ok(all.some((p) => !p.includes('usePodIdentity')), 'an IRSA example');
  assert.ok(all.some((p) => p.includes('jmesPath')), 'a jmesPath example');
  assert.ok(all.some((p) => p.includes('failoverRegion')), 'a failover example');
  assert.ok(all.some((p) => p.includes('ssmparameter')), 'an SSM example');
});

for (const file of SPC_FILES) {
  test(`examples: ${file} passes the server's validator`, () => {
    for (const spc of readSecretProviderClasses(file)) {
      const request = buildMountRequest({ pod: makePod('default', 'example'), parameters: spc.spec?.parameters ?? {} });
      const parsed = parseMountRequest(request);
      const plan = planMount(parsed, resolveRegions(parsed.attributes, primaryRegion(parsed.attributes, undefined) ?? 'us-east-1'));
      assert.ok(plan.objects.length > 0, `${file} mounts something`);
    }
  });
}

let env: TestEnvironment;
let provider: ProviderProcess;
before(async () => {
  env = await startTestEnvironment();
  provider = await env.startProvider();
});
after(async () => {
  await env?.stop();
});

for (const file of SPC_FILES) {
  test(`examples: ${file} mounts end to end against moto`, async () => {
    for (const spc of readSecretProviderClasses(file)) {
      const { response } = await mountSpc(env, provider.client, spc);
      assert.ok(response.object_version.length > 0);
    }
  });
}
