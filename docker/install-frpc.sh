#!/bin/sh
# Downloads the FRP client of one pinned release and installs it as $1 (used by the Dockerfile's frpc stage).
#
# FRP_VERSION and the sha256 of each architecture's release archive come from the Dockerfile (ARG), TARGETARCH
# from BuildKit; without it (classic builder) the build machine's own architecture is used. An archive whose
# checksum does not match, an architecture without a pinned checksum, or a client that does not report
# FRP_VERSION fails the build.
set -eu

dest="${1:?usage: install-frpc.sh <destination>}"
: "${FRP_VERSION:?FRP_VERSION is not set}"

arch="${TARGETARCH:-}"
if [ -z "$arch" ]; then
  case "$(uname -m)" in
    x86_64 | amd64) arch=amd64 ;;
    aarch64 | arm64) arch=arm64 ;;
    *) arch="$(uname -m)" ;;
  esac
fi
case "$arch" in
  amd64) sha256="${FRP_SHA256_AMD64:-}" ;;
  arm64) sha256="${FRP_SHA256_ARM64:-}" ;;
  *) echo "install-frpc: no FRP archive pinned for architecture $arch" >&2; exit 1 ;;
esac
case "$sha256" in
  *[!0-9a-f]* | '') echo "install-frpc: no valid sha256 pinned for frp $FRP_VERSION on $arch" >&2; exit 1 ;;
esac
if [ "${#sha256}" -ne 64 ]; then
  echo "install-frpc: the sha256 pinned for frp $FRP_VERSION on $arch is not 64 hex digits" >&2
  exit 1
fi

name="frp_${FRP_VERSION}_linux_${arch}"
url="https://github.com/fatedier/frp/releases/download/v${FRP_VERSION}/${name}.tar.gz"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT

curl -fsSL --retry 3 --proto '=https' -o "$work/$name.tar.gz" "$url"
printf '%s  %s\n' "$sha256" "$work/$name.tar.gz" | sha256sum -c -
tar -xzf "$work/$name.tar.gz" -C "$work" "$name/frpc"
install -D -m 0755 "$work/$name/frpc" "$dest"

# The binary runs here and is the release it claims to be.
version="$("$dest" --version)"
if [ "$version" != "$FRP_VERSION" ]; then
  echo "install-frpc: $dest reports version \"$version\", expected $FRP_VERSION" >&2
  rm -f "$dest"
  exit 1
fi
