#!/bin/bash
# Containers inside containers (issue 19), unprivileged with nesting = yes:
# boxes itself (copied in with its libraries) starts a nested unprivileged
# busybox container whose memory limit holds; Docker and podman from Debian's
# packages (templates/debian-docker) import a busybox rootfs, run it, and
# keep a memory limit. Without nesting each of them fails inside with a clear
# error and the host is as before. With nesting, what widens stays inside:
# the container cannot write its own cgroup's limits, sees only its own
# processes in every proc it mounts, and cannot make or reach host devices.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/runtime-lib.sh"

N=$T-nest
F=$T-flat
CONF=$BOX_ROOT/etc/boxes

PHASE="config"
printf 'template = busybox.tar.gz\nunprivileged = no\nnesting = yes\n' >"$CONF/$T-priv.conf"
out=$(box config check "$T-priv" 2>&1); rc=$?
check_eq "nesting = yes in a privileged container: exit 2" 2 "$rc"
check_match "saying where and why" "$T-priv\.conf:3: nesting: needs an unprivileged container" "$out"
rm -f "$CONF/$T-priv.conf"

# put_boxes ROOTFS: build/box and every library it and libarchive (dlopen'd)
# load, the busybox template and /hostile, and an installation in /nest with
# one container "inner": unprivileged, its ids the outer container's 65536
# and up (the outer maps 131072), a 16M memory limit
put_boxes() {
	local r=$1 l la
	if command -v ldd >/dev/null; then
		la=$(ldconfig -p | awk '/libarchive\.so\.13 .*x86-64/ {print $NF; exit}')
		for l in $( (ldd "$BUILD/box"; ldd "$la") | awk '/=> \// {print $3} /^\t\/lib64/ {print $1}' | sort -u) "$la"; do
			mkdir -p "$r$(dirname "$l")" && cp -L "$l" "$r$l" || return 1
		done
	else
		# the cgroup v2 VM: its root holds only the libraries its programs need
		mkdir -p "$r/lib" && cp -a /lib/x86_64-linux-gnu /lib64 "$r/lib/" && mv "$r/lib/lib64" "$r/lib64" || return 1
	fi
	mkdir -p "$r/usr/local/bin" "$r/nest/etc/boxes" "$r/nest/var/lib/boxes/templates" &&
		cp "$BUILD/box" "$r/usr/local/bin/box" &&
		cp "$BUX" "$r/nest/var/lib/boxes/templates/busybox.tar.gz" &&
		cp "$BOX_ROOT/hostile" "$r/hostile" &&
		printf 'template = busybox.tar.gz\nidmap_base = 65536\nmemory = 16M\n' >"$r/nest/etc/boxes/inner.conf" &&
		# the container's root owns its installation: the rootfs's own owner
		# on disk (0 where it is idmapped, its first id where it is shifted)
		chown -R "$(stat -c %u:%g "$r")" "$r/nest"
}

PHASE="the helpers"
# (the cgroup v2 VM has no gcc: 35-cgroup-v2.sh builds it and names it)
if [ -n "${BOX_TEST_HOSTILE:-}" ]; then
	check "the static helper is there" cp "$BOX_TEST_HOSTILE" "$BOX_ROOT/hostile"
else
	check "the static helper builds" gcc -static -O2 -o "$BOX_ROOT/hostile" "$TOP/tests/integration/hostile.c"
fi
# the container's own limit files, seen from inside and from the host
if [ -f /sys/fs/cgroup/cgroup.controllers ]; then
	V2=1 IN_LIM=/sys/fs/cgroup/memory.max LIM=memory.max
	host_lim() { cat "$(rt_cgroups "$1")/memory.max"; }
else
	V2= IN_LIM=/sys/fs/cgroup/memory/memory.limit_in_bytes LIM=memory.limit_in_bytes
	host_lim() { cat "$(rt_cgroups "$1" | grep /memory/)/memory.limit_in_bytes"; }
