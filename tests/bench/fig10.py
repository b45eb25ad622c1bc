"""make bench, part 2: HongMeng's Figure 10 on QEMU's UFS: throughput against
request size for native Linux, DC-solo and DC-twin.

The three systems boot in turn (run by run, alternating) on the same UFS
image (tmpfs, cache=unsafe) and QEMU flags; each runs hm/blkbench.h's
"fig10" set: sequential and random reads and writes of 4 KiB to 512 KiB at
queue depth 1 and 32, a fill pass first and a verify pass last (a run whose
data do not verify stops the bench). Writes build/bench/fig10.md (median
MB/s with min-max, the ratios DC-twin / DC-solo and DC-twin / native Linux
per size), fig10.csv and fig10.png (one panel per workload and depth,
throughput against request size, the systems as lines, as in the paper).
"""
import os
import statistics
import subprocess
import sys
import time

# (name, boot script (None: native Linux), description)
SYSTEMS = [("linux", None, "native Linux 6.1 (ufshcd-pci, O_DIRECT, AIO)"),
           ("solo", "boot.conf", "DC-solo (ufshcd-pci + sd in ldc1)"),
           ("twin", "boot-twin.conf", "DC-twin (ufshcd in ldc1, utwin data plane)")]
SHORT = {"linux": "native Linux", "solo": "DC-solo", "twin": "DC-twin"}
RATIOS = [("twin", "solo", "DC-twin / DC-solo"), ("twin", "linux", "DC-twin / native Linux"),
          ("solo", "linux", "DC-solo / native Linux")]
OPS = ["seqread", "randread", "seqwrite", "randwrite"]


def run(blkbench, runs, mib):
    """{system: [result per run]}, each result {(op, bs, qd): (MBps, IOPS)}"""
    res = {name: [] for name, _, _ in SYSTEMS}
    for i in range(runs):
        for name, script, _ in SYSTEMS:
            res[name].append(blkbench(script, mib))
        print(f"bench: figure 10 run {i + 1}/{runs} done")
    return res


def med(res, name, key, col=0):
    v = [r[key][col] for r in res[name] if key in r]
    return (statistics.median(v), min(v), max(v)) if v else (0, 0, 0)


def write(outdir, res, runs, mib, qv, qemu):
    keys = sorted(res["linux"][0], key=lambda k: (OPS.index(k[0]), k[2], k[1]))
    with open(os.path.join(outdir, "fig10.md"), "w") as f:
        f.write("# Figure 10 on QEMU's UFS: throughput against request size\n\n")
        f.write(f"{time.strftime('%Y-%m-%d')}, {qv}, `{qemu}`; QEMU's UFS host controller (single doorbell, "
                f"32 slots), one logical unit with 4 KiB blocks on a 256 MiB image on tmpfs, `cache=unsafe`; "
                f"{mib} MiB per workload after a fill pass, every read checked and everything read back at the end; "
                f"{runs} runs per system, the systems alternating run by run; median MB/s (min-max); the ratios "
                "are of the medians.\n\n")
        f.write("| workload | qd | size | " + " | ".join(d for _, _, d in SYSTEMS) + "".join(f" | {h}" for _, _, h in RATIOS)
                + " |\n| --- | ---: | ---: | " + " | ".join("---:" for _ in SYSTEMS) + " | ---:" * len(RATIOS) + " |\n")
        for key in keys:
            m = {name: med(res, name, key) for name, _, _ in SYSTEMS}
            cells = [f"{m[n][0]:.1f} ({m[n][1]:.1f}-{m[n][2]:.1f})" for n, _, _ in SYSTEMS]
            ratios = [m[a][0] / m[b][0] if m[b][0] else 0 for a, b, _ in RATIOS]
            f.write(f"| {key[0]} | {key[2]} | {key[1] // 1024} KiB | " + " | ".join(cells)
                    + "".join(f" | {r:.2f}" for r in ratios) + " |\n")
    with open(os.path.join(outdir, "fig10.csv"), "w") as f:
        f.write("workload,qd,size_kib," + ",".join(f"{n}_MBps" for n, _, _ in SYSTEMS) + "\n")
        for key in keys:
            f.write(f"{key[0]},{key[2]},{key[1] // 1024}," + ",".join(f"{med(res, n, key)[0]:.2f}" for n, _, _ in SYSTEMS)
                    + "\n")
    plot(outdir)
    return open(os.path.join(outdir, "fig10.md")).read()


