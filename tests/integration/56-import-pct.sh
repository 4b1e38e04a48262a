#!/bin/bash
# box import of archives as Proxmox and other tools make them, with pct.conf
# files of the kinds pve-container's own tests hold (written here): pct.conf
# anywhere in the archive, a routed /32, resolvers inside, Proxmox's defaults,
# bind mounts, firewall rules, a bridge missing here; tar archives with bytes
# after their end, lzma, and honest words for the formats boxes does not read.
. "$(dirname "$0")/lib.sh"

W=$BOX_ROOT/work
S=$BOX_ROOT/var/lib/boxes
CONF=$BOX_ROOT/etc/boxes
V=$W/vz
mkdir -p "$V/root" "$V/conf/etc/vzdump"
tar xzf "$S/templates/$(t_template busybox)" -C "$V/root"
: >"$V/conf/etc/vzdump/pct.fw"

# shown NAME KEY: the key's line of `box config show NAME`
shown() { box config show "$1" 2>&1 | grep -E "^$2 "; }
# net_of NAME IF: the network section, on one line
net_of() { box config show "$1" 2>&1 | sed -n "/^network $2/,/^}/p" | tr -s ' \n\t' ' '; }
# imp NAME FILE: imports, sets $out and $rc
imp() { out=$(box import "$1" "$2" 2>&1); rc=$?; }
# vz OUT PCT-TEXT: the busybox rootfs with that pct.conf first, as vzdump packs it
vz() {
	printf '%s\n' "$2" >"$V/conf/etc/vzdump/pct.conf"
	tar cf - --numeric-owner -C "$V/conf" ./etc/vzdump/pct.conf ./etc/vzdump/pct.fw -C "$V/root" ./ |
		gzip -1 >"$1"
}
gone() { box destroy --purge "$1" >/dev/null 2>&1; }

PHASE="pct.conf in the middle of the archive (tar czf X -C dir .)"
M=$W/mid
mkdir -p "$M"
check "a copy of the rootfs to pack" cp -a "$V/root/." "$M/"
mkdir -p "$M/etc/vzdump"
cat >"$M/etc/vzdump/pct.conf" <<'PCT'
arch: amd64
hostname: mid-host
memory: 768
swap: 256
net0: name=eth0,bridge=vmbr0,gw=192.0.2.1,ip=192.0.2.20/24,type=veth
ostype: debian
rootfs: local-lvm:vm-120-disk-0,size=4G
PCT
tar czf "$W/mid.tar.gz" --numeric-owner -C "$M" .
first=$(tar tzf "$W/mid.tar.gz" | head -1)
check "the hand-made archive does not have pct.conf first (it starts with $first)" \
	test "$first" != ./etc/vzdump/pct.conf
imp "$T-mid" "$W/mid.tar.gz"
check_eq "it imports" 0 "$rc"
check_match "it says what kind of archive it was" "a Proxmox vzdump archive \(pct\.conf not first\): pct\.conf translated" "$out"
check_match "hostname from pct.conf" "^hostname += mid-host$" "$(shown "$T-mid" hostname)"
check_match "memory from pct.conf" "^memory += 768M$" "$(shown "$T-mid" memory)"
check_match "swap from pct.conf" "^swap += 256M$" "$(shown "$T-mid" swap)"
check_match "network from pct.conf" 'address = \{"?192\.0\.2\.20/24"?\}' "$(net_of "$T-mid" eth0)"
check "pct.conf is not in the rootfs" test ! -e "$S/$T-mid/rootfs/etc/vzdump"
gone "$T-mid"
printf 'hostname: mid-u\nunprivileged: 1\n' >"$M/etc/vzdump/pct.conf"
tar czf "$W/mid-u.tar.gz" --numeric-owner -C "$M" .
imp "$T-midu" "$W/mid-u.tar.gz"
check_eq "an unprivileged one in the middle: refused (its ids were not shifted)" 1 "$rc"
check_match "saying how to repack it" "pct\.conf comes after the rootfs began and says unprivileged.*pct\.conf first" "$out"
check_eq "and nothing is left" "" "$(ls -d "$CONF/$T-midu.conf" "$S/$T-midu" "$S/.import-$T-midu".* 2>/dev/null)"
tar czf "$W/plain.tar.gz" --numeric-owner -C "$V/root" .
imp "$T-plain" "$W/plain.tar.gz"
check_match "a plain rootfs says so too" "a plain rootfs archive \(no pct\.conf\): a minimal config" "$out"
gone "$T-plain"

