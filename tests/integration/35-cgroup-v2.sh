#!/bin/bash
# box-test: lane vm
# The cgroup v2 backend for real, whatever this host's layout: Debian's own
# kernel booted under qemu (TCG: no KVM needed) from an initramfs made here of
# build/box and its libraries, busybox, bash and the busybox template (and the
# Debian 12 one when 25-debian.sh is asked for: 36-cgroup-v2-debian.sh; the
# Docker one on a disk of its own: 37-cgroup-v2-docker.sh).
# Inside, cgroup-v2-vm-init sets up a pure cgroup v2 host the way systemd
# leaves one and runs root/test-cgroup-live, 30-limits.sh (its v2 branches)
# and cgroup-v2-inside.sh (the container's tree used as systemd uses it),
# each privileged and unprivileged, and snapshot-overlay-inside.sh (overlay
# layer chains on a kernel without "lowerdir+", both ways); their TAP lines
# come back over the
# serial console and are re-emitted here as this test's own, prefixed "vm:".
# About 70 s under TCG.
#
#   BOX_VM_TESTS="20-runtime.sh ..."  other tests to run in the VM
#   BOX_VM_KERNEL=/boot/vmlinuz-X     another kernel (its /lib/modules too)
#   BOX_VM_LOG=FILE                   keeps a copy of the console
#   BOX_VM_ACCEL=kvm                  where KVM works (default tcg)
. "$(dirname "$0")/lib.sh"

VM_TESTS=${BOX_VM_TESTS:-"root/test-cgroup-live 30-limits.sh cgroup-v2-inside.sh 30-limits.sh:unpriv cgroup-v2-inside.sh:unpriv snapshot-overlay-inside.sh snapshot-overlay-inside.sh:unpriv"}
VM_TIMEOUT=${BOX_VM_TIMEOUT:-720}
VM_MEM=1G
W=$BOX_ROOT/vm
R=$W/root
LOG=$W/console.log
qemu_job=

# qemu by its pid file, then `timeout` (whose TERM also reaches qemu when the
# pid file is not written yet); lib.sh's t_cleanup removes $W with $BOX_ROOT
vm_cleanup() {
	[ -s "$W/qemu.pid" ] && kill -9 "$(cat "$W/qemu.pid")" 2>/dev/null
	if [ -n "$qemu_job" ]; then
		kill -TERM "$qemu_job" 2>/dev/null
		wait "$qemu_job" 2>/dev/null
	fi
	return 0
}
trap '_rc=$?; vm_cleanup; (exit $_rc); t_cleanup' EXIT

PHASE="finding qemu and a kernel"
if ! command -v qemu-system-x86_64 >/dev/null; then
	skip "cgroup v2 in a VM" "no qemu-system-x86_64 (tools/deps installs qemu-system-x86)"
	t_stop
fi
# the newest Debian kernel with its modules (override: BOX_VM_KERNEL=/boot/vmlinuz-X)
KERNEL=${BOX_VM_KERNEL:-}
if [ -z "$KERNEL" ]; then
	for k in $(ls /boot/vmlinuz-* 2>/dev/null | sort -V); do
		[ -f "/lib/modules/${k#/boot/vmlinuz-}/modules.dep" ] && KERNEL=$k
	done
fi
if [ -z "$KERNEL" ] || [ ! -r "$KERNEL" ]; then
	skip "cgroup v2 in a VM" "no readable /boot/vmlinuz-* with /lib/modules (tools/deps installs linux-image-amd64)"
	t_stop
fi
KVER=${KERNEL#/boot/vmlinuz-}
for tool in cpio busybox bash modprobe ldd; do
	if ! command -v $tool >/dev/null; then
		skip "cgroup v2 in a VM" "no $tool on this host"
		t_stop
	fi
done
BB=$(command -v busybox)
if ! "$BB" --list | grep -qx switch_root; then
	skip "cgroup v2 in a VM" "$BB is not a full busybox (apt-get install busybox-static)"
	t_stop
fi

PHASE="building the initramfs"
# copies a host file (and, for an ELF binary, the libraries it links) to the
# same path in the image
_copied=" "
put() {
	local f=$1 dst=${2:-$1} lib
	case $_copied in *" $dst "*) return 0 ;; esac
	_copied="$_copied$dst "
	mkdir -p "$R$(dirname "$dst")"
	cp -L "$f" "$R$dst" || return 1
	for lib in $(ldd "$f" 2>/dev/null | grep -oE '/[^ ]+\.so[^ ]*'); do
		put "$lib" || return 1
	done
}
mkdir -p "$R"/{bin,lib/modules,proc,sys,dev,mnt,tmp,run,root,etc,var/cache/boxes-test}
ln -s bin "$R/sbin"
mkdir -p "$R/usr"
ln -s ../bin "$R/usr/bin"
ln -s ../bin "$R/usr/sbin"
# bash for the tests, GNU date (+%N) and timeout, util-linux's flock (lib.sh's
# t_subnet; busybox has none); busybox for the rest
put "$(command -v bash)" /bin/bash &&
	put "$(command -v date)" /bin/date &&
	put "$(command -v timeout)" /bin/timeout &&
	put "$(command -v flock)" /bin/flock &&
	put "$BB" /bin/busybox || { fail "copying the tools into the image"; t_stop; }
