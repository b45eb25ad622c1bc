"""DMA confined by the SMMUv3 (devmgr/smmu.c, smmu_domain.c; the board's
default -M virt,iommu=smmuv3): ldc1 drives four PCI storage devices, the
SD host (mmcblk0), UFS (sda), NVMe (nvme0n1) and virtio-blk-pci (vda,
iommu_platform=on), each behind the SMMU with a stage-2 translation of
exactly ldc1's memory; a virtio-mmio device (the entropy source, ldc0) is
listed as unconfined. `fault ldc1 dma DISK` has Linux read DISK's first
page with the DMA address of a page of the shell's (the canary): the
device's write must be stopped by the SMMU (devmgr logs the event with the
device, the canary's address and "write"), ldc1 restarted, the canary's
bytes unchanged: on UFS, NVMe and virtio-blk-pci. Not on the SD host:
QEMU 10.0.2's SDHCI model, refused that write, re-runs the same ADMA
descriptor without end (its trace: 299,530 sdhci_adma_loop "Set ADMA error
flag" in 25 s for one 8-block CMD18) and starves the guest for 0.4 to 60 s
(docs/reliability.md "DMA"). Then faultstress keeps verified I/O on all
four disks while more DMA faults go into ldc1 through the NVMe controller;
after power-off the host replays the workload and compares all four
images."""
import os
import random
import re

from harness import images
from harness.scenario import Scenario, absent, expect, holds
from scenarios.faultstress import h2, replay

DISKS = [("mmcblk0", "sdhci-pci", "pci 0000:00:01.0"), ("sda", "ufshcd", "pci 0000:00:02.0"),
         ("nvme0n1", "nvme", "pci 0000:00:03.0"), ("vda", "virtio_blk", "pci 0000:00:04.0")]
DMA_FAULTS = 2   # faultstress's DMA faults into ldc1 (through nvme0n1)
FAULTED_DISKS = ("sda", "nvme0n1", "vda")   # not mmcblk0: QEMU's SDHCI loops on a refused write (above)


def setup(ctx):
    rnd = random.Random(ctx.seed + 21)
    d = images.disk_dir(ctx.build)
    data = {"mmcblk0": rnd.randbytes(4 << 20), "sda": rnd.randbytes(8 << 20), "nvme0n1": rnd.randbytes(8 << 20),
            "vda": rnd.randbytes(8 << 20)}
    paths = {k: images.write(os.path.join(d, f"smmu-{k}.img"), v) for k, v in data.items()}
    qemu = images.sd_card(paths["mmcblk0"]) + images.ufs_lus([paths["sda"]]) + \
        images.nvme_namespaces([paths["nvme0n1"]]) + \
        ["-drive", f"if=none,id=vpci,file={paths['vda']},format=raw,cache=writeback",
         "-device", "virtio-blk-pci,drive=vpci,disable-legacy=on,iommu_platform=on", "-device", "virtio-rng-device"]
    # the workload's order gives each device its index in the host's replay
    order = ["nvme0n1", "mmcblk0", "sda", "vda"]
    stress = f"faultstress --each {DMA_FAULTS} --seed {ctx.seed} /dev/nvme0n1:ldc1:dma " + \
        " ".join(f"/dev/{k}:ldc1=0" for k in order[1:])
    script = ["lsdev"] + [f"fault ldc1 dma {k}" for k, _, _ in DISKS if k in FAULTED_DISKS] + \
        ["dmesg ldc1", stress, "lsdev", "kstat", "poweroff"]
    return {"qemu": qemu, "script": script, "paths": paths, "data": data, "order": order, "seed": ctx.seed,
            "extra_time": 60}


def lanes(r, dev):
    m = re.search(rf"^faultstress: /dev/{dev}: requests per lane ([\d ]+);", r.text, re.M)
    return [int(x) for x in m.group(1).split()] if m else None


def end_state(r, st, dev):
    """the host's replay of faultstress on dev, or None"""
    n = lanes(r, dev)
    return replay(st["data"][dev], st["seed"], st["order"].index(dev), n) if n else None


