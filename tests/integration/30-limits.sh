#!/bin/bash
# Resource limits with real busybox containers on this host's cgroup layout:
# each limit in the kernel's file, the container's own view of
# /sys/fs/cgroup, OOM kill inside, a fork bomb stopped at pids, a CPU quota,
# freeze/unfreeze, live `box set` and `box apply`, the devices allowlist,
# `box stats`, and bad usage of each command.
# box-test: also unprivileged
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/runtime-lib.sh"

C=$T-lim
O=$T-other
rt_config "$C" "memory = 64M
swap = 0
cpus = 0.5
cpu_weight = 200
cpuset = 0
pids = 64
io_weight = 100"
rt_config "$O"

# The file of controller $1 for container $2 ("" = the limit cgroup).
if [ -f /sys/fs/cgroup/cgroup.controllers ]; then V2=1; else V2=0; fi
knob() {
	if [ $V2 = 1 ]; then cat "/sys/fs/cgroup/boxes/$2/$3"; else cat "/sys/fs/cgroup/$1/boxes/$2/$3"; fi
}
counter() { cat "/proc/$ipid/root/tmp/count" 2>/dev/null; }

PHASE="bad usage"
out=$(box stats 2>&1); check_eq "stats without a name exits 2" 2 $?
out=$(box stats "$C" --interval 0 2>&1); check_eq "stats --interval 0 exits 2" 2 $?
out=$(box stats "$C" --interval x 2>&1); check_eq "stats --interval x exits 2" 2 $?
out=$(box stats "$C" 2>&1); check_eq "stats of a stopped container exits 1" 1 $?
check_match "stats of a stopped container says so" "not running" "$out"
out=$(box freeze 2>&1); check_eq "freeze without a name exits 2" 2 $?
out=$(box freeze "$C" 2>&1); check_eq "freeze of a stopped container exits 1" 1 $?
out=$(box unfreeze "$C" extra 2>&1); check_eq "unfreeze with two names exits 2" 2 $?
out=$(box set "$C" 2>&1); check_eq "set without KEY=VALUE exits 2" 2 $?
out=$(box set "$C" memory 2>&1); check_eq "set with a bare key exits 2" 2 $?
out=$(box set "$C" memory=lots 2>&1); check_eq "set memory=lots exits 2" 2 $?
check_match "set memory=lots names the key" "memory" "$out"
out=$(box set "$C" nosuchkey=1 2>&1); check_eq "set of an unknown key exits 2" 2 $?
check_match "the config file is unchanged after bad sets" "^memory = 64M" "$(grep '^memory' "$BOX_ROOT/etc/boxes/$C.conf")"
out=$(box apply "$T-nosuch" 2>&1); check "apply of an unknown container fails" test $? -ne 0
out=$(box apply -x 2>&1); check_eq "apply -x exits 2" 2 $?
out=$(box set "$C" pids=48 2>&1); check_eq "set on a stopped container exits 0" 0 $?
check_match "set on a stopped container says when it applies" "next start" "$out"
box set "$C" pids=64 >/dev/null

PHASE="start with limits"
check "box start $C" box start "$C"
check "box start $O" box start "$O"
ipid=$(cat "$BOX_ROOT/run/boxes/$C/init.pid")
opid=$(cat "$BOX_ROOT/run/boxes/$O/init.pid")
if [ $V2 = 1 ]; then
	check_eq "memory.max" 67108864 "$(knob memory "$C" memory.max)"
	check_match "memory.high a little below" "^6[0-6][0-9]{6}$" "$(knob memory "$C" memory.high)"
	check_eq "memory.swap.max" 0 "$(knob memory "$C" memory.swap.max)"
	check_eq "cpu.max" "50000 100000" "$(knob cpu "$C" cpu.max)"
	check_eq "cpu.weight" 200 "$(knob cpu "$C" cpu.weight)"
	check_eq "cpuset.cpus" 0 "$(knob cpuset "$C" cpuset.cpus)"
	check_eq "pids.max" 64 "$(knob pids "$C" pids.max)"
	check_match "io.weight" "^default 100" "$(knob io "$C" io.weight 2>/dev/null || echo 'default 100 (no io.weight)')"
	check_match "init is in the payload cgroup" "^0::/boxes/$C/payload" "$(cat /proc/$ipid/cgroup)"
