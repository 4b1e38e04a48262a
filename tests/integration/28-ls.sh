#!/bin/bash
# box ls: every column and JSON field from the configs and the runtime state,
# through the brief cache (<run>/.config-brief, config/brief.h) as without
# it: a config changed in place, a broken one, a torn cache, a supervisor
# killed with -9; a stopped container an export holds (LOCK), its holder
# killed with -9, a start in progress.
# box-test: also unprivileged
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/runtime-lib.sh"

A=$T-a B=$T-b C=$T-c
BR=${T}lb
CACHE=$BOX_ROOT/run/boxes/.config-brief
# A: fixed address, forwards, autostart; B: DHCP with a lease; C: plain, runs
t_config "$A" <<CONF
$(rt_rootfs_line)
autostart = yes
network eth0 {
  bridge = $BR
  address = {10.251.7.2/24, fd00:7::2/64}
}
forward tcp/18080 { to = 80 }
forward udp/15353 {
  to = 53
  listen = 192.0.2.7
}
CONF
t_config "$B" <<CONF
$(rt_rootfs_line)
network eth0 {
  bridge = $BR
  address = dhcp
  hwaddr = 02:00:00:aa:bb:01
}
CONF
rt_config "$C"
mkdir -p "$BOX_ROOT/var/lib/boxes/bridges.d/$BR"
echo "9999999999 02:00:00:aa:bb:01 10.251.7.99 $B *" >"$BOX_ROOT/var/lib/boxes/bridges.d/$BR/leases"

PHASE="columns"
check "box start $C" box start "$C"
ipid=$(cat "$BOX_ROOT/run/boxes/$C/init.pid")
ls_lines() { box ls | awk -v t="$T-" 'index($1, t) == 1 {print $1, $2, $3, $4, $5, $6, $7}'; }
want="$A STOPPED - 10.251.7.2 yes 18080/tcp->80,15353/udp->53@192.0.2.7 -
$B STOPPED - 10.251.7.99 no - -
$C RUNNING $ipid - no - -"
check_eq "ls: every column" "$want" "$(ls_lines)"
json() {
	box ls --json | python3 -c '
import json, sys
for x in json.load(sys.stdin):
    if x["name"].startswith(sys.argv[1]):
        print(x["name"], x["state"], x["pid"], x["ipv4"], x["autostart"], x["forwards"], x["lock"])' "$T-"
}
want_json="$A STOPPED 0 10.251.7.2 True 18080/tcp->80,15353/udp->53@192.0.2.7 None
$B STOPPED 0 10.251.7.99 False  None
$C RUNNING $ipid None False  None"
check_eq "ls --json: every field" "$want_json" "$(json)"

PHASE="from the brief cache"
# a config is remembered once its ctime is over a second old (racily clean)
sleep 1.1
# (from no cache, so that this ls saves one: under load the ls calls above
# may already have found every config old enough and saved them all)
rm -f "$CACHE"
: >"$CACHE.tmp.999999" # a writer killed between its create and its rename
box ls >/dev/null
check_match "ls wrote the brief of each config" "c $A .*c $B .*c $C " "$(tr '\n' ' ' <"$CACHE")"
check "... and swept a dead writer's temporary" test ! -e "$CACHE.tmp.999999"
check_eq "ls from the brief: the same columns" "$want" "$(ls_lines)"
check_eq "ls --json from the brief: the same fields" "$want_json" "$(json)"
# the brief is what ls reads while the file is unchanged: a forged one shows
cp "$CACHE" "$BOX_ROOT/brief.good"
sed -i "/^c $A /{n;s/^o 1 /o 0 /}" "$CACHE"
check_match "ls trusts the brief of an unchanged file" "^$A +STOPPED +- +10.251.7.2 +no " "$(box ls)"
# a change in place (same inode, same size) within the second: seen at once
ino=$(stat -c %i "$BOX_ROOT/etc/boxes/$A.conf")
new=$(sed 's/^autostart = yes$/autostart = 1  /; s/10\.251\.7\.2\//10.251.7.3\//' "$BOX_ROOT/etc/boxes/$A.conf")
printf '%s\n' "$new" >"$BOX_ROOT/etc/boxes/$A.conf"
check_eq "(the same inode)" "$ino" "$(stat -c %i "$BOX_ROOT/etc/boxes/$A.conf")"
check_match "a config changed in place is read again" "^$A +STOPPED +- +10.251.7.3 +yes " "$(box ls)"
box ls >/dev/null
check_match "and read again right after (too fresh to remember)" "^$A +STOPPED +- +10.251.7.3 +yes " "$(box ls)"
# the lease is read live, never remembered
echo "9999999999 02:00:00:aa:bb:01 10.251.7.98 $B *" >"$BOX_ROOT/var/lib/boxes/bridges.d/$BR/leases"
check_match "a new DHCP lease shows at once" "^$B +STOPPED +- +10.251.7.98 " "$(box ls)"

PHASE="a torn or foreign cache"
for junk in "" "boxes-config-brief 1 other-build" "$(head -c 200 "$BOX_ROOT/brief.good")"; do
	printf '%s' "$junk" >"$CACHE"
	check_match "ls with a bad cache (${#junk} bytes) lists right" "^$B +STOPPED +- +10.251.7.98 +no" "$(box ls)"
done
cp "$BOX_ROOT/brief.good" "$CACHE"

PHASE="a broken config"
sleep 1.1
box ls >/dev/null
# the cross-container checks read the briefs too: the conflict names the
# other's file and line as a parse would
t_config "$T-d" <<CONF
$(rt_rootfs_line)
network eth0 {
  bridge = $BR
  address = 10.251.7.3/24
}
CONF
out=$(box config check "$T-d" 2>&1)
check_match "an address another's brief holds is refused, with its file:line" \
	"already used by container $A on bridge $BR \($BOX_ROOT/etc/boxes/$A.conf:5;" "$out"
