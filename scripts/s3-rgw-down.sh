#!/usr/bin/env bash
# Stop the test RGW started by scripts/s3-rgw-up.sh and remove its directory (data was in RAM anyway).
# Only the processes whose pid files live in RGW_DIR are signalled: never anything found by name.
set -uo pipefail
D=${RGW_DIR:-/tmp/rgw-test}
TIMEOUT_S=${RGW_TIMEOUT_S:-30}
pids=()
for n in client.rgw.a osd.0 mon.a; do
  f="$D/run/$n.pid"
  if [ -f "$f" ]; then
    p=$(cat "$f")
    if kill "$p" 2>/dev/null; then pids+=("$p"); fi
  fi
done
deadline=$((SECONDS + TIMEOUT_S))
for p in "${pids[@]}"; do
  while kill -0 "$p" 2>/dev/null; do
    if [ "$SECONDS" -ge "$deadline" ]; then
      echo "s3-rgw-down: pid $p still alive after ${TIMEOUT_S}s, sending SIGKILL" >&2
      kill -9 "$p" 2>/dev/null
      break
    fi
    sleep 0.25
  done
done
rm -rf "$D"
echo "rgw stopped ($D removed)"
