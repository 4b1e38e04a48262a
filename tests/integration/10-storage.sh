#!/bin/bash
# Templates and box create/destroy with real files: the busybox template from
# its recipe; the dir, overlay and btrfs backends (btrfs on a loop-mounted
# image made here), the fallback when a backend cannot be used; every file
# kind compared with the tarball's listing; gzip, zstd, xz, bzip2 and plain
# found by content; the identity files; a first start that creates; bad and
# hostile tarballs refused (or neutralised) with nothing left behind and
# nothing outside changed; interrupted creates; destroy.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/export-lib.sh"
. "$(dirname "$0")/storage-lib.sh"

S=$BOX_ROOT/var/lib/boxes
# upper_of NAME: an overlay container's upper layer (its layer record names it)
upper_of() { echo "$S/.layers/$(sed -n 's/^upper //p' "$S/$1/layers")/diff"; }
TPL=$S/templates
W=$BOX_ROOT/work
mkdir -p "$W"

# mk NAME [EXTRA CONFIG LINES] [TEMPLATE]: a container config (default
# template: the busybox one)
mk() {
	t_config "$1" <<CONF
template = ${3:-bb.tar.gz}
hostname = $1-host
stop_timeout = 5
${2:-}
CONF
}
# fails NAME REGEX WHAT: box create NAME exits 1 with one message matching
# REGEX, and leaves nothing behind; the template cache is as it was. The
# message stays in $out.
fails() {
	local name=$1 re=$2 what=$3 rc cache
	cache=$(st_cache)
	out=$(box create "$name" 2>&1); rc=$?
	check_eq "$what: create exits 1" 1 "$rc"
	check_match "$what: the message says why" "$re" "$out"
	check_eq "$what: one message line" 1 "$(printf '%s\n' "$out" | wc -l)"
	check_eq "$what: nothing left behind" "" "$(st_leftovers "$name")"
	check_eq "$what: the template cache is unchanged" "$cache" "$(st_cache)"
}
# execs CMD...: the programs CMD executed besides itself (none expected)
execs() {
	strace -f -qq -e trace=execve,execveat -o "$W/strace" "$@" >/dev/null 2>&1
	tail -n +2 "$W/strace" | grep -v 'resumed>' | grep -oE 'exec[a-z]*\("[^"]*"' | sort -u | tr '\n' ' '
}

PHASE="the busybox template, built by its recipe"
out=$("$TOP/templates/busybox" "$W/bb.tar.gz" 2>&1)
check_eq "templates/busybox builds (rc)" 0 $?
check "it is a gzip file" gzip -t "$W/bb.tar.gz"
list=$(tar tvzf "$W/bb.tar.gz")
check_match "it holds the static busybox" " \./bin/busybox$" "$list"
check_match "/sbin/init is busybox" " \./sbin/init -> /bin/busybox$" "$list"
check_eq "it holds no /etc/hostname (written per container)" "" "$(echo "$list" | grep ' \./etc/hostname$')"
cp "$W/bb.tar.gz" "$TPL/bb.tar.gz"
BB=$TPL/bb.tar.gz

PHASE="bad usage"
out=$(box create 2>&1); check_eq "create without a name exits 2" 2 $?
out=$(box create a b 2>&1); check_eq "create with two names exits 2" 2 $?
out=$(box create --bogus x 2>&1); check_eq "create --bogus exits 2" 2 $?
out=$(box create Bad_Name 2>&1); check_eq "create of an invalid name exits 2" 2 $?
out=$(box create "$T-noconf" 2>&1); rc=$?
check "create of a container without a config fails" test "$rc" -ne 0
check_match "... naming the config file" "$T-noconf\.conf" "$out"
t_config "$T-notpl" <<<"hostname = x"
out=$(box create "$T-notpl" 2>&1); check_eq "create without any template exits 2" 2 $?
check_match "... saying how to give one" "template = FILE.*--template FILE" "$out"
check_eq "... and leaves nothing" "" "$(st_leftovers "$T-notpl")"
out=$(box destroy 2>&1); check_eq "destroy without a name exits 2" 2 $?
out=$(box destroy --bogus x 2>&1); check_eq "destroy --bogus exits 2" 2 $?

PHASE="create with storage dir"
C=$T-web
mk "$C" "searchdomain = example.org"
out=$(box create "$C" 2>&1); rc=$?
check_eq "box create exits 0" 0 "$rc"
check_match "it says which backend it used" "storage dir" "$out"
R=$S/$C/rootfs
check "the rootfs is a folder" test -d "$R"
check "the busybox of the template is there, executable" test -x "$R/bin/busybox"
check_eq "the rootfs's root is 755 root:root as in the tarball" "755 0:0" "$(stat -c '%a %u:%g' "$R")"
check "every member matches the tarball's listing" st_compare "$BB" "$R"
check_eq "/etc/hostname is the config's hostname" "$C-host" "$(cat "$R/etc/hostname")"
check_eq "/etc/hosts has the 127.0.1.1 line (FQDN from the searchdomain, short name)" \
	"127.0.1.1	$C-host.example.org $C-host" "$(grep '^127\.0\.1\.1' "$R/etc/hosts")"
