# box apply with nothing to do, the case a config-management run (Ansible,
# Salt, a git hook) hits on every host every time: 200 container configs, 195
# stopped with their rootfs (autostart = no) and 5 running busybox containers
# whose running config matches their file. There is no LXC counterpart (LXC
# has no declarative apply); the anchor is `box ls` over the same 200 (which
# reads the same configs and states), and the floor is what any command
# pays here, one process start (a fork and an exec, as bench_pair runs each side);
# the CPU time of each, which the load of the machine changes less, last.
# Sourced by tools/bench (bench-lib.sh loaded).
AP=$BENCH_TMP/apply
export BOX_ROOT=$AP/boxes
unset BOX_CONFIG_DIR BOX_STATE_DIR BOX_RUN_DIR BOX_LOG_DIR
bench_box_root "$BOX_ROOT"
AP_N=${APPLY_CONFIGS:-200}
AP_RUN=${APPLY_RUNNING:-5}

ap_rootfs() { # a busybox rootfs, as start.sh makes it
	local r=$1 a
	mkdir -p "$r"/{bin,sbin,etc/init.d,dev,proc,sys,run,tmp,root}
	cp /bin/busybox "$r/bin/busybox"
	for a in $(/bin/busybox --list-full); do
		mkdir -p "$r/$(dirname "$a")"
		[ -e "$r/$a" ] || ln -s /bin/busybox "$r/$a"
	done
	printf '::sysinit:/etc/init.d/rcS\n' >"$r/etc/inittab"
	printf '#!/bin/sh\nexit 0\n' >"$r/etc/init.d/rcS"
	chmod +x "$r/etc/init.d/rcS"
}
for ((i = 0; i < AP_N; i++)); do
	n=$(printf 'ap%03d' "$i")
	printf 'hostname = %s\nunprivileged = no\nmemory = 256M\npids = 512\nstart_order = %d\n' "$n" "$i" \
		>"$BOX_ROOT/etc/boxes/$n.conf"
	mkdir -p "$BOX_ROOT/var/lib/boxes/$n"
	if ((i < AP_RUN)); then
		ap_rootfs "$BOX_ROOT/var/lib/boxes/$n/rootfs"
	else
		mkdir -p "$BOX_ROOT/var/lib/boxes/$n/rootfs"
	fi
done
ap_stop() { for ((i = 0; i < AP_RUN; i++)); do box stop --kill "$(printf 'ap%03d' "$i")" >/dev/null 2>&1; done; }
trap ap_stop RETURN
for ((i = 0; i < AP_RUN; i++)); do box start "$(printf 'ap%03d' "$i")" >/dev/null || echo "apply: a start failed"; done
out=$(box apply)
[ "$out" = "everything matches the config files already" ] || echo "apply: not a no-op: $out"

bench_pair "apply, $AP_N configs, nothing to do" "$BENCH_RUNS" "box apply" "box ls"
fl=""
for ((i = 0; i < BENCH_RUNS; i++)); do fl="$fl $(bench_ms /bin/true)"; done
# (bench_pair times each side as a shell runs it: a fork and an exec)
printf '%-34s floor  min %8s ms  median %8s ms\n' "floor: a process (/bin/true)" $(bench_stats "$fl")
# what the scheduler does not change: the CPU time of each (user + sys, ms)
ap_cpu() {
	local TIMEFORMAT='%3U %3S' t
	t=$({ time "$@" >/dev/null 2>&1; } 2>&1)
	awk -v u="${t% *}" -v s="${t#* }" 'BEGIN { printf "%.1f\n", (u + s) * 1000 }'
}
ca="" cl=""
for ((i = 0; i < BENCH_RUNS; i++)); do
	ca="$ca $(ap_cpu box apply)"
	cl="$cl $(ap_cpu box ls)"
done
printf '%-34s boxes  min %8s ms  median %8s ms\n' "apply, CPU time (user + sys)" $(bench_stats "$ca")
printf '%-34s anchor min %8s ms  median %8s ms  (box ls)\n' "" $(bench_stats "$cl")
