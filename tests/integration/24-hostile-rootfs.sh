#!/bin/bash
# The host reading and preparing a rootfs the container's root has arranged
# (issue 12, items 5, 6, 8): symlinks out of the rootfs, FIFOs where a file
# should be. Every command returns within a generous timeout with a clear
# message and reads nothing of the host's.
# box-test: also nesting
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/runtime-lib.sh"

C=$T-rfs
rt_config "$C"
R=$BOX_ROOT/var/lib/boxes/$C/rootfs
W=$BOX_ROOT/work
mkdir -p "$W"

PHASE="export: os-release (item 5)"
# a host file the container names through a symlink: its ID must not leak
printf 'ID=gentoo\n' >"$W/host-os-release"
mkdir -p "$R/usr/lib" "$R/etc"
rm -f "$R/usr/lib/os-release" "$R/etc/os-release"
ln -s "$W/host-os-release" "$R/usr/lib/os-release"
ln -s "$W/host-os-release" "$R/etc/os-release"
check "export with a symlinked os-release" timeout 60 box export "$C" -o "$W/a.tar.gz" --no-progress
check_eq "pct.conf does not take the host file's ostype" "ostype: unmanaged" \
	"$(tar xOzf "$W/a.tar.gz" ./etc/vzdump/pct.conf 2>/dev/null | grep '^ostype')"
# a FIFO nobody writes to: the read must not wait for one
rm -f "$R/usr/lib/os-release" "$R/etc/os-release"
mkfifo "$R/usr/lib/os-release"
printf 'ID=alpine\n' >"$R/etc/os-release"
check "export with a FIFO as os-release returns" timeout 60 box export "$C" -o "$W/b.tar.gz" --no-progress
check_eq "... and reads the next candidate" "ostype: alpine" \
	"$(tar xOzf "$W/b.tar.gz" ./etc/vzdump/pct.conf 2>/dev/null | grep '^ostype')"
rm -f "$R/usr/lib/os-release" "$R/etc/os-release"

PHASE="start: a mount target that is a FIFO (item 6)"
echo "host-data" >"$W/source-file"
cat >>"$BOX_ROOT/etc/boxes/$C.conf" <<CONF
mount /srv/file {
  source = $W/source-file
}
CONF
mkdir -p "$R/srv"
mkfifo "$R/srv/file"
out=$(timeout 60 box start "$C" 2>&1); rc=$?
check_eq "start fails (not a hang)" 1 "$rc"
check_match "... saying the target is a FIFO" "mount /srv/file: the target inside the container is a FIFO" "$out"
out=$(timeout 60 box stop --kill "$C" 2>&1); rc=$?
check "stop --kill returns" test "$rc" -ne 124
check_match "ls says STOPPED" "^$C +STOPPED" "$(box ls 2>&1)"
rm -f "$R/srv/file"
check "with a plain target it starts" timeout 60 box start "$C"
check_eq "... and the file is bound" "host-data" "$(box attach "$C" -- cat /srv/file 2>&1)"
# a supervisor that does not answer (as one stuck in a start would be)
spid=$(cat "$BOX_ROOT/run/boxes/$C/supervisor.pid")
ipid=$(cat "$BOX_ROOT/run/boxes/$C/init.pid")
kill -STOP "$spid"
out=$(timeout 60 box stop --kill "$C" 2>&1); rc=$?
check_eq "stop --kill of a supervisor that does not answer succeeds" 0 "$rc"
check "... the supervisor is gone" rt_wait_for 10 rt_dead "$spid"
check "... init is gone" rt_wait_for 10 rt_dead "$ipid"
check_match "... ls says STOPPED" "^$C +STOPPED" "$(box ls 2>&1)"
check "... nothing of its run state is left" test ! -e "$BOX_ROOT/run/boxes/$C"

PHASE="start: a mount target through /proc/self/root (item 8)"
# a symlink via /proc (mounted inside before the user mounts) to the host's /
rm -f "$R/srv/file"
ln -s "/proc/self/root$W/created-on-host" "$R/srv/file"
out=$(timeout 60 box start "$C" 2>&1); rc=$?
check_eq "nothing is created on the host through it" "" "$(ls "$W/created-on-host" 2>/dev/null)"
check_eq "... and the start fails" 1 "$rc"
timeout 60 box stop --kill "$C" >/dev/null 2>&1

PHASE="start: /dev a symlink the host would resolve elsewhere"
# absolute: inside the rootfs it names $R3$R3/evil (where the tmpfs goes),
# on the host $R3/evil, where the container's root left a link to a host
# file named as the boot id the host binds from the container's /dev
C3=$T-dev
rt_config "$C3"
R3=$BOX_ROOT/var/lib/boxes/$C3/rootfs
echo "host-secret" >"$W/host-secret"
chmod 644 "$W/host-secret"
rm -rf "$R3/dev"
mkdir -p "$R3$R3/evil" "$R3/evil"
ln -s "$R3/evil" "$R3/dev"
ln -s "$W/host-secret" "$R3/evil/.box-boot-id"
out=$(timeout 60 box start "$C3" 2>&1); rc=$?
check_eq "the host's file is not the boot id" "" \
	"$(box attach "$C3" -- cat /proc/sys/kernel/random/boot_id 2>&1 | grep host-secret)"
check_eq "... the start fails" 1 "$rc"
check_match "... saying /dev is a symlink" "/dev inside the container is a symlink" "$out"
timeout 60 box stop --kill "$C3" >/dev/null 2>&1
rm -f "$R3/dev"
check "with /dev a folder again it starts" timeout 60 box start "$C3"
check "stop" timeout 60 box stop --kill "$C3"

PHASE="/run/host (item 7)"
C2=$T-run
rt_config "$C2"
check "start a second container" timeout 60 box start "$C2"
# a privileged root remounts what it was given rw and writes into it
box attach "$C2" -- sh -c 'mount -o remount,rw,bind /run/host 2>/dev/null; mount -o remount,rw,bind /run/host/notify 2>/dev/null;
	mkdir -p /run/host/junk/deep && echo x >/run/host/junk/deep/f; ln -s / /run/host/root-link' >/dev/null 2>&1
check_eq "the host's notify folder holds only the socket" "notify" "$(ls "$BOX_ROOT/run/boxes/$C2/notify" 2>&1)"
check "stop" timeout 60 box stop --kill "$C2"
out=$(box ls 2>&1); rc=$?
check_eq "box ls works afterwards" 0 "$rc"
rt_settle "$C2"
check "the run folder is gone" test ! -e "$BOX_ROOT/run/boxes/$C2"
t_done