fi
BUX=$BOX_ROOT/var/lib/boxes/templates/$(t_template busybox)
for c in "$N" "$F"; do
	t_config "$c" <<CONF
template = busybox.tar.gz
unprivileged = yes
idmap_size = 131072
$([ "$c" = "$N" ] && printf 'nesting = yes\nfuse = yes')
CONF
	rt_create "$c"
	check "boxes and its libraries are copied into $c" put_boxes "$BOX_ROOT/var/lib/boxes/$c/rootfs"
	check "box start $c" box start "$c"
done
check_match "box info $N: Features: nesting fuse" "^Features: +nesting fuse$" "$(box info "$N" 2>&1)"
check_match "box info $F: none, and what needs nesting" \
	"^Features: +none \(Docker, podman, LXC or boxes inside need nesting = yes\)$" "$(box info "$F" 2>&1)"
# in_box NAME CMD: CMD in the installation /nest inside container NAME
in_box() { local c=$1; shift; box attach "$c" -- env BOX_ROOT=/nest PATH=/usr/local/bin:/bin:/sbin:/usr/bin "$@"; }

# cgroup v2: a cgroup with processes may not give controllers to its
# children, so the outer init moves into a leaf first, as systemd does
if [ -n "$V2" ]; then
	for c in "$N" "$F"; do
		check "v2: $c's processes move into a leaf of its cgroup" box attach "$c" -- sh -c \
			'mkdir -p /sys/fs/cgroup/init.scope && for p in $(cat /sys/fs/cgroup/cgroup.procs); do echo $p >/sys/fs/cgroup/init.scope/cgroup.procs 2>/dev/null; done; test -z "$(cat /sys/fs/cgroup/cgroup.procs)"'
	done
fi

PHASE="boxes in boxes, nesting = yes"
out=$(in_box "$N" box start inner 2>&1)
check_eq "box start of a nested unprivileged container exits 0" 0 $?
[ -n "$out" ] && printf '%s\n' "$out" | sed 's/^/# /'
check_match "it runs" "^inner +RUNNING" "$(in_box "$N" box ls 2>&1)"
check_eq "its root is the outer container's id 65536" "0 65536 65536" \
	"$(in_box "$N" box attach inner -- cat /proc/self/uid_map 2>&1 | awk '{print $1, $2, $3}')"
check_eq "its PID 1 is its own busybox init" "init" "$(in_box "$N" box attach inner -- cat /proc/1/comm 2>&1)"
check "/hostile goes into the nested rootfs" box attach "$N" -- cp /hostile /nest/var/lib/boxes/inner/rootfs/hostile
check_eq "its memory limit lets 4 MiB be used" "survived 4 MiB" "$(in_box "$N" box attach inner -- /hostile hog 4 2>&1)"
out=$(in_box "$N" box attach inner -- /hostile hog 64 2>&1); rc=$?
check_eq "and kills what touches 64 MiB (memory = 16M)" "137 " "$rc $(grep survived <<<"$out")"
check "box stop inner" in_box "$N" box stop inner
# removed by inner's supervisor after the stop's answer (its tail)
no_inner() { [ -z "$(for d in $(rt_cgroups "$N"); do find "$d" -path '*/inner*' -type d; done)" ]; }
check "no cgroup of inner is left in the outer one" rt_wait_for 60 no_inner

PHASE="namespaces, nesting = yes"
check_eq "unshare -U -r: a user namespace inside" "0 0 1" \
	"$(box attach "$N" -- unshare -U -r cat /proc/self/uid_map 2>&1 | awk '{print $1, $2, $3}')"
check_eq "unshare -p -f --mount-proc: a pid namespace whose proc it mounts" "cat" \
	"$(box attach "$N" -- unshare -p -f -m --mount-proc cat /proc/1/comm 2>&1)"

