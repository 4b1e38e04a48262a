# The network: (1) the network step alone, net_setup / net_teardown of one
# veth on a bridge with IPv4 + IPv6 + default route (build/tests/test-net
# --bench, in-process, no exec) against the same done with `ip` (the shell
# model of anchors/RESULTS.md: 6 execs); (2) a whole start of a busybox
# container with a veth on a bridge, boxes against LXC (bare config + veth,
# as anchors/bench-lxc.sh), and boxes with type = empty, so that the
# difference shows what the network costs inside a real start.
# Sourced by tools/bench (bench-lib.sh loaded, $TOP set).
NB_RUNS=${BENCH_RUNS:-10}
NB=$BENCH_TMP/net
NB_BR=brbench$$
NB_NS=nbench$$
mkdir -p "$NB"

nb_cleanup() {
	box stop --kill nbveth >/dev/null 2>&1
	box stop --kill nbempty >/dev/null 2>&1
	lxc-stop -P "$NB/lxc" -n nblxc -k >/dev/null 2>&1
	ip netns del "$NB_NS" 2>/dev/null
	ip link del vbbench$$ 2>/dev/null
	ip link del "$NB_BR" 2>/dev/null
}
trap nb_cleanup EXIT

# (1) the step alone
make -s -C "$TOP" build/tests/test-net >/dev/null 2>&1 || { echo "net: cannot build test-net"; exit 1; }
out=$("$TOP/build/tests/test-net" --bench "$NB_RUNS" 2>/dev/null) || { echo "net: test-net --bench failed"; exit 1; }
setup=$(echo "$out" | awk '{print $1}' | tr '\n' ' ')
teardown=$(echo "$out" | awk '{print $2}' | tr '\n' ' ')

ip link add "$NB_BR" type bridge && ip addr add 10.214.0.1/24 dev "$NB_BR" && ip link set "$NB_BR" up
ip_setup() {
	ip link add vbbench$$ type veth peer name eth0 netns "$NB_NS" &&
		ip link set vbbench$$ master "$NB_BR" up &&
		ip -n "$NB_NS" link set lo up &&
		ip -n "$NB_NS" link set eth0 up &&
		ip -n "$NB_NS" addr add 10.214.0.2/24 dev eth0 &&
		ip -n "$NB_NS" addr add fd00:214::2/64 dev eth0 nodad &&
		ip -n "$NB_NS" route add default via 10.214.0.1
}
a_setup="" a_teardown=""
for ((i = 0; i < NB_RUNS; i++)); do
	ip netns add "$NB_NS"
	a_setup="$a_setup $(bench_ms ip_setup)"
	a_teardown="$a_teardown $(bench_ms ip link del vbbench$$)"
	ip netns del "$NB_NS"
done
s1=$(bench_stats "$setup") s2=$(bench_stats "$a_setup")
printf '%-34s boxes  min %8s ms  median %8s ms\n' "network step: setup" ${s1}
printf '%-34s anchor min %8s ms  median %8s ms  (7 ip execs)\n' "" ${s2}
awk -v x="${s1#* }" -v y="${s2#* }" 'BEGIN { if (y > 0) printf "%-34s ratio boxes/anchor (median) %.2f\n", "", x / y }'
s1=$(bench_stats "$teardown") s2=$(bench_stats "$a_teardown")
printf '%-34s boxes  min %8s ms  median %8s ms\n' "network step: teardown (veth del)" ${s1}
printf '%-34s anchor min %8s ms  median %8s ms  (ip link del)\n' "" ${s2}

# (2) a whole start, boxes vs LXC, both with a veth on the same bridge
nb_rootfs() { # a busybox system-container rootfs, as anchors/mk-busybox-rootfs.sh
	local r=$1 p
	[ -x "$r/sbin/init" ] && return 0
	mkdir -p "$r"/{bin,sbin,etc/init.d,dev,proc,sys,run,tmp,root,var/log}
	cp /bin/busybox "$r/bin/busybox" || return 1
	for p in $(/bin/busybox --list-full); do
		mkdir -p "$r/$(dirname "$p")"
		[ -e "$r/$p" ] || ln -s /bin/busybox "$r/$p"
	done
	printf '::sysinit:/etc/init.d/rcS\n::shutdown:/bin/sync\n' >"$r/etc/inittab"
	printf '#!/bin/sh\n[ -e /proc/self ] || mount -t proc proc /proc\n' >"$r/etc/init.d/rcS"
	chmod 755 "$r/etc/init.d/rcS"
}
if ! command -v lxc-start >/dev/null || [ ! -x /bin/busybox ]; then
	echo "net: lxc or busybox-static missing: start comparison skipped"
	exit 0
fi
export BOX_ROOT=$NB/root
unset BOX_CONFIG_DIR BOX_STATE_DIR BOX_RUN_DIR BOX_LOG_DIR
bench_box_root "$BOX_ROOT"
for c in nbveth nbempty; do
	nb_rootfs "$BOX_ROOT/var/lib/boxes/$c/rootfs" || { echo "net: cannot build a rootfs"; exit 1; }
done
cat >"$BOX_ROOT/etc/boxes/nbveth.conf" <<-EOF
	network eth0 {
	  bridge  = $NB_BR
	  address = 10.214.0.3/24
	  gateway = 10.214.0.1
	}
EOF
cat >"$BOX_ROOT/etc/boxes/nbempty.conf" <<-EOF
	network eth0 {
	  type = empty
	}
EOF
mkdir -p "$NB/lxc/nblxc"
nb_rootfs "$NB/lxc/nblxc/rootfs"
cat >"$NB/lxc/nblxc/config" <<-EOF
	lxc.uts.name = nblxc
	lxc.rootfs.path = dir:$NB/lxc/nblxc/rootfs
	lxc.init.cmd = /sbin/init
	lxc.mount.auto = proc:mixed sys:ro
	lxc.autodev = 1
	lxc.pty.max = 16
	lxc.net.0.type = veth
	lxc.net.0.link = $NB_BR
	lxc.net.0.flags = up
	lxc.net.0.name = eth0
	lxc.net.0.ipv4.address = 10.214.0.4/24
	lxc.net.0.ipv4.gateway = 10.214.0.1
	lxc.log.level = ERROR
EOF
if ! box start nbveth >/dev/null 2>&1; then
	echo "net: box start does not work here yet: start comparison skipped"
	exit 0
fi
box stop --kill nbveth >/dev/null 2>&1
bench_pair "start, veth on a bridge" "$NB_RUNS" "box start nbveth" \
	"lxc-start -P $NB/lxc -n nblxc -d" true \
	"box stop --kill nbveth; lxc-stop -P $NB/lxc -n nblxc -k"
bench_pair "start: boxes veth vs boxes empty" "$NB_RUNS" "box start nbveth" "box start nbempty" true \
	"box stop --kill nbveth; box stop --kill nbempty"
bench_pair "stop --kill, veth on a bridge" "$NB_RUNS" "box stop --kill nbveth" \
	"lxc-stop -P $NB/lxc -n nblxc -k" \
	"box start nbveth; lxc-start -P $NB/lxc -n nblxc -d; sleep 0.2" true
