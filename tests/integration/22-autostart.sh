#!/bin/bash
# box autostart start|stop|list: the containers with autostart = yes, in
# start_order (stop in reverse), the others left alone, a broken one reported
# without stopping the rest; list names the command holding a stopped one.
# box-test: also unprivileged
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/runtime-lib.sh"

PHASE="setup"
rt_config "$T-b" "autostart = yes
start_order = 20"
rt_config "$T-a" "autostart = yes
start_order = 10"
rt_config "$T-c" "autostart = yes
start_order = 10"
rt_config "$T-off" ""

PHASE="list"
check_eq "list: autostart ones in start order (order, then name)" "$T-a $T-c $T-b" \
	"$(box autostart list | awk '{print $2}' | tr '\n' ' ' | sed 's/ $//')"
check_match "list shows order, state and no lock" "^10 +$T-a +STOPPED +-$" "$(box autostart list)"
# a stopped one a command holds (an export, stopped by the fault shim at its
# final link): listed with its LOCK, as box ls shows it
W=$BOX_ROOT/work
mkdir -p "$W"
. "$(dirname "$0")/fault-lib.sh"
fault_shim_build
if at linkat "held.tar" box export "$T-a" -o "$W/held.tar" --compress none; then
	check_match "list: STOPPED, LOCK export, while an export holds it" "^10 +$T-a +STOPPED +export$" \
		"$(box autostart list 2>&1)"
	kill9
	check_match "list after a kill -9 of the holder: no LOCK" "^10 +$T-a +STOPPED +-$" "$(box autostart list 2>&1)"
else
	fail "the export stopped at its final link" "$(cat "$OUT")"
fi
rm -f "$W"/held.tar*

PHASE="start"
out=$(box autostart start 2>&1); rc=$?
check_eq "autostart start exits 0" 0 "$rc"
check_eq "it started them in start order" "$T-a: started $T-c: started $T-b: started" \
	"$(echo "$out" | tr '\n' ' ' | sed 's/ $//')"
for c in a b c; do
	check_match "$T-$c runs" "^$T-$c +RUNNING" "$(box ls)"
done
check_match "the container without autostart was left alone" "^$T-off +STOPPED" "$(box ls)"
out=$(box autostart start 2>&1); rc=$?
check_eq "a second autostart start has nothing to do (exit 0, no output)" "0:" "$rc:$out"

PHASE="stop"
box start "$T-off" >/dev/null 2>&1
out=$(box autostart stop 2>&1); rc=$?
check_eq "autostart stop exits 0" 0 "$rc"
check_eq "it stopped them in the reverse order" "$T-b: stopped $T-c: stopped $T-a: stopped" \
	"$(echo "$out" | tr '\n' ' ' | sed 's/ $//')"
check_match "the one without autostart still runs" "^$T-off +RUNNING" "$(box ls)"
check "stop $T-off" box stop --kill "$T-off"

PHASE="a broken one"
echo "autostart = yes" >"$BOX_ROOT/etc/boxes/$T-bad.conf"
echo "init = /no/such/init" >>"$BOX_ROOT/etc/boxes/$T-bad.conf"
echo "template = $(t_template busybox)" >>"$BOX_ROOT/etc/boxes/$T-bad.conf"
out=$(box autostart start 2>&1); rc=$?
check_eq "one failing container: exit 1" 1 "$rc"
check_match "... named in the error" "$T-bad" "$out"
check_match "... and the others started all the same" "$T-b: started" "$out"
out=$(box autostart frob 2>&1); check_eq "a bad word: exit 2" 2 $?
box autostart stop >/dev/null 2>&1
check_eq "nothing runs after autostart stop" "" "$(box ls | awk 'NR > 1 && $2 != "STOPPED"')"

t_done
