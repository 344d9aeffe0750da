// Target: parseMountRequest on arbitrary and structured attributes, tokens and permissions.
import fc from 'fast-check';
import { ATTR, parseMountRequest, type MountRequestMessage } from '../../../src/plan/request.js';
import { attributesJson, permission, targetPath, TOKEN_PREFIX } from '../arbitraries/request.js';
import { check, type FuzzTarget } from '../target.js';
import { withSecretsKeptOut } from '../properties.js';

const TOKEN = new RegExp(`${TOKEN_PREFIX}[A-Za-z0-9_.-]*`, 'g');

/** The tokens an input carries (anywhere in its attributes text). */
export function tokensIn(request: MountRequestMessage): string[] {
  return [...(request.attributes ?? '').matchAll(TOKEN)].map((m) => m[0]);
}

/** Everything in the request but its tokens: what a message may quote. */
export function withoutTokens(request: MountRequestMessage): string {
  return [request.target_path ?? '', request.permission ?? '', (request.attributes ?? '').replace(TOKEN, ' ')].join(' ');
}

export interface RequestInput {
  target_path: string;
  attributes: string;
  permission: string;
}

export const requestTarget: FuzzTarget<RequestInput> = {
  name: 'request',
  summary: 'parseMountRequest on arbitrary and structured attributes JSON, tokens JSON and permission strings',
  input: fc.record({ target_path: targetPath, attributes: attributesJson, permission }),
  run(input) {
    const parsed = withSecretsKeptOut(tokensIn(input), () => parseMountRequest(input), withoutTokens(input));
    check(parsed.targetPath === input.target_path && parsed.targetPath.startsWith('/') && !parsed.targetPath.includes('\0'),
      'targetPath is the absolute path given', () => JSON.stringify(parsed.targetPath));
    check(Number.isInteger(parsed.defaultMode) && parsed.defaultMode >= 0 && parsed.defaultMode <= 0o7777 && parsed.defaultMode === Number(input.permission.trim()),
      'defaultMode is the decimal permission given', () => `${JSON.stringify(input.permission)} -> ${parsed.defaultMode}`);
    const raw = JSON.parse(input.attributes) as Record<string, unknown>;
    check(Object.keys(parsed.attributes).length === Object.keys(raw).length && Object.entries(parsed.attributes).every(([k, v]) => typeof v === 'string' && raw[k] === v),
      'attributes are the JSON object of strings given', () => '');
    check(parsed.pod.namespace === (parsed.attributes[ATTR.podNamespace] ?? '') && parsed.pod.serviceAccount === (parsed.attributes[ATTR.serviceAccount] ?? ''),
      'pod fields come from their attributes', () => JSON.stringify(parsed.pod));
    for (const [audience, token] of parsed.tokens) {
      check(typeof token.token === 'string' && /^[\x21-\x7e]+$/.test(token.token) && token.token.length <= 16 * 1024,
        'accepted tokens are printable ASCII of at most 16 KiB', () => `audience ${JSON.stringify(audience.slice(0, 40))}, ${token.token.length} chars`);
      check(token.expiresAt === undefined || Number.isFinite(token.expiresAt), 'token expiry is a finite time or absent', () => String(token.expiresAt));
    }
  },
};
