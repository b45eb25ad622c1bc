#!/usr/bin/env python3
"""make bench: IPC micro-benchmarks of the hm microkernel on QEMU.

Boots build/boot-test.img with `hm.run=ipcbench` several times, alternating
two modes: plain TCG (wall-clock time per operation, noisy on a shared
machine) and `-icount shift=0` (the guest clock advances 1 ns per guest
instruction, so ns/op == guest instructions/op, repeatable). Reports the
median and min-max of each, and writes build/bench/ipc.md and ipc.csv.
"""
import argparse
import os
import re
import statistics
import subprocess
import sys
import time

import fig10
import guests
import icount_load
import merge

LINE = re.compile(r"^bench (\S+) (\d+) (\d+) ([\d.]+)")
DESCR = {
    "null_syscall": "null system call (enter, dispatch, return)",
    "handoff_roundtrip": "same-process hand-off there and back (2 thread switches)",
    "call_reply_xproc": "cross-process call + reply (2 address-space switches)",
    "notif_roundtrip_xproc": "cross-process notification signal + wait, both ways",
    "handoff_touch256": "same-process hand-off there and back, then a store into each of 256 pages",
    "call_reply_touch256": "cross-process call + reply, then a store into each of 256 pages",
}


def boot(qemu, build, icount, timeout):
    cmd = qemu.split() + ["-kernel", f"{build}/hm.bin", "-initrd", f"{build}/boot-test.img",
                          "-append", "hm.run=ipcbench", "-display", "none", "-monitor", "none",
                          "-serial", "stdio", "-no-reboot"]
    if icount:
        cmd += ["-icount", "shift=0"]
    out = subprocess.run(cmd, capture_output=True, timeout=timeout, stdin=subprocess.DEVNULL).stdout.decode(errors="replace")
    res = {}
    for line in out.splitlines():
        m = LINE.match(line.strip())
        if m:
            res[m.group(1)] = float(m.group(4))
    if "bench done" not in out:
        sys.exit("bench: ipcbench did not finish; output:\n" + out)
    return res


BLK = re.compile(r"^blkbench (\S+) bs=(\d+) qd=(\d+) MBps=([\d.]+) iops=(\d+)")
IRQS = re.compile(r"irqs/req=([\d.]+) msis/req=([\d.]+)")


# (name, boot script, description, device): the systems alternate run by run
# ratios of medians in the table: (numerator, denominator, heading)
RATIOS = [("twin", "ldc", "DC-twin / DC-solo"), ("twin", "linux", "DC-twin / native Linux"),
          ("twin", "ndc", "DC-twin / native driver"), ("ldc", "linux", "DC-solo / native Linux"),
          ("ndc", "linux", "native driver / native Linux"), ("ufs", "linux-ufs", "UFS: DC-solo / native Linux"),
          ("ufs612mcq", "ufs612", "UFS 6.12: MCQ / single doorbell"),
          ("nvme", "linux-nvme", "NVMe: DC-solo / native Linux"), ("nvme", "nvme-intx", "NVMe DC-solo: MSI-X / INTx"),
          ("vpci", "ldc", "DC-solo: virtio-blk-pci / virtio-mmio"),
          ("mmc", "mmc-nosmmu", "SD: SMMU / none"), ("ufs", "ufs-nosmmu", "UFS: SMMU / none"),
          ("nvme", "nvme-nosmmu", "NVMe: SMMU / none"), ("vpci", "vpci-nosmmu", "virtio-blk-pci: SMMU / none")]
