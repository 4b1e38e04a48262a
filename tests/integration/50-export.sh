#!/bin/bash
# box export: the vzdump layout, every file kind (checked by extracting with
# GNU tar as pct restore does), compression, the default name, stdout,
# container-view owners, atomic output under signals and a full disk, running
# containers, --template.
# box-test: also unprivileged
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/runtime-lib.sh"
. "$(dirname "$0")/export-lib.sh"

W=$BOX_ROOT/work
mkdir -p "$W"
C=$T-src
rt_config "$C" "memory = 256M
network eth0 {
	bridge = br$T
	address = {10.99.0.10/24}
	gateway = 10.99.0.1
	hwaddr = 02:00:0a:63:00:0a
}"
R=$BOX_ROOT/var/lib/boxes/$C/rootfs
[ -d "$R" ] || box create "$C" >/dev/null 2>&1
PHASE="setup"
check "the source container has a rootfs" test -d "$R"
ex_fill "$R"

PHASE="bad usage"
out=$(box export 2>&1); check_eq "export without a name exits 2" 2 $?
out=$(box export "$C" --compress lzma 2>&1); check_eq "--compress lzma exits 2" 2 $?
check_match "--compress names the choices" "gzip, zstd or none" "$out"
out=$(box export "$C" --mode pause 2>&1); check_eq "--mode pause exits 2" 2 $?
out=$(box export "$C" extra 2>&1); check_eq "two names exit 2" 2 $?
out=$(box export "$T-nosuch" -o "$W/x.tar.gz" 2>&1); rc=$?
check "export of an unknown container fails" test "$rc" -ne 0
out=$(box export "$C" -o "$W/no/such/dir/x.tar.gz" 2>&1); check_eq "export into a missing folder exits 1" 1 $?
check_match "the missing folder is named" "no/such/dir" "$out"
out=$(box export "$C" -o "$W" 2>&1); check_eq "export onto a folder exits 2" 2 $?
check_eq "no stray file after the failures" "" "$(ls -A "$W")"

PHASE="export gzip"
check "box export -o FILE" box export "$C" -o "$W/a.tar.gz"
check "the output is one valid gzip stream (gzip -t)" gzip -t "$W/a.tar.gz"
check_eq "first members: pct.conf, pct.fw, then ./" "./etc/vzdump/pct.conf ./etc/vzdump/pct.fw ./" \
	"$(tar tzf "$W/a.tar.gz" | head -3 | tr '\n' ' ' | sed 's/ $//')"
check_eq "pct.fw is empty" "0" "$(tar xOzf "$W/a.tar.gz" ./etc/vzdump/pct.fw | wc -c)"
pct=$(tar xOzf "$W/a.tar.gz" ./etc/vzdump/pct.conf)
check_match "pct.conf: hostname" "^hostname: $C-host$" "$(echo "$pct" | grep ^hostname)"
check_match "pct.conf: memory in MiB" "^memory: 256$" "$(echo "$pct" | grep ^memory)"
check_eq "pct.conf: net0 as pct writes it" \
	"net0: name=eth0,bridge=br$T,gw=10.99.0.1,hwaddr=02:00:0A:63:00:0A,ip=10.99.0.10/24,type=veth" \
	"$(echo "$pct" | grep ^net0)"
check_match "pct.conf: rootfs line with a size" "^rootfs: .*,size=[0-9]+G$" "$(echo "$pct" | grep ^rootfs)"
check_eq "pct.conf: the boxes config as description" "#boxes-config-v1" "$(echo "$pct" | head -1)"
list=$(tar tvzf "$W/a.tar.gz")
check_eq "vzdump excludes: ./tmp/*, ./var/tmp/*, ./var/run/*.pid (in ./run, where var/run points) left out" "" \
	"$(echo "$list" | grep -E '\./tmp/junk|\./var/tmp/junk|x\.pid')"
