# density: N busybox containers running at once on one host (overlay storage
# over one template cache, half of them with a veth on a bridge and a fixed
# address), started one
# after the other: the time of each start against how many run already (it
# must stay flat: nothing in a start may grow with the containers on the
# host), every supervisor's RSS and PSS (smaps_rollup), `box ls` with N
# running, the stop of all; LXC side by side for N <= DENSITY_LXC (lxc-start
# on an overlay of the same lower folder, the same bridge). Sourced by
# tools/bench (bench-lib.sh loaded).
#   DENSITY_N="100 500"   the Ns (default 100; 500 needs a quiet machine)
#   DENSITY_LXC=100       LXC only up to this N (0: none)
#   DENSITY_UNPRIV=1      unprivileged containers (each then gets a copy-up
#                         of the whole tree: the owners are shifted at create)
#   DENSITY_TMPFS=1       everything (layers, LXC's too) on a tmpfs: the
#                         starts without the disk filesystem's part (below)
# Host-wide names (bridge, host veths, container names) carry the run's
# suffix; bench_cleanup removes what an interrupted run leaves.
DN=${DENSITY_N:-100}
DL=${DENSITY_LXC:-100}
D=$BENCH_TMP/density
export BOX_ROOT=$D/boxes
unset BOX_CONFIG_DIR BOX_STATE_DIR BOX_RUN_DIR BOX_LOG_DIR
mkdir -p "$D"
if [ "${DENSITY_TMPFS:-0}" = 1 ]; then
	mount -t tmpfs -o mode=755 tmpfs "$D" || { echo "density: cannot mount a tmpfs on $D"; return 1; }
fi
bench_box_root "$BOX_ROOT"
# a host's /run, where boxes keeps its state, is a tmpfs; so is this one.
# On ext4 without a journal (this VM's /) every new inode skips those freed
# in the last 5 s (300 s while their inode table block is dirty: ext4's
# recently_deleted), each a page cache lookup: perf put 3-4 ms of a start
# there, at the 1st start as at the 500th when anything freed many inodes
# in the minutes before (a stop of all, a test suite), the filesystem's
# cost, not the start's. The overlay layers stay on the disk's filesystem
# (the overlay mount makes and frees a few inodes in its work folder)
# unless DENSITY_TMPFS=1.
mkdir -p "$BOX_ROOT/run"
mount -t tmpfs -o mode=755 tmpfs "$BOX_ROOT/run" || { echo "density: cannot mount a tmpfs on $BOX_ROOT/run"; return 1; }
# [a-z0-9] of the run's folder name: container names and the bridge's
sfx=$(basename "$BENCH_TMP" | tr 'A-Z' 'a-z' | tr -cd 'a-z0-9' | tail -c 6)
BR=bd$sfx
LP=$D/lxc
mkdir -p "$LP"
max=0
for n in $DN; do [ "$n" -gt "$max" ] && max=$n; done

# the host's limits for max containers: processes, bridge ports, cgroups
procs=$(ls -d /proc/[0-9]* 2>/dev/null | wc -l)
pid_max=$(cat /proc/sys/kernel/pid_max)
if [ $((procs + 4 * max)) -gt "$pid_max" ]; then
	echo "density: $max containers need ~$((4 * max)) pids; $procs of kernel.pid_max $pid_max are taken"
	return 1
fi
[ $((max / 2)) -le 1024 ] || { echo "density: $((max / 2)) veths exceed a bridge's 1024 ports"; return 1; }
memcg=$(awk '$1 == "memory" {print $3}' /proc/cgroups)
[ $((${memcg:-0} + 2 * max)) -lt 65535 ] || { echo "density: too many memory cgroups for $max more"; return 1; }

ip link add "$BR" type bridge && ip link set "$BR" up || { echo "density: cannot make bridge $BR"; return 1; }
echo "$BR" >>"$BENCH_TMP/netdevs"
trap 'ip link del "$BR" 2>/dev/null' RETURN