SYSTEMS = [("linux", None, "native Linux 6.1 (virtio_blk, O_DIRECT, AIO)", "/dev/vda"),
           ("ndc", "boot-ndc.conf", "native driver (ndc)", "/dev/vda"),
           ("ldc", "boot.conf", "DC-solo (ldc0, Linux virtio_blk)", "/dev/vda"),
           ("twin", "boot-twin.conf", "DC-twin (ldc0 control plane, vtwin data plane)", "/dev/vda"),
           ("mmc", "boot.conf", "SD card, DC-solo (ldc1, Linux sdhci-pci + mmc_block)", "/dev/mmcblk0"),
           ("linux-ufs", None, "UFS, native Linux 6.1 (ufshcd-pci, O_DIRECT, AIO)", "/dev/sda"),
           ("ufs", "boot.conf", "UFS, DC-solo (ldc1, Linux ufshcd-pci + sd)", "/dev/sda"),
           ("ufs612", "boot.conf", "UFS, DC-solo on Linux 6.12, single doorbell", "/dev/sda"),
           ("ufs612mcq", "boot.conf", "UFS, DC-solo on Linux 6.12, MCQ (mcq=on)", "/dev/sda"),
           ("linux-nvme", None, "NVMe, native Linux 6.1 (nvme, MSI-X, O_DIRECT, AIO)", "/dev/nvme0n1"),
           ("nvme", "boot.conf", "NVMe, DC-solo (ldc1, Linux nvme, MSI-X)", "/dev/nvme0n1"),
           ("nvme-intx", "boot-intx.conf", "NVMe, DC-solo, INTx (MSI=off)", "/dev/nvme0n1"),
           ("vpci", "boot.conf", "virtio-blk-pci, DC-solo (ldc1, Linux virtio_pci + virtio_blk, MSI-X)", "/dev/vda"),
           # the same without the SMMU (-M virt without iommu=smmuv3): what confinement costs
           ("mmc-nosmmu", "boot.conf", "SD card, DC-solo, no SMMU", "/dev/mmcblk0"),
           ("ufs-nosmmu", "boot.conf", "UFS, DC-solo, no SMMU", "/dev/sda"),
           ("nvme-nosmmu", "boot.conf", "NVMe, DC-solo, no SMMU", "/dev/nvme0n1"),
           ("vpci-nosmmu", "boot.conf", "virtio-blk-pci, DC-solo, no SMMU", "/dev/vda")]
# systems that boot another Linux runtime than LINUX's, QEMU's UFS in MCQ
# mode, an NVMe controller, or the disk as virtio-blk-pci
SYSTEM_OPTS = {"ufs612": {"linux": "6.12"}, "ufs612mcq": {"linux": "6.12", "mcq": True},
               "linux-nvme": {"nvme": True}, "nvme": {"nvme": True}, "nvme-intx": {"nvme": True},
               "vpci": {"vpci": True}, "mmc-nosmmu": {"nosmmu": True}, "ufs-nosmmu": {"nosmmu": True},
               "nvme-nosmmu": {"nvme": True, "nosmmu": True}, "vpci-nosmmu": {"vpci": True, "nosmmu": True}}
# hm's kernel counters per request, shown for these systems (interrupts per request)
IRQ_SYSTEMS = ["ldc", "vpci", "nvme", "nvme-intx"]


def no_smmu(qemu):
    """the machine without its SMMUv3: native Linux (its kernel has no SMMU
    driver: it boots the board as Linux usually does) and the -nosmmu systems"""
    return qemu.replace(",iommu=smmuv3", "")


def board_cmd(qemu, boot, disk, card, ufs, mcq=False, nvme=None, vpci=False):
    """QEMU with the benchmark's disk (virtio-blk: a virtio-mmio slot, or
    with vpci a virtio-blk-pci function), SD card (sdhci-pci) and UFS
    logical unit (QEMU's UFS controller in single-doorbell mode, its default;
    ufs None: none), and with nvme an NVMe controller with that image as its
    namespace, all cache=unsafe, booting `boot` (-kernel/-initrd/-append)"""
    ufs_args = ["-device", "ufs,serial=hm-bench,id=ufs0" + (",mcq=on,mcq-maxq=2" if mcq else ""),
                "-drive", f"if=none,id=ufslu0,file={ufs},format=raw,cache=unsafe",
                "-device", "ufs-lu,drive=ufslu0,lun=0,bus=ufs0"] if ufs else []
    nvme_args = ["-device", "nvme,serial=hm-bench,id=nvme0", "-drive", f"if=none,id=nvns1,file={nvme},format=raw,"
                 "cache=unsafe", "-device", "nvme-ns,drive=nvns1,nsid=1,bus=nvme0"] if nvme else []
    disk_dev = "virtio-blk-pci,disable-legacy=on,iommu_platform=on,drive=hd" if vpci else "virtio-blk-device,drive=hd"
    card_args = ["-device", "sdhci-pci", "-drive", f"if=none,id=sdcard,file={card},format=raw,cache=unsafe",
                 "-device", "sd-card,drive=sdcard"] if card else []
    return qemu.split() + boot + [
        "-drive", f"if=none,id=hd,file={disk},format=raw,cache=unsafe", "-device", disk_dev] + \
        card_args + ufs_args + nvme_args + [
        "-display", "none", "-monitor", "none", "-serial", "stdio", "-no-reboot"]