PHASE="fuse = yes"
check_eq "/dev/fuse is the host's (c 10:229)" "a,e5" "$(box attach "$N" -- stat -c %t,%T /dev/fuse 2>&1)"
check "... and opens read-write" box attach "$N" -- sh -c 'exec 3<>/dev/fuse'
check_eq "without fuse = yes there is none" "no" "$(box attach "$F" -- sh -c 'test -e /dev/fuse && echo yes || echo no')"

PHASE="what stays out of reach with nesting = yes"
lim=$(host_lim "$N")
out=$(box attach "$N" -- sh -c "echo 1073741824 >$IN_LIM" 2>&1)
check_match "its own cgroup's memory limit cannot be written" "([Pp]ermission denied|not permitted|Read-only)" "$out"
if [ -n "$V2" ]; then mnt='mount -t cgroup2 none /tmp/cg'; else mnt='mount -t cgroup -o memory none /tmp/cg'; fi
out=$(box attach "$N" -- sh -c "mkdir -p /tmp/cg && $mnt && echo 1073741824 >/tmp/cg/$LIM; umount /tmp/cg" 2>&1)
check_match "a cgroup hierarchy it mounts itself is rooted at its own cgroup again, the limit not writable" \
	"([Pp]ermission denied|not permitted)" "$out"
check_eq "the host's limits of the container are unchanged" "$lim" "$(host_lim "$N")"
check_eq "/dev/.box/proc is the container's: PID 1 is its init" "init" \
	"$(box attach "$N" -- cat /dev/.box/proc/1/comm 2>&1)"
# (the pattern's brackets: grep's own command line does not match it)
check_eq "... and no host process is in it (this test's shell is not)" "" \
	"$(box attach "$N" -- sh -c 'grep -l "27-nest[i]ng" /dev/.box/proc/*/cmdline' 2>/dev/null)"
out=$(box attach "$N" -- sh -c 'echo never >/dev/.box/sys/kernel/mm/transparent_hugepage/enabled' 2>&1)
check_match "the host's sysfs settings cannot be written through /dev/.box/sys" "([Pp]ermission denied|Read-only|not permitted)" "$out"
out=$(box attach "$N" -- sh -c 'mknod /tmp/vda b 254 0 && head -c 512 /tmp/vda | wc -c' 2>&1)
check_match "a host disk cannot be made (mknod)" "(not permitted|[Pp]ermission denied)" "$out"
out=$(box attach "$N" -- sh -c 'mkdir -p /tmp/d && mount -t devtmpfs none /tmp/d' 2>&1)
check_match "the host's devtmpfs cannot be mounted" "(not permitted|[Pp]ermission denied)" "$out"

PHASE="without nesting"
# the host's mounts: nothing of the container's /nest
host_mounts() { grep -c "/nest" /proc/self/mountinfo; }
out=$(in_box "$F" box start inner 2>&1); rc=$?
check_eq "box start inside exits 1" 1 "$rc"
check_match "saying that the container needs nesting = yes" "container needs nesting = yes on its host" "$out"
check_eq "no cgroup of inner is left in the container's" "" \
	"$(for d in $(rt_cgroups "$F"); do find "$d" -path '*/inner*' -type d; done)"
check_eq "no mount of it on the host" "0" "$(host_mounts)"
out=$(box attach "$F" -- unshare -U -r id 2>&1)
check_match "unshare -U: Operation not permitted" "unshare\(0x10000000\): Operation not permitted" "$out"
out=$(box attach "$F" -- unshare -p -f true 2>&1)
check_match "unshare -p: Operation not permitted" "unshare\(0x20000000\): Operation not permitted" "$out"
check "unshare -m (systemd's sandboxing) still works" box attach "$F" -- unshare -m true
check "unshare -n too" box attach "$F" -- unshare -n true
check "threads still start (glibc falls back from clone3)" box attach "$F" -- /bin/busybox true
check_eq "no /dev/.box" "no" "$(box attach "$F" -- sh -c 'test -e /dev/.box && echo yes || echo no')"
for c in "$N" "$F"; do box stop --kill "$c" >/dev/null 2>&1; done

