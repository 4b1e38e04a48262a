#!/bin/bash
# box apply: the config files are the truth. Ten busybox containers
# described by files: an apply from nothing creates them all and starts the
# autostart ones in start_order; then the files are edited (a limit, a host
# name, a second interface, an address, an MTU, a removed interface, a
# changed template, a removed file) and --dry-run lists exactly those
# actions and changes nothing; apply does the live ones (checked inside:
# ip addr, ip link, the cgroup file, the host name) and reports the restart
# one and the orphan; --restart --prune does them; a second apply has
# nothing to do. A failure in the middle (a bridge that cannot be made, a
# bad address) leaves that container as it was and the others applied. A
# stopped container an export holds is left alone, its lock named.
# box diff and box config show --running show the recorded running config.
# box-test: also unprivileged
. "$(dirname "$0")/lib.sh"
CONF=$BOX_ROOT/etc/boxes
BR=br$T
BR2=br${T}b
t_netdev "$BR"
t_netdev "$BR2"
# /24s of our own, from the pid, so that parallel runs do not meet
N4=$(t_subnet) || { fail "a subnet of our own (t_subnet)"; t_stop; }
IFS=. read -r _ A B <<<"$N4"
M4=$(t_subnet) || { fail "a second subnet (t_subnet)"; t_stop; }

in_ct() { box attach "$1" -- "${@:2}"; }
links_of() { in_ct "$1" ip link show | sed -n 's/^[0-9]*: \([^:@]*\).*/\1/p' | tr '\n' ' ' | sed 's/ $//'; }
mtu_of() { in_ct "$1" ip link show "${2:-eth0}" | sed -n 's/.* mtu \([0-9]*\).*/\1/p'; }
addrs_of() { in_ct "$1" ip -4 addr show "${2:-eth0}" | sed -n 's/.*inet \([0-9./]*\).*/\1/p' | tr '\n' ' ' | sed 's/ $//'; }
host_if() { box info "$1" | sed -n "s/.*Interface: *${2:-eth0} .*host side \(vb[0-9a-f]*\).*/\1/p"; }
pid_of() { box info "$1" | sed -n 's/^PID: *\([0-9]*\).*/\1/p'; }
state_of() { box ls | awk -v n="$1" '$1 == n {print $2}'; }
# the memory limit in the kernel's file on the host (v1 or v2)
mem_limit() {
	local d
	for d in /sys/fs/cgroup/boxes/$1 /sys/fs/cgroup/memory/boxes/$1; do
		[ -f "$d/memory.max" ] && { cat "$d/memory.max"; return; }
		[ -f "$d/memory.limit_in_bytes" ] && { cat "$d/memory.limit_in_bytes"; return; }
	done
}
run() {
	local o e
	o=$(mktemp) e=$(mktemp)
	"$@" >"$o" 2>"$e"
	rc=$?
	out=$(cat "$o") err=$(cat "$e")
	rm -f "$o" "$e"
}

PHASE="setup"
TPL=$(t_template busybox)
# a second name for the template: a changed template, without another build
ln -s "$BOX_ROOT/var/lib/boxes/templates/$TPL" "$BOX_ROOT/var/lib/boxes/templates/bb2.tar.gz"
cat >"$CONF/boxes.conf" <<-EOF
	bridge $BR {
	  address = $N4.1/24
	}
	bridge $BR2 {
	  address = $M4.1/24
	}
EOF
# cN ORDER AUTOSTART [EXTRA LINES]
mk() {
	t_config "$T-$1" <<-EOF
		template = $TPL
		autostart = $3
		start_order = $2
		stop_timeout = 10
		$4
	EOF
}
net() { printf 'network %s {\n  bridge = %s\n  address = %s\n%s}\n' "$1" "$2" "$3" "${4:-}"; }
mk c0 40 yes "$(net eth0 "$BR" "$N4.10/24")
$(net eth1 "$BR2" "$M4.10/24")"
mk c1 20 yes "$(net eth0 "$BR" "$N4.11/24")"
mk c2 50 yes ""
mk c3 10 yes "$(net eth0 "$BR" "$N4.13/24" "  gateway = $N4.1
")"
mk c4 60 yes "memory = 64M
hostname = $T-four
unprivileged = yes"
mk c5 30 yes "$(net eth0 "$BR" "$N4.15/24" "  mtu = 1400
")"
mk c6 70 yes ""
for c in c7 c8 c9; do mk $c 0 no ""; done
ALL="c0 c1 c2 c3 c4 c5 c6 c7 c8 c9"
AUTO_ORDER="$T-c3 $T-c1 $T-c5 $T-c0 $T-c2 $T-c4 $T-c6"

