// Properties shared by several targets: what every accepted plan and file name
// must satisfy, and that error messages never quote a secret.
import { posix } from 'node:path';
import type { ObjectPlan, ObjectsContext } from '../../src/plan/objects.js';
import { ProviderError } from '../../src/errors.js';
import { check } from './target.js';

const show = (value: unknown) => JSON.stringify(value)?.slice(0, 300) ?? String(value);

/** A file name the provider accepted: relative, clean, no "." or ".." element, bounded. */
export function checkCleanRelativePath(fileName: string, where: string): void {
  const detail = () => `${where}: ${show(fileName)}`;
  check(typeof fileName === 'string' && fileName !== '', 'accepted file name is non-empty', detail);
  check(!fileName.startsWith('/'), 'accepted file name is never absolute', detail);
  check(Buffer.byteLength(fileName) <= 4096, 'accepted file name is at most 4096 bytes', detail);
  for (const element of fileName.split('/')) {
    check(element !== '', 'accepted file name has no empty path element', detail);
    check(element !== '.' && element !== '..', 'accepted file name has no "." or ".." element', detail);
    check(Buffer.byteLength(element) <= 255, 'accepted file name has path elements of at most 255 bytes', detail);
  }
  check(posix.normalize(fileName) === fileName, 'accepted file name is a clean path', detail);
}

/** The documented naming rule: "/" becomes the translation character, or leading "/" are dropped when translation is off. */
export function expectedFileName(name: string, translation: string | undefined): string {
  return translation !== undefined ? name.replaceAll('/', translation) : name.replace(/^\/+/, '');
}

const MODE_MAX = 0o7777;

/** Everything an accepted `objects` list promises to the fetch and write steps. */
export function checkPlans(plans: ObjectPlan[], ctx: ObjectsContext): void {
  check(Array.isArray(plans) && plans.length <= 1000, 'at most 1000 objects are accepted', () => String(plans.length));
  const files: string[] = [];
  const aliases = new Set<string>();
  plans.forEach((plan, position) => {
    const where = `objects[${position}]`;
    check(plan.index === position, 'plan index is its position', () => `${where}: ${plan.index}`);
    check(plan.objectType === 'secretsmanager' || plan.objectType === 'ssmparameter', 'objectType is resolved', () => `${where}: ${show(plan.objectType)}`);
    check(typeof plan.objectName === 'string' && plan.objectName !== '' && !plan.objectName.includes('\0'), 'objectName is a non-empty string without NUL', () => `${where}: ${show(plan.objectName)}`);
    if (plan.objectName.startsWith('arn:')) {
      check(plan.objectName.split(':')[3] === ctx.primaryRegion, 'an ARN objectName is in the primary region', () => `${where}: ${show(plan.objectName)} vs ${ctx.primaryRegion}`);
    }
    check(Number.isInteger(plan.mode) && plan.mode >= 0 && plan.mode <= MODE_MAX, 'mode is a file mode', () => `${where}: ${plan.mode}`);
    checkCleanRelativePath(plan.fileName, `${where}.fileName`);
    check(!plan.fileName.includes('\0'), 'a planned file name has no NUL', () => `${where}: ${show(plan.fileName)}`);
    check(plan.fileName === expectedFileName(plan.objectAlias ?? plan.objectName, ctx.translation), 'fileName follows objectAlias/objectName and pathTranslation',
      () => `${where}: ${show(plan.fileName)} from ${show(plan.objectAlias ?? plan.objectName)} with ${show(ctx.translation)}`);
    if (plan.objectType === 'ssmparameter') {
      check(!(plan.objectVersion && plan.objectVersionLabel), 'an SSM parameter has a version or a label, not both', () => where);
    }
    if (plan.failoverObject) {
      check(ctx.failoverRegion !== undefined, 'failoverObject only with a failoverRegion', () => where);
      check(!!plan.objectAlias, 'failoverObject only with an objectAlias', () => where);
      check(plan.failoverObject.objectName !== '', 'failoverObject has an objectName', () => where);
      if (plan.failoverObject.objectName.startsWith('arn:')) {
        check(plan.failoverObject.objectName.split(':')[3] === ctx.failoverRegion, 'an ARN failoverObject is in the failover region', () => `${where}: ${show(plan.failoverObject?.objectName)}`);
      }
    }
    files.push(plan.fileName);
    if (plan.objectAlias) {
      check(!aliases.has(plan.objectAlias), 'objectAlias values are unique', () => `${where}: ${show(plan.objectAlias)}`);
      aliases.add(plan.objectAlias);
    }
    plan.jmesPath.forEach((entry, i) => {
      const at = `${where}.jmesPath[${i}]`;
      check(typeof entry.path === 'string' && entry.path !== '', 'jmesPath path is non-empty', () => at);
      checkCleanRelativePath(entry.fileName, `${at}.fileName`);
      check(!entry.fileName.includes('\0'), 'a planned file name has no NUL', () => `${at}: ${show(entry.fileName)}`);
      check(entry.fileName === expectedFileName(entry.objectAlias, ctx.translation), 'jmesPath fileName follows its objectAlias and pathTranslation', () => `${at}: ${show(entry.fileName)}`);
      check(Number.isInteger(entry.mode) && entry.mode >= 0 && entry.mode <= MODE_MAX, 'jmesPath mode is a file mode', () => `${at}: ${entry.mode}`);
      check(!aliases.has(entry.objectAlias), 'objectAlias values are unique', () => `${at}: ${show(entry.objectAlias)}`);
      aliases.add(entry.objectAlias);
      files.push(entry.fileName);
    });
  });
  checkFileSet(files);
}

/** No two files share a path, and no file is another file's directory. */
export function checkFileSet(files: string[]): void {
  const seen = new Set<string>();
  for (const file of files) {
    check(!seen.has(file), 'file names are unique across objects and jmesPath entries', () => show(file));
    seen.add(file);
  }
  for (const file of files) {
    const parts = file.split('/');
    for (let i = 1; i < parts.length; i++) {
      const dir = parts.slice(0, i).join('/');
      check(!seen.has(dir), 'no file is the directory of another file', () => `${show(dir)} and ${show(file)}`);
    }
  }
}

/**
 * Runs `fn`; when it throws a typed error, checks its message quotes none of `secrets`
 * (each as windows of `window` characters, so a partial quote is caught too), then rethrows.
 * A window that also occurs in `publicText` (the rest of the input) is not secret: an edited
 * input can copy a field name such as "expirationTimestamp" into a token.
 */
export function withSecretsKeptOut<T>(secrets: string[], fn: () => T, publicText = '', window = 12): T {
  try {
    return fn();
  } catch (err) {
    if (err instanceof ProviderError) {
      for (const secret of secrets) {
        const probe = secret.slice(0, 200);
        for (let i = 0; i + window <= probe.length; i++) {
          const piece = probe.slice(i, i + window);
          if (publicText.includes(piece)) continue;
          check(!err.message.includes(piece), 'error messages never quote a secret or token', () => `${err.name}: ${err.message.slice(0, 300)} quotes ${show(piece)}`);
        }
      }
    }
    throw err;
  }
}
