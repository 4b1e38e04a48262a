#!/bin/bash
# box import: a boxes export round trip (every file kind, the config, the
# imported container starts), compression told from the content, pipes, a
# migration between two roots with export --mode stop, --mode suspend, a
# template deployed through box create, a Proxmox vzdump archive, an LXC image,
# an Incus backup; and bad input -- corrupt, truncated, not a tar, taken names,
# hostile archives, signals, kill -9: one clear error, nothing left.
# box-test: also unprivileged
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/runtime-lib.sh"
. "$(dirname "$0")/export-lib.sh"

W=$BOX_ROOT/work
S=$BOX_ROOT/var/lib/boxes
mkdir -p "$W"
# ./dev/* is never imported (made at every start), as pct restore does
export EX_SKIP="./dev/"

# imp_gone NAME WHEN: nothing of container NAME exists
imp_gone() {
	check_eq "nothing left (config, state, hidden temporary, runtime) $2" "" \
		"$(ls -d "$BOX_ROOT/etc/boxes/$1.conf" "$S/$1" "$S/.import-$1".* "$BOX_ROOT/run/boxes/$1" 2>/dev/null)"
}

# imp_fails NAME FILE WANT-REGEX WHAT: import exits non-zero, says WANT, leaves nothing
imp_fails() {
	local n=$1 f=$2 want=$3 what=$4 out rc
	out=$(box import "$n" "$f" 2>&1)
	rc=$?
	check "$what: import fails (rc $rc)" test "$rc" -ne 0
	check_match "$what: the error says it" "$want" "$out"
	check_eq "$what: one error line" 1 "$(printf '%s\n' "$out" | grep -c .)"
	imp_gone "$n" "($what)"
	# a leftover would fail the next cases too: one failure, one report
	box destroy --purge "$n" >/dev/null 2>&1
	rm -rf "$S/$n" "$S/.import-$n".* "$BOX_ROOT/etc/boxes/$n.conf"
}

# frozen NAME: FROZEN when the container's freezer (v1) or cgroup.freeze (v2) says so
frozen() {
	local d
	for d in $(rt_cgroups "$1"); do
		[ -f "$d/freezer.state" ] && grep -qE 'FROZEN|FREEZING' "$d/freezer.state" && { echo FROZEN; return; }
		[ -f "$d/cgroup.freeze" ] && [ "$(cat "$d/cgroup.freeze")" = 1 ] && { echo FROZEN; return; }
	done
	echo THAWED
}

# the bridge of $C and its copies, declared so that box start makes it (one
# neither on the host nor declared is refused: 40-net, 56-import-pct)
printf 'bridge br%s {\n}\n' "$T" >"$BOX_ROOT/etc/boxes/boxes.conf"
t_netdev "br$T"
C=$T-src
rt_config "$C" "memory = 256M
cpus = 0.5
pids = 300
network eth0 {
	bridge = br$T
	address = {10.99.5.10/24}
	gateway = 10.99.5.1
}"
R=$S/$C/rootfs
PHASE="setup"
check "the source container has a rootfs" test -d "$R"
ex_fill "$R"
check "box export of the source" box export "$C" -o "$W/a.tar.gz"

PHASE="bad usage"
out=$(box import 2>&1); check_eq "import without arguments exits 2" 2 $?
out=$(box import "$T-x" 2>&1); check_eq "import without a file exits 2" 2 $?
out=$(box import "$T-x" "$W/a.tar.gz" extra 2>&1); check_eq "a third word exits 2" 2 $?
out=$(box import "$T-x" "$W/a.tar.gz" --bogus 2>&1); check_eq "an unknown option exits 2" 2 $?
out=$(box import Bad_Name "$W/a.tar.gz" 2>&1); check_eq "an invalid name exits 2" 2 $?
out=$(box import boxes "$W/a.tar.gz" 2>&1); check_eq "the reserved name 'boxes' exits 2" 2 $?
out=$(box import "$T-x" "$W" 2>&1); check_eq "a folder exits 2" 2 $?
check_match "it says it is a folder" "is a folder" "$out"
out=$(box import "$T-x" "$W/nosuch.tar.gz" 2>&1); check_eq "a missing file exits 1" 1 $?
check_match "the missing file is named" "nosuch\.tar\.gz: No such file" "$out"
out=$(box import "$T-x" "$W/a.tar.gz" --hostname 'bad host' 2>&1); check_eq "--hostname 'bad host' exits 2" 2 $?
check_match "it names --hostname" "^box: .*--hostname.*bad host" "$out"
if command -v script >/dev/null; then
	out=$(script -qec "box import $T-x -" /dev/null </dev/null 2>&1); rc=$?
	check_eq "reading - from a terminal exits 2" 2 "$rc"
	check_match "it says why" "terminal" "$out"
else
	skip "reading - from a terminal exits 2" "no script(1)"
fi
imp_gone "$T-x" "after bad usage"

PHASE="round trip"
out=$(box import "$T-copy" "$W/a.tar.gz" 2>&1); check_eq "box import of the export exits 0" 0 $?
check_match "it says what it imported" "imported $T-copy from .*a\.tar\.gz" "$out"
CR=$S/$T-copy/rootfs
check "every file kind equal after export + import (type, mode, owners, mtime, xattrs, caps, ACLs, links, devices, sparse)" \
	ex_compare "$R" "$CR"
k=$CR/srv/kinds
ex_check_kinds "$k"
check_eq "4 GiB sparse file: its size" "4294967296" "$(stat -c %s "$k/sparse")"
check "4 GiB sparse file: still sparse ($(stat -c %b "$k/sparse") blocks)" test "$(stat -c %b "$k/sparse")" -lt 16384
check_eq "4 GiB sparse file: its 1 MiB of data" \
	"$(dd if="$R/srv/kinds/sparse" bs=1M skip=2000 count=1 status=none | md5sum)" \
	"$(dd if="$k/sparse" bs=1M skip=2000 count=1 status=none | md5sum)"
