#!/bin/bash
# A Debian 12 systemd container from templates/debian: boots to running (or
# degraded) with --wait on sd_notify, and `box stop` halts it through
# systemd's own shutdown (SIGRTMIN+3), not the kill, within the timeout. Its
# eth0 says address = dhcp on a managed bridge: the container's own client
# (systemd-networkd) gets a lease, kept across a reboot.
# box-test: also unprivileged
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/runtime-lib.sh"

C=$T-deb
PHASE="template"
if ! tpl=$(t_template debian 2>"$BOX_ROOT/tpl.err"); then
	skip "Debian systemd container" "building templates/debian failed (debootstrap: no mirror?): $(tail -1 "$BOX_ROOT/tpl.err")"
	t_stop
fi
# its eth0 on a managed bridge with address = dhcp: systemd-networkd inside
# (enabled by boxes for it) asks the bridge's dnsmasq
BR=br$T
t_netdev "$BR"
N4=$(t_subnet) || { fail "a subnet of our own (t_subnet)"; t_stop; }
IFS=. read -r _ A B <<<"$N4"
cat >"$BOX_ROOT/etc/boxes/boxes.conf" <<CONF
bridge $BR {
  address    = $N4.1/24
  dhcp       = yes
  dhcp_range = $N4.50-$N4.59
  dns        = yes
}
CONF
t_config "$C" <<CONF
template = $tpl
hostname = $C-host
stop_timeout = 60
network eth0 {
  bridge  = $BR
  address = dhcp
}
CONF
rt_create "$C" || { fail "creating the rootfs from $tpl"; t_stop; }

PHASE="boot"
t0=$EPOCHREALTIME
check "box start --wait returns once systemd is READY" box start --wait --timeout 120 "$C"
echo "# booted in $(awk -v a="$t0" -v b="$EPOCHREALTIME" 'BEGIN { printf "%.2f", b - a }') s"
check_match "systemctl is-system-running: running or degraded" "^(running|degraded)" \
	"$(box attach "$C" -- systemctl is-system-running 2>&1)"
check_eq "uid_map inside: the mode under test" "$(t_want_uid_map "$C")" \
	"$(box attach "$C" -- cat /proc/self/uid_map | awk '{print $1, $2, $3}')"
check_eq "PID 1 is systemd" "systemd" "$(box attach "$C" -- cat /proc/1/comm)"
check_eq "the hostname is the config's" "$C-host" "$(box attach "$C" -- hostname)"
check_eq "systemd detects a container" "container-other" \
	"$(box attach "$C" -- systemd-detect-virt 2>&1 | sed 's/^boxes$/container-other/')"
check_match "systemd mounted its cgroup view" "/sys/fs/cgroup" "$(box attach "$C" -- cat /proc/mounts)"
cgls=$(box attach "$C" -- systemd-cgls --no-pager 2>&1)
check_match "systemd-cgls inside shows systemd's own tree" "init\.scope" "$cgls"
check_match "... with its system.slice" "system\.slice" "$cgls"
check_eq "... and nothing of the host's tree (no boxes/, no host processes)" "" \
	"$(printf '%s\n' "$cgls" | grep -E "boxes/|$T-deb/|box-supervisor|t_cleanup")"
check_eq "/proc/1/cgroup inside is rooted at the container" "" \
	"$(box attach "$C" -- cat /proc/1/cgroup | grep -E 'boxes|payload')"
check_eq "no failed units" "0" "$(box attach "$C" -- systemctl --failed --no-legend --plain | wc -l | tr -d ' ')"
# systemd pairs cpu with cpuacct and net_cls with net_prio as one mount "a,b"
# with links a and b on a v1 host; where the host has a pair on hierarchies of
# their own (cpu and cpuacct here) the view must not ask it to: the boot says
# no "Failed to create symlink" at all, whatever the host's layout
check_eq "the boot prints no 'Failed to create symlink'" "" \
	"$(grep -a "Failed to create symlink" "$BOX_ROOT/var/log/boxes/$C.log")"
check_eq "nor any other 'Failed to' of the cgroup mounts" "" \
	"$(grep -a "Failed to .*/sys/fs/cgroup" "$BOX_ROOT/var/log/boxes/$C.log")"
if [ "$(stat -f -c %T /sys/fs/cgroup)" = tmpfs ]; then
	for c in $(awk '!/^#/ && $2 != 0 && $4 == 1 { print $1 }' /proc/cgroups); do
		check_match "v1: the $c hierarchy is mounted inside as on the host" \
			" /sys/fs/cgroup/[^ ]*$c[^ ]* cgroup .*[,]$c([, ]|\$)" "$(box attach "$C" -- cat /proc/self/mounts)"
	done
fi
lease() { box ls | awk -v n="$C" '$1 == n {print $4}'; }
has_lease() { box attach "$C" -- ip -o -4 addr show dev eth0 | grep -q " $N4\.5[0-9]/24"; }
check "address = dhcp: networkd inside gets an address from the range" rt_wait_for 30 has_lease
L1=$(lease)
check_match "box ls shows the lease" "^$N4\.5[0-9]$" "$L1"
check_eq "... the one the container has" "$L1" \
	"$(box attach "$C" -- ip -o -4 addr show dev eth0 | sed -n 's/.* inet \([0-9.]*\)\/.*/\1/p')"
ipid=$(cat "$BOX_ROOT/run/boxes/$C/init.pid"); spid=$(cat "$BOX_ROOT/run/boxes/$C/supervisor.pid")
check_match "init's env has container_uuid" "container_uuid=" "$(tr '\0' '\n' </proc/$ipid/environ)"

PHASE="reboot inside"
if [ -n "${BOX_TEST_VM:-}" ]; then
	# under TCG a boot takes about 45 s: a second one would add more than a
	# minute to each mode of the VM test (35-cgroup-v2.sh); reboot is the
	# supervisor's, the same on v1 and v2, tested by the host's run
	skip "systemctl reboot inside restarts it" "in the cgroup v2 VM (tested on the host)"
else
	box attach "$C" -- systemctl reboot >/dev/null 2>&1
	check "systemctl reboot inside restarts it with a new init" rt_wait_for 30 sh -c \
		"p=\$(cat $BOX_ROOT/run/boxes/$C/init.pid 2>/dev/null); [ -n \"\$p\" ] && [ \"\$p\" != $ipid ]"
	check "and it boots again" rt_wait_for 30 sh -c "box attach $C -- systemctl is-system-running 2>/dev/null | grep -qE '^(running|degraded)'"
	check_match "the log says it rebooted" "rebooted \(init ended by SIGHUP\)" "$(cat "$BOX_ROOT/var/log/boxes/$C.log")"
	ipid=$(cat "$BOX_ROOT/run/boxes/$C/init.pid")
	check "after the reboot, its address again" rt_wait_for 30 has_lease
	check_eq "... the same lease" "$L1" "$(lease)"
fi

PHASE="stop"
t0=$SECONDS
check "box stop" timeout 90 box stop "$C"
check "it stopped well within the timeout" test $((SECONDS - t0)) -lt 60
log=$(cat "$BOX_ROOT/var/log/boxes/$C.log")
check_match "the halt signal was SIGRTMIN+3" "sending SIGRTMIN\+3" "$log"
check_match "systemd ran its own shutdown" "(Halting system|System Halt)" "$log"
check_match "init ended by halting, not killed" "stopped: the container halted" "$(echo "$log" | tail -1)"
rt_check_gone "$C" "$ipid" "$spid" "after stop"

t_done