def blkbench(qemu, build, disk, card, ufs, mib, script, dev, opts=None, workloads="all", nvme=None):
    """blkbench from the shell through a block session, on the default boot
    (Linux's drivers in the LDCs: DC-solo) or boot-ndc.conf (hm's native
    driver), or native Linux (script None: build/native-linux-6.1, whose
    /init runs the same workloads with O_DIRECT); the SD card sits behind
    sdhci-pci on the PCIe host. workloads: hm/blkbench.h's set (all, fig10).
    Every run ends with the benchmark's verify pass, or the bench stops."""
    if script is None:
        boot = guests.native_linux(build, mib, dev[5:], f"nativebench.set={workloads}")
    else:
        opts = opts or {}
        image = f"{build}/linux-{opts['linux']}/boot-test.img" if "linux" in opts else f"{build}/boot-test.img"
        boot = ["-kernel", f"{build}/hm.bin", "-initrd", image, "-append", f"hm.boot={script}"]
    opts = opts or {}
    if script is None or opts.get("nosmmu"):
        qemu = no_smmu(qemu)
    cmd = board_cmd(qemu, boot, disk, card, ufs, opts.get("mcq", False), nvme if opts.get("nvme") else None,
                    opts.get("vpci", False))
    out = subprocess.run(cmd, input=f"blkbench {dev} {mib} {workloads}\npoweroff\n".encode() if script else b"",
                         capture_output=True, timeout=1800).stdout.decode(errors="replace")
    res = {}
    for line in out.splitlines():
        m = BLK.match(line.strip())
        if m:
            k = IRQS.search(line)
            res[(m.group(1), int(m.group(2)), int(m.group(3)))] = (float(m.group(4)), float(m.group(5))) + \
                ((float(k.group(1)), float(k.group(2))) if k else ())
    if not res or f"blkbench: verify: {mib << 20} bytes read back as written" not in out:
        sys.exit(f"bench: blkbench {dev} did not finish with its data verified; output:\n" + out)
    return res


RECOVERY = re.compile(r"^fault: (/dev/\w+): first request served (\d+) ms after the fault; the longest of \d+ reads "
                      r"until \w+ ran again waited (\d+) ms")
RUNNING = re.compile(r"^fault: \w+ running again after (\d+) ms")
# (name, boot script, container killed, description)
# (name, boot script, container, what, devices: "card" the SD card, "ufs" a
# UFS logical unit instead; ldc1's first node, which the kill's reads use,
# is the one attached)
# ldc1 has a standby on the board (devices.conf "standby ldc1"): its rows
# run with it and, for the before/after, cold (boot-cold.conf: standby=off)
RECOVERY_SYSTEMS = [("DC-solo", "boot.conf", "ldc0", "virtio-blk, Linux virtio_blk in ldc0", "card"),
                    ("DC-twin", "boot-twin.conf", "ldc0", "virtio-blk, control plane in ldc0, vtwin serves on", "card"),
                    ("MMC", "boot.conf", "ldc1", "SD card, Linux sdhci-pci + mmc_block in ldc1; standby activated",
                     "card"),
                    ("MMC cold", "boot-cold.conf", "ldc1", "the same, standby=off: started from its program", "card"),
                    ("UFS", "boot.conf", "ldc1", "UFS, Linux ufshcd-pci + sd in ldc1 (one logical unit); standby "
                     "activated", "ufs"),
                    ("UFS cold", "boot-cold.conf", "ldc1", "the same, standby=off", "ufs")]


