"""The shell's IPC fuzzer (user/sh/fuzz.c, docs/reliability.md "Fuzzing"):
random system calls (fuzz_sys.c: call, receive and reply among them, with
handles of every type and right, or just closed; each result checked
against docs/syscalls.md's EBADH, ETYPE, EPERM order) and random and
mutated requests, seeded, to every service a client can reach:
devmgr (the shell's client handle, without the fault right), vfs, and each
/dev node's driver: DC-base (ldc0's virtio-mmio disk with vtwin behind its
sessions, ldc1's UFS disk with utwin behind them, its NVMe and SD disks,
the NVMe controller's and namespace's character devices, ldc0's RTC,
entropy source and keyboard), and ndc on
the native board. Every answer is checked against the caller's rights (a
request it may not make never succeeds; within the target's own protocol
it is EPERM); no service may die (a call finding its server gone, a
container restart, devmgr or vfs silent afterwards: a crash). The fuzzer
never writes a disk: afterwards each disk still serves a new session whose
hash is the host's, and every host image is byte for byte what the host
wrote before the boot. The inputs stop at the services' own checks or reach
DC-base's Linux only through requests that read (INFO, IOCTL, ATTACH and
DETACH of sessions, opens of character devices), so the scenarios run once,
not per Linux version."""
import hashlib
import os
import re

from harness import images
from harness.scenario import Scenario, absent, expect, holds, same_image

LDC_CALLS = 100000   # make test's; make stress: 10 million (ctx.fuzz_calls)
NDC_CALLS = 20000
SYS_CALLS = 100000   # the system calls alone, on the native board (cheap: ~1 s)
DEVICES = ["-global", "virtio-mmio.force-legacy=false", "-device", "virtio-rng-device",
           "-device", "virtio-keyboard-device"]
LDC_TARGETS = ["sys", "dm", "vfs", "/dev/vda", "/dev/sda", "/dev/nvme0n1", "/dev/mmcblk0", "/dev/nvme0", "/dev/ng0n1",
               "/dev/rtc0", "/dev/hwrng", "/dev/input/event0"]
LDC_DISKS = [("vda", 4 << 20), ("sda", 4 << 20), ("nvme0n1", 4 << 20), ("mmcblk0", 2 << 20)]


