// Command-line flags, parsed the way Go's `flag` package accepts them (the chart
// and the EKS add-on pass Go-style flags): `--name=value`, `--name value`,
// `-name=value`, `-name value`; booleans as `--name` or `--name=false`.

const LOG_LEVELS = ['trace', 'debug', 'info', 'warn', 'error', 'fatal', 'silent'] as const;

export interface Config {
  providerVolume: string;
  driverWritesSecrets: boolean;
  qps: number;
  burst: number;
  eksAddonVersion: string;
  /** Pod Identity agent HTTP timeout in ms. */
  podIdentityHttpTimeoutMs: number;
  /** How long a mount keeps trying a Pod Identity agent that is not answering yet, in ms. */
  podIdentityAgentWaitMs: number;
  kubeconfig: string;
  podIdentityEndpointIpv4: string;
  podIdentityEndpointIpv6: string;
  logLevel: string;
  /** host:port for /metrics, /healthz, /readyz; empty disables. */
  metricsAddr: string;
  shutdownTimeoutMs: number;
  maxConcurrentMounts: number;
  /** Post a Warning event on a pod whose remount (rotation) failed. */
  emitEvents: boolean;
}

export type FlagKind = 'string' | 'bool' | 'int' | 'duration';

export interface FlagSpec {
  name: string;
  kind: FlagKind;
  default: string;
  help: string;
}

export const DEFAULT_POD_IDENTITY_TIMEOUT_MS = 1000;

const FLAGS: readonly FlagSpec[] = [
  { name: 'provider-volume', kind: 'string', default: '/var/run/secrets-store-csi-providers', help: 'Directory in which to create the provider socket aws.sock' },
  { name: 'driver-writes-secrets', kind: 'bool', default: 'false', help: 'Return files to the driver to write instead of writing them into the pod volume' },
  { name: 'qps', kind: 'int', default: '5', help: 'Maximum queries per second to the Kubernetes API server' },
  { name: 'burst', kind: 'int', default: '10', help: 'Maximum burst of queries to the Kubernetes API server' },
  { name: 'eks-addon-version', kind: 'string', default: '', help: 'EKS add-on version, reported in the AWS user agent' },
  { name: 'pod-identity-http-timeout', kind: 'duration', default: '', help: `HTTP timeout for the Pod Identity agent (Go duration, e.g. 250ms; default ${DEFAULT_POD_IDENTITY_TIMEOUT_MS}ms)` },
  { name: 'pod-identity-agent-wait', kind: 'duration', default: '30s', help: 'How long a mount keeps trying a Pod Identity agent that refuses, times out or answers 5xx (a node whose agent is still starting), within the mount\'s deadline; 0 tries each endpoint once' },
  { name: 'kubeconfig', kind: 'string', default: '', help: 'Path to a kubeconfig file (default: in-cluster configuration)' },
  { name: 'pod-identity-endpoint-ipv4', kind: 'string', default: 'http://169.254.170.23/v1/credentials', help: 'EKS Pod Identity agent endpoint over IPv4' },
  { name: 'pod-identity-endpoint-ipv6', kind: 'string', default: 'http://[fd00:ec2::23]/v1/credentials', help: 'EKS Pod Identity agent endpoint over IPv6' },
  { name: 'metrics-addr', kind: 'string', default: ':8989', help: 'Address for /metrics, /healthz and /readyz (empty disables)' },
  { name: 'shutdown-timeout', kind: 'duration', default: '25s', help: 'On SIGTERM, how long in-flight mounts may take before the provider exits anyway' },
  { name: 'max-concurrent-mounts', kind: 'int', default: '32', help: 'Mounts served at once; more wait in a queue' },
  { name: 'emit-events', kind: 'bool', default: 'false', help: 'Post a Warning event (SecretRotationFailed) on a pod when a remount of its volume fails (needs create on events)' },
  { name: 'log-level', kind: 'string', default: 'info', help: 'Log level: trace, debug, info, warn, error, fatal or silent' },
  { name: 'help', kind: 'bool', default: 'false', help: 'Print this help and exit (also -h)' },
  { name: 'version', kind: 'bool', default: 'false', help: 'Print the version and exit' },
];

