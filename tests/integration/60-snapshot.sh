#!/bin/bash
# Snapshots, rollback and clones on every backend (dir, overlay, btrfs on a
# loop-mounted image): snapshot, change, rollback, every file kind as before;
# a snapshot of a running container while it writes; 20 snapshots and the
# middle ones deleted; a clone beside its source on one bridge with its own
# hostname, MAC and machine-id; the source destroyed under its clones; bad
# names, missing snapshots, taken names, a full disk, a killed snapshot, a
# power cut right after a clone (dir on ext4, btrfs).
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/runtime-lib.sh"
. "$(dirname "$0")/export-lib.sh"

S=$BOX_ROOT/var/lib/boxes
W=$BOX_ROOT/work
mkdir -p "$W"
BR=br$T
TPL=$(t_template busybox) || exit 1
t_netdev "$BR"
NET=$(t_subnet) || { fail "a subnet of our own (t_subnet)"; t_stop; }
cat >"$BOX_ROOT/etc/boxes/boxes.conf" <<EOF
cgroup_parent = boxes/$T
bridge $BR {
  address = $NET.1/24
}
EOF

# mk NAME STORAGE [EXTRA]: a busybox container on the test bridge, with an
# address and a MAC no other container of this test has (counted, not drawn
# at random: two of a few draws from 200 clashed once in 20 runs)
MK_N=0
mk() {
	MK_N=$((MK_N + 1))
	t_config "$1" <<EOF
template = $TPL
hostname = $1-host
storage = $2
stop_timeout = 10
network eth0 {
  bridge = $BR
  address = $NET.$((10 + MK_N))/24
  hwaddr = 02:00:0a:00:00:$(printf %02x $((10 + MK_N)))
}
${3:-}
EOF
}

# tree NAME: the host folder that holds what the container changes: the
# rootfs (dir, btrfs), its upper layer (overlay, named by its layer record)
tree() {
	local st=${SD:-$S}
	if [ -f "$st/$1/layers" ]; then
		echo "$st/.layers/$(sed -n 's/^upper //p' "$st/$1/layers")/diff"
	else
		echo "$st/$1/rootfs"
	fi
}

# ovl_lowers RECORD: the lowerdir list of a layer record (upper included as
# the top lower: a read-only view)
ovl_lowers() {
	local st=${SD:-$S} l out=""
	for l in $(sed -n 's/^upper //p; s/^lower //p' "$1"); do out="$out$st/.layers/$l/diff:"; done
	echo "$out$st/templates/.cache/$(sed -n 's/^template //p' "$1")"
}

# tree_open NAME: $R is the container's whole tree as it sees it, to change
# or read by hand while it is stopped: the rootfs, or its overlay mounted on
# $W/m-NAME (tree_close unmounts it before boxes changes the chain)
tree_open() {
	local st=${SD:-$S} up
	R=$st/$1/rootfs
	[ -f "$st/$1/layers" ] || return 0
	R=$W/m-$1
	up=$st/.layers/$(sed -n 's/^upper //p' "$st/$1/layers")
	mkdir -p "$R"
	mount -t overlay overlay -o "lowerdir=$(sed 1d "$st/$1/layers" >"$W/rec"; ovl_lowers "$W/rec"),upperdir=$up/diff,workdir=$up/work" "$R" ||
		fail "mounting the overlay of $1 by hand"
}
tree_close() { if mountpoint -q "$R"; then umount "$R"; fi; }

