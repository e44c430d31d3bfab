#!/usr/bin/env bash
# A stand-in for systemctl where no systemd runs (this sandbox, CI): manages
# one "unit" the way systemd would for the lines a bot's unit needs --
#   EnvironmentFile=-$FAKE_UNIT_ENV_FILE
#   ExecStart=$FAKE_UNIT_EXEC $ROLLGUARD_ARGS
# -- for `start`, `stop` and `show --property=MainPID --value`. Every call is
# appended to $FAKE_SYSTEMD_DIR/calls, so a test sees what the agent asked.
set -euo pipefail
dir=${FAKE_SYSTEMD_DIR:?}
unit=${*: -1}
cmd=""  # the first word that is not an option (--no-ask-password, --value...)
for a in "$@"; do
  case "$a" in --*) ;; *) [ -z "$cmd" ] && cmd=$a ;; esac
done
pidfile="$dir/$unit.pid"
echo "$*" >>"$dir/calls"
# Alive and not a zombie (an orphan may wait a while for its reaper).
running() {
  [ -f "$pidfile" ] || return 1
  local state
  state=$(sed 's/.*) //' "/proc/$(cat "$pidfile")/stat" 2>/dev/null | cut -d' ' -f1)
  [ -n "$state" ] && [ "$state" != Z ] && [ "$state" != X ]
}
case "$cmd" in
  show)
    if running; then cat "$pidfile"; else echo 0; fi ;;
  start)
    running && exit 0
    (
      set -a
      # shellcheck disable=SC1090
      [ -f "${FAKE_UNIT_ENV_FILE:-}" ] && . "$FAKE_UNIT_ENV_FILE"
      set +a
      # $ROLLGUARD_ARGS unquoted: split at whitespace, as systemd does.
      # shellcheck disable=SC2086
      exec setsid $FAKE_UNIT_EXEC ${ROLLGUARD_ARGS:-} </dev/null >>"$dir/unit.out" 2>&1
    ) &
    echo $! >"$pidfile" ;;
  stop)
    if running; then
      pid=$(cat "$pidfile")
      kill "$pid"
      for _ in $(seq 100); do running || break; sleep 0.05; done
    fi
    rm -f "$pidfile" ;;
  *)
    echo "fake systemctl: unsupported: $*" >&2
    exit 1 ;;
esac