PHASE="Docker and podman (templates/debian-docker)"
if ! command -v debootstrap >/dev/null && [ -z "$(ls "$BOX_TEST_CACHE"/debian-docker-*.tar.gz 2>/dev/null)" ]; then
	# the cgroup v2 VM: an initramfs of busybox, bash and box
	skip "Docker and podman" "no debootstrap here to build templates/debian-docker"
	t_stop
fi
if ! tpl=$(t_template debian-docker 2>"$BOX_ROOT/tpl.err"); then
	skip "Docker and podman" "building templates/debian-docker failed (debootstrap: no mirror?): $(tail -1 "$BOX_ROOT/tpl.err")"
	t_stop
fi
D=$T-dock
# a systemd boot and dockerd's start: seconds here, minutes under the VM's TCG
WAIT=180
[ -n "${BOX_TEST_VM:-}" ] && WAIT=600
t_config "$D" <<CONF
template = $tpl
unprivileged = yes
nesting = yes
keyctl = yes
stop_timeout = 60
CONF
rt_create "$D" || { fail "creating the rootfs from $tpl"; t_stop; }
R=$BOX_ROOT/var/lib/boxes/$D/rootfs
# the image: the busybox template and /hostile, as a plain rootfs tarball,
# with a device node as many old rootfs tarballs have (/dev/null, c 1:3):
# Docker and podman in a user namespace leave nodes out (no mknod = yes)
mkdir -p "$BOX_ROOT/img" && tar xzf "$BUX" -C "$BOX_ROOT/img" && cp "$BOX_ROOT/hostile" "$BOX_ROOT/img/hostile" &&
	mknod "$BOX_ROOT/img/dev/null" c 1 3
check "a busybox rootfs tarball for the image" tar cf "$R/root/bb.tar" --numeric-owner -C "$BOX_ROOT/img" .
check "box start --wait" box start --wait --timeout $WAIT "$D"
check "dockerd answers" rt_wait_for $WAIT box attach "$D" -- docker info
in_d() { box attach "$D" -- "$@"; }

out=$(in_d docker import /root/bb.tar bb:1 2>&1)
check_match "docker import of the rootfs tarball (its c 1:3 node left out)" "^sha256:" "$out"
info=$(in_d docker info 2>&1)
check_match "Docker's storage driver is overlay2 (overlayfs in the user namespace)" "Storage Driver: overlay2" "$info"
check_match "Docker's cgroups are the host's version ($([ -n "$V2" ] && echo v2 || echo v1))" \
	"Cgroup Version: $([ -n "$V2" ] && echo 2 || echo 1)" "$info"
check_eq "docker run --rm bb:1 echo ok (on Docker's own bridge)" "ok" "$(in_d docker run --rm bb:1 echo ok 2>&1)"
check_eq "docker run -m 32m: 8 MiB fit" "survived 8 MiB" \
	"$(in_d docker run --rm --network none -m 32m bb:1 /hostile hog 8 2>&1)"
out=$(in_d docker run --rm --network none -m 32m bb:1 /hostile hog 128 2>&1); rc=$?
check_eq "docker run -m 32m: what touches 128 MiB is killed (exit 137)" "137 " "$rc $(grep survived <<<"$out")"

out=$(in_d podman import /root/bb.tar bb:1 2>&1)
check_match "podman import of the rootfs tarball (its c 1:3 node left out)" "^(sha256:)?[0-9a-f]{64}$" "$(tail -1 <<<"$out")"
check_eq "... and neither unpacked it into its layers" "" "$(in_d find /var/lib/docker/overlay2 \
	/var/lib/containers/storage/overlay -path '*/diff/dev/null' 2>&1)"
check_eq "podman run --rm bb:1 echo ok (on podman's bridge)" "ok" "$(in_d podman run --rm localhost/bb:1 echo ok 2>&1)"
check_eq "podman run -m 32m: 8 MiB fit" "survived 8 MiB" \
	"$(in_d podman run --rm --network none -m 32m localhost/bb:1 /hostile hog 8 2>&1)"
