// objectEncoding's decoding (src/extract/decode.ts): strict where Buffer.from is not.
// Every text Buffer.from would silently shorten or skip is refused with where it is
// wrong; valid text decodes to exactly the bytes Node's own encoder started from.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { decodeText, decodeValue, DecodeProblem } from '../../src/extract/decode.js';

const problem = (text: string, encoding: 'base64' | 'hex', message: string) =>
  assert.throws(() => decodeText(text, encoding), (err) => {
    assert.ok(err instanceof DecodeProblem, String(err));
    assert.equal(err.message, message);
    return true;
  }, `${encoding} ${JSON.stringify(text)}`);

test('valid base64 and hex decode to the bytes they encode, for every length and every byte value', () => {
  const all = Buffer.from(Array.from({ length: 256 }, (_, i) => i));
  for (let n = 0; n <= 9; n++) {
    const bytes = all.subarray(250 - n * 25, 250 - n * 25 + n);
    assert.deepEqual(decodeText(bytes.toString('base64'), 'base64'), bytes);
    assert.deepEqual(decodeText(bytes.toString('hex'), 'hex'), bytes);
    assert.deepEqual(decodeText(bytes.toString('hex').toUpperCase(), 'hex'), bytes);
  }
  assert.deepEqual(decodeText(all.toString('base64'), 'base64'), all);
  assert.deepEqual(decodeText('', 'base64'), Buffer.alloc(0));
  assert.deepEqual(decodeText('', 'hex'), Buffer.alloc(0));
});

test('line breaks (CR, LF) are ignored, as in wrapped base64 or a trailing newline; other whitespace is not', () => {
  const bytes = Buffer.from('a keystore, say, long enough to wrap over several lines of base64 text');
  const wrapped = bytes.toString('base64').replace(/.{20}/g, '$&\r\n') + '\n';
  assert.deepEqual(decodeText(wrapped, 'base64'), bytes);
  assert.deepEqual(decodeText('00ff\n', 'hex'), Buffer.from([0, 255]));
  problem('AAAA AAAA', 'base64', 'character 5 is not in the base64 alphabet (A-Z, a-z, 0-9, +, /)');
  problem('AAAA\t', 'base64', 'character 5 is not in the base64 alphabet (A-Z, a-z, 0-9, +, /)');
  problem('00 ff', 'hex', 'character 3 is not a hex digit (0-9, a-f, A-F)');
});

test('base64: what Buffer.from would skip, cut short or accept is refused', () => {
  problem('aGVsbG8', 'base64', 'its length without line breaks (7) is not a multiple of 4 (missing "=" padding?)');
  problem('aGVsbG8-', 'base64', 'character 8 is not in the base64 alphabet (A-Z, a-z, 0-9, +, /)'); // base64url
  problem('aGVs_G8=', 'base64', 'character 5 is not in the base64 alphabet (A-Z, a-z, 0-9, +, /)');
  problem('aGVs=G8=', 'base64', 'character 6 follows "=" padding, which may only end the text');
  problem('aG===', 'base64', 'character 5 is a third "=": base64 has at most two padding characters');
  problem('aGVsbG8=aGk=', 'base64', 'character 9 follows "=" padding, which may only end the text');
  problem('aGVsbG9=', 'base64', 'its last character before the padding has bits set that no encoder writes (not canonical base64)');
  problem('aGk', 'base64', 'its length without line breaks (3) is not a multiple of 4 (missing "=" padding?)');
  problem('é===', 'base64', 'character 1 is not in the base64 alphabet (A-Z, a-z, 0-9, +, /)');
});

test('hex: an odd count or a non-digit is refused (Buffer.from stops at the first and drops the last)', () => {
  problem('abc', 'hex', 'it has an odd number of hex digits (3)');
  problem('abzz', 'hex', 'character 3 is not a hex digit (0-9, a-f, A-F)');
  problem('0x00', 'hex', 'character 2 is not a hex digit (0-9, a-f, A-F)');
});

test('decodeValue reads a fetched value byte by byte: positions are byte positions, non-ASCII bytes are refused', () => {
  assert.deepEqual(decodeValue(Buffer.from('AAEC/w==\n'), 'base64'), Buffer.from([0, 1, 2, 255]));
  assert.throws(() => decodeValue(Buffer.from('AAEC\u00e9AAA', 'utf8'), 'base64'), /character 5 is not in the base64 alphabet/);
  assert.throws(() => decodeValue(Buffer.from([0x30, 0x30, 0xc3, 0xa9]), 'hex'), /character 3 is not a hex digit/);
});
