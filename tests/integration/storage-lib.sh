# Helpers for 10-storage.sh, sourced after lib.sh.

# st_compare TARBALL TREE [ID_SHIFT]: every member of the tarball (gzip or
# plain) is in TREE as the listing says: type, mode (setuid/setgid/sticky
# too), owner (+ ID_SHIFT), mtime of non-folders, content of regular files
# (size and sparseness for those over 64 MiB), symlink target, hard link to
# the same inode, device numbers, xattrs (security.capability, user.*) and
# ACLs; and TREE holds nothing the tarball does not, apart from the
# identity files box create writes (/etc/hostname; /etc/hosts and
# /etc/resolv.conf keep owner and mode but not content or mtime). Prints the
# differences, fails if any.
st_compare() {
	python3 - "$1" "$2" "${3:-0}" <<'PY'
import hashlib, os, stat, sys, tarfile
tarball, root, shift = sys.argv[1], sys.argv[2], int(sys.argv[3])
IDENTITY = {"etc/hostname", "etc/hosts", "etc/resolv.conf"}
bad = []
def norm(n):
    n = n[2:] if n.startswith("./") else n
    return "" if n in (".", "") else n.rstrip("/")
def raw(v):
    return v.encode("utf-8", "surrogateescape")
def acl_text(blob):
    # system.posix_acl_* xattr: version 2, then (tag u16, perm u16, id u32)
    tags = {1: "user", 2: "user", 4: "group", 8: "group", 0x10: "mask", 0x20: "other"}
    out = []
    for i in range(4, len(blob), 8):
        tag = int.from_bytes(blob[i:i + 2], "little")
        perm = int.from_bytes(blob[i + 2:i + 4], "little")
        qid = int.from_bytes(blob[i + 4:i + 8], "little")
        q = str(qid - shift) if tag in (2, 8) else ""
        p = ("r" if perm & 4 else "-") + ("w" if perm & 2 else "-") + ("x" if perm & 1 else "-")
        out.append("%s:%s:%s" % (tags.get(tag, "?"), q, p))
    return sorted(out)
def tar_acl(text):
    return sorted(l for l in text.split("\n") if l)
seen = set()
t = tarfile.open(tarball)
for m in t:
    rel = norm(m.name)
    seen.add(rel)
    p = os.path.join(root, rel) if rel else root
    try:
        st = os.lstat(p)
    except OSError as e:
        bad.append("missing %s (%s)" % (rel or ".", e.strerror)); continue
    want_type = {tarfile.REGTYPE: stat.S_IFREG, tarfile.AREGTYPE: stat.S_IFREG, tarfile.LNKTYPE: stat.S_IFREG,
                 tarfile.DIRTYPE: stat.S_IFDIR, tarfile.SYMTYPE: stat.S_IFLNK, tarfile.CHRTYPE: stat.S_IFCHR,
                 tarfile.BLKTYPE: stat.S_IFBLK, tarfile.FIFOTYPE: stat.S_IFIFO}[m.type]
    if stat.S_IFMT(st.st_mode) != want_type:
        bad.append("%s: type %o, tarball says %o" % (rel, stat.S_IFMT(st.st_mode), want_type)); continue
    if m.islnk():
        tgt = os.path.join(root, norm(m.linkname))
        if not os.path.exists(tgt) or os.lstat(tgt).st_ino != st.st_ino:
            bad.append("%s: not a hard link to %s" % (rel, m.linkname))
        continue
    if (st.st_uid, st.st_gid) != (m.uid + shift, m.gid + shift):
        bad.append("%s: owner %d:%d, want %d:%d" % (rel, st.st_uid, st.st_gid, m.uid + shift, m.gid + shift))
    if not m.issym() and stat.S_IMODE(st.st_mode) != m.mode & 0o7777:
        bad.append("%s: mode %o, want %o" % (rel, stat.S_IMODE(st.st_mode), m.mode & 0o7777))
    if not m.isdir() and rel not in IDENTITY and int(st.st_mtime) != int(m.mtime):
        bad.append("%s: mtime %d, want %d" % (rel, st.st_mtime, m.mtime))
    if m.issym() and os.readlink(p) != m.linkname:
        bad.append("%s: points to %s, want %s" % (rel, os.readlink(p), m.linkname))
    if m.ischr() or m.isblk():
        if (os.major(st.st_rdev), os.minor(st.st_rdev)) != (m.devmajor, m.devminor):
            bad.append("%s: device %d:%d, want %d:%d" % (rel, os.major(st.st_rdev), os.minor(st.st_rdev),
                                                        m.devmajor, m.devminor))
    if m.isreg() and rel not in IDENTITY:
        if st.st_size != m.size:
            bad.append("%s: size %d, want %d" % (rel, st.st_size, m.size))
        elif m.size > 64 << 20:
            if m.sparse and st.st_blocks * 512 > m.size // 100:
                bad.append("%s: sparse in the tarball, %d blocks on disk" % (rel, st.st_blocks))
        else:
            h1 = hashlib.sha256(t.extractfile(m).read()).hexdigest()
            with open(p, "rb") as f:
                h2 = hashlib.sha256(f.read()).hexdigest()
            if h1 != h2:
                bad.append("%s: content differs" % rel)
    # xattrs the archive carries (ACLs are compared as ACLs below)
    for k, v in m.pax_headers.items():
        if not k.startswith("SCHILY.xattr.") or "posix_acl" in k:
            continue
        name = k[len("SCHILY.xattr."):]
        try:
            got = os.getxattr(p, name, follow_symlinks=False)
        except OSError:
            got = None
        if got != raw(v):
            bad.append("%s: xattr %s is %r, want %r" % (rel, name, got, raw(v)))
    for key, xname in (("SCHILY.acl.access", "system.posix_acl_access"),
                       ("SCHILY.acl.default", "system.posix_acl_default")):
        if key not in m.pax_headers:
            continue
        try:
            got = acl_text(os.getxattr(p, xname, follow_symlinks=False))
        except OSError:
            got = None
        want = tar_acl(m.pax_headers[key])
        # an access ACL of only the owner/group/other entries is the mode itself
        if got is None and key.endswith("access") and len(want) <= 3:
            continue
        if got != want:
            bad.append("%s: %s is %s, want %s" % (rel, xname, got, want))
for d, dirs, files in os.walk(root):
    for n in dirs + files:
        rel = os.path.relpath(os.path.join(d, n), root)
        if rel not in seen and rel not in IDENTITY:
            bad.append("extra %s" % rel)
for b in bad[:40]:
    print(b)
if len(bad) > 40:
    print("... %d more" % (len(bad) - 40))
sys.exit(1 if bad else 0)
PY
}

