# Helpers for the runtime tests (2*-*.sh), sourced after lib.sh.

# rt_rootfs_line NAME: the config line for the busybox rootfs: the template
# when templates/busybox exists, else a static busybox tree made here.
rt_rootfs_line() {
	local name=$1
	if [ -x "$TOP/templates/busybox" ]; then
		echo "template = $(t_template busybox)"
		return
	fi
	local r="$BOX_ROOT/var/lib/boxes/$name/rootfs"
	mkdir -p "$r"/{bin,sbin,etc/init.d,dev,proc,sys,run,tmp,root}
	cp /bin/busybox "$r/bin/busybox"
	for a in $(/bin/busybox --list-full); do
		mkdir -p "$r/$(dirname "$a")"
		[ -e "$r/$a" ] || ln -s /bin/busybox "$r/$a"
	done
	printf '::sysinit:/etc/init.d/rcS\n::shutdown:/bin/sync\n' >"$r/etc/inittab"
	printf '#!/bin/sh\nmount -t tmpfs tmpfs /tmp\necho booted\n' >"$r/etc/init.d/rcS"
	chmod +x "$r/etc/init.d/rcS"
}

# rt_create NAME: builds the rootfs from the config's template with `box
# create`; while the storage module is not there yet, extracts it here.
rt_create() {
	local name=$1 out tpl
	[ -d "$BOX_ROOT/var/lib/boxes/$name/rootfs" ] && return 0
	out=$(box create "$name" 2>&1) && return 0
	case $out in *"not implemented"*) ;; *) echo "$out" >&2; return 1 ;; esac
	tpl=$(sed -n 's/^template *= *//p' "$BOX_ROOT/etc/boxes/$name.conf")
	[ -n "$tpl" ] || return 0
	mkdir -p "$BOX_ROOT/var/lib/boxes/$name/rootfs"
	tar --numeric-owner --xattrs --xattrs-include='*' -xpf "$BOX_ROOT/var/lib/boxes/templates/$tpl" \
		-C "$BOX_ROOT/var/lib/boxes/$name/rootfs"
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

# rt_check_gone NAME INIT_PID SUP_PID WHEN: nothing of the container is left.
rt_check_gone() {
	local name=$1 ipid=$2 spid=$3 when=$4
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
