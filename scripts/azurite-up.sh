#!/usr/bin/env bash
# Azurite (Microsoft's Azure Storage emulator, blob service only) for the azure driver's integration
# tests (src/storage/azure/*.test.ts, test/engine-azure.test.ts) on 127.0.0.1:${AZURITE_PORT:-10000}.
# Account devstoreaccount1 with the well-known development key from Microsoft's Azurite docs.
#
# Why from node_modules (the `azurite` dev dependency, pinned): CI has no Docker, and the npm package
# is the emulator itself; run `npm ci` first. --disableTelemetry: Azurite reports usage to Microsoft by
# default (and its exporter then keeps it from exiting on SIGTERM for ~30 s).
#
# Reuses an Azurite started by this script (same AZURITE_DIR) that still answers; otherwise stops its
# leftovers and starts a fresh one (data in AZURITE_DIR/data, removed by azurite-down.sh).
# Exit codes: 0 ready; 2 azurite missing (npm ci not run); 3 port taken by something else; 1 start failed.
#
# Environment: AZURITE_DIR (/tmp/azurite-test), AZURITE_PORT (10000), AZURITE_TIMEOUT_S (30).
# Prints the BARGE_TEST_AZURE_* variables to export on success.
set -euo pipefail

HERE="$(cd "$(dirname "$0")" && pwd)"
ROOT="$(cd "$HERE/.." && pwd)"
D=${AZURITE_DIR:-/tmp/azurite-test}
PORT=${AZURITE_PORT:-10000}
TIMEOUT_S=${AZURITE_TIMEOUT_S:-30}
ACCOUNT=devstoreaccount1
KEY='Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw=='
URL="http://127.0.0.1:$PORT/$ACCOUNT"
BIN="$ROOT/node_modules/.bin/azurite-blob"

fail() {
  echo "azurite-up: $1" >&2
  if [ -f "$D/azurite.log" ]; then
    echo "---- last lines of $D/azurite.log" >&2
    tail -n 15 "$D/azurite.log" >&2 || true
  fi
  exit "${2:-1}"
}

[ -x "$BIN" ] || fail "$BIN not found: run npm ci first (azurite is a dev dependency)" 2
command -v curl >/dev/null 2>&1 || fail "curl not found" 2

# Any HTTP answer from the blob endpoint (an unsigned request gets 403/400): the service is up.
answering() {
  local code
  code=$(curl -s -o /dev/null -w '%{http_code}' --max-time 3 "$URL?comp=list" 2>/dev/null) || return 1
  [ "$code" != "000" ]
}
pid_alive() {
  [ -f "$D/azurite.pid" ] && kill -0 "$(cat "$D/azurite.pid")" 2>/dev/null
}

if pid_alive && answering; then
  echo "azurite already running on $URL (reused; $D)"
else
  bash "$HERE/azurite-down.sh" >/dev/null 2>&1 || true
  if answering || (command -v ss >/dev/null && ss -ltn "sport = :$PORT" | grep -q LISTEN); then
    fail "port $PORT is already in use by another process (set AZURITE_PORT)" 3
  fi
  mkdir -p "$D/data"
  # setsid: its own session, so the CI shell's exit or a Ctrl-C in a test run does not take it down.
  setsid "$BIN" --silent --location "$D/data" --blobHost 127.0.0.1 --blobPort "$PORT" --skipApiVersionCheck --disableTelemetry \
    >"$D/azurite.log" 2>&1 </dev/null &
  echo $! >"$D/azurite.pid"
  deadline=$((SECONDS + TIMEOUT_S))
  until answering; do
    pid_alive || fail "azurite exited during start"
    [ "$SECONDS" -lt "$deadline" ] || fail "timed out after ${TIMEOUT_S}s waiting for azurite on $URL"
    sleep 0.25
  done
  echo "azurite ready on $URL ($D)"
fi
echo "export BARGE_TEST_AZURE_URL=$URL"
echo "export BARGE_TEST_AZURE_ACCOUNT=$ACCOUNT"
echo "export BARGE_TEST_AZURE_KEY=$KEY"
