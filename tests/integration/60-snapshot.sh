#!/bin/bash
# Snapshots, rollback and clones on every backend (dir, overlay, btrfs on a
# loop-mounted image): snapshot, change, rollback, every file kind as before;
# a snapshot of a running container while it writes; 20 snapshots and the
# middle ones deleted; a clone beside its source on one bridge with its own
# hostname, MAC and machine-id; the source destroyed under its clones; bad
# names, missing snapshots, taken names, a full disk, a killed snapshot.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/runtime-lib.sh"
. "$(dirname "$0")/export-lib.sh"

S=$BOX_ROOT/var/lib/boxes
W=$BOX_ROOT/work
mkdir -p "$W"
BR=br$T
TPL=$(t_template busybox) || exit 1
t_netdev "$BR"
cat >"$BOX_ROOT/etc/boxes/boxes.conf" <<EOF
cgroup_parent = boxes/$T
bridge $BR {
  address = 10.231.$((RANDOM % 200)).1/24
}
EOF
NET=$(sed -n 's/.*address = \(10\.231\.[0-9]*\)\.1\/24/\1/p' "$BOX_ROOT/etc/boxes/boxes.conf")

# mk NAME STORAGE [EXTRA]: a busybox container on the test bridge
mk() {
	t_config "$1" <<EOF
template = $TPL
hostname = $1-host
storage = $2
stop_timeout = 10
network eth0 {
  bridge = $BR
  address = $NET.$((10 + RANDOM % 200))/24
  hwaddr = 02:00:0a:00:00:$(printf %02x $((RANDOM % 200)))
}
${3:-}
EOF
}

# tree NAME: the host folder that holds what the container changed: the
# rootfs (dir, btrfs), the upper layer (overlay)
tree() {
	local d=${SD:-$S}/$1
	if [ -d "$d/overlay" ]; then echo "$d/overlay/upper"; else echo "$d/rootfs"; fi
}