"$TOP/templates/busybox" "$D/busybox.tar.gz" >/dev/null 2>&1 || { echo "density: templates/busybox failed"; return 1; }
ln -s "$D/busybox.tar.gz" "$BOX_ROOT/var/lib/boxes/templates/busybox.tar.gz"
unpriv=no
[ "${DENSITY_UNPRIV:-0}" = 1 ] && unpriv=yes
name() { printf 'd%s-%04d' "$sfx" "$1"; }
addr() { printf '10.250.%d.%d' $(($1 / 250)) $(($1 % 250 + 1)); } # boxes' i-th; LXC's: 10.251.x.y
t0=$EPOCHREALTIME
for ((i = 1; i <= max; i++)); do
	c=$(name $i)
	{
		printf 'template = busybox.tar.gz\nstorage = overlay\nunprivileged = %s\n' "$unpriv"
		# the even ones: a veth on the bridge, with an address of a /16 that
		# nothing routes. Without one, the template's rcS runs udhcpc, which
		# with no DHCP server broadcasts forever (3 tries, then every 3 s):
		# each broadcast goes to every port of the bridge, N/2 clients times
		# N/2 ports; with 500 containers a third of this 2-core machine.
		((i % 2 == 0)) && printf 'network eth0 {\n  bridge = %s\n  address = %s/16\n}\n' "$BR" "$(addr "$i")"
	} >"$BOX_ROOT/etc/boxes/$c.conf"
	box create "$c" >/dev/null 2>&1 || { echo "density: box create $c failed"; return 1; }
done
awk -v a="$t0" -v b="$EPOCHREALTIME" -v n=$max -v u=$unpriv \
	'BEGIN { printf "%d containers created (overlay, unprivileged = %s) in %.1f s\n", n, u, b - a }'
# a host's configs are older than a second: the cross-container checks of a
# start read their briefs (config/brief.h), made once by this ls, not
# parse the ones written in the last second (as the first starts would)
sleep 1.1
box ls >/dev/null 2>&1