PHASE="valid Proxmox configs boxes used to refuse"
vz "$W/routed.tar.gz" "hostname: routed
nameserver: 127.0.0.53 fe80::1%eth0
net0: name=eth0,bridge=vmbr0,gw=203.0.113.1,gw6=fe80::1,hwaddr=BC:24:11:00:00:01,ip=203.0.113.10/32,ip6=2001:db8::10/128,type=veth
ostype: debian"
imp "$T-r32" "$W/routed.tar.gz"
check_eq "a routed /32 with its gateway outside, resolvers 127.0.0.53 and fe80::1%eth0: imported" "0" "$rc"
[ "$rc" = 0 ] || printf '%s\n' "$out" | sed 's/^/#   /'
check_match "the gateway kept" "gateway = \{203\.0\.113\.1, fe80::1\}" "$(net_of "$T-r32" eth0)"
check_match "the nameservers kept" '^nameserver += \{127\.0\.0\.53, "?fe80::1%eth0"?\}$' "$(shown "$T-r32" nameserver)"
gone "$T-r32"
vz "$W/lo.tar.gz" "hostname: lo
nameserver: 127.0.0.1"
imp "$T-lo" "$W/lo.tar.gz"
check_eq "nameserver: 127.0.0.1 alone: imported" 0 "$rc"
gone "$T-lo"

PHASE="Proxmox's defaults"
vz "$W/nomem.tar.gz" "hostname: nomem
ostype: debian"
imp "$T-nomem" "$W/nomem.tar.gz"
check_match "no memory line: 512 MiB, as on Proxmox (not unlimited)" "^memory += 512M$" "$(shown "$T-nomem" memory)"
check_match "no swap line: 512 MiB" "^swap += 512M$" "$(shown "$T-nomem" swap)"
gone "$T-nomem"

PHASE="bind mounts, firewall rules, a bridge missing here"
printf '[OPTIONS]\nenable: 1\n\n[RULES]\nIN ACCEPT -p tcp -dport 22\n' >"$V/conf/etc/vzdump/pct.fw"
vz "$W/mp.tar.gz" "hostname: mp
mp0: /srv/data,mp=/mnt/data,ro=1
mp1: local-lvm:vm-130-disk-1,mp=/var/lib/db,size=8G
net0: name=eth0,bridge=vmbr$T,ip=192.0.2.30/24,type=veth"
: >"$V/conf/etc/vzdump/pct.fw"
imp "$T-mp" "$W/mp.tar.gz"
check_eq "imported" 0 "$rc"
check_match "the bind mount point is named: written commented out" \
	"mp0 \(bind mount of /srv/data on /mnt/data: written commented out, uncomment it to use it\)" "$out"
check_match "the volume mount point is named as left out" "mp1 \(a storage volume, not a bind mount\)" "$out"
check_match "the config holds the mount section, commented out" \
	'^# mount "/mnt/data" \{
#	source   = "/srv/data"
#	readonly = yes
# \}$' "$(sed -n '/^# mount/,/^# }/p' "$CONF/$T-mp.conf")"
sed -i 's/^# mount/mount/; s/^#\tsource/\tsource/; s/^#\treadonly/\treadonly/; s/^# }/}/' "$CONF/$T-mp.conf"
check_match "uncommented, it is the mount the archive had" '^mount "?/mnt/data"? \{ source = "?/srv/data"? readonly = yes \}' \
	"$(box config show "$T-mp" 2>&1 | sed -n '/^mount/,/^}/p' | tr -s ' \n\t' ' ')"
