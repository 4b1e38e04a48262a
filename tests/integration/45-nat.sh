#!/bin/bash
# Managed bridges (issue 18): a bridge with nat, dhcp and dns = yes, and
# forwards. An "upstream" network namespace with a web server stands for
# the internet, reached from the host through a veth pair of its own (the
# host's default route is left alone: the upstream subnet is on the link).
#   - a container on the nat bridge reaches the upstream server, which sees
#     the host's address (masquerading), not the container's;
#   - a container with address = dhcp (busybox udhcpc) gets an address from
#     the range, shown by box ls and info, and keeps it across a restart;
#   - containers resolve each other by name (NAME and NAME.box);
#   - forward tcp/8080 { to = 80 } reaches the container's busybox httpd from
#     the upstream netns and from the host itself; box ls/info show it;
#   - stopping the container removes its rules; a killed supervisor's are
#     removed by the next command; with no container left dnsmasq stops, the
#     boxes table is gone and IP forwarding is as it was;
#   - the user's own nftables table is untouched throughout;
#   - bad input: a port forwarded twice, a dhcp_range outside the subnet,
#     address = dhcp on a bridge without dhcp = yes: one clear error each.
#   - dnsmasq killed is started again by its daemon; a dnsmasq whose daemon was
#     killed is ended by the next start;
#   - box is not linked with libnftables, and no supervisor maps it.
# All traffic stays in the test's bridge, veths and namespace.
# box-test: also unprivileged
. "$(dirname "$0")/lib.sh"
CONF=$BOX_ROOT/etc/boxes
BR=br$T
UP=$T-up
t_netdev "$BR"
t_netdev "$T-h"
t_netns "$UP"
N4=$(t_subnet) || { fail "a subnet of our own (t_subnet)"; t_stop; }
IFS=. read -r _ A B <<<"$N4"
U4=$(t_subnet) || { fail "a second subnet (t_subnet)"; t_stop; }
N6=fd00:b0c8:$(printf %x $A):$(printf %x $B)

run() {
	local o e
	o=$(mktemp) e=$(mktemp)
	"$@" >"$o" 2>"$e"
	rc=$?
	out=$(cat "$o") err=$(cat "$e")
	rm -f "$o" "$e"
}
in_ct() { box attach "$1" -- "${@:2}"; }
# GET / of http://HOST:PORT, the body's last line (busybox nc: its wget
# crashes when static)
get() { printf 'GET / HTTP/1.0\r\n\r\n' | busybox nc -w 5 "$1" "$2" | tail -n 1; }
ct_get() { in_ct "$1" sh -c "printf 'GET / HTTP/1.0\r\n\r\n' | nc -w 5 $2 $3 | tail -n 1"; }
wait_for() {
	local i
	for ((i = 0; i < 150; i++)); do "$@" >/dev/null 2>&1 && return 0; sleep 0.1; done
	return 1
}
our_chains() { nft list table inet boxes 2>/dev/null | sed -n 's/^[[:space:]]*chain \([^ ]*\) {.*/\1/p' | grep -E "^(nat-$BR|fwd-$T-)" | sort | tr '\n' ' '; }
table_gone() { ! nft list table inet boxes >/dev/null 2>&1; }
# every table but boxes, as nft lists it
others() { nft list ruleset | awk '/^table inet boxes \{/ {skip = 1} !skip {print} skip && /^\}/ {skip = 0}'; }
lease_of() { box ls | awk -v n="$1" '$1 == n {print $4}'; }
addr_in() { in_ct "$1" ip -o -4 addr show dev eth0 | sed -n 's/.* inet \([0-9.]*\)\/.*/\1/p'; }

PHASE="the upstream and the user's own table"
FWD4=$(cat /proc/sys/net/ipv4/ip_forward) FWD6=$(cat /proc/sys/net/ipv6/conf/all/forwarding)
had_table=no
nft list table inet boxes >/dev/null 2>&1 && had_table=yes
nft -f - <<-EOF
	table inet $T-user {
	  chain input { type filter hook input priority 10; policy accept; tcp dport 9 accept; }
	}
EOF
check "a user table of the test's own" nft list table inet "$T-user"
others >"$BOX_ROOT/ruleset.before"
ip netns add "$UP"
ip link add "$T-h" type veth peer name "$T-u" netns "$UP"
ip addr add "$U4.1/24" dev "$T-h"
ip link set "$T-h" up
ip netns exec "$UP" ip addr add "$U4.2/24" dev "$T-u"
ip netns exec "$UP" ip link set "$T-u" up
ip netns exec "$UP" ip link set lo up
# the upstream web server answers with the address it sees
ip netns exec "$UP" python3 -c '
import http.server
class H(http.server.BaseHTTPRequestHandler):
    def do_GET(self):
        b = self.client_address[0].encode()
        self.send_response(200); self.send_header("Content-Length", str(len(b))); self.end_headers(); self.wfile.write(b)
    def log_message(self, *a): pass