# unnamed_layers: layers of the store that no record names (a leak)
unnamed_layers() {
	local st=${SD:-$S} l
	for l in $(ls "$st/.layers" 2>/dev/null); do
		grep -qs "^\(upper\|lower\) $l\$" "$st"/*/layers "$st"/*/snapshots/*/layers || echo "$l"
	done
}

# swap_attack NAME: the container's root exchanges, without end, plain files
# with links to a device node it made, while the host pre-copies its tree
# (a running container on a filesystem without reflinks): the host must
# never open the node (a watchdog's would arm the host's watchdog). Each
# snapshot is a few hundred chances of a few microseconds: up to 40 of
# them, until the helper sees the node opened.
swap_attack() {
	local n=$1 i opened=""
	PHASE="dir: a snapshot while the container swaps files for a device node"
	check "the static helper builds" gcc -static -O2 -o "$W/hostile" "$TOP/tests/integration/hostile.c"
	box attach "$n" -- sh -c 'cat >/root/hostile && chmod 755 /root/hostile && mkdir /root/swap' <"$W/hostile"
	box attach "$n" -- sh -c 'setsid /root/hostile swapdev /root/swap 200 </dev/null >/dev/null 2>&1 &' </dev/null
	check "the swapper runs" rt_wait_for 10 box attach "$n" -- test -s /root/swap/report
	for i in $(seq 40); do
		box snapshot "$n" swap >/dev/null 2>&1 || fail "snapshot $i while it swaps"
		box snapshot "$n" --delete swap >/dev/null 2>&1
		opened=$(box attach "$n" -- cat /root/swap/report)
		[ "$opened" = "opened 0" ] || break
	done
	check_eq "the host never opened the device node ($i snapshots)" "opened 0" "$opened"
	box attach "$n" -- sh -c 'touch /root/swap/stop; sleep 0.3; rm -rf /root/swap /root/hostile'
}

# backend KIND STATEDIR: the whole round on one backend
backend() {
	local kind=$1 n=$T-$1 c=$T-$1-c out rc
	SD=${BOX_STATE_DIR:-$S}
	PHASE="$kind: create and fill"
	mk "$n" "$kind"
	check "$kind: create" box create "$n"
	tree_open "$n"
	local r=$R
	ex_fill "$r"
	echo one >"$r/root-gen"
	mkdir -p "$r/etc/ssh" && echo key >"$r/etc/ssh/ssh_host_ed25519_key" && echo pub >"$r/etc/ssh/ssh_host_ed25519_key.pub"
	echo 0123456789abcdef0123456789abcdef >"$r/etc/machine-id"
	cp -a "$r" "$W/ref-$kind"
	tree_close

	PHASE="$kind: snapshot, change, rollback"
	check "$kind: snapshot with a comment" box snapshot "$n" before --comment "before the upgrade"
	check_match "$kind: --list shows it with its comment" "^before +[0-9-]+ [0-9:]+ +[^ ]+ +before the upgrade" \
		"$(box snapshot "$n" --list)"
	check_match "$kind: --list --json" '"name": "before", "created": [0-9]+, "size": [0-9n].*"comment": "before the upgrade"' \
		"$(box snapshot "$n" --list --json | tr -d '\n')"
	tree_open "$n"
	r=$R
	rm -f "$r/srv/kinds/setuid" "$r/srv/kinds/hard2"
	echo changed >"$r/root-gen"
	echo new >"$r/new-file"
	chmod 700 "$r/srv"
	tree_close
	box set "$n" memory=64M >/dev/null
	check "$kind: rollback" box rollback "$n" before
	tree_open "$n"
	r=$R
	check_eq "$kind: the changes are gone" "" "$(ex_compare "$W/ref-$kind" "$r" 2>&1)"
	ex_check_kinds "$r/srv/kinds"
	tree_close
	check_eq "$kind: the config is the snapshot's" "" "$(grep '^memory' "$BOX_ROOT/etc/boxes/$n.conf")"
	check_match "$kind: the snapshot is still listed" "^before " "$(box snapshot "$n" --list)"
	check_eq "$kind: no temporary left in the state folder" "" \
		"$(find "$SD/$n" "$SD/$n/snapshots" -maxdepth 1 -name '*tmp*')"

	PHASE="$kind: export of a snapshot"
	box set "$n" memory=96M >/dev/null
	tree_open "$n"
	echo later >"$R/root-gen"
	tree_close
	check "$kind: export --snapshot" box export "$n" --snapshot before -o "$W/snap-$kind.tar.gz"
	check_eq "$kind: ... the snapshot's tree, not the container's" "one" \
		"$(tar -xzOf "$W/snap-$kind.tar.gz" ./root-gen 2>/dev/null)"
	check_eq "$kind: ... the snapshot's config (no memory line)" "" \
		"$(tar -xzOf "$W/snap-$kind.tar.gz" ./etc/vzdump/pct.conf | grep -i '^memory: 96')"
	check "$kind: ... imports" box import "$n-i" "$W/snap-$kind.tar.gz"
	# an address of its own on the bridge (the import keeps the source's)
	sed -i -e "s/$NET\.[0-9]*\/24/$NET.251\/24/" -e "/hwaddr/d" "$BOX_ROOT/etc/boxes/$n-i.conf"
	check "$kind: ... and starts" box start "$n-i"
	check_eq "$kind: ... with the snapshot's files" "one" "$(box attach "$n-i" -- cat /root-gen)"
	box stop --kill "$n-i" >/dev/null
	box destroy --purge "$n-i" >/dev/null
	out=$(box export "$n" --snapshot nosuch -o "$W/nosuch.tar.gz" 2>&1); rc=$?
	check_eq "$kind: export of a missing snapshot exits 1" 1 "$rc"
	check_match "$kind: ... saying so" "has no snapshot nosuch" "$out"
	check "$kind: ... and writes nothing" test ! -e "$W/nosuch.tar.gz"
	check "$kind: rollback again" box rollback "$n" before

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

	[ "$kind" = dir ] && swap_attack "$n"

	PHASE="$kind: a clone beside its source"
	out=$(box clone "$n" "$c" 2>&1); rc=$?
	check_eq "$kind: clone of the running source exits 0" 0 "$rc"
	check_match "$kind: ... warns that the address was dropped" "eth0: .*address .*dropped.*--address eth0=" "$out"
	check_match "$kind: ... the source still runs" "^$n +RUNNING" "$(box ls | grep "^$n ")"
	MK_N=$((MK_N + 1))
	local caddr=$NET.$((130 + MK_N))
	box destroy --purge "$c" >/dev/null 2>&1
	check "$kind: clone --address" box clone "$n" "$c" --address "eth0=$caddr/24"
	# its identity edited on a volatile overlay (no syncfs of the whole
	# filesystem), then synced: the mark that would refuse the next mount gone
	[ "$kind" = overlay ] && check "$kind: ... no volatile mark left by its identity edit" \
		test ! -e "$S/.layers/$(sed -n 's/^upper //p' "$S/$c/layers")/work/work/incompat"
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
	tree_open "$c-s"
	check_eq "$kind: ... has the snapshot's tree" "one" "$(cat "$R/root-gen")"
	tree_close

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
		tree_open "$n"
		[ "$(cat "$R/root-gen")" = "$i" ] || bad="$bad s$i"
		tree_close
	done
	check_eq "$kind: each keeps its own tree" "" "$bad"
	if [ "$kind" = overlay ]; then
		check_eq "overlay: no layer nothing names" "" "$(unnamed_layers)"
		check_match "overlay: box info shows the chain, shared with snapshots" \
			"Storage: +overlay, [0-9]+ layers.*upper .*/\.layers/[0-9a-f]{16}/diff.*lower .*shared with $n@s20" \
			"$(box info "$n" | tr '\n' ' ')"
	fi

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
	check "$kind: the clone from a snapshot starts too" box start "$c-s"
	check_eq "$kind: ... with its files" "one" "$(box attach "$c-s" -- cat /root-gen)"
	box stop --kill "$c" >/dev/null
	box stop --kill "$c-s" >/dev/null
	tree_open "$c"
	ex_check_kinds "$R/srv/kinds"
	tree_close
	if [ "$kind" = overlay ]; then
		check_eq "overlay: no layer nothing names" "" "$(unnamed_layers)"
		check "overlay: the layers the clones share are kept" test -n "$(ls "$SD/.layers")"
	fi
	box destroy --purge "$c" >/dev/null
	box destroy --purge "$c-s" >/dev/null
	[ "$kind" = overlay ] && check_eq "overlay: the last destroy removes the last layers" "" "$(ls -A "$SD/.layers")"
	unset SD
}

