#!/bin/bash
# Faults, as an operator's bad day brings them: kill -9 of box start, stop,
# create, import, export and of the supervisor at their commit points (an
# LD_PRELOAD shim, fault-shim.c, stops the process at a rename, link or
# mkdir) and at random points; full state, run and output folders (small
# tmpfs mounts); a supervisor's tail slower than a command waits for it
# (slow-shim.c); box ls and box stop racing a start and a dying init. After
# each: the command fails loudly or the next one finishes its work, box ls
# exits 0 and tells the truth, the next command works, and no cgroup,
# process, run folder, temporary or partial file is left.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/runtime-lib.sh"

W=$BOX_ROOT/work
S=$BOX_ROOT/var/lib/boxes
RUN=$BOX_ROOT/run/boxes
CONF=$BOX_ROOT/etc/boxes
mkdir -p "$W"
. "$(dirname "$0")/fault-lib.sh"
PHASE="the fault shim"
fault_shim_build
# every box of this test (supervisors too) has the shim; it acts only
# while $SPEC names a fault
export LD_PRELOAD=$SHIM BOX_FAULT_SPEC=$SPEC BOX_FAULT_FLAG=$FLAG

# Our tmpfs mounts are under $BOX_ROOT: lib.sh's cleanup unmounts them.
# t_tmpfs DIR SIZE: a small file system at DIR.
t_tmpfs() { mkdir -p "$1" && mount -t tmpfs -o "size=$2,mode=755" "t$T" "$1"; }
# fill DIR: writes until the file system is full.
fill() { dd if=/dev/zero of="$1/fill" bs=4k status=none 2>/dev/null; sync; }

# leftovers: temporaries and hidden half-made files anywhere in our root
leftovers() {
	find "$S" "$RUN" "$CONF" "$W/dump" -name '*.tmp.*' -o -name '.tmp-*' -o -name '.import-*' \
		-o -name '*.conf.import.*' -o -name '.*.tar.gz.*' 2>/dev/null | grep -v '/rootfs/' | sort
}

# sane NAME WHEN: box ls exits 0 and says NAME is STOPPED; the container
# starts and stops; then nothing of it is left (cgroup, run folder, processes).
sane() {
	local n=$1 when=$2 out rc
	out=$(box ls 2>&1); rc=$?
	check_eq "box ls exits 0 $when" 0 "$rc"
	check_match "box ls tells the truth: $n STOPPED $when" "^$n +STOPPED" "$out"
	check "the next start works $when" box start "$n"
	check "... and the stop $when" box stop --kill "$n"
	rt_settle "$n"
	check_eq "no cgroup left $when" "" "$(rt_cgroups "$n")"
	check_eq "no veth left on the bridge $when" "" "$(ip -o link show master "$BR" 2>/dev/null)"
	check "no run folder left $when" test ! -e "$RUN/$n"
	check_eq "no temporary left $when" "" "$(leftovers)"
}

