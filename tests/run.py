#!/usr/bin/env python3
"""hm test runner: host unit tests and QEMU system tests, one summary line.

Host tests are the binaries build/host/test_*; system tests are the programs
tests/system/kt_*.c (except the helper), each booted in its own QEMU with
`-append hm.run=NAME` so init runs it and powers off. Every case prints
"ok - ..." or "not ok - ..."; a program must also print "# done NAME" or it
counts as crashed/hung. A kernel panic fails the boot. The last line is
"N passed, M failed"; the exit status is non-zero when anything failed.
"""
import argparse
import glob
import hashlib
import random
import os
import re
import subprocess
import sys
import time

CASE = re.compile(r"^(ok|not ok) - (.*)$")


def parse(out, label):
    passed, failed = [], []
    for line in out.splitlines():
        m = CASE.match(line.strip("\r"))
        if m:
            (passed if m.group(1) == "ok" else failed).append(m.group(2))
    return passed, failed


def run_host(path, timeout):
    name = os.path.basename(path)
    try:
        p = subprocess.run([path], capture_output=True, text=True, timeout=timeout)
        out, rc = p.stdout + p.stderr, p.returncode
    except subprocess.TimeoutExpired as e:
        out, rc = (e.stdout or b"").decode(errors="replace") if isinstance(e.stdout, bytes) else (e.stdout or ""), -1
        out += f"\n{name}: timed out after {timeout}s"
    passed, failed = parse(out, name)
    if rc != 0 and not failed:
        failed.append(f"{name}: exit status {rc}")
    if not passed and not failed:
        failed.append(f"{name}: printed no result")
    return passed, failed, out


def run_qemu(qemu, build, name, timeout, extra, append=None):
    cmd = qemu.split() + ["-kernel", f"{build}/hm.bin", "-initrd", f"{build}/boot-test.img",
                          "-append", append or f"hm.run={name}", "-display", "none", "-monitor", "none",
                          "-serial", "stdio", "-no-reboot"] + extra
    t0 = time.time()
    try:
        p = subprocess.run(cmd, capture_output=True, timeout=timeout, stdin=subprocess.DEVNULL)
        out = p.stdout.decode(errors="replace") + p.stderr.decode(errors="replace")
        hung = False
    except subprocess.TimeoutExpired as e:
        out = (e.stdout or b"").decode(errors="replace")
        hung = True
    passed, failed = parse(out, name)
    if "KERNEL PANIC" in out:
        failed.append(f"{name}: kernel panic")
    if f"# done {name[3:]}" not in out:
        failed.append(f"{name}: did not finish" + (f" (no power-off within {timeout}s)" if hung else ""))
    elif hung or "hm: power off" not in out:
        failed.append(f"{name}: finished but the system did not power off (init never saw it exit)")
    return passed, failed, out, time.time() - t0


PATTERN_OFF, PATTERN_LEN = 1024 * 1024 + 4096, 8192


def vblk_setup(build, variant):
    """A 4 MiB random disk for kt_vblk; after the run the host checks that
    exactly the test's pattern was written and nothing else changed."""
    os.makedirs(f"{build}/test-disks", exist_ok=True)
    path = f"{build}/test-disks/vblk-{variant}.img"
    data = bytes(random.Random(42).getrandbits(8) for _ in range(4 * 1024 * 1024))
    with open(path, "wb") as f:
        f.write(data)
    extra = ["-drive", f"if=none,id=hd0,file={path},format=raw,cache=writeback",
             "-device", "virtio-blk-device,drive=hd0"]
    if variant == "modern":
        extra += ["-global", "virtio-mmio.force-legacy=false"]
    append = f"hm.run=kt_vblk:{len(data)}:{hashlib.sha256(data).hexdigest()}"
    pattern = bytes((i * 7 + 3) & 0xff for i in range(PATTERN_LEN))
    expect = data[:PATTERN_OFF] + pattern + data[PATTERN_OFF + PATTERN_LEN:]

    def post():
        with open(path, "rb") as f:
            now = f.read()
        if now == expect:
            return [f"vblk {variant}: host image holds exactly the written pattern"], []
        diff = [i for i in range(0, len(now), 4096) if now[i:i + 4096] != expect[i:i + 4096]]
        return [], [f"vblk {variant}: host image differs in 4 KiB blocks {diff[:8]}"]
    return extra, append, post