for a in $("$BB" --list); do
	[ -e "$R/bin/$a" ] || ln -s busybox "$R/bin/$a"
done
put "$BUILD/box" /boxes/build/box || { fail "copying build/box (run make first)"; t_stop; }
# box loads libarchive on first use (src/archive/libarchive.c): ldd does not list it
la=$(ldconfig -p | awk '/libarchive\.so\.13 .*x86-64/ {print $NF; exit}')
[ -n "$la" ] && put "$la" || { fail "copying libarchive.so.13 (box dlopens it)"; t_stop; }
for l in "$BUILD"/box-*; do
	[ -L "$l" ] && ln -s box "$R/boxes/build/$(basename "$l")"
done
mkdir -p "$R/boxes/tests/integration" "$R/boxes/templates"
# a *.sh from tests/integration runs with bash, anything else is a C test
# binary from build/tests (root/...: the root-only ones)
tests=
for f in lib.sh runtime-lib.sh $VM_TESTS; do
	case $f in
	# NAME.sh:unpriv: NAME.sh again with every container unprivileged (lib.sh)
	*.sh:unpriv) ;;
	*.sh) cp "$TOP/tests/integration/$f" "$R/boxes/tests/integration/" || { fail "copying $f"; t_stop; } ;;
	*)
		if [ ! -x "$BUILD/tests/$f" ]; then
			skip "vm: $f" "$BUILD/tests/$f is not built (make unit-bins; make check does)"
			continue
		fi
		put "$BUILD/tests/$f" "/boxes/build/tests/$f" || { fail "copying build/tests/$f"; t_stop; } ;;
	esac
	case $f in lib.sh | runtime-lib.sh) ;; *) tests="$tests $f" ;; esac
done
VM_TESTS=${tests# }
# 27-nesting.sh's static helper (the VM has no gcc; the init names it)
gcc -static -O2 -o "$R/boxes/build/hostile" "$TOP/tests/integration/hostile.c" || { fail "building hostile.c"; t_stop; }
cp "$TOP/templates/busybox" "$R/boxes/templates/"
# BOX_VM_DOCKER=1 (37-cgroup-v2-docker.sh): 27-nesting.sh's Docker and podman
# too. templates/debian-docker is 184 MB of gzip and 600 MB unpacked, too big
# for an initramfs held in RAM: the VM's /tmp (BOX_ROOT, the container's
# rootfs, Docker's and podman's storage) is a second virtio disk, ext4 as on a
# host (idmapped, with the user xattrs overlayfs needs in a user namespace;
# 6.1's tmpfs has neither), made here with the tarball in it
VM_MODS=
if [ -n "${BOX_VM_DOCKER:-}" ]; then
	VM_MEM=3G # a booted systemd, dockerd, containerd, and the page cache
	# overlay and what Docker's and podman's iptables-nft rules load
	VM_MODS="ext4 overlay nft_compat nft_chain_nat nft_nat nft_masq nft_ct nft_reject_inet nft_fib_inet
		xt_addrtype xt_conntrack xt_MASQUERADE xt_nat xt_comment xt_multiport xt_mark br_netfilter"
	if tpl=$(t_template debian-docker 2>"$W/docker.err"); then
		tplf=$(readlink -f "$BOX_ROOT/var/lib/boxes/templates/$tpl")
		mkdir -p "$W/tmpdisk/cache" &&
			{ ln "$tplf" "$W/tmpdisk/cache/" 2>/dev/null || cp "$tplf" "$W/tmpdisk/cache/"; } &&
			mkfs.ext4 -q -F -L boxes-vm-tmp -E lazy_itable_init=0,lazy_journal_init=0 \
				-d "$W/tmpdisk" "$W/tmp.img" 4G >"$W/mkfs.log" 2>&1 &&
			rm -rf "$W/tmpdisk" &&
			touch "$R/boxes/tmp-disk" &&
			cp "$TOP/templates/debian-docker" "$TOP/templates/debian" "$R/boxes/templates/" &&
			ln -s "/tmp/cache/$(basename "$tplf")" "$R/var/cache/boxes-test/$(basename "$tplf")" ||
			{ fail "making the VM's disk with templates/debian-docker"; t_stop; }
	else
		# (27-nesting.sh inside says so too: it skips Docker and podman)
		echo "# templates/debian-docker could not be built: $(tail -1 "$W/docker.err")"
	fi
fi
# snapshot-overlay-inside.sh: overlay layers on an ext4 /tmp, the same
# second disk, empty (an unprivileged clone's layers are idmapped, which
# 6.1's tmpfs cannot be)
case " $VM_TESTS " in
*" snapshot-overlay-inside.sh"[:\ ]*)
	VM_MODS="$VM_MODS ext4 overlay"
	if [ ! -f "$R/boxes/tmp-disk" ]; then
		mkfs.ext4 -q -F -L boxes-vm-tmp -E lazy_itable_init=0,lazy_journal_init=0 "$W/tmp.img" 1G \
			>"$W/mkfs.log" 2>&1 && touch "$R/boxes/tmp-disk" || { fail "making the VM's ext4 disk"; t_stop; }
	fi ;;
