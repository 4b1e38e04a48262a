#!/bin/bash
# Overlay snapshots beyond 60-snapshot.sh: containers and snapshots of the
# layout before the layer store (overlay/{upper,work,lower}, made by hand as
# create and snapshot of 6d69985..25d7fe4 laid them out) converted in place
# when snapshotted, cloned or rolled back, also when killed at each step of
# the conversion; a running container snapshotted and cloned while it
# writes, its whiteouts (files deleted from the template), opaque folders,
# xattrs and ACLs kept through snapshot, rollback and clone.
# box-test: also unprivileged
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/runtime-lib.sh"

S=$BOX_ROOT/var/lib/boxes
W=$BOX_ROOT/work
mkdir -p "$W"
TPL=$(t_template busybox) || exit 1

mk() {
	t_config "$1" <<EOF
template = $TPL
hostname = $1
storage = overlay
stop_timeout = 10
EOF
}

# upper NAME: the host folder of NAME's upper layer (either layout)
upper() {
	if [ -d "$S/$1/overlay" ]; then
		ls -d "$S/$1/overlay/upper" "$S/$1/overlay/diff" 2>/dev/null | head -1
	else
		echo "$S/.layers/$(sed -n 's/^upper //p' "$S/$1/layers")/diff"
	fi
}

# old_layout NAME: NAME created, then laid out as the code before layer
# records left it: overlay.tmp.XXXXXX (0700) holding upper/ (the template
# cache root's owner and mode), work/ and lower ("KEY\n"), renamed overlay;
# no idshift record (before 1aedf1c an unprivileged one's was read from the
# upper's owner). Its files: /gen, /bin/vi deleted (a whiteout, char 0:0),
# /etc/init.d replaced (opaque) as the kernel writes them into an upper.
old_layout() {
	local n=$1 key lay cache o
	box create "$n" >/dev/null || { fail "create $n"; return 1; }
	key=$(sed -n 's/^template //p' "$S/$n/layers")
	lay=$(sed -n 's/^upper //p' "$S/$n/layers")
	cache=$S/templates/.cache/$key
	rm -rf "${S:?}/.layers/$lay" "$S/$n/layers" "$S/$n/idshift"
	o=$S/$n/overlay
	mkdir -m 700 "$o" && mkdir -m 755 "$o/upper" && mkdir -m 700 "$o/work" &&
		chown --reference="$cache" "$o/upper" && chmod --reference="$cache" "$o/upper" &&
		echo "$key" >"$o/lower" || { fail "laying $n out the old way"; return 1; }
	local b
	b=$(stat -c %u "$cache")
	echo old >"$o/upper/gen"
	mkdir "$o/upper/bin" "$o/upper/etc" && chown --reference="$cache/bin" "$o/upper/bin" &&
		chown --reference="$cache/etc" "$o/upper/etc" && mknod "$o/upper/bin/vi" c 0 0 &&
		mkdir "$o/upper/etc/init.d" && setfattr -n trusted.overlay.opaque -v y "$o/upper/etc/init.d" &&
		printf '#!/bin/sh\necho replaced\n' >"$o/upper/etc/init.d/rcS" && chmod 755 "$o/upper/etc/init.d/rcS" &&
		chown -R "$b:$b" "$o/upper/gen" "$o/upper/etc/init.d" || fail "filling $n's old upper"
}

# old_snap NAME SNAP: a snapshot of the old layout, as snapshot of ea6f458
# made one: the upper copied, the same lower, an empty work/
old_snap() {
	local o=$S/$1/snapshots/$2
	mkdir -p "$o/overlay" && cp -a "$(upper "$1")" "$o/overlay/upper" && mkdir -m 700 "$o/overlay/work" &&
		cp "$S/$1/overlay/lower" "$o/overlay/" && cp "$BOX_ROOT/etc/boxes/$1.conf" "$o/config" &&
		printf 'created=%s\ncomment=old\n' "$(date +%s)" >"$o/meta" || fail "laying out an old snapshot"
}

# seen NAME: what the running NAME shows of the old upper's files
seen() {
	box attach "$1" -- sh -c 'cat /gen; test -e /bin/vi && echo vi; cat /etc/init.d/rcS | tail -1; ls /etc/init.d' |
		tr '\n' ' ' | sed 's/ $//'
}
OLD_SEEN="old echo replaced rcS"

PHASE="a container of the old layout"
L=$T-old
mk "$L"
old_layout "$L"
check "it starts" box start "$L"
check_eq "... with its upper's files, whiteout and opaque folder" "$OLD_SEEN" "$(seen "$L")"
box attach "$L" -- sh -c 'echo live >/live'
box stop --kill "$L" >/dev/null
old_snap "$L" oldsnap
rm "$S/$L/snapshots/oldsnap/overlay/upper/live"
shift0=$(stat -c %u "$(upper "$L")")
check_match "box info of the old layout: overlay, no chain" "Storage: +overlay$" "$(box info "$L" | grep Storage)"

