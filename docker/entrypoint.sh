#!/bin/sh
# Container entrypoint for the AppAPI deploy daemons (HaRP and Docker).
#
# The container starts as root: AppAPI/HaRP copy certificates into it and run update-ca-certificates, and
# HaRP's FRP client key under /certs/frp is readable by root only. This script
#   1. points Node.js at the system CA bundle (which is where AppAPI puts Nextcloud's CA),
#   2. behind HaRP (HP_SHARED_KEY set): writes the FRP client configuration and keeps frpc running,
#   3. runs the app as the unprivileged "node" user; the app listens on the unix socket HP_EXAPP_SOCK behind
#      HaRP, on APP_HOST:APP_PORT otherwise (src/config.ts).
#
# FRPC_CONFIG, FRPC_PIDFILE and FRP_CERTS_DIR exist so that the tests can run this script outside the image;
# the defaults are the paths HaRP and the health check use.
set -eu

SOCKET="${HP_EXAPP_SOCK:-/tmp/exapp.sock}"
STORAGE="${APP_PERSISTENT_STORAGE:-/nc_app_mcp_gateway_data}"
FRPC_CONFIG="${FRPC_CONFIG:-/frpc.toml}"
FRPC_PIDFILE="${FRPC_PIDFILE:-/run/frpc.pid}"
FRP_CERTS_DIR="${FRP_CERTS_DIR:-/certs/frp}"
# Restart policy for frpc, see supervise_frpc.
FRPC_RESTART_DELAY="${FRPC_RESTART_DELAY:-2}"
FRPC_MAX_RESTARTS="${FRPC_MAX_RESTARTS:-10}"

log() { printf 'entrypoint: %s\n' "$*" >&2; }
die() { log "$*"; exit 1; }

mkdir -p "$STORAGE"
chown -R node:node "$STORAGE"

# --- CA trust ------------------------------------------------------------------------------------------------
# Node.js trusts only the CAs compiled into it. A Nextcloud with a private or self-signed certificate gets its
# CA into this container through update-ca-certificates (AppAPI and HaRP run it while the container is started
# once for the certificate installation, before the real start), that is into the system bundle, and Node reads
# that bundle only when NODE_EXTRA_CA_CERTS names it. The image sets the variable; the default here covers a
# start without it. A missing file would not stop Node (it prints a warning on every start and goes on), so it
# is dropped with one clear line instead.
: "${NODE_EXTRA_CA_CERTS:=/etc/ssl/certs/ca-certificates.crt}"
if [ -r "$NODE_EXTRA_CA_CERTS" ]; then
  export NODE_EXTRA_CA_CERTS
else
  log "CA bundle $NODE_EXTRA_CA_CERTS not found; Node.js trusts its built-in CAs only"
  unset NODE_EXTRA_CA_CERTS
fi

# --- HaRP's FRP tunnel ---------------------------------------------------------------------------------------
# A TOML basic string: backslashes and double quotes escaped.
toml_string() {
  printf '"%s"' "$(printf '%s' "$1" | sed -e 's/\\/\\\\/g' -e 's/"/\\"/g')"
}

whole_number() {
  case "$2" in
    '' | *[!0-9]*) die "$1 must be a whole number (got \"$2\")" ;;
  esac
}

# Mirrors HaRP's own exapps_dev/start.sh: the same server, token, TLS files and proxy. loginFailExit = false
# keeps frpc retrying when HaRP is not reachable yet (container start order, HaRP restarts); without it frpc
# exits for good after the first failed login and the app is never reachable.
write_frpc_config() {
  if [ -d "$FRP_CERTS_DIR" ]; then
    tls="transport.tls.enable = true
transport.tls.certFile = $(toml_string "$FRP_CERTS_DIR/client.crt")
transport.tls.keyFile = $(toml_string "$FRP_CERTS_DIR/client.key")
transport.tls.trustedCaFile = $(toml_string "$FRP_CERTS_DIR/ca.crt")
transport.tls.serverName = \"harp.nc\""
  else
    tls="transport.tls.enable = false"
  fi
  # The file holds the shared key: readable by root only.
  (
    umask 077
    cat > "$FRPC_CONFIG" <<CONF
serverAddr = $(toml_string "$HP_FRP_ADDRESS")
serverPort = ${HP_FRP_PORT}
loginFailExit = false

${tls}

metadatas.token = $(toml_string "$HP_SHARED_KEY")

[[proxies]]
name = $(toml_string "${APP_ID:-mcp_gateway}")
type = "tcp"
remotePort = ${APP_PORT}
[proxies.plugin]
type = "unix_domain_socket"
unixPath = $(toml_string "$SOCKET")
CONF
  )
}

# frpc is the only way into the app behind HaRP, so a dead frpc is a dead app. It is restarted here rather
# than left to the health check: Docker does not restart unhealthy containers, and AppAPI only looks at the
# health status while it deploys. Restarts wait FRPC_RESTART_DELAY seconds, doubling up to 30 s; a run of a
# minute or longer resets that. After FRPC_MAX_RESTARTS runs in a row that each ended within a minute, frpc is
# left down: restarting does not fix what makes it fail at once (its configuration, a broken binary). The pid
# file then keeps naming the dead process, and the health check (docker/healthcheck.sh) reports the container
# unhealthy from then on. A single crash is repaired within seconds, well inside the consecutive failures
# Docker needs before it calls the container unhealthy (HEALTHCHECK --retries in the Dockerfile).
supervise_frpc() {
  delay="$FRPC_RESTART_DELAY"
  quick_exits=0
  while :; do
    started=$(date +%s)
    frpc -c "$FRPC_CONFIG" &
    echo "$!" > "$FRPC_PIDFILE"
    status=0
    wait "$!" || status=$?
    if [ $(($(date +%s) - started)) -ge 60 ]; then
      quick_exits=0
      delay="$FRPC_RESTART_DELAY"
    else
      quick_exits=$((quick_exits + 1))
    fi
    if [ "$quick_exits" -gt "$FRPC_MAX_RESTARTS" ]; then
      log "frpc exited (status $status) $quick_exits times in a row within a minute; not restarting it"
      return 0
    fi
    log "frpc exited (status $status); restarting it in ${delay}s"
    sleep "$delay"
    delay=$((delay * 2))
    if [ "$delay" -gt 30 ]; then delay=30; fi
  done
}

rm -f "$FRPC_PIDFILE"
if [ -n "${HP_SHARED_KEY:-}" ]; then
  : "${HP_FRP_ADDRESS:?is not set; AppAPI sets it with HP_SHARED_KEY for HaRP daemons}"
  : "${HP_FRP_PORT:?is not set; AppAPI sets it with HP_SHARED_KEY for HaRP daemons}"
  : "${APP_PORT:?is not set; frpc needs it as the remote port HaRP connects to}"
  whole_number HP_FRP_PORT "$HP_FRP_PORT"
  whole_number APP_PORT "$APP_PORT"
  whole_number FRPC_RESTART_DELAY "$FRPC_RESTART_DELAY"
  whole_number FRPC_MAX_RESTARTS "$FRPC_MAX_RESTARTS"
  write_frpc_config
  mkdir -p "$(dirname "$FRPC_PIDFILE")"
  supervise_frpc &
fi

# --- The app -------------------------------------------------------------------------------------------------
# exec: the app becomes the container's main process and gets Docker's SIGTERM itself (it shuts down cleanly).
# setpriv keeps the environment, NODE_EXTRA_CA_CERTS included.
exec setpriv --reuid=node --regid=node --init-groups node /app/dist/src/main.js
