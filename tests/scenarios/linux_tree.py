"""Checks on the prepared Linux tree (scripts/build-linux), run by run.py.

drivers/ in build/linux-VERSION/src must be byte-identical to the Debian
tarball's: the LDC reuses Linux's drivers unmodified, so every file under
drivers/ is compared with the tarball's copy, and the tree may hold no file
there that the tarball lacks.
"""
import hashlib
import os
import tarfile


def drivers_identical(src, tarball):
    """(passed, failed, log) for one version's tree."""
    if not os.path.isdir(os.path.join(src, "drivers")):
        return [], [f"{src}/drivers is missing: the Linux tree was not prepared"], ""
    want = {}
    prefix = None
    with tarfile.open(tarball, "r:xz") as tf:
        for member in tf:
            name = member.name
            if prefix is None:
                prefix = name.split("/", 1)[0] + "/"
            if not name.startswith(prefix + "drivers/") or not (member.isfile() or member.issym()):
                continue
            rel = name[len(prefix):]
            if member.issym():
                want[rel] = ("link", member.linkname)
            else:
                want[rel] = ("file", hashlib.sha256(tf.extractfile(member).read()).hexdigest())
    have = {}
    for root, _, files in os.walk(os.path.join(src, "drivers")):
        for f in files:
            path = os.path.join(root, f)
            rel = os.path.relpath(path, src)
            if os.path.islink(path):
                have[rel] = ("link", os.readlink(path))
            else:
                with open(path, "rb") as fh:
                    have[rel] = ("file", hashlib.sha256(fh.read()).hexdigest())
    differ = sorted(k for k in want if k in have and have[k] != want[k])
    missing = sorted(k for k in want if k not in have)
    extra = sorted(k for k in have if k not in want)
    log = (f"{len(want)} entries under drivers/ in {tarball}; {len(have)} in {src}\n"
           f"differ: {differ[:20]}\nmissing: {missing[:20]}\nextra: {extra[:20]}\n")
    name = "drivers/ in the prepared tree is byte-identical to the Debian tarball's"
    if want and not differ and not missing and not extra:
        return [f"{name} ({len(want)} files)"], [], log
    return [], [f"{name}: {len(differ)} differ, {len(missing)} missing, {len(extra)} extra "
                f"(e.g. {(differ + missing + extra)[:3]})"], log


def only_entry_points(linux_o, nm="aarch64-linux-gnu-nm"):
    """(passed, failed, log): linux.o defines no global symbol but DC-base's
    entry points (dc_linux_*), so Linux's own memcpy, printk... cannot clash
    with picolibc or DC-base."""
    import subprocess
    if not os.path.isfile(linux_o):
        return [], [f"{linux_o} is missing"], ""
    out = subprocess.run([nm, "-g", "--defined-only", linux_o], capture_output=True, text=True).stdout
    syms = [line.split()[-1] for line in out.splitlines() if line.strip()]
    bad = [s for s in syms if not s.startswith("dc_linux_")]
    name = "linux.o's only global symbols are the dc_linux_* entry points"
    if syms and not bad:
        return [f"{name} ({', '.join(sorted(syms))})"], [], out
    return [], [f"{name}: also {bad[:5]}" if bad else f"{name}: none found"], out
