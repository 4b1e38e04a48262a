#!/bin/bash
# Overlay snapshots beyond 60-snapshot.sh: containers and snapshots of the
# layout before the layer store (overlay/{upper,work,lower}, made by hand as
# create and snapshot of 6d69985..25d7fe4 laid them out) converted in place
# when snapshotted, cloned or rolled back, also when killed at each step of
# the conversion; a running container snapshotted and cloned while it
# writes, its whiteouts (files deleted from the template), opaque folders,
# xattrs and ACLs kept through snapshot, rollback and clone; a running
# container's files changed between the pre-copy and the freeze (overlay,
# and dir, whose running snapshots pre-copy too).
# box-test: also unprivileged
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/runtime-lib.sh"

S=$BOX_ROOT/var/lib/boxes
W=$BOX_ROOT/work
mkdir -p "$W"
. "$(dirname "$0")/fault-lib.sh"
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

# listing DIR: every entry of DIR (sorted): type, mode, owner, size, mtime,
# link target, link count, device numbers, data hash, hard link group
# (its first name) and extended attributes (trusted.* too)
listing() {
	local -A first
	local p y m o s t l n i x a
	(cd "$1" && find . -printf '%p\037%y\037%m\037%U:%G\037%s\037%T@\037%l\037%n\037%i\n' | LC_ALL=C sort) >"$W/listing.raw"
	while IFS=$'\037' read -r p y m o s t l n i; do
		x=
		case $y in
		f) x=$(sha256sum <"$1/$p" | cut -c1-16) ;;
		c | b) x=$(stat -c %t:%T "$1/$p") ;;
		esac
		# a whiteout overlay made is a link to the one in its work/
		[ "$y$x" = c0:0 ] && n=-
		[ "$y" != d ] && [ "$n" != - ] && [ "$n" -gt 1 ] && x="$x link:${first[$i]:=$p}"
		a=$(getfattr -h -d -m - -e hex "$1/$p" 2>/dev/null | grep -v '^#' | LC_ALL=C sort | tr '\n' ' ')
		printf '%s %s %s %s %s %s %s %s %s [%s]\n' "$p" "$y" "$m" "$o" "$s" "$t" "$l" "$n" "$x" "$a"
	done <"$W/listing.raw"
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

