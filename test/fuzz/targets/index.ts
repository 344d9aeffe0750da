// Every fuzz target, by name.
import type { FuzzTarget } from '../target.js';
import { requestTarget } from './request.js';
import { objectsTarget } from './objects.js';
import { planTarget } from './plan.js';
import { jmesPathTarget } from './jmespath.js';
import { fileNamesTarget } from './file-names.js';
import { selfCheckTargets } from './self-check.js';

/** What `npm run fuzz` and the smoke test run, in this order. */
export const targets: FuzzTarget<unknown>[] = [requestTarget, objectsTarget, planTarget, jmesPathTarget, fileNamesTarget];

const byName = new Map<string, FuzzTarget<unknown>>([...targets, ...selfCheckTargets].map((t) => [t.name, t]));

export function findTarget(name: string): FuzzTarget<unknown> {
  const target = byName.get(name);
  if (!target) throw new Error(`no fuzz target "${name}" (have: ${[...byName.keys()].join(', ')})`);
  return target;
}