check "UTF-8 name" test -f "$k/grüße-ñ-日本"
check "200-byte name" test -f "$k/$(printf 'n%.0s' $(seq 200))"
check_eq "big owners" "$((EX_BASE + EX_BIG_U)):$((EX_BASE + EX_BIG_G))" "$(stat -c %u:%g "$k/bigids")"
check_eq "mtime" "$(stat -c %Y "$R/srv/kinds/owned")" "$(stat -c %Y "$k/owned")"
check_eq "vzdump excludes: /tmp/junk not there" "" "$(ls -A "$CR/tmp")"
check "no ./etc/vzdump in the rootfs" test ! -e "$CR/etc/vzdump"
check_eq "./dev is empty (made at start)" "" "$(ls -A "$CR/dev")"
check "no hidden temporary left" test -z "$(ls -d "$S"/.import-* 2>/dev/null)"
check "the config is written as NAME.conf" test -f "$BOX_ROOT/etc/boxes/$T-copy.conf"
check_eq "the effective config is the source's" "$(box config show "$C" | tail -n +2)" \
	"$(box config show "$T-copy" | tail -n +2)"
check_match "the hostname is kept" "^hostname += $C-host$" "$(box config show "$T-copy" | grep ^hostname)"
# the copy has its source's address on the same bridge: imported all the same, with a warning
warn=$(printf '%s\n' "$out" | grep warning | grep -v 'neither exists')
check_eq "the address clash: one warning line" 1 "$(printf '%s\n' "$warn" | grep -c .)"
check_match "it names the address, the other container and the bridge" \
	"^box: warning: .*/$T-copy\.conf:[0-9]+: network eth0: address: 10\.99\.5\.10/24 is already used by container $C on bridge br$T" "$warn"
check_match "and says what to do" "'box start $T-copy' refuses it until it is changed: edit .*/$T-copy\.conf" "$warn"
out=$(box start "$T-copy" 2>&1); check_eq "box start refuses it indeed (exit 2)" 2 $?
check_match "with the same words" "10\.99\.5\.10/24 is already used by container $C on bridge br$T" "$out"
# the copy sits beside its source on one bridge: an address of its own, as a user would do
sed -i "s,10\.99\.5\.10/24,10.99.5.11/24," "$BOX_ROOT/etc/boxes/$T-copy.conf"
B=$(t_box_root b)
out=$(BOX_ROOT=$B box import "$T-far" "$W/a.tar.gz" 2>&1); check_eq "the same archive into a root where the address is free" 0 $?
check_match "says what it imported" "imported $T-far from" "$out"
check_eq "and warns of nothing (but the bridge)" "" "$(printf '%s\n' "$out" | grep -i warning | grep -v 'neither exists')"
BOX_ROOT=$B box destroy --purge "$T-far" >/dev/null 2>&1
check "the imported container starts" box start "$T-copy"
check_match "ls says RUNNING" "^$T-copy +RUNNING" "$(box ls)"
check_eq "hostname inside: the source's" "$C-host" "$(box attach "$T-copy" -- hostname)"
check_eq "owners as seen inside" "$EX_BIG_U $EX_BIG_G" "$(box attach "$T-copy" -- stat -c '%u %g' /srv/kinds/bigids)"
check_match "eth0 has its address" "10\.99\.5\.11/24" "$(box attach "$T-copy" -- ip -4 addr show eth0)"
check "box stop" box stop --kill "$T-copy"

PHASE="--hostname"
check "import --hostname" box import "$T-named" "$W/a.tar.gz" --hostname "$T-other"
check_match "--hostname replaces the archive's" "^hostname += $T-other$" "$(box config show "$T-named" | grep ^hostname)"
box destroy --purge "$T-named" >/dev/null 2>&1

# the state and config folders each on an image of its own (t_cut_setup), a
# power cut right after the import said "imported" (t_cut): the container is
# there, its config and its files whole
PHASE="a power cut right after an import"
P=$W/cut
if t_cut_setup "$P" ext4 state conf; then
	mkdir -p "$P/state/boxes" "$P/conf/boxes"
	BOX_STATE_DIR=$P/state/boxes BOX_CONFIG_DIR=$P/conf/boxes box import "$T-pc" "$W/a.tar.gz" >"$W/out" 2>&1
	check_eq "the import exits 0" 0 $?
	if t_cut "$P" state conf; then
		PR=$P/state/boxes/$T-pc/rootfs
		check "after the cut, the config is there" test -s "$P/conf/boxes/$T-pc.conf"
		check "... and the rootfs's files whole (bin/busybox)" cmp "$R/bin/busybox" "$PR/bin/busybox"
		check_eq "... every file of /srv" "$(cd "$R/srv" && find . -type f ! -name sparse -exec md5sum {} + | sort)" \
			"$(cd "$PR/srv" 2>&1 && find . -type f ! -name sparse -exec md5sum {} + | sort)"
	fi
	umount "$P/state" "$P/conf"
fi

PHASE="unprivileged: owners as seen inside, shifted again"
U=$T-unp
rt_config "$U" "unprivileged = yes
idmap_base = 200000"
UR=$S/$U/rootfs
# a rootfs shifted at create (the filesystem could not be idmapped)
echo 200000 >"$S/$U/idshift"
mkdir -p "$UR/srv"
chown -R 200000:200000 "$UR"
echo u >"$UR/srv/user" && chown 201000:201001 "$UR/srv/user"
echo a >"$UR/srv/acl" && chown 200000:200000 "$UR/srv/acl" && setfacl -m u:201234:r-- "$UR/srv/acl"
box export "$U" -o - 2>/dev/null | box import "$T-unp2" - >"$W/out" 2>&1
check_eq "export | import of an unprivileged container exits 0 0" "0 0" "${PIPESTATUS[*]}"
check_match "the copy is unprivileged with the same map" "^idmap_base += 200000$" "$(box config show "$T-unp2" | grep ^idmap_base)"
check_eq "the copy keeps the container's owners on disk (idmapped at start)" 0 "$(cat "$S/$T-unp2/idshift")"
check "every file equal as the container sees it, owners and ACL ids" \
	ex_compare --shift-a 200000 "$UR" "$S/$T-unp2/rootfs"
