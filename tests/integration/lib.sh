# Shared by every integration test: source it first.
#
# Each test file gets its own installation in a throw-away BOX_ROOT, names that
# cannot clash with anything else on the host ("$T-web", T=t<pid>), and an EXIT
# trap that removes whatever it made -- containers, supervisors, cgroups,
# netdevs, mounts, files -- even when the test fails half-way.
#
#   check "desc" CMD...         passes when CMD exits 0
#   check_fail "desc" CMD...    passes when CMD exits non-zero
#   check_eq "desc" WANT GOT
#   check_match "desc" REGEX GOT
#   skip "desc" "why"
#   t_done                      the last line of every test file: prints the
#                               plan "1..N"; tests/run fails a file that ends
#                               without it (it stopped early) or ran another N
#   t_stop                      ends the file on purpose before its end (a
#                               skip, or a failure the rest depends on): t_done, exit
#   t_netdev DEV, t_loop DEV    registers a netdev / loop device for cleanup
#   t_netns NS, t_pid PID       registers a network namespace / a process for cleanup
#   t_subnet                    prints 10.A.B, a /24 (10.A.B.0/24) that no other
#                               running test holds, held until this one exits
#   PHASE="what we are doing"   shown with a failure
set -u
TOP=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
BUILD=${BUILD:-$TOP/build}
export PATH="$BUILD:$PATH"
export BOX_ROOT=$(mktemp -d /tmp/boxtest.XXXXXX)
chmod 755 "$BOX_ROOT"
unset BOX_CONFIG_DIR BOX_STATE_DIR BOX_RUN_DIR BOX_LOG_DIR
mkdir -p "$BOX_ROOT/etc/boxes" "$BOX_ROOT/var/lib/boxes/templates"
T=t$$
PHASE=setup
BOX_TEST_CACHE=${BOX_TEST_CACHE:-/var/cache/boxes-test}
_n=0
_netdevs=()
_loops=()
_netns=()
_pids=()

_tap() { _n=$((_n + 1)); echo "$1 $_n - $2"; }
pass() { _tap ok "$1"; }
fail() { _tap "not ok" "$1"; echo "#   phase: $PHASE"; [ -n "${2:-}" ] && printf '%s\n' "$2" | sed 's/^/#   /' | head -30; return 0; }
skip() { _tap ok "$1 # skip ${2:-}"; }
t_done() { echo "1..$_n"; }
t_stop() { t_done; exit 0; }

check() {
	local desc=$1; shift
	local out
	if out=$("$@" 2>&1); then pass "$desc"; else fail "$desc" "\$ $*
$out"; fi
}
check_fail() {
	local desc=$1; shift
	local out
	if out=$("$@" 2>&1); then fail "$desc" "expected a failure: \$ $*
$out"; else pass "$desc"; fi
}
check_eq() {
	if [ "$2" = "$3" ]; then pass "$1"; else fail "$1" "want: $2
got:  $3"; fi
}
check_match() {
	if printf '%s' "$3" | grep -qE -- "$2"; then pass "$1"; else fail "$1" "want match: $2
got: $3"; fi
}

# t_want_uid_map NAME: the uid_map container NAME of this run shows inside:
# "0 0 4294967295" when privileged; under BOX_TEST_UNPRIV=1 the range that
# idmap_base = auto recorded for it.
t_want_uid_map() {
	if [ "${BOX_TEST_UNPRIV:-0}" = 1 ]; then
		echo "0 $(cut -d' ' -f1 "$BOX_ROOT/var/lib/boxes/$1/idmap" 2>/dev/null) 65536"
	else
		echo "0 0 4294967295"
	fi
}

# Registers a host netdev the test made, so that cleanup deletes it.
t_netdev() { _netdevs+=("$1"); }
t_netns() { _netns+=("$1"); }
t_pid() { _pids+=("$1"); }

# What a managed bridge left of this test's (a failed stop): its dnsmasq and
# daemon, its chains in the boxes table, the table when nothing else is in
# it, and the forwarding switch boxes turned on for it.
_t_managed_cleanup() {
	local r pidf ch
	for r in "$BOX_ROOT" "$BOX_ROOT"/roots/*; do
		for pidf in "$r"/run/boxes/bridges.d/*/daemon.pid "$r"/run/boxes/bridges.d/*/dnsmasq.pid; do
			[ -f "$pidf" ] && kill -9 "$(cat "$pidf")" 2>/dev/null
		done
	done
	command -v nft >/dev/null || return 0
	for ch in $(nft list tables 2>/dev/null | awk -v t="$T" '$3 ~ "^" t {print $2 "/" $3}'); do
		nft delete table "${ch%%/*}" "${ch#*/}" 2>/dev/null
	done
	nft list table inet boxes >/dev/null 2>&1 || return 0
	for ch in $(nft list table inet boxes 2>/dev/null | sed -n 's/^[[:space:]]*chain \([^ ]*\) {.*/\1/p' | grep -E "^(nat-br|fwd-)$T"); do
		nft delete chain inet boxes "$ch" 2>/dev/null
	done
	if ! nft list table inet boxes 2>/dev/null | grep -qE '^[[:space:]]*chain ' ||
		[ "$(nft list table inet boxes 2>/dev/null | grep -cE '^[[:space:]]*chain ')" = 1 ] &&
		nft list table inet boxes 2>/dev/null | grep -qE '^[[:space:]]*chain guard '; then
		nft delete table inet boxes 2>/dev/null
		[ -f /run/boxes-nft/forwarding-ipv4 ] && echo 0 >/proc/sys/net/ipv4/ip_forward && rm -f /run/boxes-nft/forwarding-ipv4
		[ -f /run/boxes-nft/forwarding-ipv6 ] && echo 0 >/proc/sys/net/ipv6/conf/all/forwarding && rm -f /run/boxes-nft/forwarding-ipv6
	fi
	return 0
}