check_match "the firewall rules are named as left out" "pct\.fw \(Proxmox firewall rules, [0-9]+ bytes\) left out" "$out"
check_match "the bridge that is missing here is warned about at import" \
	"warning: .*$T-mp\.conf:[0-9]+: network eth0: bridge vmbr$T neither exists on this host nor is declared in" "$out"
check_match "... saying that box start refuses it until it is there" "box start refuses the container until the bridge is there" "$out"
t_netdev "vmbr$T"
out=$(box start "$T-mp" 2>&1); rc=$?
check_eq "box start refuses it" 1 "$rc"
check_match "naming the file:line, the bridge and what to do" \
	"$T-mp\.conf:[0-9]+: network eth0: bridge vmbr$T neither exists on this host nor is declared in .*declare it there" "$out"
check_fail "no bridge vmbr$T made" ip link show "vmbr$T"
check_match "and it is not running" "^$T-mp +STOPPED" "$(box ls)"
gone "$T-mp"

PHASE="features: nesting, keyctl, fuse (and what has no key here)"
vz "$W/feat.tar.gz" "features: fuse=1,keyctl=1,mknod=1,nesting=1
hostname: feat
unprivileged: 1"
imp "$T-feat" "$W/feat.tar.gz"
check_eq "features: fuse=1,keyctl=1,mknod=1,nesting=1 of an unprivileged one imports" 0 "$rc"
check_match "nesting=1 is nesting = yes" "^nesting += yes$" "$(shown "$T-feat" nesting)"
check_match "keyctl=1 is keyctl = yes" "^keyctl += yes$" "$(shown "$T-feat" keyctl)"
check_match "fuse=1 is fuse = yes" "^fuse += yes$" "$(shown "$T-feat" fuse)"
check_match "mknod=1 is warned about as left out, saying why and that Docker and podman need none" \
	"warning: .*left out: .*features\.mknod=1 \(no device node can be made in an unprivileged container here; Docker and podman need none\)" "$out"
out=$(box export "$T-feat" -o "$W/feat-out.tar.gz" 2>&1)
check_match "and box export writes them back as Proxmox does" "^features: fuse=1,keyctl=1,nesting=1$" \
	"$(tar xOzf "$W/feat-out.tar.gz" ./etc/vzdump/pct.conf 2>&1)"
gone "$T-feat"
vz "$W/featp.tar.gz" "features: keyctl=0,nesting=1
hostname: featp"
imp "$T-featp" "$W/featp.tar.gz"
check_eq "nesting=1 of a privileged one imports" 0 "$rc"
check_match "without nesting, saying why" "features\.nesting=1 \(boxes nests only in an unprivileged container\)" "$out"
check_match "the config says nesting = no" "^nesting += no$" "$(shown "$T-featp" nesting)"
check_match "keyctl=0 is keyctl = no" "^keyctl += no$" "$(shown "$T-featp" keyctl)"
check "its config checks" box config check "$T-featp"
gone "$T-featp"

PHASE="tar archives with bytes after their end"
tar cf "$W/pad.tar" --numeric-owner -C "$V/root" .
printf '\n' >>"$W/pad.tar"
imp "$T-pad" "$W/pad.tar"
check_eq "a plain tar with a newline after its end-of-archive blocks imports (GNU tar, bsdtar, box create take it)" \
	"0" "$rc"
