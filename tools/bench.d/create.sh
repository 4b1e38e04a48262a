# box create with each backend against extracting the same template with
# GNU tar and bsdtar, interleaved in one run. Sourced by tools/bench
# (bench-lib.sh loaded, $TOP set).
#
#   dir      box create (storage = dir)    vs  tar xzf  / bsdtar -xzf into a new folder
#   overlay  box create, cache warm        vs  bsdtar -xzf (what a per-container copy costs)
#   btrfs    box create, cache warm        vs  bsdtar -xzf, both on a loop-mounted btrfs
#   dir on a tmpfs and on the btrfs too: the cost without the disk, and on btrfs
#   and once each: the first overlay create (hash + extraction into the cache).
#
# The state folder and the tar targets are on $BENCH_TMP's filesystem (ext4
# /tmp here) for dir and overlay, on a btrfs image made here for btrfs. Every
# run is followed (untimed) by box destroy / rm -rf and a sync, so that each
# starts with nothing dirty (anchors/RESULTS.md P14: writeback of the previous
# run's deletions otherwise lands in the next one).
#
# Template: $BENCH_TEMPLATE, else the Debian template the tests built
# (/var/cache/boxes-test/debian-*.tar.gz), else the busybox one built here.
# Packages: tar, libarchive-tools (bsdtar), btrfs-progs (mkfs.btrfs), util-linux.
CR_RUNS=${BENCH_RUNS:-10}
CB=$BENCH_TMP/create
export BOX_ROOT=$CB/boxes
unset BOX_CONFIG_DIR BOX_STATE_DIR BOX_RUN_DIR BOX_LOG_DIR
command -v bsdtar >/dev/null || { echo "create: bsdtar is not installed (libarchive-tools), skipping"; return 0; }

cr_loop=""
cr_cleanup() {
	for n in crdir crov crbt crovcold; do
		box destroy "$n" >/dev/null 2>&1
		BOX_STATE_DIR=$CB/bt/state box destroy "$n" >/dev/null 2>&1
	done
	mountpoint -q "$CB/bt" && umount "$CB/bt"
	mountpoint -q "$CB/tmpfs" && umount "$CB/tmpfs"
	[ -n "$cr_loop" ] && losetup -d "$cr_loop" 2>/dev/null
	rm -rf "$CB"
}
trap cr_cleanup RETURN
rm -rf "$CB"
bench_box_root "$BOX_ROOT"
mkdir -p "$CB/x"

TPL=${BENCH_TEMPLATE:-$(ls -t /var/cache/boxes-test/debian-*.tar.gz 2>/dev/null | grep -v /debian-docker- | head -1)}
if [ -z "$TPL" ]; then
	TPL=$CB/busybox.tar.gz
	"$TOP/templates/busybox" "$TPL" >/dev/null || { echo "create: cannot build the busybox template"; return 1; }
fi
cp "$TPL" "$BOX_ROOT/var/lib/boxes/templates/t.tar.gz"
T=$BOX_ROOT/var/lib/boxes/templates/t.tar.gz
tree_bytes=$(gzip -dc "$T" | wc -c)
entries=$(tar tzf "$T" | wc -l)
printf '%-34s %s: %s MB gzip, %s MB tar, %s entries; %s runs each\n' "template" "$(basename "$TPL")" \
	$(($(stat -c %s "$T") / 1000000)) $((tree_bytes / 1000000)) "$entries" "$CR_RUNS"
for n in crdir:dir crov:overlay crbt:btrfs crovcold:overlay; do
	printf 'template = t.tar.gz\nstorage = %s\n' "${n#*:}" >"$BOX_ROOT/etc/boxes/${n%%:*}.conf"
done
cat "$T" >/dev/null # page cache

TAR="tar --numeric-owner --xattrs --xattrs-include=* --acls -xpzf $T -C"
BSD="bsdtar --numeric-owner --xattrs --acls -xpzf $T -C"
X=$CB/x/t
UNDO_X="rm -rf $X; mkdir -p $X; sync"