# t_box_root LABEL: a second installation inside this test's root (another
# "host" for migrations), printed; its containers get their cgroups under
# boxes/$T-LABEL so that two containers of one name can run side by side, and
# cleanup stops them as it does ours (every root under $BOX_ROOT/roots/).
#   B=$(t_box_root b); BOX_ROOT=$B box import web -
t_box_root() {
	local r="$BOX_ROOT/roots/$1"
	if [ ! -d "$r" ]; then
		mkdir -p "$r/etc/boxes" "$r/var/lib/boxes/templates"
		echo "cgroup_parent = boxes/$T-$1" >"$r/etc/boxes/boxes.conf"
	fi
	echo "$r"
}
# Registers a loop device the test set up (losetup), so that cleanup detaches
# it once the mounts under BOX_ROOT are gone.
t_loop() { _loops+=("$1"); }

# t_cut_setup DIR FS PART...: each folder DIR/PART on an FS image of its own
# (DIR/PART.img, 1 GiB sparse), mounted commit=600: no timed journal commit
# writes what a command left unsynced before t_cut. Non-zero (a failure
# said) when one could not be made.
t_cut_setup() {
	local d=$1 fs=$2 p l
	shift 2
	for p; do
		mkdir -p "$d/$p"
		truncate -s 1G "$d/$p.img"
		if ! mkfs."$fs" -q "$d/$p.img" >/dev/null 2>&1 || ! l=$(losetup -f --show "$d/$p.img"); then
			fail "a $fs image for the $p folder"
			return 1
		fi
		t_loop "$l"
		mount -o commit=600 "$l" "$d/$p" || { fail "mounting the $p image"; return 1; }
	done
}
# t_cut DIR PART...: a power cut right after the command returned: each image
# of t_cut_setup copied as the disk holds it (what only the page cache holds
# is not there), then unmounted and the copy mounted in its place.
t_cut() {
	local d=$1 p l
	shift
	for p; do cp --sparse=always "$d/$p.img" "$d/$p.cut"; done
	for p; do
		umount "$d/$p"
		l=$(losetup -f --show "$d/$p.cut") && t_loop "$l" && mount "$l" "$d/$p" ||
			{ fail "mounting the $p image after the cut"; return 1; }
	done
}

# Writes $BOX_ROOT/etc/boxes/NAME.conf from stdin. A config that does not
# choose gets "unprivileged = no", or under BOX_TEST_UNPRIV=1 (tests/run sets
# it for the second run of the runtime, limits, network, export and import
# tests) the default, unprivileged, said as such.
t_config() {
	local f="$BOX_ROOT/etc/boxes/$1.conf"
	cat >"$f"
	if ! grep -qE '^[[:space:]]*unprivileged[[:space:]]*=' "$f"; then
		if [ "${BOX_TEST_UNPRIV:-0}" = 1 ]; then echo "unprivileged = yes"; else echo "unprivileged = no"; fi >>"$f"
	fi
	# BOX_TEST_NESTING=1 (the third run of a file marked "also nesting"):
	# every unprivileged container nests; the escapes must fail all the same
	if [ "${BOX_TEST_NESTING:-0}" = 1 ] && ! grep -qE '^[[:space:]]*(nesting[[:space:]]*=|unprivileged[[:space:]]*=[[:space:]]*no)' "$f"; then
		echo "nesting = yes" >>"$f"
	fi
}

# Builds (once per recipe version, cached outside the checkout) and installs a
# template into this test's templates folder; prints its file name.
t_template() {
	local kind=$1 hash cached uses
	# a recipe that runs another (`# box-recipe-uses: debian`) is keyed by both
	uses=$(sed -n 's/^# box-recipe-uses: *//p' "$TOP/templates/$kind")
	hash=$(cd "$TOP/templates" && cat "$kind" $uses | sha256sum | cut -c1-16)
	cached="$BOX_TEST_CACHE/$kind-$hash.tar.gz"
	mkdir -p "$BOX_TEST_CACHE"
	if [ ! -s "$cached" ]; then
		(
			flock 9
			[ -s "$cached" ] || "$TOP/templates/$kind" "$cached.tmp" >"$BOX_TEST_CACHE/$kind.log" 2>&1 &&
				mv "$cached.tmp" "$cached"
		) 9>"$BOX_TEST_CACHE/$kind.lock" || { echo "building the $kind template failed: $BOX_TEST_CACHE/$kind.log" >&2; return 1; }
	fi
	ln -sf "$cached" "$BOX_ROOT/var/lib/boxes/templates/$kind.tar.gz"
	echo "$kind.tar.gz"
}