check_eq "201000:201001 is 1000:1001" "1000:1001" "$(stat -c %u:%g "$S/$T-unp2/rootfs/srv/user")"
out=$(box start "$T-unp2" 2>&1)
check_eq "the copy keeps idmap_base = 200000: its start is refused beside its source" 2 $?
check_match "... saying the ranges overlap, with file:line" "$T-unp2\.conf:[0-9]+: idmap_base: ids 200000\.\.265535 overlap those of .*$T-unp\.conf" "$out"
check "box set idmap_base=auto" box set "$T-unp2" idmap_base=auto
check "the copy starts" box start "$T-unp2"
check_eq "... in a range of its own" "0 $(cut -d' ' -f1 "$S/$T-unp2/idmap") 65536" "$(box attach "$T-unp2" -- cat /proc/self/uid_map | awk '{print $1, $2, $3}')"
check_eq "... and shows the owners the source showed" "1000 1001" "$(box attach "$T-unp2" -- stat -c '%u %g' /srv/user)"
check "stop" box stop --kill "$T-unp2"
box export "$U" -o "$W/unp.tar.gz" >/dev/null 2>&1
box destroy --purge "$T-unp2" >/dev/null 2>&1
check_eq "in the archive: container-view owners" "1000/1001" \
	"$(tar tvzf "$W/unp.tar.gz" ./srv/user | awk '{print $2}')"
box destroy --purge "$U" >/dev/null 2>&1
rm -f "$W/unp.tar.gz"

PHASE="taken names"
echo mark >"$CR/srv/mark"
sum=$(md5sum <"$BOX_ROOT/etc/boxes/$T-copy.conf")
out=$(box import "$T-copy" "$W/a.tar.gz" 2>&1); check_eq "an existing name exits 1" 1 $?
check_match "it says the container exists, and what to do" "$T-copy already exists.*choose another name" "$out"
check_eq "the existing rootfs is untouched" "mark" "$(cat "$CR/srv/mark")"
check_eq "the existing config is untouched" "$sum" "$(md5sum <"$BOX_ROOT/etc/boxes/$T-copy.conf")"
mkdir -p "$S/$T-orphan/rootfs"
out=$(box import "$T-orphan" "$W/a.tar.gz" 2>&1); check_eq "a name with state but no config exits 1" 1 $?
check_match "it names the state folder" "already has state in $S/$T-orphan" "$out"
check "the state folder is left as it was" test -d "$S/$T-orphan/rootfs"
check "and no config written" test ! -e "$BOX_ROOT/etc/boxes/$T-orphan.conf"
rm -rf "$S/$T-orphan"

PHASE="compression told from the content, not the name"
box export "$C" --compress none -o "$W/plain.tar" >/dev/null 2>&1
box export "$C" --compress zstd -o "$W/z.tar.zst" >/dev/null 2>&1
cp "$W/a.tar.gz" "$W/gzip-as.tar.xz"
cp "$W/z.tar.zst" "$W/zstd-as.tar.bz2"
xz -1 -T0 -c "$W/plain.tar" >"$W/xz-as.tar.gz"
bzip2 -1 -c "$W/plain.tar" >"$W/bzip2-as.tar.zst"
cp "$W/plain.tar" "$W/plain-as.tar.gz"
i=0
for f in gzip-as.tar.xz zstd-as.tar.bz2 xz-as.tar.gz bzip2-as.tar.zst plain-as.tar.gz; do
	i=$((i + 1))
	check "import $f ($(file -b "$W/$f" | cut -d, -f1))" box import "$T-c$i" "$W/$f"
	check "$f: every file kind equal" ex_compare "$R" "$S/$T-c$i/rootfs"
	box destroy --purge "$T-c$i" >/dev/null 2>&1
