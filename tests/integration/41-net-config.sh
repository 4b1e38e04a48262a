#!/bin/bash
# Network settings a user gets wrong, through the CLI: each is a config error
# with file:line and exit status 2, from `box config check` and from `box
# start` (which must then leave no veth behind); an address already used on
# the same bridge names the other container; type = host is warned about.
# box-test: also unprivileged
. "$(dirname "$0")/lib.sh"
CONF=$BOX_ROOT/etc/boxes
BR=br$T

run() {
	local o e
	o=$(mktemp) e=$(mktemp)
	"$@" >"$o" 2>"$e"
	rc=$?
	out=$(cat "$o") err=$(cat "$e")
	rm -f "$o" "$e"
}

# host-side names of every veth of this test's containers (none may exist)
no_host_veth() {
	local c name left=""
	for c in "$@"; do
		for name in $(box info "$c" 2>/dev/null | sed -n 's/.*host side \(vb[0-9a-f]*\).*/\1/p'); do
			ip link show "$name" >/dev/null 2>&1 && left="$left $name"
		done
	done
	[ -z "$left" ] || { echo "left:$left"; return 1; }
}

# bad NAME DESC WANT-REGEX (config on stdin): config check and start refuse it
bad() {
	local name=$1 desc=$2 want=$3
	cat >"$CONF/$name.conf"
	run box config check "$name"
	check_eq "$desc: config check exits 2" 2 "$rc"
	check_match "$desc: file:line and what" "$want" "$err"
	run box start "$name"
	check_eq "$desc: start exits 2" 2 "$rc"
	check_match "$desc: start says the same" "^(box: )?${want#^}" "$err"
	check "$desc: no veth left" no_host_veth "$name"
	check_fail "$desc: no bridge made" ip link show "$BR"
}

PHASE="bad network settings"
bad "$T-br16" "a bridge name of 16 bytes" "^$CONF/$T-br16.conf:3: network eth0: bridge: .*longer than 15 bytes" <<-EOF
	template = busybox.tar.gz
	network eth0 {
	  bridge  = br0123456789abcd
	  address = 10.77.0.10/24
	}
EOF
bad "$T-mac" "a bad MAC" "^$CONF/$T-mac.conf:4: network eth0: hwaddr: '02:00:0a:4d:00:zz' is not a MAC address" <<-EOF
	template = busybox.tar.gz
	network eth0 {
	  bridge  = $BR
	  hwaddr  = 02:00:0a:4d:00:zz
	}
EOF
bad "$T-mcast" "a multicast MAC" "^$CONF/$T-mcast.conf:4: network eth0: hwaddr: .*multicast" <<-EOF
	template = busybox.tar.gz
	network eth0 {
	  bridge  = $BR
	  hwaddr  = 01:00:5e:00:00:01
	}
EOF
bad "$T-mtu" "an MTU out of range" "^$CONF/$T-mtu.conf:4: network eth0: mtu: '70000' is out of range" <<-EOF
	template = busybox.tar.gz
	network eth0 {
	  bridge  = $BR
	  mtu     = 70000
	}
EOF
bad "$T-addr" "an address without prefix" "^$CONF/$T-addr.conf:4: network eth0: address: " <<-EOF
	template = busybox.tar.gz
	network eth0 {
	  bridge  = $BR
	  address = 10.77.0.300/24
	}
EOF
bad "$T-type" "an unknown type" "^$CONF/$T-type.conf:3: network eth0: type: " <<-EOF
	template = busybox.tar.gz
	network eth0 {
	  type = macvlan
	}
EOF
bad "$T-mix" "type host with another interface" "^$CONF/$T-mix.conf:[0-9]+: network .*host" <<-EOF
	template = busybox.tar.gz
	network eth0 {
	  type = host
	}
	network eth1 {
	  bridge = $BR
	}
EOF
bad "$T-ifname" "an interface name of 16 bytes" "^$CONF/$T-ifname.conf:2: .*longer than 15 bytes" <<-EOF
	template = busybox.tar.gz
	network eth0123456789abc {
	  bridge = $BR
	}
EOF
rm -f "$CONF"/$T-*.conf

PHASE="an address used twice on one bridge"
t_config "$T-one" <<-EOF
	template = busybox.tar.gz
	network eth0 {
	  bridge  = $BR
	  address = 10.77.0.10/24
	}
EOF
t_config "$T-two" <<-EOF
	template = busybox.tar.gz
	network eth0 {
	  bridge  = $BR
	  address = 10.77.0.10/24
	}
EOF
run box config check "$T-two"
check_eq "the second container is refused by config check" 2 "$rc"
check_match "the message names the other container" "$T-one" "$err"
check_match "and the line of the address" "$CONF/$T-two.conf:4:" "$err"
run box start "$T-two"
check_eq "start refuses it too" 2 "$rc"
check_match "naming the other container" "$T-one" "$err"
check "no veth left after the refused start" no_host_veth "$T-two"
# the same address on another bridge is fine
sed -i "s/bridge  = $BR/bridge  = ${BR}x/" "$CONF/$T-two.conf"
run box config check "$T-two"
check_eq "the same address on another bridge is fine" 0 "$rc"
rm -f "$CONF/$T-one.conf" "$CONF/$T-two.conf"

PHASE="type host"
t_config "$T-host" <<-EOF
	network eth0 {
	  type = host
	}
EOF
run box config check "$T-host"
check_eq "type host passes config check" 0 "$rc"
check_match "with a warning that it is the host's network" "host's network" "$err"

t_done
