#!/bin/sh
# Prints the bin directory of a supported Node.js LTS (22 or newer), installing Node 24 into .tools/node when
# the machine's own node is older. Node 20 reached its end of life in April 2026.
# The binary comes from the npm registry's node-linux-<arch> package (the official build, headers included, so
# better-sqlite3 compiles against the same Node that runs it); no other download site is needed.
set -eu
MIN_MAJOR=22
WANT=24
root="$(cd "$(dirname "$0")/.." && pwd)"
tools="$root/.tools/node"

major() { "$1" -p 'process.versions.node.split(".")[0]' 2>/dev/null || echo 0; }

if [ -x "$tools/bin/node" ] && [ "$(major "$tools/bin/node")" -ge "$MIN_MAJOR" ]; then
  echo "$tools/bin"; exit 0
fi
system_node="$(command -v node || true)"
if [ -n "$system_node" ] && [ "$(major "$system_node")" -ge "$MIN_MAJOR" ]; then
  dirname "$system_node"; exit 0
fi

case "$(uname -m)" in
  x86_64) arch=x64 ;;
  aarch64|arm64) arch=arm64 ;;
  *) echo "No Node.js >= $MIN_MAJOR here and no packaged build for $(uname -m); install Node.js $WANT yourself." >&2; exit 1 ;;
esac
echo "Installing Node.js $WANT (node-linux-$arch from the npm registry) into .tools/node" >&2
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
(cd "$work" && npm pack --silent "node-linux-$arch@$WANT" >/dev/null)
mkdir -p "$work/unpacked"
tar -xzf "$work"/node-linux-"$arch"-*.tgz -C "$work/unpacked"
rm -rf "$tools"
mkdir -p "$(dirname "$tools")"
mv "$work/unpacked/package" "$tools"
"$tools/bin/node" --version >&2
echo "$tools/bin"
