#!/usr/bin/env bash
# Installs the Debian 12 packages rollguard builds and tests with.
# Idempotent: when every package is already present it does nothing (no apt-get update).
# --bench also installs what `make bench` compares against.
set -euo pipefail

PACKAGES=(
  build-essential cmake ninja-build pkg-config
  protobuf-compiler libprotobuf-dev
  libgrpc++-dev protobuf-compiler-grpc
  libabsl-dev
  librocksdb-dev
  libyaml-cpp-dev          # agent and collector config files
  libcli11-dev             # command-line parsing for all three programs
  libspdlog-dev            # logging
  libcurl4-openssl-dev     # HTTP probes, webhooks, SMTP
  libcpp-httplib-dev       # small HTTP endpoints and test fakes
  libssl-dev               # certificates: rollguard pki, TLS file checks, token hashes
  nlohmann-json3-dev       # JSON that keeps key order and exact integers (CLI -o json)
  libgtest-dev libgmock-dev googletest
  libbenchmark-dev
  clang                    # make analyze: the thread-safety analysis of every lock annotation
  python3                  # the demo bot and test fakes
  curl                     # tests and the demo switch the fake MCP server
  prometheus-alertmanager  # the end-to-end test that alerts reach a real Alertmanager
  help2man                 # man pages from --help (make package)
  lintian                  # the package test: the .deb files have no lintian errors
  systemd                  # the package test: systemd-analyze verify accepts the units
  prometheus               # the /metrics test: promtool check metrics, a real scrape and query;
                           # and a real remote-write receiver
  victoria-metrics         # remote write: the end-to-end test sends to a real VictoriaMetrics
  libsnappy-dev            # remote write: request bodies are snappy-compressed (the protocol)
  libtomlplusplus-dev      # set_flags in TOML files: the parser tells where a value starts
  zlib1g-dev               # the agent spool's record checksums (CRC-32)
  libjs-chart.js           # the web console's charts, compiled into the collector (no CDN)
  chromium                 # the console's browser test: Debian's chromium, headless
  etcd-server              # HA: the collectors' leader election; the HA tests run a real etcd
)
# The browser test drives chromium with puppeteer-core from npm
# (tests/browser/package-lock.json); Node.js itself from Debian if absent.
if ! command -v npm >/dev/null 2>&1; then
  PACKAGES+=(nodejs npm)
fi

if [ "${1:-}" = "--bench" ]; then
  PACKAGES+=(prometheus-node-exporter)  # the agent's memory side by side with node_exporter's
  PACKAGES+=(jq)  # fleet rollout bench: queued -> RUNNING percentiles from -o json
fi

missing=()
for p in "${PACKAGES[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
    missing+=("$p")
  fi
done

# npm packages for the browser test, into tests/browser/node_modules.
install_browser_test_tools() {
  local dir
  dir="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)/tests/browser"
  if [ ! -f "$dir/node_modules/puppeteer-core/package.json" ]; then
    echo "setup: installing puppeteer-core (npm ci in tests/browser)"
    (cd "$dir" && npm ci --no-audit --no-fund --loglevel=error)
  fi
}

if [ ${#missing[@]} -eq 0 ]; then
  install_browser_test_tools
  exit 0
fi

echo "setup: installing missing packages: ${missing[*]}"
SUDO=""
if [ "$(id -u)" -ne 0 ]; then
  if command -v sudo >/dev/null 2>&1; then SUDO="sudo"; else
    echo "setup: need root (or sudo) to install: ${missing[*]}" >&2
    exit 1
  fi
fi
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq
$SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}"
install_browser_test_tools
echo "setup: done"