def recovery(qemu, build, disk, card, ufs, runs, script, ct):
    """for `runs` kills of ct, in ms: (fault -> first read served, the longest
    read until ct runs again, fault -> ct running again); 1.5 s apart, outside
    devmgr's repeat window (no back-off)"""
    cmd = board_cmd(qemu, ["-kernel", f"{build}/hm.bin", "-initrd", f"{build}/boot-test.img",
                           "-append", f"hm.boot={script}"], disk, card, ufs)
    typed = f"sleep 1500\nfault {ct} kill\n" * runs + "poweroff\n"
    out = subprocess.run(cmd, input=typed.encode(), capture_output=True, timeout=600).stdout.decode(errors="replace")
    lines = [l.strip() for l in out.splitlines()]
    ms = [(int(m.group(2)), int(m.group(3))) for m in map(RECOVERY.match, lines) if m]
    up = [int(m.group(1)) for m in map(RUNNING.match, lines) if m]
    if len(ms) != runs or len(up) != runs:
        sys.exit(f"bench: recovery of {ct} ({script}): {len(ms)} of {runs} measured; output:\n" + out)
    return [(a, b, c) for (a, b), c in zip(ms, up)]


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--build", default="build")
    ap.add_argument("--qemu", required=True)
    ap.add_argument("--runs", type=int, default=5)
    ap.add_argument("--blk-runs", type=int, default=3)
    ap.add_argument("--blk-mib", type=int, default=16)
    ap.add_argument("--recovery-runs", type=int, default=5)
    ap.add_argument("--merge-runs", type=int, default=3)
    ap.add_argument("--fig10-runs", type=int, default=5)
    ap.add_argument("--icountload-rounds", type=int, default=3)
    ap.add_argument("--fig10-mib", type=int, default=16)
    ap.add_argument("--parts", default="ipc,smmu,blk,merge,fig10,profile,icountload,recovery",
                    help="which parts to run (comma-separated)")
    ap.add_argument("--systems", default="", help="blk: only these systems (comma-separated names of SYSTEMS; "
                                                  "default all)")
    args = ap.parse_args()
    parts = args.parts.split(",")
    outdir = os.path.join(args.build, "bench")
    os.makedirs(outdir, exist_ok=True)
    qv = subprocess.run([args.qemu.split()[0], "--version"], capture_output=True, text=True).stdout.splitlines()[0]
    if "ipc" in parts:
        ipc(args, outdir, qv)
    if "smmu" in parts:
        print("bench: the cost of a DMA registration through devmgr (the SMMU's per-request alternative)")
        print(dma_map_cost(args, outdir, qv))
    # block I/O: the disk on tmpfs and cache=unsafe, so the host disk drops out
    shm = "/dev/shm" if os.path.isdir("/dev/shm") else outdir
    disk = os.path.join(shm, "hm-bench.img")
    card = os.path.join(shm, "hm-bench-sd.img")
    ufs = os.path.join(shm, "hm-bench-ufs.img")
    nvme = os.path.join(shm, "hm-bench-nvme.img")
    for path in (disk, ufs, nvme):
        with open(path, "wb") as f:
            f.truncate(256 << 20)
    with open(card, "wb") as f:
        f.truncate(max(64, 1 << (args.blk_mib - 1).bit_length()) << 20)   # QEMU: a power of two
    if "blk" in parts:
        blk(args, outdir, qv, disk, card, ufs, nvme)
    if "merge" in parts:
        merge.table(lambda system, op, bs, qd, mib, trace=None, icount=False:
                    merge.boot(args, board_cmd, no_smmu, BLK, disk, system, op, bs, qd, mib, trace, icount),
                    args, outdir, qv)
    if "fig10" in parts:
        print(f"bench: figure 10 (UFS, 4-512 KiB), {args.fig10_runs} runs of {args.fig10_mib} MiB per workload, "
              "systems alternating: " + ", ".join(d for _, _, d in fig10.SYSTEMS))
        res = fig10.run(lambda script, mib: blkbench(args.qemu, args.build, disk, card, ufs, mib, script, "/dev/sda",
                                                     None, "fig10"), args.fig10_runs, args.fig10_mib)
        print(fig10.write(outdir, res, args.fig10_runs, args.fig10_mib, qv, args.qemu))
    if "profile" in parts:
        print("bench: figure 10 profile (a 4 KiB random read at depth 1: -icount, QEMU's UFS trace)")
        prof = fig10.profile(lambda script, mib, icount, trace: profile_boot(args, disk, card, ufs, script, mib, icount,
                                                                             trace))
        print(fig10.write_profile(outdir, prof))
    if "icountload" in parts:
        print("bench: -icount and the host's load (the profile's workload; host idle, then busy; ~30 s)")
        res = icount_load.run(lambda script, mib, icount, trace: profile_boot(args, disk, card, ufs, script, mib,
                                                                              icount, trace), args.icountload_rounds)
        print(icount_load.write(outdir, res, args.icountload_rounds, qv, args.qemu))
    if "recovery" in parts:
        recovery_table(args, outdir, qv, disk, card, ufs)
    for path in (disk, card, ufs, nvme):
        os.unlink(path)
    with open(os.path.join(outdir, "results.md"), "w") as f:
        for name in ("ipc.md", "blk.md", "merge.md", "fig10.md", "fig10-profile.md", "icount-load.md", "recovery.md"):
            path = os.path.join(outdir, name)
            if os.path.exists(path):
                f.write(open(path).read() + "\n")
                if name == "blk.md":
                    f.write("![block I/O IOPS per workload and system](blk.png)\n\n")
                if name == "fig10.md":
                    f.write("![Figure 10: UFS throughput against request size](fig10.png)\n\n")


