#!/usr/bin/env bash
# Stop the Azurite started by scripts/azurite-up.sh and remove its directory (its data included).
# Only the process whose pid file lives in AZURITE_DIR is signalled: never anything found by name.
set -uo pipefail
D=${AZURITE_DIR:-/tmp/azurite-test}
TIMEOUT_S=${AZURITE_TIMEOUT_S:-30}
f="$D/azurite.pid"
if [ -f "$f" ]; then
  p=$(cat "$f")
  if kill "$p" 2>/dev/null; then
    deadline=$((SECONDS + TIMEOUT_S))
    while kill -0 "$p" 2>/dev/null; do
      if [ "$SECONDS" -ge "$deadline" ]; then
        echo "azurite-down: pid $p still alive after ${TIMEOUT_S}s, sending SIGKILL" >&2
        kill -9 "$p" 2>/dev/null
        break
      fi
      sleep 0.25
    done
  fi
fi
rm -rf "$D"
echo "azurite stopped ($D removed)"
