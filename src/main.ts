// Entry point: flags -> config -> long-lived objects (clients, caches, metrics)
// -> the gRPC server on <provider-volume>/aws.sock and the operations port.
// Everything a Mount needs is created here and passed in; there is no
// module-level mutable state. Subcommands: `validate` and `mount`.
import { chmod, mkdir, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { helpText, parseArgs, UsageError, type Config } from './config.js';
import { kubernetesConfigProblem } from './kube/config-check.js';
import { createLogger, type Logger } from './log.js';
import type { MountRuntime } from './mount-runtime.js';
import { bindUnixSocket, createProviderServer, RUNTIME_NAME } from './server/grpc-server.js';
import { HealthState } from './server/health.js';
import { createEndpoints, parseListenAddress } from './server/http-endpoints.js';
import { MountGate } from './server/mount-gate.js';

const VERSION = typeof __PROVIDER_VERSION__ === 'string' ? __PROVIDER_VERSION__ : '0.0.0-dev';
/** Linux sun_path is 108 bytes including the terminating NUL. */
const MAX_SOCKET_PATH_BYTES = 107;
/** After start-up, the mount pipeline is loaded this soon even if no Mount asks for it. */
const PIPELINE_PRELOAD_DELAY_MS = 1_000;
/** Owner (root, as the driver runs) only. */
const SOCKET_MODE = 0o600;

async function main(argv: string[]): Promise<number> {
  if (argv[0] === 'validate') return (await import('./cli/validate.js')).runValidate(argv.slice(1));
  if (argv[0] === 'mount') return (await import('./cli/mount.js')).runMount(argv.slice(1), VERSION);

  let parsed;
  try {
    parsed = parseArgs(argv);
  } catch (err) {
    if (!(err instanceof UsageError)) throw err;
    process.stderr.write(`${err.message}\n\n${helpText()}\n`);
    return 2;
  }
  if (parsed.help) {
    process.stdout.write(`${helpText()}\n`);
    return 0;
  }
  if (parsed.version) {
    process.stdout.write(`${RUNTIME_NAME} ${VERSION}\n`);
    return 0;
  }
  if (parsed.rest.length > 0) {
    process.stderr.write(`unexpected argument "${parsed.rest[0]}"\n\n${helpText()}\n`);
    return 2;
  }
  const log = createLogger(parsed.config.logLevel);
  for (const warning of parsed.warnings) log.warn(warning);
  // Every IRSA mount reads its service account, and a mount without a region reads its node:
  // without a Kubernetes configuration every such mount would fail, so do not start at all.
  const kubeProblem = kubernetesConfigProblem(parsed.config.kubeconfig, process.env);
  if (kubeProblem) {
    log.fatal(kubeProblem);
    return 1;
  }
  return serve(parsed.config, log);
}

async function serve(config: Config, log: Logger): Promise<number> {
  const socketPath = join(config.providerVolume, 'aws.sock');
  if (Buffer.byteLength(socketPath) > MAX_SOCKET_PATH_BYTES) {
    log.fatal({ socketPath }, `socket path is longer than ${MAX_SOCKET_PATH_BYTES} bytes; use a shorter --provider-volume`);
    return 1;
  }

  const appId = `${RUNTIME_NAME}:${config.eksAddonVersion || VERSION}`;
  // The mount pipeline is a separate chunk (see mount-runtime.ts), loaded by the first Mount or
  // PIPELINE_PRELOAD_DELAY_MS after the socket serves, whichever comes first: start-up answers
  // Version and health checks without waiting for it (under the chart's 50m CPU, loading it takes
  // seconds). Ready (and counted as started) once it is loaded; a load failure is a bug: exit.
  let runtime: Promise<MountRuntime> | undefined;
  let runtimeLoaded = false;
  const loadRuntime = () => {
    runtime ??= import('./mount-runtime.js').then(
      (m) => {
        const loaded = m.createMountRuntime(config, appId);
        runtimeLoaded = true;
        log.info('ready: the mount pipeline is loaded');
        return loaded;
      },
      (err: unknown) => {
        log.fatal({ error: String((err as Error)?.stack ?? err) }, 'the mount pipeline failed to load');
        process.exit(1);
      },
    );
    return runtime;
  };
  const health = new HealthState();
  const server = createProviderServer({
    version: VERSION,
    log,
    gate: new MountGate(config.maxConcurrentMounts),
    health,
    runtime: loadRuntime,
  });

  await mkdir(config.providerVolume, { recursive: true });
  await rm(socketPath, { force: true }); // a stale socket from a previous run
  // The socket's mode must not depend on the umask (000 made it world-writable): only
  // the driver (root) connects. Bind under a strict umask, then set the mode outright.
  const umask = process.umask(0o177);
  try {
    await bindUnixSocket(server, socketPath);
  } finally {
    process.umask(umask);
  }
  await chmod(socketPath, SOCKET_MODE);
  let serving = true;

  const preload = setTimeout(() => void loadRuntime(), PIPELINE_PRELOAD_DELAY_MS);
  const endpoints = config.metricsAddr
    ? createEndpoints({ socketPath, metrics: async () => (await loadRuntime()).metrics.registry, ready: () => serving && runtimeLoaded })
    : undefined;
  if (endpoints) {
    const { host, port } = parseListenAddress(config.metricsAddr);
    await new Promise<void>((resolve, reject) => {
      endpoints.once('error', reject);
      endpoints.listen(port, host, () => resolve());
    });
  }
  log.info(
    { version: VERSION, socket: socketPath, metricsAddr: config.metricsAddr || 'disabled', driverWritesSecrets: config.driverWritesSecrets, emitEvents: config.emitEvents },
    `${RUNTIME_NAME} listening; requires CSIDriver tokenRequests for audiences sts.amazonaws.com and pods.eks.amazonaws.com`,
  );

  return new Promise<number>((resolve) => {
    const stop = (signal: NodeJS.Signals) => {
      if (!serving) return;
      serving = false;
      clearTimeout(preload);
      health.set('NOT_SERVING');
      log.info({ signal, shutdownTimeoutMs: config.shutdownTimeoutMs }, 'shutting down: no new mounts, finishing in-flight ones');
      const finish = () => {
        health.close();
        endpoints?.close();
        endpoints?.closeAllConnections();
        void rm(socketPath, { force: true }).finally(() => {
          log.info('stopped');
          resolve(0);
        });
      };
      const force = setTimeout(() => {
        log.warn('in-flight mounts did not finish before --shutdown-timeout; stopping anyway');
        server.forceShutdown();
        finish();
      }, config.shutdownTimeoutMs);
      health.close();
      server.tryShutdown(() => {
        clearTimeout(force);
        finish();
      });
    };
    process.on('SIGTERM', stop);
    process.on('SIGINT', stop);
    // Go's runtime exits on SIGHUP; stop the same way as on SIGTERM (drain, remove the socket).
    process.on('SIGHUP', stop);
  });
}

process.on('unhandledRejection', (reason) => {
  // A bug, not a reason to drop every other in-flight mount.
  process.stderr.write(`${JSON.stringify({ level: 'error', msg: 'unhandled rejection', error: String((reason as Error)?.stack ?? reason) })}\n`);
});

main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (err) => {
    process.stderr.write(`${JSON.stringify({ level: 'fatal', msg: 'provider failed to start', error: String((err as Error)?.stack ?? err) })}\n`);
    process.exit(1);
  },
);
