#!/bin/bash
# The network of real containers (busybox template) on a test bridge that
# boxes creates from boxes.conf: the two containers ping each other over IPv4
# and IPv6 and the bridge answers each; MAC, MTU, default route and lo inside
# are the configured ones; the default MAC survives a restart; type = empty
# has only lo; no host-side veth is left after `box stop` nor after `kill -9`
# of init; the bridge stays; a non-bridge device named as a bridge is a clear
# error that leaves nothing. All traffic stays on the test bridge.
# box-test: also unprivileged
. "$(dirname "$0")/lib.sh"
CONF=$BOX_ROOT/etc/boxes
BR=br$T
t_netdev "$BR"
# a /24 and a /64 of our own, from the pid, so that parallel runs do not meet
N4=$(t_subnet) || { fail "a subnet of our own (t_subnet)"; t_stop; }
IFS=. read -r _ A B <<<"$N4"
N4b=$(t_subnet) || { fail "a second subnet (t_subnet)"; t_stop; }
N6=fd00:b0c6:$(printf %x $A):$(printf %x $B)

# The config line for a busybox rootfs (the template).
net_rootfs_line() { echo "template = $(t_template busybox)"; }

run() {
	local o e
	o=$(mktemp) e=$(mktemp)
	"$@" >"$o" 2>"$e"
	rc=$?
	out=$(cat "$o") err=$(cat "$e")
	rm -f "$o" "$e"
}
in_ct() { box attach "$1" -- "${@:2}"; }
host_if() { box info "$1" | sed -n "s/.*Interface: *${2:-eth0} .*host side \(vb[0-9a-f]*\).*/\1/p"; }
# (from busybox `ip link`, which works whether or not /sys is mounted)
mac_of() { in_ct "$1" ip link show "${2:-eth0}" | sed -n 's/.*link\/ether \([0-9a-f:]*\).*/\1/p'; }
mtu_of() { in_ct "$1" ip link show "${2:-eth0}" | sed -n 's/.* mtu \([0-9]*\).*/\1/p'; }
links_of() { in_ct "$1" ip link show | sed -n 's/^[0-9]*: \([^:@]*\).*/\1/p' | tr '\n' ' ' | sed 's/ $//'; }
init_pid() { box info "$1" | sed -n 's/^PID: *\([0-9]*\).*/\1/p'; }
# waits up to 10 s for CMD to succeed
wait_for() {
	local i
	for ((i = 0; i < 100; i++)); do "$@" >/dev/null 2>&1 && return 0; sleep 0.1; done
	return 1
}
gone() { ! ip link show "$1" >/dev/null 2>&1; }
stopped() { box info "$1" 2>/dev/null | grep -q '^State: *STOPPED'; }

cat >"$CONF/boxes.conf" <<-EOF
	bridge $BR {
	  address = {$N4.1/24, $N6::1/64}
	}
EOF
t_config "$T-a" <<-EOF
	$(net_rootfs_line "$T-a")
	nameserver = $N4.1
	searchdomain = $T.test
	network eth0 {
	  bridge  = $BR
	  address = {$N4.2/24, $N6::2/64}
	  gateway = {$N4.1, $N6::1}
	  hwaddr  = 02:42:0a:$(printf %02x $A):$(printf %02x $B):02
	  mtu     = 1400
	}
EOF
t_config "$T-b" <<-EOF
	$(net_rootfs_line "$T-b")
	network eth0 {
	  bridge  = $BR
	  address = {$N4.3/24, $N6::3/64}
	  gateway = $N4.1
	}
EOF
t_config "$T-e" <<-EOF
	$(net_rootfs_line "$T-e")
	network eth0 {
	  type = empty
	}
EOF

PHASE="start two containers on a new bridge"
check "start $T-a" box start "$T-a"
check "start $T-b" box start "$T-b"
check "the bridge was created" ip link show "$BR"
check_match "with its address from boxes.conf" "inet $N4.1/24" "$(ip -o addr show dev "$BR")"
HA=$(host_if "$T-a") HB=$(host_if "$T-b")
check_match "box info shows the host side of $T-a" '^vb[0-9a-f]{13}$' "$HA"
check_match "the host side is up on the bridge" "master $BR .*state (UP|LOWERLAYERDOWN)|state UP .*master $BR" \
	"$(ip -o link show "$HA" 2>&1)"
check_match "the host side says whose it is" "alias boxes:$T-a:eth0" "$(ip -o link show "$HA" 2>&1)"

PHASE="traffic on the bridge"
check "$T-a pings $T-b" in_ct "$T-a" ping -c1 -W2 "$N4.3"
check "$T-b pings $T-a" in_ct "$T-b" ping -c1 -W2 "$N4.2"
check "$T-a pings the bridge" in_ct "$T-a" ping -c1 -W2 "$N4.1"
check "$T-b pings the bridge" in_ct "$T-b" ping -c1 -W2 "$N4.1"
check "the host reaches $T-a through the bridge" ping -c1 -W2 "$N4.2"
check "$T-a pings $T-b over IPv6" in_ct "$T-a" ping -6 -c1 -W2 "$N6::3"
check "$T-b pings the bridge over IPv6" in_ct "$T-b" ping -6 -c1 -W2 "$N6::1"

