#!/usr/bin/env bash
# The Debian packages as a user gets them: built with CPack, checked by
# lintian (no errors) and systemd-analyze (units accepted), unpacked into a
# scratch root with dpkg-deb -x, and the installed binaries run from there:
# a collector, an agent streaming to it, the CLI seeing the host.
# Usage: package_test.sh BUILD_DIR
set -euo pipefail
BUILD=$(cd "$1" && pwd)
WORK=$(mktemp -d)
PIDS=()
cleanup() {
  for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null || true; done
  wait 2>/dev/null || true
  rm -rf "$WORK"
}
trap cleanup EXIT
fail() { echo "FAIL: $*" >&2; exit 1; }

VERSION=$(sed -n 's/^CMAKE_PROJECT_VERSION:STATIC=//p' "$BUILD/CMakeCache.txt")
(cd "$BUILD" && cpack -G DEB -B "$WORK/out" >"$WORK/cpack.log" 2>&1) || { cat "$WORK/cpack.log"; fail "cpack"; }
for p in rollguard rollguard-collector rollguard-agent; do
  [ -f "$WORK/out/${p}_${VERSION}_amd64.deb" ] || fail "no ${p}_${VERSION}_amd64.deb"
done
DEBS=("$WORK"/out/*.deb)

# lintian: errors fail the test (warnings are printed).
if command -v lintian >/dev/null; then
  lintian "${DEBS[@]}" >"$WORK/lintian.log" 2>&1 || true
  cat "$WORK/lintian.log"
  if grep -q '^E:' "$WORK/lintian.log"; then fail "lintian reports errors"; fi
else
  echo "lintian not installed: skipped (scripts/setup.sh installs it)"
fi

ROOT="$WORK/root"
mkdir -p "$ROOT"
for d in "${DEBS[@]}"; do dpkg-deb -x "$d" "$ROOT"; done
for f in usr/bin/rollguard usr/bin/rollguard-collector usr/bin/rollguard-agent \
  etc/rollguard/collector.yaml etc/rollguard/rules.yaml etc/rollguard/agent.yaml \
  lib/systemd/system/rollguard-collector.service lib/systemd/system/rollguard-agent.service \
  usr/lib/sysusers.d/rollguard.conf usr/lib/sysusers.d/rollguard-agent.conf \
  usr/share/man/man1/rollguard.1.gz usr/share/man/man8/rollguard-collector.8.gz \
  usr/share/man/man8/rollguard-agent.8.gz usr/share/bash-completion/completions/rollguard \
  usr/share/doc/rollguard-agent/copyright usr/share/doc/rollguard-collector/README.Debian; do
  [ -e "$ROOT/$f" ] || fail "the packages do not install /$f"
done
# Every file under /etc is a conffile (an admin's edits survive upgrades).
for d in "${DEBS[@]}"; do
  dpkg-deb -c "$d" | awk '$1 !~ /^d/ && $6 ~ /^\.\/etc\// {print substr($6, 2)}' | while read -r f; do
    dpkg-deb -I "$d" conffiles | grep -qx "$f" || fail "$f is not a conffile in $(basename "$d")"
  done
done
zcat "$ROOT/usr/share/man/man8/rollguard-agent.8.gz" | grep -q -- 'check\\-config' ||
  fail "the agent's man page lacks --check-config"

# The units, as systemd reads them (the scratch root needs the targets they
# name and /bin/kill, which the host has).
if command -v systemd-analyze >/dev/null; then
  mkdir -p "$ROOT/bin"
  cp /bin/kill "$ROOT/bin/kill"
  cp -n /lib/systemd/system/*.target "$ROOT/lib/systemd/system/" 2>/dev/null || true
  systemd-analyze verify --man=no --root="$ROOT" /lib/systemd/system/rollguard-collector.service \
    /lib/systemd/system/rollguard-agent.service || fail "systemd-analyze verify"
fi

# The installed programs, from the scratch root.
BIN="$ROOT/usr/bin"
[ "$("$BIN/rollguard" --version)" = "$VERSION" ] || fail "rollguard --version"
"$BIN/rollguard-collector" --config "$ROOT/etc/rollguard/collector.yaml" --check-config >"$WORK/cc.out" ||
  fail "the packaged collector.yaml does not pass --check-config"
grep -q "config OK" "$WORK/cc.out" || fail "collector --check-config"
"$BIN/rollguard-agent" --config "$ROOT/etc/rollguard/agent.yaml" --check-config >"$WORK/ac.out" ||
  fail "the packaged agent.yaml does not pass --check-config"

"$BIN/rollguard-collector" --listen 127.0.0.1:0 --port-file "$WORK/port" --data-dir "$WORK/data" \
  >"$WORK/collector.log" 2>&1 &
PIDS+=($!)
for _ in $(seq 100); do [ -s "$WORK/port" ] && break; sleep 0.1; done
[ -s "$WORK/port" ] || { cat "$WORK/collector.log"; fail "the installed collector did not start"; }
ADDR="127.0.0.1:$(cat "$WORK/port")"
"$BIN/rollguard-agent" --collector "$ADDR" --host-id pkg-host --interval 200ms \
  --statsd-listen off >"$WORK/agent.log" 2>&1 &
PIDS+=($!)
for _ in $(seq 100); do
  "$BIN/rollguard" --collector "$ADDR" -o json hosts 2>/dev/null | grep -q '"pkg-host"' && break
  sleep 0.1
done
"$BIN/rollguard" --collector "$ADDR" hosts | tee "$WORK/hosts.out"
grep -q "pkg-host" "$WORK/hosts.out" || { cat "$WORK/agent.log"; fail "the installed agent never reported"; }
"$BIN/rollguard" --collector "$ADDR" version | grep -q "collector $VERSION" || fail "rollguard version"
echo "package test: 3 packages built, lintian clean, units verified, installed binaries work"
