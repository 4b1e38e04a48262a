#!/bin/bash
# The runtime with real busybox containers: start, what init sees inside,
# hardening, stop, crash cleanup, locking, attach, console, ls, info.
# box-test: also unprivileged
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/runtime-lib.sh"

C=$T-bb
rt_config "$C"

PHASE="bad usage"
out=$(box start 2>&1); check_eq "start without a name exits 2" 2 $?
out=$(box start Bad_Name 2>&1); check_eq "start of an invalid name exits 2" 2 $?
out=$(box stop -t soon "$C" 2>&1); check_eq "stop -t with garbage exits 2" 2 $?
out=$(box start --timeout 0 "$C" 2>&1); check_eq "start --timeout 0 exits 2" 2 $?
out=$(box start "$T-nosuch" 2>&1); rc=$?
check "start of an unknown container fails" test "$rc" -ne 0
out=$(box stop "$C" 2>&1); rc=$?
check_eq "stop of a stopped container exits 1" 1 "$rc"
check_match "stop of a stopped container says so" "not running" "$out"

PHASE="start"
# a caller's fd left open (fd 7, not close-on-exec) must not live on in the supervisor
check "box start" box start "$C" 7>"$BOX_ROOT/stray-fd"
check_eq "uid_map inside: the mode under test" "$(t_want_uid_map "$C")" \
	"$(box attach "$C" -- cat /proc/self/uid_map | awk '{print $1, $2, $3}')"
out=$(box start "$C" 2>&1); rc=$?
check_eq "start of a running container exits 1" 1 "$rc"
check_match "start of a running container says so" "already (running|starting)" "$out"
check_match "box ls shows it RUNNING" "^$C +RUNNING +[0-9]+" "$(box ls)"
ipid=$(cat "$BOX_ROOT/run/boxes/$C/init.pid")
spid=$(cat "$BOX_ROOT/run/boxes/$C/supervisor.pid")
check "init runs" kill -0 "$ipid"
check "the supervisor runs" kill -0 "$spid"
check_eq "the supervisor holds no fd the caller left open" "" \
	"$(ls -l /proc/$spid/fd 2>/dev/null | grep stray-fd)"
# (the pattern finds init: so its finding nothing for the supervisor means something)
check_match "init is in the container's payload cgroup" "/$C/payload" "$(cat /proc/$ipid/cgroup)"
# in every hierarchy (the v1 ones are made while the child prepares, and
# joined at its go: one missed would leave init in the host's)
check_eq "init is in the payload cgroup of every hierarchy" "" "$(grep -v "/$C/payload\$" /proc/$ipid/cgroup)"
check_eq "the supervisor is in none of the container's cgroups" "" "$(grep -E "/$C(/|\$)" /proc/$spid/cgroup)"
# it gives back the pages its start-up touched (2.3 MB) within 0.8 s of the
# start, not only after the 10 s that follow a burst (its console output, box
# ls); 5 s leave room for a loaded machine
rss=; for i in $(seq 50); do
	rss=$(awk '/^VmRSS/ {print $2}' /proc/$spid/status)
	[ "${rss:-9999}" -lt 1024 ] && break
	sleep 0.1
done
check "the supervisor sheds its start-up pages within 5 s (VmRSS $rss kB)" test "${rss:-9999}" -lt 1024

PHASE="inside"
check_eq "PID 1 inside is the template's init" "init" "$(box attach "$C" -- cat /proc/1/comm)"
n=$(box attach "$C" -- sh -c 'ls -d /proc/[0-9]* | wc -l')
check "ps inside sees only the container's processes ($n)" test "$n" -le 8
check_eq "the host's processes are invisible" "" "$(box attach "$C" -- sh -c "ls -d /proc/$spid 2>/dev/null")"
check_eq "hostname inside is the config's" "$C-host" "$(box attach "$C" -- hostname)"
check_eq "init's environment has container=boxes" "boxes" \
	"$(tr '\0' '\n' </proc/$ipid/environ | sed -n 's/^container=//p')"
check_match "init's environment has a container_uuid" "^[0-9a-f-]{36}$" \
	"$(tr '\0' '\n' </proc/$ipid/environ | sed -n 's/^container_uuid=//p')"
