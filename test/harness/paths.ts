// Where this repository is, for the harness and the bench (both run from source under tsx).
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

export const REPO_ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');

/**
 * The environment the tests build their Go programs with (the driver interop client, the PromQL
 * checker): module and build caches under .build/go, shared with scripts/install-*.sh, no workspace, no cgo.
 */
export const GO_TEST_ENV = {
  GOMODCACHE: process.env.GOMODCACHE || resolve(REPO_ROOT, '.build', 'go', 'mod'),
  GOCACHE: process.env.GOCACHE || resolve(REPO_ROOT, '.build', 'go', 'cache'),
  GOWORK: 'off',
  CGO_ENABLED: '0',
};
