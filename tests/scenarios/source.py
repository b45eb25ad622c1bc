"""Checks on the source tree that need no QEMU: every IPC label a protocol
header defines is in lib/src/labels.c, whose switch turns two equal labels
into a compile error (hm/proto.h): a label left out of it would escape that
check."""
import glob
import os
import re

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