COUNTERS = re.compile(r"syscalls/req=(\S+) switches/req=(\S+) as_switches/req=(\S+) irqs/req=(\S+)")


def profile_boot(args, disk, card, ufs, script, mib, icount, trace):
    """one 4 KiB random-read workload on the UFS LU: (IOPS, QEMU's stderr,
    hm's counters per request or None, guest instructions per request (the
    PMU's, under -icount) or None)"""
    if script is None:
        boot = guests.native_linux(args.build, mib, "sda", "nativebench.only=randread,4096,1")
    else:
        boot = ["-kernel", f"{args.build}/hm.bin", "-initrd", f"{args.build}/boot-test.img", "-append", f"hm.boot={script}"]
    cmd = board_cmd(args.qemu, boot, disk, card, ufs) + (["-icount", "shift=0"] if icount else []) + \
        (["-trace", "ufs_mmio_*"] if trace else [])
    p = subprocess.run(cmd, input=f"blkbench /dev/sda {mib} randread 4096 1\npoweroff\n".encode() if script else b"",
                       capture_output=True, timeout=1800)
    out, err = p.stdout.decode(errors="replace"), p.stderr.decode(errors="replace")
    m = re.search(r"^blkbench randread bs=4096 qd=1 MBps=\S+ iops=(\d+)", out, re.M)
    k, i = COUNTERS.search(out), merge.INSTRUCTIONS.search(out)
    if not m:
        sys.exit("bench: profile: no result; output:\n" + out)
    return float(m.group(1)), err, tuple(float(x) for x in k.groups()) if k else None, float(i.group(1)) if i else None


MAPPAIR = re.compile(r"# dma-map-pair (\d+) pairs, (\d+) ns each")