check_eq "init's stdin is the console" "$(readlink /proc/$ipid/fd/0)" "$(readlink /proc/$ipid/fd/1)"
check_fail "/sys is not writable" box attach "$C" -- sh -c 'echo x > /sys/kernel/uevent_helper'
check_match "/sys is mounted read-only" "^sysfs /sys sysfs ro," "$(box attach "$C" -- cat /proc/mounts)"
check_fail "/proc/sys is not writable" box attach "$C" -- sh -c 'echo 1 > /proc/sys/kernel/sysrq'
check "/proc/sys/net stays writable (own netns)" box attach "$C" -- sh -c 'echo 1 > /proc/sys/net/ipv4/ip_forward'
if [ -e /proc/sysrq-trigger ]; then
	check_fail "/proc/sysrq-trigger is not writable" box attach "$C" -- sh -c 'echo h > /proc/sysrq-trigger'
else
	skip "/proc/sysrq-trigger is not writable" "this kernel has no /proc/sysrq-trigger"
fi
check_eq "/proc/kcore, keys, timer_list are masked" "" \
	"$(box attach "$C" -- sh -c 'cat /proc/keys /proc/timer_list 2>&1; [ -e /proc/kcore ] && head -c 16 /proc/kcore')"
out=$(box attach "$C" -- sh -c 'head -c 4096 /dev/zero > /tmp/x.ko; insmod /tmp/x.ko' 2>&1); rc=$?
check "insmod fails" test "$rc" -ne 0
check_match "insmod is refused, not just a bad module" "not permitted" "$out"
bnd=$(box attach "$C" -- sh -c 'sed -n "s/^CapBnd:\t//p" /proc/self/status')
for cap in 16:sys_module 17:sys_rawio 25:sys_time 32:mac_override 33:mac_admin; do
	check_eq "the bounding set lacks cap_${cap#*:}" 0 $(( (0x$bnd >> ${cap%%:*}) & 1 ))
done
check_eq "the bounding set keeps cap_sys_boot" 1 $(( (0x$bnd >> 22) & 1 ))
check_eq "the bounding set keeps cap_sys_admin" 1 $(( (0x$bnd >> 21) & 1 ))
disk=$(awk '$2 == "/" {print $1}' /proc/self/mounts | head -1)
if [ -z "$(rt_cgroups "$C")" ]; then
	skip "block device node" "this build has no cgroup support yet (devices allowlist)"
elif [ -b "$disk" ]; then
	mm=$(stat -c '%t %T' "$disk")
	# on the rootfs itself, not on a nodev tmpfs: only the devices allowlist may stop it
	out=$(box attach "$C" -- sh -c "rm -f /root/disk; mknod /root/disk b $((0x${mm% *})) $((0x${mm#* })) && head -c 512 /root/disk | wc -c; rm -f /root/disk" 2>&1)
	check_match "a block device node of the host's disk made inside can't be opened" \
		"(not permitted|Permission denied)" "$out"
else
	skip "block device node" "no block device under /"
fi
check "mounting a tmpfs inside works (CAP_SYS_ADMIN kept)" box attach "$C" -- sh -c 'mkdir -p /mnt/t && mount -t tmpfs t /mnt/t && umount /mnt/t'
check "/dev/null, zero, urandom work" box attach "$C" -- sh -c 'echo x > /dev/null && head -c 1 /dev/zero | wc -c | grep -q 1 && head -c 4 /dev/urandom | wc -c | grep -q 4'
check "/dev/ptmx gives ptys" box attach "$C" -- sh -c '[ -c /dev/pts/ptmx ] && [ -L /dev/ptmx ]'
bid=$(box attach "$C" -- cat /proc/sys/kernel/random/boot_id)
check "boot_id differs from the host's" test "$bid" != "$(cat /proc/sys/kernel/random/boot_id)"