check_match "the template's own /etc/hosts lines stay" "^127\.0\.0\.1	localhost$" "$(cat "$R/etc/hosts")"
check_match "/etc/resolv.conf has the search domain" "^search example\.org$" "$(cat "$R/etc/resolv.conf")"
check_eq "the identity files belong to the container's root" "0:0 0:0" \
	"$(stat -c '%u:%g' "$R/etc/hostname" "$R/etc/hosts" | tr '\n' ' ' | sed 's/ $//')"
check_eq "no temporary left in the container folder (idshift: the owners record)" "idshift rootfs" "$(ls -A "$S/$C" | tr "\n" " " | sed "s/ $//")"
check_match "box ls lists it as STOPPED" "^$C +STOPPED" "$(box ls 2>/dev/null)"
echo mine >"$R/root/marker"
out=$(box create "$C" 2>&1); rc=$?
check_eq "a second create of the same name exits 1" 1 "$rc"
check_match "... saying it is created already and what to do" "already created.*box destroy $C" "$out"
check_eq "... and the existing rootfs is untouched" "mine" "$(cat "$R/root/marker" 2>/dev/null)"
mk "$T-noexec"
check_eq "create runs no program (extraction, identity in-process)" "" "$(execs box create "$T-noexec")"
box destroy "$T-noexec" >/dev/null 2>&1

PHASE="which template"
t_config "$T-abs" <<<"template = $W/bb.tar.gz"
check "template = an absolute path" box create "$T-abs"
check "... extracted" test -x "$S/$T-abs/rootfs/bin/busybox"
check "--template NAME of the templates folder wins over the config's" \
	box create "$T-notpl" --template bb.tar.gz
check "... extracted" test -x "$S/$T-notpl/rootfs/bin/busybox"
mk "$T-rel"
cp "$BB" "$W/other.tar.gz"
out=$(cd "$W" && box create "$T-rel" --template other.tar.gz 2>&1)
check_match "--template FILE relative to the working folder" "from $W/other\.tar\.gz" "$out"
t_config "$T-missing" <<<"template = nosuch.tar.gz"
fails "$T-missing" "nosuch\.tar\.gz.*(No such file|not found)" "a missing template"
check_match "... naming where it was looked for" "$TPL/nosuch\.tar\.gz" "$out"
out=$(box create "$T-missing" --template "$W/nosuch.tar.gz" 2>&1)
check_match "a missing --template is named as given" "$W/nosuch\.tar\.gz" "$out"
t_config "$T-isdir" <<<"template = $W"
fails "$T-isdir" "$W.* not a file" "a folder as template"
for n in "$T-abs" "$T-notpl" "$T-rel"; do box destroy "$n" >/dev/null 2>&1; done

PHASE="compressions, found by their content"
gzip -dc "$BB" >"$W/bb.tar"
zstd -q -c "$W/bb.tar" >"$TPL/zst.tar.gz"
xz -c "$W/bb.tar" >"$TPL/xz.tgz"
bzip2 -c "$W/bb.tar" >"$TPL/bz2.tar.zst"
cp "$W/bb.tar" "$TPL/plain.tar.xz"
for f in zst.tar.gz xz.tgz bz2.tar.zst plain.tar.xz; do
	n=$T-c${f%%.*}
	mk "$n"
	out=$(box create "$n" --template "$f" 2>&1)
	check_eq "${f%%.*} content under the name $f: create exits 0" 0 $?
	check "${f%%.*}: every member matches the listing" st_compare "$W/bb.tar" "$S/$n/rootfs"
	box destroy "$n" >/dev/null 2>&1
done

PHASE="every file kind (dir)"
K=$W/kinds
mkdir -p "$K"
tar xpzf "$BB" -C "$K"
ex_fill "$K"
rm -rf "$K/tmp/junk" "$K/var/tmp/junk" "$K/var/run/x.pid"
tar --numeric-owner --xattrs --xattrs-include='*' --acls -S -czf "$W/kinds.tar.gz" -C "$K" .
cp "$W/kinds.tar.gz" "$TPL/kinds.tar.gz"
KC=$T-kinds
mk "$KC" "" "kinds.tar.gz"
check "create from a tarball with every file kind" box create "$KC"
KR=$S/$KC/rootfs/srv/kinds
check "every member matches the listing: owners, modes, mtimes, xattrs, ACLs, links, devices, sparse" \
	st_compare "$W/kinds.tar.gz" "$S/$KC/rootfs"