# st_snapshot DIR: a listing of everything below DIR (names, types, modes,
# owners, sizes, mtimes, content hashes), to tell whether anything changed.
st_snapshot() {
	(cd "$1" && find . -printf '%p %y %m %U:%G %s %T@ %l\n' | sort && find . -type f -exec sha256sum {} + | sort)
}

# st_leftovers NAME: what a failed create of NAME could have left behind:
# its state folder, temporaries of the rootfs or of the template cache, a
# runtime folder. Prints them; nothing when clean.
st_leftovers() {
	local s=${BOX_STATE_DIR:-$BOX_ROOT/var/lib/boxes}
	[ -e "$s/$1" ] && echo "state folder $s/$1: $(ls -A "$s/$1" | tr '\n' ' ')"
	find "$s" -maxdepth 1 -name ".$1.*" -printf 'trash %p\n'
	find "$s/templates/.cache" -maxdepth 1 -name '.tmp*' -printf 'cache temporary %p\n' 2>/dev/null
	[ -e "$BOX_ROOT/run/boxes/$1" ] && echo "runtime folder $BOX_ROOT/run/boxes/$1"
	return 0
}

# st_cache: the entries of the template cache (keys and memos).
st_cache() {
	local s=${BOX_STATE_DIR:-$BOX_ROOT/var/lib/boxes}
	ls -A "$s/templates/.cache" 2>/dev/null | tr '\n' ' '
}