PHASE="attach"
box attach "$C" -- sh -c 'exit 7'; check_eq "attach returns the command's exit status" 7 $?
box attach "$C" -- /nonexistent 2>/dev/null; check_eq "attach of a missing command exits 127" 127 $?
check_eq "attach has a clean environment" "" "$(FOO=bar box attach "$C" -- sh -c 'echo $FOO')"
# (a pure cgroup v2 host puts it in the leaf /.box: cgroup_attach)
want=0::/
[ -f /sys/fs/cgroup/cgroup.controllers ] && want=0::/.box
check_eq "attach is in the container's cgroup ns" "$want" "$(box attach "$C" -- sh -c 'grep "^0::" /proc/self/cgroup')"
out=$(box attach 2>&1); check_eq "attach without a name exits 2" 2 $?
out=$(box attach "$C" ls 2>&1); check_eq "attach with a command but no -- exits 2" 2 $?

PHASE="console"
box attach "$C" -- sh -c "echo console-marker-$T > /dev/console"
sleep 0.2
check "console output is in the log" grep -q "console-marker-$T" "$BOX_ROOT/var/log/boxes/$C.log"
timeout 3 box console "$C" </dev/null >"$BOX_ROOT/con1" 2>&1 &
c1=$!
timeout 3 box console "$C" </dev/null >"$BOX_ROOT/con2" 2>&1 &
c2=$!
sleep 0.3
box attach "$C" -- sh -c "echo watched-$T > /dev/console"
sleep 0.3
kill $c1 $c2 2>/dev/null; wait $c1 $c2 2>/dev/null
check "a console client sees the console" grep -q "watched-$T" "$BOX_ROOT/con1"
check "a second console client sees it too" grep -q "watched-$T" "$BOX_ROOT/con2"

PHASE="control socket"
python3 - "$BOX_ROOT/run/boxes/$C/control" <<'PY'
import socket, sys
for junk in (b"", b"x", b"\xff" * 16, b"1xob" + b"\0" * 12, b"\0" * 5000):
    s = socket.socket(socket.AF_UNIX, socket.SOCK_SEQPACKET)
    s.connect(sys.argv[1])
    if junk:
        s.send(junk)
    s.close()
PY
check_match "garbage on the control socket leaves the supervisor running" "^$C +RUNNING" "$(box ls)"
check_eq "and it still answers" "$C-host" "$(box attach "$C" -- hostname)"

PHASE="ls and info"
check "ls --json is JSON" sh -c "box ls --json | python3 -c 'import json,sys; d=json.load(sys.stdin); assert any(x[\"name\"]==\"$C\" and x[\"state\"]==\"RUNNING\" for x in d)'"
check_match "info shows state and pid" "State: +RUNNING" "$(box info "$C")"
check "info --json is JSON with the pid" sh -c "box info --json $C | python3 -c 'import json,sys; d=json.load(sys.stdin); assert d[\"pid\"]==$ipid'"

PHASE="stop"
cg_before=$(rt_cgroups "$C")
check "box stop" timeout 20 box stop -t 10 "$C"
rt_check_gone "$C" "$ipid" "$spid" "after stop"
check_match "the log says why it stopped" "stopped: .*SIGINT" "$(tail -3 "$BOX_ROOT/var/log/boxes/$C.log")"

PHASE="reboot and poweroff from inside"
box start "$C"
ipid=$(cat "$BOX_ROOT/run/boxes/$C/init.pid")
box attach "$C" -- reboot >/dev/null 2>&1
rt_wait_for 10 sh -c "p=\$(cat $BOX_ROOT/run/boxes/$C/init.pid 2>/dev/null); [ -n \"\$p\" ] && [ \"\$p\" != $ipid ]"
check_match "reboot inside restarts it with a new init" "^$C +RUNNING" "$(box ls)"
check "the old init is gone" rt_wait_for 3 rt_dead "$ipid"
ipid=$(cat "$BOX_ROOT/run/boxes/$C/init.pid")
spid=$(cat "$BOX_ROOT/run/boxes/$C/supervisor.pid")
box attach "$C" -- poweroff >/dev/null 2>&1
rt_wait_for 10 rt_dead "$spid"
rt_check_gone "$C" "$ipid" "$spid" "after poweroff inside"

