#!/usr/bin/env python3
"""hm test runner: host unit tests, then every scenario (tests/scenarios/)
once per configuration that can change its outcome, one report line each,
and the closing line "N passed, M failed" (exit status non-zero when
anything failed).

Configurations: a scenario that involves Linux (a Linux driver container)
runs once per Linux version (--linux), on the GIC the QEMU command names
(make's GIC, 2 by default), or on each GIC (--gic) if it exercises the
interrupt controller too; one that does not involve Linux runs once, or
once per GIC. docs/testing.md says what each scenario checks and how the
count is made.
"""
import argparse
import glob
import os
import re
import subprocess
import sys
import time
from dataclasses import dataclass

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from harness.qemu import Machine                      # noqa: E402
from harness.report import Report                     # noqa: E402
from harness.scenario import execute, tap             # noqa: E402
from scenarios import ALL                             # noqa: E402


@dataclass
class Ctx:
    """what a scenario's setup and checks may ask about the run"""
    build: str
    linux: str          # the Linux version whose boot images run ("" if none)
    gic: str
    twin: bool          # make test TWIN=1: boot-default boots the twin board
    stress: int         # faultstress: faults of each kind into each container
    fuzz_calls: int     # fuzz-services: the fuzzer's calls
    seed: int
    only: set


def run_host(path, timeout):
    """a host unit test binary: (passed, failed, output)"""
    name = os.path.basename(path)
    try:
        p = subprocess.run([path], capture_output=True, text=True, timeout=timeout)
        out, rc = p.stdout + p.stderr, p.returncode
    except subprocess.TimeoutExpired as e:
        out = e.stdout.decode(errors="replace") if isinstance(e.stdout, bytes) else (e.stdout or "")
        out, rc = out + f"\n{name}: timed out after {timeout}s", -1
    passed, failed = tap(out)
    if rc != 0 and not failed:
        failed.append(f"{name}: exit status {rc}")
    if not passed and not failed:
        failed.append(f"{name}: printed no result")
    return passed, failed, out


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--build", default="build")
    ap.add_argument("--qemu", required=True, help="the QEMU command and machine (-M virt,gic-version=N ...)")
    ap.add_argument("--timeout", type=int, default=0, help="a time limit per boot instead of each scenario's own")
    ap.add_argument("--only", default="", help="comma-separated names: host tests, scenarios or their groups")
    ap.add_argument("--gic", default="2,3", help="GIC versions per-GIC scenarios run on")
    ap.add_argument("--linux", default="6.1 6.12", help="Linux versions (build/linux-V/boot-*.img)")
    ap.add_argument("--twin", action="store_true", help="boot-default boots the twin board (make test TWIN=1)")
    ap.add_argument("--stress", type=int, default=50,
                    help="faultstress: faults of each kind into each container (make stress: 170)")
    ap.add_argument("--fuzz-calls", type=int, default=100000,
                    help="fuzz-services: the fuzzer's calls (make stress: 10000000)")
    ap.add_argument("--seed", type=int, default=1, help="faultstress and fuzz: the seed")
    ap.add_argument("--list", action="store_true", help="list the runs this would make, and stop")
    ap.add_argument("-v", "--verbose", action="store_true")
    args = ap.parse_args()
    only = set(filter(None, args.only.split(",")))
    versions = args.linux.split()
    gics = args.gic.split(",")
    m = re.search(r"gic-version=(\d)", args.qemu)
    default_gic = m.group(1) if m else "2"
    logdir = os.path.join(args.build, "test-logs")
    report = Report(logdir, args.verbose)

    def images(ver):
        return {"default": os.path.join(args.build, f"linux-{ver}", "boot-default.img"),
                "test": os.path.join(args.build, f"linux-{ver}", "boot-test.img")}

    # every (scenario, Linux version or "", GIC) to run, in order: what does
    # not involve Linux first, then each version's
    runs = []
    for scn in ALL:
        if scn.selected(only) and not scn.linux:
            for gic in (gics if scn.per_gic else [default_gic]):
                runs.append((scn, "", gic))
    for ver in versions:
        for scn in ALL:
            if scn.selected(only) and scn.linux:
                for gic in (gics if scn.per_gic else [default_gic]):
                    runs.append((scn, ver, gic))
    if args.list:
        for scn, ver, gic in runs:
            print(f"{scn.name} linux={ver or '-'} gic={gic}")
        return 0

    for path in sorted(glob.glob(os.path.join(args.build, "host", "test_*"))):
        name = os.path.basename(path)
        if only and name not in only:
            continue
        t0 = time.time()
        passed, failed, out = run_host(path, 120)
        report.add(f"host {name}", passed, failed, out, name + ".log", time.time() - t0)

    for scn, ver, gic in runs:
        ctx = Ctx(build=args.build, linux=ver or versions[0], gic=gic, twin=args.twin, stress=args.stress,
                  fuzz_calls=args.fuzz_calls, seed=args.seed, only=only)
        qemu = re.sub(r"gic-version=\d", f"gic-version={gic}", args.qemu)
        machine = Machine(qemu, args.build, images(ctx.linux))
        if args.timeout:
            scn.timeout = args.timeout
        passed, failed, out, secs = execute(scn, machine, ctx)
        title = scn.title_for(ctx)
        tags = [f"GICv{gic}"] if scn.per_gic else []
        log = scn.log or f"{scn.name}.log"
        if scn.per_gic:
            log = log[:-4] + f"-gicv{gic}.log"
        if ver:
            title = f"[{ver}] {title}"
            log = f"linux-{ver}/{log}"
        if tags:
            title += f" ({', '.join(tags)})"
        report.add(title, passed, failed, out, log, secs)
    return report.close()


if __name__ == "__main__":
    sys.exit(main())