http.server.HTTPServer(("0.0.0.0", 8000), H).serve_forever()' &
t_pid $!
check "the upstream server answers the host" wait_for sh -c "printf 'GET / HTTP/1.0\r\n\r\n' | busybox nc -w 2 $U4.2 8000 | grep -q 200"

cat >"$CONF/boxes.conf" <<-EOF
	bridge $BR {
	  address = {$N4.1/24, $N6::1/64}
	  nat = yes
	  dhcp = yes
	  dhcp_range = $N4.100-$N4.149
	  dns = yes
	}
EOF
TPL=$(t_template busybox)
t_config "$T-a" <<-EOF
	template = $TPL
	network eth0 {
	  bridge  = $BR
	  address = $N4.10/24
	  gateway = $N4.1
	}
	forward tcp/8080 {
	  to = 80
	}
EOF
t_config "$T-d" <<-EOF
	template = $TPL
	network eth0 {
	  bridge  = $BR
	  address = dhcp
	}
EOF

PHASE="config check"
run box config check
check_eq "box config check takes the configs" 0 "$rc"
run box config show boxes
check_match "config show: the range" "dhcp_range += $N4.100-$N4.149" "$out"

PHASE="a container on the nat bridge"
run box start "$T-a"
check_eq "start $T-a" 0 "$rc"
[ "$rc" = 0 ] || echo "# $err"
check_match "its forwards chains and the bridge's nat chain" "fwd-$T-a-out fwd-$T-a-post fwd-$T-a-pre nat-$BR" "$(our_chains)"
check_eq "IPv4 forwarding on" 1 "$(cat /proc/sys/net/ipv4/ip_forward)"
run ct_get "$T-a" "$U4.2" 8000
check_eq "the upstream server sees the host's address" "$U4.1" "$out"
[ "$rc" = 0 ] || echo "# $err"
# with forwarding off before, the guard drops what the host would forward
# between interfaces that are no nat bridge's; frames bridged between two
# ports of another bridge pass the forward hook too where br_netfilter is
# loaded (bridge-nf-call-iptables = 1): forwarding off never stopped those
PB=pb$T
t_netdev "$PB"
t_netdev "$T-px"
t_netdev "$T-py"
t_netns "$T-x"
t_netns "$T-y"
ip link add "$PB" type bridge && ip link set "$PB" up
for n in x y; do
	ip netns add "$T-$n"
	ip link add "$T-p$n" type veth peer name eth0 netns "$T-$n"
	ip link set "$T-p$n" master "$PB" up
	ip -n "$T-$n" link set eth0 up
done
ip -n "$T-x" addr add 192.168.251.1/24 dev eth0
ip -n "$T-y" addr add 192.168.251.2/24 dev eth0
echo "# forwarding before: $FWD4; bridge-nf-call-iptables: $(cat /proc/sys/net/bridge/bridge-nf-call-iptables 2>/dev/null || echo none)"
check "two namespaces on a plain bridge still reach each other" \
	ip netns exec "$T-x" ping -c 1 -W 3 192.168.251.2
ip link del "$PB"
run box bridge ls
check_match "box bridge ls: dnsmasq runs, $T-a on it" "$BR +yes +yes +yes +[0-9]+ +$T-a" "$out"

PHASE="address = dhcp"
run box start "$T-d"
check_eq "start $T-d" 0 "$rc"
check "$T-d gets a lease" wait_for sh -c "box ls | awk '\$1 == \"$T-d\" {print \$4}' | grep -q '^$N4\.1[0-4][0-9]$'"
D1=$(lease_of "$T-d")
check_match "the lease is in the range" "^$N4\.1[0-4][0-9]$" "$D1"
check "the container has it" wait_for sh -c "box attach $T-d -- ip -o -4 addr show dev eth0 | grep -q ' $D1/24'"
run box info "$T-d"
check_match "box info shows it" "dhcp \($D1\)" "$out"
run ct_get "$T-d" "$U4.2" 8000
check_eq "the dhcp container reaches the upstream too (gateway from DHCP)" "$U4.1" "$out"