check_eq "setgid bit" "2750" "$(stat -c %a "$KR/setgid")"
ex_check_kinds "$KR"
check_eq "owners above 65535" "70000:80000" "$(stat -c %u:%g "$KR/bigids")"
check_eq "mtime" "2001-02-03 04:05:06" "$(date -d "@$(stat -c %Y "$KR/owned")" '+%F %T')"
check "the 4 GiB sparse file stays sparse" test "$(stat -c %b "$KR/sparse")" -lt 16384
# the identity files are the container's, not the template's
cp -a "$S/$KC/rootfs/etc/hostname" "$S/$KC/rootfs/etc/hosts" "$S/$KC/rootfs/etc/resolv.conf" "$K/etc/"
check "equal to the source tree too (ex_compare: ACL entries, hard-link groups)" \
	ex_compare "$K" "$S/$KC/rootfs"

PHASE="a tarball without a ./ entry"
tar --numeric-owner -czf "$TPL/noroot.tar.gz" -C "$K" bin etc sbin
mk "$T-noroot" "" noroot.tar.gz
check "create from a tarball that lists no ./" box create "$T-noroot"
check_eq "the rootfs's root is 755 root:root all the same (as tar leaves it)" "755 0:0" \
	"$(stat -c '%a %u:%g' "$S/$T-noroot/rootfs")"
mk "$T-norootu" "unprivileged = yes" noroot.tar.gz
check "the same, unprivileged" box create "$T-norootu"
check_eq "... the root belongs to the container's root (as it sees it: idmapped at start)" "755 0:0" \
	"$(stat -c '%a %u:%g' "$S/$T-norootu/rootfs")"
mk "$T-norooto" "storage = overlay" noroot.tar.gz
check "the same, overlay" box create "$T-norooto"
check_eq "... the cache entry's root is 755 root:root" "755 0:0" \
	"$(stat -c '%a %u:%g' "$TPL/.cache/$(sha256sum "$TPL/noroot.tar.gz" | cut -c1-64)")"
check_eq "... and so is the upper layer, which gives the merged root its mode" "755 0:0" \
	"$(stat -c '%a %u:%g' "$(upper_of "$T-norooto")")"
for n in "$T-noroot" "$T-norootu" "$T-norooto"; do box destroy "$n" >/dev/null 2>&1; done

PHASE="unprivileged: owners as the container sees them (idmapped at start), device nodes refused"
U=$T-unpriv
mk "$U" "unprivileged = yes"
out=$(box create "$U" 2>&1)
check_eq "create of an unprivileged container" 0 $?
check_match "it says the owners stay as the container sees them" "owners as the container sees them, idmapped at start" "$out"
check_eq "the record says: not shifted" 0 "$(cat "$S/$U/idshift")"
ub=$(cut -d' ' -f1 "$S/$U/idmap" 2>/dev/null)
check_match "idmap_base = auto (the default): a range recorded for it" "^[0-9]+ 65536$" "$(cat "$S/$U/idmap" 2>&1)"
check_match "... from root's range, added to subuid as none was there" "^root:[0-9]+:[0-9]+$" "$(cat "$BOX_ROOT/etc/subuid")"
check_eq "... and to subgid" "$(cat "$BOX_ROOT/etc/subuid")" "$(cat "$BOX_ROOT/etc/subgid")"
check_match "box info says so" "^Ids: +0-65535 -> $ub-$((ub + 65535)), rootfs idmapped" "$(box info "$U")"
check_eq "the folder above rootfs is 0700 (no host user reaches its setuid files)" 700 "$(stat -c %a "$S/$U")"
check "every member matches the listing, ids unshifted" st_compare "$BB" "$S/$U/rootfs" 0
check_eq "the rootfs's root is the container's root" "0:0" "$(stat -c %u:%g "$S/$U/rootfs")"
check_eq "new identity files belong to the container's root" "0:0" "$(stat -c %u:%g "$S/$U/rootfs/etc/hostname")"
check "it starts" box start "$U"
check_eq "inside, / is the container root's" "0 0" "$(box attach "$U" -- stat -c '%u %g' /)"
check_eq "on the host, init is its idmap_base" "$ub" "$(box attach "$U" -- cat /proc/self/uid_map | awk '{print $2}')"
box attach "$U" -- sh -c 'echo x >/root/made'
check_eq "a file made inside is 0:0 on disk (the idmapped mount)" "0:0" "$(stat -c %u:%g "$S/$U/rootfs/root/made")"
check "stop" box stop --kill "$U"
sed -i 's/^unprivileged = yes$/unprivileged = no/' "$BOX_ROOT/etc/boxes/$U.conf"
check "the same rootfs starts privileged, without a copy" box start "$U"
check_eq "... with the same owners" "0:0" "$(box attach "$U" -- stat -c %u:%g /root/made)"
check "stop" box stop --kill "$U"
mk "$T-unpk" "unprivileged = yes" "kinds.tar.gz"
fails "$T-unpk" "device node.*unprivileged|outside the container's 65536 mapped ids" \
	"unprivileged: a tarball with device nodes and ids over 65535"