done
rm -f "$W"/*-as.tar.*

PHASE="pipes"
box export "$C" -o - 2>/dev/null | box import "$T-pipe" - >"$W/out" 2>&1
check_eq "box export -o - | box import NAME - exits 0 0" "0 0" "${PIPESTATUS[*]}"
check "through the pipe: every file kind equal" ex_compare "$R" "$S/$T-pipe/rootfs"
check_eq "through the pipe: the config is the source's" "$(box config show "$C" | tail -n +2)" \
	"$(box config show "$T-pipe" | tail -n +2)"
box destroy --purge "$T-pipe" >/dev/null 2>&1
box export "$C" --compress zstd -o - 2>/dev/null | box import "$T-pipe" - >"$W/out" 2>&1
check_eq "zstd through a pipe exits 0 0" "0 0" "${PIPESTATUS[*]}"
check "zstd through the pipe: every file kind equal" ex_compare "$R" "$S/$T-pipe/rootfs"
box destroy --purge "$T-pipe" >/dev/null 2>&1

PHASE="migration to a second root (export --mode stop)"
M=$T-mig
rt_config "$M"
mkdir -p "$S/$M/rootfs/srv"
echo "migrated data" >"$S/$M/rootfs/srv/data"
check "the source starts" box start "$M"
ipid=$(cat "$BOX_ROOT/run/boxes/$M/init.pid")
out=$(box export "$M" -o "$W/live.tar.gz" 2>&1); check_eq "export of a running container without --mode exits 1" 1 $?
check_match "it suggests --mode stop or suspend" "--mode stop.*--mode suspend" "$out"
check "and writes nothing" test ! -e "$W/live.tar.gz"
B=$(t_box_root b)
box export "$M" --mode stop -o - 2>"$W/exp.err" | BOX_ROOT=$B box import "$M" - >"$W/imp.out" 2>&1
check_eq "box export --mode stop -o - | BOX_ROOT=other box import NAME - exits 0 0" "0 0" "${PIPESTATUS[*]}"
check_match "the source runs again after the dump" "^$M +RUNNING" "$(box ls)"
check "with a new init: it was stopped for the dump" test "$(cat "$BOX_ROOT/run/boxes/$M/init.pid")" != "$ipid"
check "the copy has its config in the other root" test -f "$B/etc/boxes/$M.conf"
check_eq "its data arrived" "migrated data" "$(cat "$B/var/lib/boxes/$M/rootfs/srv/data")"
check "the copy starts in the other root, the source still running" env BOX_ROOT="$B" box start "$M"
check_match "the other root's ls says RUNNING" "^$M +RUNNING" "$(BOX_ROOT=$B box ls)"
check_eq "hostname inside the copy" "$M-host" "$(BOX_ROOT=$B box attach "$M" -- hostname)"
check_eq "the data inside the copy" "migrated data" "$(BOX_ROOT=$B box attach "$M" -- cat /srv/data)"
check "two containers, two inits" test "$(cat "$B/run/boxes/$M/init.pid")" != "$(cat "$BOX_ROOT/run/boxes/$M/init.pid")"
check "the copy stops" env BOX_ROOT="$B" box stop --kill "$M"
check_match "the source still runs" "^$M +RUNNING" "$(box ls)"

PHASE="export --mode stop: the restart after the dump fails"
# the config is broken while the dump waits on the pipe (the reader has its
# first bytes: the container is stopped), so the start after it fails: the
# export says so and exits 2, a bad config's status (it said it and exited
# 0, the container down)
cp "$BOX_ROOT/etc/boxes/$M.conf" "$W/m.conf"
{ box export "$M" --mode stop -o - 2>"$W/rs.err"; echo $? >"$W/rs.rc"; } |
	{ head -c 512 >/dev/null; echo "no_such_key = 1" >>"$BOX_ROOT/etc/boxes/$M.conf"; cat >/dev/null; }
check_eq "the export exits 2 (the config's error)" 2 "$(cat "$W/rs.rc")"
check_match "it says the start after the dump failed" "starting $M again after the export" "$(cat "$W/rs.err")"
check_match "the container is stopped, as the error says" "^$M +STOPPED" "$(box ls)"
cp "$W/m.conf" "$BOX_ROOT/etc/boxes/$M.conf"
check "with its config back it starts" box start "$M"

PHASE="export --mode suspend"
dd if=/dev/urandom of="$S/$M/rootfs/srv/big" bs=1M count=256 status=none
ipid=$(cat "$BOX_ROOT/run/boxes/$M/init.pid")
box export "$M" --mode suspend -o "$W/susp.tar.gz" >"$W/susp.out" 2>&1 &
epid=$!
seen=THAWED
for i in $(seq 400); do
	[ "$(frozen "$M")" = FROZEN ] && { seen=FROZEN; break; }
	kill -0 $epid 2>/dev/null || break
	sleep 0.02
done
wait $epid
check_eq "export --mode suspend of a running container exits 0" 0 $?
check_eq "the container was frozen during the dump" FROZEN "$seen"
check_eq "and is thawed after it" THAWED "$(frozen "$M")"
check_eq "the same init: frozen, not restarted" "$ipid" "$(cat "$BOX_ROOT/run/boxes/$M/init.pid")"
check "it still answers" box attach "$M" -- true
check "the dump imports" box import "$T-susp" "$W/susp.tar.gz"
check "with the big file intact" cmp "$S/$M/rootfs/srv/big" "$S/$T-susp/rootfs/srv/big"
box destroy --purge "$T-susp" >/dev/null 2>&1
rm -f "$W/susp.tar.gz" "$S/$M/rootfs/srv/big"
box stop --kill "$M" >/dev/null 2>&1

PHASE="a template made with --template, deployed through box create"
TP=$T-cust
rt_config "$TP"
TR=$S/$TP/rootfs
mkdir -p "$TR/srv/app" "$TR/etc/ssh" "$TR/root" "$TR/var/log"
echo "app v1" >"$TR/srv/app/index.html"
echo 0123456789abcdef0123456789abcdef >"$TR/etc/machine-id"
echo key >"$TR/etc/ssh/ssh_host_ed25519_key"
echo "secret" >"$TR/root/.ash_history"
echo log >"$TR/var/log/messages"
check "export --template into the templates folder" box export "$TP" --template -o "$S/templates/$T-app_1.0.tar.gz"
D=$T-dep
t_config "$D" <<CONF
template = $T-app_1.0.tar.gz
hostname = $D-host
stop_timeout = 20
CONF
check "box create from it" box create "$D"
check "box start" box start "$D"
check_eq "hostname inside: its own" "$D-host" "$(box attach "$D" -- hostname)"
check_eq "/etc/hostname inside: its own" "$D-host" "$(box attach "$D" -- cat /etc/hostname)"
check_eq "/etc/machine-id is there and empty" "0" "$(box attach "$D" -- sh -c 'test -f /etc/machine-id && wc -c </etc/machine-id')"
check_eq "ssh host key, history, log are not there" "checked" \
	"$(box attach "$D" -- sh -c 'for f in /etc/ssh/ssh_host_ed25519_key /root/.ash_history /var/log/messages; do
		[ -e $f ] && echo $f; done; echo checked')"
check_eq "the application is there" "app v1" "$(box attach "$D" -- cat /srv/app/index.html)"
hosts=$(box attach "$D" -- cat /etc/hosts)
check_match "/etc/hosts names the new host" "$D-host" "$hosts"
check_eq "/etc/hosts does not name the old host" "" "$(echo "$hosts" | grep "$TP-host")"
check "box stop" box stop --kill "$D"
out=$(box import "$T-plain" "$S/templates/$T-app_1.0.tar.gz" 2>&1); check_eq "the template imports as a plain rootfs" 0 $?
check_match "a minimal config: the name as hostname" "^hostname += $T-plain$" "$(box config show "$T-plain" | grep ^hostname)"
check "and it starts" box start "$T-plain"
check_eq "hostname inside" "$T-plain" "$(box attach "$T-plain" -- hostname)"
box stop --kill "$T-plain" >/dev/null 2>&1

PHASE="a Proxmox vzdump archive"
V=$W/vz
mkdir -p "$V/root" "$V/conf/etc/vzdump"
tar xzf "$S/templates/$(t_template busybox)" -C "$V/root"
mkdir -p "$V/root/srv"
echo user >"$V/root/srv/user" && chown 1000:1001 "$V/root/srv/user"
echo acl >"$V/root/srv/acl" && setfacl -m u:1234:r-- "$V/root/srv/acl"
mkfifo "$V/root/srv/fifo"
cores=$(($(nproc) < 2 ? $(nproc) : 2))
cat >"$V/conf/etc/vzdump/pct.conf" <<'PCT'
#web%20frontend
#owner%3A ops team
arch: amd64
cores: 2
cpulimit: 1.5
cpuunits: 2048
features: nesting=1,keyctl=1
frobnicate: 1
hostname: pve-web1
memory: 1024
mp0: /srv/data,mp=/data,ro=1
nameserver: 192.0.2.53
net0: name=eth0,bridge=vmbr0,firewall=1,gw=192.0.2.1,hwaddr=BC:24:11:12:34:56,ip=192.0.2.10/24,type=veth
net1: name=eth1,bridge=vmbr1,ip=10.1.2.3/16,mtu=1400,type=veth
onboot: 1
ostype: debian
rootfs: local-lvm:vm-101-disk-0,size=8G
searchdomain: example.org
startup: order=2,up=30,down=60
swap: 512
tags: prod;web
unprivileged: 1
lxc.cgroup2.pids.max: 512

[vzdump]
hostname: old-name
memory: 64
PCT
: >"$V/conf/etc/vzdump/pct.fw"
# vzdump's own tar command: the config from a folder of its own, first
VZ=$W/vzdump-lxc-101-2026_01_02-03_04_05.tar.zst
tar cpf - --numeric-owner --sparse --acls --xattrs --xattrs-include='user.*' \
	--xattrs-include=security.capability -C "$V/conf" ./etc/vzdump/pct.conf ./etc/vzdump/pct.fw \
	-C "$V/root" ./ | zstd -q -T0 >"$VZ"
check_eq "the hand-made archive has pct.conf first" "./etc/vzdump/pct.conf" "$(tar --zstd -tf "$VZ" | head -1)"
out=$(box import "$T-pve" "$VZ" 2>&1); check_eq "box import of the vzdump archive exits 0" 0 $?
warn=$(printf '%s\n' "$out" | grep -i warning | grep -v 'neither exists')
check_eq "one warning line of what is left out" 1 "$(printf '%s\n' "$warn" | grep -c .)"
for key in frobnicate mp0 net0.firewall=1 tags lxc.cgroup2.pids.max startup.up/down; do
	check_match "the warning names $key" "[ :,]$(printf '%s' "$key" | sed 's/\./\\./g')(,| \(|$)" "$warn"
done
check_eq "and one each for the bridges vmbr0 and vmbr1, missing here" "vmbr0 vmbr1" \
	"$(printf '%s\n' "$out" | sed -n 's/.*bridge \(vmbr[01]\) neither exists.*/\1/p' | tr '\n' ' ' | sed 's/ $//')"
