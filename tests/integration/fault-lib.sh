# The fault shim (fault-shim.c) for the tests that stop a command at one of
# its commit points and kill it there; sourced after lib.sh and
# runtime-lib.sh, with $W a folder of the test's own.
#
#   fault_shim_build          builds $SHIM (a check)
#   at FUNC SUBSTRING[:after] CMD...
#       runs CMD in the background with the shim; returns 0 once a process
#       (CMD, or a supervisor it started) is stopped at FUNC on a path with
#       SUBSTRING ($STOPPED: its pid, $BG: CMD's pid, $OUT: CMD's output),
#       1 when CMD ended without getting there. The loop's bound is against
#       a hang only.
#   at_tail FUNC SUBSTRING[:after] CMD...
#       the same for a point that comes after CMD may have ended (a
#       supervisor's tail after it answered a stop): waits for the stop
#       whether CMD runs or not
#   kill9                     kills the stopped process, reaps CMD ($BGRC:
#                             its exit status)
#   stopped PID               the process is stopped (SIGSTOP by the shim)
SHIM=$W/fault-shim.so
FLAG=$W/fault.pid
SPEC=$W/fault.spec
OUT=$W/out

fault_shim_build() {
	check "the fault shim builds" cc -shared -fPIC -O2 -o "$SHIM" "$TOP/tests/integration/fault-shim.c" -ldl
}

stopped() { [ "$(awk '{print $3}' "/proc/$1/stat" 2>/dev/null)" = T ]; }

at() { _at 1 "$@"; }
at_tail() { _at 0 "$@"; }

_at() {
	local i p while_cmd=$1
	shift
	rm -f "$FLAG"
	echo "$1:$2" >"$SPEC"
	shift 2
	LD_PRELOAD=$SHIM BOX_FAULT_SPEC=$SPEC BOX_FAULT_FLAG=$FLAG "$@" >"$OUT" 2>&1 &
	BG=$!
	STOPPED=
	for ((i = 0; i < 1200; i++)); do
		p=$(cat "$FLAG" 2>/dev/null)
		if [ -n "$p" ] && stopped "$p"; then
			rm -f "$SPEC"
			STOPPED=$p
			return 0
		fi
		[ "$while_cmd" = 0 ] || kill -0 "$BG" 2>/dev/null || break
		sleep 0.05
	done
	rm -f "$SPEC"
	wait "$BG"
	return 1
}

kill9() {
	kill -9 "$STOPPED"
	wait "$BG" 2>/dev/null
	BGRC=$?
	rt_wait_for 10 rt_dead "$STOPPED"
}
