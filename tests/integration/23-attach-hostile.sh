#!/bin/bash
# box attach against the container's root (issue 12, items 1-4): the attached
# command and whatever precedes its exec hold no host fd, the box binary cannot
# be rewritten through /proc/PID/exe, a host terminal is never handed in, the
# caller's fds stay outside. The attacks come from a static helper
# (hostile.c) the test builds into the rootfs.
# box-test: also nesting
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/runtime-lib.sh"

C=$T-att
# a small CPU quota: the watcher inside spins on it, so an entering process
# waits (throttled) where the watcher can catch it
rt_config "$C" "cpus = 0.2"
R=$BOX_ROOT/var/lib/boxes/$C/rootfs

PHASE="the helper"
check "the static helper builds" gcc -static -O2 -o "$R/hostile" "$TOP/tests/integration/hostile.c"
check "box start" box start "$C"

PHASE="caller's fds (item 4)"
mkdir -p "$BOX_ROOT/hostdir"
echo "host-secret-$T" >"$BOX_ROOT/hostdir/canary"
out=$(box attach "$C" -- /hostile fd 7 canary 7<"$BOX_ROOT/hostdir" 2>&1)
check_match "the command does not get the caller's fd 7" "^fd 7: Bad file descriptor" "$out"
check_eq "... and cannot read the host file through it" "" "$(printf '%s' "$out" | grep "host-secret")"

PHASE="host terminal (item 3)"
# the test's pty is the admin's terminal: box attach gets it as stdout and
# stderr, stdin is /dev/null; whatever TIOCSTI types would be read by the shell
out=$(timeout 60 python3 - "$C" <<'PY' 2>&1
import os, pty, select, subprocess, sys, tty
m, s = pty.openpty()
tty.setraw(s)
r = subprocess.run(["box", "attach", sys.argv[1], "--", "/hostile", "sti", "INJECTED"],
                   stdin=subprocess.DEVNULL, stdout=s, stderr=s, timeout=30)
got = b""
while select.select([s], [], [], 0)[0]:
    got += os.read(s, 4096)
print("status", r.returncode)
print("typed into the admin's terminal:", got.decode(errors="replace"))
PY
)
check_match "attach with a terminal on stdout runs" "^status 0" "$out"
check_match "nothing is typed into the admin's terminal" "terminal: \$" "$out"
# a pty only for the output: not a controlling terminal, so a background
# job outlives the command (no hangup), as without a pty
timeout 60 python3 - "$C" <<'PY' >/dev/null 2>&1
import pty, subprocess, sys
m, s = pty.openpty()
subprocess.run(["box", "attach", sys.argv[1], "--", "sh", "-c",
                "sleep 1000 </dev/null >/dev/null 2>&1 & echo $! >/bgpid"],
               stdin=subprocess.DEVNULL, stdout=s, stderr=s, timeout=30)
PY
check_eq "a background job of a command with a terminal on stdout lives on" "alive" \
	"$(box attach "$C" -- sh -c 'kill -0 "$(cat /bgpid)" && echo alive; kill "$(cat /bgpid)"' 2>&1)"

PHASE="pre-exec process (items 1, 2)"
W=/watch-$T  # not /tmp: a tmpfs inside
mkdir -p "$R$W"
echo "$BOX_ROOT/hostdir/canary" >"$R$W/canary-path"
# the box binary the attaches below run: a copy, so that a failure cannot
# damage the build
mkdir -p "$BOX_ROOT/bin"
cp "$BUILD/box" "$BOX_ROOT/bin/box"
sum=$(sha256sum <"$BOX_ROOT/bin/box")
box attach "$C" -- /hostile watch "$W" >/dev/null 2>&1 &
wpid=$!
check "the watcher runs" rt_wait_for 30 test -e "$R$W/ready"
for i in $(seq 1 40); do
	"$BOX_ROOT/bin/box" attach "$C" -- /bin/true >/dev/null 2>&1