PHASE="start --wait of an init without sd_notify"
t0=$SECONDS
check "start --wait returns for busybox init" timeout 20 box start --wait --timeout 15 "$C"
check "at once, not after the timeout" test $((SECONDS - t0)) -lt 10
box stop --kill "$C"

PHASE="stop right after start"
box start "$C"
ipid=$(cat "$BOX_ROOT/run/boxes/$C/init.pid"); spid=$(cat "$BOX_ROOT/run/boxes/$C/supervisor.pid")
check "stop right after start halts it (signal resent once init listens)" timeout 20 box stop -t 15 "$C"
check_match "with the halt, not the kill" "stopped: the container halted" "$(tail -1 "$BOX_ROOT/var/log/boxes/$C.log")"

PHASE="stop timeout"
box start "$C" >/dev/null
ipid=$(cat "$BOX_ROOT/run/boxes/$C/init.pid"); spid=$(cat "$BOX_ROOT/run/boxes/$C/supervisor.pid")
kill -STOP "$ipid"
t0=$SECONDS
check "stop -t 1 of an init that does not react kills it" timeout 20 box stop -t 1 "$C"
check "after about the timeout" test $((SECONDS - t0)) -le 5
check_match "the log says it was killed after the timeout" "still running after the stop timeout" \
	"$(tail -3 "$BOX_ROOT/var/log/boxes/$C.log")"
rt_check_gone "$C" "$ipid" "$spid" "after a stop timeout"

PHASE="kill -9 of init"
box start "$C"
ipid=$(cat "$BOX_ROOT/run/boxes/$C/init.pid"); spid=$(cat "$BOX_ROOT/run/boxes/$C/supervisor.pid")
kill -9 "$ipid"
rt_wait_for 10 rt_dead "$spid"
rt_check_gone "$C" "$ipid" "$spid" "after kill -9 of init"
check_match "the log says init was killed" "killed by SIGKILL" "$(tail -2 "$BOX_ROOT/var/log/boxes/$C.log")"

PHASE="kill -9 of the supervisor"
box start "$C"
ipid=$(cat "$BOX_ROOT/run/boxes/$C/init.pid"); spid=$(cat "$BOX_ROOT/run/boxes/$C/supervisor.pid")
kill -9 "$spid"
sleep 0.2
check_match "the next command sees it STOPPED" "^$C +STOPPED" "$(box ls 2>/dev/null)"
rt_check_gone "$C" "$ipid" "$spid" "after kill -9 of the supervisor"
check "it starts again after that" box start "$C"
check "stop --kill" box stop --kill "$C"

PHASE="concurrent starts"
for i in 1 2 3 4 5 6 7 8 9 10; do
	( box start "$C" >"$BOX_ROOT/cs.$i" 2>&1; echo $? >>"$BOX_ROOT/cs.$i" ) &
done
wait
ok=$(for i in 1 2 3 4 5 6 7 8 9 10; do tail -1 "$BOX_ROOT/cs.$i"; done | grep -c '^0$')
check_eq "10 concurrent starts: exactly one succeeds" 1 "$ok"
already=$(cat "$BOX_ROOT"/cs.* | grep -c "already")
check_eq "the 9 others say it is already starting or running" 9 "$already"
check_match "and it runs" "^$C +RUNNING" "$(box ls)"
check "box restart" box restart --kill "$C"
check_match "running after restart" "^$C +RUNNING" "$(box ls)"
check "stop" box stop --kill "$C"

PHASE="failed start leaves nothing"
F=$T-fail
rt_config "$F" 'init = /sbin/nonexistent-init'
out=$(box start "$F" 2>&1); rc=$?
check_eq "start with a missing init exits 1" 1 "$rc"
check_match "it prints the child's own error" "/sbin/nonexistent-init.*No such file" "$out"
rt_check_gone "$F" "" "" "after a failed start"

PHASE="unprivileged: a user namespace"
U=$T-unpriv
W=$BOX_ROOT/share
mkdir -p "$W/data"
echo secret >"$W/data/root-only"
chmod 600 "$W/data/root-only"
chmod 1777 "$W/data"
chmod 700 "$W"
rt_config "$U" "unprivileged = yes
idmap_base = 300000
mount /mnt/data {
  source = $W/data
}"
check "start of an unprivileged container" box start "$U"
check_eq "uid_map inside: 0 is host 300000, 65536 ids" "0 300000 65536" \
	"$(box attach "$U" -- cat /proc/self/uid_map | awk '{print $1, $2, $3}')"