check "snapshot converts it" box snapshot "$L" s1
check "... no overlay/ folder left" test ! -e "$S/$L/overlay"
check_match "... a layer record, its upper over the converted layer" \
	"^upper [0-9a-f]{16} lower [0-9a-f]{16} template [^ ]+ $" "$(tr '\n' ' ' <"$S/$L/layers")"
check_eq "... the owners record written from the upper's owner" "$shift0" "$(cat "$S/$L/idshift")"
check_eq "... the old upper is the snapshot's layer, no copy" "$(sed -n 's/^lower //p' "$S/$L/layers")" \
	"$(sed -n 's/^lower //p' "$S/$L/snapshots/s1/layers")"
check "... it holds the old files" test -f "$S/.layers/$(sed -n 's/^lower //p' "$S/$L/layers")/diff/live"
check "it starts" box start "$L"
check_eq "... with its files" "$OLD_SEEN" "$(seen "$L")"
box attach "$L" -- sh -c 'echo changed >/gen; rm /live'
box stop --kill "$L" >/dev/null
check "rollback to the snapshot" box rollback "$L" s1
check "... it starts" box start "$L"
check_eq "... with the snapshot's files" "$OLD_SEEN live" "$(seen "$L") $(box attach "$L" -- cat /live)"
box stop --kill "$L" >/dev/null
check "rollback to the old-layout snapshot converts it" box rollback "$L" oldsnap
check "... no overlay/ folder left in it" test ! -e "$S/$L/snapshots/oldsnap/overlay"
check_match "... its record" "^lower [0-9a-f]{16} template [^ ]+ $" "$(tr '\n' ' ' <"$S/$L/snapshots/oldsnap/layers")"
check "... it starts" box start "$L"
check_eq "... with that snapshot's files (no /live)" "$OLD_SEEN" "$(seen "$L"; box attach "$L" -- cat /live 2>/dev/null)"
check "a clone of it (running)" box clone "$L" "$L-c"
check "... starts beside it" box start "$L-c"
check_eq "... with its files" "$OLD_SEEN" "$(seen "$L-c")"
box stop --kill "$L-c" >/dev/null
box stop --kill "$L" >/dev/null
check "clone --snapshot s1" box clone "$L" "$L-s" --snapshot s1
check "... starts" box start "$L-s"
check_eq "... with s1's files" "$OLD_SEEN live" "$(seen "$L-s") $(box attach "$L-s" -- cat /live)"
box stop --kill "$L-s" >/dev/null
for c in "$L-c" "$L-s" "$L"; do box destroy --purge "$c" >/dev/null || fail "destroy $c"; done
check_eq "the last destroy removes the last layers" "" "$(ls -A "$S/.layers")"

PHASE="old layout: a running one snapshotted and cloned (copied, not converted)"
mk "$L"
old_layout "$L"
box start "$L" >/dev/null || fail "start $L"
check "snapshot of the running old-layout container" box snapshot "$L" r1
check "... it stays of the old layout while it runs" test -d "$S/$L/overlay"
check "a clone of it" box clone "$L" "$L-c"
check "... starts beside it" box start "$L-c"
check_eq "... with its files" "$OLD_SEEN" "$(seen "$L-c")"
box stop --kill "$L-c" >/dev/null
box stop --kill "$L" >/dev/null
check "rollback to the live snapshot" box rollback "$L" r1
check "... it starts" box start "$L"
check_eq "... with its files" "$OLD_SEEN" "$(seen "$L")"
box stop --kill "$L" >/dev/null
box destroy --purge "$L-c" >/dev/null
box destroy --purge "$L" >/dev/null

# a process stopped at a commit point, then killed there (fault-lib.sh)
. "$(dirname "$0")/fault-lib.sh"

PHASE="old layout: a conversion killed at each step"
fault_shim_build
# (upper -> diff; the record; overlay/ into the store: the commit), in a
# snapshot, a clone and a rollback (to a snapshot of the old layout: two
# conversions, the container's first)
for point in "renameat upper" "renameat upper:after" "renameat layers.tmp" "renameat layers.tmp:after" \
	"renameat2 overlay" "renameat2 overlay:after"; do
	for cmd in snapshot clone rollback; do
		mk "$L"
		old_layout "$L"
		old_snap "$L" base
		case $cmd in
		snapshot) set -- box snapshot "$L" k ;;
		clone) set -- box clone "$L" "$L-c" ;;
		rollback) set -- box rollback "$L" base ;;
		esac
		what="$cmd killed at ${point% *} ${point#* }"
		if at ${point% *} "${point#* }" "$@"; then
			kill9
			if [ -d "$S/$L/overlay" ]; then
				check "$what: the old layout whole" test -f "$S/$L/overlay/lower" -a -d "$(upper "$L")"
			else
				check "$what: the new layout whole" test -d "$(upper "$L")" -a -d "$(dirname "$(upper "$L")")/work"
			fi
			check "$what: it starts" box start "$L"
			check_eq "$what: ... with its files" "$OLD_SEEN" "$(seen "$L")"
			box stop --kill "$L" >/dev/null
			check "$what: the next snapshot works" box snapshot "$L" k2
			check "$what: ... and converted it" test ! -e "$S/$L/overlay"
			box destroy --purge "$L-c" >/dev/null 2>&1
			check "$what: the next clone works" box clone "$L" "$L-c"
			check "$what: rollback works" box rollback "$L" base
			check "$what: it starts" box start "$L"
			check_eq "$what: ... with its files" "$OLD_SEEN" "$(seen "$L")"
			box stop --kill "$L" >/dev/null
		else
			fail "$what: never got there" "$(cat "$W/out")"
		fi
		box destroy --purge "$L-c" >/dev/null 2>&1
		box destroy --purge "$L" >/dev/null
		check_eq "$what: no layer left" "" "$(ls -A "$S/.layers")"
	done
