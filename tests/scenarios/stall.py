"""Hangs that Linux makes (docs/reliability.md "Hangs that Linux makes"):
`faultstress ... :spin,deadlock` on the default board, under its verified
workload on the virtio-mmio disk (ldc0), the NVMe namespace and the SD card
(ldc1). A spin: Linux's block thread loops with interrupts off; DC-base's
threads answer on, but Linux takes none of the heartbeat's events, and
devmgr stops the container once Linux could have run HM_DC_ALIVE_MS (2 s)
without taking one (dcbase/alive.c counts only time its priority got the
CPU: the fuzz scenarios, whose shell outranks Linux, must not count). A deadlock:
the block thread takes a lock it holds; the rest of Linux runs on and
takes the heartbeat's events, but the request the thread holds never
completes and no other is fetched: devmgr stops the container once one
has waited HM_DC_STALL_MS (5 s). Neither is the cooperative hang (DC-base
stops answering): no heartbeat goes unanswered. Per Linux version: the
faults run in arch/hm (fault_stall.c). After power-off the host replays the
workload and compares the three images."""
import os
import random
import re

from harness import images
from harness.scenario import Scenario, absent, expect, holds
from scenarios.faultstress import workload_checks

EACH = 2   # spins and deadlocks into each of ldc0 and ldc1
ORDER = ["vda", "nvme0n1", "mmcblk0"]


def setup(ctx):
    rnd = random.Random(ctx.seed + 22)
    d = images.disk_dir(ctx.build)
    data = {"vda": rnd.randbytes(8 << 20), "nvme0n1": rnd.randbytes(8 << 20), "mmcblk0": rnd.randbytes(4 << 20)}
    paths = {k: images.write(os.path.join(d, f"stall-{k}.img"), v) for k, v in data.items()}
    qemu = images.virtio_disk(paths["vda"], cache=None) + images.nvme_namespaces([paths["nvme0n1"]]) + \
        images.sd_card(paths["mmcblk0"])
    script = [f"faultstress --each {EACH} --seed {ctx.seed} /dev/vda:ldc0:spin,deadlock "
              "/dev/nvme0n1:ldc1:spin,deadlock /dev/mmcblk0:ldc1=0", "lsdev", "poweroff"]
    # a deadlock takes ~6 s to find and restart, a spin ~3 s; ldc0's and ldc1's run side by side
    return {"qemu": qemu, "script": script, "paths": paths, "data": data, "seed": ctx.seed, "extra_time": 60}


def detected(r, what):
    """the ms devmgr logged for each hang of that kind"""
    pat = {"spin": r"its Linux took no event in (\d+) ms it could run \(a thread holds its CPU\): hung",
           "deadlock": r"a block request waited (\d+) ms in its Linux with none completed: hung"}[what]
    return [int(x) for x in re.findall(pat, r.text)]


def checks(st, ctx):
    n = 2 * EACH
    c = [
        holds(f"{n} spins injected ({EACH} into each container), each handed to Linux's block thread",
              lambda r: r.text.count("ldc: injected spin now, in the request path") == n),
        holds(f"{n} deadlocks injected, each handed to Linux's block thread",
              lambda r: r.text.count("ldc: injected deadlock now, in the request path") == n),
        holds("each spin was found because Linux took no heartbeat event for 2 s (within 2-3.5 s)",
              lambda r: len(detected(r, "spin")) == n and all(2000 <= x < 3500 for x in detected(r, "spin")),
              lambda r: f"{detected(r, 'spin')}"),
        holds("each deadlock was found because a block request waited 5 s with none completed (within 5-6.5 s)",
              lambda r: len(detected(r, "deadlock")) == n and all(5000 <= x < 6500 for x in detected(r, "deadlock")),
              lambda r: f"{detected(r, 'deadlock')}"),
        holds("devmgr stopped the container for each and restarted it",
              lambda r: r.text.count("stopped after Linux holding its CPU") == n and
              r.text.count("stopped after a block request stuck in Linux") == n),
        absent("DC-base answered every heartbeat meanwhile (not the cooperative hang)", "no answer to its heartbeat"),
        holds("faultstress: each container took its spins and deadlocks and recovered",
              lambda r: len(re.findall(rf"^faultstress: ldc[01]: 0 kill, 0 crash, 0 hang injected, {EACH} spin, "
                                       rf"{EACH} deadlock, each recovered", r.text, re.M)) == 2),
        holds("faultstress: no request failed and every read returned what was written",
              lambda r: "faultstress: passed" in r.text and "sh: faultstress" not in r.text),
        holds("the clients re-issued their requests in flight across the restarts",
              lambda r: all(re.search(rf"/dev/{k}: .*its driver restarted [1-9]\d* time\(s\)", r.text) for k in ORDER)),
        absent("no Linux oops in a container", "Unable to handle"),
        expect("poweroff ends the system", "hm: power off"),
    ]
    return c + workload_checks(st, ORDER)


SCENARIOS = [
    Scenario(name="fault-stall", title=f"qemu Linux spins and deadlocks ({EACH} of each into ldc0 and ldc1) under "
             "verified I/O: found by the heartbeat's progress checks, restarted, images exact",
             setup=setup, script=lambda st: st["script"], checks=checks, log="fault-stall.log", timeout=180),
]