def small_disk(build, variant):
    """Any block device, for tests that only need one to exist."""
    os.makedirs(f"{build}/test-disks", exist_ok=True)
    path = f"{build}/test-disks/small.img"
    with open(path, "wb") as f:
        f.truncate(1024 * 1024)
    return ["-drive", f"if=none,id=hd0,file={path},format=raw", "-device", "virtio-blk-device,drive=hd0"], None, None


# system tests that need devices: name -> list of (variant, setup function)
SETUPS = {"kt_vblk": [("legacy", vblk_setup), ("modern", vblk_setup)],
          "kt_dm": [("disk", small_disk)]}


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--build", default="build")
    ap.add_argument("--qemu", required=True)
    ap.add_argument("--timeout", type=int, default=120)
    ap.add_argument("--only", default="", help="comma-separated test names (host or system)")
    ap.add_argument("--gic", default="2,3", help="GIC versions to run the system tests on")
    ap.add_argument("-v", "--verbose", action="store_true")
    args = ap.parse_args()
    only = set(filter(None, args.only.split(",")))
    total_pass, total_fail = 0, 0
    logdir = os.path.join(args.build, "test-logs")
    os.makedirs(logdir, exist_ok=True)

    def report(title, passed, failed, out, logname):
        nonlocal total_pass, total_fail
        total_pass += len(passed)
        total_fail += len(failed)
        with open(os.path.join(logdir, logname), "w") as f:
            f.write(out)
        status = "ok" if not failed else "FAIL"
        print(f"{status:4} {title}: {len(passed)} passed, {len(failed)} failed")
        for f_ in failed:
            print(f"     not ok - {f_}")
        if failed or args.verbose:
            print(f"     log: {os.path.join(logdir, logname)}")
        sys.stdout.flush()

    for path in sorted(glob.glob(os.path.join(args.build, "host", "test_*"))):
        name = os.path.basename(path)
        if only and name not in only:
            continue
        passed, failed, out = run_host(path, args.timeout)
        report(f"host {name}", passed, failed, out, name + ".log")

    here = os.path.dirname(os.path.abspath(__file__))
    names = sorted(os.path.basename(p)[:-2] for p in glob.glob(os.path.join(here, "system", "kt_*.c")))
    names = [n for n in names if n != "kt_helper" and (not only or n in only)]
    # the default boot: init reads boot.conf from the boot image and runs what it names
    if not only or "boot-default" in only:
        disk, _, _ = small_disk(args.build, "")
        cmd = args.qemu.split() + ["-kernel", f"{args.build}/hm.bin", "-initrd", f"{args.build}/boot-default.img",
                                   "-display", "none", "-monitor", "none", "-serial", "stdio", "-no-reboot"] + disk
        try:
            out = subprocess.run(cmd, capture_output=True, timeout=args.timeout,
                                 stdin=subprocess.DEVNULL).stdout.decode(errors="replace")
        except subprocess.TimeoutExpired as e:
            out = (e.stdout or b"").decode(errors="replace")
        expect = [("devmgr starts the disk's driver container", "devmgr: virtio-mmio@a003e00: virtio_blk in ndc0"),
                  ("lsdev lists the disk with driver, container and state",
                   "virtio-mmio@a003e00      virtio,mmio            block     virtio_blk   ndc0      running"),
                  ("init runs boot.conf's program", "init: started hello"),
                  ("program output reaches the console", "hello from hello"),
                  ("init reports the exit status", "init: hello exited with status 0"),
                  ("PSCI power-off ends QEMU", "hm: power off")]
        passed = [f"boot-default: {n}" for n, s in expect if s in out]
        failed = [f"boot-default: {n} (missing '{s}')" for n, s in expect if s not in out]
        report("qemu boot-default", passed, failed, out, "boot-default.log")

    for gic in args.gic.split(","):
        qemu = re.sub(r"gic-version=\d", f"gic-version={gic}", args.qemu)
        for name in names:
            for variant, setup in SETUPS.get(name, [("", None)]):
                extra, append, post = setup(args.build, variant) if setup else ([], None, None)
                passed, failed, out, secs = run_qemu(qemu, args.build, name, args.timeout, extra, append)
                if post:
                    p2, f2 = post()
                    passed, failed = passed + p2, failed + f2
                tag = f"GICv{gic}" + (f" {variant}" if variant else "")
                report(f"qemu {name} ({tag}, {secs:.1f}s)", [f"{tag} {p}" for p in passed],
                       [f"{tag} {f}" for f in failed], out, f"{name}-gicv{gic}{'-' + variant if variant else ''}.log")

    print(f"{total_pass} passed, {total_fail} failed")
    return 1 if total_fail or total_pass == 0 else 0


if __name__ == "__main__":
    sys.exit(main())
