#!/bin/bash
# Run by 35-cgroup-v2.sh inside its VM (a pure cgroup v2 host), after
# 30-limits.sh: the container's /sys/fs/cgroup used as systemd uses it. Its
# own cgroup2 tree (the cgroup namespace, rooted at the payload cgroup) with
# the controllers delegated; PID 1 moves itself into init.scope, enables the
# controllers for its children and gives a service a limit of its own; box
# attach, freeze, the device allowlist and stop keep working around that;
# root inside can neither raise the container's limits nor reach above its
# root.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/runtime-lib.sh"

if [ ! -f /sys/fs/cgroup/cgroup.controllers ]; then
	skip "the container's own cgroup2 tree" "not a pure cgroup v2 host"
	t_stop
fi
C=$T-sd
L=/sys/fs/cgroup/boxes/$C
rt_config "$C" "memory = 64M
pids = 64"

PHASE="start"
check "box start $C" box start "$C"
ipid=$(cat "$BOX_ROOT/run/boxes/$C/init.pid")
inside() { box attach "$C" -- sh -c "$1" 2>&1; }

PHASE="the view inside"
check_eq "inside, init is at the root of the cgroup namespace" "0::/" "$(inside 'cat /proc/1/cgroup')"
check_eq "inside, /sys/fs/cgroup is the payload cgroup (same kernfs node)" \
	"$(stat -c %i "$L/payload")" "$(inside 'stat -c %i /sys/fs/cgroup')"
check_match "the controllers are delegated into the container" "cpu .*memory pids" \
	"$(inside 'cat /sys/fs/cgroup/cgroup.controllers')"
check_eq "no host cgroup is visible inside" "" "$(inside 'ls /sys/fs/cgroup' | grep -E '^(boxes|init.scope|system.slice)$')"
check_match "a cgroup2 mount made inside is rooted there too" "^same$" \
	"$(inside "mkdir -p /tmp/cg && mount -t cgroup2 none /tmp/cg && [ \$(stat -c %i /tmp/cg) = \$(stat -c %i /sys/fs/cgroup) ] && [ ! -e /tmp/cg/boxes ] && echo same; umount /tmp/cg")"

PHASE="root inside and the limits"
inside 'echo max > /sys/fs/cgroup/memory.max; echo max > /sys/fs/cgroup/pids.max' >/dev/null
check_eq "writing memory.max inside leaves the container's limit" 67108864 "$(cat "$L/memory.max")"
check_eq "writing pids.max inside leaves the container's limit" 64 "$(cat "$L/pids.max")"