rm -f "$BOX_ROOT/etc/boxes/$T-d.conf"
echo "memory = 12X" >>"$BOX_ROOT/etc/boxes/$B.conf"
out=$(box ls 2>&1); rc=$?
check_eq "a broken config: ls exits 1" 1 "$rc"
check_match "its error names file:line, though its brief was cached" "$B.conf:[0-9]+: memory" "$out"
check_match "the others are listed" "^$C +RUNNING" "$out"
sed -i '/^memory = 12X$/d' "$BOX_ROOT/etc/boxes/$B.conf"

PHASE="a killed supervisor"
spid=$(cat "$BOX_ROOT/run/boxes/$C/supervisor.pid")
kill -9 "$spid"
rt_wait_for 3 rt_dead "$spid"
check_match "ls: STOPPED after kill -9 of the supervisor" "^$C +STOPPED +- " "$(box ls 2>/dev/null)"
check_match "ls --json: STOPPED, pid 0" "^$C STOPPED 0 " "$(json | grep "^$C ")"
rt_check_gone "$C" "$ipid" "" "after kill -9 of the supervisor"
check "it starts again" box start "$C"
check_match "and is listed RUNNING" "^$C +RUNNING +$(cat "$BOX_ROOT/run/boxes/$C/init.pid") " "$(box ls)"

PHASE="a stop with more than its own files in the run folder"
# a `box apply` killed between its write and its rename; something in the
# notify folder (an older box bound it into the container whole)
R=$BOX_ROOT/run/boxes/$C
echo half >"$R/config.tmp.99999"
mkdir -p "$R/notify/deep" && ln -s / "$R/notify/deep/up" && echo x >"$R/notify/extra"
# the stop is answered before the supervisor's tail removes the folder
sp=$(cat "$R/supervisor.pid")
check "stop --kill" box stop --kill "$C"
rt_wait_for 60 rt_dead "$sp"
check "the run folder is gone, temporaries and all" test ! -e "$R"
check "... without following a symlink out" test -d /proc/1
check_match "ls: STOPPED after the stop" "^$C +STOPPED +- " "$(box ls)"
check "it starts again" box start "$C"
sp=$(cat "$R/supervisor.pid")
check "stop --kill" box stop --kill "$C"
rt_wait_for 60 rt_dead "$sp"
check "the run folder is gone" test ! -e "$R"

PHASE="a stopped container a command holds"
# an export holds a stopped container's lock for its whole run: stopped
# by the fault shim at its final rename, it is listed STOPPED with the
# command as its LOCK (as pct list shows a backup's lock), not STARTING
W=$BOX_ROOT/work
mkdir -p "$W"
. "$(dirname "$0")/fault-lib.sh"
fault_shim_build
lock_of() { box ls --json | python3 -c '
import json, sys
print(*[(x["state"], x["lock"]) for x in json.load(sys.stdin) if x["name"] == sys.argv[1]])' "$1"; }
if at linkat "held.tar" box export "$C" -o "$W/held.tar" --compress none; then
	check_match "ls: STOPPED, LOCK export, while an export holds it" "^$C +STOPPED +- +- +no +- +export\$" \
		"$(box ls 2>&1)"
	check_eq "ls --json: lock export" "('STOPPED', 'export')" "$(lock_of "$C")"
	out=$(box info "$C" 2>&1)
	check_match "info: State STOPPED" "State: +STOPPED" "$out"
	check_match "info: Lock: export, with its pid" "Lock: +export \(pid $STOPPED\)" "$out"
	check_match "info --json: lock export" '"state": "STOPPED",.*"lock": "export",' \
		"$(box info "$C" --json 2>&1 | tr -d '\n')"
	out=$(box start "$C" 2>&1)
	check_eq "a start meanwhile is refused" 1 "$?"
	check_match "... naming what holds it" "$C is locked \(export, by pid $STOPPED\): try again" "$out"
	# (a stop took it for a start on its way, and waited 30 s for its socket)
	out=$(box stop "$C" 2>&1)
	check_eq "a stop meanwhile: not running, at once" "1 box: $C is not running" "$? $out"
	kill9
	check_match "(the killed export's line outlives it in the lock file)" "^export $STOPPED " \
		"$(cat "$BOX_ROOT/run/boxes/$C/lock")"
	check_match "ls after a kill -9 of the holder: STOPPED, no LOCK" "^$C +STOPPED +- +- +no +- +-\$" \
		"$(box ls 2>&1)"
	check_eq "ls --json: lock null" "('STOPPED', None)" "$(lock_of "$C")"
	out=$(box info "$C" 2>&1)
	check "info: no Lock line" test -z "$(grep Lock: <<<"$out")"
else
	fail "the export stopped at its final link" "$(cat "$OUT")"
fi
# a start before its supervisor's first state write holds the lock too
# (unnamed): STARTING, whatever line a killed holder left in the lock file
if at renameat2 "$C/state.tmp." box start "$C"; then
	check_match "ls: a start in progress is STARTING, no LOCK" "^$C +STARTING +- +- +no +- +-\$" "$(box ls 2>&1)"
	check_eq "ls --json: STARTING, lock null" "('STARTING', None)" "$(lock_of "$C")"
	kill -CONT "$STOPPED"
	wait "$BG"
	check_eq "the start then ends well" 0 "$?"
	check_match "... RUNNING, no LOCK" "^$C +RUNNING +[0-9]+ +- +no +- +-\$" "$(box ls 2>&1)"
	check "stop --kill" box stop --kill "$C"
else
	fail "the start stopped at its first state write" "$(cat "$OUT")"
fi
t_done