check_eq "gid_map the same" "0 300000 65536" "$(box attach "$U" -- cat /proc/self/gid_map | awk '{print $1, $2, $3}')"
check_eq "attach runs as the container's root" "0 0" "$(box attach "$U" -- sh -c 'echo $(id -u) $(id -g)')"
ipid=$(cat "$BOX_ROOT/run/boxes/$U/init.pid")
check_eq "init is host uid 300000" "300000" "$(awk '/^Uid:/ {print $2}' /proc/$ipid/status)"
box attach "$U" -- sh -c 'echo hi >/mnt/data/made-inside'
check_eq "a file made in a bound host folder is owned by idmap_base on the host" "300000:300000" \
	"$(stat -c %u:%g "$W/data/made-inside" 2>&1)"
check_fail "a host root 0600 file in the bind mount cannot be read inside" box attach "$U" -- cat /mnt/data/root-only
check_fail "nor a device node be made" box attach "$U" -- mknod /tmp/sda b 8 0
check_eq "/dev/null works" "" "$(box attach "$U" -- sh -c 'echo x >/dev/null && cat /dev/null')"
check_eq "the console is the container root's" "0" "$(box attach "$U" -- stat -c %u /dev/console)"
check_match "proc and sysfs are the container's own" "^proc /proc proc .*sysfs /sys sysfs" \
	"$(box attach "$U" -- cat /proc/mounts | awk '$2 == "/proc" || $2 == "/sys" {print $1, $2, $3}' | tr '\n' ' ')"
for cg in $(rt_cgroups "$U"); do
	check_eq "payload cgroup delegated: $cg" "300000" "$(stat -c %u "$cg/payload")"
	check_eq "limit cgroup kept by the host: $cg" "0" "$(stat -c %u "$cg")"
done
check "the container's root makes a cgroup of its own" box attach "$U" -- mkdir /sys/fs/cgroup/pids/sub
check_fail "but cannot raise the limits one level up" box attach "$U" -- sh -c 'echo max >/sys/fs/cgroup/pids/../pids.max'
# cgroups nested by fd past PATH_MAX on the host, a process in each deepest
# one: the stop still kills it and removes every cgroup
check "the static helper builds" gcc -static -O2 -o "$BOX_ROOT/var/lib/boxes/$U/rootfs/hostile" \
	"$TOP/tests/integration/hostile.c"
check_match "the container's root nests cgroups 5000 characters deep" "deep pids" \
	"$(box attach "$U" -- /hostile cgdeep /sys/fs/cgroup 20 2>&1)"
# a process in a cgroup of its own that it froze (v1: its freezer.state is
# the container root's): the stop still kills it (FREEZING until the
# kernel has frozen the task: read again, under load it takes a while)
if [ -d /sys/fs/cgroup/freezer ]; then
	box attach "$U" -- sh -c 'setsid sleep 1000 </dev/null >/dev/null 2>&1 & echo $! >/tmp/ice.pid' </dev/null
	check_eq "the container's root freezes a cgroup of its own" "FROZEN" "$(box attach "$U" -- sh -c \
		'mkdir /sys/fs/cgroup/freezer/ice && cat /tmp/ice.pid >/sys/fs/cgroup/freezer/ice/cgroup.procs &&
		echo FROZEN >/sys/fs/cgroup/freezer/ice/freezer.state &&
		for i in $(seq 100); do s=$(cat /sys/fs/cgroup/freezer/ice/freezer.state); [ "$s" = FROZEN ] && break;
		sleep 0.1; done; echo $s' 2>&1)"
fi
spid=$(cat "$BOX_ROOT/run/boxes/$U/supervisor.pid")
check "stop" timeout 60 box stop "$U"
rt_check_gone "$U" "$ipid" "$spid" "after the stop of an unprivileged container"