check_match "the empty ./tmp/ stays" " \./tmp/$" "$list"
check_match "numeric owners (above 65535 when privileged)" "$EX_BIG_U/$EX_BIG_G .* ./srv/kinds/bigids" "$list"
check_match "hard link stored as a link" "^h.* ./srv/kinds/hard[12] link to ./srv/kinds/hard[12]" "$list"
size=$(stat -c %s "$W/a.tar.gz")
check "the 4 GiB sparse file stays sparse in the archive ($size bytes)" test "$size" -lt $((30 << 20))

PHASE="GNU tar extracts it as pct restore does"
X=$W/x
mkdir -p "$X"
check "tar xpzf --xattrs --acls --numeric-owner" tar xpzf "$W/a.tar.gz" --xattrs --xattrs-include='*' --acls \
	--numeric-owner -C "$X"
check "every file kind equal after GNU tar (owners, modes, xattrs, caps, ACLs, links, devices, sparse)" \
	ex_compare --shift-a "$EX_BASE" "$R" "$X"
check_eq "setuid bit kept" "4755" "$(stat -c %a "$X/srv/kinds/setuid")"
check_match "file capability kept" "cap_net_raw[=+]ep" "$(getcap "$X/srv/kinds/ping-cap")"
check_match "ACL kept" "user:1234:rw-" "$(getfacl -cn "$X/srv/kinds/acl" 2>/dev/null)"
check "sparse file still sparse" test "$(stat -c %b "$X/srv/kinds/sparse")" -lt 16384
rm -rf "$X"

PHASE="zstd and none"
check "--compress zstd" box export "$C" --compress zstd -o "$W/b.tar.zst"
check "zstd -t accepts it" zstd -q -t "$W/b.tar.zst"
check_eq "zstd: pct.conf first" "./etc/vzdump/pct.conf" "$(tar --zstd -tf "$W/b.tar.zst" | head -1)"
check "--compress none" box export "$C" --compress none -o "$W/c.tar"
check_eq "none: a plain tar, pct.conf first" "./etc/vzdump/pct.conf" "$(tar tf "$W/c.tar" | head -1)"
check_eq "gzip and plain list the same members" "$(tar tzf "$W/a.tar.gz" | sort | md5sum)" \
	"$(tar tf "$W/c.tar" | sort | md5sum)"
rm -f "$W/b.tar.zst" "$W/c.tar"

PHASE="default name"
check "export without -o" box export "$C" --compress zstd
f=$(ls "$BOX_ROOT/var/lib/boxes/dump/")
check_match "vzdump-box-NAME-YYYY_MM_DD-HH_MM_SS.tar.zst in the dump folder" \
	"^vzdump-box-$C-[0-9]{4}_[0-9]{2}_[0-9]{2}-[0-9]{2}_[0-9]{2}_[0-9]{2}\.tar\.zst$" "$f"
check_eq "the dump is readable by root only" "600" "$(stat -c %a "$BOX_ROOT/var/lib/boxes/dump/$f")"

PHASE="stdout"
check_eq "-o - streams the archive" "./etc/vzdump/pct.conf" "$(box export "$C" -o - | tar tzf - | head -1)"
box export "$C" -o - 2>"$W/err" | head -c 100 >/dev/null
rc=${PIPESTATUS[0]}
check "a reader that goes away makes the export fail, not hang (rc $rc)" test "$rc" -ne 0
rm -f "$W/err"