PHASE="what systemd does in its tree"
# systemd (src/core/cgroup.c): PID 1 into init.scope (with busybox, what init
# started too: systemd's units would hold those), controllers on for the
# children, a slice and a service with a limit of its own; all of it while
# `box attach` runs the script
out=$(inside 'cd /sys/fs/cgroup && mkdir init.scope &&
	for p in $(cat cgroup.procs); do echo $p > init.scope/cgroup.procs 2>/dev/null; done;
	echo "+cpu +memory +pids" > cgroup.subtree_control &&
	mkdir system.slice && echo "+memory +pids" > system.slice/cgroup.subtree_control &&
	mkdir system.slice/t.service && echo 32M > system.slice/t.service/memory.max &&
	echo 20 > system.slice/t.service/pids.max && echo done')
check_match "init.scope, subtree_control and a service's limits inside" "done" "$out"
check_eq "on the host, init is in payload/init.scope" "0::/boxes/$C/payload/init.scope" "$(cat /proc/$ipid/cgroup)"
check_match "the payload's subtree_control has what systemd enabled" "memory pids" "$(cat "$L/payload/cgroup.subtree_control")"
check_eq "the service's memory.max is in the kernel" 33554432 "$(cat "$L/payload/system.slice/t.service/memory.max")"
check "box attach still works (the payload is no leaf now)" box attach "$C" -- true
check_eq "an attached command sits in the leaf /.box" "0::/.box" "$(inside 'cat /proc/self/cgroup')"
check_eq "no process is left in the namespace root" "" "$(cat "$L/payload/cgroup.procs")"
# (a failed fork ends the busybox shell that tried: the forks are in a
# subshell; at the limit this shell cannot fork a cat: read is a builtin)
out=$(inside 'echo $$ > /sys/fs/cgroup/system.slice/t.service/cgroup.procs;
	(for i in $(seq 30); do sleep 3 & done) 2>/dev/null;
	read n < /sys/fs/cgroup/system.slice/t.service/pids.current; echo "n=$n"')
n=$(printf '%s\n' "$out" | sed -n 's/^n=//p')
check "the service's pids.max = 20 holds inside (pids.current $n)" test "${n:-99}" -le 20
check_match "... the kernel refused forks there" "max [1-9]" "$(cat "$L/payload/system.slice/t.service/pids.events")"
box attach "$C" -- sh -c 'echo $$ > /sys/fs/cgroup/system.slice/t.service/cgroup.procs;
	dd if=/dev/zero of=/dev/null bs=48M count=1' >/dev/null 2>&1
check "a 48M allocation in the 32M service fails" test $? -ne 0
check_match "the OOM kill is counted in the service" "oom_kill [1-9]" "$(cat "$L/payload/system.slice/t.service/memory.events")"
check_match "box stats counts it for the container" '"oom_kills": [1-9]' "$(box stats --json "$C")"
check "init survives" kill -0 "$ipid"

PHASE="devices below the namespace root"
read -r maj min < <(stat -L -c '%t %T' /dev/vda)
out=$(box attach "$C" -- sh -c "echo \$\$ > /sys/fs/cgroup/system.slice/t.service/cgroup.procs &&
	mknod /dev/t-vda b $((16#$maj)) $((16#$min)) && head -c 512 /dev/t-vda >/dev/null" 2>&1)
check_match "the allowlist holds in the container's sub-cgroups" "not permitted" "$out"
check "/dev/null from the service" box attach "$C" -- sh -c \
	'echo $$ > /sys/fs/cgroup/system.slice/t.service/cgroup.procs && echo x > /dev/null'

PHASE="freeze with sub-cgroups"
check "box freeze" box freeze "$C"
check_match "the kernel says frozen" "frozen 1" "$(cat "$L/cgroup.events")"
check_match "init's cgroup is frozen too" "frozen 1" "$(cat "$L/payload/init.scope/cgroup.events")"
check "box unfreeze" box unfreeze "$C"
check "attach after unfreeze" box attach "$C" -- true

PHASE="a .box made or frozen by the container's root"
# An attached command joins the leaf .box below the payload, which the
# container's root owns: once the host's .box is empty it may remove it,
# make its own and freeze it (a process of its own waits for that: the
# attach that starts it is in .box until it ends). No attach may stop there.
R=$BOX_ROOT/var/lib/boxes/$C/rootfs
out=$(inside 'cd /sys/fs/cgroup && echo $$ > init.scope/cgroup.procs || exit 1
	(until grep -qx "populated 0" .box/cgroup.events; do sleep 1; done
	rmdir .box && mkdir .box && echo 1 > .box/cgroup.freeze && touch /attacked-a-'"$T"') \
	</dev/null >/attack-a.log 2>&1 &')
check "the container's root made a frozen .box of its own" rt_wait_for 60 test -e "$R/attacked-a-$T"
[ -e "$R/attacked-a-$T" ] || echo "# the attack: $out $(cat "$R/attack-a.log" 2>&1)"
check_eq "attach makes the host's .box again and runs" ok "$(timeout 60 box attach "$C" -- echo ok 2>&1)"
check_eq "... one only the host can freeze" "0 0 0" \
	"$(stat -c %u "$L/payload/.box") $(stat -c %u "$L/payload/.box/cgroup.freeze") $(cat "$L/payload/.box/cgroup.freeze")"
# now one it keeps a process in (it cannot be removed); the same process
# of its own thaws and empties it when the test says so
out=$(inside 'cd /sys/fs/cgroup && echo $$ > init.scope/cgroup.procs || exit 1
	(until grep -qx "populated 0" .box/cgroup.events; do sleep 1; done
	rmdir .box && mkdir .box && echo 1 > .box/cgroup.freeze || exit 1
	sleep 1000 & s=$!
	echo $s > .box/cgroup.procs && touch /attacked-b-'"$T"'
	until [ -e /thaw-'"$T"' ]; do sleep 1; done
	echo 0 > .box/cgroup.freeze; kill $s) </dev/null >/attack-b.log 2>&1 &')
check "the container's root keeps a frozen .box of its own" rt_wait_for 60 test -e "$R/attacked-b-$T"
[ -e "$R/attacked-b-$T" ] || echo "# the attack: $out $(cat "$R/attack-b.log" 2>&1)"
# into a file: a stopped child would hold a $(...) pipe open
timeout 60 box attach "$C" -- true >"$BOX_ROOT/attach.out" 2>&1
check_eq "attach fails there (124: it hung)" 1 "$?"
out=$(cat "$BOX_ROOT/attach.out")
check_match "... saying what the container did and what to do" \
	"root (made its own|froze) $L/payload/.box .*keeps processes.*'box restart $C'" "$out"
touch "$R/thaw-$T"
check "the container thaws and empties its .box" rt_wait_for 60 sh -c "! grep -q . '$L/payload/.box/cgroup.procs'"
check_eq "then attach works" ok "$(timeout 60 box attach "$C" -- echo ok 2>&1)"
# the namespace root's cgroup.freeze is the kernel's to refuse (only
# cgroup.procs, .threads and .subtree_control are writable there), and
# boxes does not give it to an unprivileged root
check_match "root inside cannot freeze the payload" "(not permitted|Permission denied|Read-only)" \
	"$(inside 'echo 1 > /sys/fs/cgroup/cgroup.freeze')"
check_eq "... which stays thawed" 0 "$(cat "$L/payload/cgroup.freeze")"

PHASE="live limits with sub-cgroups"
check "box set memory=80M" box set "$C" memory=80M
check_eq "memory.max" 83886080 "$(cat "$L/memory.max")"

PHASE="stop"
check "box stop" timeout 40 box stop -t 5 "$C"
rt_settle "$C"
check_eq "no cgroup left (the tree systemd made included)" "" "$(rt_cgroups "$C")"
check "start again (no stale sub-cgroups in the way)" box start "$C"
check_eq "a fresh payload" "" "$(ls -d "$L"/payload/*/ 2>/dev/null)"
check "box stop again" timeout 40 box stop -t 5 "$C"

PHASE="a nested cgroup_parent"
# the controllers have to be enabled down the whole path (no systemd slice
# does it for us here)
P=/sys/fs/cgroup/$T.slice/boxes
echo "cgroup_parent = $T.slice/boxes" >"$BOX_ROOT/etc/boxes/boxes.conf"
check "box start under $T.slice/boxes" box start "$C"
check_eq "memory.max under the nested parent (80M from the box set above)" 83886080 "$(cat "$P/$C/memory.max" 2>&1)"
check_match "the controllers are on along the path" "memory pids" \
	"$(cat "/sys/fs/cgroup/$T.slice/cgroup.subtree_control" "$P/cgroup.subtree_control" | tr '\n' ' ')"
check "box attach under the nested parent" box attach "$C" -- true
check "box stop" timeout 40 box stop -t 5 "$C"
rt_settle "$C"
check "no cgroup left under the nested parent" test ! -e "$P/$C"
rmdir "$P" "/sys/fs/cgroup/$T.slice"
rm -f "$BOX_ROOT/etc/boxes/boxes.conf"

t_done