def dma_map_cost(args, outdir, qv):
    """the SMMU part: what one DMA registration and its removal through
    devmgr cost (kt_dm's container kt_msidrv times 200 of them), plain and
    under -icount (ns = guest instructions): the least a mapping per
    dma_map_* through devmgr (an iommu_ops in arch/hm) would add to every
    request, against the identity map's nothing"""
    res = {False: [], True: []}
    for run in range(args.runs):
        for icount in (False, True):
            small = os.path.join(outdir, "dmamap-disk.img")
            nvme = os.path.join(outdir, "dmamap-nvme.img")
            for path in (small, nvme):
                with open(path, "wb") as f:
                    f.truncate(1 << 20)
            cmd = args.qemu.split() + ["-kernel", f"{args.build}/hm.bin", "-initrd", f"{args.build}/boot-test.img",
                                       "-append", "hm.run=kt_dm", "-drive", f"if=none,id=hd0,file={small},format=raw",
                                       "-device", "virtio-blk-device,drive=hd0", "-device", "nvme,serial=b,id=nvme0",
                                       "-drive", f"if=none,id=nvns1,file={nvme},format=raw",
                                       "-device", "nvme-ns,drive=nvns1,nsid=1,bus=nvme0", "-display", "none",
                                       "-monitor", "none", "-serial", "stdio", "-no-reboot"] + \
                (["-icount", "shift=0"] if icount else [])
            out = subprocess.run(cmd, capture_output=True, timeout=300, stdin=subprocess.DEVNULL).stdout.decode(
                errors="replace")
            m = MAPPAIR.search(out)
            if not m:
                sys.exit("bench: kt_dm printed no dma-map-pair line; output:\n" + out)
            res[icount].append(int(m.group(2)))
    with open(os.path.join(outdir, "smmu.md"), "w") as f:
        f.write(f"{time.strftime('%Y-%m-%d')}, {qv}, `{args.qemu}`, {args.runs} runs per mode, alternating; "
                "kt_msidrv (a container driving an NVMe function and the host bridge) times 200 HM_DM_DMA_MAP + "
                "HM_DM_DMA_UNMAP pairs of one page.\n\n| mode | per pair, median (min-max) |\n| --- | ---: |\n")
        for icount, label in ((False, "TCG, ns"), (True, "-icount shift=0, guest instructions")):
            v = res[icount]
            f.write(f"| {label} | {statistics.median(v):.0f} ({min(v)}-{max(v)}) |\n")
    with open(os.path.join(outdir, "smmu.md")) as f:
        return f.read()


def ipc(args, outdir, qv):
    wall, instr = {}, {}
    print(f"bench: {args.runs} runs each of plain TCG and -icount shift=0, alternating (~1 min)")
    for i in range(args.runs):
        for icount in (False, True):
            r = boot(args.qemu, args.build, icount, 300)
            for k, v in r.items():
                (instr if icount else wall).setdefault(k, []).append(v)
        print(f"bench: run {i + 1}/{args.runs} done")
    rows = []
    for k in DESCR:
        if k not in wall:
            continue
        w, n = wall[k], instr[k]
        rows.append((k, statistics.median(w), min(w), max(w), statistics.median(n), min(n), max(n)))
    with open(os.path.join(outdir, "ipc.md"), "w") as f:
        f.write("# hm IPC benchmark\n\n")
        f.write(f"{time.strftime('%Y-%m-%d')}, {qv}, `{args.qemu}`, {args.runs} runs per mode, alternating.\n")
        f.write("Wall time: plain TCG, guest generic timer (62.5 MHz). Instructions: `-icount shift=0`, ")
        f.write("where 1 guest ns = 1 guest instruction.\n\n")
        f.write("| operation | wall ns/op median | min-max | guest instructions/op median | min-max |\n")
        f.write("| --- | ---: | ---: | ---: | ---: |\n")
        for k, wm, wl, wh, nm, nl, nh in rows:
            f.write(f"| {DESCR[k]} | {wm:.0f} | {wl:.0f}-{wh:.0f} | {nm:.0f} | {nl:.0f}-{nh:.0f} |\n")
    with open(os.path.join(outdir, "ipc.csv"), "w") as f:
        f.write("operation,wall_ns_median,wall_ns_min,wall_ns_max,instr_median,instr_min,instr_max\n")
        for r in rows:
            f.write(",".join([r[0]] + [f"{x:.1f}" for x in r[1:]]) + "\n")
    print(open(os.path.join(outdir, "ipc.md")).read())


def blk(args, outdir, qv, disk, card, ufs, nvme):
    global SYSTEMS
    if args.systems:
        unknown = set(args.systems.split(",")) - {name for name, _, _, _ in SYSTEMS}
        if unknown:
            sys.exit(f"bench: no system {', '.join(sorted(unknown))} (names: {', '.join(n for n, _, _, _ in SYSTEMS)})")
        SYSTEMS = [s for s in SYSTEMS if s[0] in args.systems.split(",")]
    print(f"bench: blkbench, {args.blk_runs} runs of {args.blk_mib} MiB per workload, systems alternating: "
          + ", ".join(d for _, _, d, _ in SYSTEMS))
    runs = {name: [] for name, _, _, _ in SYSTEMS}
    for i in range(args.blk_runs):
        for name, script, _, dev in SYSTEMS:
            runs[name].append(blkbench(args.qemu, args.build, disk, card, ufs, args.blk_mib, script, dev,
                                       SYSTEM_OPTS.get(name), nvme=nvme))
        print(f"bench: blkbench run {i + 1}/{args.blk_runs} done")
    write_blk(outdir, qv, args, runs)


