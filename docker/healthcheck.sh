#!/bin/sh
# Docker HEALTHCHECK. AppAPI waits for "healthy" before it registers the app and gives up on "unhealthy".
#
# Behind HaRP (HP_SHARED_KEY set) the app is reachable only through frpc, so the check fails when frpc is not
# running, besides when the app's /heartbeat (no authentication) fails. The entrypoint restarts a frpc that
# exits and stops doing so only when it keeps failing at once; see supervise_frpc in docker/entrypoint.sh.
# FRPC_PIDFILE is overridable for the tests only.
set -u

# Is the process in the pid file a live frpc? kill -0 alone would also accept a zombie and a process that got
# the pid after frpc was gone.
frpc_running() {
  pid=$(cat "${FRPC_PIDFILE:-/run/frpc.pid}" 2>/dev/null) || return 1
  case "$pid" in
    '' | *[!0-9]*) return 1 ;;
  esac
  kill -0 "$pid" 2>/dev/null || return 1
  # Without procfs kill -0 is all there is to know.
  [ -r "/proc/$pid/stat" ] || return 0
  stat=$(cat "/proc/$pid/stat" 2>/dev/null) || return 1
  # "pid (comm) state ...": the name may contain anything, the state follows the last ") ".
  comm=${stat#*\(}
  comm=${comm%\)*}
  state=${stat##*") "}
  case "$state" in
    Z* | X*) return 1 ;;
  esac
  [ "$comm" = frpc ]
}

if [ -n "${HP_SHARED_KEY:-}" ]; then
  if ! frpc_running; then
    echo "frpc is not running: the HaRP tunnel to this app is down"
    exit 1
  fi
  exec curl -fsS --max-time 2 --unix-socket "${HP_EXAPP_SOCK:-/tmp/exapp.sock}" http://localhost/heartbeat
fi

# The app listens on APP_HOST; a wildcard address is reached over loopback.
host="${APP_HOST:-127.0.0.1}"
case "$host" in
  '' | 0.0.0.0 | :: | '[::]') host=127.0.0.1 ;;
  \[*) ;;
  *:*) host="[$host]" ;;
esac
exec curl -fsS --globoff --max-time 2 "http://$host:${APP_PORT:-23000}/heartbeat"
