// Every example SecretProviderClass in examples/ is validated with the
// server's own parser and validator, then mounted end to end against moto in
// both write modes; the examples of our own fields are checked against what
// their comments promise.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { basename, join } from 'node:path';
import { parseAllDocuments } from 'yaml';
import { parseMountRequest, planMount, primaryRegion, resolveRegions } from '../src/plan/request.js';
import { buildMountRequest, makePod } from './harness/attributes.js';
import { startTestEnvironment, type TestEnvironment } from './harness/env.js';
import type { ProviderProcess } from './harness/provider-process.js';
import { mountSpc, readSecretProviderClasses } from './harness/spc-mount.js';
import { readTree } from './e2e/fixture.js';

const EXAMPLES = readdirSync('examples').filter((f) => f.endsWith('.yaml')).map((f) => join('examples', f));
const SPC_FILES = EXAMPLES.filter((f) => readSecretProviderClasses(f).length > 0);

test('examples: every file is valid YAML and there is an SPC for IRSA, Pod Identity, jmesPath, failover, SSM and each of our own fields (allKeys, objectEncoding, parametersByPath, assumeRoleArn)', () => {
  for (const file of EXAMPLES) {
    for (const doc of parseAllDocuments(readFileSync(file, 'utf8'))) assert.deepEqual(doc.errors, [], file);
  }
  const all = SPC_FILES.flatMap(readSecretProviderClasses).map((s) => JSON.stringify(s.spec?.parameters));
  assert.ok(all.some((p) => p.includes('"usePodIdentity":"true"')), 'a Pod Identity example');
  assert.ok(all.some((p) => !p.includes('usePodIdentity')), 'an IRSA example');
  assert.ok(all.some((p) => p.includes('jmesPath')), 'a jmesPath example');
  assert.ok(all.some((p) => p.includes('failoverRegion')), 'a failover example');
  assert.ok(all.some((p) => p.includes('ssmparameter')), 'an SSM example');
  assert.ok(all.some((p) => p.includes('allKeys')), 'an allKeys example');
  assert.ok(all.some((p) => p.includes('objectEncoding')), 'an objectEncoding example');
  assert.ok(all.some((p) => p.includes('parametersByPath')), 'a parametersByPath example');
  assert.ok(all.some((p) => p.includes('assumeRoleArn')), 'an assumeRoleArn example');
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
let driverWrites: ProviderProcess;
before(async () => {
  env = await startTestEnvironment();
  provider = await env.startProvider();
  driverWrites = await env.startProvider({ driverWritesSecrets: true });
});
after(async () => {
  await env?.stop();
});

/** What the pod would see, per file: from the target (provider writes) or the response (driver writes). */
async function mountBoth(spc: ReturnType<typeof readSecretProviderClasses>[number]) {
  const out: Array<Record<string, { contents: Buffer; mode: number; version: string }>> = [];
  for (const client of [provider.client, driverWrites.client]) {
    await env.reset();
    const { response, target } = await mountSpc(env, client, spc);
    assert.ok(response.object_version.length > 0);
    const written = client === provider.client;
    assert.equal(written ? response.files.length : readdirSync(target).length, 0, 'files are written by one side only');
    const versions = new Map(response.object_version.map((v) => [v.id, v.version]));
    const files = written
      ? Object.entries(readTree(target)).map(([path, f]) => ({ path, mode: f.mode, contents: readFileSync(join(target, path)) }))
      : response.files.map((f) => ({ path: f.path, mode: f.mode, contents: Buffer.from(f.contents) }));
    assert.deepEqual(files.map((f) => f.path).sort(), [...versions.keys()].sort(), 'one version per file');
    out.push(Object.fromEntries(files.map((f) => [f.path, { contents: f.contents, mode: f.mode, version: versions.get(f.path)! }])));
  }
  // Seeded afresh for each mode: Secrets Manager version ids differ, contents and modes do not.
  const comparable = (files: (typeof out)[number]) => Object.entries(files).map(([path, f]) => [path, f.contents.toString('base64'), f.mode]).sort();
  assert.deepEqual(comparable(out[0]!), comparable(out[1]!), 'the same files in both write modes');
  return out[0]!;
}

const text = (files: Record<string, { contents: Buffer }>, path: string) => files[path]?.contents.toString('utf8');

/** What each example of our own fields promises in its comments. */
const PROMISES: Record<string, (files: Record<string, { contents: Buffer; mode: number; version: string }>) => void> = {
  'ExampleSecretProviderClass-JMESPathJSON.yaml': (files) => {
    assert.deepEqual(['dbHost', 'dbPort', 'dbTls', 'replicas', 'pool.json'].map((p) => text(files, p)), ['db.internal', '5432', 'true', '["r1","r2"]', '{"min":1,"max":10}']);
  },
  'ExampleSecretProviderClass-AllKeys.yaml': (files) => {
    assert.deepEqual(Object.keys(files).sort(), ['db-credentials', 'password', 'port', 'username']);
    assert.deepEqual([text(files, 'username'), text(files, 'port')], ['demo-username', '5432']);
    assert.ok(Object.values(files).every((f) => f.mode === 0o440 && f.version === files['db-credentials']!.version));
  },
  'ExampleSecretProviderClass-Encoding.yaml': (files) => {
    assert.equal(text(files, 'keystore.p12'), 'demo value of MyKeystore in us-east-1', 'decoded from the base64 stored');
    assert.equal(text(files, 'tls.der'), 'demo-certificate', 'decoded from the hex stored');
    assert.equal(text(files, 'tls-password'), 'demo-password');
  },
  'ExampleSecretProviderClass-SSMPath.yaml': (files) => {
    assert.equal(Object.keys(files).length, 13, 'twelve parameters (two pages) and a nested one (recursive)');
    assert.ok(files['nested_demo'] && files['demo-11']);
    assert.ok(Object.values(files).every((f) => f.mode === 0o440 && f.version === '1'));
  },
};

for (const file of SPC_FILES) {
  test(`examples: ${file} mounts end to end against moto, in both write modes`, async () => {
    for (const spc of readSecretProviderClasses(file)) {
      const files = await mountBoth(spc);
      PROMISES[basename(file)]?.(files);
    }
  });
}

test('examples: each of our own fields has its example, checked against what it promises', () => {
  assert.deepEqual(Object.keys(PROMISES).filter((f) => !SPC_FILES.includes(join('examples', f))), []);
});
