"""make bench, part "merge": what bounds hm's sequential reads against
native Linux, the block layer's merging of adjacent requests (native Linux
with nativebench.nomerges=2) or QEMU's (ndc with virtio-blk's
request-merging=off), and what makes QEMU merge hm's requests: the shell's
client runs above the drivers, so ndc takes a whole depth of them at once
(ndc with `blkbench -b`: the client below the driver); and what touching
the pages of a request costs hm's client after its address-space switches
(ndc with `blkbench -n`). One workload per boot, 128 MiB per workload (the
blk table's 16 would give 16 requests at 1 MiB: noise), the systems
alternating round by round; writes build/bench/merge.md
(docs/benchmarks.md quotes it).
"""
import os
import re
import statistics
import subprocess
import sys
import time

import guests

WORKLOADS = [("seqread", 1048576, 32), ("seqread", 65536, 32), ("randread", 1048576, 32),
             ("seqwrite", 1048576, 1), ("randwrite", 1048576, 32)]
SYSTEMS = [("native", "native Linux 6.1"), ("native-nomerges", "native Linux, its merging off (nomerges=2)"),
           ("ndc", "ndc"), ("ndc-qemu-nomerge", "ndc, QEMU's merging off (request-merging=off)"),
           ("ndc-bg", "ndc, client below the driver (blkbench -b)"),
           ("ndc-untouched", "ndc, the client touches no page (blkbench -n)")]
MIB = 128
TRACE_EVENTS = ["virtio_blk_handle_read", "virtio_blk_handle_write", "virtio_blk_rw_complete",
                "virtio_blk_submit_multireq", "virtio_queue_notify", "virtio_notify"]
INSTRUCTIONS = re.compile(r"^blkbench .* instructions/req=(\S+)", re.M)   # the PMU's, under -icount
EVENT = re.compile(r"\d+@(\d+\.\d+):(\w+) (.*)")


def boot(args, board_cmd, no_smmu, blk_re, disk, system, op, bs, qd, mib, trace=None, icount=False):
    """IOPS of one workload on one system (one boot); board_cmd, no_smmu
    and the result line's pattern are run_bench's; trace: a file for QEMU's
    virtio-blk trace events (TRACE_EVENTS, with timestamps); icount: under
    -icount shift=0, and the guest's instructions per request (the PMU's,
    the result line's instructions/req) instead of IOPS"""
    if system.startswith("native"):
        kboot = guests.native_linux(args.build, mib, "vda", f"nativebench.only={op},{bs},{qd}"
                                    + (" nativebench.nomerges=2" if "nomerges" in system else ""))
        cmd, typed = board_cmd(no_smmu(args.qemu), kboot, disk, None, None), b""
    else:
        kboot = ["-kernel", f"{args.build}/hm.bin", "-initrd", f"{args.build}/boot-test.img", "-append",
                 "hm.boot=boot-ndc.conf"]
        cmd = board_cmd(args.qemu, kboot, disk, None, None)
        if "qemu-nomerge" in system:
            cmd = [c + ",request-merging=off" if c == "virtio-blk-device,drive=hd" else c for c in cmd]
        flag = {"ndc-bg": " -b", "ndc-untouched": " -n"}.get(system, "")
        typed = f"blkbench{flag} /dev/vda {mib} {op} {bs} {qd}\npoweroff\n".encode()
    if icount:
        cmd += ["-icount", "shift=0"]
    if trace:
        cmd += [a for ev in TRACE_EVENTS for a in ("-trace", ev)] + ["-msg", "timestamp=on", "-D", trace]
    out = subprocess.run(cmd, input=typed, capture_output=True, timeout=600).stdout.decode(errors="replace")
    iops = [int(m.group(5)) for m in map(blk_re.match, (line.strip() for line in out.splitlines())) if m]
    if len(iops) != 1 or (system == "native-nomerges" and "nomerges = 2\n" not in out.replace("\r", "")):
        sys.exit(f"bench: merging, {system} {op} {bs} {qd}: no result (or nomerges not set); output:\n" + out)
    if icount:
        instr = INSTRUCTIONS.search(out)
        if not instr:
            sys.exit(f"bench: merging, {system} {op} {bs} {qd}: no instruction count under -icount; output:\n" + out)
        return float(instr.group(1))
    return iops[0]


def table(run_one, args, outdir, qv):
    """run_one(system, op, bs, qd, mib, trace=None) -> IOPS, for every
    workload and system, args.merge_runs rounds, then QEMU's view of one
    workload (traced boots); writes and prints merge.md"""
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
                "ring in one go unless request-merging=off. The shell runs above the drivers (hm/prio.h); "
                "`blkbench -b` runs the workload in a thread below them, so ndc takes each request as it is "
                "submitted; `blkbench -n` touches no page of its buffers (no stamps, no checks): what touching "
                "them costs after a request's address-space switches.\n\n")
        f.write("| workload | " + " | ".join(d for _, d in SYSTEMS) + " | ndc / native | ndc -b / native | ndc -n / native |\n")
        f.write("| --- | " + " | ".join("---:" for _ in SYSTEMS) + " | ---: | ---: | ---: |\n")
        for wl in WORKLOADS:
            cells = [f"{statistics.median(res[(wl, s)]):.0f} ({min(res[(wl, s)])}-{max(res[(wl, s)])})"
                     for s, _ in SYSTEMS]
            native = statistics.median(res[(wl, "native")])
            ratios = [statistics.median(res[(wl, s)]) / native for s in ("ndc", "ndc-bg", "ndc-untouched")]
            f.write(f"| {wl[0]} {wl[1] // 1024} KiB qd{wl[2]} | " + " | ".join(cells)
                    + "".join(f" | {r:.2f}" for r in ratios) + " |\n")
        f.write("\n" + qemu_view_table(run_one, outdir))
    print(open(os.path.join(outdir, "merge.md")).read())


