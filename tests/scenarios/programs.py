"""The QEMU system tests: each program tests/system/kt_NAME.c booted on its
own (-append hm.run=kt_NAME: init runs it with full authority and powers
off). Each case it prints ("ok - ..." / "not ok - ...") is a check. Tests
that need a device get it here, and some compare the image with what the
host expects after power-off. Only kt_ldc and kt_chr start Linux driver containers:
the others run once per GIC, kt_ldc once per GIC and Linux version, kt_chr
(character devices in an LDC) once per Linux version."""
import glob
import hashlib
import os

from harness import images
from harness.scenario import Scenario, holds, same_image

HERE = os.path.dirname(os.path.abspath(__file__))
HELPERS = {"kt_helper", "kt_crashdrv", "kt_msidrv"}   # programs the tests start, not tests
WITH_LINUX = {"kt_ldc", "kt_chr"}
ANY_GIC = {"kt_chr", "kt_pmu"}   # the GIC does not change what they test: one GIC only
PATTERN_OFF, PATTERN_LEN = 1024 * 1024 + 4096, 8192


def vblk_setup(variant):
    """A 4 MiB random disk for kt_vblk; after the run the host checks that
    exactly the test's pattern was written and nothing else changed."""
    def make(ctx):
        path = os.path.join(images.disk_dir(ctx.build), f"vblk-{variant}.img")
        data = images.random_bytes(4 * 1024 * 1024, 42)
        images.write(path, data)
        qemu = images.virtio_disk(path)
        if variant == "modern":
            qemu += ["-global", "virtio-mmio.force-legacy=false"]
        pattern = bytes((i * 7 + 3) & 0xff for i in range(PATTERN_LEN))
        return {"qemu": qemu, "append": f"hm.run=kt_vblk:{len(data)}:{hashlib.sha256(data).hexdigest()}",
                "disk": path, "want": data[:PATTERN_OFF] + pattern + data[PATTERN_OFF + PATTERN_LEN:]}
    return make


def small_disk(ctx):
    """any block device, for tests that only need one to exist"""
    return {"qemu": images.virtio_disk(images.blank(ctx.build, "small.img", 1 << 20), cache=None)}


def dm_setup(ctx):
    """kt_dm: a small disk, and an NVMe controller (00:01.0) whose MSI-X
    vectors kt_msidrv asks for"""
    st = small_disk(ctx)
    st["qemu"] += images.nvme_namespaces([images.blank(ctx.build, "dm-nvme.img", 1 << 20)])
    return st


def ldc_setup(ctx):
    """kt_ldc: a GPT disk; kt_ldc checks that vda2 starts at LBA 6144 and
    writes 0x5a into vda2's last sector; nothing else changes. And a 4 MiB
    UFS logical unit (ldc1), only read."""
    path = os.path.join(images.disk_dir(ctx.build), "ldc.img")
    data = images.gpt_image(8 * 1024 * 1024, [(2048, 6143), (6144, 10239), (10240, 16349)], 11)
    images.write(path, data)
    first = int.from_bytes(data[6144 * 512:6144 * 512 + 8], "little")
    ufs = images.random_bytes(4 << 20, 12)
    upath = images.write(os.path.join(images.disk_dir(ctx.build), "ldc-ufs.img"), ufs)
    ufirst = int.from_bytes(ufs[:8], "little")
    want = bytearray(data)
    want[10239 * 512:10240 * 512] = b"\x5a" * 512
    return {"qemu": images.virtio_disk(path) + images.ufs_lus([upath]), "append": f"hm.run=kt_ldc:{first:x}:{ufirst:x}",
            "disk": path, "want": bytes(want)}


def quota_refusal(st, ctx):
    """kt_dm's ldc9 (devices-small.conf): the kernel refused its Linux
    region for its board quota, and both said so; devices-crash.conf's
    standby lines are refused, each with its reason"""
    return [holds("devmgr refuses a standby for a native driver, for a container that does not exist and a malformed "
                  "line", lambda r: "devmgr: standby ndc9: it runs kt_crashdrv; only a Linux driver container (ldc) can "
                  "stand by: ignored" in r.text and "devmgr: standby nosuch: no such container: ignored" in r.text
                  and 'devmgr: bad line "standby ndc9 extra"' in r.text and "ndc9: standby started" not in r.text),
            holds("a container over its board quota: the kernel logged the refusal and the container said what it "
                  "could not get", lambda r: "quota: ldc over ldc's memory limit" in r.text and
                  "ldc: no 24 MiB of contiguous memory for Linux: out of memory" in r.text)]


def console_lines(st, ctx):
    """kt_libc: two threads that built their lines a character at a time,
    yielding to each other, each got every line to the console whole"""
    def whole(r):
        lines = r.text.splitlines()
        return all(f"# console line {n} of thread {t}: {chr(ord('a') + t) * 40}" in lines
                   for t in (0, 1) for n in range(8))
    return [holds("threads printing at once: each line reaches the console whole", whole)]


def image_check(what):
    return lambda st, ctx: [same_image(what, st["disk"], st["want"])]


# name -> [(variant, setup, checks)]
SETUPS = {"kt_ldc": [("gpt", ldc_setup, image_check("host image holds exactly the write to vda2's last sector"))],
          "kt_vblk": [("legacy", vblk_setup("legacy"), image_check("host image holds exactly the written pattern")),
                      ("modern", vblk_setup("modern"), image_check("host image holds exactly the written pattern"))],
          "kt_dm": [("disk", dm_setup, quota_refusal)],
          "kt_libc": [("", None, console_lines)],
          "kt_pmu": [("", lambda ctx: {"qemu": ["-icount", "shift=0"]}, ())]}


def scenario(name, variant, setup, checks):
    tag = f" {variant}" if variant else ""
    return Scenario(name=f"{name}{'-' + variant if variant else ''}", group=name, title=f"qemu {name}{tag}",
                    image="test", append=f"hm.run={name}", setup=setup, checks=checks, tap=name,
                    linux=name in WITH_LINUX, per_gic=name not in ANY_GIC, log=f"{name}{'-' + variant if variant else ''}.log")


def names():
    return sorted(os.path.basename(p)[:-2] for p in glob.glob(os.path.join(HERE, "..", "system", "kt_*.c"))
                  if os.path.basename(p)[:-2] not in HELPERS)


SCENARIOS = [scenario(n, v, s, c) for n in names() for v, s, c in SETUPS.get(n, [("", None, ())])]