backend dir
backend overlay

PHASE="overlay, unprivileged: a running clone gets an id range of its own"
# an overlay cannot be idmapped here: create shifts the owners to the
# container's range (its layers and a template cache entry of that range).
# The clone shares those layers as they are and gets a range of its own at
# clone time; its layers are idmapped from the source's range to it at start,
# or it would be refused at start as overlapping its source
U=$T-uo
mk "$U" overlay "unprivileged = yes"
check "unprivileged overlay: create" box create "$U"
ub=$(cut -d' ' -f1 "$S/$U/idmap")
check_eq "... its owners shifted at create (idshift = its base)" "$ub" "$(cat "$S/$U/idshift")"
check "... start" box start "$U"
box attach "$U" -- sh -c 'mkdir -p /srv && echo x >/srv/owned && chown 1000:1001 /srv/owned'
check "... an ACL of a container user on a file" setfacl -m "u:$((ub + 1234)):r" "$(tree "$U")/srv/owned"
out=$(box clone "$U" "$U-c" --address "eth0=$NET.$((130 + MK_N))/24" 2>&1); rc=$?
check_eq "a clone of the running source exits 0" 0 "$rc"
[ "$rc" = 0 ] || printf '%s\n' "$out" | sed 's/^/#   /'
cb=$(cut -d' ' -f1 "$S/$U-c/idmap" 2>/dev/null)
check "the clone has a range of its own at once ($cb, source $ub)" test -n "$cb" -a "$cb" != "$ub"
check "... disjoint from the source's" test "$((cb >= ub + 65536 || cb + 65536 <= ub))" = 1
check_eq "... its layers kept shifted for the source's (its idshift)" "$ub" "$(cat "$S/$U-c/idshift" 2>/dev/null)"
check_eq "... the same template layer as its source: no copy shifted to it" \
	"$(sed -n 's/^template //p' "$S/$U/layers")" "$(sed -n 's/^template //p' "$S/$U-c/layers" 2>/dev/null)"