else
	check_eq "memory.limit_in_bytes" 67108864 "$(knob memory "$C" memory.limit_in_bytes)"
	if [ -f "/sys/fs/cgroup/memory/boxes/$C/memory.memsw.limit_in_bytes" ]; then
		check_eq "memory.memsw.limit_in_bytes = memory + swap" 67108864 "$(knob memory "$C" memory.memsw.limit_in_bytes)"
	else
		skip "memory.memsw.limit_in_bytes" "no swap accounting"
	fi
	check_eq "cpu.cfs_quota_us" 50000 "$(knob cpu "$C" cpu.cfs_quota_us)"
	check_eq "cpu.cfs_period_us" 100000 "$(knob cpu "$C" cpu.cfs_period_us)"
	check_eq "cpu.shares for cpu_weight 200" 2048 "$(knob cpu "$C" cpu.shares)"
	check_eq "cpuset.cpus" 0 "$(knob cpuset "$C" cpuset.cpus)"
	check_eq "pids.max" 64 "$(knob pids "$C" pids.max)"
	check_match "devices allowlist in devices.list" "c 1:3 rwm" "$(knob devices "$C" devices.list)"
	check_match "init is in the payload cgroup of each hierarchy" "memory:/boxes/$C/payload" "$(cat /proc/$ipid/cgroup)"
	check_match "init is in the payload cgroup of name=systemd" "name=systemd:/boxes/$C/payload" "$(cat /proc/$ipid/cgroup)"
fi
check_eq "the other container has no memory limit" "" \
	"$( [ $V2 = 1 ] && grep -v '^max$' "/sys/fs/cgroup/boxes/$O/memory.max"; [ $V2 = 0 ] && awk '$1 < 2^60' "/sys/fs/cgroup/memory/boxes/$O/memory.limit_in_bytes")"

PHASE="the view inside"
inside=$(box attach "$C" -- cat /proc/1/cgroup)
check_eq "inside, every cgroup path of init is the namespace root" "" "$(printf '%s\n' "$inside" | grep -v ':/$')"
if [ $V2 = 1 ]; then
	check_eq "an attached command runs in the leaf /.box" "0::/.box" "$(box attach "$C" -- cat /proc/self/cgroup)"
else
	inside=$(box attach "$C" -- cat /proc/self/cgroup)
	check_eq "inside, every cgroup path of an attached command is the namespace root" "" \
		"$(printf '%s\n' "$inside" | grep -v ':/$')"
fi
mounts=$(box attach "$C" -- cat /proc/mounts)
if [ $V2 = 1 ]; then
	check_match "/sys/fs/cgroup is one cgroup2 mount" "cgroup2 /sys/fs/cgroup cgroup2" "$mounts"
else
	check_match "/sys/fs/cgroup is a read-only tmpfs" "/sys/fs/cgroup tmpfs ro," "$mounts"
	check_match "cpu is mounted on its own" "/sys/fs/cgroup/cpu cgroup [^ ]*,cpu " "$mounts"
	check_match "cpuacct is mounted on its own" "/sys/fs/cgroup/cpuacct cgroup [^ ]*,cpuacct " "$mounts"
	check_match "name=systemd is mounted" "/sys/fs/cgroup/systemd cgroup [^ ]*name=systemd" "$mounts"
	check_match "cgroup2 is mounted at unified" "/sys/fs/cgroup/unified cgroup2" "$mounts"
	# the v1 ones are the host's mounts bound at the payload cgroup (the
	# namespace root): a bind of any other folder shows another root here
	check_eq "every cgroup mount inside is rooted at the namespace root, nosuid,nodev,noexec" "" \
		"$(box attach "$C" -- cat /proc/self/mountinfo | awk '$5 ~ "^/sys/fs/cgroup/" &&
			($4 != "/" || $6 !~ /(^|,)nosuid(,|$)/ || $6 !~ /(^|,)nodev(,|$)/ || $6 !~ /(^|,)noexec(,|$)/)')"
	check_eq "one mount per host hierarchy" "$(awk '$2 ~ "^/sys/fs/cgroup/" && $3 ~ /^cgroup2?$/' /proc/self/mounts | wc -l)" \
		"$(box attach "$C" -- cat /proc/self/mountinfo | awk '$5 ~ "^/sys/fs/cgroup/"' | wc -l)"
	check "root inside can make a sub-cgroup (as systemd does)" \
		box attach "$C" -- sh -c 'mkdir /sys/fs/cgroup/systemd/t.scope && rmdir /sys/fs/cgroup/systemd/t.scope'
	if [ -d /sys/fs/cgroup/cpuset/boxes ]; then
		# the kernel gives a new cpuset cgroup its parent's cpus when the
		# parent has clone_children; a write of cpuset.cpus would rebuild
		# the scheduler domains, a walk over every cpuset of the host
		check_eq "the container's cpuset cgroup passes its cpus on by clone_children" 1 \
			"$(knob cpuset "$C" cgroup.clone_children)"
		check_eq "its payload has its cpus" "$(knob cpuset "$C" cpuset.cpus)" \
			"$(knob cpuset "$C/payload" cpuset.cpus)"
	fi