PHASE="unprivileged: container-view owners"
U=$T-unp
rt_config "$U" "unprivileged = yes"
UR=$BOX_ROOT/var/lib/boxes/$U/rootfs
[ -d "$UR" ] || box create "$U" >/dev/null 2>&1
# a rootfs shifted at create (the filesystem could not be idmapped)
echo 100000 >"$BOX_ROOT/var/lib/boxes/$U/idshift"
mkdir -p "$UR/srv"
chown -R 100000:100000 "$UR"
echo u >"$UR/srv/user" && chown 101000:101001 "$UR/srv/user"
echo o >"$UR/srv/outside" && chown 5:5 "$UR/srv/outside"
out=$(box export "$U" -o "$W/u.tar.gz" 2>&1)
check_eq "export of an unprivileged container" 0 $?
list=$(tar tvzf "$W/u.tar.gz")
check_match "container root is 0/0 in the archive" "0/0 .* \./bin/busybox$" "$list"
check_match "101000 is 1000 inside" "1000/1001 .* \./srv/user$" "$list"
check_match "an id outside the map is nobody" "65534/65534 .* \./srv/outside$" "$list"
check_match "and a warning says so" "outside the container's id map" "$out"
check_match "pct.conf says unprivileged: 1" "^unprivileged: 1$" "$(tar xOzf "$W/u.tar.gz" ./etc/vzdump/pct.conf | grep ^unpriv)"
rm -f "$W/u.tar.gz"

PHASE="interrupted exports leave nothing"
dd if=/dev/urandom of="$R/srv/big" bs=1M count=192 status=none
S=$W/sig
mkdir -p "$S"
for sig in INT TERM KILL; do
	for i in 1 2; do
		box export "$C" --compress gzip -o "$S/out.tar.gz" 2>/dev/null &
		pid=$!
		sleep "0.$((RANDOM % 9 + 1))"
		kill -s $sig $pid 2>/dev/null
		wait $pid
		rc=$?
		if [ -e "$S/out.tar.gz" ] && [ "$rc" -eq 0 ]; then
			# finished before the signal: try again sooner
			rm -f "$S/out.tar.gz"
			continue
		fi
		check "SIG$sig at a random point: nothing under the final name (rc $rc)" test ! -e "$S/out.tar.gz"
		check_eq "SIG$sig: no temporary file either" "" "$(ls -A "$S")"
		break
	done
done
# kill -9 while its view of the tree is mounted leaves the folder it was
# mounted on (empty: the mount went with its namespace); the next export
# removes it, by its dead pid
V=$BOX_ROOT/run/boxes/.views
box export "$C" --compress gzip -o "$S/k.tar.gz" 2>/dev/null &
pid=$!
views_there() { [ -n "$(ls -A "$V" 2>/dev/null)" ]; }
rt_wait_for 10 views_there
kill -9 $pid
wait $pid 2>/dev/null
check "SIGKILL during an export leaves its view's folder" views_there
check "the next export" box export "$C" --compress none -o "$S/k.tar"
check_eq "... removes it" "" "$(ls -A "$V" 2>&1)"
rm -f "$S/k.tar" "$S/k.tar.gz"
rm -f "$R/srv/big"

PHASE="full disk"
mkdir -p "$W/full"
mount -t tmpfs -o size=1m tmpfs "$W/full"
out=$(box export "$C" -o "$W/full/x.tar.gz" 2>&1); rc=$?
check_eq "export onto a full file system exits 1" 1 "$rc"
check_match "it says the disk is full" "No space left" "$out"
check_eq "nothing left on the full file system" "" "$(ls -A "$W/full")"
umount "$W/full"

PHASE="template"
mkdir -p "$R/etc/ssh" "$R/root" "$R/var/log/apt" "$R/var/cache/apt" "$R/etc/network" "$R/home/u"
echo 0123456789abcdef0123456789abcdef >"$R/etc/machine-id"
echo "$C-host" >"$R/etc/hostname"
printf '127.0.0.1 localhost\n127.0.1.1 %s-host\n' "$C" >"$R/etc/hosts"
echo key >"$R/etc/ssh/ssh_host_ed25519_key"
echo key >"$R/etc/ssh/ssh_host_ed25519_key.pub"
echo "keep" >"$R/etc/ssh/sshd_config"
echo "secret command" >"$R/root/.bash_history"
echo "secret command" >"$R/home/u/.ash_history"
echo log >"$R/var/log/messages"
echo log >"$R/var/log/apt/history.log"
echo cache >"$R/var/cache/apt/pkgcache.bin"
printf 'auto eth0\niface eth0 inet static\n  address 10.99.0.10/24\n' >"$R/etc/network/interfaces"
check "export --template" box export "$C" --template -o "$W/tpl.tar.gz"
list=$(tar tzf "$W/tpl.tar.gz")
check_eq "no ./etc/vzdump in a template" "" "$(echo "$list" | grep etc/vzdump)"
check_eq "ssh host keys, histories, logs and caches removed" "" \
	"$(echo "$list" | grep -E 'ssh_host_|_history|var/log/messages|history\.log|pkgcache\.bin')"
