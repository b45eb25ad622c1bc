"""virtio over PCI: the same virtio_blk that drives virtio-mmio in ldc0
drives QEMU's virtio-blk-pci (modern only: disable-legacy=on, no I/O BAR)
in ldc1, through Linux's virtio_pci, on MSI-X vectors (its configuration
vector and its queue's) through the GICv2m frame or the ITS. The host
checks the disk's and partitions' hashes, a dd, and the image after
power-off. The INTx variant (boot-intx.conf) runs the same on the
function's INTx line."""
import hashlib
import os
import re

from harness import images
from harness.scenario import Scenario, absent, expect, holds, same_image

SIZE = 8 << 20
PARTS = [(2048, 8191), (8192, 16349)]


def sha(b):
    return hashlib.sha256(b).hexdigest()


def setup(ctx, intx=False):
    d = images.disk_dir(ctx.build)
    disk = images.gpt_image(SIZE, PARTS, 71)
    path = images.write(os.path.join(d, f"virtio-pci{'-intx' if intx else ''}.img"), disk)
    want = bytearray(disk)
    want[PARTS[1][0] * 512 + 4096:PARTS[1][0] * 512 + 4096 + 65536] = disk[PARTS[0][0] * 512:PARTS[0][0] * 512 + 65536]
    script = ["lsdev", "ls /dev", "sha256sum /dev/vda", "sha256sum /dev/vda1", "sha256sum /dev/vda2",
              "dd if=/dev/vda1 of=/dev/vda2 bs=4096 count=16 seek=1", "sha256sum /dev/vda2", "kstat", "dmesg ldc1",
              "poweroff"]
    qemu = ["-drive", f"if=none,id=vpci,file={path},format=raw,cache=writeback",
            "-device", "virtio-blk-pci,drive=vpci,disable-legacy=on,iommu_platform=on"]
    return {"qemu": qemu, "script": script, "disk": path, "disk0": disk, "want": bytes(want), "intx": intx,
            "append": "hm.boot=boot-intx.conf" if intx else None}


def checks(st, ctx):
    disk, want = st["disk0"], st["want"]
    ctl = "gicv2m" if ctx.gic == "2" else "its"
    p = [disk[a * 512:(b + 1) * 512] for a, b in PARTS]
    c = [
        expect("devmgr gives the virtio-blk PCI function to ldc1 (where its host is)",
               "devmgr: pci 0000:00:01.0: virtio_blk in ldc1"),
        expect("Linux's virtio_pci takes the modern virtio-blk function (1af4:1042)",
               "pci 0000:00:01.0: [1af4:1042] type 00 class 0x010000"),
        expect("virtio_blk attaches the disk", f"virtio_blk virtio0: [vda] {SIZE // 512} 512-byte logical blocks"),
        expect("sha256sum of the disk equals the host's", f"{sha(disk)}  /dev/vda"),
        expect("sha256sum of vda1 equals the host's", f"{sha(p[0])}  /dev/vda1"),
        expect("sha256sum of vda2 equals the host's", f"{sha(p[1])}  /dev/vda2"),
        expect("dd copies 64 KiB between partitions", "16+0 records in\n16+0 records out\n65536 bytes copied"),
        expect("sha256sum of vda2 after the copy equals the host's computation",
               f"{sha(want[PARTS[1][0] * 512:(PARTS[1][1] + 1) * 512])}  /dev/vda2"),
        absent("no Linux oops in the container", "Unable to handle"),
        same_image("the image holds exactly the copy", st["disk"], want),
        expect("poweroff ends the system", "hm: power off"),
    ]
    if st["intx"]:
        return c + [
            absent("Linux allocates no MSI-X vector", "MSI-X vector"),
            expect("the kernel counted no interrupt as a message", re.compile(r"msis=0 msi=gicv2m")),
            expect("lsdev shows the function on its INTx line",
                   re.compile(r"pci 0000:00:01.0 +pci1af4,1042 +virtio-blk-pci +virtio_blk +ldc1 +vda\+2 +running \(irq \d+,")),
        ]
    return c + [
        holds("virtio_pci's two MSI-X vectors (configuration, queue) are granted and bound",
              lambda r: len(re.findall(r"hm: 0000:00:01.0: MSI-X vector [01] -> event \d+", r.text)) >= 2),
        holds(f"the kernel's counters show the interrupts arriving as messages ({ctl})",
              lambda r: any(int(m) > 0 for m in re.findall(r"msis=(\d+) msi=" + ctl, r.text))),
        expect("lsdev shows the function's MSI-X vectors",
               re.compile(r"pci 0000:00:01.0 +pci1af4,1042 +virtio-blk-pci +virtio_blk +ldc1 +vda\+2 +running \(msix:2,")),
    ]


SCENARIOS = [Scenario(name="virtio-pci", per_gic=True,
                      title=lambda ctx: "qemu virtio-blk-pci (virtio_blk over virtio_pci in ldc1 on MSI-X through " +
                                        ("the GICv2m frame" if ctx.gic == "2" else "the ITS") + ")",
                      setup=setup, script=lambda st: st["script"], checks=checks, log="virtio-pci.log"),
             Scenario(name="virtio-pci-intx", group="virtio-pci",
                      title="qemu virtio-blk-pci, MSI off (boot-intx.conf: the same on the function's INTx line)",
                      setup=lambda ctx: setup(ctx, intx=True), script=lambda st: st["script"], checks=checks,
                      log="virtio-pci-intx.log")]
