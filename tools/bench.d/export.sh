# export/import throughput: box export/import vs GNU tar, pigz, zstd and
# bsdtar on one tree, interleaved in one run, MB/s of rootfs (the bytes of its
# files) and ratios. Sourced by tools/bench (bench-lib.sh loaded).
#   box export (gzip, pgzip)   vs  tar czf, tar -I pigz
#   box export --compress zstd vs  tar --zstd, tar -I 'zstd -T0'
#   box import (gzip)          vs  tar xzf, bsdtar -xpzf
#   box import (zstd)          vs  tar -I 'zstd -T0' -xf (for the record)
# The tree: the Debian template of the test cache (tests/integration/lib.sh
# t_template) when it is there, else the busybox template plus generated
# files. Everything lives on a tmpfs: the figures are CPU, not this VM's disk
# (anchors/RESULTS.md P14: ext4 after rm -rf is 3-7x slower and erratic).
# Goals (issue 7): gzip export >= pigz on every core, zstd export >= zstd -T0,
# import >= bsdtar -xzf.
#   BENCH_EXPORT_RUNS=N (default 5)    the tmpfs is mounted in the run's $BENCH_TMP
for t in pigz bsdtar zstd; do
	command -v $t >/dev/null || { echo "export: $t is not installed, skipping"; return 0; }
done
RUNS=${BENCH_EXPORT_RUNS:-5}
B=$BENCH_TMP/export
mkdir -p "$B"
mountpoint -q "$B" || mount -t tmpfs -o size=6g tmpfs "$B" || { echo "export: cannot mount a tmpfs on $B"; return 1; }
trap 'BOX_ROOT=$B/root box destroy --purge benchimp >/dev/null 2>&1; cd /; umount -l "$B"' EXIT
export BOX_ROOT=$B/root
unset BOX_CONFIG_DIR BOX_STATE_DIR BOX_RUN_DIR BOX_LOG_DIR
bench_box_root "$BOX_ROOT"
N=benchex
TPL=$(ls -t /var/cache/boxes-test/debian-*.tar.gz 2>/dev/null | grep -v /debian-docker- | head -1)
if [ -n "$TPL" ]; then
	cp "$TPL" "$BOX_ROOT/var/lib/boxes/templates/tree.tar.gz"
	what="Debian template $(basename "$TPL")"
else
	"$TOP/templates/busybox" "$BOX_ROOT/var/lib/boxes/templates/tree.tar.gz" >/dev/null 2>&1 ||
		{ echo "export: no tree (no Debian template in the test cache, busybox template failed)"; return 1; }
	what="busybox + generated files"
fi
echo "template = tree.tar.gz" >"$BOX_ROOT/etc/boxes/$N.conf"
box create "$N" >/dev/null 2>&1 || { echo "export: box create failed"; return 1; }
R=$BOX_ROOT/var/lib/boxes/$N/rootfs
if [ -z "$TPL" ]; then
	# ~150 MB like the Debian tree: text-like files (compress ~3x) and some random
	for d in $(seq 40); do
		mkdir -p "$R/usr/share/gen/$d"
		for f in $(seq 50); do
			base64 -w 76 </dev/urandom | head -c $((40000 + RANDOM)) | tr 'A-Za-z' 'aaaabbbbccccddddeeeeffff' \
				>"$R/usr/share/gen/$d/$f.txt"
		done
	done
	head -c 50M /dev/urandom >"$R/usr/share/gen/blob"
fi
BYTES=$(find "$R" -type f -printf '%s\n' | awk '{ s += $1 } END { print s }')
FILES=$(find "$R" | wc -l)
echo "tree: $what, $((BYTES / 1000000)) MB in $FILES entries, on tmpfs; $(nproc) CPUs"

TO="--numeric-owner --xattrs --acls --sparse"
O=$B/out
rates() { # rates LABEL-BOXES LABEL-ANCHOR
	bench_rate "  $1" "$BYTES" "$BENCH_A"
	bench_rate "  $2" "$BYTES" "$BENCH_B"
}

bench_pair "export gzip vs tar czf" "$RUNS" "box export $N -o $O.box.tar.gz" \
	"tar $TO -czf $O.tgz -C $R ." "rm -f $O.*" "true"
rates "box export (gzip)" "tar czf"
bench_pair "export gzip vs tar -I pigz" "$RUNS" "box export $N -o $O.box.tar.gz" \
	"tar $TO -I pigz -cf $O.tgz -C $R ." "rm -f $O.*" "true"
rates "box export (gzip)" "tar -I pigz"
pigz_size=$(stat -c %s "$O.tgz")
bench_pair "export zstd vs tar --zstd" "$RUNS" "box export $N --compress zstd -o $O.box.tar.zst" \
	"tar $TO --zstd -cf $O.tzst -C $R ." "rm -f $O.*" "true"
rates "box export (zstd)" "tar --zstd"
bench_pair "export zstd vs tar -I 'zstd -T0'" "$RUNS" "box export $N --compress zstd -o $O.box.tar.zst" \
	"tar $TO -I 'zstd -T0' -cf $O.tzst -C $R ." "rm -f $O.*" "true"
rates "box export (zstd)" "tar -I 'zstd -T0'"

# import: both sides read the same box-written archive into a new folder
box export "$N" -o "$B/a.tar.gz" >/dev/null 2>&1
box export "$N" --compress zstd -o "$B/a.tar.zst" >/dev/null 2>&1
echo "archive sizes: box gzip $(stat -c %s "$B/a.tar.gz"), pigz $pigz_size, box zstd $(stat -c %s "$B/a.tar.zst") bytes"
X=$B/x
UNDO="box destroy --purge benchimp; rm -rf $X"
bench_pair "import gzip vs tar xzf" "$RUNS" "box import benchimp $B/a.tar.gz" \
	"tar $TO --xattrs-include='*' -xpzf $B/a.tar.gz -C $X" "mkdir -p $X" "$UNDO"
rates "box import (gzip)" "tar xzf"
bench_pair "import gzip vs bsdtar -xpzf" "$RUNS" "box import benchimp $B/a.tar.gz" \
	"bsdtar --numeric-owner --xattrs -xpzf $B/a.tar.gz -C $X" "mkdir -p $X" "$UNDO"
rates "box import (gzip)" "bsdtar -xpzf"
bench_pair "import zstd vs tar -I 'zstd -T0' -x" "$RUNS" "box import benchimp $B/a.tar.zst" \
	"tar $TO --xattrs-include='*' -I 'zstd -T0' -xpf $B/a.tar.zst -C $X" "mkdir -p $X" "$UNDO"
rates "box import (zstd)" "tar -I 'zstd -T0' -x"
box destroy --purge "$N" >/dev/null 2>&1