us() { local t=${1/./}; echo $((10#$t)); } # $EPOCHREALTIME in microseconds
# run_all N CMD [CMD2]: CMD 1..N one after the other, CMD2 of the same i
# right after each (interleaved: the load of the machine, which moves, falls
# on both alike); each one's time in units of 10 us in SA[] and SB[], the
# whole in TOTAL (ms)
run_all() {
	local n=$1 a=$2 b=${3:-} i t0 t1
	SA=() SB=()
	t0=$EPOCHREALTIME
	for ((i = 1; i <= n; i++)); do
		t1=$EPOCHREALTIME
		$a "$i" >/dev/null 2>&1 || { echo "density: $a $i failed"; return 1; }
		SA[i]=$((($(us "$EPOCHREALTIME") - $(us "$t1")) / 10))
		[ -n "$b" ] || continue
		t1=$EPOCHREALTIME
		$b "$i" >/dev/null 2>&1 || { echo "density: $b $i failed"; return 1; }
		SB[i]=$((($(us "$EPOCHREALTIME") - $(us "$t1")) / 10))
	done
	TOTAL=$(awk -v a="$t0" -v b="$EPOCHREALTIME" 'BEGIN { printf "%.2f", (b - a) * 1000 }')
}
# med NAME A B: median of NAME[A..B], in ms
med() {
	local -n v=$1
	local i l=""
	for ((i = $2; i <= $3; i++)); do l="$l ${v[i]}"; done
	bench_stats "$l" | awk '{ printf "%.2f", $2 / 100 }'
}
report_starts() { # label array n
	local v=$2 n=$3 w=$(($3 / 5)) k first last
	[ "$n" -ge 20 ] || { printf '%-34s %-6s median %s ms\n' "start of N=$n, one by one" "$1" "$(med $v 1 "$n")"; return; }
	first=$(med $v 1 10)
	last=$(med $v $((n - 9)) "$n")
	printf '%-34s %-6s per start, median: 1-10 %s ms' "start of N=$n, one by one" "$1" "$first"
	((w >= 10)) && for ((k = w; k < n; k += w)); do printf ', %d-%d %s' $((k - 9)) $k "$(med $v $((k - 9)) $k)"; done
	printf ', %d-%d %s ms\n' $((n - 9)) "$n" "$last"
	awk -v a="$first" -v b="$last" -v l="$1" 'BEGIN { if (a > 0) printf "%-34s %-6s ratio last 10 / first 10 %.2f\n", "", l, b / a }'
}
ratio() { # label: boxes (SA) against LXC (SB), medians of all
	awk -v a="$(bench_stats "${SA[*]}")" -v b="$(bench_stats "${SB[*]}")" -v l="$1" 'BEGIN {
		split(a, x, " "); split(b, y, " ")
		if (y[2] > 0) printf "%-34s ratio boxes/lxc (median of each side) %.2f\n", l, x[2] / y[2] }'
}
mem() { # label pids...
	local l=$1 r=0 p=0 k=0 x
	shift
	for x in "$@"; do
		r=$((r + $(awk '/^Rss:/ {print $2}' "/proc/$x/smaps_rollup" 2>/dev/null || echo 0)))
		p=$((p + $(awk '/^Pss:/ {print $2}' "/proc/$x/smaps_rollup" 2>/dev/null || echo 0)))
		k=$((k + 1))
	done
	[ $k -gt 0 ] || return 0
	printf '%-34s %-6s %d processes: RSS %d kB (%d each)  PSS %d kB (%d each)\n' "" "$l" $k $r $((r / k)) $p $((p / k))
}

# DENSITY_TRACE=1: BOX_TRACE of the first 10 and the last 10 starts, and
# the phases that grew, each the median time since the same process's
# previous trace line (load moves these less than it moves the wall time)
box_start_i() {
	if [ "${DENSITY_TRACE:-0}" = 1 ] && (($1 <= 10 || $1 > NOW - 10)); then
		BOX_TRACE=$D/trace.$NOW.$1 box start "$(name "$1")"
	else
		box start "$(name "$1")"
	fi
}
report_trace() { # n
	local f
	[ "${DENSITY_TRACE:-0}" = 1 ] || return 0
	for f in "$D"/trace."$1".*; do
		awk -v i="${f##*.}" -v n="$1" '/sup: stop request/ { exit }
			{ if ($2 in t) { w = $3; for (k = 4; k <= NF; k++) w = w " " $k
			    printf "%s\t%s\t%.3f\n", (i <= 10 ? "first" : "last"), w, ($1 - t[$2]) * 1000 }
			  t[$2] = $1 }' "$f"
	done | sort -t "$(printf '\t')" -k2,2 -k1,1 -k3,3n | awk -F '\t' '
		{ k = $2 SUBSEP $1; v[k, ++c[k]] = $3; names[$2] = 1 }
		function med(k) { return c[k] ? v[k, int((c[k] + 1) / 2)] : 0 }
		END { for (w in names) { a = med(w SUBSEP "first"); b = med(w SUBSEP "last")
			if (b - a >= 0.2) printf "%-34s trace  %-28s first 10 %6.2f ms  last 10 %6.2f ms  (%+.2f)\n", "", w, a, b, b - a } }' | sort
}
box_stop_i() { box stop --kill "$(name "$1")"; }
lower=$(ls -d "$BOX_ROOT"/var/lib/boxes/templates/.cache/*/ | head -1)
lxc_conf() { # i
	local c
	c=l$sfx-$(printf %04d "$1")
	mkdir -p "$LP/$c/upper"
	cat >"$LP/$c/config" <<CONF
lxc.uts.name = $c
lxc.rootfs.path = overlay:${lower%/}:$LP/$c/upper
lxc.init.cmd = /sbin/init
lxc.mount.auto = proc:mixed sys:ro
lxc.autodev = 1
lxc.pty.max = 16
lxc.log.file = $LP/$c/lxc.log
lxc.log.level = ERROR
CONF
	if (($1 % 2 == 0)); then
		printf 'lxc.net.0.type = veth\nlxc.net.0.link = %s\nlxc.net.0.flags = up\nlxc.net.0.ipv4.address = %s/16\n' \
			"$BR" "$(addr "$1" | sed 's/^10\.250\./10.251./')"
	else
		echo "lxc.net.0.type = empty"
	fi >>"$LP/$c/config"
	[ "$unpriv" = yes ] && printf 'lxc.idmap = u 0 100000 65536\nlxc.idmap = g 0 100000 65536\n' >>"$LP/$c/config"
	return 0
}
lxc_start_i() {
	local c
	c=l$sfx-$(printf %04d "$1")
	lxc-start -P "$LP" -n "$c" -d && lxc-wait -P "$LP" -n "$c" -s RUNNING -t 10
}
lxc_stop_i() { lxc-stop -P "$LP" -n "l$sfx-$(printf %04d "$1")" -k; }
for n in $DN; do
	lxc=
	if [ "$n" -le "$DL" ] && command -v lxc-start >/dev/null; then
		lxc=1
		for ((i = 1; i <= n; i++)); do lxc_conf "$i"; done
		echo "-- N = $n (boxes and LXC started in turn: at the i-th start, i-1 of each run)"
	else
		echo "-- N = $n"
	fi
	echo "load before: $(cut -d' ' -f1-3 /proc/loadavg)"
	NOW=$n
	run_all "$n" box_start_i ${lxc:+lxc_start_i} || return 1
	echo "load after the starts: $(cut -d' ' -f1-3 /proc/loadavg)"
	report_starts boxes SA "$n"
	report_trace "$n"
	[ -n "$lxc" ] && report_starts lxc SB "$n" && ratio "start"
	sleep 1.5 # the supervisors shed their start-up pages within 0.8 s
	sup=()
	for ((i = 1; i <= n; i++)); do sup+=("$(cat "$BOX_ROOT/run/boxes/$(name $i)/supervisor.pid")"); done
	echo "memory of the per-container process, $n running"
	mem boxes "${sup[@]}"
	if [ -n "$lxc" ]; then
		mon=()
		for ((i = 1; i <= n; i++)); do
			ip=$(lxc-info -P "$LP" -n "l$sfx-$(printf %04d $i)" -p -H 2>/dev/null)
			[ -n "$ip" ] && mon+=("$(ps -o ppid= -p "$ip" | tr -d ' ')")
		done
		mem lxc "${mon[@]}"
	fi
	l="" v=""
	for ((i = 0; i < 5; i++)); do
		l="$l $(bench_ms box ls)"
		v="$v $(bench_ms box --version)"
	done
	running=$(box ls | grep -c RUNNING)
	printf '%-34s boxes  min %8s ms  median %8s ms  (%d RUNNING listed)\n' "box ls, $n running" $(bench_stats "$l") "$running"
	# what any exec of box costs now: the floor of a box ls
	printf '%-34s floor  min %8s ms  median %8s ms  (box --version)\n' "" $(bench_stats "$v")
	if [ -n "$lxc" ]; then
		l=""
		for ((i = 0; i < 5; i++)); do l="$l $(bench_ms lxc-ls -P "$LP" -f)"; done
		printf '%-34s lxc    min %8s ms  median %8s ms  (lxc-ls -f)\n' "" $(bench_stats "$l")
	fi
	run_all "$n" box_stop_i ${lxc:+lxc_stop_i}
	printf '%-34s boxes  median %8s ms  (all%s: %s ms)\n' "stop --kill of all $n, one by one" \
		"$(med SA 1 "$n")" "${lxc:+, LXC stops between}" "$TOTAL"
	[ -n "$lxc" ] && printf '%-34s lxc    median %8s ms\n' "" "$(med SB 1 "$n")" && ratio "stop --kill"
	# the kernel's part of an overlay stop: the unmount syncs the upper
	# filesystem (whatever else on it is dirty), on either side
	l=""
	for ((i = 0; i < 5; i++)); do l="$l $(bench_ms sync -f "$BOX_ROOT/var/lib/boxes")"; done
	printf '%-34s floor  min %8s ms  median %8s ms  (sync -f of the upper filesystem)\n' "" $(bench_stats "$l")
	left=$(box ls | grep -c RUNNING)
	[ "$left" -eq 0 ] || echo "density: $left still RUNNING after the stops"
done