check_eq "... the source's layer untouched" "$((ub + 1000)):$((ub + 1001))" "$(stat -c %u:%g "$(tree "$U")/srv/owned")"
check "the clone starts beside its source" box start "$U-c"
check_eq "... its map is its range" "0 $cb 65536" "$(box attach "$U-c" -- cat /proc/self/uid_map | awk '{print $1, $2, $3}')"
check_eq "... owners inside as in the source" "1000 1001 0 0" \
	"$(box attach "$U-c" -- stat -c '%u %g' /srv/owned /bin/busybox | tr '\n' ' ' | sed 's/ $//')"
# the host's view of the clone's root is its idmapped layers: ids of its range
cp=$(box info "$U-c" | sed -n 's/^PID: *\([0-9]*\).*/\1/p')
check_eq "... the host sees its owners in its range" "$((cb + 1000)):$((cb + 1001))" \
	"$(stat -c %u:%g "/proc/$cp/root/srv/owned" 2>&1)"
check_match "... ACL ids too" "user:$((cb + 1234)):r--" "$(getfacl -cn "/proc/$cp/root/srv/owned" 2>&1)"
check_eq "... root inside owns /" "0" "$(box attach "$U-c" -- stat -c %u /)"
check "... root inside can write where it owns" box attach "$U-c" -- sh -c 'echo y >/etc/clone-wrote'
check_match "the source still runs" "^$U +RUNNING" "$(box ls | grep "^$U ")"
box stop --kill "$U-c" >/dev/null 2>&1
box stop --kill "$U" >/dev/null 2>&1
box destroy --purge "$U-c" >/dev/null 2>&1
box destroy --purge "$U" >/dev/null 2>&1

# a process stopped at a commit point, then killed there (fault-lib.sh)
. "$(dirname "$0")/fault-lib.sh"