# t_subnet: a /24 of its own for this test file, printed as "10.A.B" (A in
# 128..247; a caller that needs two calls it twice). Drawn at random, it
# is claimed by a file named after it in a folder every test on this host
# shares (other worktrees' runs too), created under a flock, holding the
# claimer's pid and start time: a claim whose process is gone is taken
# over, and t_cleanup removes this file's own.
_T_SUBNETS=/run/boxes-test/subnets
_t_me() { echo "$$ $(awk '{print $22}' "/proc/$$/stat")"; }
t_subnet() {
	mkdir -p "$_T_SUBNETS" || return 1
	(
		flock 9 || exit 1
		local me i k n f owner start
		me=$(_t_me)
		k=$(((RANDOM << 15 | RANDOM) % 30720))
		for ((i = 0; i < 30720; i++)); do
			n=$(((k + i) % 30720))
			f="$_T_SUBNETS/10.$((128 + n / 256)).$((n % 256))"
			if [ -e "$f" ]; then
				read -r owner start <"$f" 2>/dev/null || owner=
				[ -n "$owner" ] && [ "$(awk '{print $22}' "/proc/$owner/stat" 2>/dev/null)" = "$start" ] &&
					continue
			fi
			echo "$me" >"$f" || exit 1
			echo "${f##*/}"
			exit 0
		done
		exit 1
	) 9>"$_T_SUBNETS/.lock"
}
_t_subnets_release() {
	local f me
	me=$(_t_me)
	for f in "$_T_SUBNETS"/10.*; do
		[ -f "$f" ] && [ "$(cat "$f" 2>/dev/null)" = "$me" ] && rm -f "$f"
	done
}

# Every cgroup folder of this test's containers, deepest first.
_t_cgroups() {
	local d
	for d in /sys/fs/cgroup/*/boxes /sys/fs/cgroup/boxes; do
		[ -d "$d" ] || continue
		# boxes/$T-NAME (t_box_root's) and boxes/$T itself (a test's own
		# boxes.conf may name it)
		find "$d" -mindepth 1 -depth -type d \( -path "*/boxes/$T-*" -o -path "*/boxes/$T" -o -path "*/boxes/$T/*" \) 2>/dev/null
	done
}

t_cleanup() {
	local rc=$? c pidf p cg m dev r
	trap - EXIT
	# containers, through the product first (of every root: ours, t_box_root's)
	for r in "$BOX_ROOT" "$BOX_ROOT"/roots/*; do
		for c in "$r"/etc/boxes/*.conf; do
			[ -f "$c" ] || continue
			c=$(basename "$c" .conf)
			[ "$c" = boxes ] && continue
			BOX_ROOT=$r timeout 20 box stop --kill "$c" >/dev/null 2>&1
		done
	done
	# then by force: supervisors and every process left in our cgroups
	for r in "$BOX_ROOT" "$BOX_ROOT"/roots/*; do
		for pidf in "$r"/run/boxes/*/*.pid; do
			[ -f "$pidf" ] && kill -9 "$(cat "$pidf")" 2>/dev/null
		done
	done
	for cg in $(_t_cgroups); do
		[ -f "$cg/cgroup.kill" ] && echo 1 >"$cg/cgroup.kill" 2>/dev/null
		[ -f "$cg/freezer.state" ] && echo THAWED >"$cg/freezer.state" 2>/dev/null
		for p in $(cat "$cg/cgroup.procs" 2>/dev/null); do kill -9 "$p" 2>/dev/null; done
	done
	for p in "${_pids[@]}"; do kill -9 "$p" 2>/dev/null; done
	_t_managed_cleanup
	sleep 0.1
	for cg in $(_t_cgroups); do rmdir "$cg" 2>/dev/null; done
	for m in "${_netns[@]}"; do ip netns del "$m" 2>/dev/null; done
	for dev in "${_netdevs[@]}"; do ip link del "$dev" 2>/dev/null; done
	for dev in $(ip -o link show 2>/dev/null | awk -F': ' '{print $2}' | cut -d@ -f1 | grep -E "^(vb|br)?$T" ); do
		ip link del "$dev" 2>/dev/null
	done
	# mounts under our root, deepest first
	for m in $(awk -v r="$BOX_ROOT" 'index($2, r) == 1 {print $2}' /proc/self/mounts | sort -r); do
		umount -l "$m" 2>/dev/null
	done
	# a loop device still busy (a lazy unmount) is detached by the kernel
	# once free (autoclear)
	for dev in "${_loops[@]}"; do losetup -d "$dev" 2>/dev/null; done
	_t_subnets_release
	rm -rf "$BOX_ROOT"
	exit $rc
}
trap t_cleanup EXIT
trap 'exit 130' INT TERM
