"""make bench, part `icountload`: whether the host's load changes what a
request costs the guest under -icount. The Figure 10 profile's workload (a
4 KiB random read at depth 1 on the UFS logical unit, `-icount shift=0`)
for each of its systems, booted with the host otherwise idle and with one
busy loop per host CPU, alternating round by round. Under -icount the guest
counts its instructions exactly, but it waits for QEMU's device in host
time: with the default sleep=on the virtual clock runs on while the guest
idles, so a slower host lets more of the guest's timers and wake-ups
happen per request. This part measures how much."""
import os
import statistics
import subprocess

from fig10 import SHORT, SYSTEMS, _spread


def run(boot_one, rounds=3, mib=8):
    """boot_one(script, mib, icount, trace) -> (IOPS, QEMU's stderr, hm's
    counters per request or None, instructions per request or None), as
    for the profile. Returns {(system, loaded): [(instructions, thread
    switches or None, virtual ns), ...]}."""
    res = {}
    for _ in range(rounds):
        for loaded in (False, True):
            hogs = [subprocess.Popen(["sh", "-c", "while :; do :; done"]) for _ in range(os.cpu_count() or 2)] \
                if loaded else []
            try:
                for name, script, _ in SYSTEMS:
                    iops, _, counters, instr = boot_one(script, mib, True, False)
                    if instr is None:
                        raise SystemExit(f"bench: icountload: {name}: no instruction count under -icount")
                    res.setdefault((name, loaded), []).append((instr, counters[1] if counters else None, 1e9 / iops))
            finally:
                for h in hogs:
                    h.kill()
                    h.wait()
    return res


def write(outdir, res, rounds, qv, qemu):
    path = os.path.join(outdir, "icount-load.md")
    with open(path, "w") as f:
        f.write("# -icount and the host's load: a 4 KiB random read at depth 1 (UFS), per request\n\n")
        f.write(f"{qv}, `{qemu} -icount shift=0`, {rounds} rounds, each booting every system with the host otherwise "
                f"idle, then with {os.cpu_count() or 2} busy loops on the host (one per CPU). Median (min-max).\n\n")
        f.write("| system | host | guest instructions | thread switches (hm's counters) | virtual ns |\n"
                "| --- | --- | ---: | ---: | ---: |\n")
        for name, _, _ in SYSTEMS:
            for loaded in (False, True):
                v = res[(name, loaded)]
                sw = [x[1] for x in v if x[1] is not None]
                f.write(f"| {SHORT[name]} | {'busy' if loaded else 'idle'} | {_spread([x[0] for x in v])} | "
                        + (_spread(sw, "{:.2f}") if sw else "-")
                        + f" | {_spread([x[2] for x in v])} |\n")
        f.write("\n| system | instructions, busy / idle (medians) |\n| --- | ---: |\n")
        for name, _, _ in SYSTEMS:
            idle = statistics.median(x[0] for x in res[(name, False)])
            busy = statistics.median(x[0] for x in res[(name, True)])
            f.write(f"| {SHORT[name]} | {busy / idle:.2f} |\n")
    return open(path).read()
