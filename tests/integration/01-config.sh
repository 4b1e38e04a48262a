#!/bin/bash
# box config check|show|keys through the CLI: file:line messages and exit 2
# for bad configs, show | check - round trips, the config dir as a whole,
# conflicts between containers, the example configs in conf/.
. "$(dirname "$0")/lib.sh"
CONF=$BOX_ROOT/etc/boxes

# run CMD...: sets $out (stdout), $err (stderr), $rc
run() {
	local o e
	o=$(mktemp) e=$(mktemp)
	"$@" >"$o" 2>"$e"
	rc=$?
	out=$(cat "$o") err=$(cat "$e")
	rm -f "$o" "$e"
}

PHASE="examples in conf/"
for f in "$TOP"/conf/*.conf; do
	run box config check "$f"
	check_eq "conf/$(basename "$f") passes config check" 0 "$rc"
done
run box config check "$TOP/conf/web.conf"
check_eq "a good file prints NAME: ok" "web: ok" "$out"

PHASE="bad configs"
bad() { # bad DESC WANT-STDERR-LINE (config text on stdin)
	local desc=$1 want=$2
	cat >"$CONF/$T-bad.conf"
	run box config check "$T-bad"
	check_eq "$desc: exit status 2" 2 "$rc"
	check_eq "$desc: message" "$want" "$err"
	check_eq "$desc: nothing on stdout" "" "$out"
}
bad "a bad size" "$CONF/$T-bad.conf:2: memory: '12X' is not a size (a number of bytes with an optional K, M, G or T suffix, or max)" <<-'EOF'
	# comment
	memory = 12X
EOF
bad "a misspelt key" "$CONF/$T-bad.conf:3: memroy: unknown key (did you mean memory?)" <<-'EOF'
	hostname = web
	# the limit
	memroy = 1G
EOF
bad "a nameserver with an interface but not link-local" "$CONF/$T-bad.conf:1: nameserver: '10.77.0.1%eth0' has an interface, but only a link-local IPv6 address (fe80::/10) takes one (an IPv4 or IPv6 address, like 10.0.0.1, 127.0.0.53 or fe80::1%eth0: a link-local one with its interface)" <<-'EOF'
	nameserver = "10.77.0.1%eth0"
EOF
bad "a syntax error" "$CONF/$T-bad.conf:1: syntax error: '{' is never closed (close it with '}')" <<-'EOF'
	network eth0 {
	  bridge = box0
EOF
bad "two mounts on one target" "$CONF/$T-bad.conf:4: mount /data/: /data is already a mount target on line 1 (one mount per target)" <<-'EOF'
	mount /data {
	  source = /srv/a
	}
	mount /data/ {
	  source = /srv/b
	}
EOF

PHASE="what Proxmox accepts"
# the routed /32 of hosting providers (an on-link route to the gateway at
# start), a resolver inside the container, a link-local IPv6 resolver
cat >"$CONF/$T-pve.conf" <<'EOF'
nameserver = {127.0.0.53, 127.0.0.1, ::1, "fe80::1%eth0"}
network eth0 {
  bridge  = box0
  address = {203.0.113.10/32, 2001:db8::10/128}
  gateway = {203.0.113.1, 2001:db8::1}
}
EOF
run box config check "$T-pve"
check_eq "off-subnet gateways and loopback/link-local nameservers pass config check" "0 $T-pve: ok" "$rc $out"
check_match "config show keeps the nameservers as written" '^nameserver += \{127\.0\.0\.53, 127\.0\.0\.1, ::1, "?fe80::1%eth0"?\}$' \
	"$(box config show "$T-pve" 2>&1 | grep ^nameserver)"
rm -f "$CONF/$T-pve.conf"

PHASE="every error of a file"
cat >"$CONF/$T-bad.conf" <<'EOF'
memory = 12X
cpus = lots
halt_signal = SIGKILL
network eth0 {
  address = 10.0.0.2
}
EOF
run box config check "$CONF/$T-bad.conf"
check_eq "config check FILE exits 2" 2 "$rc"
check_eq "four errors, one line each" 4 "$(printf '%s\n' "$err" | wc -l)"
check_match "in file order, each with file:line" "^$CONF/$T-bad.conf:1: memory: .*
$CONF/$T-bad.conf:2: cpus: .*
$CONF/$T-bad.conf:3: halt_signal: .*
$CONF/$T-bad.conf:5: network eth0: address: " "$err"
run box config show "$T-bad"
check_eq "config show of a bad config exits 2" 2 "$rc"
check_eq "with the first error" "box: $CONF/$T-bad.conf:1: memory: '12X' is not a size (a number of bytes with an optional K, M, G or T suffix, or max)" "$err"
rm -f "$CONF/$T-bad.conf"

PHASE="show | check -"
cp "$TOP/conf/web.conf" "$CONF/$T-web.conf"
run box config show "$T-web"
check_eq "config show exits 0" 0 "$rc"
check_match "config show fills in the defaults" "stop_timeout += 60" "$out"
check_match "config show keeps the values" "memory += 512M" "$out"
check "config show | config check -" sh -c "box config show $T-web | box config check -"
run sh -c "box config show $T-web | box config check -"
check_eq "stdin is named stdin" "stdin: ok" "$out"
run sh -c "box config show $T-web | box config show -"
shown=$(box config show "$T-web" | tail -n +2)
check_eq "show of the shown config is the same (a fixed point)" "$shown" "$(printf '%s\n' "$out" | tail -n +2)"
run box config show "$T-nope"
check_eq "config show of a missing container exits 2" 2 "$rc"
check_match "it says which file is missing" "no such container" "$err"
# (no pipe into a { } group: that is a subshell, whose results tests/run would not count)
run box config check - <<<'memory = 1X'
check_eq "a bad config on stdin exits 2" 2 "$rc"
check_eq "its label is stdin" "stdin:1: memory: '1X' is not a size (a number of bytes with an optional K, M, G or T suffix, or max)" "$err"

PHASE="the config dir"
run box config show boxes
check_eq "config show boxes without a boxes.conf: the defaults" "cgroup_parent     = boxes
log_size          = 8M" "$(printf '%s\n' "$out" | tail -n +2)"
cp "$TOP/conf/boxes.conf" "$CONF/boxes.conf"
run box config show boxes
check_match "config show boxes shows the bridges" "bridge box0 \{
  address           = \{\"10.77.0.1/24\"\}
\}" "$out"
check "config show boxes | config check of it" sh -c "mkdir -p $BOX_ROOT/shown && box config show boxes > $BOX_ROOT/shown/boxes.conf && box config check $BOX_ROOT/shown/boxes.conf"
t_config "$T-db" <<'EOF'
network eth0 {
  bridge  = box0
  address = 10.77.0.20/24
  gateway = 10.77.0.1
}
EOF
run box config check
check_eq "config check with no argument: exit 0" 0 "$rc"
check_eq "one line per config, boxes.conf last" "$T-db: ok
$T-web: ok
boxes.conf: ok" "$out"
touch "$CONF/Bad_Name.conf"
run box config check
check_match "a *.conf that is no container name is reported" "Bad_Name.conf: ignored: 'Bad_Name' is not a container name" "$err"
rm -f "$CONF/Bad_Name.conf"
t_config "$T-h" <<'EOF'
network h {
  type = host
}
EOF
run box config check "$T-h"
check_eq "type = host passes" 0 "$rc"
check_match "but warns on stderr" "network h: type = host gives the container the host's network" "$err"
rm -f "$CONF/$T-h.conf"
t_config "$T-w" <<'EOF2'
network eth0 {
  bridge  = box9
}
network eth1 {
  bridge  = box0
  address = 10.88.0.5/24
}
EOF2
run box config check "$T-w"
check_eq "a bridge boxes.conf lacks passes" 0 "$rc"
check_eq "with warnings" "$CONF/$T-w.conf:2: network eth0: bridge: box9 is not defined in boxes.conf (it must exist on the host when the container starts)
$CONF/$T-w.conf:6: network eth1: address: 10.88.0.5/24 is outside every subnet of bridge box0 in boxes.conf (the host will not route to it)" "$err"
rm -f "$CONF/$T-w.conf"

PHASE="conflicts"
t_config "$T-web2" <<'EOF'
# a copy of web with the same address
network eth0 {
  bridge  = box0
  address = 10.77.0.10/24
}
EOF
run box config check "$T-web2"
check_eq "the same address on the same bridge: exit 2" 2 "$rc"
check_eq "the conflict names the other container and its file:line" "$CONF/$T-web2.conf:4: network eth0: address: 10.77.0.10/24 is already used by container $T-web on bridge box0 ($CONF/$T-web.conf:9; each address once per bridge)" "$err"
run box config check "$CONF/$T-web2.conf"
check_eq "a file of the config dir is checked for conflicts too" 2 "$rc"
run box config check
check_eq "config check over the dir stops at the bad file" 2 "$rc"
check_match "after the good ones before it" "^$T-db: ok
$T-web: ok$" "$out"
t_config "$T-web2" <<'EOF'
network eth0 {
  bridge  = box0
  address = 10.77.0.1/24
}
EOF
run box config check "$T-web2"
check_match "the host's own bridge address is taken" "10.77.0.1/24 is the host's address on bridge box0 \($CONF/boxes.conf:7;" "$err"
rm -f "$CONF/$T-web2.conf"

PHASE="boxes.conf"
printf 'bridge box0 {\n  mtu = 9\n}\n' >"$CONF/boxes.conf"
run box config check "$CONF/boxes.conf"
check_eq "a bad boxes.conf exits 2" 2 "$rc"
check_eq "its message" "$CONF/boxes.conf:2: bridge box0: mtu: '9' is out of range (68..65535)" "$err"
rm -f "$CONF/boxes.conf"

PHASE="usage"
run box config
check_eq "config without a subcommand exits 2" 2 "$rc"
run box config frob
check_eq "an unknown subcommand exits 2" 2 "$rc"
run box config check "Bad Name"
check_eq "a bad container name exits 2" 2 "$rc"
run box config check /nonexistent/x.conf
check_eq "a missing file exits 2" 2 "$rc"
check_match "and says so" "/nonexistent/x.conf: no such file" "$err"
run box config keys
check_eq "config keys exits 0" 0 "$rc"
for k in template hostname init init_args halt_signal stop_timeout autostart start_order environment memory swap \
	cpus cpu_weight cpuset pids io_weight unprivileged idmap_base idmap_size capabilities_drop capabilities_keep \
	seccomp keyctl nesting fuse storage nameserver searchdomain; do
	printf '%s\n' "$out" | grep -q "| \`$k\` |" || fail "config keys lists $k"
done
pass "config keys lists every top-level key"
check_match "config keys lists the network keys" "network TITLE \{ gateway \}" "$out"

t_done
