#!/usr/bin/env bash
# Check every systemd unit syncd ships or generates:
#   systemd-analyze verify                       must be clean
#   systemd-analyze security --offline=true      exposure must be <= MAX_EXPOSURE
# Units are generated with `syncd service install --unit-dir DIR --no-start` from a
# throwaway config; the shipped units are checked with this installation's syncd in
# ExecStart, since verify needs the program to exist.
# Usage: deploy/check-units.sh [SYNCD]    (default: syncd on PATH)
set -euo pipefail

SYNCD="$(command -v "${1:-syncd}")"
MAX_EXPOSURE="${MAX_EXPOSURE:-2.5}"
REPO="$(cd "$(dirname "$0")/.." && pwd)"
WORK="$(mktemp -d)"
trap 'rm -rf "$WORK"' EXIT
export XDG_RUNTIME_DIR="$WORK/runtime"  # the user-manager checks need one
mkdir -p "$XDG_RUNTIME_DIR" "$WORK/data" "$WORK/state"
chmod 0700 "$XDG_RUNTIME_DIR"

cat >"$WORK/web1.toml" <<EOF
[b2]
key_id = "0012345678900000000000001"
key_credential = "b2-key"
[state]
dir = "$WORK/state"
[[folder]]
path = "$WORK/data"
bucket = "my-bucket"
EOF

generate() {  # generate DIR [install options...]
    local dir="$1"
    shift
    "$SYNCD" service install --platform systemd --config "$WORK/web1.toml" \
        --unit-dir "$dir" --no-start "$@" >/dev/null 2>&1
}
generate "$WORK/system"
generate "$WORK/user" --user
generate "$WORK/template" --template
generate "$WORK/user-template" --user --template
mkdir -p "$WORK/shipped"
for unit in "$REPO"/systemd/*.service; do
    sed "s|^ExecStart=/usr/local/bin/syncd |ExecStart=$SYNCD |" "$unit" \
        >"$WORK/shipped/$(basename "$unit")"
done
# A template is checked as an instance, so its drop-in is read too.
for dir in "$WORK/template" "$WORK/user-template" "$WORK/shipped"; do
    if [ -f "$dir/syncd@.service" ]; then
        ln -s syncd@.service "$dir/syncd@web1.service"
    fi
done

failed=0
check() {  # check DIR UNIT [--user]
    local dir="$1" unit="$2" scope="${3:-}" out figure
    # verify reads drop-ins next to the unit: run it from the unit's directory.
    if ! out="$(cd "$dir" && systemd-analyze $scope verify "./$unit" 2>&1)" || [ -n "$out" ]; then
        echo "FAIL verify $(basename "$dir")/$unit:"
        echo "$out"
        failed=1
    fi
    out="$(cd "$dir" && systemd-analyze $scope security --offline=true --no-pager "./$unit" 2>&1)" || true
    figure="$(sed -n 's/.*Overall exposure level for .*: \([0-9.]*\).*/\1/p' <<<"$out")"
    if [ -z "$figure" ]; then
        echo "FAIL security $(basename "$dir")/$unit: no exposure figure"
        echo "$out"
        failed=1
    elif awk -v f="$figure" -v m="$MAX_EXPOSURE" 'BEGIN { exit !(f > m) }'; then
        echo "FAIL exposure $figure > $MAX_EXPOSURE: $(basename "$dir")/$unit"
        failed=1
    else
        echo "ok   exposure $figure: $(basename "$dir")/$unit"
    fi
}
check "$WORK/system" syncd.service
check "$WORK/user" syncd.service --user
check "$WORK/template" syncd@web1.service
check "$WORK/user-template" syncd@web1.service --user
check "$WORK/shipped" syncd.service
check "$WORK/shipped" syncd@web1.service
exit "$failed"