def plot(outdir):
    """fig10.png: 4 x 2 panels (workload x depth), MB/s against request size"""
    csv = os.path.join(outdir, "fig10.csv")
    panels = []
    for qd in (1, 32):
        for op in OPS:
            lines = ", ".join(
                f"'{csv}' using ((strcol(1) eq '{op}' && $2 == {qd}) ? $3 : NaN):{i + 4} with linespoints "
                f"title '{SHORT[n]}'" for i, (n, _, _) in enumerate(SYSTEMS))
            panels.append(f"set title '{op}, queue depth {qd}'\nplot {lines}\n")
    script = f"""set terminal png noenhanced size 1600,800
set output '{os.path.join(outdir, "fig10.png")}'
set datafile separator ','
set key autotitle columnhead
set logscale x 2
set xlabel 'request size (KiB)'
set ylabel 'MB/s'
set key top left font ',9'
set multiplot layout 2,4 title 'hm on QEMU UFS: native Linux, DC-solo, DC-twin (HongMeng Figure 10)'
{''.join(panels)}unset multiplot
"""
    r = subprocess.run(["gnuplot"], input=script, text=True, capture_output=True)
    if r.returncode:
        print("bench: gnuplot failed (the table is still written):\n" + r.stderr)


def profile(boot_one, mibs=(4, 8)):
    """what a 4 KiB random read at depth 1 costs each system, per request:
    guest instructions (-icount shift=0, the PMU's retired instructions as
    hm's kernel and native Linux's perf count them: every instruction of the
    guest, client, driver and kernel, idle loop included; median of three
    runs), the guest's virtual time per request (10^9 / IOPS under -icount:
    the instructions plus the time it idled for QEMU's device) and QEMU's UFS
    register accesses (its trace events ufs_mmio_read / ufs_mmio_write,
    counted over two runs of different sizes: the difference is the
    workload's own).
    boot_one(script, mib, icount, trace) -> (IOPS, QEMU's stderr, hm's
    counters or None, instructions per request or None).
    Returns {system: {...}} and writes nothing."""
    out = {}
    for name, script, _ in SYSTEMS:
        runs = [boot_one(script, mibs[1], True, False) for _ in range(3)]
        instr = [r[3] for r in runs]
        if None in instr:
            sys.exit(f"bench: profile: {name}: no instruction count under -icount (the PMU's INST_RETIRED)")
        counts = []
        for mib in mibs:
            _, err, _, _ = boot_one(script, mib, False, True)
            counts.append((err.count("ufs_mmio_read"), err.count("ufs_mmio_write")))
        n = (mibs[1] - mibs[0]) * 256   # 4 KiB requests in the difference
        vns = [1e9 / r[0] for r in runs if r[0]]
        out[name] = {"instructions": instr, "virtual_ns": vns,
                     "reads": (counts[1][0] - counts[0][0]) / n, "writes": (counts[1][1] - counts[0][1]) / n,
                     "counters": runs[0][2]}
    return out


def _spread(v, fmt="{:,.0f}"):
    return f"{fmt.format(statistics.median(v))} ({fmt.format(min(v))}-{fmt.format(max(v))})"


def write_profile(outdir, prof):
    with open(os.path.join(outdir, "fig10-profile.md"), "w") as f:
        f.write("# Figure 10 profile: a 4 KiB random read at queue depth 1, per request\n\n")
        f.write("Under `-icount shift=0`, three runs, median (min-max): guest instructions are the PMU's retired "
                "instructions (hm's kernel: kstat's instructions=; native Linux: perf on CPU 0), everything the guest "
                "ran for a request; virtual time is 10^9 / IOPS, those instructions plus the time the guest idled "
                "for QEMU's device. QEMU's UFS register reads and writes: trace events, the difference of a 4 MiB and "
                "an 8 MiB run; hm's microkernel counters: blkbench's per-request line.\n\n")
        f.write("| per request | " + " | ".join(SHORT[n] for n, _, _ in SYSTEMS) + " |\n| --- |"
                + " ---: |" * len(SYSTEMS) + "\n")
        f.write("| guest instructions | " + " | ".join(_spread(prof[n]["instructions"]) for n, _, _ in SYSTEMS) + " |\n")
        f.write("| virtual ns under -icount | " + " | ".join(_spread(prof[n]["virtual_ns"]) for n, _, _ in SYSTEMS)
                + " |\n")
        f.write("| UFS register reads / writes | " + " | ".join(f"{prof[n]['reads']:.2f} / {prof[n]['writes']:.2f}"
                                                              for n, _, _ in SYSTEMS) + " |\n")
        for i, label in enumerate(("system calls", "thread switches", "address-space switches", "interrupts")):
            f.write(f"| {label} | " + " | ".join(f"{prof[n]['counters'][i]:.2f}" if prof[n]["counters"] else "-"
                                                 for n, _, _ in SYSTEMS) + " |\n")
    return open(os.path.join(outdir, "fig10-profile.md")).read()