def qemu_view(text, n, nsectors, write):
    """what QEMU did with a workload's n requests of nsectors each (reads:
    the first n of that size after the fill pass's writes; writes: the last
    n of that size, the fill pass's before them), from its trace: host I/Os
    after merging, the largest merge, notifications and interrupts while it
    ran, wall time per request, the mean time a request spent in QEMU, and
    the share of the time with none of them in QEMU (the device idle while
    the guest works)"""
    ev = [(float(m.group(1)), m.group(2), m.group(3)) for m in map(EVENT.match, text.splitlines()) if m]
    kind = "virtio_blk_handle_write" if write else "virtio_blk_handle_read"
    sized = [i for i, e in enumerate(ev) if e[1] == kind and e[2].endswith(f"nsectors {nsectors}")]
    if write:
        sized = sized[-n:]
    else:
        last_write = max((i for i, e in enumerate(ev) if e[1] == "virtio_blk_handle_write"), default=-1)
        sized = [i for i in sized if i > last_write][:n]
    if len(sized) < n:
        return None
    ours, out, done, merges, notes, irqs, idle, inside = set(sized), {}, 0, [], 0, 0, 0.0, 0.0
    start, last_idle = ev[sized[0]][0], None
    for i in range(sized[0], len(ev)):
        t, name, rest = ev[i]
        req = re.search(r"req (\S+)", rest)
        if i in ours:
            if not out and last_idle is not None:
                idle += t - last_idle
            out[req.group(1)] = t
        elif name == "virtio_blk_rw_complete" and req and req.group(1) in out:
            inside += t - out.pop(req.group(1))
            done += 1
            last_idle = t if not out else None
            if done == n:
                break
        elif name == "virtio_blk_submit_multireq" and rest.endswith(f"is_write {int(write)}"):
            merges.append(int(re.search(r"num_reqs (\d+)", rest).group(1)))
        elif name == "virtio_queue_notify":
            notes += 1
        elif name == "virtio_notify":
            irqs += 1
    else:
        return None
    wall = t - start
    return {"host_ios": len(merges) + n - sum(merges), "largest": max(merges, default=1), "notifies": notes,
            "irqs": irqs, "us_per_req": 1e6 * wall / n, "us_inside": 1e6 * inside / n, "idle": idle / wall}


# (op, bs, qd, systems): the traced workloads
TRACED = [("seqread", 1048576, 32, ("native", "ndc", "ndc-bg")), ("seqread", 65536, 32, ("native", "ndc")),
          ("seqwrite", 1048576, 1, ("native", "ndc"))]


def qemu_view_table(run_one, outdir):
    """one traced boot of each TRACED workload and system: QEMU's view"""
    rows = []
    for op, bs, qd, systems in TRACED:
        for system in systems:
            path = os.path.join(outdir, f"merge-trace-{system}.log")
            run_one(system, op, bs, qd, MIB, path)
            instr = run_one(system, op, bs, qd, MIB // 2, None, True)
            v = qemu_view(open(path).read(), MIB * 1048576 // bs, bs // 512, op.endswith("write"))
            os.unlink(path)
            if not v:
                sys.exit(f"bench: merging: {system}'s trace does not hold the workload's requests")
            rows.append(f"| {op} {bs // 1024} KiB qd{qd} | {dict(SYSTEMS)[system]} | {MIB * 1048576 // bs} | "
                        f"{v['host_ios']} | {v['largest']} | {v['notifies']} | {v['irqs']} | {v['us_per_req']:.0f} | "
                        f"{v['us_inside']:.0f} | {100 * v['idle']:.0f} % | {instr:,.0f} |\n")
    return ("What QEMU did with the requests (one traced boot per row, trace events " + ", ".join(TRACE_EVENTS)
            + "; a request is in QEMU from its handle_read/handle_write to its rw_complete; notifications and "
            "interrupts are those from the first request's handling to the last one's completion (at depth 1: "
            "one fewer than requests); device idle: the share "
            "of the workload's time with none of its requests in QEMU, the guest working while the device has "
            "nothing to do; tracing slows both sides, so compare rows, not with the table above; guest "
            f"instructions: the PMU's retired instructions per request in another boot under -icount shift=0, "
            f"{MIB // 2} MiB):\n\n"
            "| workload | system | requests | host I/Os after QEMU's merging | largest merge | notifications | "
            "interrupts | us per request | us in QEMU per request | device idle | guest instructions per request |\n"
            "| --- | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |\n" + "".join(rows))
