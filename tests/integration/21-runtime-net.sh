#!/bin/bash
# The runtime with a veth on a bridge: the address is there before init runs,
# the host reaches the container, and the host end is gone however it stops.
# box-test: also unprivileged
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/runtime-lib.sh"

C=$T-net
BR=br$T
t_netdev "$BR"
NET=$(t_subnet).0 || { fail "a subnet of our own (t_subnet)"; t_stop; }
cat >"$BOX_ROOT/etc/boxes/boxes.conf" <<CONF
bridge $BR {
  address = ${NET%.0}.1/24
}
CONF
rt_config "$C" "network eth0 {
  bridge = $BR
  address = ${NET%.0}.2/24
  gateway = ${NET%.0}.1
}"

PHASE="start with a veth"
check "box start" box start "$C"
host_if=$(ip -o link show master "$BR" 2>/dev/null | awk -F': ' '{print $2}' | cut -d@ -f1 | head -1)
check_match "the host end is on the bridge" "." "$host_if"
check_match "eth0 inside has the address" "${NET%.0}.2/24" "$(box attach "$C" -- ip -4 addr show eth0)"
check_match "the default route points at the gateway" "default via ${NET%.0}.1" "$(box attach "$C" -- ip route)"
check "the host pings the container" ping -c1 -W2 "${NET%.0}.2"
check_match "/sys/class/net shows the container's links" "eth0" "$(box attach "$C" -- ls /sys/class/net)"
check_eq "the host's links are not there" "" "$(box attach "$C" -- ls /sys/class/net | grep -x "$BR")"
check_match "ls shows the address" "^$C +RUNNING +[0-9]+ +${NET%.0}.2" "$(box ls)"
check_match "info names the host end" "$host_if" "$(box info "$C")"

PHASE="stop"
check "box stop --kill" box stop --kill "$C"
check_eq "the host end is gone after stop" "" "$(ip -o link show "$host_if" 2>/dev/null)"

PHASE="kill -9 of the supervisor"
box start "$C"
host_if=$(ip -o link show master "$BR" 2>/dev/null | awk -F': ' '{print $2}' | cut -d@ -f1 | head -1)
spid=$(cat "$BOX_ROOT/run/boxes/$C/supervisor.pid"); ipid=$(cat "$BOX_ROOT/run/boxes/$C/init.pid")
kill -9 "$spid"
sleep 0.2
box ls >/dev/null 2>&1
rt_check_gone "$C" "$ipid" "$spid" "after kill -9 of the supervisor"
check "the host end is gone with the netns" rt_wait_for 3 sh -c "! ip link show $host_if >/dev/null 2>&1"

PHASE="a failing network leaves nothing"
F=$T-nf
rt_config "$F" "network eth0 {
  bridge = lo
}"
out=$(box start "$F" 2>&1); rc=$?
check_eq "a failing network setup fails the start with 1" 1 "$rc"
check_match "with the network module's own message" "bridge lo" "$out"
rt_check_gone "$F" "" "" "after a failed network setup"
check_eq "no veth left on the host" "" "$(ip -o link | grep -F "$(box info "$F" 2>/dev/null | sed -n 's/.*host side \([^)]*\)).*/\1/p')" | grep -v '^$')"

t_done
