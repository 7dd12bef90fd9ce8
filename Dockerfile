# syntax=docker/dockerfile:1
# Production image for AppAPI (HaRP and Docker deploy daemons), amd64 and arm64.
# Build: docker build -t ghcr.io/mcp-gateway/mcp_gateway:0.1.0 .
#        docker buildx build --platform linux/amd64,linux/arm64 -t ghcr.io/mcp-gateway/mcp_gateway:0.1.0 .
# Needs BuildKit (the default builder since Docker 23): COPY --chmod and RUN --mount.

# ---- build: compile TypeScript and better-sqlite3, keep production dependencies only -----------------------
FROM node:24-bookworm-slim AS build
WORKDIR /app
# better-sqlite3 compiles against the image's own Node headers when no prebuilt addon fits.
RUN apt-get update && apt-get install -y --no-install-recommends python3 make g++ && rm -rf /var/lib/apt/lists/*
ENV npm_config_nodedir=/usr/local
COPY package.json package-lock.json ./
RUN npm ci --no-audit --no-fund
COPY tsconfig.json tsconfig.build.json ./
COPY src ./src
COPY lib ./lib
# Then drop the dev dependencies and better-sqlite3's sources and build intermediates (docker/prune-native.sh),
# and prove that the addon that is left still loads.
RUN --mount=type=bind,source=docker/prune-native.sh,target=/tmp/prune-native.sh \
    npm run build \
    && npm prune --omit=dev --no-audit --no-fund \
    && sh /tmp/prune-native.sh node_modules \
    && node -e "const D = require('better-sqlite3'); new D(':memory:').prepare('select 1').get()"

# ---- frpc: HaRP's FRP tunnel client, one pinned release verified by checksum --------------------------------
FROM node:24-bookworm-slim AS frpc
# The FRP version HaRP runs and documents for ExApp images. The sha256 values are the ones HaRP's README
# publishes for the official release archives frp_0.61.1_linux_amd64.tar.gz and frp_0.61.1_linux_arm64.tar.gz
# of https://github.com/fatedier/frp/releases/tag/v0.61.1 (section "Adapting ExApps to use HaRP", added in
# nextcloud/HaRP commit 498d356). To upgrade, change all three together, with the checksums from that
# release's frp_sha256_checksums.txt; docker/install-frpc.sh fails the build on any mismatch.
ARG FRP_VERSION=0.61.1
ARG FRP_SHA256_AMD64=bff260b68ca7b1461182a46c4f34e9709ba32764eed30a15dd94ac97f50a2c40
ARG FRP_SHA256_ARM64=af6366f2b43920ebfe6235dba6060770399ed1fb18601e5818552bd46a7621f8
# Set by BuildKit; install-frpc.sh falls back to the build machine's architecture without it.
ARG TARGETARCH
RUN apt-get update && apt-get install -y --no-install-recommends ca-certificates curl && rm -rf /var/lib/apt/lists/*
# The script (given the ARGs above as environment variables) downloads
# https://github.com/fatedier/frp/releases/download/v${FRP_VERSION}/frp_${FRP_VERSION}_linux_<arch>.tar.gz
# and checks it with sha256sum -c before it installs frpc.
RUN --mount=type=bind,source=docker/install-frpc.sh,target=/tmp/install-frpc.sh \
    sh /tmp/install-frpc.sh /out/frpc

# ---- runtime ------------------------------------------------------------------------------------------------
FROM node:24-bookworm-slim
# curl: the health check (and HaRP's requirements for ExApp images). ca-certificates: the system CA bundle and
# update-ca-certificates, with which AppAPI/HaRP install Nextcloud's CA into the container.
RUN apt-get update && apt-get install -y --no-install-recommends ca-certificates curl && rm -rf /var/lib/apt/lists/*
COPY --from=frpc /out/frpc /usr/local/bin/frpc
WORKDIR /app
# NODE_EXTRA_CA_CERTS: Node.js reads the system bundle (and so Nextcloud's CA) only when told to.
ENV NODE_ENV=production \
    APP_PERSISTENT_STORAGE=/nc_app_mcp_gateway_data \
    NODE_EXTRA_CA_CERTS=/etc/ssl/certs/ca-certificates.crt
# package.json carries "type": "module", which the compiled app needs.
COPY package.json ./
COPY appinfo ./appinfo
COPY --from=build /app/node_modules ./node_modules
COPY --from=build /app/dist ./dist
COPY --chmod=0755 docker/entrypoint.sh docker/healthcheck.sh /usr/local/bin/
# No USER: the container starts as root, because AppAPI/HaRP copy certificates in and run
# update-ca-certificates, and frpc reads HaRP's client key. The entrypoint starts frpc (behind HaRP) and then
# runs the app as the unprivileged "node" user with setpriv.
ENTRYPOINT ["/usr/local/bin/entrypoint.sh"]
# AppAPI waits for "healthy" and gives up on "unhealthy"; failures during the start period do not count, and
# only `retries` failures in a row make the container unhealthy (a frpc restart does not).
HEALTHCHECK --interval=5s --timeout=3s --start-period=5s --retries=60 CMD ["/usr/local/bin/healthcheck.sh"]