# The upper's data (a dir container's: its rootfs) is pre-copied while the
# container runs; the snapshot then stops at its freeze (the fault shim) and
# the container's root changes its files as an attacker or a busy service
# would: in place keeping the size and mtime, truncated, deleted, a folder
# renamed, a hard link, a whiteout, an opaque folder, xattrs, a mode, a file
# turned into a symlink to /etc/shadow and into a FIFO, while a writer goes
# on. The test freezes it (box freeze: the snapshot's own freeze is then a
# no-op and nothing moves) and lists its tree; once the snapshot goes on,
# its copy must list the same, and the host must neither block on the FIFO
# nor follow the link.
PHASE="the fault shim"
fault_shim_build
for kind in overlay dir; do
	PHASE="$kind: a running container changed between the pre-copy and the freeze"
	P=$T-pre-$kind
	mk "$P"
	[ $kind = dir ] && sed -i 's/^storage = overlay/storage = dir/' "$BOX_ROOT/etc/boxes/$P.conf"
	check "$kind: create" box create "$P"
	check "$kind: start" box start "$P"
	if [ $kind = dir ]; then pup=$S/$P/rootfs; else pup=$(upper "$P"); fi
	box attach "$P" -- sh -c 'mkdir -p /srv/d/sub && cd /srv &&
		dd if=/dev/urandom of=same bs=64k count=16 2>/dev/null && touch -r same stamp &&
		echo 0000 >r && for f in trunc gone link fifo mode; do echo "$f data" >$f; done &&
		echo a >d/sub/a && echo b >d/b && echo x >xa &&
		i=0; while [ $i -lt 50 ]; do echo $i >d/f$i; i=$((i+1)); done' ||
		fail "$kind: the files before the snapshot"
	setfattr -n user.a -v 1 "$pup/srv/xa" || fail "$kind: an xattr"
	box attach "$P" -- sh -c 'setsid sh -c "i=0; while :; do i=\$((i+1)); echo \$i >/srv/c.tmp; mv /srv/c.tmp /srv/counter; echo \$i >>/srv/log; done" >/dev/null 2>&1 </dev/null &' </dev/null
	rt_wait_for 5 box attach "$P" -- test -s /srv/counter
	# atimes older than their mtimes, which a read sets to now (relatime)
	touch -a -d @1000000000 "$pup/srv/d/f7" "$pup/srv/d"
	rm -f "$W/pre.trace"
	# held at its open of the cgroup's freeze knob for writing
	if BOX_TRACE=$W/pre.trace at open freeze box snapshot "$P" pre; then
		bg=$BG
		check_eq "$kind: held by the shim: the snapshot itself" "$bg" "$STOPPED"
		check_eq "$kind: the pre-copy moved no atime (a file, a folder)" "1000000000 1000000000" \
			"$(stat -c %X "$pup/srv/d/f7" "$pup/srv/d" | tr '\n' ' ' | sed 's/ $//')"
		check "$kind: the container's root changes its files" box attach "$P" -- sh -c 'cd /srv &&
			printf XYZ | dd of=same bs=1 seek=100 conv=notrunc 2>/dev/null && touch -r stamp same &&
			echo 1111 >r.new && touch -r r r.new && mv r.new r && : >trunc && rm gone && mv d d2 &&
			ln d2/sub/a hl && rm /bin/ls && rm -rf /usr/share/udhcpc && mkdir /usr/share/udhcpc &&
			echo opaque >/usr/share/udhcpc/x && rm link && ln -s /etc/shadow link &&
			rm fifo && mkfifo fifo && chmod 640 mode && echo new >new'
		setfattr -x user.a "$pup/srv/xa" && setfattr -n user.b -v 2 "$pup/srv/xa" || fail "$kind: xattrs changed"
		check "$kind: freeze" box freeze "$P"
		listing "$pup" >"$W/frozen.ls"
		touch -a -d @1000000000 "$pup/srv/xa" "$pup/srv/d2/sub" # xa changed: copied frozen
		kill -CONT "$bg"
		for ((i = 0; i < 1200; i++)); do kill -0 "$bg" 2>/dev/null || break; sleep 0.05; done
		if kill -0 "$bg" 2>/dev/null; then
			fail "$kind: the snapshot never ended (blocked?)" "$(cat "$OUT")"
			kill -9 "$bg"
		fi
		wait "$bg"
		check_eq "$kind: the snapshot exits 0" 0 "$?"
		check_eq "$kind: the frozen copy moved no atime (a file, a folder)" "1000000000 1000000000" \
			"$(stat -c %X "$pup/srv/xa" "$pup/srv/d2/sub" | tr '\n' ' ' | sed 's/ $//')"
		if [ $kind = dir ]; then
			cp=$S/$P/snapshots/pre/rootfs
		else
			lay=$S/.layers/$(sed -n '1s/^lower //p' "$S/$P/snapshots/pre/layers")
			cp=$lay/diff
		fi
		listing "$cp" >"$W/snap.ls"
		check_eq "$kind: the snapshot is the frozen tree: types, modes, owners, sizes, times, data, links, xattrs" "" \
			"$(diff "$W/frozen.ls" "$W/snap.ls")"
		if [ $kind = overlay ]; then
			check_eq "$kind: ... the whiteout" "character special file 0:0" "$(stat -c '%F %t:%T' "$cp/bin/ls" 2>&1)"
			check_eq "$kind: ... the opaque folder" "y" \
				"$(getfattr --absolute-names --only-values -n trusted.overlay.opaque "$cp/usr/share/udhcpc" 2>&1)"
			check_eq "$kind: ... nothing of the pre-copy left" "diff work" "$(ls "$lay" | tr '\n' ' ' | sed 's/ $//')"
		else
			check_eq "$kind: ... nothing of the pre-copy left" "config meta rootfs" \
				"$(ls "$S/$P/snapshots/pre" | tr '\n' ' ' | sed 's/ $//')"
		fi
		check_eq "$kind: ... the link not followed" "symbolic link /etc/shadow" \
			"$(stat -c '%F %N' "$cp/srv/link" | sed "s/ '.*' -> '\(.*\)'/ \1/")"
		check_eq "$kind: ... the FIFO a FIFO" "fifo" "$(stat -c %F "$cp/srv/fifo")"
		check_eq "$kind: ... the data changed in place" "XYZ" "$(dd if="$cp/srv/same" bs=1 skip=100 count=3 2>/dev/null)"
		check_match "$kind: the data was pre-copied" "pre-copied [1-9][0-9]* files" "$(cat "$W/pre.trace")"
		check_match "$kind: ... and taken from there while frozen" "[0-9]+ files copied, [1-9][0-9]* of them pre-copied" \
			"$(cat "$W/pre.trace")"
		# its freeze came after its check: it froze it, so it thawed it
		check_match "$kind: running again" "^$P +RUNNING" "$(box ls 2>&1)"
	else
		fail "$kind: the snapshot never stopped at its freeze" "$(cat "$OUT")"
	fi
	# frozen by the user: nothing moves, so nothing to pre-copy
	check "$kind: box freeze" box freeze "$P"
	rm -f "$W/fz.trace"
	check "$kind: a snapshot of the frozen container" env BOX_TRACE="$W/fz.trace" box snapshot "$P" fz
	check_eq "$kind: ... pre-copies nothing" "" "$(grep -o 'pre-copied [0-9]* files' "$W/fz.trace")"
	check_match "$kind: ... copies it frozen" "thawed, [1-9][0-9]* files copied, 0 of them pre-copied" \
		"$(cat "$W/fz.trace")"
	check_match "$kind: ... and leaves it frozen" "^$P +FROZEN" "$(box ls 2>&1)"
	check "$kind: unfreeze" box unfreeze "$P"
	box stop --kill "$P" >/dev/null
	box destroy --purge "$P" >/dev/null || fail "destroy $P"
