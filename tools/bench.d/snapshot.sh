# box snapshot and box clone on each backend, against the size of the tree:
# the Debian template's tree, then the same with nine more copies of its /usr
# (about 10x the bytes and files). Anchors, interleaved in one run:
#
#   dir      box clone          vs  cp -a --reflink=auto of the same rootfs
#   dir      box snapshot       vs  the same cp (a snapshot is a copy here)
#   btrfs    box snapshot/clone vs  btrfs subvolume snapshot (the floor)
#   overlay  box snapshot/clone vs  the floor of what it does: mkdir of a
#                                   layer's two folders and a sync of the
#                                   filesystem, in one exec (mkdir) + sync -f
#
# The overlay container is stopped: its upper layer becomes a shared lower
# under a fresh upper. A running one's upper is copied: its data while it
# runs, then frozen what changed since (then thawed, then the copy synced):
# "overlay live" rows, the freeze and the whole command against the upper's
# size (a fresh upper, then one with a copy of the Debian tree's usr/), vs
# the same all copied frozen (before the pre-copy) and cp -a of the upper.
# btrfs on a loop-mounted image made here; dir and overlay on $BENCH_TMP's
# filesystem. boxes syncs a copy before the rename that commits it (syncfs);
# the cp anchors do not. SN_SIZES="1x 10x" adds the 10x tree (minutes of
# copying on dir); SN_KINDS="btrfs overlay" leaves dir out. Sourced by tools/bench (bench-lib.sh loaded, $TOP set).
SN_RUNS=${BENCH_RUNS:-5}
SB=$BENCH_TMP/snapshot
export BOX_ROOT=$SB/boxes
unset BOX_CONFIG_DIR BOX_STATE_DIR BOX_RUN_DIR BOX_LOG_DIR
sn_loop=""
sn_cleanup() {
	box stop --kill snlv >/dev/null 2>&1
	for n in sndir snov snbt snlv; do
		for c in "$n" "$n-c"; do
			box destroy --purge "$c" >/dev/null 2>&1
			BOX_STATE_DIR=$SB/bt/state box destroy --purge "$c" >/dev/null 2>&1
		done
	done
	mountpoint -q "$SB/bt" && umount "$SB/bt"
	[ -n "$sn_loop" ] && losetup -d "$sn_loop" 2>/dev/null
	rm -rf "$SB"
}
trap sn_cleanup RETURN
rm -rf "$SB"
bench_box_root "$BOX_ROOT"
TPL=${BENCH_TEMPLATE:-$(ls -t /var/cache/boxes-test/debian-*.tar.gz 2>/dev/null | grep -v /debian-docker- | head -1)}
[ -n "$TPL" ] || { echo "snapshot: no Debian template (make check builds it), skipping"; return 0; }
cp "$TPL" "$BOX_ROOT/var/lib/boxes/templates/t.tar.gz"
mkdir -p "$SB/bt" "$SB/x"
truncate -s 8G "$SB/bt.img"
mkfs.btrfs -q "$SB/bt.img" >/dev/null && sn_loop=$(losetup -f --show "$SB/bt.img") && mount "$sn_loop" "$SB/bt" ||
	{ echo "snapshot: no btrfs image"; return 1; }
mkdir -p "$SB/bt/state/templates" && cp "$TPL" "$SB/bt/state/templates/t.tar.gz"

# sn_one LABEL STATE NAME ANCHOR: snapshot and clone of NAME, timed
sn_one() {
	local label=$1 n=$3 anchor=$4
	export BOX_STATE_DIR=$2
	bench_pair "$label snapshot" "$SN_RUNS" "box snapshot $n b" "$anchor" \
		"" "box snapshot $n --delete b; rm -rf $SB/x/a; btrfs subvolume delete $SB/bt/a >/dev/null 2>&1; sync"
	bench_pair "$label clone" "$SN_RUNS" "box clone $n $n-c" "$anchor" \
		"" "box destroy --purge $n-c; rm -rf $SB/x/a; btrfs subvolume delete $SB/bt/a >/dev/null 2>&1; sync"
	unset BOX_STATE_DIR
}

# sn_grow ROOT: nine more copies of usr/ in ROOT (untimed)
sn_grow() {
	local i
	for i in 1 2 3 4 5 6 7 8 9; do cp -a "$SB/usr-src" "$1/usr$i"; done
}

for n in sndir:dir snov:overlay snbt:btrfs; do
	printf 'template = t.tar.gz\nstorage = %s\n' "${n#*:}" >"$BOX_ROOT/etc/boxes/${n%%:*}.conf"
done
box create sndir >/dev/null 2>&1 && box create snov >/dev/null 2>&1 &&
	BOX_STATE_DIR=$SB/bt/state box create snbt >/dev/null 2>&1 || { echo "snapshot: box create failed"; return 1; }
