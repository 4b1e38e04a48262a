#!/bin/bash
# Overlay snapshots, clones and rollback on the kernel of the cgroup v2 VM
# (35-cgroup-v2.sh runs it there, privileged and unprivileged: Debian 12's
# 6.1, whose overlay has no "lowerdir+" and parses its options only when the
# mount is made, so every mount of a chain takes the one-string path of
# storage/overlay.c). Small on purpose: TCG is slow. A chain of three
# layers, a whiteout, a running container snapshotted, a clone beside its
# source, a rollback, all started. The VM's /tmp (BOX_ROOT) is an ext4 disk
# for it (35-cgroup-v2.sh): an unprivileged clone's layers are idmapped,
# which 6.1's tmpfs cannot be (6.3's can).
. "$(dirname "$0")/lib.sh"

S=$BOX_ROOT/var/lib/boxes
echo "# the state folder on $(stat -f -c %T "$S")"
TPL=$(t_template busybox) || exit 1
echo "# kernel $(uname -r)"
N=$T-ov
t_config "$N" <<EOF
template = $TPL
storage = overlay
stop_timeout = 5
EOF

PHASE="overlay: create, a chain of layers"
check "create" box create "$N"
check "start" box start "$N"
box attach "$N" -- sh -c 'echo 1 >/gen && rm /bin/vi'
box stop --kill "$N" >/dev/null
check "snapshot s1" box snapshot "$N" s1
check "start over two lower layers" box start "$N"
box attach "$N" -- sh -c 'echo 2 >/gen'
out=$(box snapshot "$N" s2 2>&1)
check_match "snapshot s2 of the running container" "snapshot s2 \(frozen [0-9]+ ms\)" "$out"
box attach "$N" -- sh -c 'echo 3 >/gen'
box stop --kill "$N" >/dev/null
check "snapshot s3 (three layers under the upper)" box snapshot "$N" s3
# (s2, live, copied the upper: the container's chain did not grow)
check_eq "... the chain" "3" "$(grep -c '^\(lower\|template\)' "$S/$N/layers")"
check "start over them" box start "$N"
check_eq "... its files, the whiteout kept" "3 gone" "$(box attach "$N" -- sh -c 'cat /gen; test -e /bin/vi || echo gone' | tr '\n' ' ' | sed 's/ $//')"

PHASE="overlay: a clone beside its source"
check "clone of the running source" box clone "$N" "$N-c"
check "the clone starts" box start "$N-c"
check_eq "... with the source's files" "3 gone" "$(box attach "$N-c" -- sh -c 'cat /gen; test -e /bin/vi || echo gone' | tr '\n' ' ' | sed 's/ $//')"
box stop --kill "$N-c" >/dev/null
check "clone --snapshot s1" box clone "$N" "$N-s" --snapshot s1
check "... starts" box start "$N-s"
check_eq "... with s1's files" "1 gone" "$(box attach "$N-s" -- sh -c 'cat /gen; test -e /bin/vi || echo gone' | tr '\n' ' ' | sed 's/ $//')"
box stop --kill "$N-s" >/dev/null

PHASE="overlay: rollback"
check "rollback --stop to s2" box rollback --stop "$N" s2
check_eq "... it runs with s2's files" "2 gone" "$(box attach "$N" -- sh -c 'cat /gen; test -e /bin/vi || echo gone' | tr '\n' ' ' | sed 's/ $//')"
box stop --kill "$N" >/dev/null
check "export --snapshot s1 (a read-only overlay of its layers)" box export "$N" --snapshot s1 -o "$BOX_ROOT/s1.tar.gz"
check_eq "... its files" "1" "$(tar -xzOf "$BOX_ROOT/s1.tar.gz" ./gen 2>/dev/null)"
for c in "$N-c" "$N-s" "$N"; do box destroy --purge "$c" >/dev/null || fail "destroy $c"; done
check_eq "no layer left" "" "$(ls -A "$S/.layers")"
t_done
