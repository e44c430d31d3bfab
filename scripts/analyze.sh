#!/usr/bin/env bash
# Static checks clang makes and GCC cannot: the thread-safety analysis holds
# every ABSL_GUARDED_BY / ABSL_EXCLUSIVE_LOCKS_REQUIRED to the code
# (-Wthread-safety), on every source of the build, with the build's own flags.
# Syntax only (no code generated), two compilers' worth of warnings: clang's
# -Wall -Wextra -Werror apply too. Usage: scripts/analyze.sh [build-dir]
set -euo pipefail
BUILD=${1:-build}
ROOT=$(cd "$(dirname "$0")/.." && pwd)
[ -f "$BUILD/compile_commands.json" ] || { echo "analyze: no $BUILD/compile_commands.json (build first)" >&2; exit 2; }
CLANG=$(command -v clang++ || true)
[ -n "$CLANG" ] || { echo "analyze: clang++ not found (scripts/setup.sh installs clang)" >&2; exit 2; }

# One line per source of ours: "DIRECTORY<TAB>COMMAND" with the compiler
# swapped for clang and the output flags dropped.
python3 - "$BUILD/compile_commands.json" "$ROOT" "$CLANG" >"$BUILD/analyze.commands" <<'PY'
import json, shlex, sys
entries, root, clang = json.load(open(sys.argv[1])), sys.argv[2], sys.argv[3]
for e in entries:
    f = e["file"]
    if not f.startswith(root + "/") or f.startswith(root + "/build") or "/gen/" in f:
        continue
    args = shlex.split(e["command"])
    out, skip = [clang], False
    for a in args[1:]:
        if skip: skip = False; continue
        if a in ("-o", "-c"): skip = a == "-o"; continue
        out.append(a)
    out += ["-fsyntax-only", "-Wthread-safety", "-Wno-unknown-warning-option"]
    print(e["directory"] + "\t" + shlex.join(out))
PY
n=$(wc -l <"$BUILD/analyze.commands")
echo "analyze: clang -Wthread-safety over $n sources"
log="$BUILD/analyze.log"; : >"$log"
# shellcheck disable=SC2016
if ! tr '\n' '\0' <"$BUILD/analyze.commands" | xargs -0 -P "$(nproc)" -n 1 \
    bash -c 'cd "${1%%	*}" && eval "${1#*	}"' _ >"$log" 2>&1; then
  grep -E "error:" "$log" | sort -u | head -50
  echo "analyze: FAILED ($(grep -c "error:" "$log") errors; full output in $log)"
  exit 1
fi
echo "analyze: $n sources, no findings"
