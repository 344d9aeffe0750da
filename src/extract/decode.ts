// objectEncoding: a value stored as base64 or hex text becomes the bytes it encodes. Strict:
// the text is checked (alphabet, padding, length, unused bits) before it is decoded, because
// Buffer.from(text, 'base64' | 'hex') silently skips or stops at what it cannot read. Line
// breaks (CR, LF) are ignored, as Go's encoding/base64 does; nothing else outside the
// alphabet is. Problems say where the text is wrong, never what it holds.
import type { ObjectEncoding } from '../plan/objects.js';

/** Why a text is not valid in its encoding (the caller names the object and field). */
export class DecodeProblem extends Error {}

/** The bytes `text` encodes; throws DecodeProblem when it is not strictly valid. */
export function decodeText(text: string, encoding: ObjectEncoding): Buffer {
  const compact = checkedCompact(text, encoding);
  const bytes = Buffer.from(compact, encoding);
  // Bits set after the data in the last base64 character: no encoder writes them (RFC 4648 3.5).
  if (encoding === 'base64' && bytes.toString('base64') !== compact) {
    throw new DecodeProblem('its last character before the padding has bits set that no encoder writes (not canonical base64)');
  }
  return bytes;
}

/** A value as fetched (a SecretString, SecretBinary or parameter value) read as the encoding's text. */
export function decodeValue(value: Buffer, encoding: ObjectEncoding): Buffer {
  // latin1: one character per byte, so a position in a problem is a byte position, and any byte
  // outside the alphabet (UTF-8 included) is reported rather than replaced.
  return decodeText(value.toString('latin1'), encoding);
}

/** The text without line breaks, after checking every character, the padding and the length. */
function checkedCompact(text: string, encoding: ObjectEncoding): string {
  let padding = 0;
  let breaks = 0;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c === 0x0a || c === 0x0d) {
      breaks++;
      continue;
    }
    if (encoding === 'hex') {
      if (!isHexDigit(c)) throw new DecodeProblem(`character ${i + 1} is not a hex digit (0-9, a-f, A-F)`);
    } else if (c === 0x3d) {
      if (++padding > 2) throw new DecodeProblem(`character ${i + 1} is a third "=": base64 has at most two padding characters`);
    } else if (padding > 0) {
      throw new DecodeProblem(`character ${i + 1} follows "=" padding, which may only end the text`);
    } else if (!isBase64Char(c)) {
      throw new DecodeProblem(`character ${i + 1} is not in the base64 alphabet (A-Z, a-z, 0-9, +, /)`);
    }
  }
  const length = text.length - breaks;
  if (encoding === 'hex' && length % 2 !== 0) throw new DecodeProblem(`it has an odd number of hex digits (${length})`);
  if (encoding === 'base64' && length % 4 !== 0) {
    throw new DecodeProblem(`its length without line breaks (${length}) is not a multiple of 4 (missing "=" padding?)`);
  }
  return breaks > 0 ? text.replace(/[\r\n]/g, '') : text;
}

function isHexDigit(c: number): boolean {
  return (c >= 0x30 && c <= 0x39) || (c >= 0x41 && c <= 0x46) || (c >= 0x61 && c <= 0x66);
}

function isBase64Char(c: number): boolean {
  return (c >= 0x41 && c <= 0x5a) || (c >= 0x61 && c <= 0x7a) || (c >= 0x30 && c <= 0x39) || c === 0x2b || c === 0x2f;
}