PHASE="what is inside"
check_eq "$T-a has its configured MAC" "02:42:0a:$(printf %02x $A):$(printf %02x $B):02" "$(mac_of "$T-a")"
check_eq "$T-a has its configured MTU" "1400" "$(mtu_of "$T-a")"
check_eq "$T-b has the bridge's MTU by default" "$(cat /sys/class/net/$BR/mtu)" "$(mtu_of "$T-b")"
MAC_B=$(mac_of "$T-b")
check_match "$T-b's default MAC is locally administered" '^02:([0-9a-f]{2}:){4}[0-9a-f]{2}$' "$MAC_B"
check_match "default IPv4 route via the gateway" "default via $N4.1 dev eth0" "$(in_ct "$T-a" ip route 2>&1)"
check_match "default IPv6 route via the gateway" "default via $N6::1 dev eth0" "$(in_ct "$T-a" ip -6 route 2>&1)"
check_match "lo is up" "<LOOPBACK,UP" "$(in_ct "$T-a" ip link show lo 2>&1)"
v6=$(in_ct "$T-a" ip -6 addr show dev eth0 2>&1 | grep "inet6 $N6::2/64")
check_match "the IPv6 address is there" "inet6 $N6::2/64 scope global" "$v6"
check_fail "and usable at once (not tentative)" grep -q tentative <<<"$v6"
resolv=$(in_ct "$T-a" cat /etc/resolv.conf 2>&1)
check_match "nameserver written to resolv.conf" "nameserver $N4.1" "$resolv"
check_match "searchdomain written to resolv.conf" "search $T.test" "$resolv"

PHASE="stop and restart"
check "stop $T-b" box stop "$T-b"
check "no host-side veth of $T-b after stop" gone "$HB"
check "restart $T-b" box start "$T-b"
check_eq "the default MAC is the same after a restart" "$MAC_B" "$(mac_of "$T-b")"
check "and it still reaches $T-a" in_ct "$T-b" ping -c1 -W2 "$N4.2"

PHASE="kill -9 of init"
P=$(init_pid "$T-b")
check_match "$T-b has an init pid" '^[0-9]+$' "$P"
[ -n "$P" ] && kill -9 "$P"
check "$T-b is stopped after kill -9 of its init" wait_for stopped "$T-b"
check "no host-side veth of $T-b after kill -9 of init" wait_for gone "$HB"
check "stop $T-a" box stop "$T-a"
check "no host-side veth of $T-a after stop" gone "$HA"
check "the bridge stays when the last container stops" ip link show "$BR"

PHASE="type empty"
check "start $T-e" box start "$T-e"
check_eq "type empty has only lo" "lo" "$(links_of "$T-e")"
check_match "and lo is up" "<LOOPBACK,UP" "$(in_ct "$T-e" ip link show lo 2>&1)"
check "stop $T-e" box stop "$T-e"

PHASE="a routed /32: the gateway outside every subnet"
# Proxmox's ip=A/32,gw=G of hosting providers: an on-link host route to G first
t_config "$T-r32" <<-EOF
	$(net_rootfs_line "$T-r32")
	network eth0 {
	  bridge  = $BR
	  address = $N4.50/32
	  gateway = $N4.1
	}
EOF
check "start $T-r32" box start "$T-r32"
routes=$(in_ct "$T-r32" ip route 2>&1)
check_match "an on-link host route to the gateway" "^$N4.1 dev eth0 .*scope link" "$routes"
check_match "and the default route via it" "default via $N4.1 dev eth0" "$routes"
check "the gateway answers" in_ct "$T-r32" ping -c1 -W2 "$N4.1"
check "stop $T-r32" box stop --kill "$T-r32"

PHASE="a bridge that neither exists nor is declared"
t_netdev "${T}n"
t_config "$T-nd" <<-EOF
	$(net_rootfs_line "$T-nd")
	network eth0 {
	  bridge  = ${T}n
	  address = $N4.60/24
	}
EOF
run box start "$T-nd"
check_eq "start refuses it (as LXC refuses a missing lxc.net.0.link)" 1 "$rc"
check_match "one line: file:line, the bridge, where it is not declared" \
	"^box: .*$T-nd.conf:3: network eth0: bridge ${T}n neither exists on this host nor is declared in .*boxes.conf: .*reach nothing" "$err"
