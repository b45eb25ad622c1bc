"""make bench, part "merge": what bounds hm's sequential reads against
native Linux, the block layer's merging of adjacent requests (native Linux
with nativebench.nomerges=2) or QEMU's (ndc with virtio-blk's
request-merging=off). One workload per boot, 128 MiB per workload (the
blk table's 16 would give 16 requests at 1 MiB: noise), the systems
alternating round by round; writes build/bench/merge.md
(docs/benchmarks.md quotes it).
"""
import os
import statistics
import subprocess
import sys
import time

WORKLOADS = [("seqread", 1048576, 32), ("seqread", 65536, 32), ("randread", 1048576, 32),
             ("seqwrite", 1048576, 1), ("randwrite", 1048576, 32)]
SYSTEMS = [("native", "native Linux 6.1"), ("native-nomerges", "native Linux, its merging off (nomerges=2)"),
           ("ndc", "ndc"), ("ndc-qemu-nomerge", "ndc, QEMU's merging off (request-merging=off)")]
MIB = 128


def boot(args, board_cmd, no_smmu, blk_re, disk, system, op, bs, qd, mib):
    """IOPS of one workload on one system (one boot); board_cmd, no_smmu
    and the result line's pattern are run_bench's"""
    if system.startswith("native"):
        kboot = ["-kernel", f"{args.build}/native-linux-6.1/Image", "-initrd",
                 f"{args.build}/native-linux-6.1/initramfs.cpio", "-append",
                 f"console=ttyAMA0 hugepages=16 nativebench.mib={mib} nativebench.dev=vda "
                 f"nativebench.only={op},{bs},{qd}" + (" nativebench.nomerges=2" if "nomerges" in system else "")]
        cmd, typed = board_cmd(no_smmu(args.qemu), kboot, disk, None, None), b""
    else:
        kboot = ["-kernel", f"{args.build}/hm.bin", "-initrd", f"{args.build}/boot-test.img", "-append",
                 "hm.boot=boot-ndc.conf"]
        cmd = board_cmd(args.qemu, kboot, disk, None, None)
        if "qemu-nomerge" in system:
            cmd = [c + ",request-merging=off" if c == "virtio-blk-device,drive=hd" else c for c in cmd]
        typed = f"blkbench /dev/vda {mib} {op} {bs} {qd}\npoweroff\n".encode()
    out = subprocess.run(cmd, input=typed, capture_output=True, timeout=600).stdout.decode(errors="replace")
    iops = [int(m.group(5)) for m in map(blk_re.match, (line.strip() for line in out.splitlines())) if m]
    if len(iops) != 1 or (system == "native-nomerges" and "nomerges = 2\n" not in out.replace("\r", "")):
        sys.exit(f"bench: merging, {system} {op} {bs} {qd}: no result (or nomerges not set); output:\n" + out)
    return iops[0]


def table(run_one, args, outdir, qv):
    """run_one(system, op, bs, qd, mib) -> IOPS, for every workload and
    system, args.merge_runs rounds; writes and prints merge.md"""
    print(f"bench: request merging, {len(WORKLOADS)} workloads x {len(SYSTEMS)} systems, "
          f"{args.merge_runs} alternating rounds, {MIB} MiB per workload (~{args.merge_runs * 2} min)")
    res = {}
    for _ in range(args.merge_runs):
        for wl in WORKLOADS:
            for system, _d in SYSTEMS:
                res.setdefault((wl, system), []).append(run_one(system, *wl, MIB))
    with open(os.path.join(outdir, "merge.md"), "w") as f:
        f.write("# What bounds hm's sequential reads against native Linux: request merging\n\n")
        f.write(f"{time.strftime('%Y-%m-%d')}, {qv}, `{args.qemu}`; one workload per boot (nativebench.only=, "
                f"the shell's `blkbench /dev/vda {MIB} OP BS QD`), {MIB} MiB per workload, {args.merge_runs} "
                "rounds alternating the systems; IOPS, median (min-max). Native Linux's block layer merges "
                "adjacent requests unless nomerges=2; QEMU's virtio-blk merges adjacent requests it takes from the "
                "ring in one go unless request-merging=off.\n\n")
        f.write("| workload | " + " | ".join(d for _, d in SYSTEMS) + " | ndc / native |\n")
        f.write("| --- | " + " | ".join("---:" for _ in SYSTEMS) + " | ---: |\n")
        for wl in WORKLOADS:
            cells = [f"{statistics.median(res[(wl, s)]):.0f} ({min(res[(wl, s)])}-{max(res[(wl, s)])})"
                     for s, _ in SYSTEMS]
            ratio = statistics.median(res[(wl, "ndc")]) / statistics.median(res[(wl, "native")])
            f.write(f"| {wl[0]} {wl[1] // 1024} KiB qd{wl[2]} | " + " | ".join(cells) + f" | {ratio:.2f} |\n")
    print(open(os.path.join(outdir, "merge.md")).read())