check_eq "the warning names no translated key" "" \
	"$(printf '%s' "$warn" | tr ',:' '\n\n' | sed 's/^ *//' | grep -xE 'hostname|memory|swap|cores|cpulimit|cpuunits|onboot|unprivileged|net1|nameserver|searchdomain|arch|ostype|rootfs|features.*')"
show=$(box config show "$T-pve")
check_match "hostname" "^hostname += pve-web1$" "$(echo "$show" | grep ^hostname)"
check_match "features: nesting=1" "^nesting += yes$" "$(echo "$show" | grep ^nesting)"
check_match "features: keyctl=1" "^keyctl += yes$" "$(echo "$show" | grep ^keyctl)"
check_match "memory 1024 MiB" "^memory += 1G$" "$(echo "$show" | grep ^memory)"
check_match "swap 512 MiB" "^swap += 512M$" "$(echo "$show" | grep ^swap)"
check_match "cores 2 as a cpuset" "^cpuset += 0-$((cores - 1))$|^cpuset += 0$" "$(echo "$show" | grep ^cpuset)"
check_match "cpulimit 1.5" "^cpus += 1\.5$" "$(echo "$show" | grep ^cpus)"
check_match "cpuunits 2048" "^cpu_weight += 2048$" "$(echo "$show" | grep ^cpu_weight)"
check_match "onboot" "^autostart += yes$" "$(echo "$show" | grep ^autostart)"
check_match "startup order" "^start_order += 2$" "$(echo "$show" | grep ^start_order)"
check_match "unprivileged" "^unprivileged += yes$" "$(echo "$show" | grep ^unprivileged)"
check_match "nameserver" "^nameserver += \{192\.0\.2\.53\}$" "$(echo "$show" | grep ^nameserver)"
check_match "searchdomain" "^searchdomain += \{example\.org\}$" "$(echo "$show" | grep ^searchdomain)"
n0=$(echo "$show" | sed -n '/^network eth0/,/^}/p' | tr -s ' \n' ' ')
n1=$(echo "$show" | sed -n '/^network eth1/,/^}/p' | tr -s ' \n' ' ')
check_match "net0: bridge" "bridge = vmbr0 " "$n0"
check_match "net0: address" 'address = \{"192\.0\.2\.10/24"\}' "$n0"
check_match "net0: gateway" "gateway = \{192\.0\.2\.1\}" "$n0"
check_match "net0: hwaddr" "hwaddr = bc:24:11:12:34:56" "$n0"
check_match "net1: bridge" "bridge = vmbr1 " "$n1"
check_match "net1: address" 'address = \{"10\.1\.2\.3/16"\}' "$n1"
check_match "net1: mtu" "mtu = 1400" "$n1"
check_match "the notes are kept as comments" "web frontend" "$(cat "$BOX_ROOT/etc/boxes/$T-pve.conf")"
check_eq "the [vzdump] section is not the config" "" "$(echo "$show" | grep -E 'old-name|^memory += 64M')"
PR=$S/$T-pve/rootfs
# kept as the container sees them (idmapped at start), or shifted on disk by
# the number in idshift where the filesystem cannot be idmapped
sh=$(cat "$S/$T-pve/idshift")
check_eq "unprivileged: container root is host 100000 (idshift $sh)" "$((sh)):$((sh))" "$(stat -c %u:%g "$PR/bin/busybox")"
check_eq "unprivileged: 1000:1001 inside is 101000:101001" "$((sh + 1000)):$((sh + 1001))" "$(stat -c %u:%g "$PR/srv/user")"
check_match "unprivileged: ACL ids shifted too" "user:$((sh + 1234)):r--" "$(getfacl -cn "$PR/srv/acl" 2>/dev/null)"
# started without its networks, whose bridges (vmbr0, vmbr1) are not this test's
cp "$BOX_ROOT/etc/boxes/$T-pve.conf" "$W/pve.conf"
sed -i '/^network /,/^}/d' "$BOX_ROOT/etc/boxes/$T-pve.conf"
check "unprivileged: it starts" box start "$T-pve"
check_eq "unprivileged: its map, a range of its own (idmap_base = auto)" "0 $(cut -d' ' -f1 "$S/$T-pve/idmap") 65536" "$(box attach "$T-pve" -- cat /proc/self/uid_map | awk '{print $1, $2, $3}')"
check_eq "unprivileged: 1000:1001 inside" "1000 1001" "$(box attach "$T-pve" -- stat -c '%u %g' /srv/user)"
check "stop" box stop --kill "$T-pve"
cp "$W/pve.conf" "$BOX_ROOT/etc/boxes/$T-pve.conf"
check_eq "the fifo" "fifo" "$(stat -c %F "$PR/srv/fifo")"
check "no ./etc/vzdump in the rootfs" test ! -e "$PR/etc/vzdump"
cat "$VZ" | box import "$T-pve2" - --hostname pve-other >"$W/out" 2>&1
check_eq "the vzdump archive through a pipe exits 0" 0 $?
check_match "through the pipe: --hostname wins" "^hostname += pve-other$" "$(box config show "$T-pve2" | grep ^hostname)"
check_match "through the pipe: the translation" "^memory += 1G$" "$(box config show "$T-pve2" | grep ^memory)"
box destroy --purge "$T-pve2" >/dev/null 2>&1

