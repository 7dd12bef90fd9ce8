#!/bin/sh
# AppAPI waits for "healthy" before it registers the app; the heartbeat needs no authentication.
if [ -n "${HP_SHARED_KEY:-}" ]; then
  exec curl -fsS --unix-socket "${HP_EXAPP_SOCK:-/tmp/exapp.sock}" http://localhost/heartbeat
fi
exec curl -fsS "http://127.0.0.1:${APP_PORT:-23000}/heartbeat"