PHASE="unprivileged: idmap_base = auto"
A1=$T-auto1
A2=$T-auto2
rt_config "$A1" "unprivileged = yes"
rt_config "$A2" "unprivileged = yes
idmap_base = auto"
check "two auto containers start" sh -c "box start $A1 && box start $A2"
r1=$(cat "$BOX_ROOT/var/lib/boxes/$A1/idmap" 2>&1); r2=$(cat "$BOX_ROOT/var/lib/boxes/$A2/idmap" 2>&1)
b1=${r1%% *}; b2=${r2%% *}
check "their recorded ranges are disjoint ($r1 / $r2)" test $((b1 + 65536)) -le "$b2" -o $((b2 + 65536)) -le "$b1"
for b in "$b1" "$b2"; do
	check "... $b..$((b + 65535)) is not the explicit 300000..365535" test $((b + 65536)) -le 300000 -o "$b" -ge 365536
done
check_eq "the first's map is its range" "0 $b1 65536" "$(box attach "$A1" -- cat /proc/self/uid_map | awk '{print $1, $2, $3}')"
check_eq "the second's too" "0 $b2 65536" "$(box attach "$A2" -- cat /proc/self/uid_map | awk '{print $1, $2, $3}')"
check_match "root's range is in subuid" "^root:[0-9]+:[0-9]+$" "$(cat "$BOX_ROOT/etc/subuid")"
box stop --kill "$A1" >/dev/null 2>&1
check "a restart keeps the range" box start "$A1"
check_eq "... the same map" "0 $b1 65536" "$(box attach "$A1" -- cat /proc/self/uid_map | awk '{print $1, $2, $3}')"
rt_config "$T-clash" "unprivileged = yes
idmap_base = $((b2 + 100))"
out=$(box config check "$T-clash" 2>&1)
check_eq "an explicit range over an auto one: config check exits 2" 2 $?
check_match "... naming both, with file:line" "$T-clash\.conf:[0-9]+: idmap_base: ids $((b2 + 100))\.\..* overlap those of .*$T-auto2\.conf" "$out"
out=$(box start "$T-clash" 2>&1)
check_eq "... and box start refuses it (exit 2)" 2 $?
rt_check_gone "$T-clash" "" "" "after the refused start"
for a in "$A1" "$A2"; do box stop --kill "$a" >/dev/null 2>&1; done

PHASE="unprivileged: a map the kernel refuses"
# box run from a user namespace that maps only host ids 0..999999, as inside
# another container: the kernel refuses a child map of ids beyond them
nested() {
	unshare --user --mount --propagation private -- \
		sh -c 'while [ -z "$(cat /proc/self/gid_map)" ]; do sleep 0.05; done; exec "$@"' sh "$@" &
	local pid=$! i
	for ((i = 0; i < 200; i++)); do
		[ "$(readlink /proc/$pid/ns/user)" != "$(readlink /proc/self/ns/user)" ] && break
		sleep 0.05
	done
	echo "0 0 1000000" >"/proc/$pid/uid_map" && echo "0 0 1000000" >"/proc/$pid/gid_map"
	wait "$pid"
}
t_netdev "br$T-k"
printf 'bridge br%s-k {\n}\n' "$T" >>"$BOX_ROOT/etc/boxes/boxes.conf"
K=$T-kmap
rt_config "$K" "unprivileged = yes
idmap_base = 2000000
network eth0 {
	bridge = br$T-k
}"
check "in the namespace, the range is refused: 'box config check' passes (a config may move hosts)" \
	nested box config check "$K"
out=$(nested box start "$K" 2>&1); rc=$?
check_eq "box start from there exits 1" 1 "$rc"
check_match "one line: file:line, the ids, why, what to do" \
	"^box: .*$K\.conf:[0-9]+: idmap_base: ids 2000000\.\.2065535 are not all mapped in the user namespace box runs in \(its uid_map begins '0 0 1000000'\): the kernel would refuse the container's map; choose idmap_base and idmap_size inside it$" "$out"