PHASE="overlay"
O1=$T-ov1
O2=$T-ov2
mk "$O1" "storage = overlay"
mk "$O2" "storage = overlay"
key=$(sha256sum "$BB" | cut -c1-64)
out=$(box create "$O1" 2>&1); rc=$?
check_eq "create with storage overlay exits 0" 0 "$rc"
check_match "it says overlay" "storage overlay" "$out"
check_match "the first create extracts the template into the cache" "extracted into the cache" "$out"
check "the cache entry is named by the tarball's SHA-256" test -d "$TPL/.cache/$key"
check "the cache matches the tarball's listing" st_compare "$BB" "$TPL/.cache/$key"
check_match "the container's layer record names its upper layer, then the cache entry" \
	"^upper [0-9a-f]{16} template $key $" "$(tr '\n' ' ' <"$S/$O1/layers")"
check "the upper layer is in the store, with its work folder" test -d "$(upper_of "$O1")" -a -d "$(upper_of "$O1")/../work"
check_eq "the upper layer starts empty" "" "$(ls -A "$(upper_of "$O1")")"
ino=$(stat -c %i "$TPL/.cache/$key")
out=$(box create "$O2" 2>&1); rc=$?
check_eq "a second overlay create exits 0" 0 "$rc"
check_eq "... without extracting again" "" "$(echo "$out" | grep 'extracted into the cache')"
check_eq "... sharing the same cache entry" "$ino" "$(stat -c %i "$TPL/.cache/$key")"
check_eq "one cache entry for the template" 1 "$(ls "$TPL/.cache" | grep -c "^$key")"
check "overlay container 1 starts" box start "$O1"
check "overlay container 2 starts" box start "$O2"
check_eq "inside: the hostname file is the container's" "$O1-host" "$(box attach "$O1" -- cat /etc/hostname 2>&1)"
check_eq "inside: the 127.0.1.1 line" "127.0.1.1	$O1-host" "$(box attach "$O1" -- grep '^127.0.1.1' /etc/hosts 2>&1)"
check_match "inside: / is an overlay" "^overlay / overlay" "$(box attach "$O1" -- cat /proc/mounts 2>&1)"
box attach "$O1" -- sh -c 'echo one >/root/written; rm /bin/vi' >/dev/null 2>&1
check_eq "a write inside lands in the upper layer" "one" "$(cat "$(upper_of "$O1")/root/written" 2>/dev/null)"
check "... not in the shared cache" test ! -e "$TPL/.cache/$key/root/written"
check "a removal inside leaves the cache alone" test -L "$TPL/.cache/$key/bin/vi"
check_eq "the other container sees neither" "no yes" \
	"$(box attach "$O2" -- sh -c '[ -e /root/written ] && echo yes || echo no; [ -L /bin/vi ] && echo yes || echo no' 2>&1 | tr '\n' ' ' | sed 's/ $//')"
box stop --kill "$O1" >/dev/null 2>&1
box stop --kill "$O2" >/dev/null 2>&1
check_eq "no overlay mount is left on the host" "" "$(grep " $S/" /proc/self/mounts)"
KO=$T-kov
mk "$KO" "storage = overlay" "kinds.tar.gz"
check "overlay from the every-kind tarball" box create "$KO"
kkey=$(sha256sum "$W/kinds.tar.gz" | cut -c1-64)
check "... its cache entry matches the listing (every kind)" st_compare "$W/kinds.tar.gz" "$TPL/.cache/$kkey"
UO=$T-uov
mk "$UO" "storage = overlay
unprivileged = yes
idmap_base = 200000"
check "overlay for an unprivileged container" box create "$UO"
check "... gets its own cache entry with shifted ids" st_compare "$BB" "$TPL/.cache/$key-u200000-65536" 200000
check_eq "... recorded as shifted (an overlay cannot be idmapped here)" 200000 "$(cat "$S/$UO/idshift")"
check_match "... and box info says so" "^Ids: .*shifted at create" "$(box info "$UO")"
check "... and starts" box start "$UO"
check_eq "... owners inside as in the template" "0 0" "$(box attach "$UO" -- stat -c '%u %g' /bin/busybox)"
check "stop" box stop --kill "$UO"
sed -i 's/^unprivileged = yes$/unprivileged = no/' "$BOX_ROOT/etc/boxes/$UO.conf"
out=$(box start "$UO" 2>&1)
check_eq "a shifted rootfs does not start privileged" 1 $?
check_match "... saying why and what to do" "shifted by 200000 at create .* set unprivileged = yes" "$out"
sed -i 's/^unprivileged = no$/unprivileged = yes/; s/^idmap_base = 200000$/idmap_base = 300000/' "$BOX_ROOT/etc/boxes/$UO.conf"
# layers shifted for one range are idmapped to another (what a clone does)
out=$(box start "$UO" 2>&1)
check_eq "with another idmap_base it starts: its layers idmapped from 200000 to 300000" 0 $?
check_eq "... owners inside as in the template" "0 0" "$(box attach "$UO" -- stat -c '%u %g' /bin/busybox)"
check_eq "... in the range 300000" "300000" "$(awk '$1 == 0 {print $2}' "/proc/$(box info "$UO" | sed -n 's/^PID: *//p')/uid_map")"
check_match "... and box info says so" "^Ids: .*-> 300000-.*layers shifted by 200000 at create.*idmapped" "$(box info "$UO")"
box stop --kill "$UO" >/dev/null 2>&1
check "destroy of an overlay container" box destroy "$O2"
check "... removes its state" test ! -e "$S/$O2"
check "... keeps the shared cache" test -d "$TPL/.cache/$key"
check "... keeps its config" test -f "$BOX_ROOT/etc/boxes/$O2.conf"
check "the other overlay container still starts" box start "$O1"
box stop --kill "$O1" >/dev/null 2>&1