export class UsageError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'UsageError';
  }
}

export interface ParsedArgs {
  config: Config;
  help: boolean;
  version: boolean;
  /** Non-fatal problems to log once a logger exists (Go logs and ignores them). */
  warnings: string[];
  /** Arguments after the flags (subcommands use them). */
  rest: string[];
}

/** Go flag syntax -> values by name (defaults filled in) and the remaining arguments. */
export function parseFlagValues(argv: readonly string[], specs: readonly FlagSpec[]): { values: Map<string, string>; rest: string[] } {
  const values = new Map<string, string>(specs.map((f) => [f.name, f.default]));
  const rest: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    if (arg === '--') {
      rest.push(...argv.slice(i + 1));
      break;
    }
    if (!arg.startsWith('-') || arg === '-') {
      rest.push(...argv.slice(i));
      break;
    }
    const body = arg.replace(/^--?/, '');
    const eq = body.indexOf('=');
    let name = eq >= 0 ? body.slice(0, eq) : body;
    // Go's flag package accepts -h as well as -help for the usage text.
    if (name === 'h' && specs.some((f) => f.name === 'help')) name = 'help';
    const spec = specs.find((f) => f.name === name);
    if (!spec) throw new UsageError(`flag provided but not defined: -${name}`);
    if (eq >= 0) {
      values.set(name, body.slice(eq + 1));
    } else if (spec.kind === 'bool') {
      values.set(name, 'true');
    } else {
      const next = argv[i + 1];
      if (next === undefined) throw new UsageError(`flag needs an argument: -${name}`);
      values.set(name, next);
      i++;
    }
  }
  return { values, rest };
}

export function parseArgs(argv: readonly string[], specs: readonly FlagSpec[] = FLAGS): ParsedArgs {
  const { values, rest } = parseFlagValues(argv, specs);
  const warnings: string[] = [];
  const get = (name: string): string => values.get(name) ?? '';
  const bool = (name: string): boolean => {
    const b = parseGoBool(get(name));
    if (b === undefined) throw new UsageError(`invalid boolean value "${get(name)}" for flag -${name}`);
    return b;
  };
  const int = (name: string): number => {
    const v = get(name);
    if (!/^[+-]?\d+$/.test(v)) throw new UsageError(`invalid value "${v}" for flag -${name}: parse error`);
    return Number(v);
  };

  const oneOf = (name: string, allowed: readonly string[]): string => {
    const v = get(name);
    if (!allowed.includes(v)) throw new UsageError(`invalid value "${v}" for flag -${name}: use one of ${allowed.join(', ')}`);
    return v;
  };

  let podIdentityHttpTimeoutMs = DEFAULT_POD_IDENTITY_TIMEOUT_MS;
  const timeout = get('pod-identity-http-timeout');
  if (timeout !== '') {
    const ms = parseGoDuration(timeout);
    if (ms === undefined) {
      warnings.push(`failed to parse pod-identity-http-timeout value "${timeout}", using the default ${DEFAULT_POD_IDENTITY_TIMEOUT_MS}ms`);
    } else if (ms <= 0) {
      warnings.push(`pod-identity-http-timeout must be positive, got "${timeout}", using the default ${DEFAULT_POD_IDENTITY_TIMEOUT_MS}ms`);
    } else {
      if (ms > 30_000) warnings.push(`pod-identity-http-timeout ${timeout} is unusually high`);
      podIdentityHttpTimeoutMs = ms;
    }
  }

  const shutdownTimeout = parseGoDuration(get('shutdown-timeout'));
  if (shutdownTimeout === undefined || shutdownTimeout < 0) {
    throw new UsageError(`invalid value "${get('shutdown-timeout')}" for flag -shutdown-timeout: use a Go duration such as 25s`);
  }
  const agentWait = parseGoDuration(get('pod-identity-agent-wait'));
  if (agentWait === undefined || agentWait < 0) {
    throw new UsageError(`invalid value "${get('pod-identity-agent-wait')}" for flag -pod-identity-agent-wait: use a Go duration such as 30s (0 to try once)`);
  }
  const maxConcurrentMounts = int('max-concurrent-mounts');
  if (maxConcurrentMounts <= 0) throw new UsageError(`-max-concurrent-mounts must be positive, got ${maxConcurrentMounts}`);
  const qps = int('qps');
  const burst = int('burst');
  if (qps <= 0) throw new UsageError(`-qps must be positive, got ${qps}`);
  if (burst <= 0) throw new UsageError(`-burst must be positive, got ${burst}`);

  return {
    config: {
      providerVolume: get('provider-volume'),
      driverWritesSecrets: bool('driver-writes-secrets'),
      qps,
      burst,
      eksAddonVersion: get('eks-addon-version'),
      podIdentityHttpTimeoutMs,
      podIdentityAgentWaitMs: agentWait,
      kubeconfig: get('kubeconfig'),
      podIdentityEndpointIpv4: get('pod-identity-endpoint-ipv4'),
      podIdentityEndpointIpv6: get('pod-identity-endpoint-ipv6'),
      logLevel: oneOf('log-level', LOG_LEVELS),
      metricsAddr: get('metrics-addr'),
      shutdownTimeoutMs: shutdownTimeout,
      maxConcurrentMounts,
      emitEvents: bool('emit-events'),
    },
    help: bool('help'),
    version: specs.some((f) => f.name === 'version') && bool('version'),
    warnings,
    rest,
  };
}