# bad vzdump archives: a config the loader refuses, what unprivileged refuses
mkvz() { # mkvz OUT PCT-LINES: the busybox rootfs with that pct.conf
	printf '%s\n' "$2" >"$V/conf/etc/vzdump/pct.conf"
	tar cpf - --numeric-owner -C "$V/conf" ./etc/vzdump/pct.conf ./etc/vzdump/pct.fw -C "$V/root" ./ |
		gzip -1 >"$1"
}
mkvz "$W/badnet.tar.gz" "hostname: x
net0: name=eth0,bridge=vmbr0,ip=999.1.1.1/24,type=veth"
imp_fails "$T-vzbad" "$W/badnet.tar.gz" "pct\.conf.*999\.1\.1\.1" "a pct.conf with a bad address"
mknod "$V/root/srv/null" c 1 3
mkvz "$W/dev.tar.gz" "unprivileged: 1"
imp_fails "$T-vzbad" "$W/dev.tar.gz" "srv/null.*device node.*unprivileged" "a device node in an unprivileged archive"
rm -f "$V/root/srv/null"
echo x >"$V/root/srv/far" && chown 70000 "$V/root/srv/far"
mkvz "$W/far.tar.gz" "unprivileged: 1"
imp_fails "$T-vzbad" "$W/far.tar.gz" "srv/far.*uid 70000 is outside the container's 65536 mapped ids" \
	"an owner outside the id map of an unprivileged archive"
rm -f "$V/root/srv/far"

PHASE="an LXC image (rootfs.tar.xz, meta.tar.xz)"
L=$W/lxc
mkdir -p "$L/meta/templates"
printf 'lxc.include = LXC_TEMPLATE_CONFIG/common.conf\nlxc.arch = linux64\n' >"$L/meta/config"
printf 'templates:\n  /etc/hostname:\n    when: [create]\n' >"$L/meta/metadata.yaml"
echo '{{ container.name }}' >"$L/meta/templates/hostname.tpl"
tar --numeric-owner -cJf "$W/rootfs.tar.xz" -C "$V/root" .
tar --numeric-owner -cJf "$W/meta.tar.xz" -C "$L/meta" .
check "box import of rootfs.tar.xz" box import "$T-lxc" "$W/rootfs.tar.xz"
check_match "a minimal config: the name as hostname" "^hostname += $T-lxc$" "$(box config show "$T-lxc" | grep ^hostname)"
check_match "the config says where it came from" "made by box import from .*rootfs\.tar\.xz" \
	"$(cat "$BOX_ROOT/etc/boxes/$T-lxc.conf")"
