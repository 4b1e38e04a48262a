# Helpers for tools/bench.d/*.sh (sourced by tools/bench).
#
#   bench_pair LABEL RUNS "BOXES CMD" "ANCHOR CMD" ["PREP CMD" ["UNDO CMD"]]
#       Runs the two commands alternately RUNS times (boxes first, then the
#       anchor, then boxes...), each preceded by PREP and followed by UNDO
#       (untimed), and prints min/median of each side and median ratio; the
#       times (ms) stay in BENCH_A (boxes) and BENCH_B (anchor) for bench_rate.
#   bench_ms CMD...          times one command, prints milliseconds
#   bench_sh "CMD"           times a shell command line as a shell runs it
#                            (eval: a simple command costs its fork and exec,
#                            as typed at a prompt, not a bash -c as well)
#   bench_stats "MS MS ..."  prints "min median" of a list
#   bench_rate LABEL BYTES "MS..." prints MB/s from the median
#   bench_box_root DIR       makes DIR a boxes root whose containers' cgroups are the run's own
#   bench_cleanup            stops what the benches left in $BENCH_TMP, removes it (tools/bench's EXIT trap)
# Times come from $EPOCHREALTIME (no fork of date; anchors/RESULTS.md P-notes).
#
# Every run has a folder of its own, BENCH_TMP, made here: two runs at once
# share no file, container root or cgroup (net.sh's bridge subnet and host
# veth name are still fixed: two net benches at once do clash). It is made in
# the folder the caller's BENCH_TMP names (kept; to put the benches on another
# filesystem), else in /tmp, and removed when the run ends.
BENCH_RUNS=${BENCH_RUNS:-10}
mkdir -p "${BENCH_TMP:-/tmp}" && BENCH_TMP=$(mktemp -d "${BENCH_TMP:-/tmp}/boxes-bench.XXXXXX") || exit 1
chmod 755 "$BENCH_TMP"
# the containers' cgroups of this run: boxes/boxes-bench.XXXXXX in every hierarchy
BENCH_CGROUP=boxes/$(basename "$BENCH_TMP")
export BENCH_TMP BENCH_CGROUP

bench_box_root() {
	mkdir -p "$1/etc/boxes" "$1/var/lib/boxes/templates"
	echo "cgroup_parent = $BENCH_CGROUP" >"$1/etc/boxes/boxes.conf"
}

