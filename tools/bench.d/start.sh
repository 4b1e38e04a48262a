# start/stop: boxes vs LXC 5 on the same busybox rootfs (own netns with lo
# only on both sides), interleaved in one run; and the supervisor's RSS vs
# LXC's monitor. Sourced by tools/bench (bench-lib.sh loaded).
#   box start X                 vs  lxc-start -d + lxc-wait -s RUNNING  (cold and warm)
#   and the kernel floor: unshare of every namespace + chroot + exec
#   box stop --kill X           vs  lxc-stop -k
#   box stop X (busybox: SIGPWR) vs lxc-stop      (BENCH_GRACEFUL runs, ~2 s each)
#   box start on overlay storage vs the same on dir (one template, both modes)
#   box stop --kill after 20 MB written inside, overlay vs dir, and the floor
#   of the sync an overlay's unmount does (20 MB written, sync -f)
# It ends with both ratios of every start row: boxes/LXC and boxes/floor
# (the issue's goals: <= 0.30 and <= 1.2), so that a reader sees on any
# machine how far each is; the unprivileged rows against a floor that makes
# a user namespace too.
command -v lxc-start >/dev/null || { echo "start: lxc is not installed, skipping"; return 0; }
B=$BENCH_TMP/start
export BOX_ROOT=$B/boxes
unset BOX_CONFIG_DIR BOX_STATE_DIR BOX_RUN_DIR BOX_LOG_DIR
LP=$B/lxc
N=benchbb
bench_box_root "$BOX_ROOT"
mkdir -p "$BOX_ROOT/var/lib/boxes/$N" "$LP/$N"

mk_rootfs() {
	local r=$1
	[ -x "$r/sbin/init" ] && return 0
	mkdir -p "$r"/{bin,sbin,etc/init.d,dev,proc,sys,run,tmp,root}
	cp /bin/busybox "$r/bin/busybox"
	for a in $(/bin/busybox --list-full); do
		mkdir -p "$r/$(dirname "$a")"
		[ -e "$r/$a" ] || ln -s /bin/busybox "$r/$a"
	done
	printf '::sysinit:/etc/init.d/rcS\n::shutdown:/bin/sync\n' >"$r/etc/inittab"
	printf '#!/bin/sh\nexit 0\n' >"$r/etc/init.d/rcS"
	chmod +x "$r/etc/init.d/rcS"
}
mk_rootfs "$BOX_ROOT/var/lib/boxes/$N/rootfs"
mk_rootfs "$LP/$N/rootfs"
# privileged against LXC's default, a privileged container
printf 'hostname = %s\nunprivileged = no\n' "$N" >"$BOX_ROOT/etc/boxes/$N.conf"
cat >"$LP/$N/config" <<CONF
lxc.uts.name = $N
lxc.rootfs.path = dir:$LP/$N/rootfs
lxc.init.cmd = /sbin/init
lxc.mount.auto = proc:mixed sys:ro
lxc.autodev = 1
lxc.pty.max = 16
lxc.net.0.type = empty
lxc.log.file = $LP/$N/lxc.log
lxc.log.level = ERROR
CONF

BS="box start $N"
BK="box stop --kill $N"
LS="lxc-start -P $LP -n $N -d && lxc-wait -P $LP -n $N -s RUNNING -t 10"
LK="lxc-stop -P $LP -n $N -k"
trap "$BK >/dev/null 2>&1; $LK >/dev/null 2>&1" RETURN

# cold: what a user sees, a start after a quiet while (the kernel's first cgroup
# move after one waits for an RCU grace period, anchors/RESULTS.md); warm:
# back to back, as a loop of starts would be
# the medians of a pair, kept for the summary: "LABEL BOXES ANCHOR FLOOR-KIND"
SUMMARY=()
median() { local s; s=$(bench_stats "$1"); echo "${s#* }"; }
keep() { SUMMARY+=("$1|$(median "$BENCH_A")|$(median "$BENCH_B")|$2"); }
bench_pair "start, cold (0.5 s quiet before)" "$BENCH_RUNS" "$BS" "$LS" \
	"$BK; $LK; sleep 0.5" "$BK; $LK"
keep "start, cold" priv
bench_pair "start, warm (back to back)" "$BENCH_RUNS" "$BS" "$LS" \
	"$BK; $LK" "$BK; $LK"