done
check "the watcher ends" box attach "$C" -- /hostile finish "$W"
wait "$wpid"
rep=$(cat "$R$W/report" 2>/dev/null)
echo "# the watcher caught $(grep -c 'before exec' <<<"$rep") processes before their exec"
check_match "the watcher reported" "^end\$" "$(tail -1 <<<"$rep")"
check_eq "no process entering the container holds a host fd" "" "$(grep 'holds fd' <<<"$rep")"
check_eq "the host's canary is not read through one" "" "$(grep -e 'read the host' -e "host-secret" <<<"$rep")"
check_eq "the exe of an entering process cannot be written" "" "$(grep 'wrote into' <<<"$rep")"
check_eq "the box binary is unchanged" "$sum" "$(sha256sum <"$BOX_ROOT/bin/box")"

PHASE="the privileged profile"
bnd=$(box attach "$C" -- sh -c 'sed -n "s/^CapBnd:\t//p" /proc/self/status')
for cap in 34:syslog 38:perfmon 39:bpf; do
	check_eq "the bounding set lacks cap_${cap#*:}" 0 $(( (0x$bnd >> ${cap%%:*}) & 1 ))
done
out=$(box attach "$C" -- /hostile calls 2>&1)
for call in syslog swapon swapoff bpf perf_event_open keyctl add_key request_key; do
	check_match "$call fails with EPERM" "^$call: Operation not permitted\$" "$(grep "^$call:" <<<"$out")"
done
check "box set keyctl=yes" box set "$C" keyctl=yes
check_match "with keyctl = yes keyctl works" "^keyctl: ok\$" "$(box attach "$C" -- /hostile calls 2>&1 | grep '^keyctl:')"
out=$(box attach "$C" -- sh -c 'rm -f /root/con; mknod /root/con c 5 1 && echo x >/root/con; rm -f /root/con' 2>&1)
check_match "the host's console (c 5:1) made inside cannot be opened" "(not permitted|Permission denied)" "$out"
check "the container's own /dev/console works" box attach "$C" -- sh -c 'echo hello >/dev/console'

PHASE="a cgroup frozen by the container's root"
# An attached command joins the payload cgroup (v1; cgroup2's leaf .box is
# cgroup-v2-inside.sh's, in the VM). Root inside freezes it, from a
# background process (it freezes itself with it): an attach would stop
# there for good; it must fail at once and say what to do.
FZ=
for d in $(rt_cgroups "$C"); do
	case $d in */freezer/*) FZ=$d/payload/freezer.state ;; esac
done
if [ -z "$FZ" ]; then
	check "the attack needs cgroup v1's freezer (this is a v1 suite)" false
elif [ "${BOX_TEST_UNPRIV:-0}" = 1 ]; then
	# an unprivileged root is not given freezer.state (cgroup_delegate)
	out=$(box attach "$C" -- sh -c 'echo FROZEN >/sys/fs/cgroup/freezer/freezer.state' 2>&1)
	check_match "an unprivileged root cannot freeze its payload" "(Permission denied|Read-only)" "$out"
	check_eq "... which stays thawed" THAWED "$(cat "$FZ")"
else
	box attach "$C" -- sh -c 'sh -c "echo FROZEN >/sys/fs/cgroup/freezer/freezer.state" </dev/null >/dev/null 2>&1 &'
	check "the container's root froze its payload" rt_wait_for 30 grep -qx FROZEN "$FZ"
	# into a file: the stopped child would hold a $(...) pipe open
	timeout 30 box attach "$C" -- true >"$BOX_ROOT/attach.out" 2>&1
	rc=$?
	out=$(cat "$BOX_ROOT/attach.out")
	check_eq "attach into the frozen payload fails (124: it hung)" 1 "$rc"
	check_match "... saying what the container did and what thaws it" \
		"froze its own cgroup \\($FZ\\).*box unfreeze $C' thaws only.*write THAWED into that file.*'box restart $C'" "$out"
	echo THAWED >"$FZ"
	check_eq "after the thaw that message names, attach works" ok "$(timeout 30 box attach "$C" -- echo ok 2>&1)"
fi

box stop --kill "$C" >/dev/null 2>&1
t_done