fi
check_eq "the host's tree is not visible inside" "" \
	"$(box attach "$C" -- sh -c "find /sys/fs/cgroup -maxdepth 2 -name '$O' -o -maxdepth 2 -name boxes")"
pidsfile=/sys/fs/cgroup/pids/pids.max
[ $V2 = 1 ] && pidsfile=/sys/fs/cgroup/pids.max
box attach "$C" -- sh -c "echo max > $pidsfile" >/dev/null 2>&1
check_eq "root inside cannot raise its limit (it sits one level up)" 64 "$(knob pids "$C" pids.max)"

PHASE="devices"
read -r maj min < <(stat -L -c '%t %T' /dev/vda 2>/dev/null || stat -L -c '%t %T' "$(findmnt -no SOURCE /)")
# in /dev (no nodev there), so that only the devices cgroup can refuse it
out=$(box attach "$C" -- sh -c "mknod /dev/t-disk b $((16#$maj)) $((16#$min)) && head -c 512 /dev/t-disk >/dev/null" 2>&1)
check "a block device node of the host's disk cannot be opened inside" test $? -ne 0
check_match "... refused by the devices cgroup" "not permitted" "$out"
check "/dev/null and /dev/urandom work inside" box attach "$C" -- sh -c 'head -c 8 /dev/urandom > /dev/null'

PHASE="memory hog"
box attach "$C" -- dd if=/dev/zero of=/dev/null bs=128M count=1 >/dev/null 2>&1
check "a 128M allocation under memory = 64M fails" test $? -ne 0
check "init survives the OOM kill" kill -0 "$ipid"
check "the other container survives" box attach "$O" -- true
check "the container still runs commands" box attach "$C" -- true
st=$(box stats "$C")
check_match "box stats reports the OOM kill" "OOM kills: +[1-9]" "$st"
check_match "box stats --json reports it" '"oom_kills": [1-9]' "$(box stats --json "$C")"
check_match "box stats shows the memory limit" "limit 64.0M" "$st"
info=$(box info "$C")
check_match "box info shows the container running" "RUNNING" "$info"
check_match "box info reports the OOM kill" "OOM kills: +[1-9]" "$info"
check_match "box info --json reports it" '"oom_kills": [1-9]' "$(box info --json "$C")"

PHASE="cpu quota"
before=$(box stats --json "$C" | sed -n 's/.*"cpu_usage_ns": \([0-9]*\).*/\1/p')
t0=$(date +%s%N)
box attach "$C" -- timeout 3 sh -c 'while :; do :; done' >/dev/null 2>&1
t1=$(date +%s%N)
after=$(box stats --json "$C" | sed -n 's/.*"cpu_usage_ns": \([0-9]*\).*/\1/p')
share=$(( (after - before) * 100 / (t1 - t0) ))
check "a CPU burner with cpus = 0.5 gets about half a core (got ${share}%, want 15..65)" \
	test "$share" -ge 15 -a "$share" -le 65

PHASE="fork bomb"
timeout 10 box attach "$C" -- sh -c 'bomb() { bomb | bomb & }; bomb; sleep 3' >/dev/null 2>&1 &
bomber=$!
top=0
for i in $(seq 20); do
	cur=$(knob pids "$C" pids.current)
	[ "$cur" -gt "$top" ] && top=$cur
	sleep 0.1
done
check "the fork bomb stops at pids = 64 (highest pids.current $top)" test "$top" -le 64 -a "$top" -ge 32
# (v1 counts the event in the forking task's cgroup, v2 where the limit is)
check_match "the kernel refused forks at the limit (pids.events)" "max [1-9]" \
	"$(knob pids "$C" pids.events; knob pids "$C" payload/pids.events)"
check "the other container still runs commands" box attach "$O" -- true
check "the host still forks" sh -c true
wait $bomber

PHASE="stop after the fork bomb"
check "box stop ends the bombed container" timeout 40 box stop -t 3 "$C"
rt_settle "$C"
check_eq "no cgroup left" "" "$(rt_cgroups "$C")"