check_eq "... and only it" 1 "$(printf '%s\n' "$out" | grep -c .)"
rt_check_gone "$K" "" "" "after the refused map"
check_fail "no bridge made" ip link show "br$T-k"
check_eq "no veth made" "" "$(ip -o link show 2>/dev/null | grep -F "boxes:$K:")"
check "the same container starts from the host's namespace" box start "$K"
check_eq "... with its map" "0 2000000 65536" "$(box attach "$K" -- cat /proc/self/uid_map | awk '{print $1, $2, $3}')"
box stop --kill "$K" >/dev/null 2>&1

PHASE="unprivileged: box in a chroot"
# a fresh Debian tried in a chroot (as set-up is): the kernel makes no user
# namespace there; the start says why and what to do, and leaves nothing
CH=$T-chr
rt_config "$CH" "unprivileged = yes"
mkdir -p "$BOX_ROOT/chroot"
out=$(unshare -m --propagation private sh -c \
	'mount --rbind / "$1" && exec chroot "$1" env PATH="$PATH" BOX_ROOT="$BOX_ROOT" box start "$2"' \
	sh "$BOX_ROOT/chroot" "$CH" 2>&1)
check_eq "box start in a chroot exits 1" 1 "$?"
check_match "... saying why and what to do" \
	"in a chroot the kernel makes no user namespace .*set unprivileged = no in .*$CH\.conf" "$out"
rt_check_gone "$CH" "" "" "after the start refused in a chroot"

PHASE="a start reads no other container's config"
# unless it has something they could clash with (an address or a MAC on a
# bridge; an explicit id range): the cost of a start must not grow with the
# containers configured on the host
L=$T-lone
rt_config "$L" "unprivileged = no"
# box start itself, not -f: the check is made before the supervisor is forked,
# and strace would wait for the supervisor to end
strace -qq -e trace=open,openat -o "$BOX_ROOT/lone.strace" box start "$L" >/dev/null 2>&1
check_match "the privileged container without network started" "^$L +RUNNING" "$(box ls)"
check_eq "... having opened no other *.conf" "" \
	"$(grep -oE '/etc/boxes/[a-z0-9-]+\.conf' "$BOX_ROOT/lone.strace" | grep -vE "/($L|boxes)\.conf" | sort -u)"
box stop --kill "$L" >/dev/null 2>&1
# an unprivileged one with idmap_base = auto: its first start allocates its
# range (and reads them all for that, once); then its range is checked
# against the registry of ranges, one small file
LU=$T-loneu
rt_config "$LU" "unprivileged = yes
idmap_base = auto"
box start "$LU" >/dev/null 2>&1
box stop --kill "$LU" >/dev/null 2>&1
strace -qq -e trace=open,openat -o "$BOX_ROOT/loneu.strace" box start "$LU" >/dev/null 2>&1
check_match "the auto container started again" "^$LU +RUNNING" "$(box ls)"
check_eq "... having opened no other *.conf" "" \
	"$(grep -oE '/etc/boxes/[a-z0-9-]+\.conf' "$BOX_ROOT/loneu.strace" | grep -vE "/($LU|boxes)\.conf" | sort -u)"
r=$(cat "$BOX_ROOT/var/lib/boxes/$LU/idmap" 2>&1)
check_match "its range is in the registry" "^${r%% *} 65536 $LU\$" "$(cat "$BOX_ROOT/var/lib/boxes/.idmaps" 2>&1)"
box stop --kill "$LU" >/dev/null 2>&1
# its folder copied as another container's, record and all: the registry
# names the range's owner, and the copy is refused
cp -a "$BOX_ROOT/var/lib/boxes/$LU" "$BOX_ROOT/var/lib/boxes/$T-copy"
sed "s/$LU-host/$T-copy-host/" "$BOX_ROOT/etc/boxes/$LU.conf" >"$BOX_ROOT/etc/boxes/$T-copy.conf"
out=$(box start "$T-copy" 2>&1)
check_eq "a copy with the same recorded range is refused (exit 2)" 2 $?
check_match "... naming the owner of the range" "overlap those of container $LU " "$out"
rt_check_gone "$T-copy" "" "" "after the refused start of the copy"
check "the owner still starts" box start "$LU"
box stop --kill "$LU" >/dev/null 2>&1

t_done