keep "start, warm" priv
# the kernel's own cost of what both do: every namespace, a chroot, an exec;
# and the same with a user namespace, the floor of an unprivileged start
fl="" flu=""
for ((i = 0; i < BENCH_RUNS; i++)); do
	sleep 0.5
	fl="$fl $(bench_ms unshare --fork --pid --mount --uts --ipc --net --cgroup --mount-proc chroot "$LP/$N/rootfs" /bin/true)"
	sleep 0.5
	flu="$flu $(bench_ms unshare --fork --user --map-root-user --pid --mount --uts --ipc --net --cgroup --mount-proc chroot "$LP/$N/rootfs" /bin/true)"
done
printf '%-34s floor  min %8s ms  median %8s ms\n' "kernel floor (unshare + chroot)" $(bench_stats "$fl")
printf '%-34s floor  min %8s ms  median %8s ms\n' "the same with a user namespace" $(bench_stats "$flu")
FLOOR=$(median "$fl") FLOOR_U=$(median "$flu")
bench_pair "stop --kill" "$BENCH_RUNS" "$BK" "$LK" "$BS; $LS" "$BK; $LK"
# what each side pays before it does anything: the command's fork and exec
# (a stop's own work is the rest)
fl=""
for ((i = 0; i < BENCH_RUNS; i++)); do fl="$fl $(bench_ms box --version)"; done
printf '%-34s floor  min %8s ms  median %8s ms  (box --version: one exec)\n' "" $(bench_stats "$fl")
bench_pair "start + stop --kill cycle" "$BENCH_RUNS" "$BS && $BK" "$LS && $LK" "$BK; $LK" "true"
bench_pair "graceful stop (busybox, SIGPWR)" "${BENCH_GRACEFUL:-3}" "box stop $N" "lxc-stop -P $LP -n $N" \
	"$BS; $LS; sleep 0.3" "$BK; $LK"

# unprivileged, both on the same ids (65536 from 100000): boxes idmaps its
# rootfs at start (no chown, no copy); LXC gets a copy shifted once here, as
# lxc-usernsexec or a template would leave it
U=benchbu
mkdir -p "$BOX_ROOT/var/lib/boxes/$U" "$LP/$U"
mk_rootfs "$BOX_ROOT/var/lib/boxes/$U/rootfs"
echo 0 >"$BOX_ROOT/var/lib/boxes/$U/idshift"
printf 'hostname = %s\nunprivileged = yes\nidmap_base = 100000\n' "$U" >"$BOX_ROOT/etc/boxes/$U.conf"
[ -d "$LP/$U/rootfs" ] || { cp -a "$LP/$N/rootfs" "$LP/$U/rootfs" && chown -hR 100000:100000 "$LP/$U/rootfs"; }
chmod 755 "$LP" "$LP/$U"
sed -e "s/$N/$U/g" "$LP/$N/config" >"$LP/$U/config"
printf 'lxc.idmap = u 0 100000 65536\nlxc.idmap = g 0 100000 65536\n' >>"$LP/$U/config"
BU="box start $U"
BUK="box stop --kill $U"
LU="lxc-start -P $LP -n $U -d && lxc-wait -P $LP -n $U -s RUNNING -t 10"
LUK="lxc-stop -P $LP -n $U -k"
trap "$BK >/dev/null 2>&1; $LK >/dev/null 2>&1; $BUK >/dev/null 2>&1; $LUK >/dev/null 2>&1" RETURN
bench_pair "unprivileged start, cold" "$BENCH_RUNS" "$BU" "$LU" "$BUK; $LUK; sleep 0.5" "$BUK; $LUK"
keep "unprivileged start, cold" unpriv
bench_pair "unprivileged start, warm" "$BENCH_RUNS" "$BU" "$LU" "$BUK; $LUK" "$BUK; $LUK"
keep "unprivileged start, warm" unpriv
# the price of the user namespace: boxes unprivileged against boxes privileged
bench_pair "boxes unprivileged vs privileged" "$BENCH_RUNS" "$BU" "$BS" "$BUK; $BK" "$BUK; $BK"