out=$(in_d podman run --rm --network none -m 32m localhost/bb:1 /hostile hog 128 2>&1); rc=$?
check_eq "podman run -m 32m: what touches 128 MiB is killed (exit 137)" "137 " "$rc $(grep survived <<<"$out")"

PHASE="whiteouts: a layer that deletes a file, saved and loaded again"
# a whiteout is a c 0:0 node: overlayfs makes one at the rm, and Docker's and
# podman's overlay drivers mknod it again when they unpack the saved layer
# (Proxmox's mknod=1 is not needed for it: kernel 5.8 lets a user namespace
# make a whiteout without CAP_MKNOD)
out=$(in_d sh -ec 'docker run --name wh --network none bb:1 rm /hostile
	docker commit wh bb:2 && docker rm wh && docker save -o /root/bb2.tar bb:2 && docker rmi bb:2
	docker load -i /root/bb2.tar' 2>&1)
check_match "docker commit, save, rmi and load of the layer" "Loaded image: bb:2" "$out"
check_eq "docker run bb:2: the file is gone" "gone" \
	"$(in_d docker run --rm --network none bb:2 sh -c 'test -e /hostile && echo there || echo gone' 2>&1)"
check_eq "Docker's copy of the layer holds the whiteout (c 0:0)" "0:0" \
	"$(in_d find /var/lib/docker/overlay2 -path '*/diff/hostile' -type c -exec stat -c %t:%T {} + 2>&1)"
out=$(in_d sh -ec 'podman run --name wh --network none localhost/bb:1 rm /hostile
	podman commit -q wh localhost/bb:2 && podman rm wh && podman save -o /root/pbb2.tar localhost/bb:2
	podman rmi localhost/bb:2 && podman load -i /root/pbb2.tar' 2>&1)
check_match "podman commit, save, rmi and load of the layer" "Loaded image.*localhost/bb:2" "$out"
check_eq "podman run bb:2: the file is gone" "gone" \
	"$(in_d podman run --rm --network none localhost/bb:2 sh -c 'test -e /hostile && echo there || echo gone' 2>&1)"
check_eq "podman's copy of the layer holds the whiteout (c 0:0)" "0:0" \
	"$(in_d find /var/lib/containers/storage/overlay -path '*/diff/hostile' -type c -exec stat -c %t:%T {} + 2>&1)"
check_eq "no mount of theirs on the host" "0" "$(grep -c -e /var/lib/docker -e /var/lib/containers /proc/self/mountinfo)"

PHASE="Docker and podman without nesting"
check "box stop" box stop "$D"
sed -i 's/^nesting = yes$/nesting = no/' "$CONF/$D.conf"
check "box start --wait, nesting = no" box start --wait --timeout $WAIT "$D"
check "dockerd answers" rt_wait_for $WAIT box attach "$D" -- docker info
out=$(in_d docker run --rm --network none bb:1 echo ok 2>&1); rc=$?
check_eq "docker run fails" "failed" "$([ "$rc" != 0 ] && ! grep -qx ok <<<"$out" && echo failed)"
# runc 1.1's nsexec dies at unshare(CLONE_NEWPID...) and its parent only
# sees the pipe close: Docker says no more than this
check_match "saying that runc could not start the container" "runc create failed: unable to start container process" "$out"
out=$(in_d podman run --rm --network none localhost/bb:1 echo ok 2>&1); rc=$?
check_eq "podman run fails" "failed" "$([ "$rc" != 0 ] && ! grep -qx ok <<<"$out" && echo failed)"
check_match "saying what was not permitted (crun)" "crun: clone: Operation not permitted" "$out"
check_eq "no mount of theirs on the host" "0" "$(grep -c -e /var/lib/docker -e /var/lib/containers /proc/self/mountinfo)"
box stop --kill "$D" >/dev/null 2>&1
t_done
