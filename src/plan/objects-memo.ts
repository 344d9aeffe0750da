// Remembers parseObjects results across mounts (an explicit, bounded object
// created in main.ts): with rotation every pod remounts the same
// SecretProviderClass every minute or two, and parsing YAML is the largest pure
// cost of a remount.
import { createHash } from 'node:crypto';
import { LRUCache } from 'lru-cache';
import { MAX_OBJECTS_MEMO_BYTES } from '../limits.js';
import { parseObjects, type ObjectPlan, type ObjectsContext } from './objects.js';

/**
 * parseObjects is pure, so entries never go stale. Keyed by a digest of the text and its
 * context, bounded by the bytes of the plans held; invalid specs are not remembered.
 */
export class ParsedObjectsMemo {
  private readonly entries: LRUCache<string, readonly ObjectPlan[]>;
  constructor(maxBytes = MAX_OBJECTS_MEMO_BYTES) {
    this.entries = new LRUCache({ maxSize: maxBytes, sizeCalculation: (plans) => planBytes(plans) });
  }

  parse(text: string | undefined, ctx: ObjectsContext): ObjectPlan[] {
    // Keyed by a digest: the memo must not keep each SecretProviderClass's text (up to 256 KiB) alive.
    const key = createHash('sha256')
      .update(JSON.stringify([ctx.primaryRegion, ctx.failoverRegion ?? '', ctx.translation ?? null, ctx.defaultMode]))
      .update('\0')
      .update(text ?? '')
      .digest('base64');
    let plans = this.entries.get(key);
    if (!plans) {
      plans = deepFreeze(parseObjects(text, ctx));
      this.entries.set(key, plans);
    }
    return plans as ObjectPlan[];
  }

  /** Bytes held, as counted against the bound. */
  get sizeBytes(): number {
    return this.entries.calculatedSize;
  }
}

/** Roughly what a plan costs in memory: its strings plus a per-object overhead. */
function planBytes(plans: readonly ObjectPlan[]): number {
  let bytes = 128;
  for (const p of plans) {
    bytes += 256 + 2 * (p.objectName.length + p.fileName.length + (p.objectAlias?.length ?? 0));
    for (const j of p.jmesPath) bytes += 128 + 2 * (j.path.length + j.objectAlias.length + j.fileName.length);
  }
  return bytes;
}

/** Plans are shared between mounts once memoised: make any accidental write fail loudly. */
function deepFreeze<T>(value: T): T {
  if (value && typeof value === 'object' && !Object.isFrozen(value)) {
    Object.freeze(value);
    for (const v of Object.values(value)) deepFreeze(v);
  }
  return value;
}