PHASE="freeze"
check "box start again" box start "$C"
ipid=$(cat "$BOX_ROOT/run/boxes/$C/init.pid")
box attach "$C" -- sh -c 'mkdir -p /tmp; (i=0; while :; do i=$((i+1)); echo $i > /tmp/count; sleep 0.1; done) >/dev/null 2>&1 </dev/null &'
rt_wait_for 5 test -s "/proc/$ipid/root/tmp/count"
check "box freeze" box freeze "$C"
c1=$(counter); sleep 1; c2=$(counter)
check_eq "a frozen counter does not move" "$c1" "$c2"
check_match "box stats shows FROZEN" "FROZEN" "$(box stats "$C")"
check_match "box ls shows FROZEN" "^$C +FROZEN" "$(box ls)"
check_match "box info shows FROZEN" "^State: +FROZEN" "$(box info "$C")"
out=$(box attach "$C" -- true 2>&1); check_eq "attach to a frozen container exits 1" 1 $?
check_match "... and says to unfreeze first" "frozen: 'box unfreeze $C' first" "$out"
out=$(box freeze "$C" 2>&1); check_eq "freeze of a frozen container exits 1" 1 $?
check "box unfreeze" box unfreeze "$C"
# polled, not read once after a sleep: on a loaded machine (or under TCG)
# the writer may not have run yet, or its file be caught between truncation
# and write (empty)
moved() { local c; c=$(counter); [ "${c:-0}" -gt "${c2:-0}" ]; }
check "the counter moves again (from ${c2:-empty})" rt_wait_for 30 moved
out=$(box unfreeze "$C" 2>&1); check_eq "unfreeze of a running container exits 1" 1 $?

PHASE="box set on a running container"
out=$(box set "$C" memory=96M 2>&1)
check_eq "box set memory=96M exits 0" 0 $?
check_match "box set reports the change" "memory" "$out"
if [ $V2 = 1 ]; then f=memory.max; else f=memory.limit_in_bytes; fi
check_eq "the kernel file has the new memory limit" 100663296 "$(knob memory "$C" $f)"
check_match "the config file has it" "^memory = 96M" "$(grep '^memory' "$BOX_ROOT/etc/boxes/$C.conf")"
out=$(box set "$C" cpus=1.5 pids=max 2>&1)
check_eq "box set of two keys exits 0" 0 $?
check_eq "pids.max is max again" max "$(knob pids "$C" pids.max)"
out=$(box set "$C" hostname=elsewhere 2>&1)
check_match "a non-resource key applies at the next start" "next start" "$out"
out=$(box set "$C" cpuset=7 2>&1); rc=$?
check_eq "a cpuset the host lacks: exit 1" 1 "$rc"
check_match "... naming the cpuset file" "cpuset" "$out"
box set "$C" cpuset= >/dev/null 2>&1

PHASE="box apply"
sed -i 's/^pids = .*/pids = 99/' "$BOX_ROOT/etc/boxes/$C.conf"
grep -q '^pids' "$BOX_ROOT/etc/boxes/$C.conf" || echo 'pids = 99' >>"$BOX_ROOT/etc/boxes/$C.conf"
out=$(box apply "$C" 2>&1)
check_match "box apply reports the pids change" "pids: max -> 99 \(live\)" "$out"
check_eq "pids.max after apply" 99 "$(knob pids "$C" pids.max)"
out=$(box apply "$C" 2>&1)
check_match "a second apply changes nothing" "already" "$out"
out=$(box apply 2>&1)
check "apply of every container exits 0" test $? -eq 0

PHASE="stop a frozen container"
box freeze "$C" >/dev/null
check "box stop of a frozen container" timeout 60 box stop -t 3 "$C"
rt_settle "$C"
check_eq "no cgroup left after stopping it frozen" "" "$(rt_cgroups "$C")"
check "box start after that" box start "$C"
ipid=$(cat "$BOX_ROOT/run/boxes/$C/init.pid")
box freeze "$C" >/dev/null
check "box stop --kill of a frozen container" timeout 20 box stop --kill "$C"
check "... its init is gone" rt_dead "$ipid"
rt_settle "$C"
check_eq "no cgroup left after killing it frozen" "" "$(rt_cgroups "$C")"
check "box stop $O" box stop -t 5 "$O"
rt_settle "$O"
check_eq "no cgroup of the other left" "" "$(rt_cgroups "$O")"

t_done