done

PHASE="a running container snapshotted while it writes; whiteouts, opaque folders, xattrs, ACLs"
N=$T-live
mk "$N"
check "create" box create "$N"
up=$(upper "$N")
b=$(stat -c %u "$up")
mkdir -p "$up/srv" && echo attrs >"$up/srv/attrs" && chown -R "$b:$b" "$up/srv" &&
	setfattr -n user.note -v kept "$up/srv/attrs" && setfacl -m "u:$((b + 1234)):r" "$up/srv/attrs" ||
	fail "a file with an xattr and an ACL in the upper"
check "start" box start "$N"
box attach "$N" -- sh -c 'rm /bin/vi && rm -rf /etc/init.d && mkdir /etc/init.d &&
	printf "#!/bin/sh\necho replaced\n" >/etc/init.d/rcS && chmod 755 /etc/init.d/rcS'
box attach "$N" -- sh -c 'setsid sh -c "i=0; while :; do i=\$((i+1)); echo \$i >/c.tmp; mv /c.tmp /counter; done" >/dev/null 2>&1 </dev/null &' </dev/null
rt_wait_for 5 box attach "$N" -- test -s /counter
out=$(box snapshot "$N" live 2>&1); rc=$?
check_eq "snapshot of the running container exits 0" 0 "$rc"
check_match "... frozen for it" "snapshot live \(frozen [0-9]+ ms\)" "$out"
lay=$S/.layers/$(sed -n '1s/^lower //p' "$S/$N/snapshots/live/layers")/diff
check_eq "the snapshot's layer: the whiteout a char 0:0" "character special file 0:0" "$(stat -c '%F %t:%T' "$lay/bin/vi" 2>&1)"
check_eq "... the opaque mark" "y" "$(getfattr --absolute-names --only-values -n trusted.overlay.opaque "$lay/etc/init.d" 2>&1)"
check_eq "... the user xattr" "kept" "$(getfattr --absolute-names --only-values -n user.note "$lay/srv/attrs" 2>&1)"
check_match "... the ACL" "user:$((b + 1234)):r--" "$(getfacl -cn "$lay/srv/attrs" 2>&1)"
check_eq "... the owners" "$b:$b" "$(stat -c %u:%g "$lay/srv/attrs")"
check_match "... a whole counter" "^[0-9]+$" "$(cat "$lay/counter")"
check_match "it runs on" "^$N +RUNNING" "$(box ls | grep "^$N ")"
check "clone of the running container" box clone "$N" "$N-c"
check "rollback --stop to the live snapshot" box rollback --stop "$N" live
# what a container sees of the snapshot's files
lseen() {
	box attach "$1" -- sh -c 'test -e /bin/vi && echo vi; cat /etc/init.d/rcS | tail -1; ls /etc/init.d; cat /srv/attrs' |
		tr '\n' ' ' | sed 's/ $//'
}
check_eq "... the whiteout and the opaque folder kept" "echo replaced rcS attrs" "$(lseen "$N")"
check_match "... the counter of the snapshot" "^[0-9]+$" "$(box attach "$N" -- cat /counter)"
pid=$(box info "$N" | sed -n 's/^PID: *\([0-9]*\).*/\1/p')
check_match "... the ACL, as the host sees it" "user:$((b + 1234)):r--" "$(getfacl -cn "/proc/$pid/root/srv/attrs" 2>&1)"
check "the clone starts beside it" box start "$N-c"
check_eq "... the whiteout and the opaque folder kept" "echo replaced rcS attrs" "$(lseen "$N-c")"
box stop --kill "$N-c" >/dev/null
box stop --kill "$N" >/dev/null
check "clone --snapshot live" box clone "$N" "$N-s" --snapshot live
check "... starts" box start "$N-s"
check_eq "... the whiteout and the opaque folder kept" "echo replaced rcS attrs" "$(lseen "$N-s")"
box stop --kill "$N-s" >/dev/null
for c in "$N-c" "$N-s" "$N"; do box destroy --purge "$c" >/dev/null || fail "destroy $c"; done
check_eq "no layer left" "" "$(ls -A "$S/.layers")"
t_done
