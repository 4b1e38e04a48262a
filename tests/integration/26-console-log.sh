#!/bin/bash
# The console log against a container that prints without end (issue 12,
# item 9): capped at boxes.conf's log_size, rotated to NAME.log.1, nothing of
# the supervisor's own lines lost after a rotation.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/runtime-lib.sh"

C=$T-log
echo "log_size = 64K" >"$BOX_ROOT/etc/boxes/boxes.conf"
rt_config "$C"
L=$BOX_ROOT/var/log/boxes/$C.log
cap=$((64 * 1024 + 4096)) # the cap, and a few supervisor lines past it

PHASE="config"
check_match "log_size is in box config show boxes" "^log_size += 64K$" "$(box config show boxes 2>&1 | grep log_size)"

PHASE="flood"
check "box start" box start "$C"
# 3 MB onto the console, 47 times the cap
check "a flood of the console ends" timeout 120 box attach "$C" -- sh -c 'yes 0123456789abcdef | head -c 3000000 >/dev/console'
check "the log exists" test -f "$L"
check "the log stays under the cap ($(stat -c %s "$L" 2>/dev/null) bytes)" test "$(stat -c %s "$L")" -le "$cap"
check "the previous part is NAME.log.1" test -f "$L.1"
check "... under the cap too ($(stat -c %s "$L.1" 2>/dev/null) bytes)" test "$(stat -c %s "$L.1")" -le "$cap"
check_match "the flood is in it" "0123456789abcdef" "$(tail -c 200 "$L.1")"
check "nothing else is left in the log folder" test "$(ls "$BOX_ROOT/var/log/boxes" | wc -l)" -eq 2
check "stop" box stop --kill "$C"
check_match "the supervisor's lines go to the new log" "$C" "$(grep -a "$C" "$L" | tail -1)"
t_done