# backend KIND STATEDIR: the whole round on one backend
backend() {
	local kind=$1 n=$T-$1 c=$T-$1-c out rc
	SD=${BOX_STATE_DIR:-$S}
	PHASE="$kind: create and fill"
	mk "$n" "$kind"
	check "$kind: create" box create "$n"
	local r; r=$(tree "$n")
	ex_fill "$r"
	echo one >"$r/root-gen"
	mkdir -p "$r/etc/ssh" && echo key >"$r/etc/ssh/ssh_host_ed25519_key" && echo pub >"$r/etc/ssh/ssh_host_ed25519_key.pub"
	echo 0123456789abcdef0123456789abcdef >"$r/etc/machine-id"
	cp -a "$r" "$W/ref-$kind"

	PHASE="$kind: snapshot, change, rollback"
	check "$kind: snapshot with a comment" box snapshot "$n" before --comment "before the upgrade"
	check_match "$kind: --list shows it with its comment" "^before +[0-9-]+ [0-9:]+ +[^ ]+ +before the upgrade" \
		"$(box snapshot "$n" --list)"
	check_match "$kind: --list --json" '"name": "before", "created": [0-9]+, "size": [0-9n].*"comment": "before the upgrade"' \
		"$(box snapshot "$n" --list --json | tr -d '\n')"
	rm -f "$r/srv/kinds/setuid" "$r/srv/kinds/hard2"
	echo changed >"$r/root-gen"
	echo new >"$r/new-file"
	chmod 700 "$r/srv"
	box set "$n" memory=64M >/dev/null
	check "$kind: rollback" box rollback "$n" before
	r=$(tree "$n")
	check_eq "$kind: the changes are gone" "" "$(ex_compare "$W/ref-$kind" "$r" 2>&1)"
	ex_check_kinds "$r/srv/kinds"
	check_eq "$kind: the config is the snapshot's" "" "$(grep '^memory' "$BOX_ROOT/etc/boxes/$n.conf")"
	check_match "$kind: the snapshot is still listed" "^before " "$(box snapshot "$n" --list)"
	check_eq "$kind: no temporary left in the state folder" "" \
		"$(find "$SD/$n" "$SD/$n/snapshots" -maxdepth 1 -name '*tmp*')"

	PHASE="$kind: a snapshot of a running container while it writes"
	check "$kind: start" box start "$n"
	# a writer of its own session (attach ends its own on exit); each value
	# renamed into place, so a frozen moment never shows half a file
	box attach "$n" -- sh -c 'setsid sh -c "i=0; while :; do i=\$((i+1)); echo \$i >/root/c.tmp; mv /root/c.tmp /root/counter; done" >/dev/null 2>&1 </dev/null &' </dev/null
	rt_wait_for 5 box attach "$n" -- test -s /root/counter
	out=$(box snapshot "$n" live 2>&1); rc=$?
	check_eq "$kind: snapshot of the running container exits 0" 0 "$rc"
	check_match "$kind: ... says it was frozen for it" "snapshot live \(frozen [0-9]+ ms\)" "$out"
	check_match "$kind: ... and it runs again, not frozen" "^$n +RUNNING" "$(box ls | grep "^$n ")"
	local a b
	a=$(box attach "$n" -- cat /root/counter); sleep 0.2; b=$(box attach "$n" -- cat /root/counter)
	check "$kind: ... the writer goes on" test "$b" -gt "$a"
	out=$(box rollback "$n" live 2>&1); rc=$?
	check_eq "$kind: rollback of a running container exits 1" 1 "$rc"
	check_match "$kind: ... saying what to do" "RUNNING.*box stop $n.*--stop" "$out"
	check "$kind: rollback --stop stops, rolls back and starts again" box rollback --stop "$n" live
	check_match "$kind: ... it runs" "^$n +RUNNING" "$(box ls | grep "^$n ")"
	check_match "$kind: ... with the counter of the snapshot" "^[0-9]+$" "$(box attach "$n" -- cat /root/counter)"

	PHASE="$kind: a clone beside its source"
	out=$(box clone "$n" "$c" 2>&1); rc=$?
	check_eq "$kind: clone of the running source exits 0" 0 "$rc"
	check_match "$kind: ... warns that the address was dropped" "eth0: .*address .*dropped.*--address eth0=" "$out"
	check_match "$kind: ... the source still runs" "^$n +RUNNING" "$(box ls | grep "^$n ")"
	local caddr=$NET.$((210 + RANDOM % 40))
	box destroy --purge "$c" >/dev/null 2>&1
	check "$kind: clone --address" box clone "$n" "$c" --address "eth0=$caddr/24"
	check_match "$kind: the clone's config has its own hostname" "^hostname += $c$" "$(cat "$BOX_ROOT/etc/boxes/$c.conf")"
	check_eq "$kind: ... no MAC of the source's" "" "$(grep hwaddr "$BOX_ROOT/etc/boxes/$c.conf")"
	check_match "$kind: ... the address given" "address += \{?\"?$caddr/24" "$(cat "$BOX_ROOT/etc/boxes/$c.conf")"
	check "$kind: the clone starts beside its source" box start "$c"
	check_eq "$kind: ... its own hostname inside" "$c" "$(box attach "$c" -- hostname)"
	local m1 m2
	m1=$(box attach "$n" -- cat /sys/class/net/eth0/address)
	m2=$(box attach "$c" -- cat /sys/class/net/eth0/address)
	check "$kind: ... its own MAC ($m2, source $m1)" test -n "$m2" -a "$m1" != "$m2"
	check_eq "$kind: ... machine-id emptied" "" "$(box attach "$c" -- cat /etc/machine-id)"
	check_eq "$kind: ... the source's kept" "0123456789abcdef0123456789abcdef" "$(box attach "$n" -- cat /etc/machine-id)"
	check_eq "$kind: ... no ssh host keys" "" "$(box attach "$c" -- ls /etc/ssh)"
	check "$kind: ... it reaches its source on the bridge" box attach "$c" -- ping -c1 -W2 \
		"$(sed -n 's/^ *address *= *\([0-9.]*\)\/24/\1/p' "$BOX_ROOT/etc/boxes/$n.conf")"
	box stop --kill "$c" >/dev/null
	box stop --kill "$n" >/dev/null

	PHASE="$kind: clone from a snapshot"
	check "$kind: clone --snapshot" box clone "$n" "$c-s" --snapshot before
	check_eq "$kind: ... has the snapshot's tree" "one" "$(cat "$(tree "$c-s")/root-gen")"

	PHASE="$kind: 20 snapshots, the middle ones deleted"
	for i in $(seq 1 20); do
		echo "$i" >"$(tree "$n")/root-gen"
		box snapshot "$n" "s$i" >/dev/null || fail "$kind: snapshot s$i"
	done
	for i in $(seq 6 15); do box snapshot "$n" --delete "s$i" >/dev/null || fail "$kind: delete s$i"; done
	check_eq "$kind: the others are listed, oldest first" "s1 s2 s3 s4 s5 s16 s17 s18 s19 s20" \
		"$(box snapshot "$n" --list | awk 'NR > 1 && $1 ~ /^s[0-9]/ {print $1}' | tr '\n' ' ' | sed 's/ $//')"
	local bad=""
	for i in 1 2 3 4 5 16 17 18 19 20; do
		box rollback "$n" "s$i" >/dev/null || bad="$bad s$i(rollback)"
		[ "$(cat "$(tree "$n")/root-gen")" = "$i" ] || bad="$bad s$i"
	done
	check_eq "$kind: each keeps its own tree" "" "$bad"

	PHASE="$kind: bad input"
	out=$(box snapshot "$n" s1 2>&1); rc=$?
	check_eq "$kind: a taken snapshot name exits 1" 1 "$rc"
	check_match "$kind: ... saying so" "has a snapshot s1 already" "$out"
	out=$(box snapshot "$n" '../x' 2>&1); rc=$?
	check_eq "$kind: a bad snapshot name exits 2" 2 "$rc"
	check_match "$kind: ... saying what a name may be" "not a snapshot name" "$out"
	out=$(box rollback "$n" nosuch 2>&1); rc=$?
	check_eq "$kind: rollback to a missing snapshot exits 1" 1 "$rc"
	check_match "$kind: ... saying so" "has no snapshot nosuch" "$out"
	out=$(box clone "$n" "$c" 2>&1); rc=$?
	check_eq "$kind: a clone onto an existing name exits 1" 1 "$rc"
	check_match "$kind: ... saying so" "$c has a config already" "$out"
	out=$(box snapshot "$n" --delete nosuch 2>&1); rc=$?
	check_eq "$kind: deleting a missing snapshot exits 1" 1 "$rc"
	mkdir "$SD/$n/snapshots/.tmp-killed.99999"
	check_eq "$kind: a killed snapshot's leftover is not listed" "" "$(box snapshot "$n" --list | grep killed)"
	box snapshot "$n" after-kill >/dev/null
	check "$kind: ... and the next snapshot removes it" test ! -e "$SD/$n/snapshots/.tmp-killed.99999"

	PHASE="$kind: destroy of the source under its clones"
	check "$kind: destroy the source with its snapshots" box destroy "$n"
	check "$kind: ... its state is gone" test ! -e "$SD/$n"
	check "$kind: the clone still starts" box start "$c"
	check_eq "$kind: ... and has its files" "one" "$(box attach "$c" -- cat /root-gen 2>/dev/null || box attach "$c" -- cat /root/../root-gen)"
	box stop --kill "$c" >/dev/null
	box destroy "$c" >/dev/null
	box destroy "$c-s" >/dev/null
	unset SD
}