def recovery_table(args, outdir, qv, disk, card, ufs):
    print(f"bench: recovery after a kill, {args.recovery_runs} kills each of "
          + ", ".join(n for n, _, _, _, _ in RECOVERY_SYSTEMS) + f" (~{args.recovery_runs * 2 * len(RECOVERY_SYSTEMS) // 60 + 1} min)")
    rec = {n: recovery(args.qemu, args.build, disk, card if devs == "card" else None, ufs if devs == "ufs" else None,
                       args.recovery_runs, s, ct)
           for n, s, ct, _, devs in RECOVERY_SYSTEMS}
    with open(os.path.join(outdir, "recovery.md"), "w") as f:
        f.write("# hm recovery after a driver container is killed\n\n")
        f.write(f"{time.strftime('%Y-%m-%d')}, {qv}, `{args.qemu}`; the shell's `fault CONTAINER kill`, "
                f"{args.recovery_runs} times, 1.5 s apart (outside devmgr's repeat window: no back-off). The shell "
                "opens the container's first node before the kill and reads its first 512 bytes over and over "
                "until the container runs again: *first read* is the time from the kill to the first read "
                "served (DC-solo, MMC cold, UFS cold: by the restarted container, after devmgr reset the devices, "
                "started it again from the boot image, Linux probed and the node was registered again; MMC, UFS: "
                "devmgr handed the reset devices to ldc1's standby, booted ahead up to its drivers, whose Linux "
                "probed them; DC-twin: by the twin, which serves on), *longest wait* the longest any of those reads took (DC-twin: the "
                "pause while the new LDC probes the device and hands it back), *running again* the time "
                "until devmgr has the container running. Median (worst).\n\n")
        f.write("| system | container | first read ms | longest wait ms | running again ms |\n"
                "| --- | --- | ---: | ---: | ---: |\n")
        for n, _, ct, d, _ in RECOVERY_SYSTEMS:
            cols = [[r[i] for r in rec[n]] for i in range(3)]
            f.write(f"| {n} ({d}) | {ct} | " + " | ".join(f"{statistics.median(v):.0f} ({max(v)})" for v in cols)
                    + " |\n")
    print(open(os.path.join(outdir, "recovery.md")).read())