# reset NAME...: after a phase's checks, removes by force what a bug left
# (a stale run folder or temporary breaks every later box ls), so that each
# phase stands alone and one bug fails its own checks only.
reset() {
	local n p
	for n; do
		box stop --kill "$n" >/dev/null 2>&1
		for p in "$RUN/$n"/*.pid; do [ -f "$p" ] && kill -9 "$(cat "$p")" 2>/dev/null; done
		rm -rf "$RUN/$n"
	done
	leftovers | while read -r p; do rm -rf "$p"; done
}

# C has a veth on a bridge (what a killed supervisor leaves includes its
# host end); XC, without a network, is exported and imported again
C=$T-f
BR=br$T
t_netdev "$BR"
NET=$(t_subnet) || { fail "a subnet of our own (t_subnet)"; t_stop; }
cat >"$CONF/boxes.conf" <<EOF
bridge $BR {
  address = $NET.1/24
}
EOF
rt_config "$C" "network eth0 {
  bridge = $BR
  address = $NET.2/24
}"
XC=$T-e
rt_config "$XC"
TPL=$(sed -n 's/^template *= *//p' "$CONF/$C.conf")
TPLPATH=$S/templates/$TPL

PHASE="2: supervisor killed while it replaces its state"
check "start" box start "$C"
if at renameat2 "$C/state.tmp." box stop "$C"; then
	kill9
	check_eq "the stop of a container whose supervisor was killed under it succeeds" 0 "$BGRC"
	sane "$C" "after a kill -9 of the supervisor writing its state"
else
	fail "the supervisor stopped at its state write" "$(cat "$OUT")"
fi
# the same, a start's first state write: the stale temporary, no state file
if at rename "$C/state.tmp." box start "$C"; then
	kill9
	check_eq "the start whose supervisor was killed fails" 1 "$BGRC"
	sane "$C" "after a kill -9 of the supervisor at its first state write"
else
	fail "the supervisor stopped at its first state write" "$(cat "$OUT")"
fi

reset "$C"

PHASE="4: box ls while a start is between making the run folder and locking it"
if at mkdir "run/boxes/$C:after" box start "$C"; then
	check "box ls meanwhile" box ls
	kill -CONT "$STOPPED"
	wait "$BG"
	check_eq "the start goes on and succeeds" 0 "$?"
	check_match "... it runs" "^$C +RUNNING" "$(box ls)"
	check "stop" box stop --kill "$C"
else
	fail "the start stopped after making its run folder" "$(cat "$OUT")"
fi
if at mkdir "run/boxes/$C:after" box start "$C"; then
	kill9
	sane "$C" "after a kill -9 of box start after its mkdir"
else
	fail "the start stopped after making its run folder (2)" "$(cat "$OUT")"
fi

reset "$C"

PHASE="5: box stop while the supervisor handles init's exit"
check "start" box start "$C"
spid=$(cat "$RUN/$C/supervisor.pid")
ipid=$(cat "$RUN/$C/init.pid")
kill -STOP "$spid"
kill -9 "$ipid"
box stop "$C" >"$W/stop.out" 2>&1 &
sp=$!
# connected and waiting for the answer: in poll (7) or ppoll (271)
check "box stop is waiting for the (stopped) supervisor" \
	rt_wait_for 20 sh -c "read n _ </proc/$sp/syscall && [ \$n = 7 -o \$n = 271 ]"
kill -CONT "$spid"
wait "$sp"
rc=$?
check_eq "a stop that came while init exited succeeds" 0 "$rc"
check_eq "... without an error" "" "$(grep -i 'reset\|error\|cannot' "$W/stop.out")"
sane "$C" "after a stop racing init's exit"

PHASE="box stop racing a start"
# the supervisor held before its control socket exists, then after
for point in "$C/notify" "$C/root"; do
	if at mkdir "$point" box start "$C"; then
		box stop "$C" >"$W/stop.out" 2>&1 &
		sp=$!
		# waiting for the socket (nanosleep 35, clock_nanosleep 230) or
		# for the answer (poll 7, ppoll 271)
		check "box stop is waiting (${point#$C/})" rt_wait_for 20 sh -c \
			"read n _ </proc/$sp/syscall && case \$n in 7|271|35|230) ;; *) false ;; esac"
		kill -CONT "$STOPPED"
		wait "$BG"
		check_eq "a start held at mkdir ${point#$C/} succeeds" 0 "$?"
		wait "$sp"
		check_eq "... and the stop racing it too" 0 "$?"
		check_eq "... without an error" "" "$(cat "$W/stop.out")"
		sane "$C" "after a stop racing a start (mkdir ${point#$C/})"
	else
		fail "the supervisor stopped at mkdir $point" "$(cat "$OUT")"
	fi
	reset "$C"
done

reset "$C"

# The supervisor's tail: a stop is answered once every process of the
# container is dead and its network gone; the rootfs mount (an overlay's
# sync), cgroups and state go after, under the lock. The shim holds the
# supervisor in its tail; each command meanwhile tells the truth or waits
# for the lock, and a kill -9 there is finished by the next command. Both
# modes, on overlay (whose layers a start or snapshot must not take while
# the stopped one's superblock is still being shut down).
# waiting PID: PID waits in poll (7) or ppoll (271), for the tail's end
waiting() { rt_wait_for 20 sh -c "read n _ </proc/$1/syscall && [ \$n = 7 -o \$n = 271 ]"; }
for m in no yes; do
	n=$T-t$m
	PHASE="the supervisor's tail after a stop (unprivileged = $m)"
	t_config "$n" <<EOF
template = $TPLPATH
storage = overlay
unprivileged = $m
EOF
	check "create" box create "$n"
	check "start" box start "$n"
	spid=$(cat "$RUN/$n/supervisor.pid")
	if at_tail rmdir "$n/payload" box stop --kill "$n"; then
		check_eq "held in its tail: the supervisor" "$spid" "$STOPPED"
		wait "$BG"
		check_eq "box stop --kill has returned meanwhile, with success" "0: " "$?: $(cat "$OUT")"
		check "... without killing the supervisor" stopped "$spid"
		check_match "box ls says STOPPED" "^$n +STOPPED +- " "$(box ls 2>&1)"
		check_match "box info too" "State: +STOPPED" "$(box info "$n" 2>&1)"
		out=$(box stop "$n" 2>&1)
		check_eq "box stop: not running" "1 $n is not running" "$? $(echo "$out" | sed 's/^box: //')"
		box start "$n" >"$W/start.out" 2>&1 &
		sp=$!
		check "box start waits for the tail" waiting "$sp"
		kill -CONT "$spid"
		wait "$sp"
		check_eq "... then starts it" "0: " "$?: $(cat "$W/start.out")"
		check_match "... RUNNING" "^$n +RUNNING" "$(box ls 2>&1)"
	else
		fail "the supervisor stopped in its tail" "$(cat "$OUT")"
	fi
	if at_tail rmdir "$n/payload" box stop --kill "$n"; then
		wait "$BG"
		box snapshot "$n" s1 >"$W/snap.out" 2>&1 &
		sp=$!
		check "box snapshot waits for the tail" waiting "$sp"
		kill -CONT "$STOPPED"
		wait "$sp"
		check_eq "... then takes it" "0" "$?"
		check_match "... listed" "^s1 " "$(box snapshot "$n" --list 2>&1)"
		check "... and the container starts again" box start "$n"
	else
		fail "the supervisor stopped in its tail (2)" "$(cat "$OUT")"
	fi
	# kill -9 in the tail, before the cgroups and after the state went
	for point in "rmdir $n/payload" "unlink $n/state:after"; do
		if at_tail "${point%% *}" "${point#* }" box stop --kill "$n"; then
			wait "$BG"
			check_eq "box stop --kill returned (tail held at ${point%% *})" 0 "$?"
			kill9
			sane "$n" "after a kill -9 of the supervisor in its tail (${point%% *})"
			check "start" box start "$n"
		else
			fail "the supervisor stopped in its tail at $point" "$(cat "$OUT")"
		fi
	done
	# an export mounts the layers too: not before the tail is done
	if at_tail rmdir "$n/payload" box stop --kill "$n"; then
		wait "$BG"
		box export "$n" -o "$W/tail.tar" --compress none >"$W/export.out" 2>&1 &
		sp=$!
		check "box export waits for the tail" waiting "$sp"
		kill -CONT "$STOPPED"
		wait "$sp"
		check_eq "... then exports it" "0" "$?"
		check_match "... all of it" "^\./sbin/init" "$(tar -tf "$W/tail.tar" 2>&1)"
		rm -f "$W/tail.tar"
		check "... and the container starts again" box start "$n"
	else
		fail "the supervisor stopped in its tail (export)" "$(cat "$OUT")"
	fi
	if at_tail rmdir "$n/payload" box stop --kill "$n"; then
		wait "$BG"
		box destroy "$n" >"$W/destroy.out" 2>&1 &
		sp=$!
		check "box destroy waits for the tail" waiting "$sp"
		kill -CONT "$STOPPED"
		wait "$sp"
		check_eq "... then destroys it" "0: box: $n: destroyed" "$?: $(cat "$W/destroy.out")"
		check "... its state folder is gone" test ! -e "$S/$n"
		rt_settle "$n"
		check "... its run folder too" test ! -e "$RUN/$n"
	else
		fail "the supervisor stopped in its tail (3)" "$(cat "$OUT")"
	fi
	reset "$n"
done

# A tail that does not end: the kernel's sync of an overlay's upper file
# system in the close that drops the rootfs mount (slow-shim.c holds that
# close, asleep as it would be on a slow disk). A command that needs the
# lock waits 60 s for it, then gives up saying why and what to do; once
# the tail is done, it works.
PHASE="a tail slower than 60 s (the rootfs's sync)"
SLOW=$W/slow-shim.so
check "the slow shim builds" cc -shared -fPIC -O2 -o "$SLOW" "$TOP/tests/integration/slow-shim.c" -ldl
n=$T-slow
printf 'template = %s\nstorage = overlay\n' "$TPLPATH" | t_config "$n"
check "create" box create "$n"
rm -f "$W/slow.arm" "$W/slow.pid"
check "start, with the slow shim" env LD_PRELOAD="$SHIM $SLOW" BOX_SLOW_ARM="$W/slow.arm" \
	BOX_SLOW_FLAG="$W/slow.pid" box start "$n"
spid=$(cat "$RUN/$n/supervisor.pid")
: >"$W/slow.arm"
check "stop" box stop --kill "$n"
rt_wait_for 20 test -s "$W/slow.pid"
rm -f "$W/slow.arm"
check_eq "the supervisor is in its tail, closing the rootfs mount" "$spid" "$(cat "$W/slow.pid" 2>&1)"
out=$(box start "$n" 2>&1)
check_eq "a start meanwhile gives up" 1 "$?"
check_match "... having said first (after a second) that it waits, and how long" \
	"^box: $n: waiting for its supervisor \(pid $spid\) to finish cleaning up after the stop .*up to 60 s" "$out"
check_match "... after 60 s, saying why and what to do, in one sentence (no errno text after it)" \
	"^box: $n: its supervisor \(pid $spid\) is still cleaning up after the stop 60 s later \(syncing its filesystem\?\): try again$" \
	"$out"
check "... the supervisor still there, in its tail" kill -0 "$spid"
rm -f "$W/slow.pid"
rt_wait_for 20 rt_dead "$spid"
check "once the tail is done, the start works" box start "$n"
check_match "... RUNNING" "^$n +RUNNING" "$(box ls 2>&1)"
check "stop" box stop --kill "$n"
reset "$n"

PHASE="3: a full run folder"
FR=$W/fullrun
t_tmpfs "$FR" 64k
fill "$FR"
out=$(BOX_RUN_DIR=$FR box start "$C" 2>&1)
rc=$?
check_eq "box start with a full run folder fails" 1 "$rc"
check_match "... saying why" "state.*No space left" "$out"
out=$(BOX_RUN_DIR=$FR box ls 2>&1)
check_match "... box ls says STOPPED" "^$C +STOPPED" "$out"
check_eq "... no cgroup left" "" "$(rt_cgroups "$C")"
check_eq "... no state file left" "" "$(ls "$FR/$C" 2>/dev/null | grep -v '^lock$')"
rm -f "$FR/fill"
check "with room again it starts" env BOX_RUN_DIR="$FR" box start "$C"
check "... and stops" env BOX_RUN_DIR="$FR" box stop --kill "$C"
BOX_RUN_DIR=$FR box stop --kill "$C" >/dev/null 2>&1
umount "$FR"

reset "$C"

PHASE="1: a full state folder"
FS=$W/fullstate
t_tmpfs "$FS" 8m
mkdir -p "$W/big/sbin" "$W/big/data"
head -c 20M /dev/urandom >"$W/big/data/blob"
tar -czf "$W/big.tar.gz" -C "$W/big" .
out=$(BOX_STATE_DIR=$FS box import "$T-big" "$W/big.tar.gz" 2>&1)
rc=$?
check_eq "import into a full state folder fails" 1 "$rc"
check_match "... saying why" "No space left" "$out"
check_eq "... and leaves nothing" "" "$(ls -A "$FS" | grep -v '^templates$'; ls "$CONF" | grep "$T-big")"
rm -f "$CONF/$T-big.conf"
umount "$FS"
t_tmpfs "$FS" 1m
t_config "$T-ov" <<EOF
template = $TPLPATH
storage = overlay
EOF
out=$(BOX_STATE_DIR=$FS box create "$T-ov" 2>&1)
rc=$?
check_eq "an overlay create into a full state folder fails" 1 "$rc"
check_match "... saying why" "No space left" "$out"
check_eq "... and leaves no cache entry" "" "$(ls -A "$FS/templates/.cache" 2>/dev/null | grep -v '^\.stat-')"
check_eq "... nor a container" "" "$(ls -A "$FS" | grep -v '^templates$')"
umount "$FS"
rm -f "$CONF/$T-ov.conf"

reset "$T-big" "$T-ov"

PHASE="1: a bad template cache entry is built again"
t_config "$T-ov1" <<EOF
template = $TPL
storage = overlay
EOF
check "an overlay create" box create "$T-ov1"
key=$(sha256sum "$TPLPATH" | cut -c1-64)
E=$S/templates/.cache/$key
# what a full disk left before entries were checked: cut short, no stamp
if [ -f "$E/bin/busybox" ]; then
	size=$(stat -c %s "$E/bin/busybox")
	check "destroy" box destroy "$T-ov1"
	truncate -s 4096 "$E/bin/busybox"
	rm -f "$S/templates/.cache/.ok-$key"
	out=$(box create "$T-ov1" 2>&1)
	check "a create over the bad entry works" test $? -eq 0
	check_match "... saying it built it again" "not whole.*building it again" "$out"
	check_eq "... the entry is whole again" "$size" "$(stat -c %s "$E/bin/busybox")"
	check "... and the container runs" box start "$T-ov1"
	check_eq "... busybox works inside" "ok" "$(box attach "$T-ov1" -- echo ok 2>&1)"
	check "stop" box stop --kill "$T-ov1"
else
	fail "the cache entry has bin/busybox" "$(ls "$E" 2>&1)"
fi

reset "$T-ov1"

PHASE="8: an overlay create killed while it writes the template-hash memo"
rm -f "$S/templates/.cache/.stat-"*
check "destroy" box destroy "$T-ov1"
if at rename "/.stat-" box create "$T-ov1"; then
	kill9
	check "a memo temporary is there" test -n "$(ls -A "$S/templates/.cache" | grep '^\.stat-.*\.tmp\.')"
	box destroy "$T-ov1" >/dev/null 2>&1
	check "the next create works" box create "$T-ov1"
	check_eq "... and removed it" "" "$(ls -A "$S/templates/.cache" | grep '\.tmp\.')"
	sane "$T-ov1" "after a kill -9 of an overlay create writing its memo"
else
	fail "the create stopped at its memo" "$(cat "$OUT")"
fi

PHASE="create killed at its commit points"
# a new template (trailing bytes: another hash, the same tree): a cache fill
cp "$TPLPATH" "$W/fresh.tar.gz"
echo fresh >>"$W/fresh.tar.gz"
for spec in "overlay rename .ok-" "overlay renameat2 .tmp-" "overlay renameat layers.tmp." "dir renameat2 rootfs.tmp."; do
	set -- $spec
	n=$T-k-$1
	printf 'template = %s\nstorage = %s\n' "$W/fresh.tar.gz" "$1" | t_config "$n"
	if at "$2" "$3" box create "$n"; then
		kill9
		check "$1 create killed at its rename of $3: the next create works" box create "$n"
		sane "$n" "after a kill -9 of a $1 create at its rename of $3"
	else
		fail "the $1 create stopped at its rename of $3" "$(cat "$OUT")"
	fi
	reset "$n"
	box destroy --purge "$n" >/dev/null 2>&1
	# the next round fills the cache again
	rm -rf "$S/templates/.cache/$(sha256sum "$W/fresh.tar.gz" | cut -c1-64)" "$S/templates/.cache/.ok-"* \
		"$S/templates/.cache/.stat-"*
done

reset "$T-ov1"

PHASE="7: box export -o FILE killed before its final rename"
mkdir -p "$W/dump"
X=$W/dump/c.tar.gz
check "an export" box export "$XC" -o "$X"
if at renameat ".c.tar.gz." box export "$XC" -o "$X"; then
	kill9
	check "the earlier export is intact" tar -tzf "$X"
	check "a hidden temporary is there" test -n "$(ls -A "$W/dump" | grep '^\.c\.tar\.gz\.')"
	check "the next export works" box export "$XC" -o "$X"
	check_eq "... and removed it" "c.tar.gz" "$(ls -A "$W/dump")"
else
	fail "the export stopped at its rename" "$(cat "$OUT")"
fi
# a stopped container is held for the whole export: stopped at its rename,
# it has read the tree and still holds the lock; no start, destroy or
# rollback meanwhile, each refused with what to do
check "a snapshot to roll back to" box snapshot "$XC" s0
if at renameat ".c.tar.gz." box export "$XC" -o "$X"; then
	out=$(box start "$XC" 2>&1)
	check_eq "box start during an export fails" 1 "$?"
	held="$XC is locked \(export, by pid $STOPPED\): try again"
	check_match "... saying the export holds it" "$held" "$out"
	check_match "... and it stays STOPPED, the export its LOCK" "^$XC +STOPPED .* export\$" "$(box ls 2>&1)"
	out=$(box destroy "$XC" 2>&1)
	check_eq "box destroy during an export fails" 1 "$?"
	check_match "... saying the export holds it" "$held" "$out"
	out=$(box rollback "$XC" s0 2>&1)
	check_eq "box rollback during an export fails" 1 "$?"
	check_match "... saying the export holds it" "$held" "$out"
	kill -CONT "$STOPPED"
	wait "$BG"
	check_eq "the export then ends well" "0" "$?"
	check "... a whole archive" tar -tzf "$X"
	check "... and the container starts" box start "$XC"
	check "... and stops" box stop --kill "$XC"
else
	fail "the export stopped at its rename (2)" "$(cat "$OUT")"
fi
box snapshot "$XC" --delete s0 >/dev/null 2>&1
FO=$W/fullout
t_tmpfs "$FO" 256k
out=$(box export "$XC" -o "$FO/c.tar.gz" 2>&1)
rc=$?
check_eq "an export into a full folder fails" 1 "$rc"
check_match "... saying why" "No space left" "$out"
check_eq "... and leaves no file, whole or partial" "" "$(ls -A "$FO")"
umount "$FO"

reset "$XC"

PHASE="6: box import killed at its commit"
I=$T-imp
if at renameat2 ".import-$I.:after" box import "$I" "$X"; then
	kill9
	out=$(box ls 2>&1)
	check_eq "box ls exits 0 after an import killed between its renames" 0 $?
	check_match "... and lists the imported container (the commit finished)" "^$I +STOPPED" "$out"
	check "... with its config" test -f "$CONF/$I.conf"
	sane "$I" "after a kill -9 of an import between its renames"
else
	fail "the import stopped at its rootfs rename" "$(cat "$OUT")"
fi
I2=$T-imp2
if at renameat2 ".import-$I2." box import "$I2" "$X"; then
	kill9
	out=$(box ls 2>&1)
	check "box ls exits 0 after an import killed before its renames" test $? -eq 0
	check_fail "... and does not list the container" grep -q "^$I2 " <<<"$out"
	check "the next import of the name works" box import "$I2" "$X"
	sane "$I2" "after a kill -9 of an import before its renames"
else
	fail "the import stopped before its rootfs rename" "$(cat "$OUT")"
fi

reset "$I" "$I2"

PHASE="kill -9 at random points"
# killed D seconds after it began: CMD...
kill_after() {
	local d=$1 p
	shift
	"$@" >/dev/null 2>&1 &
	p=$!
	sleep "$d"
	kill -9 $p 2>/dev/null
	wait $p 2>/dev/null
}
RI=$T-ri
# not a timed assertion: the delays only spread the kills over the commands
for d in 0.01 0.03 0.06 0.1 0.2; do
	kill_after $d box start "$C"
	kill_after $d box stop --kill "$C"
	box stop --kill "$C" >/dev/null 2>&1
	box destroy "$T-ov1" >/dev/null 2>&1
	kill_after $d box create "$T-ov1"
	kill_after $d box export "$XC" -o "$W/dump/r.tar.gz"
	box ls >/dev/null 2>&1 # finishes an import killed between its renames
	box destroy --purge "$RI" >/dev/null 2>&1
	kill_after $d box import "$RI" "$X"
done
box destroy "$T-ov1" >/dev/null 2>&1
check "a create after the killed ones works" box create "$T-ov1"
check "an export after the killed ones works" box export "$XC" -o "$W/dump/r.tar.gz"
check_eq "... and no hidden temporary is left by them" "c.tar.gz r.tar.gz" "$(ls -A "$W/dump" | sort | xargs)"
box ls >/dev/null 2>&1
box destroy --purge "$RI" >/dev/null 2>&1
check "an import after the killed ones works" box import "$RI" "$X"
sane "$C" "after kills at random points"
sane "$T-ov1" "after kills of creates at random points"
sane "$RI" "after kills of imports at random points"

reset "$C" "$T-ov1"

PHASE="box ls racing starts"
for i in 1 2 3 4 5 6; do rt_config "$T-r$i"; done
(for ((i = 0; i < 400; i++)); do box ls >/dev/null 2>&1; done) &
lsp=$!
pids=()
for i in 1 2 3 4 5 6; do
	box start "$T-r$i" >"$W/r$i" 2>&1 &
	pids+=($!)
done
for p in "${pids[@]}"; do wait "$p"; done
wait "$lsp"
fails=0
for i in 1 2 3 4 5 6; do
	if ! box ls | grep -qE "^$T-r$i +RUNNING"; then
		fails=$((fails + 1))
		sed "s/^/# /" "$W/r$i"
	fi
done
check_eq "6 starts racing a box ls loop all run" 0 "$fails"
for i in 1 2 3 4 5 6; do box stop --kill "$T-r$i" >/dev/null 2>&1; done
check_eq "... and stop, leaving no run folder" "" "$(ls "$RUN" 2>/dev/null | grep "$T-r")"
t_done