check_match "sshd_config kept" "\./etc/ssh/sshd_config$" "$list"
check_match "log folders kept" "\./var/log/apt/$" "$list"
check_eq "machine-id emptied" "0" "$(tar xOzf "$W/tpl.tar.gz" ./etc/machine-id | wc -c)"
check_eq "hostname reset" "localhost" "$(tar xOzf "$W/tpl.tar.gz" ./etc/hostname)"
check_eq "the old hostname is gone from /etc/hosts" "" "$(tar xOzf "$W/tpl.tar.gz" ./etc/hosts | grep "$C-host")"
check_eq "network config reset to loopback" "" "$(tar xOzf "$W/tpl.tar.gz" ./etc/network/interfaces | grep eth0)"
check_eq "the source container is untouched" "secret command" "$(cat "$R/root/.bash_history")"

PHASE="the backend of the disk, not of the config"
O=$T-ovl
rt_config "$O" "storage = overlay" # (and box create)
check "the rootfs is an overlay" test -f "$BOX_ROOT/var/lib/boxes/$O/layers"
echo "upper file" >"$BOX_ROOT/var/lib/boxes/.layers/$(sed -n 's/^upper //p' "$BOX_ROOT/var/lib/boxes/$O/layers")/diff/ovl-mark"
# the config changes after the create: the rootfs stays an overlay
sed -i 's/^storage = overlay$/storage = dir/' "$BOX_ROOT/etc/boxes/$O.conf"
check "export after the config says dir" box export "$O" -o "$W/ovl.tar.gz"
check_eq "the archive has the overlay's upper file" "upper file" "$(tar xOzf "$W/ovl.tar.gz" ./ovl-mark 2>&1)"
check_match "and the template's files below it" "^./sbin/init$" "$(tar tzf "$W/ovl.tar.gz" ./sbin/init 2>&1)"
box destroy "$O" >/dev/null 2>&1
rm -f "$W/ovl.tar.gz"

PHASE="overlay: the export syncs its archive, not the state folder's filesystem"
# the state folder on an ext4 image of its own (mounted commit=600: no timed
# journal commit), a file there written and not synced, the archive into the
# same filesystem; then the image copied as the disk holds it. The archive
# is there, whole; the other file's data is not: the export waited for no
# other writer's dirty data (a read-write overlay's unmount synced the whole
# filesystem: 200 MB of it cost the export seconds)
IMG=$W/ovl-state.img
OS=$W/ovl-state
mkdir -p "$OS"
truncate -s 512M "$IMG"
if ! mkfs.ext4 -q "$IMG" >/dev/null 2>&1 || ! loop=$(losetup -f --show "$IMG"); then
	fail "an ext4 image for the state folder"
