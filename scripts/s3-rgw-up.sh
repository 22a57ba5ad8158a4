#!/usr/bin/env bash
# Single-node Ceph RGW for the S3 driver's integration tests (src/storage/s3/*.test.ts):
# 1 mon + 1 memstore OSD + radosgw on 127.0.0.1:${RGW_PORT:-7480}, S3 user AKTEST/SKTEST, extra storage
# classes GLACIER and STANDARD_IA, Object Lock enforced. Data lives in RAM: nothing persists.
#
# Why a script of our own (not a container): CI has no Docker and no network beyond Debian packages;
# Ceph from Debian 12 (`apt-get install -y --no-install-recommends ceph-mon ceph-osd radosgw`) is the only
# real S3 server available (see shared notes, stack §6/§A).
#
# Idempotent-ish: if an RGW started by this script (same RGW_DIR) is already answering with the test
# user's credentials, it is reused; otherwise leftovers are stopped and a fresh cluster is created.
# Exit codes: 0 ready; 2 packages missing; 3 port taken by something else; 1 start failed (log tail shown).
#
# Environment: RGW_DIR (/tmp/rgw-test), RGW_PORT (7480), RGW_MON_PORT (6789), RGW_ACCESS_KEY (AKTEST),
# RGW_SECRET_KEY (SKTEST), RGW_MEM_BYTES (4 GiB memstore), RGW_TIMEOUT_S (90: readiness deadline per wait).
# Prints the BARGE_TEST_S3_* variables to export on success.
set -euo pipefail

D=${RGW_DIR:-/tmp/rgw-test}
PORT=${RGW_PORT:-7480}
MONPORT=${RGW_MON_PORT:-6789}
AK=${RGW_ACCESS_KEY:-AKTEST}
SK=${RGW_SECRET_KEY:-SKTEST}
TIMEOUT_S=${RGW_TIMEOUT_S:-90}
URL="http://127.0.0.1:$PORT"
HERE="$(cd "$(dirname "$0")" && pwd)"

