// Target: file naming. fileNameProblem directly, and the file names objects get
// from objectAlias/objectName (and jmesPath aliases) with pathTranslation on and off.
import fc, { type Arbitrary } from 'fast-check';
import { stringify } from 'yaml';
import { fileNameProblem, parseObjects } from '../../../src/plan/objects.js';
import { parsePathTranslation } from '../../../src/plan/request.js';
import { longRun, nameLike } from '../arbitraries/text.js';
import { translation } from '../arbitraries/objects.js';
import { type FuzzTarget } from '../target.js';
import { checkCleanRelativePath, checkPlans } from '../properties.js';

/** Path-shaped names: elements that are empty, dots, multi-byte, or at the byte bounds, joined with "/". */
const pathLike: Arbitrary<string> = fc
  .tuple(
    fc.constantFrom('', '/', '//', './', '../'),
    fc.array(fc.oneof(fc.constantFrom('', '.', '..', '...', 'a', 'é', '😀', ' ', '\\', '..a', 'a..', '.a', '\0', '~'), longRun), { maxLength: 6 }),
    fc.constantFrom('', '/', '/.', '/..'),
  )
  .map(([head, elements, tail]) => head + elements.join('/') + tail);

const fileName = fc.oneof(pathLike, nameLike);

export interface FileNamesInput {
  direct: string;
  objectName: string;
  objectAlias: string | null;
  jmesAlias: string | null;
  translation: string | false;
}

export const fileNamesTarget: FuzzTarget<FileNamesInput> = {
  name: 'file-names',
  summary: 'fileNameProblem and object file names (objectAlias/objectName, jmesPath aliases, pathTranslation on/off)',
  input: fc.record({
    direct: fileName,
    objectName: fileName,
    objectAlias: fc.option(fileName, { nil: null }),
    jmesAlias: fc.option(fileName, { nil: null }),
    translation,
  }),
  run(input) {
    if (fileNameProblem(input.direct) === undefined) checkCleanRelativePath(input.direct, 'fileNameProblem accepted');
    const object: Record<string, unknown> = { objectName: input.objectName, objectType: 'secretsmanager' };
    if (input.objectAlias !== null) object.objectAlias = input.objectAlias;
    if (input.jmesAlias !== null) object.jmesPath = [{ path: 'a', objectAlias: input.jmesAlias }];
    const translation = parsePathTranslation(input.translation === false ? 'False' : input.translation);
    const ctx = { primaryRegion: 'us-east-1', translation, defaultMode: 0o644 };
    checkPlans(parseObjects(stringify([object]), ctx), ctx);
  },
};
