# Helpers for tools/bench.d/*.sh (sourced by tools/bench).
#
#   bench_pair LABEL RUNS "BOXES CMD" "ANCHOR CMD" ["PREP CMD" ["UNDO CMD"]]
#       Runs the two commands alternately RUNS times (boxes first, then the
#       anchor, then boxes...), each preceded by PREP and followed by UNDO
#       (untimed), and prints min/median of each side and median ratio; the
#       times (ms) stay in BENCH_A (boxes) and BENCH_B (anchor) for bench_rate.
#   bench_ms CMD...          times one command, prints milliseconds
#   bench_stats "MS MS ..."  prints "min median" of a list
#   bench_rate LABEL BYTES "MS..." prints MB/s from the median
# Times come from $EPOCHREALTIME (no fork of date; anchors/RESULTS.md P-notes).
BENCH_RUNS=${BENCH_RUNS:-10}
BENCH_TMP=${BENCH_TMP:-/tmp/boxes-bench}
mkdir -p "$BENCH_TMP"

bench_ms() {
	local t0 t1
	t0=$EPOCHREALTIME
	"$@" >/dev/null 2>&1 || { echo "bench: command failed: $*" >&2; echo -1; return 1; }
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
		t=$(bench_ms bash -c "$boxes") && a="$a $t"
		eval "$undo" >/dev/null 2>&1
		eval "$prep" >/dev/null 2>&1
		t=$(bench_ms bash -c "$anchor") && b="$b $t"
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