PHASE="btrfs asked for off btrfs"
B0=$T-nobtrfs
mk "$B0" "storage = btrfs"
out=$(box create "$B0" 2>&1); rc=$?
check_eq "create with storage = btrfs on ext4 exits 0" 0 "$rc"
check_match "it says btrfs cannot be used, why, and what it used instead" \
	"btrfs was asked for, but $S is on [a-z0-9]+.*using storage dir" "$out"
check "... a plain folder" test -d "$S/$B0/rootfs"
check "... on the state folder's filesystem" test "$(stat -f -c %T "$S/$B0/rootfs")" != btrfs

PHASE="btrfs on a loop-mounted image"
IMG=$W/btrfs.img
BT=$BOX_ROOT/btrfs
truncate -s 1G "$IMG"
loop=""
if ! mkfs.btrfs -q "$IMG" >/dev/null 2>&1; then
	skip "btrfs backend" "mkfs.btrfs failed"
elif ! loop=$(losetup -f --show "$IMG"); then
	skip "btrfs backend" "no loop device"
else
	t_loop "$loop"
	mkdir -p "$BT"
	check "mount the btrfs image" mount "$loop" "$BT"
	export BOX_STATE_DIR=$BT/state
	BS=$BOX_STATE_DIR
	mkdir -p "$BS/templates"
	cp "$BB" "$W/kinds.tar.gz" "$BS/templates/"
	B1=$T-bt1
	B2=$T-bt2
	mk "$B1" "storage = btrfs"
	mk "$B2" "storage = btrfs"
	out=$(box create "$B1" 2>&1); rc=$?
	check_eq "create with storage btrfs exits 0" 0 "$rc"
	check_match "it says btrfs" "storage btrfs" "$out"
	check "the cache entry is a subvolume" btrfs subvolume show "$BS/templates/.cache/$key"
	check_eq "... read-only" "ro=true" "$(btrfs property get -ts "$BS/templates/.cache/$key" ro 2>&1)"
	check "the rootfs is a subvolume" btrfs subvolume show "$BS/$B1/rootfs"
	check_eq "... a snapshot of the cache entry" \
		"$(btrfs subvolume show "$BS/templates/.cache/$key" | awk '$1 == "UUID:" {print $2}')" \
		"$(btrfs subvolume show "$BS/$B1/rootfs" | awk '$1 == "Parent" && $2 == "UUID:" {print $3}')"
	check_eq "... writable" "ro=false" "$(btrfs property get -ts "$BS/$B1/rootfs" ro 2>&1)"
	check "every member matches the listing" st_compare "$BB" "$BS/$B1/rootfs"
	check_eq "the identity is written into the snapshot" "$B1-host" "$(cat "$BS/$B1/rootfs/etc/hostname")"
	check "... not into the cache" test ! -e "$BS/templates/.cache/$key/etc/hostname"
	check_eq "the second btrfs create runs no program either" "" "$(execs box create "$B2")"
	check "... and made a snapshot" btrfs subvolume show "$BS/$B2/rootfs"
	check_eq "no temporary subvolume left" "" \
		"$(btrfs subvolume list -o "$BT" 2>/dev/null | grep -E 'tmp|destroy')"
	check "a btrfs container starts" box start "$B1"
	check_eq "... with its hostname inside" "$B1-host" "$(box attach "$B1" -- hostname 2>&1)"
	out=$(box destroy "$B1" 2>&1); rc=$?
	check_eq "destroy of a running btrfs container exits 1" 1 "$rc"
	check_match "... saying it runs and what to do" "(running|RUNNING).*box stop $B1.*--force" "$out"
	check "... and the rootfs stays" btrfs subvolume show "$BS/$B1/rootfs"
	check "destroy --force stops and destroys it" box destroy --force "$B1"
	check_eq "... no container running" "" "$(box ls 2>/dev/null | grep "^$B1 " | grep -v STOPPED)"
	check_eq "... its subvolume is gone" "" "$(btrfs subvolume list -o "$BT" 2>/dev/null | grep "$B1")"
	check "... the cache subvolume stays" btrfs subvolume show "$BS/templates/.cache/$key"
	check "... the config stays" test -f "$BOX_ROOT/etc/boxes/$B1.conf"
	KB=$T-kbt
	mk "$KB" "storage = btrfs" "kinds.tar.gz"
	check "btrfs from the every-kind tarball" box create "$KB"
	check "... every member matches the listing" st_compare "$W/kinds.tar.gz" "$BS/$KB/rootfs"
	OB=$T-ovbt
	mk "$OB" "storage = overlay"
	check "overlay with the state folder on btrfs (the cache subvolume as lower layer)" box create "$OB"
	check "... starts" box start "$OB"
	check_eq "... with its hostname inside" "$OB-host" "$(box attach "$OB" -- cat /etc/hostname 2>&1)"
	box stop --kill "$OB" >/dev/null 2>&1

	# bad and hostile tarballs on btrfs: no half subvolume, no cache entry
	head -c 300000 "$BB" >"$BS/templates/trunc.tar.gz"
	mk "$T-bttr" "storage = btrfs" "trunc.tar.gz"
	fails "$T-bttr" "trunc\.tar\.gz.*(truncated|Truncated)" "btrfs: a truncated tarball"
	check_eq "btrfs: no subvolume of the truncated tarball" "" \
		"$(btrfs subvolume list -o "$BT" 2>/dev/null | grep -E "tmp|$T-bttr")"
	for n in "$B2" "$KB" "$OB"; do box destroy "$n" >/dev/null 2>&1; done
	check_eq "after destroying them, only cache subvolumes are left" "" \
		"$(btrfs subvolume list -o "$BT" 2>/dev/null | grep -v 'templates/\.cache/[0-9a-f]*$')"
	unset BOX_STATE_DIR
	check "the btrfs image unmounts (nothing holds it)" umount "$BT"
	losetup -d "$loop" 2>/dev/null