PHASE="apply from nothing: the plan"
run box apply --dry-run
check_eq "dry-run exits 0" 0 "$rc"
check_eq "... one create per container" 10 "$(echo "$out" | grep -c ': create: ')"
check_eq "... one start per autostart container, in start_order" "$AUTO_ORDER" \
	"$(echo "$out" | sed -n 's/: start: .*//p' | tr '\n' ' ' | sed 's/ $//')"
check_eq "... and nothing else" 17 "$(echo "$out" | wc -l)"
check_eq "... nothing was made" "" "$(ls "$BOX_ROOT/var/lib/boxes" | grep "^$T-")"
run box apply --dry-run --json
check "--json is a JSON array of 17 actions" python3 -c "import json,sys; a=json.loads(sys.argv[1]); assert len(a) == 17 and all(x['status'] == 'planned' for x in a), a" "$out"

PHASE="apply from nothing"
plan=$(box apply --dry-run)
run box apply
check_eq "apply exits 0" 0 "$rc"
check_eq "it printed the plan it did" "$plan" "$out"
for c in $ALL; do
	check "$T-$c has its rootfs" test -d "$BOX_ROOT/var/lib/boxes/$T-$c/rootfs"
done
for c in c0 c1 c2 c3 c4 c5 c6; do check_eq "$T-$c (autostart) runs" RUNNING "$(state_of "$T-$c")"; done
for c in c7 c8 c9; do check_eq "$T-$c stays stopped" STOPPED "$(state_of "$T-$c")"; done
# started in start_order: each one's state file was written after the one before
check_eq "their init.pid files were written in start_order" "$AUTO_ORDER" \
	"$(for c in $AUTO_ORDER; do echo "$(stat -c %.9Y "$BOX_ROOT/run/boxes/$c/init.pid") $c"; done | sort -n | awk '{print $2}' | tr '\n' ' ' | sed 's/ $//')"
run box apply
check_eq "a second apply: exit 0" 0 "$rc"
check_eq "... everything matches" "everything matches the config files already" "$out"
run box diff "$T-c3"
check_eq "box diff of an unchanged container: nothing, exit 0" "0:" "$rc:$out"
run box diff "$T-c7"
check_eq "box diff of a stopped container: exit 1" 1 "$rc"
check_match "... it says so" "not running" "$err"
check_match "config show --running: the recorded config" "address +=.*$N4.13/24" "$(box config show "$T-c3" --running)"
check_eq "c5's MTU before" 1400 "$(mtu_of "$T-c5")"
c2pid=$(pid_of "$T-c2")
c0eth1=$(host_if "$T-c0" eth1)
check "c0's eth1 has a host end" ip link show "$c0eth1"

PHASE="edit the files"
sed -i 's/^memory = 64M/memory = 96M/; s/^hostname = .*/hostname = '"$T"'-vier/' "$CONF/$T-c4.conf"
echo "nameserver = $N4.1" >>"$CONF/$T-c4.conf"
# the container's root makes its resolv.conf a FIFO: the rewrite from inside
# must neither block on it nor replace it
in_ct "$T-c4" sh -c 'rm -f /etc/resolv.conf && mkfifo /etc/resolv.conf'
echo "# mine" | in_ct "$T-c4" sh -c 'cat >>/etc/hosts'
net eth1 "$BR2" "$M4.11/24" >>"$CONF/$T-c1.conf"
sed -i "s|$N4.13/24|$N4.23/24|" "$CONF/$T-c3.conf"
sed -i 's/mtu = 1400/mtu = 1300/' "$CONF/$T-c5.conf"
sed -i '/^network eth1/,/^}/d' "$CONF/$T-c0.conf"
sed -i "s/^template = .*/template = bb2.tar.gz/" "$CONF/$T-c2.conf"
mv "$CONF/$T-c6.conf" "$BOX_ROOT/c6.conf.removed"
want="$T-c3: network eth0: address: {\"$N4.13/24\"} -> {\"$N4.23/24\"} (live)
$T-c1: network eth1: added (live)
$T-c5: network eth0: mtu: 1400 -> 1300 (live)
$T-c0: network eth1: removed (live)
$T-c2: template: $TPL -> bb2.tar.gz (needs a restart: box apply --restart)
$T-c4: hostname: $T-four -> $T-vier (live)
$T-c4: memory: 64M -> 96M (live)
$T-c4: nameserver: {} -> {$N4.1} (live)
$T-c6: orphan: runs, but its config file is gone (box apply --prune stops it)"