check "it starts" box start "$T-lxc"
check_eq "hostname inside" "$T-lxc" "$(box attach "$T-lxc" -- hostname)"
box stop --kill "$T-lxc" >/dev/null 2>&1
imp_fails "$T-meta" "$W/meta.tar.xz" "no sbin.*meta\.tar\.xz\? import its rootfs\.tar\.xz" "meta.tar.xz alone"

PHASE="an Incus backup"
mkdir -p "$W/incus/backup"
printf 'name: web\nbackend: dir\n' >"$W/incus/backup/index.yaml"
tar --numeric-owner --xattrs --xattrs-include='*' --acls --sparse -cf "$W/incus.tar" \
	-C "$W/incus" backup/index.yaml -C "$S/$C" --transform 's,^rootfs,backup/container/rootfs,S' rootfs
# an Incus container is unprivileged, as the import makes it: a privileged
# source's files (a device node, ids over 65535) cannot be its
if [ "$EX_DEVICES" = yes ]; then
	imp_fails "$T-incus" "$W/incus.tar" "device node.*unprivileged|outside the container's 65536 mapped ids" \
		"an Incus backup of a privileged container's files"
else
	check "box import of an Incus backup" box import "$T-incus" "$W/incus.tar"
	check "its rootfs is the container's, every file kind (hard links renamed too)" ex_compare "$R" "$S/$T-incus/rootfs"
	check "no backup/ folder in the rootfs" test ! -e "$S/$T-incus/rootfs/backup"
	check_match "it is unprivileged" "^unprivileged += yes" "$(box config show "$T-incus")"
fi
box destroy --purge "$T-incus" >/dev/null 2>&1

PHASE="corrupt, truncated, not a tar"
size=$(stat -c %s "$W/a.tar.gz")
head -c $((size / 2)) "$W/a.tar.gz" >"$W/half.tar.gz"
imp_fails "$T-bad" "$W/half.tar.gz" "truncated gzip" "a gzip archive cut in half"
head -c $((size - 4)) "$W/a.tar.gz" >"$W/trailer.tar.gz"
imp_fails "$T-bad" "$W/trailer.tar.gz" "truncated gzip" "a gzip archive without the end of its trailer"
# flip IN OUT WHERE: a copy with one byte changed at WHERE (a fraction of the
# size, or a negative offset from the end)
flip() {
	python3 -c 'import sys
b = bytearray(open(sys.argv[1], "rb").read())
w = sys.argv[3]
o = len(b) + int(w) if w.startswith("-") else int(len(b) * float(w))
b[o] ^= 0x5a
open(sys.argv[2], "wb").write(b)' "$@"
}
flip "$W/a.tar.gz" "$W/flip.tar.gz" 0.75
imp_fails "$T-bad" "$W/flip.tar.gz" "corrupt gzip data" "one flipped byte in the gzip data"
flip "$W/a.tar.gz" "$W/crc.tar.gz" -8
imp_fails "$T-bad" "$W/crc.tar.gz" "corrupt gzip data \(incorrect data check\)" "a wrong CRC-32 in the gzip trailer"
flip "$W/a.tar.gz" "$W/isize.tar.gz" -2
imp_fails "$T-bad" "$W/isize.tar.gz" "corrupt gzip data \(incorrect length check\)" "a wrong length in the gzip trailer"
flip "$W/z.tar.zst" "$W/flip.tar.zst" 0.75
imp_fails "$T-bad" "$W/flip.tar.zst" "corrupt zstd data" "one flipped byte in the zstd data"
head -c $(($(stat -c %s "$W/z.tar.zst") / 2)) "$W/z.tar.zst" >"$W/half.tar.zst"
imp_fails "$T-bad" "$W/half.tar.zst" "truncated zstd" "a zstd archive cut in half"
xz -1 -c "$W/plain.tar" | head -c 300000 >"$W/half.tar.xz"
imp_fails "$T-bad" "$W/half.tar.xz" "." "an xz archive cut short"
head -c $((size / 2)) "$W/a.tar.gz" | box import "$T-bad" - >"$W/out" 2>&1
check "a truncated archive through a pipe fails" test "${PIPESTATUS[1]}" -ne 0
check_match "and says so" "truncated gzip" "$(cat "$W/out")"
imp_gone "$T-bad" "(truncated through a pipe)"
echo "just some text" >"$W/text.tar"
imp_fails "$T-bad" "$W/text.tar" "is not a tar archive" "a text file"
head -c 100000 /dev/urandom >"$W/random.tar.gz"
imp_fails "$T-bad" "$W/random.tar.gz" "is not a tar archive" "random bytes"
echo "just some text" | gzip >"$W/text.tar.gz"
imp_fails "$T-bad" "$W/text.tar.gz" "is not a tar archive" "gzip of a text file"
: >"$W/empty.tar"
imp_fails "$T-bad" "$W/empty.tar" "is not a tar archive" "an empty file"
tar cf "$W/nosbin.tar" -C "$W" text.tar empty.tar
imp_fails "$T-bad" "$W/nosbin.tar" "holds no sbin: not a container's root filesystem" "a tar without sbin"

PHASE="hostile archives"
mkdir -p "$W/outside"
links=$(stat -c %h /etc/passwd)
python3 - "$W" <<'PY'
import io, os, sys, tarfile
w = sys.argv[1]
def mk(name, entries):
    with tarfile.open(os.path.join(w, name), "w:gz", format=tarfile.PAX_FORMAT) as t:
        for path, kind, arg in [("./", "dir", None), ("./sbin", "dir", None), ("./etc", "dir", None)] + entries:
            ti = tarfile.TarInfo(path)
            if kind == "dir":
                ti.type, ti.mode = tarfile.DIRTYPE, 0o755
                t.addfile(ti)
            elif kind == "file":
                ti.size, ti.mode = len(arg), 0o644
                t.addfile(ti, io.BytesIO(arg))
            elif kind == "sym":
                ti.type, ti.linkname = tarfile.SYMTYPE, arg
                t.addfile(ti)
            elif kind == "hard":
                ti.type, ti.linkname = tarfile.LNKTYPE, arg
                t.addfile(ti)
