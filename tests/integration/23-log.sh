#!/bin/bash
# box log: the console log without knowing where it lives; -n, --since, and
# -f across a restart of the container; the supervisor's warnings said
# before it opened the log, there too (and told a start that fails).
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/runtime-lib.sh"

N=$T-log
rt_config "$N"
PHASE="no log yet"
out=$(box log "$N" 2>&1); rc=$?
check_eq "box log of a container never started exits 1" 1 "$rc"
check_match "... saying so" "has no log yet" "$out"

PHASE="the log"
check "start" box start "$N"
box attach "$N" -- sh -c 'echo first-line >/dev/console; echo second-line >/dev/console'
rt_wait_for 5 sh -c "box log $N | grep -q second-line"
out=$(box log "$N")
check_match "box log shows what the console showed" "first-line" "$out"
check_match "... and the supervisor's dated lines" "^[0-9]{4}-[0-9]{2}-[0-9]{2} [0-9:]{8} " "$out"
check_eq "-n 1: the last line only" "$(box log "$N" | tail -n 1)" "$(box log "$N" -n 1)"
check_eq "-n 3: three lines" 3 "$(box log "$N" -n 3 | awk "END {print NR}")"
check_eq "-n 0: nothing" "" "$(box log "$N" -n 0)"
check_match "--since -1h: the lines of the last hour" "second-line" "$(box log "$N" --since -1h)"
check_eq "--since a time to come: nothing" "" "$(box log "$N" --since '2099-01-01 00:00')"
out=$(box log "$N" --since yesterday-ish 2>&1); rc=$?
check_eq "a bad --since exits 2" 2 "$rc"
check_match "... saying what a time is" "not a time" "$out"

PHASE="follow across a restart"
F=$BOX_ROOT/follow.out
box log -f "$N" -n 0 >"$F" 2>&1 &
fpid=$!
box attach "$N" -- sh -c 'echo while-following >/dev/console'
rt_wait_for 5 grep -q while-following "$F"
check "-f shows a line written after it started" grep -q while-following "$F"
check "restart the container" box restart "$N" --kill
box attach "$N" -- sh -c 'echo after-restart >/dev/console'
rt_wait_for 5 grep -q after-restart "$F"
check "-f goes on across the restart" grep -q after-restart "$F"
kill "$fpid" 2>/dev/null
wait "$fpid" 2>/dev/null
check_eq "-f did not print the old lines again" 1 "$(grep -c while-following "$F")"
box stop --kill "$N" >/dev/null

PHASE="a warning before the log is open"
# the supervisor opens the log while init's child finishes, after the
# clone; what it says before (the cgroup limits are set before the clone)
# must reach the log all the same. The shim makes this host one without
# an io weight knob (no BFQ), whatever it has: io_weight = 50 is then a
# warning of the limits' setup.
HIDE=$BOX_ROOT/hide-shim.so
check "the hiding shim builds" cc -shared -fPIC -O2 -o "$HIDE" "$TOP/tests/integration/hide-shim.c" -ldl
warned="warning: io_weight: the kernel has no .*io_weight = 50 is not applied"
Wn=$T-warn
rt_config "$Wn" 'io_weight = 50'
out=$(LD_PRELOAD=$HIDE BOX_HIDE=weight box start "$Wn" 2>&1)
check_eq "start (no io weight knob)" 0 "$?"
check_match "box log has the warning, dated" "^[0-9]{4}-[0-9-]+ [0-9:]{8} box: $warned" "$(box log "$Wn" 2>&1)"
check_match "... ahead of the start's line" "$warned.*started, init" "$(box log "$Wn" 2>&1 | tr '\n' ' ')"
box stop --kill "$Wn" >/dev/null
# a start that fails: the user hears the warnings too, with the error
Wf=$T-warnfail
rt_config "$Wf" 'io_weight = 50
init = /sbin/nonexistent-init'
out=$(LD_PRELOAD=$HIDE BOX_HIDE=weight box start "$Wf" 2>&1)
check_eq "a start with a missing init fails" 1 "$?"
check_match "... printing the warning said before the log was open" "^box: $warned" "$out"
check_match "... and the error" "/sbin/nonexistent-init.*No such file" "$out"
check_match "box log has both" "$warned.*nonexistent-init" "$(box log "$Wf" 2>&1 | tr '\n' ' ')"
rt_check_gone "$Wf" "" "" "after the failed start"
t_done