fail() {
  echo "s3-rgw-up: $1" >&2
  for f in "$D"/log/*.log; do
    [ -f "$f" ] || continue
    echo "---- last lines of $f" >&2
    tail -n 15 "$f" >&2 || true
  done
  exit "${2:-1}"
}

for bin in ceph-mon ceph-osd radosgw radosgw-admin ceph ceph-authtool monmaptool curl; do
  command -v "$bin" >/dev/null 2>&1 || fail "$bin not found; install: apt-get install -y --no-install-recommends ceph-mon ceph-osd radosgw" 2
done

# A signed ListBuckets with the test user's keys: proves the gateway answers AND the user exists.
# (curl 7.88 does not send x-amz-content-sha256 itself, which RGW requires for SigV4.)
s3_ok() {
  curl -sf -o /dev/null --max-time 5 -H "x-amz-content-sha256: UNSIGNED-PAYLOAD" \
    --aws-sigv4 "aws:amz:us-east-1:s3" --user "$AK:$SK" "$URL/"
}
anonymous_ok() {
  curl -sf -o /dev/null --max-time 5 "$URL/"
}
pid_alive() {
  [ -f "$D/run/$1.pid" ] && kill -0 "$(cat "$D/run/$1.pid")" 2>/dev/null
}
# wait_for <what> <command...>: poll until the command succeeds or RGW_TIMEOUT_S passes.
wait_for() {
  local what=$1; shift
  local deadline=$((SECONDS + TIMEOUT_S))
  until "$@"; do
    [ "$SECONDS" -lt "$deadline" ] || fail "timed out after ${TIMEOUT_S}s waiting for $what"
    sleep 0.5
  done
}

if pid_alive client.rgw.a && pid_alive osd.0 && pid_alive mon.a && s3_ok; then
  echo "rgw already running on $URL (reused; $D)"
else
  bash "$HERE/s3-rgw-down.sh" >/dev/null 2>&1 || true
  if anonymous_ok || (command -v ss >/dev/null && ss -ltn "sport = :$PORT" | grep -q LISTEN); then
    fail "port $PORT is already in use by another process (set RGW_PORT)" 3
  fi
  mkdir -p "$D"/{run,log,mon,osd/ceph-0,rgw}
  FSID=$(cat /proc/sys/kernel/random/uuid)
  cat > "$D/ceph.conf" <<EOF
[global]
fsid = $FSID
mon host = v1:127.0.0.1:$MONPORT
mon initial members = a
public addr = 127.0.0.1
ms bind msgr2 = false
auth cluster required = none
auth service required = none
auth client required = none
osd pool default size = 1
osd pool default min size = 1
osd pool default pg num = 8
osd pool default pgp num = 8
mon allow pool size one = true
mon max pg per osd = 1000
mon allow pool delete = true
mon warn on pool no redundancy = false
auth allow insecure global id reclaim = true
osd crush chooseleaf type = 0
osd objectstore = memstore
memstore device bytes = ${RGW_MEM_BYTES:-4294967296}
run dir = $D/run
log file = $D/log/\$name.log
admin socket = $D/run/\$name.asok
pid file = $D/run/\$name.pid
mon data = $D/mon/\$cluster-\$id
osd data = $D/osd/\$cluster-\$id
keyring = $D/keyring
[client.rgw.a]
rgw frontends = beast endpoint=127.0.0.1:$PORT
rgw data = $D/rgw
EOF
  C=(-c "$D/ceph.conf")
  ceph-authtool --create-keyring "$D/keyring" --gen-key -n mon. --cap mon 'allow *' >/dev/null || fail "ceph-authtool failed"
  monmaptool --create --addv a "v1:127.0.0.1:$MONPORT" --fsid "$FSID" "$D/monmap" >/dev/null || fail "monmaptool failed"
  ceph-mon "${C[@]}" --mkfs -i a --monmap "$D/monmap" >>"$D/log/setup.log" 2>&1 || fail "ceph-mon --mkfs failed"
  ceph-mon "${C[@]}" -i a >>"$D/log/setup.log" 2>&1 || fail "ceph-mon did not start"
  wait_for "the monitor" ceph "${C[@]}" --connect-timeout 5 mon stat >/dev/null 2>&1
  ceph "${C[@]}" osd create >/dev/null 2>>"$D/log/setup.log" || fail "ceph osd create failed"
  ceph-osd "${C[@]}" -i 0 --mkfs >>"$D/log/setup.log" 2>&1 || fail "ceph-osd --mkfs failed"
  ceph-osd "${C[@]}" -i 0 >>"$D/log/setup.log" 2>&1 || fail "ceph-osd did not start"
  # Retried: right after the OSD boots, the monitor can refuse the command once (seen in session 7:
  # "ceph osd crush add failed" on a first start, fine on the next).
  crush_ok=0
  for _ in 1 2 3 4 5; do
    if ceph "${C[@]}" osd crush add osd.0 1.0 host=localhost root=default >/dev/null 2>>"$D/log/setup.log"; then crush_ok=1; break; fi
    sleep 1
  done
  [ "$crush_ok" = 1 ] || fail "ceph osd crush add failed"
  radosgw "${C[@]}" -n client.rgw.a >>"$D/log/setup.log" 2>&1 || fail "radosgw did not start"
  wait_for "radosgw on $URL" anonymous_ok
  radosgw-admin "${C[@]}" user create --uid=test --display-name=test --access-key="$AK" --secret="$SK" >/dev/null 2>>"$D/log/setup.log" \
    || fail "radosgw-admin user create failed"
  for sc in GLACIER STANDARD_IA; do
    radosgw-admin "${C[@]}" zonegroup placement add --rgw-zonegroup default --placement-id default-placement --storage-class "$sc" >/dev/null 2>>"$D/log/setup.log" \
      || fail "adding storage class $sc to the zonegroup failed"
    radosgw-admin "${C[@]}" zone placement add --rgw-zone default --placement-id default-placement --storage-class "$sc" \
      --data-pool "default.rgw.${sc,,}.data" >/dev/null 2>>"$D/log/setup.log" || fail "adding storage class $sc to the zone failed"
  done
  # Restart the gateway so the storage classes take effect; wait for the old process to be gone first.
  OLD=$(cat "$D/run/client.rgw.a.pid")
  kill "$OLD"
  wait_for "the first radosgw (pid $OLD) to exit" bash -c "! kill -0 $OLD 2>/dev/null"
  radosgw "${C[@]}" -n client.rgw.a >>"$D/log/setup.log" 2>&1 || fail "radosgw did not restart"
  wait_for "radosgw on $URL after the restart" s3_ok
  echo "rgw ready on $URL ($D)"
fi
echo "export BARGE_TEST_S3_URL=$URL"
echo "export BARGE_TEST_S3_ACCESS_KEY=$AK"
echo "export BARGE_TEST_S3_SECRET_KEY=$SK"