# dir, on the state folder's filesystem
bench_pair "dir vs tar xzf" "$CR_RUNS" "box create crdir" "$TAR $X" \
	"box destroy crdir; $UNDO_X" "box destroy crdir; $UNDO_X"
bench_pair "dir vs bsdtar -xzf" "$CR_RUNS" "box create crdir" "$BSD $X" \
	"box destroy crdir; $UNDO_X" "box destroy crdir; $UNDO_X"

# overlay: the cache filled once (timed once, cold), then each create is a few folders
S=$BOX_ROOT/var/lib/boxes
rm -rf "$S/templates/.cache"
cold=$(bench_ms box create crovcold)
printf '%-34s boxes  %8s ms (SHA-256 of the tarball + extraction into the cache)\n' "overlay, first create" "$cold"
bench_pair "overlay (cache warm) vs bsdtar" "$CR_RUNS" "box create crov" "$BSD $X" \
	"box destroy crov; $UNDO_X" "box destroy crov; $UNDO_X"

# dir on a tmpfs: no disk, only what the extraction costs in CPU and syscalls
mkdir -p "$CB/tmpfs"
if mount -t tmpfs -o size=$((tree_bytes * 3 + (256 << 20))) tmpfs "$CB/tmpfs"; then
	TM=$CB/tmpfs
	mkdir -p "$TM/state/templates" "$TM/x"
	ln -s "$T" "$TM/state/templates/t.tar.gz"
	TX="BOX_STATE_DIR=$TM/state box"
	bench_pair "dir on tmpfs vs bsdtar on tmpfs" "$CR_RUNS" "$TX create crdir" "$BSD $TM/x/t" \
		"$TX destroy crdir; rm -rf $TM/x/t; mkdir -p $TM/x/t" "$TX destroy crdir; rm -rf $TM/x/t; mkdir -p $TM/x/t"
	bench_pair "dir on tmpfs vs tar xzf on tmpfs" "$CR_RUNS" "$TX create crdir" "$TAR $TM/x/t" \
		"$TX destroy crdir; rm -rf $TM/x/t; mkdir -p $TM/x/t" "$TX destroy crdir; rm -rf $TM/x/t; mkdir -p $TM/x/t"
	umount "$TM"
fi

# btrfs on an image of ours
img=$CB/btrfs.img
truncate -s $((tree_bytes * 4 + (512 << 20))) "$img"
if mkfs.btrfs -q "$img" >/dev/null 2>&1 && cr_loop=$(losetup -f --show "$img") && mkdir -p "$CB/bt" &&
	mount "$cr_loop" "$CB/bt"; then
	BT=$CB/bt
	mkdir -p "$BT/state/templates" "$BT/x"
	cp "$T" "$BT/state/templates/t.tar.gz"
	BX="BOX_STATE_DIR=$BT/state box"
	XB=$BT/x/t
	UNDO_XB="rm -rf $XB; mkdir -p $XB; sync"
	cold=$(bench_ms env BOX_STATE_DIR="$BT/state" box create crovcold)
	printf '%-34s boxes  %8s ms (cache subvolume: hash + extraction + read-only)\n' "btrfs, first create" "$cold"
	bench_pair "btrfs (snapshot) vs bsdtar" "$CR_RUNS" "$BX create crbt" \
		"bsdtar --numeric-owner --xattrs --acls -xpzf $BT/state/templates/t.tar.gz -C $XB" \
		"$BX destroy crbt; $UNDO_XB" "$BX destroy crbt; $UNDO_XB"
	bench_pair "dir on btrfs vs bsdtar on btrfs" "$CR_RUNS" "$BX create crdir" \
		"bsdtar --numeric-owner --xattrs --acls -xpzf $BT/state/templates/t.tar.gz -C $XB" \
		"$BX destroy crdir; $UNDO_XB" "$BX destroy crdir; $UNDO_XB"
else
	echo "create: no btrfs (mkfs.btrfs or a loop device failed): btrfs rows skipped"
fi
echo "goals: dir/bsdtar ratio <= 1.00; overlay and btrfs median < 10 ms"