PHASE="dry-run of the edits"
run box apply --dry-run
check_eq "dry-run exits 0" 0 "$rc"
check_eq "it lists exactly the edits, in start_order" "$want" "$out"
check_eq "... and changed nothing: c5's MTU" 1400 "$(mtu_of "$T-c5")"
check_eq "... c1 has no eth1" "lo eth0" "$(links_of "$T-c1")"
check_eq "... c3 has its old address" "$N4.13/24" "$(addrs_of "$T-c3")"
check_eq "... c4's memory limit" $((64 << 20)) "$(mem_limit "$T-c4")"
run box diff "$T-c5"
check_match "box diff: key, file value, running value" "^network eth0: mtu +1300 +1400 +live" "$(echo "$out" | tail -1)"
run box diff "$T-c2"
check_match "box diff: a restart key" "^template +bb2.tar.gz +$TPL +restart" "$(echo "$out" | tail -1)"

PHASE="apply the edits"
run box apply
check_eq "apply exits 0" 0 "$rc"
check_eq "it prints the plan's lines" "$want" "$out"
check_eq "c1 got eth1, live" "lo eth0 eth1" "$(links_of "$T-c1")"
check_eq "... with its address" "$M4.11/24" "$(addrs_of "$T-c1" eth1)"
check "... which reaches its bridge" in_ct "$T-c1" ping -c 1 -W 2 "$M4.1"
check_eq "c3 has the new address only" "$N4.23/24" "$(addrs_of "$T-c3")"
check_match "... and its default route again" "default via $N4.1 dev eth0" "$(in_ct "$T-c3" ip route)"
check "... and reaches its bridge from it" in_ct "$T-c3" ping -c 1 -W 2 "$N4.1"
check_eq "c5's MTU inside" 1300 "$(mtu_of "$T-c5")"
check_eq "... and on its host end" 1300 "$(ip -o link show "$(host_if "$T-c5")" | sed -n 's/.* mtu \([0-9]*\).*/\1/p')"
check_eq "c0 lost eth1" "lo eth0" "$(links_of "$T-c0")"
check "... and its host end" test -z "$(ip -o link show "$c0eth1" 2>/dev/null)"
check_eq "c4's memory limit in the cgroup file" $((96 << 20)) "$(mem_limit "$T-c4")"
check_eq "c4's host name inside (an unprivileged container)" "$T-vier" "$(in_ct "$T-c4" hostname)"
check_match "... and in its /etc/hosts" "127.0.1.1[[:space:]]+$T-vier" "$(in_ct "$T-c4" cat /etc/hosts)"
check_match "... whose own lines stay" "# mine" "$(in_ct "$T-c4" cat /etc/hosts)"
check "its resolv.conf, a FIFO, was left alone" in_ct "$T-c4" test -p /etc/resolv.conf
check_eq "c2 still runs the same init (it needs a restart)" "$c2pid" "$(pid_of "$T-c2")"
check "the orphan c6 still runs (its init)" kill -0 "$(cat "$BOX_ROOT/run/boxes/$T-c6/init.pid")"
check_match "the record follows the live changes" "mtu += 1300" "$(box config show "$T-c5" --running)"
run box apply
check_eq "apply again: only what waits for --restart / --prune" "$T-c2: template: $TPL -> bb2.tar.gz (needs a restart: box apply --restart)
$T-c6: orphan: runs, but its config file is gone (box apply --prune stops it)" "$out"

PHASE="--restart --prune"
run box apply --restart --prune
check_eq "apply --restart --prune exits 0" 0 "$rc"
check_eq "it restarts c2 and stops the orphan" "$T-c2: template: $TPL -> bb2.tar.gz (restart)
$T-c6: stop: runs, but its config file is gone (--prune)" "$out"
check_eq "c2 runs again" RUNNING "$(state_of "$T-c2")"
check "... with a new init" test "$c2pid" != "$(pid_of "$T-c2")"
check_match "... and the new template in its record" "template += bb2.tar.gz" "$(box config show "$T-c2" --running)"
# (the state file says STOPPED while its supervisor's tail runs, then goes)
f=$BOX_ROOT/run/boxes/$T-c6/state
check "c6 is stopped" sh -c "test ! -e $f || grep -qx state=STOPPED $f"
check "... its rootfs kept" test -d "$BOX_ROOT/var/lib/boxes/$T-c6/rootfs"
run box apply
check_eq "then apply has nothing to do: exit 0" 0 "$rc"
check_eq "... everything matches" "everything matches the config files already" "$out"
run box apply
check_eq "... twice" "0:everything matches the config files already" "$rc:$out"