check_match "and what to do" "declare it there, 'bridge ${T}n \{ address = .*or create it on the host" "$err"
check_eq "... in one line" 1 "$(printf '%s\n' "$err" | grep -c .)"
check "nothing left: no bridge made" gone "${T}n"
check "nothing left: not running" stopped "$T-nd"
check_eq "nothing left: no state" "" "$(ls -A "$BOX_ROOT/run/boxes/$T-nd" 2>/dev/null)"
check_eq "nothing left: no cgroup" "" "$(ls -d /sys/fs/cgroup/*/boxes/$T-nd /sys/fs/cgroup/boxes/$T-nd 2>/dev/null)"
check "nothing left: no host-side veth" gone "$(host_if "$T-nd")"
check "a bridge made on the host (not declared) is used as it is" ip link add "${T}n" type bridge
check "start on it" box start "$T-nd"
check_match "with the host end on it" "master ${T}n" "$(ip -o link show "$(host_if "$T-nd")")"
box stop --kill "$T-nd" >/dev/null 2>&1
check "which stays after the stop (the host's, not boxes')" ip link show "${T}n"
run box start "$T-b"
check_eq "a start on a declared bridge says nothing of the kind" "0 " "$rc $(printf '%s' "$err" | grep -i 'neither exists')"
box stop --kill "$T-b" >/dev/null 2>&1

PHASE="a device that is not a bridge"
t_netdev "${T}d"
check "make a veth named like a bridge" ip link add "${T}d" type veth peer name "${T}e"
t_config "$T-nb" <<-EOF
	$(net_rootfs_line "$T-nb")
	network eth0 {
	  bridge  = ${T}d
	  address = $N4.9/24
	}
EOF
run box start "$T-nb"
check_eq "start on a non-bridge fails with status 1" 1 "$rc"
check_match "saying it is not a bridge" "${T}d.*not a bridge" "$err"
check "nothing left: no host-side veth" gone "$(host_if "$T-nb")"
check "nothing left: not running" stopped "$T-nb"
check "nothing left: the device is untouched" ip link show "${T}d"

PHASE="a name collision on the host"
# someone else's interface under the host-side name of $T-a: refused, kept
t_netdev "$HA"
check "make a foreign interface with that name" ip link add "$HA" type veth peer name "${T}f"
run box start "$T-a"
check_eq "start refuses to take over a foreign interface" 1 "$rc"
check_match "naming it" "$HA is taken by another interface" "$err"
check "the foreign interface is kept" ip link show "$HA"
ip link del "$HA" 2>/dev/null

PHASE="type host"
t_config "$T-h" <<-EOF
	$(net_rootfs_line "$T-h")
	network eth0 {
	  type = host
	}
EOF
check "start $T-h (host network)" box start "$T-h"
P=$(init_pid "$T-h")
check_eq "its init shares the host's network namespace" "$(readlink /proc/self/ns/net)" \
	"$(readlink "/proc/${P:-0}/ns/net" 2>&1)"
check "stop $T-h" box stop "$T-h"

PHASE="kill -9 of the supervisor"
check "start $T-a again" box start "$T-a"
check "its host side is back" ip link show "$HA"
SP=$(cat "$BOX_ROOT/run/boxes/$T-a/supervisor.pid" 2>/dev/null)
check_match "$T-a has a supervisor pid" '^[0-9]+$' "$SP"
[ -n "$SP" ] && kill -9 "$SP"
check "the next command sees it stopped (stale state cleaned)" wait_for stopped "$T-a"
check "no host-side veth of $T-a after the stale cleanup" wait_for gone "$HA"
check "and it starts again at once" box start "$T-a"
check "reaching the bridge" in_ct "$T-a" ping -c1 -W2 "$N4.1"
check "stop $T-a" box stop --kill "$T-a"

PHASE="two starts racing to create one bridge"
BR2=${BR}x
t_netdev "$BR2"
cat >>"$CONF/boxes.conf" <<-EOF
	bridge $BR2 {
	  address = $N4b.1/24
	}
EOF
for c in r1 r2; do
	t_config "$T-$c" <<-EOF
		$(net_rootfs_line "$T-$c")
		network eth0 {
		  bridge  = $BR2
		  address = $N4b.$([ $c = r1 ] && echo 2 || echo 3)/24
		}
	EOF
done
box start "$T-r1" >"$BOX_ROOT/r1.out" 2>&1 &
p1=$!
box start "$T-r2" >"$BOX_ROOT/r2.out" 2>&1 &
p2=$!
wait $p1; r1=$?
wait $p2; r2=$?
check_eq "both starts succeed" "0 0" "$r1 $r2"
[ "$r1$r2" = 00 ] || cat "$BOX_ROOT/r1.out" "$BOX_ROOT/r2.out" | sed 's/^/#   /'
check_eq "one bridge with its address" "1" \
	"$(ip -o addr show dev "$BR2" 2>/dev/null | grep -c "inet $N4b.1/24")"
check "they reach each other" in_ct "$T-r1" ping -c1 -W2 "$N4b.3"
check "stop $T-r1" box stop --kill "$T-r1"
check "stop $T-r2" box stop --kill "$T-r2"

t_done
