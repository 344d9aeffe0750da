// The provider-writes file writer on real files in a temp directory: exact
// modes under any umask, no symbolic link below the target ever followed,
// all or nothing (and undone: temp files, created directories), stale temp
// files swept, aborts honoured, errors typed with their cause.
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import {
  closeSync, lstatSync, mkdirSync, mkdtempSync, openSync, readdirSync, readFileSync, readlinkSync, readSync, realpathSync, rmSync, symlinkSync, writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { TEMP_FILE_PREFIX, writeFilesAtomically } from '../../src/files/atomic-writer.js';
import type { MountedFile } from '../../src/files/mounted-files.js';
import { FileWriteError, TargetPathError } from '../../src/errors.js';

const dirs: string[] = [];
after(() => {
  for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
});

function tempDir(): string {
  const dir = mkdtempSync(join(tmpdir(), 'ascp-writer-'));
  dirs.push(dir);
  return dir;
}

function file(path: string, contents: string, mode = 0o644): MountedFile {
  return { path, mode, contents: Buffer.from(contents), version: 'v1', objectType: 'secretsmanager' };
}

/** A file whose contents run `onRead` when the writer reads them (after its temp file is open). */
function fileWithHook(path: string, contents: string, onRead: () => void): MountedFile {
  const f = file(path, contents);
  return Object.defineProperty(f, 'contents', {
    get: () => {
      onRead();
      return Buffer.from(contents);
    },
  });
}

const never = new AbortController().signal;
const write = (target: string, files: MountedFile[], signal = never) => writeFilesAtomically(target, files, signal);

/** Every entry under dir, without following links: kind, mode, contents or link target. */
function snapshot(dir: string, prefix = ''): Record<string, string> {
  const out: Record<string, string> = {};
  for (const name of readdirSync(dir).sort()) {
    const path = join(dir, name);
    const st = lstatSync(path);
    const mode = (st.mode & 0o7777).toString(8);
    if (st.isSymbolicLink()) out[prefix + name] = `link -> ${readlinkSync(path)}`;
    else if (st.isDirectory()) {
      out[prefix + name] = `dir ${mode}`;
      Object.assign(out, snapshot(path, `${prefix}${name}/`));
    } else out[prefix + name] = `file ${mode} ${readFileSync(path, 'utf8')}`;
  }
  return out;
}

const modeOf = (path: string) => lstatSync(path).mode & 0o7777;

test('exact modes under umask 077: files as asked, every created directory 0755', async () => {
  const target = tempDir();
  const previous = process.umask(0o077);
  try {
    await write(target, [file('top', 't', 0o640), file('d1/d2/f', 'f', 0o644), file('d1/g', 'g', 0o400), file('x/y', 'y', 0o755)]);
  } finally {
    process.umask(previous);
  }
  assert.deepEqual(snapshot(target), {
    'd1': 'dir 755',
    'd1/d2': 'dir 755',
    'd1/d2/f': 'file 644 f',
    'd1/g': 'file 400 g',
    'top': 'file 640 t',
    'x': 'dir 755',
    'x/y': 'file 755 y',
  });
});

test('a symbolic link below the target is never followed: refused, naming the file and the link; nothing written anywhere', async () => {
  const outside = tempDir();
  writeFileSync(join(outside, 'keep'), 'k');
  const target = tempDir();
  symlinkSync(outside, join(target, 'a'));
  mkdirSync(join(target, 'real'));
  symlinkSync(outside, join(target, 'real', 'b'));
  const before = { target: snapshot(target), outside: snapshot(outside) };

  for (const [name, link] of [['a/victim', 'a'], ['a/new/victim', 'a'], ['real/b/c/victim', 'real/b']] as const) {
    await assert.rejects(write(target, [file('ok', 'ok'), file(name, 'secret', 0o777)]), (err: Error) => {
      assert.ok(err instanceof FileWriteError);
      assert.ok(err.message.includes(`"${name}": "${link}" is a symbolic link; refusing to follow it`), err.message);
      return true;
    });
    assert.deepEqual(snapshot(outside), before.outside, `${name}: nothing created or changed outside the target`);
    assert.deepEqual(snapshot(target), before.target, `${name}: the target is as it was`);
  }

  // A regular file where a directory is needed is refused the same way.
  writeFileSync(join(target, 'plain'), 'p');
  await assert.rejects(write(target, [file('plain/x', 'x')]), /"plain\/x": "plain" is not a directory/);
});

test('a symbolic link at a file\'s own name is replaced by the file; the link\'s target is untouched', async () => {
  const outside = tempDir();
  writeFileSync(join(outside, 'secret'), 'original', { mode: 0o600 });
  const target = tempDir();
  symlinkSync(join(outside, 'secret'), join(target, 'f'));
  symlinkSync(outside, join(target, 'g')); // a link to a directory is replaced too
  await write(target, [file('f', 'new', 0o644), file('g', 'gee', 0o640)]);
  assert.deepEqual(snapshot(target), { f: 'file 644 new', g: 'file 640 gee' });
  assert.deepEqual(snapshot(outside), { secret: 'file 600 original' });
});

test('the target itself may be reached through symbolic links', async () => {
  const real = tempDir();
  const links = tempDir();
  symlinkSync(real, join(links, 'target'));
  await write(join(links, 'target'), [file('x/y', 'why')]);
  assert.deepEqual(snapshot(real), { x: 'dir 755', 'x/y': 'file 644 why' });
});

test('a missing target, or one that is not a directory, is a TargetPathError (not-found)', async () => {
  const parent = tempDir();
  writeFileSync(join(parent, 'file'), '');
  for (const target of [join(parent, 'missing'), join(parent, 'file')]) {
    await assert.rejects(write(target, [file('x', 'x')]), (err: Error) => {
      assert.ok(err instanceof TargetPathError);
      assert.equal(err.kind, 'not-found');
      assert.match(err.message, /does not exist or is not a directory/);
      return true;
    });
  }
});

test('special mode bits are refused before anything is written', async () => {
  const target = tempDir();
  for (const mode of [0o4755, 0o2755, 0o1777, 0o10644, -1, 0.5]) {
    await assert.rejects(write(target, [file('ok', 'ok'), file('d/f', 'f', mode)]), (err: Error) => {
      assert.ok(err instanceof FileWriteError);
      assert.match(err.message, /"d\/f": mode .* has bits outside 0777/);
      return true;
    });
  }
  assert.deepEqual(readdirSync(target), []);
});

test('paths that are not clean and relative are refused', async () => {
  const target = tempDir();
  for (const path of ['../escape', 'a/../../escape', '/abs', 'a//b', 'a/./b', '']) {
    await assert.rejects(write(target, [file(path, 'x')]), /refusing to write outside the target directory/);
  }
  assert.deepEqual(readdirSync(target), []);
});

test('a failed write removes the directories it created (deepest first) and only those; the target is as it was', async () => {
  const target = tempDir();
  mkdirSync(join(target, 'keep'), { mode: 0o700 });
  writeFileSync(join(target, 'keep', 'old'), 'o', { mode: 0o600 });
  mkdirSync(join(target, 'squat'));
  writeFileSync(join(target, 'squat', 'inner'), 'i');
  writeFileSync(join(target, 'present'), 'before', { mode: 0o644 });
  const before = snapshot(target);

  // A directory squats on a file's name: found before anything is staged.
  await assert.rejects(
    write(target, [file('keep/new/deep/x', 'x'), file('fresh/y', 'y'), file('present', 'after'), file('squat', 's')]),
    /failed to write the files into the target directory .*: "squat": is a directory/,
  );
  assert.deepEqual(snapshot(target), before);

  // An unexpected system error keeps its cause and names the file and its errno code.
  const tooLong = `fresh2/${'n'.repeat(256)}`;
  await assert.rejects(write(target, [file('keep/new/x', 'x'), file(tooLong, 'y')]), (err: Error) => {
    assert.ok(err instanceof FileWriteError);
    assert.equal((err.cause as NodeJS.ErrnoException).code, 'ENAMETOOLONG');
    assert.ok(err.message.includes(`"${tooLong}"`), err.message);
    assert.match(err.message, /ENAMETOOLONG/);
    return true;
  });
  assert.deepEqual(snapshot(target), before);
});

test('staging is parallel and fully settled before clean-up: a failed stage leaves no temp file behind', async () => {
  const target = tempDir();
  writeFileSync(join(target, 'big'), 'old big');
  const before = snapshot(target);
  // A directory path so long that it can be created but a temp file name in it
  // is over PATH_MAX: that open() fails while the other stages' opens are still queued.
  const root = realpathSync(target);
  const dir = Array.from({ length: 21 }, () => 'p'.repeat(200)).join('/').slice(0, 4080 - root.length - 1).replace(/\/$/, '');
  assert.ok(root.length + 1 + dir.length + 1 + TEMP_FILE_PREFIX.length + 16 > 4095);
  const failing = file(`${dir}/x`, 'x');
  const others = Array.from({ length: 200 }, (_, i) => file(`d/e/f${i}`, `f${i}`));
  const big = { ...file('big', ''), contents: Buffer.alloc(16 * 1024 * 1024, 'b') };
  await assert.rejects(write(target, [failing, ...others, big]), (err: Error) => {
    assert.ok(err instanceof FileWriteError);
    assert.equal((err.cause as NodeJS.ErrnoException).code, 'ENAMETOOLONG');
    assert.ok(err.message.includes(`"${failing.path}": open failed: ENAMETOOLONG`), err.message);
    return true;
  });
  assert.deepEqual(snapshot(target), before);

  // A failure that is not a system error keeps its cause too.
  const boom = new Error('contents unavailable');
  const throwing = fileWithHook('d/bad', 'never', () => {
    throw boom;
  });
  await assert.rejects(write(target, [throwing, ...others]), (err: Error) => {
    assert.ok(err instanceof FileWriteError);
    assert.equal(err.cause, boom);
    assert.ok(err.message.includes('"d/bad"'), err.message);
    return true;
  });
  assert.deepEqual(snapshot(target), before);
});

test('atomic replacement: a reader of the old file keeps its bytes; the new file replaces it whole', async () => {
  const target = tempDir();
  await write(target, [file('rot', 'old-value')]);
  const fd = openSync(join(target, 'rot'), 'r');
  try {
    await write(target, [file('rot', 'new-value!', 0o600)]);
    const buf = Buffer.alloc(64);
    assert.equal(buf.subarray(0, readSync(fd, buf, 0, 64, 0)).toString(), 'old-value');
  } finally {
    closeSync(fd);
  }
  assert.deepEqual(snapshot(target), { rot: 'file 600 new-value!' });
});

test('temp files are named with the fixed prefix and 16 hex digits, never from the file name', async () => {
  const target = tempDir();
  let seen: string[] = [];
  const name = '€'.repeat(85); // 255 bytes, 85 UTF-16 units
  assert.equal(Buffer.byteLength(name), 255);
  await write(target, [fileWithHook(name, 'euro', () => (seen = readdirSync(target)))]);
  assert.equal(seen.length, 1);
  assert.match(seen[0]!, /^\.ascp-tmp-[0-9a-f]{16}$/);
  assert.ok(seen[0]!.startsWith(TEMP_FILE_PREFIX));
  assert.deepEqual(snapshot(target), { [name]: 'file 644 euro' });

  await write(target, [file(`d/${name}`, 'nested'), file(name, 'again')]);
  assert.deepEqual(snapshot(target), { d: 'dir 755', [`d/${name}`]: 'file 644 nested', [name]: 'file 644 again' });
});

test('stale temp files are removed from the target and the directories written into; nothing else is', async () => {
  const outside = tempDir();
  writeFileSync(join(outside, 'linked'), 'outside');
  const target = tempDir();
  mkdirSync(join(target, 'sub'));
  mkdirSync(join(target, 'other'));
  const stale = (path: string) => writeFileSync(join(target, path), 'half-written');
  stale('.ascp-tmp-0123456789abcdef');
  stale('sub/.ascp-tmp-fedcba9876543210');
  stale('other/.ascp-tmp-1111111111111111'); // not written into by this mount
  stale('.ascp-tmp-0123456789ABCDEF'); // not the pattern
  stale('.ascp-tmp-0123');
  stale('.ascp-tmp-4444444444444444'); // a name this mount writes
  mkdirSync(join(target, '.ascp-tmp-2222222222222222'));
  symlinkSync(join(outside, 'linked'), join(target, '.ascp-tmp-3333333333333333'));

  await write(target, [file('sub/f', 'f'), file('.ascp-tmp-4444444444444444', 'mine')]);
  assert.deepEqual(snapshot(target), {
    '.ascp-tmp-0123': 'file 644 half-written',
    '.ascp-tmp-0123456789ABCDEF': 'file 644 half-written',
    '.ascp-tmp-2222222222222222': 'dir 755',
    '.ascp-tmp-3333333333333333': `link -> ${join(outside, 'linked')}`,
    '.ascp-tmp-4444444444444444': 'file 644 mine',
    other: 'dir 755',
    'other/.ascp-tmp-1111111111111111': 'file 644 half-written',
    sub: 'dir 755',
    'sub/f': 'file 644 f',
  });
  assert.equal(readFileSync(join(outside, 'linked'), 'utf8'), 'outside');
});

test('a mount that changes nothing sweeps nothing: stale temp files go with the next write into their directory', async () => {
  const target = tempDir();
  await write(target, [file('a', 'one')]);
  writeFileSync(join(target, '.ascp-tmp-0123456789abcdef'), 'half-written');
  await write(target, [file('a', 'one')]); // unchanged: no directory is read
  assert.equal(snapshot(target)['.ascp-tmp-0123456789abcdef'], 'file 644 half-written');
  await write(target, [file('a', 'two')]);
  assert.deepEqual(snapshot(target), { a: 'file 644 two' });
});

test('a temp file this process is writing (a concurrent mount of the same target) is not swept', async () => {
  const target = tempDir();
  let live = '';
  await write(target, [fileWithHook('a', 'a', () => (live = readdirSync(target)[0]!))]);
  const ownTag = live.slice(TEMP_FILE_PREFIX.length, TEMP_FILE_PREFIX.length + 8);
  const otherTag = ownTag === '00000000' ? '11111111' : '00000000';
  writeFileSync(join(target, `${TEMP_FILE_PREFIX}${ownTag}00000000`), 'in flight');
  writeFileSync(join(target, `${TEMP_FILE_PREFIX}${otherTag}00000000`), 'stale');
  await write(target, [file('a', 'a2')]);
  assert.deepEqual(readdirSync(target).sort(), [`${TEMP_FILE_PREFIX}${ownTag}00000000`, 'a']);
});

test('aborted before the call: nothing in the target is touched, not even stale temp files', async () => {
  const target = tempDir();
  writeFileSync(join(target, 'a'), 'old');
  writeFileSync(join(target, '.ascp-tmp-0123456789abcdef'), 'stale');
  const before = snapshot(target);
  const controller = new AbortController();
  controller.abort();
  await assert.rejects(write(target, [file('a', 'new'), file('d/b', 'b')], controller.signal), { name: 'AbortError' });
  assert.deepEqual(snapshot(target), before);
});

test('aborted while staging: nothing is renamed; temp files and created directories are removed', async () => {
  const target = tempDir();
  writeFileSync(join(target, 'a'), 'old', { mode: 0o644 });
  const before = snapshot(target);
  const controller = new AbortController();
  const files = [file('a', 'new'), fileWithHook('d/e/b', 'b', () => controller.abort()), file('d/c', 'c')];
  await assert.rejects(write(target, files, controller.signal), { name: 'AbortError' });
  assert.deepEqual(snapshot(target), before);
});

test('a file whose bytes and mode are unchanged is not rewritten; a changed file or mode is', async () => {
  const target = tempDir();
  await write(target, [file('same', 'a'), file('bytes', 'b'), file('mode', 'c', 0o644), file('d/nested', 'n')]);
  const inode = (p: string) => lstatSync(join(target, p)).ino;
  const before = { same: inode('same'), bytes: inode('bytes'), mode: inode('mode'), nested: inode('d/nested') };
  await write(target, [file('same', 'a'), file('bytes', 'B'), file('mode', 'c', 0o600), file('d/nested', 'n')]);
  assert.equal(inode('same'), before.same, 'unchanged: the same file, not replaced');
  assert.equal(inode('d/nested'), before.nested);
  assert.notEqual(inode('bytes'), before.bytes, 'changed bytes: replaced');
  assert.notEqual(inode('mode'), before.mode, 'changed mode: replaced');
  assert.deepEqual(snapshot(target), { bytes: 'file 644 B', d: 'dir 755', 'd/nested': 'file 644 n', mode: 'file 600 c', same: 'file 644 a' });
});

test('after every successful mount the target directory\'s mtime is now, also when nothing or only a subdirectory changed', async () => {
  const target = tempDir();
  const { utimesSync, statSync } = await import('node:fs');
  const past = new Date(Date.now() - 3_600_000);
  const mtime = () => statSync(target).mtimeMs;
  await write(target, [file('a', '1'), file('sub/b', '2')]);
  for (const files of [[file('a', '1'), file('sub/b', '2')], [file('a', '1'), file('sub/b', 'changed')]]) {
    utimesSync(target, past, past);
    await write(target, files);
    assert.ok(mtime() > past.getTime() + 3_000_000, `mtime moved to now (${new Date(mtime()).toISOString()})`);
  }
  // A failed mount leaves it alone: the driver must call again soon.
  utimesSync(target, past, past);
  await assert.rejects(write(target, [file('a', '1'), { ...file('bad', 'x'), mode: 0o4755 }]), FileWriteError);
  assert.ok(Math.abs(mtime() - past.getTime()) < 1, 'unchanged (to the millisecond: mtimeMs is a float)');
});
