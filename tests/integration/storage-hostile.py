#!/usr/bin/env python3
"""Writes hostile template tarballs for 10-storage.sh.

usage: storage-hostile.py OUTDIR CANARY_DIR

CANARY_DIR is an absolute folder outside every target, holding the file
"victim"; each archive tries to create, overwrite or link something there.
Every archive starts with a harmless "./" and "./etc/" so that a refusal
can only come from the hostile entry. One archive per file:

  dotdot.tar          ../../(...)/CANARY_DIR/victim, a regular file
  dotdot-inner.tar    ./etc/../../(...)/CANARY_DIR/victim
  absolute.tar        /CANARY_DIR/victim
  symlink-root.tar    ./escape -> /, then ./escape/CANARY_DIR/victim
  symlink-rel.tar     ./escape -> ../../(...)/.., then ./escape/CANARY_DIR/victim
  symlink-dir.tar     ./escape -> CANARY_DIR, then the folder ./escape/newdir/
  symlink-swap.tar    ./escape/ as a folder, then ./escape -> CANARY_DIR,
                      then ./escape/victim
  hardlink-abs.tar    ./hl hard link to /CANARY_DIR/victim, with data
  hardlink-dotdot.tar ./hl hard link to ../(...)/CANARY_DIR/victim, with data
  hardlink-symlink.tar ./escape -> CANARY_DIR, then ./hl hard link to
                      escape/victim, with data
  root-symlink.tar    "." itself as a symlink to CANARY_DIR, then ./victim
  device.tar          ./dev/sda, a block device 8:0 (refused when unprivileged)
  etc-symlink.tar     ./etc -> CANARY_DIR: the identity (hostname, hosts) must not
                      be written there (a valid archive: neutralised, not refused)
  hostname-symlink.tar ./etc/hostname -> CANARY_DIR/victim, ./etc/hosts ->
                      ../../(...)/CANARY_DIR/victim (neutralised too)
"""
import io
import os
import sys
import tarfile

out, canary = sys.argv[1], sys.argv[2].rstrip("/")
rel = canary.lstrip("/")
up = "../" * 40


def base(t):
    for name in (".", "./etc"):
        ti = tarfile.TarInfo(name)
        ti.type = tarfile.DIRTYPE
        ti.mode = 0o755
        t.addfile(ti)


def reg(t, name, data=b"pwned\n", mode=0o644):
    ti = tarfile.TarInfo(name)
    ti.size = len(data)
    ti.mode = mode
    t.addfile(ti, io.BytesIO(data))


def sym(t, name, target):
    ti = tarfile.TarInfo(name)
    ti.type = tarfile.SYMTYPE
    ti.linkname = target
    t.addfile(ti)


def hard(t, name, target, data=b"pwned\n"):
    # a hard link entry that carries data: libarchive writes it into the
    # linked file, which is what makes this attack overwrite files
    ti = tarfile.TarInfo(name)
    ti.type = tarfile.LNKTYPE
    ti.linkname = target
    ti.size = len(data)
    t.addfile(ti, io.BytesIO(data))


def folder(t, name):
    ti = tarfile.TarInfo(name)
    ti.type = tarfile.DIRTYPE
    ti.mode = 0o755
    t.addfile(ti)


def write(name, body, with_base=True):
    with tarfile.open(os.path.join(out, name), "w", format=tarfile.PAX_FORMAT) as t:
        if with_base:
            base(t)
        body(t)


write("dotdot.tar", lambda t: reg(t, up + rel + "/victim"))
write("dotdot-inner.tar", lambda t: reg(t, "./etc/" + up + rel + "/victim"))
write("absolute.tar", lambda t: reg(t, canary + "/victim"))
write("symlink-root.tar", lambda t: (sym(t, "./escape", "/"), reg(t, "./escape/" + rel + "/victim")))
write("symlink-rel.tar", lambda t: (sym(t, "./escape", up.rstrip("/")), reg(t, "./escape/" + rel + "/victim")))
write("symlink-dir.tar", lambda t: (sym(t, "./escape", canary), folder(t, "./escape/newdir")))
write("symlink-swap.tar",
      lambda t: (folder(t, "./escape"), sym(t, "./escape", canary), reg(t, "./escape/victim")))
write("hardlink-abs.tar", lambda t: hard(t, "./hl", canary + "/victim"))
write("hardlink-dotdot.tar", lambda t: hard(t, "./hl", up + rel + "/victim"))
write("hardlink-symlink.tar", lambda t: (sym(t, "./escape", canary), hard(t, "./hl", "escape/victim")))


def root_symlink(t):
    sym(t, ".", canary)
    reg(t, "./victim")


write("root-symlink.tar", root_symlink, with_base=False)


def device(t):
    folder(t, "./dev")
    ti = tarfile.TarInfo("./dev/sda")
    ti.type = tarfile.BLKTYPE
    ti.mode = 0o660
    ti.devmajor, ti.devminor = 8, 0
    t.addfile(ti)


write("device.tar", device)


def etc_symlink(t):
    ti = tarfile.TarInfo(".")
    ti.type = tarfile.DIRTYPE
    ti.mode = 0o755
    t.addfile(ti)
    sym(t, "./etc", canary)


write("etc-symlink.tar", etc_symlink, with_base=False)
write("hostname-symlink.tar",
      lambda t: (sym(t, "./etc/hostname", canary + "/victim"), sym(t, "./etc/hosts", up + rel + "/victim")))