esac
# 25-debian.sh boots the Debian template (62 MB, cached on the host by
# t_template as on this side): the recipe, whose hash names it, and the
# tarball, under the name t_template looks for
case " $VM_TESTS " in
*" 25-debian.sh"[:\ ]*)
	VM_MEM=2G # the Debian tarball, its cache and a booted systemd
	if tpl=$(t_template debian 2>"$W/debian.err"); then
		# its eth0 asks the bridge's dnsmasq for an address (address = dhcp)
		cp "$TOP/templates/debian" "$R/boxes/templates/" &&
			cp "$(readlink -f "$BOX_ROOT/var/lib/boxes/templates/$tpl")" "$R/var/cache/boxes-test/" &&
			put /usr/sbin/dnsmasq ||
			{ fail "copying the Debian template into the image"; t_stop; }
	else
		# (25-debian.sh inside says the same, as it does here)
		echo "# the Debian template could not be built: $(tail -1 "$W/debian.err")"
	fi ;;
esac
echo "$VM_TESTS" >"$R/boxes/vm-tests"
cp "$TOP/tests/integration/cgroup-v2-vm-init" "$R/init"
chmod 755 "$R/init"
if ! tpl=$(t_template busybox); then
	fail "building the busybox template"
	t_stop
fi
# the test cache inside, under the name lib.sh's t_template looks for
tplf=$(readlink -f "$BOX_ROOT/var/lib/boxes/templates/$tpl")
cp "$tplf" "$R/var/cache/boxes-test/$(basename "$tplf")"
# the devices test opens /dev/vda: virtio-blk and what it needs, in load order;
# 27-nesting.sh's fuse = yes binds /dev/fuse; 25-debian.sh's container has
# a veth on a bridge; the ext4 disk and overlay above
mods=" "
for m in virtio_pci virtio_blk fuse veth bridge $VM_MODS; do
	for ko in $(modprobe -S "$KVER" --show-depends "$m" 2>/dev/null | awk '$1 == "insmod" {print $2}'); do
		case $mods in *" $ko "*) continue ;; esac
		mods="$mods$ko "
		out=$R/lib/modules/$(printf '%02d' $(echo $mods | wc -w))-$(basename "$ko")
		# (busybox insmod takes them uncompressed)
		case $ko in
		*.xz) xz -dc "$ko" >"${out%.xz}" ;;
		*.zst) zstd -qdc "$ko" >"${out%.zst}" ;;
		*) cp "$ko" "$out" ;;
		esac
	done
done
# nobody: the user dnsmasq runs as (a managed bridge's DHCP and DNS)
printf 'root:x:0:0:root:/root:/bin/sh\nnobody:x:65534:65534:nobody:/nonexistent:/bin/false\n' >"$R/etc/passwd"
printf 'root:x:0:\ntty:x:5:\nnogroup:x:65534:\n' >"$R/etc/group"
(cd "$R" && find . | cpio -o -H newc --quiet) >"$W/initrd" || { fail "packing the initramfs"; t_stop; }
truncate -s 16M "$W/disk.img"
echo "# kernel $KERNEL, initramfs $(du -m "$W/initrd" | cut -f1) MiB"