S=$BOX_ROOT/var/lib/boxes
cp -a "$S/sndir/rootfs/usr" "$SB/usr-src"
echo "tree: $(du -sh "$S/sndir/rootfs" | cut -f1), $(find "$S/sndir/rootfs" | wc -l) entries; $SN_RUNS runs each; load $(cut -d' ' -f1-3 /proc/loadavg)"
for size in ${SN_SIZES:-1x}; do
	if [ "$size" = 10x ]; then
		case " ${SN_KINDS:-dir btrfs overlay} " in *" dir "*) sn_grow "$S/sndir/rootfs" ;; esac
		sn_grow "$SB/bt/state/snbt/rootfs"
		sn_grow "$S/.layers/$(sed -n 's/^upper //p' "$S/snov/layers")/diff"
		sync
		echo "tree 10x: $(du -sh "$SB/bt/state/snbt/rootfs" | cut -f1), $(find "$SB/bt/state/snbt/rootfs" | wc -l) entries; load $(cut -d' ' -f1-3 /proc/loadavg)"
	fi
	case " ${SN_KINDS:-dir btrfs overlay} " in *" dir "*)
		sn_one "dir $size" "$S" sndir "cp -a --reflink=auto $S/sndir/rootfs $SB/x/a" ;;
	esac
	case " ${SN_KINDS:-dir btrfs overlay} " in *" btrfs "*)
		sn_one "btrfs $size" "$SB/bt/state" snbt "btrfs subvolume snapshot $SB/bt/state/snbt/rootfs $SB/bt/a" ;;
	esac
	case " ${SN_KINDS:-dir btrfs overlay} " in *" overlay "*)
		sn_one "overlay $size" "$S" snov "mkdir -p $SB/x/a/diff $SB/x/a/work && sync -f $SB/x/a" ;;
	esac
done

# sn_live: a running overlay container snapshotted; its init a shell that
# sleeps (no boot to wait for), or with SN_LIVE_WRITER=1 one that rewrites a
# 1 MB file in a loop. Interleaved, each run: box snapshot (the upper's data
# pre-copied while it runs, then frozen for what changed since), the same
# of the container frozen first by box freeze (nothing to pre-copy then: the
# whole upper copied frozen, as before the pre-copy), cp -a --reflink=auto
# of the upper. The freeze: what box prints (cgroup freeze to thaw) and the
# BOX_TRACE marks "frozen" to "thawed" (the copy; for the frozen one, the
# freeze then is box freeze to box unfreeze around the whole snapshot).
sn_live() {
	local up size i t a b c held held0 win
	local init='exec sleep infinity'
	[ -n "${SN_LIVE_WRITER:-}" ] && init='while :; do dd if=/dev/zero of=/srv/w.tmp bs=64k count=16 2>/dev/null; mv /srv/w.tmp /srv/w; done'
	printf 'template = t.tar.gz\nstorage = overlay\ninit = /srv/idle\nunprivileged = no\n' >"$BOX_ROOT/etc/boxes/snlv.conf"
	box create snlv >/dev/null 2>&1 || { echo "snapshot: box create snlv failed"; return 1; }
	up=$S/.layers/$(sed -n 's/^upper //p' "$S/snlv/layers")/diff
	mkdir -p "$up/srv" && printf '#!/bin/sh\n%s\n' "$init" >"$up/srv/idle" && chmod 755 "$up/srv/idle"
	for size in fresh usr; do
		[ $size = usr ] && cp -a "$SB/usr-src" "$up/usr1" && sync
		box start snlv >/dev/null 2>&1 || { echo "snapshot: box start snlv failed"; return 1; }
		a="" b="" c="" held="" held0="" win=""
		for ((i = 0; i < SN_RUNS; i++)); do
			rm -f "$SB/tr"
			t=$(bench_ms bash -c "BOX_TRACE=$SB/tr box snapshot snlv b >$SB/out") && a="$a $t"
			held="$held $(sed -n 's/.*(frozen \([0-9]*\) ms).*/\1/p' "$SB/out")"
			win="$win $(awk '/snapshot: frozen/ { f = $1 } /snapshot: thawed/ { printf "%d", ($1 - f) * 1000 }' "$SB/tr")"
			box snapshot snlv --delete b >/dev/null 2>&1; sync
			rm -f "$SB/tr"
			box freeze snlv >/dev/null
			t=$(bench_ms bash -c "BOX_TRACE=$SB/tr box snapshot snlv b >$SB/out") && b="$b $t"
			box unfreeze snlv >/dev/null
			held0="$held0 $(awk '/snapshot: frozen/ { f = $1 } /snapshot: thawed/ { printf "%d", ($1 - f) * 1000 }' "$SB/tr")"
			box snapshot snlv --delete b >/dev/null 2>&1; sync
			t=$(bench_ms bash -c "cp -a --reflink=auto $up $SB/x/a") && c="$c $t"
			rm -rf "$SB/x/a"; sync
		done
		printf '%-34s upper %s, %s entries; load %s\n' "overlay live, upper $size" "$(du -sh "$up" | cut -f1)" \
			"$(find "$up" | wc -l)" "$(cut -d' ' -f1-3 /proc/loadavg)"
		printf '%-34s frozen min/median %s ms (marks %s); whole %s ms\n' "  pre-copy, then the delta" \
			"$(bench_stats "$held" | tr ' ' /)" "$(bench_stats "$win" | tr ' ' /)" "$(bench_stats "$a" | tr ' ' /)"
		printf '%-34s copy (marks) min/median %s ms; whole %s ms\n' "  box freeze first (before)" \
			"$(bench_stats "$held0" | tr ' ' /)" "$(bench_stats "$b" | tr ' ' /)"
		printf '%-34s %s ms\n' "  cp -a --reflink=auto, min/median" "$(bench_stats "$c" | tr ' ' /)"
		box stop --kill snlv >/dev/null 2>&1
	done
	box destroy --purge snlv >/dev/null 2>&1
}
case " ${SN_KINDS:-dir btrfs overlay} " in *" overlay "*) sn_live ;; esac
