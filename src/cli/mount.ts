// `node dist/main.js mount --spc FILE --target DIR [--region R] [--driver-writes]`:
// one mount from a workstation, for debugging a SecretProviderClass against a
// real account. Same validator, fetchers, failover rule, JMESPath and atomic
// writer as the server; credentials from the default AWS chain (environment,
// profile, SSO, instance role) instead of a pod token. Prints file names,
// modes, versions and sizes, never contents.
import { mkdir, readFile } from 'node:fs/promises';
import { createHash } from 'node:crypto';
import { parseAllDocuments } from 'yaml';
import { assumeRole } from '../auth/assume-role.js';
import { AwsSdkPort } from '../aws/sdk-port.js';
import { standaloneContext } from '../context.js';
import { createLogger } from '../log.js';
import { helpText, parseFlagValues, UsageError, type FlagSpec } from '../config.js';
import { ProviderError } from '../errors.js';
import { fetchObjects } from '../fetch/fetch-objects.js';
import { writeFilesAtomically } from '../files/atomic-writer.js';
import { mountedFiles } from '../files/mounted-files.js';
import { MAX_MOUNT_BYTES } from '../limits.js';
import { parseObjects } from '../plan/objects.js';
import { parseAssumeRole } from '../plan/assume-role.js';
import { ATTR, parsePathTranslation, primaryRegion, resolveRegions } from '../plan/request.js';
import { RUNTIME_NAME } from '../server/grpc-server.js';

const FLAGS: FlagSpec[] = [
  { name: 'spc', kind: 'string', default: '', help: 'SecretProviderClass manifest (YAML)' },
  { name: 'name', kind: 'string', default: '', help: 'Which SecretProviderClass, when the file has several' },
  { name: 'target', kind: 'string', default: '', help: 'Directory to write the files into (created if missing)' },
  { name: 'region', kind: 'string', default: '', help: 'Region when the SecretProviderClass has none (default: AWS_REGION)' },
  { name: 'driver-writes', kind: 'bool', default: 'false', help: 'Do not write: list the files the driver would be given' },
  { name: 'permission', kind: 'string', default: '0644', help: 'Default file mode (octal)' },
  { name: 'help', kind: 'bool', default: 'false', help: 'Print this help' },
];
const USAGE = 'Usage: node dist/main.js mount --spc FILE --target DIR [--region R] [--driver-writes]';

export async function runMount(argv: string[], version: string): Promise<number> {
  let values: Map<string, string>;
  try {
    ({ values } = parseFlagValues(argv, FLAGS));
    if (values.get('help') === 'true') {
      process.stdout.write(`${helpText(FLAGS, USAGE)}\n`);
      return 0;
    }
    if (!values.get('spc')) throw new UsageError('--spc is required');
    if (!values.get('target') && values.get('driver-writes') !== 'true') throw new UsageError('--target is required (or use --driver-writes)');
    if (!/^[0-7]{3,4}$/.test(values.get('permission')!)) throw new UsageError('--permission must be an octal mode such as 0644');
  } catch (err) {
    if (!(err instanceof UsageError)) throw err;
    process.stderr.write(`${err.message}\n\n${helpText(FLAGS, USAGE)}\n`);
    return 2;
  }
  try {
    await mountOnce(values, version);
    return 0;
  } catch (err) {
    process.stderr.write(`mount failed: ${err instanceof ProviderError ? err.message : (err as Error).message}\n`);
    return 1;
  }
}

async function mountOnce(values: Map<string, string>, version: string): Promise<void> {
  const file = values.get('spc')!;
  const wanted = values.get('name');
  const classes = parseAllDocuments(await readFile(file, 'utf8'))
    .map((d) => d.toJS({ maxAliasCount: 100 }) as { kind?: string; metadata?: { name?: string }; spec?: { parameters?: Record<string, string> } })
    .filter((d) => d?.kind === 'SecretProviderClass' && (!wanted || d.metadata?.name === wanted));
  if (classes.length !== 1) {
    throw new Error(classes.length === 0 ? `no SecretProviderClass${wanted ? ` named ${wanted}` : ''} in ${file}` : `${file} has ${classes.length} SecretProviderClasses: pick one with --name`);
  }
  const params = classes[0]!.spec?.parameters ?? {};
  const primary = primaryRegion(params, values.get('region'), process.env.AWS_REGION);
  if (!primary) throw new Error('no region: set the region parameter, --region or AWS_REGION');
  const regions = resolveRegions(params, primary);
  const objects = parseObjects(params[ATTR.objects], {
    primaryRegion: regions.primary,
    ...(regions.failover && { failoverRegion: regions.failover }),
    translation: parsePathTranslation(params[ATTR.pathTranslation]),
    defaultMode: parseInt(values.get('permission')!, 8),
  });
  const role = parseAssumeRole(params);

  // Your own credentials, from the default chain: this command never sees a pod token.
  const { defaultProvider } = await import('@aws-sdk/credential-provider-node');
  const own = await defaultProvider()().catch((err: Error) => {
    throw new Error(
      `no AWS credentials: this command uses your own, from the default chain (AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY, ` +
        `AWS_PROFILE, an SSO session: aws sso login, or an instance role). The SDK said: ${err.message.split('\n')[0]}`,
    );
  });
  const identityKey = `local:${createHash('sha256').update(own.accessKeyId).digest('hex').slice(0, 16)}`;
  const port = new AwsSdkPort(`${RUNTIME_NAME}:${version}`);
  // Warnings (a failover, say) as JSON lines on stderr; stdout lists the files.
  const ctx = standaloneContext(120_000, createLogger('warn', 2));
  // assumeRoleArn: your credentials assume the role, as the pod's would (session name: this command's).
  const credentials = role
    ? { ...(await assumeRole(port, role, `${RUNTIME_NAME}-mount`.slice(0, 64), { ...own, identityKey }, { region: regions.primary, signal: ctx.signal })), identityKey: `${identityKey}:${role.roleArn}` }
    : { ...own, identityKey };
  const fetched = await fetchObjects({ regions, objects }, credentials, port, ctx, { concurrency: 16, maxBytes: MAX_MOUNT_BYTES });
  const files = mountedFiles(fetched, MAX_MOUNT_BYTES);
  const target = values.get('target');
  if (values.get('driver-writes') !== 'true') {
    await mkdir(target!, { recursive: true });
    await writeFilesAtomically(target!, files, ctx.signal);
  }
  process.stdout.write(
    `${values.get('driver-writes') === 'true' ? 'files the driver would write' : `wrote ${files.length} files to ${target}`} (regions ${[regions.primary, regions.failover].filter(Boolean).join(', ')}${role ? `; as role ${role.roleArn}` : ''}):\n`,
  );
  for (const f of files) {
    process.stdout.write(`  ${f.mode.toString(8).padStart(4, '0')}  ${f.path}  version=${f.version}  ${f.contents.length} bytes\n`);
  }
}