# Each bench cleans up after itself; this is for one that failed half-way or
# was interrupted. In order: boxes containers running from a root below
# BENCH_TMP, LXC containers of an lxcpath below it, what is left in the run's
# cgroups, the network devices listed in BENCH_TMP/netdevs, mounts below it
# (deepest first), loop devices on its files; then
# the folder, without crossing into a mount that would not go.
bench_cleanup() {
	local f r cg m dev
	[ -n "${BENCH_TMP:-}" ] && [ -d "$BENCH_TMP" ] || return 0
	# <bench>/<root>/run/boxes/NAME/supervisor.pid
	for f in $(find "$BENCH_TMP" -maxdepth 7 -path '*/run/boxes/*/supervisor.pid' 2>/dev/null); do
		r=${f%/run/boxes/*}
		BOX_ROOT=$r timeout 30 box stop --kill "$(basename "$(dirname "$f")")" >/dev/null 2>&1
	done
	# <bench>/<lxcpath>/NAME/config
	if command -v lxc-stop >/dev/null; then
		for f in $(find "$BENCH_TMP" -maxdepth 4 -name config -type f 2>/dev/null); do
			grep -q '^lxc\.rootfs\.path' "$f" 2>/dev/null || continue
			r=$(dirname "$f")
			lxc-stop -P "$(dirname "$r")" -n "$(basename "$r")" -k >/dev/null 2>&1
		done
	fi
	for cg in /sys/fs/cgroup/*/"$BENCH_CGROUP" /sys/fs/cgroup/"$BENCH_CGROUP"; do
		[ -d "$cg" ] || continue
		[ -f "$cg/cgroup.kill" ] && echo 1 >"$cg/cgroup.kill" 2>/dev/null
		[ -f "$cg/freezer.state" ] && echo THAWED >"$cg/freezer.state" 2>/dev/null
		for f in $(find "$cg" -name cgroup.procs 2>/dev/null); do
			for m in $(cat "$f" 2>/dev/null); do kill -9 "$m" 2>/dev/null; done
		done
	done
	sleep 0.1
	for cg in /sys/fs/cgroup/*/"$BENCH_CGROUP" /sys/fs/cgroup/"$BENCH_CGROUP"; do
		[ -d "$cg" ] && find "$cg" -depth -type d -exec rmdir {} + 2>/dev/null
	done
	# host network devices a bench made (one name a line: bridges)
	for m in $(cat "$BENCH_TMP/netdevs" 2>/dev/null); do ip link del "$m" 2>/dev/null; done
	for m in $(awk -v r="$BENCH_TMP" '$2 == r || index($2, r "/") == 1 {print $2}' /proc/self/mounts | sort -r); do
		umount "$m" 2>/dev/null || umount -l "$m" 2>/dev/null
	done
	for dev in $(losetup -l -n -O NAME,BACK-FILE 2>/dev/null | awk -v r="$BENCH_TMP/" 'index($2, r) == 1 {print $1}'); do
		losetup -d "$dev" 2>/dev/null
	done
	cd / && rm -rf --one-file-system "$BENCH_TMP"
	[ -d "$BENCH_TMP" ] && echo "bench: $BENCH_TMP could not be removed (a mount that would not go?)" >&2
	return 0
}

bench_ms() {
	local t0 t1
	t0=$EPOCHREALTIME
	"$@" >/dev/null 2>&1 || { echo "bench: command failed: $*" >&2; echo -1; return 1; }
	t1=$EPOCHREALTIME
	awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.2f\n", (b - a) * 1000 }'
}

# Until 2026-12-04 bench_pair ran each side as `bash -c CMD`: an exec of bash
# more on both sides (6-9 ms on a PVM guest), which hid a goal in absolute
# milliseconds ("a snapshot under 20 ms") behind the harness's own cost and
# pulled every ratio towards 1.
bench_sh() {
	local t0 t1
	t0=$EPOCHREALTIME
	eval "$1" >/dev/null 2>&1 || { echo "bench: command failed: $1" >&2; echo -1; return 1; }
	t1=$EPOCHREALTIME
	awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.2f\n", (b - a) * 1000 }'
}

bench_stats() {
	echo "$1" | tr ' ' '\n' | grep -v '^$' | sort -n |
		awk '{ v[NR] = $1 } END { if (NR == 0) { print "- -"; exit }
			m = (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2
			printf "%.2f %.2f\n", v[1], m }'
}

bench_pair() {
	local label=$1 runs=$2 boxes=$3 anchor=$4 prep=${5:-true} undo=${6:-true}
	local a="" b="" i t
	for ((i = 0; i < runs; i++)); do
		eval "$prep" >/dev/null 2>&1
		t=$(bench_sh "$boxes") && a="$a $t"
		eval "$undo" >/dev/null 2>&1
		eval "$prep" >/dev/null 2>&1
		t=$(bench_sh "$anchor") && b="$b $t"
		eval "$undo" >/dev/null 2>&1
	done
	local sa sb
	BENCH_A=$a BENCH_B=$b
	sa=$(bench_stats "$a"); sb=$(bench_stats "$b")
	printf '%-34s boxes  min %8s ms  median %8s ms\n' "$label" ${sa}
	printf '%-34s anchor min %8s ms  median %8s ms\n' "" ${sb}
	awk -v x="${sa#* }" -v y="${sb#* }" 'BEGIN { if (y > 0 && x > 0) printf "%-34s ratio boxes/anchor (median) %.3g\n", "", x / y }'
}

bench_rate() {
	local label=$1 bytes=$2 s
	s=$(bench_stats "$3")
	awk -v l="$label" -v b="$bytes" -v m="${s#* }" 'BEGIN { if (m > 0) printf "%-34s %8.1f MB/s (median %s ms)\n", l, b / 1e6 / (m / 1000), m }'
}