def fault_checks(dev, driver, name):
    def canary(r):
        """the canary address the shell printed for dev, then what followed"""
        m = re.search(rf"fault: ldc1: {dev} is to write the canary page at (0x[0-9a-f]+)", r.text)
        return (m.group(1), r.text[m.end():]) if m else (None, "")

    def logged(r):
        addr, after = canary(r)
        return addr and re.search(rf"devmgr: smmu: {re.escape(name)} \({driver}, ldc1\) write to {addr}: "
                                  r"outside its translation, stopped by the SMMU", after)

    return [
        holds(f"fault ldc1 dma {dev}: the SMMU stopped {name}'s write to the shell's canary page and devmgr logged "
              "the device, its container, the address and the direction", logged),
        holds(f"fault ldc1 dma {dev}: devmgr stopped ldc1 for it and restarted it",
              lambda r: canary(r)[0] and re.search(r"devmgr: ldc1 stopped after a DMA outside its memory \(SMMU fault\)"
                                                    r"[\s\S]*?fault: ldc1 running again after \d+ ms", canary(r)[1])),
        holds(f"fault ldc1 dma {dev}: the canary page's bytes are unchanged (the shell compared all 4096)",
              lambda r: canary(r)[0] and re.match(r"[\s\S]*?fault: canary page at " + canary(r)[0] + " unchanged",
                                                  canary(r)[1])),
    ]


def checks(st, ctx):
    c = [
        expect("devmgr brings the SMMUv3 up before any container starts",
               "devmgr: smmu at 0x9050000: on; PCI functions' DMA confined to their containers"),
        expect("the GICv2m frame leaves the SMMU's wired SPIs alone",
               "hm: GICv2m: 4 of its SPIs from 106 are wired to other devices (device tree): not used for MSIs"),
        expect("DC-base has Linux's memory mapped for its four PCI functions' DMA",
               "dcbase: Linux memory mapped for the DMA of its 5 PCI functions (SMMU)"),
        holds("lsdev: the virtio-mmio entropy source (ldc0) is listed as unconfined",
              lambda r: re.search(r"virtio-mmio@\w+ .*virtio_rng .* \(irq \d+, restarts 0, dma unconfined\)", r.text)),
        holds(f"the {DMA_FAULTS} DMA faults of faultstress were each logged by the SMMU and recovered from",
              lambda r: len(re.findall(r"devmgr: smmu: pci 0000:00:03\.0 \(nvme, ldc1\) write to 0x[0-9a-f]+: outside",
                                       r.text)) >= 1 + DMA_FAULTS and
              r.text.count("devmgr: ldc1 stopped after a DMA outside its memory") == len(FAULTED_DISKS) + DMA_FAULTS and
              f"ldc1: 0 kill, 0 crash, 0 hang injected, {DMA_FAULTS} DMA outside it (canary unchanged)" in r.text),
        holds("faultstress: no request failed and every read returned what was written, on all four disks",
              lambda r: "faultstress: passed" in r.text and "sh: faultstress" not in r.text),
        holds("faultstress: the NVMe client's requests in flight were re-issued across ldc1's restarts",
              lambda r: re.search(r"/dev/nvme0n1: .*its driver restarted [1-9]\d* time\(s\)", r.text)),
        absent("no Linux oops in a container", "Unable to handle"),
        absent("the SMMU raised no global error (a full event queue aside: a device that retries fills it)",
               "devmgr: smmu: global error"),
        absent("the SMMU's command queue never stalled", "command queue error"),
        absent("no event from a stream without a valid entry (every function's entry was there)",
               "no valid stream table entry"),
        expect("poweroff ends the system (microkernel, devmgr, vfs still serve)", "hm: power off"),
    ]
    for dev, driver, name in DISKS:
        c.append(holds(f"lsdev: {name} ({driver}, ldc1) is confined by the SMMU",
                       lambda r, name=name, driver=driver: re.search(
                           rf"{re.escape(name)} .*{driver} .*ldc1 .*restarts \d+, dma smmu\)", r.text)))
        if dev in FAULTED_DISKS:
            c += fault_checks(dev, driver, name)
        c.append(holds(f"{dev}: the workload's end state replayed on the host is what the guest read back",
                       lambda r, dev=dev: end_state(r, st, dev) is not None and
                       re.search(rf"/dev/{dev}: .*first 2 MiB sha256 {h2(end_state(r, st, dev))}", r.text)))
        c.append(holds(f"{dev}: the host's image after power-off holds exactly the expected bytes",
                       lambda r, dev=dev: end_state(r, st, dev) is not None and
                       images.read(st["paths"][dev]) == end_state(r, st, dev)))
    return c


SCENARIOS = [
    Scenario(name="smmu-dma", title="qemu SMMUv3: fault ldc1 dma on UFS, NVMe and virtio-blk-pci (canary "
             "unchanged, ldc1 back), then verified I/O on them and the SD card under DMA faults",
             setup=setup, script=lambda st: st["script"], checks=checks, log="smmu-dma.log", timeout=300),
]
