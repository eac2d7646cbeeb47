#!/usr/bin/env bash
# Builds drachtio-server (the SIP engine behind the drachtio adapter) from a directory of source
# snapshots into a cache outside the repository, and reuses the cached binary when its sources
# have not changed. Prints the binary's path on stdout.
#
#   scripts/build-drachtio.sh [SOURCES_DIR]     (default: ../shared/vendor/drachtio beside the repo)
#   DRACHTIO_CACHE=/path overrides the cache     (default: ${XDG_CACHE_HOME:-$HOME/.cache}/softswitch/drachtio)
#
# The tests find the binary in the same cache (test/helpers/drachtio-server.ts) or in $DRACHTIO_BIN.
set -euo pipefail
repo="$(cd "$(dirname "$0")/.." && pwd)"
src="$(cd "${1:-$repo/../shared/vendor/drachtio}" && pwd)"
cache="${DRACHTIO_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/softswitch/drachtio}"
[ -x "$src/build.sh" ] || [ -f "$src/build.sh" ] || { echo "no build.sh in $src: point the script at the drachtio sources directory" >&2; exit 2; }

# The cache key is the content of the snapshots and of their build script.
key="$(cd "$src" && sha256sum build.sh *.tar.xz | sha256sum | cut -c1-16)"
out="$cache/$key"
if [ -x "$out/drachtio" ]; then
  echo "$out/drachtio"
  exit 0
fi
mkdir -p "$out"
echo "building drachtio-server from $src into $out (about 3 minutes on 2 cores)" >&2
SUDO=""
if [ "$(id -u)" -ne 0 ] && command -v sudo >/dev/null 2>&1; then SUDO="sudo -E"; fi
$SUDO bash "$src/build.sh" "$out.tmp" >&2
mv "$out.tmp/drachtio" "$out/drachtio"
rmdir "$out.tmp" 2>/dev/null || true
ln -sfn "$out" "$cache/current"
echo "$out/drachtio"
