# Helpers for the export/import tests (5*-*.sh), sourced after lib.sh and
# runtime-lib.sh.

# Under BOX_TEST_UNPRIV=1 the containers are unprivileged: the fixture's "big"
# owners are the highest a 65536-id map holds, and it has no device node (an
# unprivileged container may hold none: import refuses them).
if [ "${BOX_TEST_UNPRIV:-0}" = 1 ]; then
	EX_BIG_U=65000 EX_BIG_G=65001 EX_DEVICES=no
else
	EX_BIG_U=70000 EX_BIG_G=80000 EX_DEVICES=yes
fi
EX_BASE=0

# ex_fill ROOTFS: every file kind the round trip must keep. The rootfs's
# owners are as the container sees them, or shifted on disk by the number in
# its container folder's idshift (storage.h): EX_BASE, set here, in host ids.
ex_fill() {
	local r=$1 b
	EX_BASE=$(cat "$r/../idshift" 2>/dev/null || echo 0)
	b=$EX_BASE
	mkdir -p "$r/srv/kinds" "$r/tmp" "$r/var/tmp" "$r/var/run"
	local k="$r/srv/kinds"
	echo setuid >"$k/setuid" && chmod 4755 "$k/setuid"
	echo setgid >"$k/setgid" && chmod 2750 "$k/setgid"
	cp /bin/busybox "$k/ping-cap"
	echo x >"$k/xattr" && setfattr -n user.boxes -v "hello world" "$k/xattr"
	echo acl >"$k/acl" && setfacl -m u:$((b + 1234)):rw-,g:$((b + 4321)):r-- "$k/acl"
	mkdir "$k/acldir" && setfacl -d -m u:$((b + 1234)):rwx "$k/acldir"
	echo linked >"$k/hard1" && ln "$k/hard1" "$k/hard2"
	ln -s /nonexistent/target "$k/dangling"
	[ "$EX_DEVICES" = yes ] && mknod "$k/null" c 1 3
	mkfifo "$k/fifo"
	truncate -s 4G "$k/sparse" && dd if=/dev/urandom of="$k/sparse" bs=1M count=1 seek=2000 conv=notrunc status=none
	echo utf8 >"$k/grüße-ñ-日本"
	echo long >"$k/$(printf 'n%.0s' $(seq 200))"
	echo big >"$k/bigids"
	echo owned >"$k/owned"
	echo "temp" >"$r/tmp/junk"
	echo "vartemp" >"$r/var/tmp/junk"
	echo 123 >"$r/var/run/x.pid"
	# what was made here is the host's root's: the container's root's instead
	[ "$b" = 0 ] || find "$r/srv" "$r/tmp/junk" "$r/var/tmp/junk" "$r/var/run/x.pid" -uid 0 \
		-exec chown -h "$b:$b" {} + && chmod 4755 "$k/setuid" && chmod 2750 "$k/setgid"
	chown $((b + EX_BIG_U)):$((b + EX_BIG_G)) "$k/bigids"
	chown $((b + 1000)):$((b + 1000)) "$k/owned"
	touch -d '2001-02-03 04:05:06' "$k/owned"
	# after the chowns, which clear it
	setcap cap_net_raw+ep "$k/ping-cap"
}

# ex_check_kinds DIR: the checks a user would make, one by one, on the
# srv/kinds folder that ex_fill made, after it went through an archive.
ex_check_kinds() {
	local k=$1
	check_eq "setuid bit" "4755" "$(stat -c %a "$k/setuid")"
	check_match "file capability in security.capability (getcap)" "cap_net_raw[=+]ep" "$(getcap "$k/ping-cap")"
	check_eq "user xattr" "hello world" "$(getfattr --only-values -n user.boxes "$k/xattr" 2>/dev/null)"
	check_match "access ACL" "user:$((EX_BASE + 1234)):rw-" "$(getfacl -cn "$k/acl" 2>/dev/null)"
	check_match "default ACL of a folder" "default:user:$((EX_BASE + 1234)):rwx" "$(getfacl -cn "$k/acldir" 2>/dev/null)"
	check_eq "the hard link pair is one inode with 2 links" "$(stat -c %i:2 "$k/hard1")" "$(stat -c %i:%h "$k/hard2")"
	check_eq "a dangling symlink keeps its target" "/nonexistent/target" "$(readlink "$k/dangling")"
	[ "$EX_DEVICES" = yes ] && check_eq "char device 1:3" "character special file 1:3" "$(stat -c '%F %t:%T' "$k/null")"
	check_eq "fifo" "fifo" "$(stat -c %F "$k/fifo")"
}

