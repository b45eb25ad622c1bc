"""NVMe through Linux's own nvme and nvme-core in ldc1, on QEMU's NVMe
controller with two namespaces: nvme0n1, a GPT disk with three partitions
of random content, and nvme0n2, random content. Linux's PCI/MSI code
allocates MSI-X vectors through arch/hm's MSI domain (the admin queue and
one I/O queue), on GICv2 through the GICv2m frame and on GICv3 through
the ITS (the kernel's counters must show the interrupts arriving as
messages). Linux 6.12 scans namespaces in parallel, so which one becomes
nvme0n1 varies from boot to boot, as on any machine: the test reads ls
/dev first and names them by their sizes. The host checks the hashes of the namespaces and partitions,
byte-granular dd within and between namespaces, and both images after
power-off. The INTx variant (boot-intx.conf: devmgr's msi=off) runs the
same data checks with no vector granted: the controller's INTx line
serves."""
import hashlib
import os
import re

from harness import images, qemu
from harness.scenario import Scenario, absent, expect, holds, same_image

N1_SIZE = 16 << 20
N1_PARTS = [(2048, 10239), (10240, 20479), (20480, 32734)]   # (first, last) 512-byte LBAs
N2_SIZE = 8 << 20


def sha(b):
    return hashlib.sha256(b).hexdigest()


def setup(ctx, intx=False):
    d = images.disk_dir(ctx.build)
    t = "-intx" if intx else ""
    n1 = images.gpt_image(N1_SIZE, N1_PARTS, 61)
    n2 = images.random_bytes(N2_SIZE, 62)
    p1 = images.write(os.path.join(d, f"nvme{t}-n1.img"), n1)
    p2 = images.write(os.path.join(d, f"nvme{t}-n2.img"), n2)
    parts = [(a * 512, (b - a + 1) * 512) for a, b in N1_PARTS]
    # {A}: the GPT namespace's node, {B}: the other's (see drive)
    script = ["lsdev", "sha256sum /dev/{A}"] + \
        [f"sha256sum /dev/{{A}}p{i + 1}" for i in range(3)] + ["sha256sum /dev/{B}",
        # byte-granular: inside a block, across blocks, between namespaces
        "dd if=/dev/zero of=/dev/{A}p1 bs=100 seek=7 count=1",
        "dd if=/dev/{B} of=/dev/{A} bs=1000 count=9 skip=3 seek=9000",
        "dd if=/dev/{A}p2 of=/dev/{B} bs=65536 count=16 seek=20",
        "sha256sum /dev/{B}",
        "kstat", "dmesg ldc1", "lsdev", "poweroff"]
    want1, want2 = bytearray(n1), bytearray(n2)
    want1[parts[0][0] + 700:parts[0][0] + 800] = bytes(100)
    want1[9000000:9009000] = n2[3000:12000]
    want2[20 * 65536:36 * 65536] = want1[parts[1][0]:parts[1][0] + 16 * 65536]
    return {"qemu": images.nvme_namespaces([p1, p2]), "script": script, "intx": intx,
            "append": "hm.boot=boot-intx.conf" if intx else None,
            "n1": p1, "n2": p2, "n10": n1, "n20": n2, "want1": bytes(want1), "want2": bytes(want2)}


def drive(machine, st, timeout, ctx):
    """boot, learn which node is which namespace (ls /dev), run the script"""
    c = qemu.Console(machine, "default", st["qemu"], images.disk_dir(ctx.build), st["append"])
    ok = c.wait("hm# ", timeout)
    start = c.seen
    # the next prompt at a line's start: the line editor redraws "hm# ls /dev" as it echoes
    ok = ok and c.type("ls /dev", prompt="\nhm# ")
    names = dict((int(size), name) for name, size in re.findall(r"^(nvme0n\d+) +(\d+)$", c.out[start:c.seen].replace("\r", ""), re.M))
    st["A"], st["B"] = names.get(N1_SIZE, "nvme-gpt-missing"), names.get(N2_SIZE, "nvme-random-missing")
    for line in st["script"]:
        if not ok:
            break
        line = line.format(A=st["A"], B=st["B"])
        if line == "poweroff":
            c.send(b"poweroff\n")
        else:
            ok = c.type(line, prompt="\nhm# ", timeout=60)
    return c.finish(30 if ok else 5)


