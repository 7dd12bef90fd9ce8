#!/bin/sh
# Starts HaRP's FRP tunnel when AppAPI deployed us behind HaRP, then the app as an unprivileged user.
set -eu

SOCKET="${HP_EXAPP_SOCK:-/tmp/exapp.sock}"
STORAGE="${APP_PERSISTENT_STORAGE:-/nc_app_mcp_gateway_data}"
mkdir -p "$STORAGE"
chown -R node:node "$STORAGE"

if [ -n "${HP_SHARED_KEY:-}" ]; then
  if [ -d /certs/frp ]; then
    TLS="transport.tls.enable = true
transport.tls.certFile = \"/certs/frp/client.crt\"
transport.tls.keyFile = \"/certs/frp/client.key\"
transport.tls.trustedCaFile = \"/certs/frp/ca.crt\"
transport.tls.serverName = \"harp.nc\""
  else
    TLS="transport.tls.enable = false"
  fi
  umask 077
  cat > /frpc.toml <<CONF
serverAddr = "${HP_FRP_ADDRESS}"
serverPort = ${HP_FRP_PORT}
${TLS}
metadatas.token = "${HP_SHARED_KEY}"

[[proxies]]
name = "${APP_ID:-mcp_gateway}"
type = "tcp"
remotePort = ${APP_PORT}
[proxies.plugin]
type = "unix_domain_socket"
unixPath = "${SOCKET}"
CONF
  frpc -c /frpc.toml &
fi

exec setpriv --reuid=node --regid=node --init-groups node /app/dist/src/main.js