PHASE="overlay: kill -9 at each commit point"
fault_shim_build
K=$T-k
mk "$K" overlay
box create "$K" >/dev/null 2>&1
echo base >"$(tree "$K")/gen"
# killed_well WHAT: after a kill, nothing half-made listed, the container
# whole, and the next commands work
killed_well() {
	check_eq "$1: no half snapshot listed" "k0" "$(box snapshot "$K" --list | awk 'NR > 1 {print $1}' | tr '\n' ' ' | sed 's/ $//')"
	check_match "$1: box ls exits 0, $K stopped, no LOCK left" "^$K +STOPPED .* -\$" "$(box ls 2>&1 | grep "^$K ")"
	check "$1: the container starts" box start "$K"
	check_eq "$1: ... with its files" "base" "$(box attach "$K" -- cat /gen)"
	box stop --kill "$K" >/dev/null
	check "$1: the next snapshot works" box snapshot "$K" k1
	check "$1: ... and its delete" box snapshot "$K" --delete k1
	check_eq "$1: no layer nothing names, no temporary" "" \
		"$(unnamed_layers; find "$S/$K" "$S/.layers" -name '*.tmp.*' -o -name '.tmp-*')"
}
box snapshot "$K" k0 >/dev/null
for point in "renameat layers.tmp" "mkdirat work:after" "renameat layers.tmp:after" "renameat2 .tmp-k1"; do
	if at ${point% *} "${point#* }" box snapshot "$K" k1; then
		check_match "held: listed STOPPED, the snapshot its LOCK" "^$K +STOPPED .* snapshot\$" "$(box ls 2>&1)"
		kill9
		killed_well "snapshot killed at ${point% *} ${point#* }"
	else
		fail "the snapshot did not reach ${point% *} ${point#* }" "$(cat "$W/out")"
	fi
done
# (rmdir incompat/volatile: the identity edited on a volatile overlay and
# synced, its mark still there)
for point in "mkdirat work:after" "renameat layers.tmp" "rmdir incompat/volatile" "renameat2 .$K-c.clone."; do
	if at ${point% *} "${point#* }" box clone "$K" "$K-c"; then
		# the source is held while its tree is taken, not once the
		# clone's identity is edited
		case $point in rmdir*) lock=- ;; *) lock=clone ;; esac
		check_match "held at $point: the source listed STOPPED, LOCK $lock" "^$K +STOPPED .* $lock\$" \
			"$(box ls 2>&1)"
		kill9
		check "clone killed at $point: no config of the clone" test ! -e "$BOX_ROOT/etc/boxes/$K-c.conf"
		killed_well "clone killed at $point"
		check "clone killed at $point: the next clone works" box clone "$K" "$K-c"
		box destroy --purge "$K-c" >/dev/null
	else
		fail "the clone did not reach $point" "$(cat "$W/out")"
	fi
done
for point in "mkdirat work:after" "renameat layers.tmp" "renameat layers.tmp:after"; do
	tree_open "$K"; echo changed >"$R/gen"; tree_close
	if at ${point% *} "${point#* }" box rollback "$K" k0; then
		check_match "held: listed STOPPED, the rollback its LOCK" "^$K +STOPPED .* rollback\$" "$(box ls 2>&1)"
		kill9
		tree_open "$K"
		check_match "rollback killed at $point: the tree is the old or the snapshot's" "^(changed|base)$" "$(cat "$R/gen")"
		tree_close
		check "rollback killed at $point: the next rollback works" box rollback "$K" k0
		killed_well "rollback killed at $point"
	else
		fail "the rollback did not reach $point" "$(cat "$W/out")"
	fi
done
box destroy --purge "$K" >/dev/null