fi

PHASE="bad tarballs"
sz=$(stat -c %s "$BB")
head -c $((sz / 2)) "$BB" >"$TPL/trunc.tar.gz"
head -c 800000 "$W/bb.tar" >"$TPL/trunc.tar"
cp "$BB" "$TPL/garbage.tar.gz"
head -c 4096 /dev/urandom | dd of="$TPL/garbage.tar.gz" bs=1 seek=$((sz / 3)) conv=notrunc status=none
cp "$BB" "$TPL/crc.tar.gz"
printf '\0\0\0\0' | dd of="$TPL/crc.tar.gz" bs=1 seek=$((sz - 8)) conv=notrunc status=none
cp "$W/bb.tar" "$TPL/header.tar"
# the mode field of the sixth member's ustar header: its checksum no longer matches
off=$(python3 -c 'import sys, tarfile; print(list(tarfile.open(sys.argv[1]))[5].offset_data - 512 + 100)' "$W/bb.tar")
printf 'XXXXXXXX' | dd of="$TPL/header.tar" bs=1 seek="$off" conv=notrunc status=none
echo "hello, I am not a tarball" >"$TPL/text.tar.gz"
head -c 100000 /dev/urandom >"$TPL/random.tar.gz"
gzip -c /etc/services >"$TPL/gztext.tar.gz"
: >"$TPL/empty.tar.gz"
tar cf "$TPL/noentries.tar" -T /dev/null
for backend in dir overlay; do
	for f in trunc.tar.gz:"(truncated|Truncated)" trunc.tar:"Truncated tar archive" \
		garbage.tar.gz:"(damaged|Damaged|invalid|corrupt|crc|CRC)" crc.tar.gz:"(CRC|crc|checksum|corrupt)" \
		header.tar:"(damaged|Damaged|checksum)" text.tar.gz:"not a tarball" random.tar.gz:"not a tarball" \
		gztext.tar.gz:"not a tarball" empty.tar.gz:"(empty|not a tarball|no entries)" \
		noentries.tar:"no entries"; do
		n=$T-bad-${backend:0:2}-$(echo "${f%%:*}" | tr -c 'a-z0-9\n' -)
		mk "$n" "storage = $backend" "${f%%:*}"
		fails "$n" "${f%%:*}.*${f#*:}" "$backend: ${f%%:*}"
	done