PHASE="names"
run in_ct "$T-a" nslookup "$T-d"
check_match "$T-a resolves $T-d" "Address:? *$D1" "$out"
run in_ct "$T-d" nslookup "$T-a.box"
check_match "$T-d resolves $T-a.box" "Address:? *$N4.10" "$out"
run in_ct "$T-a" cat /etc/resolv.conf
check_match "$T-a asks the bridge's dnsmasq" "nameserver $N4.1" "$out"
# that nameserver is the bridge's default, not a change: box apply and
# box diff compare the file's effective config with what runs
check_eq "box apply --dry-run: nothing to do" "everything matches the config files already" \
	"$(box apply --dry-run "$T-a" 2>&1)"
check_eq "box diff: no difference" "" "$(box diff "$T-a" 2>&1)"

PHASE="a network given live by box apply"
# box apply puts a running container on the bridge: dnsmasq learns its name
# (as a start would have it), and forgets it when the network goes again
t_config "$T-l" <<-EOF
	template = $TPL
EOF
run box start "$T-l"
check_eq "start $T-l (no network section)" 0 "$rc"
t_config "$T-l" <<-EOF
	template = $TPL
	network eth0 {
	  bridge  = $BR
	  address = $N4.30/24
	}
EOF
run box apply "$T-l"
check_eq "box apply gives it eth0" 0 "$rc"
[ "$rc" = 0 ] || echo "# $out $err"
run in_ct "$T-a" nslookup "$T-l"
check_match "$T-a resolves $T-l, added live" "Address:? *$N4.30" "$out"
t_config "$T-l" <<-EOF
	template = $TPL
EOF
run box apply "$T-l"
check_eq "box apply takes eth0 away" 0 "$rc"
run in_ct "$T-a" nslookup "$T-l"
check_fail "... and dnsmasq forgets its name" grep -q "$N4.30" <<<"$out"
box stop --kill "$T-l" >/dev/null 2>&1

PHASE="dnsmasq dies"
P1=$(cat "$BOX_ROOT/run/boxes/bridges.d/$BR/dnsmasq.pid")
kill -9 "$P1"
restarted() { local p; p=$(cat "$BOX_ROOT/run/boxes/bridges.d/$BR/dnsmasq.pid" 2>/dev/null) && [ "$p" != "$P1" ] && kill -0 "$p"; }
check "its daemon starts it again" wait_for restarted
run in_ct "$T-a" nslookup "$T-d"
check_match "names resolve again" "Address:? *$D1" "$out"

PHASE="libnftables only where needed"
t_config "$T-p" <<-EOF
	template = $TPL
EOF
run box start "$T-p"
check_eq "start $T-p (no network section)" 0 "$rc"
maps_nft() { grep -c libnftables "/proc/$(cat "$BOX_ROOT/run/boxes/$1/supervisor.pid")/maps"; }
check_eq "its supervisor has not loaded libnftables" 0 "$(maps_nft "$T-p")"
check_eq "nor has $T-a's (its rules are made by short-lived children)" 0 "$(maps_nft "$T-a")"
check_eq "box is not linked with it" 0 "$(ldd "$BUILD/box" | grep -c libnftables)"
box stop --kill "$T-p" >/dev/null 2>&1

PHASE="forwards"
mkdir -p "$BOX_ROOT/var/lib/boxes/$T-a/rootfs/www"
echo "hello-$T" >"$BOX_ROOT/var/lib/boxes/$T-a/rootfs/www/index.html"
check "httpd in $T-a" in_ct "$T-a" httpd -p 80 -h /www
run ip netns exec "$UP" bash -c "$(declare -f get); get $U4.1 8080"
check_eq "the forward from the upstream netns" "hello-$T" "$out"
run get "$U4.1" 8080
check_eq "the forward from the host itself (hairpin)" "hello-$T" "$out"
run ct_get "$T-d" "$N4.1" 8080
check_eq "the forward from a neighbour on the bridge (hairpin)" "hello-$T" "$out"
run box ls
check_match "box ls shows the forward" "$T-a .* 8080/tcp->80" "$out"
run box info "$T-a"
check_match "box info shows the forward" "Forward: +tcp/8080 \*:8080 -> $N4.10:80" "$out"

PHASE="bad input"
t_config "$T-x" <<-EOF
	template = $TPL
	network eth0 {
	  bridge  = $BR
	  address = $N4.11/24
	}
	forward tcp/8080 {
	  to = 80
	}
EOF
run box start "$T-x"
check_eq "a host port forwarded twice: refused" 2 "$rc"
check_match "... naming both files and lines" "$T-x.conf:6: forward tcp/8080: container $T-a forwards that host port already \(.*$T-a.conf:7" "$err"
run box config check "$T-x"
check_eq "config check says so too" 2 "$rc"
rm -f "$CONF/$T-x.conf"
mkdir -p "$BOX_ROOT/bad"
cat >"$BOX_ROOT/bad/boxes.conf" <<-EOF
	bridge $BR {
	  address = $N4.1/24
	  dhcp = yes
	  dhcp_range = 10.1.2.3-10.1.2.9
	}
