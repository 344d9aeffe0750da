# syntax=docker/dockerfile:1
#
# AWS provider for the Secrets Store CSI Driver (TypeScript build).
#
#   docker build -t <registry>/secrets-store-csi-driver-provider-aws-ts:<version> .
#
# The build stage installs dependencies with npm and bundles the provider into dist/ (esbuild; every
# dependency inlined): main.js, the gRPC edge that start-up loads, and dist/chunks/, the code it imports
# on first use. The runtime stage is distroless Node.js: node, glibc and CA certificates; no npm, no
# shell, no package manager, no node_modules. Only the bundle is copied.
#
# Node's TLS uses its bundled Mozilla CA list; for a private CA (for example a proxy in front of the
# AWS endpoints) mount the certificate and set NODE_EXTRA_CA_CERTS to its path.

# Node.js major version for both stages; keep it on a current LTS line.
ARG NODE_MAJOR=22

FROM node:${NODE_MAJOR}-bookworm-slim AS build
WORKDIR /src
# Dependencies first, so this layer is reused until the lockfile changes.
COPY package.json package-lock.json ./
RUN npm ci --no-audit --no-fund
COPY . .
RUN npm run build \
 && test -s dist/main.js && test -s dist/package.json && test -d dist/chunks

# Distroless Node.js runtime; its entrypoint is /nodejs/bin/node. The default (not :nonroot) variant
# runs as root, which the provider needs: like the Go provider it writes secrets into pods' tmpfs
# volumes under the kubelet directory, owned by root. Distroless publishes no version tags for this image
# (only latest, nonroot, debug): pin it by digest (@sha256:...) in release builds.
# hadolint ignore=DL3006
FROM gcr.io/distroless/nodejs${NODE_MAJOR}-debian12
WORKDIR /app
# The bundle (main.js, chunks/), and the one-line package.json that tells Node it is an ES module
# (without it Node parses the bundle twice to find out: +10 MiB resident, +35 ms start-up).
COPY --from=build /src/dist/ /app/dist/
ENV NODE_ENV=production
# Two malloc arenas instead of one per thread: freed native memory (gRPC buffers, file contents) is
# reused instead of fragmenting across arenas.
ENV MALLOC_ARENA_MAX=2
# Keep V8's heap close to what the provider uses, so it stays within the chart's 100Mi limit even under a
# burst of mounts (measured with npm run bench: peak RSS for 1000 concurrent mounts 185 -> 107 MiB, idle
# 77 -> 73 MiB, for ~30% more CPU during the burst). Raise both with the memory limit if you raise it.
# --disable-sigusr1: a SIGUSR1 must not open the inspector (a debugger port) in a root DaemonSet.
ENV NODE_OPTIONS="--max-old-space-size=64 --max-semi-space-size=1 --disable-sigusr1"
# Root on purpose (see the runtime stage's FROM); the pod needs no privilege beyond it.
# hadolint ignore=DL3002
USER 0:0
# Metrics and health endpoints (/metrics, /healthz, /readyz).
EXPOSE 8989
# Nothing is written to the image's filesystem: run it with a read-only root filesystem.
ENTRYPOINT ["/nodejs/bin/node", "/app/dist/main.js"]