# ex_compare A B: the two trees are equal file by file (type, mode, owners,
# size, mtime, symlink target, device, xattrs user.* and security.capability,
# ACLs, hard-link groups); prints the differences. EX_SKIP="./dev/ ..." leaves
# out what starts with those prefixes (an import skips ./dev/*, as pct restore).
# ex_compare --shift-a N A B: A is an unprivileged rootfs shifted by N on disk
# (its owners and ACL ids are compared as the container sees them).
ex_compare() {
	local shift=0
	[ "$1" = --shift-a ] && { shift=$2; shift 2; }
	EX_SHIFT_A=$shift python3 - "$1" "$2" <<'PY'
import os, stat, struct, sys
a, b = sys.argv[1], sys.argv[2]
SHIFT = int(os.environ["EX_SHIFT_A"])
SKIP = {"./etc/vzdump"}
PREFIXES = os.environ.get("EX_SKIP", "").split()
def walk(root):
    out = {}
    for d, dirs, files in os.walk(root):
        for n in dirs + files:
            p = os.path.join(d, n)
            rel = "./" + os.path.relpath(p, root)
            out[rel] = p
    return out
def unshift_acl(v, shift):
    # posix_acl xattr: a 4-byte version, then (tag u16, perm u16, id u32);
    # ids of named users (2) and groups (8)
    out = bytearray(v[:4])
    for i in range(4, len(v), 8):
        tag, perm, qid = struct.unpack("<HHI", v[i:i + 8])
        if tag in (2, 8):
            qid -= shift
        out += struct.pack("<HHI", tag, perm, qid)
    return bytes(out)
def xattrs(p, shift=0):
    res = {}
    try:
        names = os.listxattr(p, follow_symlinks=False)
    except OSError:
        return res
    for n in names:
        if n.startswith("user.") or n in ("security.capability", "system.posix_acl_access", "system.posix_acl_default"):
            res[n] = os.getxattr(p, n, follow_symlinks=False)
            if shift and n.startswith("system.posix_acl"):
                res[n] = unshift_acl(res[n], shift)
    return res
def desc(p, shift=0):
    st = os.lstat(p)
    d = dict(mode=oct(st.st_mode), uid=st.st_uid - shift, gid=st.st_gid - shift, xattrs=xattrs(p, shift))
    if not stat.S_ISDIR(st.st_mode):
        d["mtime"] = int(st.st_mtime)
    if stat.S_ISREG(st.st_mode):
        d["size"] = st.st_size
        d["nlink"] = st.st_nlink
        if st.st_size > 1 << 30:
            d["sparse"] = st.st_blocks * 512 < st.st_size // 100
    if stat.S_ISLNK(st.st_mode):
        d["target"] = os.readlink(p)
    if stat.S_ISCHR(st.st_mode) or stat.S_ISBLK(st.st_mode):
        d["rdev"] = st.st_rdev
    return d, (st.st_ino if stat.S_ISREG(st.st_mode) and st.st_nlink > 1 else None)
ta, tb = walk(a), walk(b)
bad = 0
for rel in sorted(set(ta) | set(tb)):
    if any(rel == s or rel.startswith(s + "/") for s in SKIP) or any(rel.startswith(p) for p in PREFIXES):
        continue
    # vzdump's excludes (./var/run/?*.pid also means ./run/*.pid: var/run points there)
    if rel.startswith("./tmp/") or rel.startswith("./var/tmp/") or \
            ((rel.startswith("./var/run/") or rel.startswith("./run/")) and rel.endswith(".pid")):
        continue
    if rel not in ta or rel not in tb:
        print("only in", "A" if rel in ta else "B", rel); bad += 1; continue
    da, ia = desc(ta[rel], SHIFT); db, ib = desc(tb[rel])
    if da != db:
        print("differs", rel, da, db); bad += 1
# hard-link groups: same partition of names
def groups(t):
    g = {}
    for rel, p in t.items():
        st = os.lstat(p)
        if stat.S_ISREG(st.st_mode) and st.st_nlink > 1:
            g.setdefault(st.st_ino, set()).add(rel)
    return sorted(sorted(v) for v in g.values())
if groups(ta) != groups(tb):
    print("hard links differ", groups(ta), groups(tb)); bad += 1
sys.exit(1 if bad else 0)
PY
}
