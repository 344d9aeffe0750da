// The sweep of temp files a killed provider left behind (src/files/temp-files.ts),
// on real directories: only regular files named exactly like another process's
// temp file go; a user's file that merely contains the pattern, this process's own
// temp files, names the mount keeps, directories and links stay.
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, readdirSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { removeStaleTempFiles, tempFileName, TEMP_FILE_PREFIX } from '../../src/files/temp-files.js';

const dirs: string[] = [];
after(() => dirs.forEach((d) => rmSync(d, { recursive: true, force: true })));
const tempDir = () => {
  const d = mkdtempSync(join(tmpdir(), 'sweep-'));
  dirs.push(d);
  return d;
};

test('temp names: the fixed prefix and 16 hex digits, the first 8 the same for this process', () => {
  const a = tempFileName();
  const b = tempFileName();
  assert.match(a, /^\.ascp-tmp-[0-9a-f]{16}$/);
  assert.ok(a.startsWith(TEMP_FILE_PREFIX));
  assert.equal(a.slice(0, TEMP_FILE_PREFIX.length + 8), b.slice(0, TEMP_FILE_PREFIX.length + 8));
  assert.notEqual(a, b);
});

test('only regular files named exactly like another process\'s temp file are removed', async () => {
  const dir = tempDir();
  const stale = `${TEMP_FILE_PREFIX}0123456789abcdef`;
  const kept = [
    `user-file${TEMP_FILE_PREFIX}0123456789abcdef`, // pattern inside a longer name
    `${TEMP_FILE_PREFIX}0123456789abcdef.bak`, // pattern with a suffix
    `${TEMP_FILE_PREFIX}0123456789ABCDEF`, // not lower-case hex
    `${TEMP_FILE_PREFIX}0123456789abcde`, // 15 digits
    `${TEMP_FILE_PREFIX}fedcba9876543210`, // kept by name (the mount writes it)
    tempFileName(), // this process's own: a concurrent mount may be writing it
    'secret.txt',
  ];
  for (const name of [stale, ...kept]) writeFileSync(join(dir, name), 'x');
  mkdirSync(join(dir, `${TEMP_FILE_PREFIX}aaaaaaaaaaaaaaaa`));
  symlinkSync(join(dir, 'secret.txt'), join(dir, `${TEMP_FILE_PREFIX}bbbbbbbbbbbbbbbb`));
  await removeStaleTempFiles(dir, new Set([`${TEMP_FILE_PREFIX}fedcba9876543210`]));
  assert.deepEqual(
    readdirSync(dir).sort(),
    [...kept, `${TEMP_FILE_PREFIX}aaaaaaaaaaaaaaaa`, `${TEMP_FILE_PREFIX}bbbbbbbbbbbbbbbb`].sort(),
  );
});

test('a directory that cannot be read is left alone without an error (the sweep is tidying)', async () => {
  await removeStaleTempFiles(join(tempDir(), 'missing'), new Set());
});
