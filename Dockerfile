# syntax=docker/dockerfile:1
# Production image for AppAPI (Docker/HaRP daemons). Build: docker build -t ghcr.io/mcp-gateway/mcp_gateway:0.1.0 .

FROM node:20-bookworm-slim AS build
WORKDIR /app
# better-sqlite3 compiles against the image's own Node headers.
RUN apt-get update && apt-get install -y --no-install-recommends python3 make g++ && rm -rf /var/lib/apt/lists/*
ENV npm_config_nodedir=/usr/local
COPY package.json package-lock.json ./
RUN npm ci --no-audit --no-fund
COPY tsconfig.json tsconfig.build.json ./
COPY src ./src
COPY lib ./lib
RUN npm run build && npm prune --omit=dev

FROM node:20-bookworm-slim
ARG FRP_VERSION=0.61.1
# curl for the health check; frpc is HaRP's tunnel client (FRP mode), taken from HaRP's published bundle.
RUN set -eux; \
    apt-get update; apt-get install -y --no-install-recommends curl ca-certificates; rm -rf /var/lib/apt/lists/*; \
    case "$(uname -m)" in aarch64) FRP_ARCH=arm64 ;; *) FRP_ARCH=amd64 ;; esac; \
    curl -fsSL "https://raw.githubusercontent.com/nextcloud/HaRP/main/exapps_dev/frp_${FRP_VERSION}_linux_${FRP_ARCH}.tar.gz" -o /tmp/frp.tgz; \
    tar -C /tmp -xzf /tmp/frp.tgz; install -m 0755 /tmp/frp_${FRP_VERSION}_linux_${FRP_ARCH}/frpc /usr/local/bin/frpc; \
    rm -rf /tmp/frp*
WORKDIR /app
ENV NODE_ENV=production APP_PERSISTENT_STORAGE=/nc_app_mcp_gateway_data
COPY --from=build /app/node_modules ./node_modules
COPY --from=build /app/dist ./dist
COPY package.json ./
COPY appinfo ./appinfo
COPY --chmod=0755 docker/entrypoint.sh docker/healthcheck.sh /usr/local/bin/
# The container starts as root because AppAPI copies HaRP's certificates in with `docker cp`; the entrypoint
# starts frpc and then runs the app as the unprivileged "node" user.
ENTRYPOINT ["/usr/local/bin/entrypoint.sh"]
HEALTHCHECK --interval=5s --timeout=3s --start-period=5s --retries=60 CMD ["/usr/local/bin/healthcheck.sh"]
