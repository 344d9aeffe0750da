// Target: extractJmesPath on random documents with random expressions, reached
// through parseObjects so only plans the provider accepts are evaluated.
import fc from 'fast-check';
import { stringify } from 'yaml';
import { parseObjects } from '../../../src/plan/objects.js';
import { extractJmesPath } from '../../../src/extract/jmespath.js';
import { documentText, documentWithPaths, jmesPathExpression, SECRET_MARKER } from '../arbitraries/jmespath.js';
import { check, type FuzzTarget } from '../target.js';
import { withSecretsKeptOut } from '../properties.js';

export interface JmesPathInput {
  document: string;
  paths: string[];
}

const CONTEXT = { primaryRegion: 'us-east-1', translation: '_', defaultMode: 0o644 } as const;

export const jmesPathTarget: FuzzTarget<JmesPathInput> = {
  name: 'jmespath',
  summary: 'extractJmesPath on random JSON (deep, big, not JSON) with grammar-generated and raw expressions, via planning',
  input: fc.oneof(
    fc.record({ document: documentText, paths: fc.array(jmesPathExpression, { minLength: 1, maxLength: 4 }) }),
    documentWithPaths,
  ),
  run(input) {
    const yaml = stringify([{
      objectName: 'app/config',
      objectType: 'secretsmanager',
      jmesPath: input.paths.map((path, i) => ({ path, objectAlias: `file${i}` })),
    }]);
    const [object] = parseObjects(yaml, CONTEXT);
    check(object !== undefined && object.jmesPath.length === input.paths.length, 'the plan keeps every jmesPath entry', () => yaml.slice(0, 300));
    const value = Buffer.from(input.document, 'utf8');
    const extracted = withSecretsKeptOut([SECRET_MARKER], () => extractJmesPath({ object, value, version: 'v1', region: CONTEXT.primaryRegion }));
    check(extracted.length === object.jmesPath.length, 'one file per jmesPath entry', () => `${extracted.length} of ${object.jmesPath.length}`);
    extracted.forEach((file, i) => {
      check(file.entry === object.jmesPath[i], 'files come in the order of their entries', () => String(i));
      check(Buffer.isBuffer(file.contents), 'file contents are bytes', () => String(i));
    });
  },
};