EOF
run env BOX_CONFIG_DIR="$BOX_ROOT/bad" box config check
check_eq "a dhcp_range outside the subnet: refused" 2 "$rc"
check_match "... with file:line" "boxes.conf:4: bridge $BR: dhcp_range: 10.1.2.3-10.1.2.9 is not inside the bridge's IPv4 subnet $N4.1/24" "$err$out"
cat >"$BOX_ROOT/bad/boxes.conf" <<-EOF
	bridge $BR {
	  address = $N4.1/24
	}
EOF
cp "$CONF/$T-d.conf" "$BOX_ROOT/bad/"
run env BOX_CONFIG_DIR="$BOX_ROOT/bad" box config check "$T-d"
check_eq "address = dhcp on a bridge without dhcp = yes: refused" 2 "$rc"
check_match "... with file:line" "$T-d.conf:4: network eth0: address: dhcp, but bridge $BR has no DHCP server" "$err$out"

PHASE="restarts"
run box restart --kill "$T-d"
check_eq "restart $T-d" 0 "$rc"
check "$T-d has its address again" wait_for sh -c "box attach $T-d -- ip -o -4 addr show dev eth0 | grep -q ' $D1/24'"
check_eq "the same lease after the restart" "$D1" "$(lease_of "$T-d")"

PHASE="stop and crash"
run box stop --kill "$T-a"
check_eq "stop $T-a" 0 "$rc"
check_eq "its forward chains are gone, the bridge's stays" "nat-$BR " "$(our_chains)"
run ip netns exec "$UP" bash -c "$(declare -f get); get $U4.1 8080"
check_fail "the forward no longer answers" test "$out" = "hello-$T"
run box start "$T-a"
check_eq "start $T-a again" 0 "$rc"
kill -9 "$(cat "$BOX_ROOT/run/boxes/$T-a/supervisor.pid")"
sleep 0.2
box ls >/dev/null 2>&1
check_eq "a killed supervisor's chains are removed by the next command" "nat-$BR " "$(our_chains)"
run box stop --kill "$T-d"
check_eq "stop $T-d" 0 "$rc"
check_eq "no chain of ours is left" "" "$(our_chains)"
check_fail "dnsmasq is stopped" pgrep -f "conf-file=$BOX_ROOT/run/boxes/bridges.d/$BR/dnsmasq.conf"
if [ "$had_table" = no ]; then
	check "the boxes table is gone" table_gone
else
	skip "the boxes table is gone" "another installation had it before the test"
fi
check_eq "IPv4 forwarding as it was" "$FWD4" "$(cat /proc/sys/net/ipv4/ip_forward)"
check_eq "IPv6 forwarding as it was" "$FWD6" "$(cat /proc/sys/net/ipv6/conf/all/forwarding)"

PHASE="box bridge start/stop"
run box bridge start "$BR"
check_eq "box bridge start" 0 "$rc"
check_eq "its nat chain" "nat-$BR " "$(our_chains)"
check "its dnsmasq" pgrep -f "conf-file=$BOX_ROOT/run/boxes/bridges.d/$BR/dnsmasq.conf"
O1=$(cat "$BOX_ROOT/run/boxes/bridges.d/$BR/dnsmasq.pid")
kill -9 "$(cat "$BOX_ROOT/run/boxes/bridges.d/$BR/daemon.pid")"
sleep 0.2
run box bridge start "$BR"
check_eq "its daemon killed, the dnsmasq it left behind: the next start works" 0 "$rc"
[ "$rc" = 0 ] || echo "# $err"
# (ended: a zombie at most, its parent now being pid 1, which reaps when it will)
check_fail "... having ended the orphan" grep -q dnsmasq "/proc/$O1/cmdline"
check "... and started a new one" pgrep -f "conf-file=$BOX_ROOT/run/boxes/bridges.d/$BR/dnsmasq.conf"
run box bridge stop "$BR"
check_eq "box bridge stop" 0 "$rc"
check_fail "dnsmasq stopped" pgrep -f "conf-file=$BOX_ROOT/run/boxes/bridges.d/$BR/dnsmasq.conf"
check_eq "no chain left" "" "$(our_chains)"

PHASE="the user's table"
others >"$BOX_ROOT/ruleset.after"
check "every other table as it was (diff)" diff "$BOX_ROOT/ruleset.before" "$BOX_ROOT/ruleset.after"
nft delete table inet "$T-user"
t_done