export function helpText(specs: readonly FlagSpec[] = FLAGS, usage = 'Usage: node dist/main.js [flags]\n       node dist/main.js validate FILE...\n       node dist/main.js mount --spc FILE --target DIR [--region R] [--driver-writes]'): string {
  const lines = [usage, '', 'Flags:'];
  for (const f of specs) {
    const type = f.kind === 'bool' ? '' : ` ${f.kind === 'int' ? 'int' : f.kind === 'duration' ? 'duration' : 'string'}`;
    const def = f.default === '' ? '' : ` (default ${JSON.stringify(f.default)})`;
    lines.push(`  --${f.name}${type}`, `      ${f.help}${def}`);
  }
  lines.push(
    '',
    'Environment: AWS_REGION (region fallback), AWS_USE_FIPS_ENDPOINT, AWS_ENDPOINT_URL,',
    'AWS_ENDPOINT_URL_SECRETS_MANAGER, AWS_ENDPOINT_URL_SSM, AWS_ENDPOINT_URL_STS.',
  );
  return lines.join('\n');
}

/** Go's strconv.ParseBool: exactly these spellings, nothing else. */
export function parseGoBool(value: string): boolean | undefined {
  switch (value) {
    case '1': case 't': case 'T': case 'TRUE': case 'true': case 'True':
      return true;
    case '0': case 'f': case 'F': case 'FALSE': case 'false': case 'False':
      return false;
    default:
      return undefined;
  }
}

const DURATION_UNITS_MS: Record<string, number> = {
  ns: 1e-6,
  us: 1e-3,
  '\u00b5s': 1e-3, // micro sign
  '\u03bcs': 1e-3, // Greek mu
  ms: 1,
  s: 1000,
  m: 60_000,
  h: 3_600_000,
};

/** Go's time.ParseDuration ("300ms", "1.5s", "2m30s", "-1s", "0"), in milliseconds. */
export function parseGoDuration(value: string): number | undefined {
  const m = /^([+-]?)(.*)$/.exec(value);
  if (!m || m[2] === '') return undefined;
  const sign = m[1] === '-' ? -1 : 1;
  const body = m[2]!;
  if (body === '0') return 0;
  // Escaped, not literal: one non-Latin-1 character in a regex literal makes V8 hold the whole
  // bundle's source as a two-byte string (2x its size in memory); esbuild escapes strings, not regexes.
  const part = /(\d+\.?\d*|\.\d+)(ns|us|\u00b5s|\u03bcs|ms|s|m|h)/y;
  let total = 0;
  let pos = 0;
  while (pos < body.length) {
    part.lastIndex = pos;
    const p = part.exec(body);
    if (!p) return undefined;
    total += Number(p[1]) * DURATION_UNITS_MS[p[2]!]!;
    pos = part.lastIndex;
  }
  return sign * total;
}
