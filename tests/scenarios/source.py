"""Checks on the source tree that need no QEMU: every IPC label a protocol
header defines is in lib/src/labels.c, whose switch turns two equal labels
into a compile error (hm/proto.h): a label left out of it would escape that
check."""
import glob
import os
import re
import subprocess

from harness.scenario import Scenario

ROOT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..")
DEFINE = re.compile(r"^#define\s+(HM_\w+)\s+HM_LABEL\(", re.M)


def labels(ctx):
    defined = {}
    for path in sorted(glob.glob(os.path.join(ROOT, "lib", "include", "hm", "*.h"))):
        with open(path) as f:
            for name in DEFINE.findall(f.read()):
                defined[name] = os.path.relpath(path, ROOT)
    with open(os.path.join(ROOT, "lib", "src", "labels.c")) as f:
        cases = set(re.findall(r"case\s+(HM_\w+)\s*:", f.read()))
    missing = sorted(n for n in defined if n not in cases)
    log = f"{len(defined)} labels defined, {len(cases)} cases in lib/src/labels.c\nmissing: {missing}\n"
    name = f"every label the protocol headers define ({len(defined)}) is a case in lib/src/labels.c"
    if defined and not missing:
        return [name], [], log
    return [], [f"{name}: missing {', '.join(f'{n} ({defined[n]})' for n in missing) or 'all'}"], log


SCENARIOS = [Scenario(name="labels", title="protocol labels (one registry, no two alike)", local=labels, linux=False,
                      log="labels.log")]


def ufs_images(ctx):
    """make's ufs-check: images QEMU's UFS logical units cannot take as
    they are are refused before QEMU starts, with what to do; good ones
    pass (UFS= as make run takes it)"""
    d = os.path.abspath(os.path.join(ctx.build, "test-disks"))
    os.makedirs(d, exist_ok=True)
    cases = {"odd": 4096 * 16 + 512, "empty": 0, "good": 4096 * 16, "good2": 1 << 20}
    for name, size in cases.items():
        with open(os.path.join(d, f"ufs-{name}.img"), "wb") as f:
            f.truncate(size)
    p = lambda n: os.path.join(d, f"ufs-{n}.img")   # noqa: E731

    def check(ufs):
        r = subprocess.run(["make", "-s", "--no-print-directory", "-C", ROOT, f"B={os.path.abspath(ctx.build)}", "ufs-check",
                            f"UFS={ufs}"], capture_output=True, text=True)
        return r.returncode, r.stdout + r.stderr
    want = [
        ("an image that is not a multiple of 4096 bytes is refused, saying why", p("odd"), False,
         f"is {cases['odd']} bytes; a UFS logical unit has 4096-byte blocks"),
        ("an empty image is refused", p("empty"), False, "is 0 bytes"),
        ("a missing image is refused, saying how to make one", p("missing"), False, "does not exist"),
        ("a bad image among good ones is refused", f"{p('good')},{p('odd')}", False, f"is {cases['odd']} bytes"),
        ("nine images are refused (at most 8 logical units)", ",".join([p("good")] * 9), False, "at most 8 logical units"),
        ("two good images pass", f"{p('good')},{p('good2')}", True, ""),
    ]
    passed, failed, log = [], [], ""
    for name, ufs, ok, text in want:
        rc, out = check(ufs)
        log += f"$ make ufs-check UFS={ufs}\n{out}(exit {rc})\n"
        (passed if (rc == 0) == ok and text in out else failed).append(name)
    return passed, failed, log


SCENARIOS.append(Scenario(name="ufs-images", title="make run's UFS image checks (before QEMU starts)", local=ufs_images,
                          linux=False, log="ufs-images.log"))
