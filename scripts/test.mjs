// Runs every test file under test/ (or the ones given) with Node's test runner and tsx.
// Node 20's --test does not expand globs or pick up .ts files, so we list them here.
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';

function findTests(dir) {
  const out = [];
  for (const name of readdirSync(dir)) {
    const path = join(dir, name);
    if (name === 'node_modules' || name === 'fixtures') continue;
    if (statSync(path).isDirectory()) out.push(...findTests(path));
    else if (name.endsWith('.test.ts')) out.push(path);
  }
  return out.sort();
}

const files = process.argv.slice(2).length ? process.argv.slice(2) : findTests('test');
// The tests run on the image's runtime (Node 22): scripts/install-node.sh puts it in .tools/node
// when the machine's node is older. Everything the tests start inherits it (process.execPath).
const node22 = join('.tools', 'node', 'bin', 'node');
const runtime = Number(process.versions.node.split('.')[0]) < 22 && existsSync(node22) ? node22 : process.execPath;
const result = spawnSync(
  runtime,
  ['--import', 'tsx', '--test', '--test-concurrency=1', '--test-reporter=spec', ...files],
  { stdio: 'inherit' },
);
process.exit(result.status ?? 1);
