#!/usr/bin/env bash
# Installs every Debian and npm package shot needs. Idempotent: a no-op when all are present.
set -euo pipefail
cd "$(dirname "$0")/.."

packages=(
  # build
  cmake ninja-build ccache g++ clang clang-format pkg-config
  clang-16 libclang-rt-16-dev  # libFuzzer
  # libraries
  libboost1.81-dev libboost-json1.81-dev libboost-url1.81-dev
  libvips-dev libheif-dev librabbitmq-dev libhiredis-dev libsqlite3-dev
  libcurl4-openssl-dev libssl-dev libspdlog-dev libfmt-dev libcli11-dev
  libgtest-dev libgmock-dev libbenchmark-dev
  # the browser and the fonts pages expect
  chromium chromium-headless-shell fonts-liberation fonts-noto-core fonts-noto-cjk fonts-noto-color-emoji
  webext-ublock-origin-chromium  # block_ads: uBlock Origin's filter lists
  # test peers
  rabbitmq-server redis-server python3
  # benchmarks (bench/)
  wrk hyperfine
)

sudo=()
[ "$(id -u)" -eq 0 ] || sudo=(sudo)

missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
# Node may come from another packaging (nodesource) that bundles npm: only ask Debian when absent.
command -v npm >/dev/null || missing+=(nodejs npm)
if [ ${#missing[@]} -gt 0 ]; then
  echo "deps: installing ${missing[*]}"
  "${sudo[@]}" apt-get update -qq
  # Debian's service scripts try to start servers on install; tests start their own.
  echo exit 101 | "${sudo[@]}" tee /usr/sbin/policy-rc.d >/dev/null
  "${sudo[@]}" chmod +x /usr/sbin/policy-rc.d
  DEBIAN_FRONTEND=noninteractive "${sudo[@]}" apt-get install -y -qq --no-install-recommends "${missing[@]}"
  "${sudo[@]}" rm -f /usr/sbin/policy-rc.d
fi

# npm test peers, kept inside the repo (never a browser download: playwright-core only).
npm_packages=(s3rver@3.7.1 playwright-core)
if [ ! -f tools/node_modules/.shot-stamp ] || [ "$(cat tools/node_modules/.shot-stamp)" != "${npm_packages[*]}" ]; then
  mkdir -p tools
  (cd tools && npm install --no-audit --no-fund --silent --prefix . "${npm_packages[@]}")
  echo "${npm_packages[*]}" > tools/node_modules/.shot-stamp
fi