else
	t_loop "$loop"
	check "mount it (commit=600)" mount -o commit=600 "$loop" "$OS"
	export BOX_STATE_DIR=$OS/boxes
	mkdir -p "$BOX_STATE_DIR/templates"
	cp -L "$BOX_ROOT/var/lib/boxes/templates/$(t_template busybox)" "$BOX_STATE_DIR/templates/"
	O=$T-ovs
	t_config "$O" <<-EOF
	$(rt_rootfs_line "$O")
	storage = overlay
	EOF
	check "an overlay container there" box create "$O"
	sync -f "$OS"
	head -c 1M /dev/urandom >"$W/other-writer"
	cp "$W/other-writer" "$OS/other-writer"
	check "export it into that filesystem" box export "$O" -o "$OS/ovs.tar.gz"
	cp --sparse=always "$IMG" "$IMG.cut"
	unset BOX_STATE_DIR
	umount "$OS"
	if loop=$(losetup -f --show "$IMG.cut") && t_loop "$loop" && mount "$loop" "$OS"; then
		check "the image as the disk held it: the archive is whole" gzip -t "$OS/ovs.tar.gz"
		check_fail "... the other writer's data is not there" cmp -s "$OS/other-writer" "$W/other-writer"
		umount "$OS"
	else
		fail "mounting the image's copy"
	fi
fi

PHASE="the export moves no atime"
# on a strictatime filesystem (relatime would hide all but the first read):
# a file, its folder and a symlink, their atimes set to 2001, are exported
# and keep them, from a dir container, an overlay's upper, a dir snapshot
AT=$W/atime
mkdir -p "$AT"
check "a strictatime tmpfs as the state folder" mount -t tmpfs -o strictatime,size=256m tmpfs "$AT"
export BOX_STATE_DIR=$AT
mkdir -p "$AT/templates"
cp -L "$BOX_ROOT/var/lib/boxes/templates/$(t_template busybox)" "$AT/templates/"
# at_set TREE / at_get TREE: the three atimes set to 2001 / printed
at_set() {
	mkdir -p "$1/srv/at" && echo data >"$1/srv/at/file" && ln -sf file "$1/srv/at/link"
	touch -h -a -d 2001-01-01 "$1/srv/at/file" "$1/srv/at/link" "$1/srv/at"
}
at_get() { (cd "$1/srv/at" && stat -c '%n %X' . file link | tr '\n' ' '); }
for kind in dir overlay; do
	A=$T-at-$kind
	t_config "$A" <<-EOF
	$(rt_rootfs_line "$A")
	storage = $kind
	EOF
	check "$kind: create" box create "$A"
	r=$AT/$A/rootfs
	[ "$kind" = overlay ] && r=$AT/.layers/$(sed -n 's/^upper //p' "$AT/$A/layers")/diff
	at_set "$r"
	before=$(at_get "$r")
	check "$kind: export" box export "$A" -o "$W/at.tar.gz"
	check_eq "$kind: ... the file in the archive" "data" "$(tar xOzf "$W/at.tar.gz" ./srv/at/file 2>&1)"
	check_eq "$kind: ... no atime moved (folder, file, symlink)" "$before" "$(at_get "$r")"
	if [ "$kind" = dir ]; then
		check "$kind: snapshot" box snapshot "$A" s
		r=$AT/$A/snapshots/s/rootfs
		at_set "$r"
		before=$(at_get "$r")
		check "$kind: export --snapshot" box export "$A" --snapshot s -o "$W/at.tar.gz"
		check_eq "$kind: ... no atime of the snapshot's moved" "$before" "$(at_get "$r")"
	fi
	box destroy "$A" >/dev/null 2>&1
done
unset BOX_STATE_DIR
umount "$AT"