done
check_eq "no memo of a bad template's hash in the cache" "" \
	"$(grep -l -e "$(sha256sum "$TPL/trunc.tar.gz" | cut -c1-64)" -e "$(sha256sum "$TPL/crc.tar.gz" | cut -c1-64)" "$TPL/.cache"/.stat-* 2>/dev/null)"

PHASE="hostile tarballs"
CAN=$BOX_ROOT/canary
mkdir -p "$CAN" "$W/hostile"
echo original >"$CAN/victim"
chmod 600 "$CAN/victim"
python3 "$TOP/tests/integration/storage-hostile.py" "$W/hostile" "$CAN"
before=$(st_snapshot "$CAN")
for backend in dir overlay; do
	for f in dotdot dotdot-inner absolute symlink-root symlink-rel symlink-dir symlink-swap hardlink-abs \
		hardlink-dotdot hardlink-symlink root-symlink; do
		n=$T-h${backend:0:2}-$f
		mk "$n" "storage = $backend" "$W/hostile/$f.tar"
		fails "$n" "$f\.tar: .*(hostile archive|through symlink)" "$backend: hostile $f"
		check_eq "$backend: hostile $f: nothing outside changed" "$before" "$(st_snapshot "$CAN")"
	done
done
for f in etc-symlink hostname-symlink; do
	n=$T-h-$f
	mk "$n" "" "$W/hostile/$f.tar"
	out=$(box create "$n" 2>&1)
	check_eq "$f: a valid tarball, created (exit 0)" 0 $?
	check_eq "$f: the identity was not written through the symlinks" "$before" "$(st_snapshot "$CAN")"
done
check_eq "etc-symlink: /etc stays the template's symlink" "$CAN" "$(readlink "$S/$T-h-etc-symlink/rootfs/etc")"
check_eq "hostname-symlink: /etc/hostname stays the template's symlink" "$CAN/victim" \
	"$(readlink "$S/$T-h-hostname-symlink/rootfs/etc/hostname")"
mk "$T-hdev" "" "$W/hostile/device.tar"
check "a block device node is fine for a privileged container" box create "$T-hdev"
check_eq "... and is made as listed" "block special file 8:0" \
	"$(stat -c '%F %t:%T' "$S/$T-hdev/rootfs/dev/sda" 2>&1)"
for backend in dir overlay; do
	mk "$T-hdevu-$backend" "unprivileged = yes
storage = $backend" "$W/hostile/device.tar"
	fails "$T-hdevu-$backend" "'\./dev/sda' is a device node \(block 8:0\), refused for an unprivileged container" \
		"$backend: a device node for an unprivileged container"
done
check_eq "nothing outside changed after all hostile tarballs" "$before" "$(st_snapshot "$CAN")"

PHASE="first start creates the rootfs"
F=$T-first
mk "$F"
check "box start of a container without a rootfs" box start "$F"
check "... created its rootfs" test -x "$S/$F/rootfs/bin/busybox"
check_eq "... and it runs with its hostname" "$F-host" "$(box attach "$F" -- cat /etc/hostname 2>&1)"
out=$(box destroy "$F" 2>&1); rc=$?
check_eq "destroy of a running container exits 1" 1 "$rc"
check_match "... saying so and what to do" "$F is (running|RUNNING).*box stop $F.*--force" "$out"
check "... its rootfs stays" test -x "$S/$F/rootfs/bin/busybox"
check_match "... it still runs" "^$F +RUNNING" "$(box ls 2>/dev/null)"
check "destroy --force" box destroy --force "$F"
check "... removed the rootfs and the state" test ! -e "$S/$F"
check_eq "... nothing runs" "" "$(box ls 2>/dev/null | grep "^$F " | grep -v STOPPED)"
check "... the config stays" test -f "$BOX_ROOT/etc/boxes/$F.conf"
t_config "$T-badstart" <<<"template = $W/hostile/dotdot.tar"
out=$(box start "$T-badstart" 2>&1); rc=$?
check_eq "a first start from a hostile tarball exits 1" 1 "$rc"
check_match "... saying why" "hostile archive" "$out"
check_eq "... and leaves nothing" "" "$(st_leftovers "$T-badstart")"

PHASE="destroy"
# the container's root nests 1100 folders (2200 characters: within
# PATH_MAX, past the 1024 fds of a Debian login shell's soft limit, which a
# walk holding one fd per level ran out of)
check "start" box start "$C"
check "the container's root nests 1100 folders" box attach "$C" -- \
	sh -c 'cd /root && i=0 && while [ $i -lt 1100 ]; do mkdir d && cd d || exit 1; i=$((i+1)); done'
