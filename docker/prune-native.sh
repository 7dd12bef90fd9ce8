#!/bin/sh
# Removes what compiling native addons leaves in a production node_modules ($1), keeping the compiled .node
# files and the JavaScript that loads them (used by the Dockerfile's build stage after `npm prune --omit=dev`).
#
# better-sqlite3 ships SQLite's C sources (deps/), its own C++ (src/) and, when it compiled here instead of
# downloading a prebuilt addon, node-gyp's object files, static library, makefiles and a test extension next
# to the addon. Its loader (the "bindings" package) needs only package.json, lib/ and
# build/Release/better_sqlite3.node.
set -eu

modules="${1:?usage: prune-native.sh <node_modules>}"
sqlite="$modules/better-sqlite3"
addon="$sqlite/build/Release/better_sqlite3.node"

[ -f "$addon" ] || { echo "prune-native: $addon is missing; better-sqlite3 did not build" >&2; exit 1; }

keep="$(mktemp -d)"
trap 'rm -rf "$keep"' EXIT
mv "$addon" "$keep/"
rm -rf "$sqlite/build" "$sqlite/deps" "$sqlite/src" "$sqlite/binding.gyp"
mkdir -p "$sqlite/build/Release"
mv "$keep/better_sqlite3.node" "$addon"

# node-gyp intermediates of any other addon compiled here (none today); the addons themselves stay.
for gyp in "$modules"/*/binding.gyp "$modules"/@*/*/binding.gyp; do
  [ -f "$gyp" ] || continue
  build="$(dirname "$gyp")/build"
  [ -d "$build" ] || continue
  rm -rf "$build/Release/obj" "$build/Release/obj.target" "$build/Release/.deps" "$build/deps" \
    "$build/Makefile" "$build/config.gypi"
  find "$build" -type f \( -name '*.o' -o -name '*.a' -o -name '*.mk' \) -exec rm -f {} +
done

# No object file or static library is left anywhere.
leftover="$(find "$modules" -type f \( -name '*.o' -o -name '*.a' \) | head -n 5)"
if [ -n "$leftover" ]; then
  printf 'prune-native: build files left:\n%s\n' "$leftover" >&2
  exit 1
fi