PHASE="dir: a clone killed at each commit point"
# either absent (no config; the next clone of that name removes what the
# killed one left) or whole: its config, and its own identity on disk
KD=$T-kd
mk "$KD" dir
box create "$KD" >/dev/null 2>&1
mkdir -p "$S/$KD/rootfs/etc/ssh" && echo key >"$S/$KD/rootfs/etc/ssh/ssh_host_ed25519_key"
echo 0123456789abcdef0123456789abcdef >"$S/$KD/rootfs/etc/machine-id"
# own_identity: the clone's machine-id size and what /etc/ssh holds
own_identity() { echo "$(stat -c %s "$S/$KD-c/rootfs/etc/machine-id" 2>&1) $(ls "$S/$KD-c/rootfs/etc/ssh" 2>&1)"; }
for point in "renameat2 .$KD-c.clone." "open /proc/self/fd/" "rename $KD-c.conf.clone" "renameat2 $KD-c.conf:after"; do
	if ! at ${point% *} "${point#* }" box clone "$KD" "$KD-c"; then
		fail "the dir clone did not reach $point" "$(cat "$W/out")"
		continue
	fi
	kill9
	if [ -e "$BOX_ROOT/etc/boxes/$KD-c.conf" ]; then
		check_eq "dir clone killed at $point: made, with its own identity" "0 " "$(own_identity)"
		check_match "... listed, stopped" "^$KD-c +STOPPED" "$(box ls 2>&1 | grep "^$KD-c ")"
	else
		check "dir clone killed at $point: absent, and the next clone works" box clone "$KD" "$KD-c"
		check_eq "... with its own identity" "0 " "$(own_identity)"
	fi
	check_eq "... the source's kept" "0123456789abcdef0123456789abcdef" "$(cat "$S/$KD/rootfs/etc/machine-id")"
	box destroy --purge "$KD-c" >/dev/null
	check "... then gone" test ! -e "$S/$KD-c"
done
box destroy --purge "$KD" >/dev/null

PHASE="overlay: 128 layers mounted, then flattened"
F=$T-flat
mk "$F" overlay
box create "$F" >/dev/null 2>&1
bad=""
for i in $(seq 1 127); do
	echo "$i" >"$(tree "$F")/gen"
	box snapshot "$F" "f$i" >/dev/null 2>&1 || bad="$bad f$i"
done
check_eq "127 snapshots in a line" "" "$bad"
check_eq "... the chain has 128 lower layers" 128 "$(grep -c '^\(lower\|template\)' "$S/$F/layers")"
check "a container over 128 layers starts" box start "$F"
check_eq "... and sees its top layer" 127 "$(box attach "$F" -- cat /gen)"
box attach "$F" -- sh -c 'echo 128 >/gen; rm /bin/vi'
box stop --kill "$F" >/dev/null
out=$(box snapshot "$F" f128 2>&1); rc=$?
check_eq "the snapshot past 128 layers exits 0" 0 "$rc"
check_match "... its chain is flattened: an upper over one whole layer" "^upper [0-9a-f]{16} lower [0-9a-f]{16} $" \
	"$(tr '\n' ' ' <"$S/$F/layers")"
check "... it starts" box start "$F"
check_eq "... with its files" "128 gone" "$(box attach "$F" -- sh -c 'cat /gen; test -e /bin/vi || echo gone' | tr '\n' ' ' | sed 's/ $//')"
box stop --kill "$F" >/dev/null
check "rollback to a snapshot from before the flattening" box rollback "$F" f3
tree_open "$F"
check_eq "... its tree" "3 vi" "$(cat "$R/gen") $(basename "$(ls "$R/bin/vi")")"
tree_close
check "rollback to the flattened one" box rollback "$F" f128
tree_open "$F"
check_eq "... its tree" "128 gone" "$(cat "$R/gen") $(test -e "$R/bin/vi" || echo gone)"
tree_close
for i in $(seq 1 127); do box snapshot "$F" --delete "f$i" >/dev/null 2>&1; done
check_eq "the snapshots deleted, only the flattened chain's layers are left" 2 "$(ls "$S/.layers" | wc -l)"
check_eq "... and no layer nothing names" "" "$(unnamed_layers)"
box destroy --purge "$F" >/dev/null