check "stop" box stop --kill "$C"
check "destroy of a stopped container (1024 fds)" sh -c "ulimit -n 1024 && box destroy $C"
check "... removes rootfs and state" test ! -e "$S/$C"
check "... keeps the config" test -f "$BOX_ROOT/etc/boxes/$C.conf"
out=$(box destroy "$C" 2>&1); rc=$?
check_eq "destroy of a destroyed container exits 1" 1 "$rc"
check_match "... saying there is nothing and that --purge removes the config" "nothing|no rootfs.*--purge" "$out"
check "box create after destroy works again" box create "$C"
check "destroy --purge" box destroy --purge "$C"
check "... removes the config too" test ! -e "$BOX_ROOT/etc/boxes/$C.conf"
out=$(box destroy "$T-nosuch" 2>&1); rc=$?
check_eq "destroy of an unknown container exits 1" 1 "$rc"

PHASE="interrupted creates"
# a template that takes a while to extract: 300 MB that do not compress
mkdir -p "$W/big"
tar xpzf "$BB" -C "$W/big"
head -c 300M /dev/urandom >"$W/big/srv.bin"
tar --numeric-owner -cf "$TPL/big.tar" -C "$W/big" .
rm -rf "$W/big"
bkey=$(sha256sum "$TPL/big.tar" | cut -c1-64)
# wait_tmp PATTERN: until a temporary of the create shows up (extraction runs)
wait_tmp() {
	local i
	for i in $(seq 200); do
		compgen -G "$1" >/dev/null && return 0
		sleep 0.02
	done
	return 1
}
for backend in dir overlay; do
	for sig in INT TERM HUP; do
		n=$T-sig-${backend:0:2}-${sig,,}
		mk "$n" "storage = $backend" "big.tar"
		box create "$n" >/dev/null 2>&1 &
		pid=$!
		if [ $backend = dir ]; then pat="$S/$n/rootfs.tmp.*"; else pat="$TPL/.cache/.tmp-*"; fi
		if ! wait_tmp "$pat"; then
			wait $pid
			skip "$backend: SIG$sig during the extraction" "the create finished before it could be interrupted"
			box destroy "$n" >/dev/null 2>&1
			continue
		fi
		kill -s $sig $pid
		wait $pid
		rc=$?
		check "$backend: SIG$sig during the extraction: create fails (rc $rc)" test "$rc" -ne 0
		check_eq "$backend: SIG$sig: nothing left behind" "" "$(st_leftovers "$n")"
		check_eq "$backend: SIG$sig: no cache entry of the big template" "" "$(ls -A "$TPL/.cache" | grep "^$bkey")"
	done
	n=$T-kill-${backend:0:2}
	mk "$n" "storage = $backend" "big.tar"
	box create "$n" >/dev/null 2>&1 &
	pid=$!
	if [ $backend = dir ]; then pat="$S/$n/rootfs.tmp.*"; else pat="$TPL/.cache/.tmp-*"; fi
	if wait_tmp "$pat"; then
		kill -9 $pid
		wait $pid
		check "$backend: after SIGKILL half-way, a new create of the name works" box create "$n"
		if [ $backend = dir ]; then
			check_eq "$backend: ... and the killed create's temporary is gone" "idshift rootfs" "$(ls -A "$S/$n" | tr "\n" " " | sed "s/ $//")"
		else
			check_eq "$backend: ... and the killed create's cache temporary is gone" "" \
				"$(ls -A "$TPL/.cache" | grep '^\.tmp')"
		fi
		box destroy "$n" >/dev/null 2>&1
	else
		wait $pid
		skip "$backend: SIGKILL during the extraction" "the create finished before it could be killed"
	fi
done

PHASE="two overlay creates of a new template at once"
cp "$BB" "$W/fresh.tar.gz"
echo fresh >>"$W/fresh.tar.gz" # trailing bytes: another hash, the same tree
mk "$T-race1" "storage = overlay" "$W/fresh.tar.gz"
mk "$T-race2" "storage = overlay" "$W/fresh.tar.gz"
box create "$T-race1" >"$W/race1" 2>&1 &
p1=$!
box create "$T-race2" >"$W/race2" 2>&1 &
p2=$!
wait $p1; r1=$?
wait $p2; r2=$?
check_eq "both creates succeed" "0 0" "$r1 $r2"
fkey=$(sha256sum "$W/fresh.tar.gz" | cut -c1-64)
check "one cache entry for the new template" test -d "$TPL/.cache/$fkey"
check_eq "no cache temporary left" "" "$(ls -A "$TPL/.cache" | grep '^\.tmp')"
check "both start" box start "$T-race1"
check "both start (2)" box start "$T-race2"
box stop --kill "$T-race1" >/dev/null 2>&1
box stop --kill "$T-race2" >/dev/null 2>&1

PHASE="the end"
check_eq "no mount of the test left on the host" "" "$(grep "$BOX_ROOT" /proc/self/mounts)"

t_done