def ldc_setup(ctx):
    d = images.disk_dir(ctx.build)
    data = {k: images.random_bytes(size, 40 + i) for i, (k, size) in enumerate(LDC_DISKS)}
    paths = {k: images.write(os.path.join(d, f"fuzz-{k}.img"), v) for k, v in data.items()}
    qemu = images.virtio_disk(paths["vda"]) + images.ufs_lus([paths["sda"]]) + \
        images.nvme_namespaces([paths["nvme0n1"]]) + images.sd_card(paths["mmcblk0"]) + DEVICES
    # afterwards every disk still serves a new session, with the host's bytes
    calls = ctx.fuzz_calls
    script = ["lsdev", f"fuzz --seed {ctx.seed} --calls {calls}", "lsdev"] + \
        [f"sha256sum /dev/{k}" for k in data] + ["poweroff"]
    # ~3 s of the guest's time per 100,000 calls here; 10x that for a slow host
    return {"qemu": qemu, "append": "hm.boot=boot-twin.conf", "script": script, "paths": paths, "data": data,
            "calls": calls, "extra_time": 60 + calls // 3000}


def ndc_setup(ctx):
    d = images.disk_dir(ctx.build)
    data = images.random_bytes(4 << 20, 49)
    path = images.write(os.path.join(d, "fuzz-ndc.img"), data)
    return {"qemu": images.virtio_disk(path),
            "script": [f"fuzz --seed {ctx.seed} --calls {NDC_CALLS}", f"fuzz --seed {ctx.seed} --calls {SYS_CALLS} sys",
                       "sha256sum /dev/vda", "kstat", "poweroff"],
            "paths": {"vda": path}, "data": {"vda": data}, "extra_time": 60}


def totals(r):
    """each fuzz run's (calls, refused, crashes), in order"""
    return [tuple(int(x) for x in m) for m in re.findall(r"^fuzz: (\d+) calls, (\d+) refused, (\d+) crashes", r.text, re.M)]


def total(r):
    return totals(r)[0] if totals(r) else None


def common(st, calls, targets):
    c = [
        holds(f"fuzz: at least {calls} calls made (a session's calls come on top), some refused, 0 crashes",
              lambda r: total(r) is not None and total(r)[0] >= calls and 0 < total(r)[1] < total(r)[0] and
              total(r)[2] == 0,
              lambda r: str(total(r))),
        absent("no answer broke the rules (a refused request answered 0, a refusal other than EPERM in the "
               "target's own protocol, a status that is a request label, a refusal with handles)", "rule broken"),
        absent("no server was found gone", "fuzz: crash"),
        absent("no Linux oops in a container", "Unable to handle"),
        absent("no kernel panic", "KERNEL PANIC"),
        expect("poweroff ends the system (devmgr, vfs, the containers still serve)", "hm: power off"),
    ]
    for t in targets:
        c.append(holds(f"fuzz: {t} was a target and refused some of what it was sent",
                       lambda r, t=t: re.search(rf"^fuzz: {re.escape(t)}: [1-9]\d* calls, [1-9]\d* refused$", r.text, re.M)))
    for k, path in st["paths"].items():
        c.append(expect(f"{k}: after fuzzing a new session reads it whole, and its sha256 is the host's",
                        f"{hashlib.sha256(st['data'][k]).hexdigest()}  /dev/{k}"))
        c.append(same_image(f"{k}: the host's image after power-off is exactly what the host wrote (fuzzing wrote "
                            "nothing)", path, st["data"][k]))
    return c


def ldc_checks(st, ctx):
    return common(st, st["calls"], LDC_TARGETS) + [
        holds("lsdev after fuzzing: no container restarted",
              lambda r: len(re.findall(r"restarts 0", r.text.split("fuzz: seed")[-1])) >= 5 and
              not re.search(r"restarts [1-9]", r.text)),
        holds("well-formed ATTACHes opened sessions (DC-base's, vtwin's, utwin's), each fuzzed and detached",
              lambda r: re.search(r"^fuzz: [1-9]\d* sessions attached, fuzzed and detached", r.text, re.M)),
    ]


def ndc_checks(st, ctx):
    return common(st, NDC_CALLS, ["sys", "dm", "vfs", "/dev/vda"]) + [
        holds(f"fuzz sys: {SYS_CALLS} system calls alone (call, receive, reply among them), some refused, 0 crashes",
              lambda r: len(totals(r)) == 2 and totals(r)[1][0] == SYS_CALLS and 0 < totals(r)[1][1] < SYS_CALLS and
              totals(r)[1][2] == 0, lambda r: str(totals(r))),
        holds("the fuzzer's processes were all destroyed again (kstat: created = destroyed + the 5 that run)",
              lambda r: re.search(r"procs_created=(\d+) procs_destroyed=(\d+)", r.text) and
              int(re.search(r"procs_created=(\d+)", r.text).group(1)) ==
              int(re.search(r"procs_destroyed=(\d+)", r.text).group(1)) + 5),
    ]


SCENARIOS = [
    Scenario(name="fuzz-services", group="fuzz", title=lambda ctx: f"qemu fuzz: {ctx.fuzz_calls} requests to devmgr, vfs, DC-base "
             "(disks, character devices), vtwin and utwin sessions; rules held, 0 crashes, images exact",
             setup=ldc_setup, script=lambda st: st["script"], checks=ldc_checks, linux=False, log="fuzz-services.log",
             timeout=300),
    Scenario(name="fuzz-ndc", group="fuzz", title=f"qemu fuzz: {NDC_CALLS} requests to devmgr, vfs, ndc and the "
             f"kernel, then {SYS_CALLS} system calls (native board); rules held, 0 crashes, image exact", board="boot-ndc.conf",
             setup=ndc_setup, script=lambda st: st["script"], checks=ndc_checks, linux=False, log="fuzz-ndc.log",
             timeout=200),
]