def checks(st, ctx):
    n1, n2 = st["n10"], st["n20"]
    a, b = st.get("A", "?"), st.get("B", "?")
    gic = ctx.gic
    c = [
        expect("devmgr runs the NVMe controller's driver in ldc1", "devmgr: pci 0000:00:01.0: nvme in ldc1"),
        expect("Linux's PCI core finds QEMU's NVMe controller (1b36:0010, class 0108)",
               "pci 0000:00:01.0: [1b36:0010] type 00 class 0x010802"),
        expect("Linux's nvme driver sets up its I/O queue", "nvme nvme0: 1/0/0 default/read/poll queues"),
        expect("Linux's GPT scan finds three partitions on the GPT namespace", f" {a}: p1 p2 p3"),
        expect("ls /dev shows the GPT namespace with its size", f"{a:12} {N1_SIZE}"),
        expect("ls /dev shows the other namespace with its size", f"{b:12} {N2_SIZE}"),
        expect("sha256sum of the GPT namespace equals the host's", f"{sha(n1)}  /dev/{a}"),
        expect("sha256sum of the other namespace equals the host's", f"{sha(n2)}  /dev/{b}"),
        expect("dd of one 100-byte record inside a block", "1+0 records in\n1+0 records out\n100 bytes copied"),
        expect("dd between namespaces with an odd block size copies 9 records",
               "9+0 records in\n9+0 records out\n9000 bytes copied"),
        expect("dd of 1 MiB from a partition to the other namespace", "16+0 records in\n16+0 records out\n1048576 bytes copied"),
        expect("sha256sum of the second namespace after the copy equals the host's computation",
               f"{sha(st['want2'])}  /dev/{b}"),
        absent("no Linux oops in the container", "Unable to handle"),
        absent("no interrupt nobody handled", "nobody cared"),
        absent("no NVMe command timed out", "timeout"),
        same_image("the first namespace's image holds exactly the dd writes", st["n1"], st["want1"]),
        same_image("the second namespace's image holds exactly the copy", st["n2"], st["want2"]),
        expect("poweroff ends the system", "hm: power off"),
    ]
    for i, (first, last) in enumerate(N1_PARTS):
        c.append(expect(f"sha256sum of partition {i + 1} of the GPT namespace equals the host's over its byte range",
                        f"{sha(n1[first * 512:(last + 1) * 512])}  /dev/{a}p{i + 1}"))
    if st["intx"]:
        c += [
            expect("devmgr runs with msi=off", "devmgr: PCI functions get no MSI vectors (msi=off)"),
            absent("Linux allocates no MSI or MSI-X vector", "MSI-X vector"),
            expect("the kernel counted no interrupt as a message", re.compile(r"kstat.*\n.*msis=0 msi=gicv2m")),
            expect("lsdev shows the controller on its INTx line",
                   re.compile(r"pci 0000:00:01.0 +pci1b36,10 +nvme +nvme +ldc1 +nvme0\+\d+ +running \(irq \d+,")),
        ]
    else:
        ctl = "gicv2m" if gic == "2" else "its"
        c += [
            expect("Linux's PCI/MSI finds arch/hm's MSI domain on the board's MSI controller",
                   "hm: PCI MSI and MSI-X through /intc@8000000/" + ("v2m@8020000" if gic == "2" else "its@8080000")),
            expect("the admin queue's MSI-X vector 0 is granted and bound",
                   re.compile(r"hm: 0000:00:01.0: MSI-X vector 0 -> event \d+, message " +
                              ("8020040/[0-9a-f]+" if gic == "2" else "8090040/0"))),
            expect("the I/O queue's MSI-X vector 1 is granted and bound",
                   re.compile(r"hm: 0000:00:01.0: MSI-X vector 1 -> event \d+, message " +
                              ("8020040/[0-9a-f]+" if gic == "2" else "8090040/1"))),
            holds(f"the kernel's counters show the interrupts arriving as messages ({ctl})",
                  lambda r: any(int(m) > 0 for m in re.findall(r"msis=(\d+) msi=" + ctl, r.text)),
                  lambda r: "; ".join(re.findall(r"msis=\d+ msi=\w+", r.text)) or "no kstat line"),
            expect("lsdev shows the controller's two MSI-X vectors",
                   re.compile(r"pci 0000:00:01.0 +pci1b36,10 +nvme +nvme +ldc1 +nvme0\+\d+ +running \(msix:2,")),
        ]
    return c


SCENARIOS = [Scenario(name="nvme", per_gic=True,
                      title=lambda ctx: "qemu nvme (Linux's nvme in ldc1 on MSI-X through " +
                                        ("the GICv2m frame" if ctx.gic == "2" else "the ITS") +
                                        "; two namespaces, GPT, byte-granular dd)",
                      setup=setup, drive=drive, checks=checks, log="nvme.log"),
             Scenario(name="nvme-intx", group="nvme",
                      title="qemu nvme, MSI off (boot-intx.conf: the same on the controller's INTx line)",
                      setup=lambda ctx: setup(ctx, intx=True), drive=drive, checks=checks,
                      log="nvme-intx.log")]