def write_blk(outdir, qv, args, runs):
    with open(os.path.join(outdir, "blk.md"), "w") as f:
        f.write("# hm block I/O benchmark\n\n")
        f.write(f"{time.strftime('%Y-%m-%d')}, {qv}, `{args.qemu}`; disk image on tmpfs, `cache=unsafe`; "
                f"{args.blk_mib} MiB per workload; {args.blk_runs} runs per system, the systems alternating "
                "run by run; median (min-max) IOPS; the ratio is of the medians. Native Linux and the -nosmmu "
                "systems run without `iommu=smmuv3` (no SMMU on the board); the others with it, devmgr "
                "confining each PCI function's DMA.\n\n")
        f.write("The SD card has no native driver to compare with: its column is absolute (QEMU's sdhci "
                "emulation moves data by ADMA2 descriptors, one SD command per request). UFS: QEMU's UFS host "
                "controller in single-doorbell mode (32 slots), one logical unit with 4 KiB blocks, the same "
                "Linux 6.1 drivers natively and in ldc1; the two 6.12 columns are DC-solo with Linux 6.12's "
                "runtime, QEMU's default single-doorbell mode and `mcq=on,mcq-maxq=2` (Linux: one I/O queue and "
                "one poll queue, no ESI: completions by the legacy interrupt).\n\n")
        names = {n for n, _, _, _ in SYSTEMS}
        ratios_shown = [r for r in RATIOS if r[0] in names and r[1] in names]   # --systems may leave some out
        f.write("| workload | bs | qd | " + " | ".join(f"{d} IOPS" for _, _, d, _ in SYSTEMS)
                + "".join(f" | {h}" for _, _, h in ratios_shown) + " |\n| --- | ---: | ---: | "
                + " | ".join("---:" for _ in SYSTEMS) + " | ---:" * len(ratios_shown) + " |\n")
        for key in runs[SYSTEMS[0][0]][0]:
            cells, med = [], {}
            for name, _, _, _ in SYSTEMS:
                iops = [r[key][1] for r in runs[name] if key in r]
                med[name] = statistics.median(iops) if iops else 0
                cells.append(f"{med[name]:.0f} ({min(iops):.0f}-{max(iops):.0f})" if iops else "-")
            ratios = [med[a] / med[b] if med.get(b) else 0 for a, b, _ in ratios_shown]
            f.write(f"| {key[0]} | {key[1] // 1024} KiB | {key[2]} | " + " | ".join(cells)
                    + "".join(f" | {r:.2f}" for r in ratios) + " |\n")
        f.write("\n## Interrupts per request\n\nhm's kernel counters over each workload divided by its requests "
                "(median of the runs): every interrupt the kernel dispatched (`irqs`, the timer's included) and those "
                "that came as messages (`msis`: MSI-X through the GICv2m frame). virtio-mmio's and INTx's lines "
                "count in `irqs` only.\n\n")
        f.write("| workload | bs | qd | " + " | ".join(f"{d} irqs/req | msis/req" for n, _, d, _ in SYSTEMS
                                                      if n in IRQ_SYSTEMS) + " |\n| --- | ---: | ---: | "
                + " | ".join("---: | ---:" for n, _, _, _ in SYSTEMS if n in IRQ_SYSTEMS) + " |\n")
        for key in runs[SYSTEMS[0][0]][0]:
            cells = []
            for name, _, _, _ in SYSTEMS:
                if name not in IRQ_SYSTEMS:
                    continue
                got = [r[key] for r in runs[name] if key in r and len(r[key]) == 4]
                cells.append(f"{statistics.median(g[2] for g in got):.2f} | {statistics.median(g[3] for g in got):.2f}"
                             if got else "- | -")
            f.write(f"| {key[0]} | {key[1] // 1024} KiB | {key[2]} | " + " | ".join(cells) + " |\n")
    plot(outdir, runs)
    print(open(os.path.join(outdir, "blk.md")).read())


def plot(outdir, runs):
    """build/bench/blk.csv (median IOPS per workload and system) and blk.png,
    grouped bars on a log scale, drawn by gnuplot"""
    keys = list(runs[SYSTEMS[0][0]][0])
    csv = os.path.join(outdir, "blk.csv")
    with open(csv, "w") as f:
        f.write("workload," + ",".join(name for name, _, _, _ in SYSTEMS) + "\n")
        for key in keys:
            meds = [statistics.median([r[key][1] for r in runs[name] if key in r] or [0]) for name, _, _, _ in SYSTEMS]
            f.write(f"{key[0]}-{key[1] // 1024}K-qd{key[2]}," + ",".join(f"{m:.0f}" for m in meds) + "\n")
    cols = " ".join(f"'{csv}' using {i + 2}:xtic(1) title '{d}'" + ("" if i == len(SYSTEMS) - 1 else ",")
                    for i, (_, _, d, _) in enumerate(SYSTEMS))
    script = f"""set terminal png noenhanced size 1400,650
set output '{os.path.join(outdir, "blk.png")}'
set datafile separator ','
set style data histograms
set style histogram clustered gap 1
set style fill solid border -1
set logscale y
set ylabel 'IOPS (median of the runs, log scale)'
set xtics rotate by -45 font ',8'
set key below font ',9'
set title 'hm block I/O: native Linux, native driver, DC-solo, DC-twin, SD card (QEMU TCG)'
plot {cols.replace("'" + csv + "' using", "'" + csv + "' every ::1 using")}
"""
    r = subprocess.run(["gnuplot"], input=script, text=True, capture_output=True)
    if r.returncode:
        print("bench: gnuplot failed (the table is still written):\n" + r.stderr)


if __name__ == "__main__":
    main()