[ "$rc" = 0 ] || printf '%s\n' "$out" | sed 's/^/#   /'
gone "$T-pad"
head -c 3000 /dev/zero | tr '\0' 'x' >>"$W/pad.tar"
gzip -1 -c "$W/pad.tar" >"$W/pad.tar.gz"
imp "$T-pad" "$W/pad.tar.gz"
check_eq "gzip of one with 3000 more bytes of junk imports too" "0" "$rc"
gone "$T-pad"
xz -1 -c "$W/pad.tar" >"$W/pad.tar.xz"
imp "$T-pad" "$W/pad.tar.xz"
check_eq "and xz of it" "0" "$rc"
gone "$T-pad"
xz -1 -c "$W/pad.tar" | head -c -8 >"$W/cut.tar.xz"
imp "$T-pad" "$W/cut.tar.xz"
check "an xz stream cut in its trailer (after the tar's end) is still refused" test "$rc" -ne 0
check_match "saying why" "xz|lzma|[Tt]runcated" "$out"
gone "$T-pad"

PHASE="compressions: import reads what create reads, and says what it does not"
xz --format=lzma -1 -c "$W/pad.tar" >"$W/l.tar.lzma"
imp "$T-lzma" "$W/l.tar.lzma"
check_eq "lzma (.tar.lzma) imports, as box create takes it" 0 "$rc"
[ "$rc" = 0 ] || printf '%s\n' "$out" | sed 's/^/#   /'
gone "$T-lzma"
python3 - "$W/l.tar.lz4" <<'PY'
import sys
# an lz4 frame's magic and header (what `lz4` writes first), then anything
open(sys.argv[1], "wb").write(bytes([0x04, 0x22, 0x4d, 0x18, 0x64, 0x40, 0xa7]) + b"\0" * 4096)
PY
imp "$T-lz4" "$W/l.tar.lz4"
check_eq "lz4: refused" 1 "$rc"
check_match "in honest words" "l\.tar\.lz4 is lz4-compressed, which boxes does not read: a tar archive, plain or compressed with gzip, zstd, xz, lzma or bzip2" "$out"
cp "$W/l.tar.lz4" "$S/templates/l.tar.lz4"
printf 'template = l.tar.lz4\n' | t_config "$T-lz4c"
out=$(box create "$T-lz4c" 2>&1)
check_match "box create says the same" "is lz4-compressed, which boxes does not read" "$out"
printf 'PK\003\004rest of a zip' >"$W/a.zip"
imp "$T-zip" "$W/a.zip"
check_match "a zip archive is called one" "a\.zip is a zip archive, which boxes does not read" "$out"
# zstd and lz4 share the skippable frame (pzstd starts with one): the frame
# after it tells them apart (libarchive's zstd reader took lz4 for zstd:
# "Zstd decompression failed: Unknown frame descriptor")
tar cf - --numeric-owner -C "$V/root" . | zstd -q -1 -c >"$W/z.tar.zst"
skip='\x50\x2a\x4d\x18\x04\x00\x00\x00abcd'
{ printf "$skip"; cat "$W/z.tar.zst"; } >"$W/sk.tar.zst"
imp "$T-skz" "$W/sk.tar.zst"
check_eq "zstd after a skippable frame (as pzstd writes it) still imports, now told by instream" 0 "$rc"
[ "$rc" = 0 ] || printf '%s\n' "$out" | sed 's/^/#   /'
gone "$T-skz"
{ printf "$skip"; cat "$W/l.tar.lz4"; } >"$W/sk.tar.lz4"
imp "$T-skl" "$W/sk.tar.lz4"
check_match "lz4 after a skippable frame is called lz4" "sk\.tar\.lz4 is lz4-compressed, which boxes does not read" "$out"
cp "$W/sk.tar.lz4" "$S/templates/sk.tar.lz4"
printf 'template = sk.tar.lz4\n' | t_config "$T-skc"
out=$(box create "$T-skc" 2>&1)
check_match "box create says the same, naming the file once" \
	"^box: creating the rootfs of $T-skc: [^ ]*sk\.tar\.lz4 is lz4-compressed, which boxes does not read" "$out"

t_done
