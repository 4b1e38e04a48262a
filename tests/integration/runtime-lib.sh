# Helpers for the runtime tests (2*-*.sh), sourced after lib.sh.

# rt_rootfs_line NAME: the config line for the busybox rootfs (the template).
rt_rootfs_line() { echo "template = $(t_template busybox)"; }

# rt_create NAME: builds the rootfs from the config's template with `box
# create` (nothing to do when it is there); its error on stderr otherwise.
rt_create() {
	local name=$1 out
	[ -d "$BOX_ROOT/var/lib/boxes/$name/rootfs" ] && return 0
	out=$(box create "$name" 2>&1) && return 0
	echo "$out" >&2
	return 1
}

# rt_config NAME [EXTRA LINES]: a busybox container config.
rt_config() {
	local name=$1
	t_config "$name" <<CONF
$(rt_rootfs_line "$name")
hostname = $name-host
stop_timeout = 20
${2:-}
CONF
	rt_create "$name"
}

# The container's cgroup folders on the host.
rt_cgroups() {
	local d
	for d in /sys/fs/cgroup/*/boxes /sys/fs/cgroup/boxes; do
		[ -d "$d/$1" ] && echo "$d/$1"
	done
}

# rt_wait_for SECONDS CMD...: polls CMD every 50 ms.
rt_wait_for() {
	local end=$((SECONDS + $1)); shift
	while [ $SECONDS -lt $end ]; do
		"$@" && return 0
		sleep 0.05
	done
	return 1
}

# rt_dead PID: gone, or a zombie waiting for this host's PID 1 to reap it.
rt_dead() {
	[ ! -e "/proc/$1/stat" ] || [ "$(awk '{print $3}' "/proc/$1/stat" 2>/dev/null)" = Z ]
}

# rt_settle NAME: waits for the supervisor's tail. A stop returns once every
# process of the container is dead and its network gone; its supervisor then
# removes the cgroups, rootfs mount and run folder under the container's lock
# (which the next box command waits for) and exits. A check of those on the
# host comes after this. The bound is against a hang only.
rt_settle() {
	local p
	p=$(cat "$BOX_ROOT/run/boxes/$1/supervisor.pid" 2>/dev/null) || return 0
	rt_wait_for 60 rt_dead "$p"
}

# rt_check_gone NAME INIT_PID SUP_PID WHEN: nothing of the container is left.
rt_check_gone() {
	local name=$1 ipid=$2 spid=$3 when=$4
	rt_settle "$name"
	[ -n "$spid" ] && rt_wait_for 60 rt_dead "$spid"
	check_eq "no cgroup left $when" "" "$(rt_cgroups "$name")"
	check "no state left $when" test ! -e "$BOX_ROOT/run/boxes/$name"
	if [ -n "$ipid" ]; then
		check "init gone $when" rt_wait_for 3 rt_dead "$ipid"
	fi
	if [ -n "$spid" ]; then
		check "supervisor gone $when" rt_wait_for 3 rt_dead "$spid"
	fi
	check_eq "no mount of the rootfs left $when" "" \
		"$(grep -l "$BOX_ROOT/var/lib/boxes/$name" /proc/[0-9]*/mountinfo 2>/dev/null)"
	check_match "ls says STOPPED $when" "^$name +STOPPED" "$(box ls 2>/dev/null)"
}
