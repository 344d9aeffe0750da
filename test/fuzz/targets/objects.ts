// Target: the `objects` parser and linter on structured and adversarial YAML.
import fc from 'fast-check';
import { findObjectProblems, parseObjects, type ObjectPlan, type ObjectsContext } from '../../../src/plan/objects.js';
import { parsePathTranslation } from '../../../src/plan/request.js';
import { ObjectSpecError } from '../../../src/errors.js';
import { objectsText, translation } from '../arbitraries/objects.js';
import { check, type FuzzTarget } from '../target.js';
import { checkPlans } from '../properties.js';

const regionNames = fc.constantFrom('us-east-1', 'eu-central-1', 'us-west-2');

export interface ObjectsInput {
  text: string;
  primaryRegion: string;
  failoverRegion: string | null;
  translation: string | false;
  defaultMode: number;
}

/** The context planMount would give: the translation goes through parsePathTranslation, which may refuse it. */
export function contextOf(input: Omit<ObjectsInput, 'text'>): ObjectsContext {
  return {
    primaryRegion: input.primaryRegion,
    ...(input.failoverRegion !== null && { failoverRegion: input.failoverRegion }),
    translation: parsePathTranslation(input.translation === false ? 'False' : input.translation),
    defaultMode: input.defaultMode,
  };
}

export const objectsTarget: FuzzTarget<ObjectsInput> = {
  name: 'objects',
  summary: 'parseObjects and findObjectProblems on structured, edited and adversarial YAML',
  input: fc.record({
    text: objectsText(regionNames, regionNames),
    primaryRegion: fc.constantFrom('us-east-1', 'eu-central-1'),
    failoverRegion: fc.option(fc.constantFrom('us-west-2', 'us-east-1'), { nil: null }),
    translation,
    defaultMode: fc.oneof(fc.constant(0o644), fc.integer({ min: 0, max: 0o7777 })),
  }),
  run(input) {
    const ctx = contextOf(input);
    let plans: ObjectPlan[] | undefined;
    let failure: unknown;
    try {
      plans = parseObjects(input.text, ctx);
    } catch (err) {
      failure = err;
    }
    const problems = findObjectProblems(input.text, ctx);
    check(problems.every((p) => p instanceof ObjectSpecError), 'findObjectProblems reports ObjectSpecErrors', () => problems.map(String).join('; '));
    if (plans) {
      check(problems.length === 0, 'findObjectProblems finds nothing in what parseObjects accepts', () => problems.map((p) => p.message).join('; ').slice(0, 500));
      checkPlans(plans, ctx);
      const again = parseObjects(input.text, ctx);
      check(JSON.stringify(again) === JSON.stringify(plans), 'parseObjects is deterministic', () => '');
      return;
    }
    check(problems.length > 0, 'findObjectProblems reports a problem whenever parseObjects rejects', () => String(failure).slice(0, 500));
    throw failure;
  },
};