PHASE="overlay, unprivileged: a clone in a range of its own"
U=$T-u
mk "$U" overlay "unprivileged = yes"
check "unprivileged overlay: create" box create "$U"
check "... start" box start "$U"
box attach "$U" -- sh -c 'echo u >/root/f && chown 1000:1000 /root/f'
box stop --kill "$U" >/dev/null
check "unprivileged overlay: snapshot" box snapshot "$U" us
check "unprivileged overlay: clone" box clone "$U" "$U-c"
check "the source starts" box start "$U"
check "the clone starts beside it" box start "$U-c"
check_eq "the clone sees the container's owners" "1000:1000 u" "$(box attach "$U-c" -- sh -c 'stat -c %u:%g /root/f; cat /root/f' | tr '\n' ' ' | sed 's/ $//')"
check "the clone's root writes" box attach "$U-c" -- sh -c 'echo c >/root/g && test "$(stat -c %u /root/g)" = 0'
check_match "box info: the clone's layers are idmapped to its own range" "Ids: +0-65535 -> [0-9]+-[0-9]+, layers shifted by [0-9]+ at create .*idmapped" \
	"$(box info "$U-c")"
r1=$(box info "$U" | sed -n 's/^Ids: *0-65535 -> \([0-9]*\)-.*/\1/p')
r2=$(box info "$U-c" | sed -n 's/^Ids: *0-65535 -> \([0-9]*\)-.*/\1/p')
check "... a range other than its source's ($r1, $r2)" test -n "$r1" -a -n "$r2" -a "$r1" != "$r2"
box stop --kill "$U" >/dev/null
box stop --kill "$U-c" >/dev/null
check "unprivileged overlay: rollback" box rollback "$U" us
check "unprivileged overlay: export of the clone" box export "$U-c" -o "$W/uc.tar.gz"
check_eq "... in container-view owners" "1000/1000" "$(tar -tvzf "$W/uc.tar.gz" ./root/f | awk '{print $2}')"
box destroy --purge "$U-c" >/dev/null
box destroy --purge "$U" >/dev/null
check_eq "unprivileged overlay: no layer left" "" "$(ls -A "$S/.layers")"

PHASE="unprivileged, an explicit idmap_base: the clone gets a range of its own"
# two containers on one range would be one user to the host: the clone's
# config says auto, and it starts beside its source
E=$T-e
mk "$E" dir "unprivileged = yes
idmap_base = 400000"
check "explicit base: create" box create "$E"
check "... start" box start "$E"
out=$(box clone "$E" "$E-c" 2>&1); rc=$?
check_eq "explicit base: the clone exits 0" 0 "$rc"
check_match "... warning that the base is not kept" "idmap_base 400000 not kept.*range of its own" "$out"
check_match "... its config says auto" "^idmap_base += auto$" "$(cat "$BOX_ROOT/etc/boxes/$E-c.conf")"
check "... it starts beside its source" box start "$E-c"
eb=$(box info "$E-c" | sed -n 's/^Ids: *0-65535 -> \([0-9]*\)-.*/\1/p')
check "... in a range of its own ($eb)" test -n "$eb" -a "$eb" != 400000
check_eq "... root inside the clone owns its files" "0" "$(box attach "$E-c" -- stat -c %u /etc/passwd)"
box stop --kill "$E-c" >/dev/null
box stop --kill "$E" >/dev/null
box destroy --purge "$E-c" >/dev/null
box destroy --purge "$E" >/dev/null

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
	PHASE="dir on btrfs: a snapshot shares its data"
	mk "$T-rf" dir
	box create "$T-rf" >/dev/null 2>&1
	head -c 8M /dev/urandom >"$BOX_STATE_DIR/$T-rf/rootfs/big"
	check "dir on btrfs: snapshot" box snapshot "$T-rf" s
	sync -f "$BOX_STATE_DIR"
	check_match "... its data shared with the rootfs (reflinks)" \
		"^ +[0-9.]+[KMG]iB +0\.00B " "$(btrfs filesystem du -s "$BOX_STATE_DIR/$T-rf/snapshots/s/rootfs" | tail -1)"
	box destroy --purge "$T-rf" >/dev/null 2>&1
	check_eq "btrfs: no subvolume left but the template cache" "" \
		"$(btrfs subvolume list "$BT" | grep -v 'path state/templates/.cache/')"
	unset BOX_STATE_DIR
	umount "$BT"
fi