PHASE="booting the VM"
t0=$SECONDS
# qemu runs in the background so that the EXIT trap can kill it by its pid
# TCG: a /dev/kvm may be there and still not work (nested, as on the VM this
# was written on, where the guest hangs)
timeout -k 5 "$VM_TIMEOUT" qemu-system-x86_64 -accel "${BOX_VM_ACCEL:-tcg}" -m "$VM_MEM" -smp 2 -nographic -monitor none \
	-serial "file:$LOG" -no-reboot -nic none -pidfile "$W/qemu.pid" \
	-drive "file=$W/disk.img,if=virtio,format=raw" \
	$([ -f "$W/tmp.img" ] && echo "-drive file=$W/tmp.img,if=virtio,format=raw,cache=unsafe") \
	-kernel "$KERNEL" -initrd "$W/initrd" \
	-append "console=ttyS0 quiet loglevel=1 panic=-1 rdinit=/init" </dev/null >"$W/qemu.out" 2>&1 &
qemu_job=$!
wait $qemu_job
qrc=$?
qemu_job=
echo "# VM ran $((SECONDS - t0)) s (qemu exit status $qrc)"

PHASE="the VM's results"
tr -d '\r' <"$LOG" >"$W/console.txt"
# BOX_VM_LOG=FILE keeps a copy of the console
[ -n "${BOX_VM_LOG:-}" ] && cp "$W/console.txt" "$BOX_VM_LOG"
console_tail() { { tail -40 "$W/console.txt"; tail -5 "$W/qemu.out"; } | sed 's/^/console: /'; }
tail_shown=
if [ "$qrc" = 124 ] || [ "$qrc" = 137 ]; then
	fail "the VM finished within ${VM_TIMEOUT} s" "$(console_tail)"
	tail_shown=1
fi
if grep -q 'Kernel panic' "$W/console.txt"; then
	fail "the VM's kernel did not panic" "$(console_tail)"
	tail_shown=1
fi
# (the firmware's escape sequences may precede it on its line)
ready=$(grep -ao '==== VM READY.*' "$W/console.txt")
check_match "the VM booted a pure cgroup v2 host with memory and pids" "controllers: .*memory.*pids" "$ready"

# re-emits the VM's TAP lines: "not ok" with the "#" lines after it
# (the VM's "#   phase: X" becomes this test's PHASE, shown by fail)
pending= pending_msg= pending_phase=
flush() {
	if [ -n "$pending" ]; then
		local p=$PHASE
		PHASE="vm: $current: $pending_phase"
		fail "$pending" "$pending_msg"
		PHASE=$p
	fi
	pending= pending_msg= pending_phase=
}
current= ended=" "
while IFS= read -r line; do
	case $line in
	"==== BEGIN "*) flush; current=${line#==== BEGIN } ;;
	"==== END "*)
		flush
		t=${line#==== END }; rc=${t##* rc=}; t=${t% rc=*}
		ended="$ended$t "
		section=$(sed -n "/^==== BEGIN $t\$/,/^==== END $t /p" "$W/console.txt")
		if [ "$rc" != 0 ] && ! printf '%s\n' "$section" | grep -q '^not ok '; then
			PHASE="vm: $t"
			fail "vm: $t exited with status $rc" "$(printf '%s\n' "$section" | grep -vE '^(ok|#)' | tail -20)"
		fi
		current= ;;
	"ok "[0-9]*)
		flush
		desc=$(printf '%s' "$line" | sed -E 's/^ok [0-9]+ - //')
		case $desc in
		*"# skip"*) skip "vm: ${desc%% # skip*}" "${desc#* # skip }" ;;
		*) pass "vm: $desc" ;;
		esac ;;
	"not ok "[0-9]*)
		flush
		pending="vm: $(printf '%s' "$line" | sed -E 's/^not ok [0-9]+ - //')" ;;
	"#   phase: "*)
		[ -n "$pending" ] && pending_phase=${line#\#   phase: } ;;
	"#"*)
		if [ -n "$pending" ]; then pending_msg="$pending_msg${pending_msg:+
}${line#\#   }"; else echo "# vm: ${line#\#}"; fi ;;
	esac
done <"$W/console.txt"
flush
for t in $VM_TESTS; do
	case $ended in *" $t "*) continue ;; esac
	fail "vm: $t ran to its end" "$([ -z "$tail_shown" ] && console_tail)"
	tail_shown=1
done
check "the VM powered off by itself (==== VM DONE)" grep -q '^==== VM DONE' "$W/console.txt"

t_done