out = os.path.join(w, "outside")
mk("dotdot.tar.gz", [("./etc/../../../../../../escape-dotdot", "file", b"x")])
mk("abs.tar.gz", [(out + "/escape-abs", "file", b"x")])
mk("sym.tar.gz", [("./etc/lnk", "sym", out), ("./etc/lnk/escape-sym", "file", b"x")])
mk("relsym.tar.gz", [("./etc/up", "sym", "../" * 12 + out.lstrip("/")), ("./etc/up/escape-relsym", "file", b"x")])
mk("hard.tar.gz", [("./etc/pw", "hard", "../../../../../../etc/passwd")])
mk("hardsym.tar.gz", [("./etc/lnk", "sym", "/etc"), ("./etc/pw", "hard", "./etc/lnk/passwd")])
mk("rootsym.tar.gz", [(".", "sym", out), ("./escape-root", "file", b"x")])
# a header libarchive can only skip: a regular file named "./" with data
with tarfile.open(os.path.join(w, "damaged.tar.gz"), "w:gz", format=tarfile.PAX_FORMAT) as t:
    ti = tarfile.TarInfo("./"); ti.size = 1; t.addfile(ti, io.BytesIO(b"x"))
    ti = tarfile.TarInfo("./sbin"); ti.type = tarfile.DIRTYPE; t.addfile(ti)
PY
imp_fails "$T-evil" "$W/dotdot.tar.gz" "hostile archive: entry '.*escape-dotdot' .*\"\.\.\" component" "a .. entry"
imp_fails "$T-evil" "$W/abs.tar.gz" "hostile archive: entry '/.*escape-abs' .*absolute path" "an absolute entry"
imp_fails "$T-evil" "$W/sym.tar.gz" "etc/lnk/escape-sym.*through symlink" "a file through an absolute symlink"
imp_fails "$T-evil" "$W/relsym.tar.gz" "etc/up/escape-relsym.*through symlink" "a file through a relative symlink out"
imp_fails "$T-evil" "$W/hard.tar.gz" "hostile archive: hard link './etc/pw'" "a hard link out"
imp_fails "$T-evil" "$W/hardsym.tar.gz" "etc/pw.*through symlink" "a hard link through a symlink"
imp_fails "$T-evil" "$W/rootsym.tar.gz" "hostile archive: its root '\.' is not a folder" "the root as a symlink"
imp_fails "$T-evil" "$W/damaged.tar.gz" "damaged archive: a header .* is unreadable" "a damaged header"
check_eq "nothing was written outside" "" \
	"$(ls -A "$W/outside"; find "$BOX_ROOT" -name 'escape-*'; ls -d /escape-* /tmp/escape-* 2>/dev/null)"
check_eq "/etc/passwd got no new link" "$links" "$(stat -c %h /etc/passwd)"

PHASE="signals and kill -9"
dd if=/dev/urandom of="$R/srv/big" bs=1M count=64 status=none
box export "$C" --compress none -o "$W/big.tar" >/dev/null 2>&1
box export "$C" -o "$W/big.tar.gz" >/dev/null 2>&1
rm -f "$R/srv/big"
# stall FILE NAME: an import reading FILE's first 8 MiB through a pipe whose
# writer then waits; sets ipid (the import) and wpid (the writer)
stall() {
	(
		echo $BASHPID >"$W/writer.pid"
		head -c 8M "$1"
		exec sleep 60
	) | box import "$2" - >"$W/sig.out" 2>&1 &
	ipid=$!
	rt_wait_for 10 test -s "$W/writer.pid"
	wpid=$(cat "$W/writer.pid")
	rm -f "$W/writer.pid"
	rt_wait_for 10 sh -c "ls -d '$S'/.import-'$2'.* >/dev/null 2>&1"
}
for sig in INT:big.tar TERM:big.tar.gz; do
	f=${sig#*:} sig=${sig%%:*}
	stall "$W/$f" "$T-sig"
	check "SIG$sig, $f: meanwhile the rootfs grows under a hidden name" test -n "$(ls -d "$S/.import-$T-sig".* 2>/dev/null)"
	kill -s "$sig" "$ipid"
	rt_wait_for 5 rt_dead "$ipid"
	# (wait waits for the whole pipeline: the writer first)
	kill "$wpid" 2>/dev/null
	wait "$ipid"
	rc=$?
	check "SIG$sig while blocked on a pipe: import fails at once (rc $rc)" test "$rc" -ne 0
	check_match "SIG$sig: it says so, in one line" "^box: importing $T-sig .*interrupted by signal [0-9]+$" "$(cat "$W/sig.out")"
	imp_gone "$T-sig" "after SIG$sig"
done
stall "$W/big.tar.gz" "$T-sig"
kill -9 "$ipid"
rt_wait_for 5 rt_dead "$ipid"
kill "$wpid" 2>/dev/null
wait "$ipid" 2>/dev/null
check "after kill -9: no config" test ! -e "$BOX_ROOT/etc/boxes/$T-sig.conf"
check "after kill -9: nothing under the container's name" test ! -e "$S/$T-sig"
check_eq "after kill -9: ls does not show it" "" "$(box ls | grep "^$T-sig ")"
out=$(box import "$T-sig" "$W/big.tar.gz" 2>&1); check_eq "a new import of the name works" 0 $?
check_match "and removes the leftover of the killed one" "removed \.import-$T-sig\.[0-9]+, left by an interrupted import" "$out"
check_eq "no hidden leftover now" "" "$(ls -d "$S"/.import-* 2>/dev/null)"
box destroy --purge "$T-sig" >/dev/null 2>&1
rm -f "$W/big.tar" "$W/big.tar.gz"

t_done
