// holdsEarlierContent (src/files/earlier-content.ts) decides whether a failed mount counts as a failed
// remount (ascp_remount_failures_total): real directories, no mocks.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { holdsEarlierContent } from '../../src/files/earlier-content.js';

test('a target with a file, a hidden entry or a subdirectory holds earlier content; an empty or missing one does not', async (t) => {
  const root = mkdtempSync(join(tmpdir(), 'earlier-content-'));
  t.after(() => rmSync(root, { recursive: true, force: true }));
  const dir = (name: string) => {
    const path = join(root, name);
    mkdirSync(path);
    return path;
  };
  const empty = dir('empty');
  const withFile = dir('with-file');
  writeFileSync(join(withFile, 'db'), 'x');
  const withDriverLayout = dir('driver-layout'); // driver-writes: ..data and a timestamped directory
  mkdirSync(join(withDriverLayout, '..2026_12_02'));
  symlinkSync('..2026_12_02', join(withDriverLayout, '..data'));
  const withSubdir = dir('with-subdir');
  mkdirSync(join(withSubdir, 'nested'));
  writeFileSync(join(root, 'a-file'), 'x');

  assert.equal(await holdsEarlierContent(empty), false);
  assert.equal(await holdsEarlierContent(withFile), true);
  assert.equal(await holdsEarlierContent(withDriverLayout), true);
  assert.equal(await holdsEarlierContent(withSubdir), true);
  assert.equal(await holdsEarlierContent(join(root, 'missing')), false);
  assert.equal(await holdsEarlierContent(join(root, 'a-file')), false, 'not a directory');
});