backend dir
backend overlay

PHASE="overlay, unprivileged: a clone gets an id range of its own"
# an overlay cannot be idmapped here: create shifts the owners to the
# container's range (its upper layer and a template cache entry of that
# range); the clone's copy must hold its own range, or it is refused at start
# as overlapping its source's
U=$T-uo
mk "$U" overlay "unprivileged = yes"
check "unprivileged overlay: create" box create "$U"
ub=$(cut -d' ' -f1 "$S/$U/idmap")
check_eq "... its owners shifted at create (idshift = its base)" "$ub" "$(cat "$S/$U/idshift")"
check "... start" box start "$U"
box attach "$U" -- sh -c 'mkdir -p /srv && echo x >/srv/owned && chown 1000:1001 /srv/owned'
check "... an ACL of a container user on a file" setfacl -m "u:$((ub + 1234)):r" "$S/$U/overlay/upper/srv/owned"
out=$(box clone "$U" "$U-c" --address "eth0=$NET.$((210 + RANDOM % 40))/24" 2>&1); rc=$?
check_eq "a clone of the running source exits 0" 0 "$rc"
[ "$rc" = 0 ] || printf '%s\n' "$out" | sed 's/^/#   /'
cb=$(cut -d' ' -f1 "$S/$U-c/idmap" 2>/dev/null)
check "the clone has a range of its own ($cb, source $ub)" test -n "$cb" -a "$cb" != "$ub"
check "... disjoint from the source's" test "$((cb >= ub + 65536 || cb + 65536 <= ub))" = 1
check_eq "... recorded as its shift" "$cb" "$(cat "$S/$U-c/idshift" 2>/dev/null)"
check_eq "... its layer's owners shifted to it" "$cb:$cb $((cb + 1000)):$((cb + 1001))" \
	"$(stat -c %u:%g "$S/$U-c/overlay/upper") $(stat -c %u:%g "$S/$U-c/overlay/upper/srv/owned")"