PHASE="what Proxmox's parser reads in pct.conf"
# pve_bad PCT: the lines Proxmox's PVE::LXC::Config would refuse or read
# otherwise (its formats: startup order=\d+, memory >= 16, a description
# whose %XX decode to what was meant, mpN: SOURCE,mp=PATH[,ro=1])
pve_bad() {
	printf '%s\n' "$1" | while IFS= read -r l; do
		case "$l" in
		'#'*) printf '%s' "${l#\#}" | grep -qE ':|%($|.$|[^0-9A-F]|.[^0-9A-F])' && echo "$l" ;;
		startup:*) printf '%s' "$l" | grep -qE '^startup: order=[0-9]+(,up=[0-9]+)?(,down=[0-9]+)?$' || echo "$l" ;;
		memory:*) [ "${l#memory: }" -ge 16 ] 2>/dev/null || echo "$l" ;;
		mp[0-9]*) printf '%s' "$l" | grep -qE '^mp[0-9]+: /[^,]*,mp=/[^,]*(,ro=1)?$' || echo "$l" ;;
		esac
	done
}
rt_config "$T-px" "start_order = -5
memory = 8M
swap = 0
environment = {\"http_proxy=http://user:p%40ss@proxy:3128\"}
mount /mnt/data {
	source   = /srv
	readonly = yes
}
network eth0 {
	bridge  = br$T
	address = {10.99.7.10/24, 10.99.7.11/24}
}"
out=$(box export "$T-px" -o "$W/px.tar.gz" 2>&1); rc=$?
check_eq "export of a config pct.conf cannot carry whole: exit 0" 0 "$rc"
pct=$(tar xOzf "$W/px.tar.gz" ./etc/vzdump/pct.conf)
check_eq "no line Proxmox's parser refuses or misreads" "" "$(pve_bad "$pct")"
check_eq "a negative start_order: no startup line" "" "$(echo "$pct" | grep ^startup)"
check_eq "memory = 8M: memory: 16, Proxmox's least" "memory: 16" "$(echo "$pct" | grep ^memory)"
check_eq "the mount section as a bind mount point" "mp0: /srv,mp=/mnt/data,ro=1" "$(echo "$pct" | grep ^mp)"
check_match "'%' escaped in the description" "p%2540ss@proxy" "$(echo "$pct" | grep http_proxy)"
check_eq "one address per family in net0" "net0: name=eth0,bridge=br$T,ip=10.99.7.10/24,type=veth" \
	"$(echo "$pct" | grep ^net0)"
warn=$(printf '%s\n' "$out" | grep warning)
check_eq "one warning of what pct restore would not give back" 1 "$(printf '%s\n' "$warn" | grep -c .)"
for w in "start_order = -5: Proxmox's order is 0 or more, left out" \
	"memory = 8M is below Proxmox's least 16 MiB: pct.conf says 16" \
	"network eth0: address 10.99.7.11/24 \(pct has one address per family\), left out"; do
	check_match "it names: $w" "$w" "$warn"
done
out=$(box import "$T-pxback" "$W/px.tar.gz" 2>&1)
check_match "box import gives back the environment, p%40ss and all" 'http_proxy=http://user:p%40ss@proxy:3128' \
	"$(box config show "$T-pxback" | grep ^environment)"
check_eq "and the rest of the config but the mount" "$(box config show "$T-px" | tail -n +2 | sed '/^mount/,/^}/d')" \
	"$(box config show "$T-pxback" | tail -n +2)"
check_match "the mount section is there, commented out: the archive does not choose host paths" \
	'^# mount "/mnt/data" \{
#	source   = "/srv"
#	readonly = yes
# \}$' "$(sed -n '/^# mount/,/^# }/p' "$BOX_ROOT/etc/boxes/$T-pxback.conf")"
check_match "and named in a warning" "mount /mnt/data \(bind mount of /srv on /mnt/data: written commented out" "$out"
box destroy --purge "$T-pxback" >/dev/null 2>&1
rt_config "$T-pxmax" "network h {
	type = host
}"
out=$(box export "$T-pxmax" -o "$W/pxmax.tar.gz" 2>&1)
pct=$(tar xOzf "$W/pxmax.tar.gz" ./etc/vzdump/pct.conf)
check_eq "unlimited memory and swap: no memory or swap line" "" "$(echo "$pct" | grep -E '^(memory|swap):')"
check_match "the export says pct restore gives 512 MiB of each" \
	"memory = max: Proxmox has no unlimited memory, pct restore gives 512 MiB.*swap = max: pct restore gives 512 MiB of swap" "$out"
check_match "and that type = host is left out" "network h: type = host has no pct counterpart, left out" "$out"

t_done
