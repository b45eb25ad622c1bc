"""Checks on the Linux runtime that need no QEMU: the prepared tree's
drivers are Debian's, unmodified, and linux.o exports only DC-base's entry
points (linux_tree.py, per version); DC-base and the board files do not
depend on the Linux version, and docs/upgrading-linux.md's table matches
the tree (scripts/linux-versions, once)."""
import os
import shutil
import subprocess
import tempfile

from harness.scenario import Scenario
from scenarios import linux_tree

ROOT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..")


def tree(ctx):
    src = os.path.join(ctx.build, f"linux-{ctx.linux}", "src")
    passed, failed, out = linux_tree.drivers_identical(src, f"/usr/src/linux-source-{ctx.linux}.tar.xz")
    p2, f2, out2 = linux_tree.only_entry_points(os.path.join(ctx.build, f"linux-{ctx.linux}", "linux.o"))
    return passed + p2, failed + f2, out + out2


def versions(ctx):
    script = os.path.join(ROOT, "scripts", "linux-versions")
    doc = os.path.join(ROOT, "docs", "upgrading-linux.md")
    passed, failed, out = [], [], ""
    r = subprocess.run([script, "--check", doc], capture_output=True, text=True)
    out += r.stdout + r.stderr
    (passed if r.returncode == 0 else failed).append(
        "the tree has no Linux-version dependence outside arch/hm and the doc's table matches it")
    # the same check on a copy whose DC-base has a version conditional must fail and name it
    with tempfile.TemporaryDirectory() as tmp:
        for sub in ("dcbase", "boards", "linux-arch-hm", "patches", "docs"):
            shutil.copytree(os.path.join(ROOT, sub), os.path.join(tmp, sub))
        with open(os.path.join(tmp, "dcbase", "host.c"), "a") as f:
            f.write("#if LINUX_VERSION_CODE >= KERNEL_VERSION(6, 12, 0)\n#endif\n")
        r = subprocess.run([script, "--root", tmp, "--check", os.path.join(tmp, "docs", "upgrading-linux.md")],
                           capture_output=True, text=True)
        out += r.stdout + r.stderr
        (passed if r.returncode != 0 and "dcbase/host.c" in r.stderr else failed).append(
            "a Linux version conditional put into DC-base fails the check, which names the line")
    return passed, failed, out


SCENARIOS = [
    Scenario(name="linux-versions", title="linux versions (DC-base unchanged, upgrading-linux.md table)",
             local=versions, linux=False, log="linux-versions.log"),
    Scenario(name="linux-tree", title=lambda ctx: f"linux tree {ctx.linux}", local=tree, log="linux-tree.log"),
]