PHASE="a failure in the middle"
# a bridge that cannot be made: an interface of that name that is no bridge
ip link add "br${T}v" type veth peer name "br${T}w"
t_netdev "br${T}v"
cp "$CONF/$T-c1.conf" "$BOX_ROOT/c1.conf.good"
sed -i 's/^stop_timeout = 10/stop_timeout = 10\nmemory = 80M/' "$CONF/$T-c1.conf"
sed -i "s|$M4.11/24|$M4.21/24|" "$CONF/$T-c1.conf"
net eth2 "br${T}v" "$M4.31/24" >>"$CONF/$T-c1.conf"
sed -i 's/mtu = 1300/mtu = 1280/' "$CONF/$T-c5.conf"
# a bad address in a stopped container's file
printf 'network eth0 {\n  bridge = %s\n  address = 10.0.0.300/24\n}\n' "$BR" >>"$CONF/$T-c8.conf"
c1mem=$(mem_limit "$T-c1")
run box apply
check_eq "apply with two bad containers exits 1" 1 "$rc"
check_match "the bad address: file:line" "$CONF/$T-c8.conf:[0-9]+: network eth0: address" "$err"
check_match "the bridge that cannot be made: named" "$T-c1.*br${T}v.*not a bridge" "$err"
check_match "c1's lines say not done" "$T-c1: network eth2: added \(live\) -- not done" "$out"
check_eq "c1 is as it was: its links" "lo eth0 eth1" "$(links_of "$T-c1")"
check_eq "... its eth1 address" "$M4.11/24" "$(addrs_of "$T-c1" eth1)"
check_eq "... its memory limit" "$c1mem" "$(mem_limit "$T-c1")"
check_match "... its record" "$M4.11/24" "$(box config show "$T-c1" --running)"
check_eq "c5 was applied all the same" 1280 "$(mtu_of "$T-c5")"
check_eq "c8 stays stopped" STOPPED "$(state_of "$T-c8")"
cp "$BOX_ROOT/c1.conf.good" "$CONF/$T-c1.conf"
sed -i '/^network eth0/,/^}/d' "$CONF/$T-c8.conf"
run box apply
check_eq "the files fixed: apply has nothing to do" "0:everything matches the config files already" "$rc:$out"

PHASE="stop keys: recorded, read at the stop"
# init ignores a signal it has no handler for: the stop then waits
# stop_timeout (1 s) and kills; the supervisor's log names the signal sent
sed -i 's/^stop_timeout = 10/stop_timeout = 1\nhalt_signal = SIGWINCH/' "$CONF/$T-c3.conf"
run box apply
check_eq "stop_timeout and halt_signal of a running container: only recorded" "$T-c3: halt_signal: auto -> SIGWINCH (recorded)
$T-c3: stop_timeout: 10 -> 1 (recorded)" "$out"
run box stop "$T-c3"
check_eq "its stop works" 0 "$rc"
check_match "... with the signal the file says now" "sending SIGWINCH to init" "$(box log "$T-c3" | tail -5)"

PHASE="a stopped container an export holds"
# its lock is the export's: apply would start it (autostart), but leaves it
# alone saying what holds it; the next apply starts it
W=$BOX_ROOT/work
mkdir -p "$W"
. "$(dirname "$0")/fault-lib.sh"
fault_shim_build
sed -i 's/^autostart = no/autostart = yes/' "$CONF/$T-c9.conf"
if at linkat "c9.tar" box export "$T-c9" -o "$W/c9.tar" --compress none; then
	run box apply
	check_match "apply leaves it alone, saying the export holds it" \
		"^$T-c9: locked \(export\): left alone this time \(apply again once it is done\)" "$out"
	check_eq "... it stays STOPPED" STOPPED "$(state_of "$T-c9")"
	kill -CONT "$STOPPED"
	wait "$BG"
	check_eq "the export ends well" 0 "$?"
	run box apply
	check_match "then apply starts it" "^$T-c9: start: " "$out"
	check_eq "... RUNNING" RUNNING "$(state_of "$T-c9")"
else
	fail "the export stopped at its final link" "$(cat "$OUT")"
fi
sed -i 's/^autostart = yes/autostart = no/' "$CONF/$T-c9.conf"
box stop --kill "$T-c9" >/dev/null 2>&1

PHASE="bad usage"
run box apply --frob
check_eq "apply --frob exits 2" 2 "$rc"
run box diff
check_eq "diff without a name exits 2" 2 "$rc"

PHASE="stop"
for c in $ALL; do box stop --kill "$T-$c" >/dev/null 2>&1; done
check_eq "no host end of theirs is left" "" "$(ip -o link show | grep "boxes:$T-")"
t_done