# powercut KIND FS: a clone on KIND storage with its state folder and its
# config folder each on an FS image of its own (t_cut_setup), then the power
# cut right after the command returned (t_cut). The clone the command said
# was made is there, with its own identity: its config, no machine-id or ssh
# host key of its source's.
powercut() {
	local kind=$1 fs=$2 p=$W/cut-$1 n=$T-pc-$1 img
	PHASE="$kind on $fs: a power cut right after a clone"
	t_cut_setup "$p" "$fs" state conf || return
	export BOX_STATE_DIR=$p/state/boxes BOX_CONFIG_DIR=$p/conf/boxes
	mkdir -p "$BOX_STATE_DIR/templates" "$BOX_CONFIG_DIR"
	cp -L "$S/templates/$TPL" "$BOX_STATE_DIR/templates/"
	printf 'template = %s\nstorage = %s\nunprivileged = no\n' "$TPL" "$kind" >"$BOX_CONFIG_DIR/$n.conf"
	check "$kind on $fs: create the source" box create "$n"
	local r=$BOX_STATE_DIR/$n/rootfs
	mkdir -p "$r/etc/ssh" && echo key >"$r/etc/ssh/ssh_host_ed25519_key"
	echo 0123456789abcdef0123456789abcdef >"$r/etc/machine-id"
	sync -f "$r"
	check "$kind on $fs: clone" box clone "$n" "$n-c"
	unset BOX_STATE_DIR BOX_CONFIG_DIR
	t_cut "$p" state conf || return
	r=$p/state/boxes/$n-c/rootfs
	check "$kind on $fs: after the cut, the clone's config is there" test -s "$p/conf/boxes/$n-c.conf"
	check "$kind on $fs: ... and its rootfs" test -d "$r/etc"
	check_eq "$kind on $fs: ... its machine-id empty" "0" "$(stat -c %s "$r/etc/machine-id" 2>&1)"
	check_eq "$kind on $fs: ... no ssh host key of its source's" "" "$(ls "$r/etc/ssh" 2>&1)"
	check_eq "$kind on $fs: ... the source's kept" "0123456789abcdef0123456789abcdef" \
		"$(cat "$p/state/boxes/$n/rootfs/etc/machine-id")"
	for img in state conf; do umount "$p/$img"; done
}

PHASE="dir: a snapshot and a clone move no atime"
# on a strictatime filesystem (relatime would hide all but the first read):
# a folder, a file and a symlink of the source with atimes of 2001 keep
# them through its snapshot and its clone (readlink sets a symlink's atime
# whatever the open flags: the copy reads through a noatime mount)
AT=$W/atime
mkdir -p "$AT"
check "a strictatime tmpfs as the state folder" mount -t tmpfs -o strictatime,size=256m tmpfs "$AT"
export BOX_STATE_DIR=$AT
mkdir -p "$AT/templates"
cp -L "$S/templates/$TPL" "$AT/templates/"
A=$T-at
printf 'template = %s\nstorage = dir\nunprivileged = no\n' "$TPL" >"$BOX_ROOT/etc/boxes/$A.conf"
check "create" box create "$A"
r=$AT/$A/rootfs
mkdir -p "$r/srv/at" && echo data >"$r/srv/at/file" && ln -s file "$r/srv/at/link"
touch -h -a -d 2001-01-01 "$r/srv/at/file" "$r/srv/at/link" "$r/srv/at"
at_get() { (cd "$r/srv/at" && stat -c '%n %X' . file link | tr '\n' ' '); }
before=$(at_get)
check "snapshot" box snapshot "$A" s
check_eq "... no atime of the source's moved (folder, file, symlink)" "$before" "$(at_get)"
check_eq "... the snapshot has the link" "file" "$(readlink "$AT/$A/snapshots/s/rootfs/srv/at/link")"
check "clone" box clone "$A" "$A-c"
check_eq "... no atime of the source's moved" "$before" "$(at_get)"
check_eq "... the clone has the file" "data" "$(cat "$AT/$A-c/rootfs/srv/at/link")"
box destroy --purge "$A-c" >/dev/null 2>&1
box destroy --purge "$A" >/dev/null 2>&1
unset BOX_STATE_DIR
umount "$AT"

powercut dir ext4
powercut btrfs btrfs

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