# overlay storage against dir, one template made of the same tree, in both
# modes (unprivileged: idmap_base = auto, owners shifted at create on overlay)
tar -C "$BOX_ROOT/var/lib/boxes/$N/rootfs" -czf "$BOX_ROOT/var/lib/boxes/templates/bb.tar.gz" .
for k in ov:overlay dr:dir; do
	printf 'template = bb.tar.gz\nstorage = %s\nunprivileged = no\n' "${k#*:}" >"$BOX_ROOT/etc/boxes/bench${k%:*}.conf"
	printf 'template = bb.tar.gz\nstorage = %s\n' "${k#*:}" >"$BOX_ROOT/etc/boxes/bench${k%:*}u.conf"
	box create "bench${k%:*}" >/dev/null 2>&1 && box create "bench${k%:*}u" >/dev/null 2>&1 ||
		{ echo "start: box create on ${k#*:} failed" >&2; return 1; }
done
trap "$BK >/dev/null 2>&1; $LK >/dev/null 2>&1; $BUK >/dev/null 2>&1; $LUK >/dev/null 2>&1
	for c in benchov benchdr benchovu benchdru; do box stop --kill \$c >/dev/null 2>&1; done" RETURN
bench_pair "overlay vs dir start, cold" "$BENCH_RUNS" "box start benchov" "box start benchdr" \
	"box stop --kill benchov; box stop --kill benchdr; sleep 0.5" "box stop --kill benchov; box stop --kill benchdr"
keep "overlay start, cold (anchor: dir)" priv
bench_pair "the same, unprivileged" "$BENCH_RUNS" "box start benchovu" "box start benchdru" \
	"box stop --kill benchovu; box stop --kill benchdru; sleep 0.5" \
	"box stop --kill benchovu; box stop --kill benchdru"
keep "unprivileged overlay (anchor: dir)" unpriv

# an overlay's stop after its container wrote 20 MB: the unmount of the last
# reference to the overlay syncs the upper filesystem (ovl_sync_fs); the
# supervisor holds that reference and drops it after its answer, so the
# stop waits for the container's death only, the next start of it for the
# sync. Dir beside it (its dirty pages are the host's to write back), and the
# kernel's floor of that sync: 20 MB written on the same filesystem, sync -f.
W20="dd if=/dev/urandom of=/root/f bs=1M count=20"
bench_pair "stop --kill, 20 MB written: overlay vs dir" "$BENCH_RUNS" "box stop --kill benchov" \
	"box stop --kill benchdr" \
	"box start benchov; box start benchdr; box attach benchov -- $W20; box attach benchdr -- $W20" \
	"box stop --kill benchov; box stop --kill benchdr"
fl=""
for ((i = 0; i < BENCH_RUNS; i++)); do
	dd if=/dev/urandom of="$B/f20" bs=1M count=20 status=none
	fl="$fl $(bench_ms sync -f "$B/f20")"
done
printf '%-34s floor  min %8s ms  median %8s ms  (20 MB written, sync -f)\n' "" $(bench_stats "$fl")
rm -f "$B/f20"

echo "summary (medians of this run): boxes/anchor (goal <= 0.30 against LXC), boxes/floor (goal <= 1.2)"
for row in "${SUMMARY[@]}"; do
	IFS='|' read -r label a b kind <<<"$row"
	f=$FLOOR
	[ "$kind" = unpriv ] && f=$FLOOR_U
	awk -v l="$label" -v a="$a" -v b="$b" -v f="$f" -v k="$kind" 'BEGIN {
		if (a <= 0 || b <= 0 || f <= 0) exit
		printf "%-34s boxes %7.2f ms  boxes/anchor %.3g  boxes/floor%s %.3g\n", l, a, a / b, k == "unpriv" ? " (userns)" : "", a / f }'
done

# memory of the per-container process
eval "$BS" >/dev/null 2>&1; eval "$LS" >/dev/null 2>&1
sleep 0.5
sp=$(cat "$BOX_ROOT/run/boxes/$N/supervisor.pid")
ip=$(lxc-info -P "$LP" -n "$N" -p -H)
mp=$(ps -o ppid= -p "$ip" | tr -d ' ')
rss() { awk '/^VmRSS/{print $2}' "/proc/$1/status"; }
pss() { awk '/^Pss:/{print $2}' "/proc/$1/smaps_rollup"; }
printf '%-34s boxes  RSS %6s kB  PSS %6s kB\n' "supervisor vs LXC monitor" "$(rss "$sp")" "$(pss "$sp")"
printf '%-34s anchor RSS %6s kB  PSS %6s kB\n' "" "$(rss "$mp")" "$(pss "$mp")"
awk -v a="$(rss "$sp")" -v b="$(rss "$mp")" 'BEGIN { printf "%-34s ratio boxes/anchor (RSS) %.2f\n", "", a / b }'