done
check_eq "no layer left" "" "$(ls -A "$S/.layers")"

# An unprivileged overlay clone sees its source's layers through idmapped
# mounts: where the state folder cannot be idmapped (ramfs), the clone is
# refused, saying why and what to do; a clone made elsewhere and moved there
# says the same at its start. A second root of ours, its state on a ramfs
# (then a tmpfs, which can be idmapped, to make the clone that moves).
PHASE="an unprivileged overlay clone on a filesystem that cannot be idmapped"
B=$(t_box_root ramfs)
BS=$B/var/lib/boxes
rconf() { printf 'template = %s\nstorage = overlay\nunprivileged = yes\n' "$TPL" >"$B/etc/boxes/$1.conf"; }
rtpl() { mkdir -p "$BS/templates" && ln -s "$(readlink -f "$S/templates/$TPL")" "$BS/templates/$TPL"; }
mount -t ramfs "r$T" "$BS" && rtpl || fail "a ramfs for the second root"
rconf "$T-ra"
check "create on ramfs (owners shifted on disk)" env BOX_ROOT="$B" box create "$T-ra"
out=$(BOX_ROOT=$B box clone "$T-ra" "$T-rb" 2>&1)
check_eq "the clone is refused" 1 "$?"
check_match "... saying which filesystem cannot be idmapped" "$BS \(ramfs\) cannot be idmapped" "$out"
check_match "... why" "unprivileged overlay clone needs it: it shares its source's layers" "$out"
check_match "... and what to do" "put the state folder $BS on a filesystem that can be \(ext4, xfs, btrfs, tmpfs\)" "$out"
check_eq "... nothing made" "$T-ra" "$(BOX_ROOT=$B box ls 2>&1 | awk 'NR > 1 {print $1}' | tr '\n' ' ' | sed 's/ $//')"
check_eq "... no state of it" "" "$(ls -A "$BS" | grep -- "$T-rb")"
umount "$BS"
mount -t tmpfs "t$T" "$BS" && rtpl || fail "a tmpfs for the second root"
check "create on tmpfs" env BOX_ROOT="$B" box create "$T-ra"
check "clone on tmpfs" env BOX_ROOT="$B" box clone "$T-ra" "$T-rb"
cp -a "$BS/." "$W/moved" && umount "$BS" && mount -t ramfs "r$T" "$BS" && cp -a "$W/moved/." "$BS/" ||
	fail "the state moved to a ramfs"
out=$(BOX_ROOT=$B box start "$T-rb" 2>&1)
check_eq "the moved clone does not start" 1 "$?"
check_match "... saying which filesystem and what to do" \
	"$BS \(ramfs\) cannot be idmapped.*put the state folder $BS on a filesystem that can be" "$out"
check_match "... and stays STOPPED" "^$T-rb +STOPPED" "$(BOX_ROOT=$B box ls 2>&1)"
check "the source still starts" env BOX_ROOT="$B" box start "$T-ra"
check "... and stops" env BOX_ROOT="$B" box stop --kill "$T-ra"
umount "$BS"

# The overlay's mount(2) path (a "lowerdir+" refused, as a chain too long
# for it is; older kernels attach idmapped layers the same way) mounts on a
# folder for a moment: a kill -9 there leaves it; the next command that
# makes one removes it (by the dead pid in its name).
PHASE="overlay: a kill -9 while its mount's folder is there"
V=$BOX_ROOT/run/boxes/.views
mk "$T-vw"
check "create $T-vw" box create "$T-vw"
before=$(ls -d /tmp/box-overlay.* 2>/dev/null)
# what of the killed export is left: its folders in $V, in /tmp
left() { ls -A "$V" 2>/dev/null; comm -13 <(echo "$before") <(ls -d /tmp/box-overlay.* 2>/dev/null); }
if at rmdir / env BOX_FAULT_E2BIG=lowerdir+ box export "$T-vw" -o "$W/vw.tar"; then
	kill9
	check "killed before its rmdir, the export leaves its folders" test -n "$(left)"
	check "the next export (by mount(2) too)" env BOX_FAULT_E2BIG=lowerdir+ LD_PRELOAD="$SHIM" \
		box export "$T-vw" -o "$W/vw.tar"
	check_eq "... removes them" "" "$(left)"
	check "... and exports" tar tf "$W/vw.tar" ./bin/busybox
else
	fail "the export never got to its rmdir" "$(cat "$OUT")"
fi
rm -f "$W/vw.tar"
t_done
