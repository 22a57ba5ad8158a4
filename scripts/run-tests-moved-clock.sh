#!/usr/bin/env bash
# The date-bomb guard (#16): the whole suite again, with the process clock a year ahead (Debian's
# faketime). A test or a repository that mixes a fixed date with the wall clock fails here the day it
# is written, not on the day the calendar passes that date.
#
# S3 and Azure variants are skipped in this pass (their variables are unset): a request signed a year off
# is refused by the server, whose clock is not moved (Azurite takes skewed Shared Key requests, but not
# the SAS of a server-side copy that becomes valid only a year later). PostgreSQL's clock is not moved
# either, which is the point: every time Barge records comes from the caller's clock, never the database's.
set -euo pipefail
cd "$(dirname "$0")/.."
SHIFT=${BARGE_TEST_CLOCK_SHIFT:-+365d}
if ! command -v faketime >/dev/null 2>&1; then
  echo "# skipped: faketime is missing (apt-get install faketime): the moved-clock pass (${SHIFT}) did not run"
  exit 0
fi
unset BARGE_TEST_S3_URL BARGE_TEST_S3_ACCESS_KEY BARGE_TEST_S3_SECRET_KEY BARGE_TEST_AZURE_URL BARGE_TEST_AZURE_ACCOUNT BARGE_TEST_AZURE_KEY
echo "== the suite again with the clock moved ${SHIFT} (faketime; S3 and Azure variants skipped)"
exec faketime -f "$SHIFT" bash scripts/run-tests.sh "$@"