check_match "... ACL ids too" "user:$((cb + 1234)):r--" "$(getfacl -cn "$S/$U-c/overlay/upper/srv/owned" 2>/dev/null)"
check_match "... its lower layer the template shifted to it" "-u$cb-65536\$" "$(cat "$S/$U-c/overlay/lower")"
check_eq "... the source's layer untouched" "$((ub + 1000)):$((ub + 1001))" "$(stat -c %u:%g "$S/$U/overlay/upper/srv/owned")"
check "the clone starts beside its source" box start "$U-c"
check_eq "... its map is its range" "0 $cb 65536" "$(box attach "$U-c" -- cat /proc/self/uid_map | awk '{print $1, $2, $3}')"
check_eq "... owners inside as in the source" "1000 1001 0 0" \
	"$(box attach "$U-c" -- stat -c '%u %g' /srv/owned /bin/busybox | tr '\n' ' ' | sed 's/ $//')"
check_eq "... root inside owns /" "0" "$(box attach "$U-c" -- stat -c %u /)"
check "... root inside can write where it owns" box attach "$U-c" -- sh -c 'echo y >/etc/clone-wrote'
check_match "the source still runs" "^$U +RUNNING" "$(box ls | grep "^$U ")"
box stop --kill "$U-c" >/dev/null 2>&1
box stop --kill "$U" >/dev/null 2>&1
box destroy --purge "$U-c" >/dev/null 2>&1
box destroy --purge "$U" >/dev/null 2>&1

PHASE="btrfs on a loop-mounted image"
IMG=$W/btrfs.img
BT=$BOX_ROOT/btrfs
truncate -s 1G "$IMG"
if ! mkfs.btrfs -q "$IMG" >/dev/null 2>&1; then
	fail "btrfs: mkfs.btrfs failed"
elif ! loop=$(losetup -f --show "$IMG"); then
	fail "btrfs: no loop device"
else
	t_loop "$loop"
	mkdir -p "$BT"
	check "mount the btrfs image" mount "$loop" "$BT"
	export BOX_STATE_DIR=$BT/state
	mkdir -p "$BOX_STATE_DIR/templates"
	cp -L "$S/templates/$TPL" "$BOX_STATE_DIR/templates/"
	backend btrfs
	check_eq "btrfs: no subvolume left but the template cache" "" \
		"$(btrfs subvolume list "$BT" | grep -v 'path state/templates/.cache/')"
	unset BOX_STATE_DIR
	umount "$BT"
fi

PHASE="a full disk"
FULL=$BOX_ROOT/full
mkdir -p "$FULL"
check "mount a small tmpfs as the state folder" mount -t tmpfs -o size=12m tmpfs "$FULL"
export BOX_STATE_DIR=$FULL
mkdir -p "$FULL/templates"
cp -L "$S/templates/$TPL" "$FULL/templates/"
mk "$T-full" dir
check "full: create" box create "$T-full"
dd if=/dev/zero of="$FULL/$T-full/rootfs/fill" bs=1M count=5 status=none
out=$(box snapshot "$T-full" big 2>&1); rc=$?
check_eq "full: a snapshot that does not fit exits 1" 1 "$rc"
check_match "full: ... saying why" "No space left on device" "$out"
check_eq "full: ... nothing listed" "" "$(box snapshot "$T-full" --list | tail -n +2)"
check_eq "full: ... nothing left in the snapshots folder" "" "$(ls -A "$FULL/$T-full/snapshots")"
out=$(box clone "$T-full" "$T-full2" 2>&1); rc=$?
check_eq "full: a clone that does not fit exits 1" 1 "$rc"
check "full: ... no config written" test ! -e "$BOX_ROOT/etc/boxes/$T-full2.conf"
check_eq "full: ... no state left" "" "$(ls -A "$FULL" | grep "$T-full2")"
unset BOX_STATE_DIR
box destroy "$T-full" >/dev/null 2>&1
umount "$FULL"
t_done
