"""Clients sharing one disk under faults (docs/reliability.md "Clients
sharing a disk"): four faultstress workers, each its own session, on one
virtio-blk disk at once: two on its GPT partitions vda1 and vda2 and two
on the whole disk vda at 10 MiB and 12 MiB (`DEV@MIB`), each keeping four
requests in flight and checking every read. Meanwhile ldc0 is killed,
crashed and hung (the default board: DC-solo, Linux serves all four
sessions), or killed and its twin crashed (the twin board: vtwin serves
them, adding each partition's first byte). After power-off the host
replays the four workloads into its copy of the disk and compares the
whole image: no byte of any client lost or written into another's place.
Per Linux version: the partitions are Linux's and its restarts are in
the paths."""
import os
import random
import re

from harness import images
from harness.scenario import Scenario, absent, expect, holds
from scenarios.faultstress import SPAN, h2, lanes_done, replay

MIB = 1 << 20
SIZE = 16 * MIB
PARTS = [(2048, 10239), (10240, 18431)]   # vda1: 1-5 MiB, vda2: 5-9 MiB
# the workers: the node as faultstress is given it, and where its span starts on the disk
WORKERS = [("vda1", 1 * MIB), ("vda2", 5 * MIB), ("vda@10", 10 * MIB), ("vda@12", 12 * MIB)]


def setup(twin, each):
    def make(ctx):
        t = "-twin" if twin else ""
        data = images.gpt_image(SIZE, PARTS, ctx.seed + 31)
        path = images.write(os.path.join(images.disk_dir(ctx.build), f"shared{t}.img"), data)
        kinds = "kill,twin" if twin else "kill,crash,hang"
        devs = " ".join(f"/dev/{w}:ldc0" + (f":{kinds}" if i == 0 else "=0") for i, (w, _) in enumerate(WORKERS))
        return {"qemu": images.virtio_disk(path, cache=None), "append": "hm.boot=boot-twin.conf" if twin else None,
                "script": [f"faultstress --each {each} --seed {ctx.seed} {devs}", "lsdev", "poweroff"],
                "path": path, "data": data, "seed": ctx.seed, "extra_time": 4 * 3 * each}
    return make


def end_state(r, st):
    """the host's copy of the disk with each worker's workload replayed at
    its place, or None if a worker printed no counts"""
    out = bytearray(st["data"])
    for i, (w, base) in enumerate(WORKERS):
        n = lanes_done(r, w)
        if n is None:
            return None
        out[base:base + SPAN] = replay(st["data"][base:base + SPAN], st["seed"], i, n)
    return bytes(out)


def checks(twin, each):
    def make(st, ctx):
        nk = 2 if twin else 3
        c = [
            holds("faultstress: no request of the four clients failed and every read returned what was written",
                  lambda r: "faultstress: passed" in r.text and "sh: faultstress" not in r.text),
            holds(f"ldc0 took its {nk * each} faults while the four sessions were busy",
                  lambda r: re.search(rf"^faultstress: ldc0: {each} kill, " +
                                      (f"0 crash, 0 hang injected, {each} twin" if twin else f"{each} crash, {each} hang"),
                                      r.text, re.M)),
            holds("every client's session reconnected and re-issued across ldc0's restarts",
                  lambda r: all(re.search(rf"^faultstress: /dev/{re.escape(w)}: .*its driver restarted [1-9]\d* time",
                                          r.text, re.M) for w, _ in WORKERS)),
        ]
        for i, (w, base) in enumerate(WORKERS):
            c.append(holds(f"/dev/{w}: what the guest read back at the end is the host's replay of its workload",
                           lambda r, i=i, w=w, base=base: end_state(r, st) is not None and
                           re.search(rf"/dev/{re.escape(w)}: .*first 2 MiB sha256 "
                                     rf"{h2(end_state(r, st)[base:base + SPAN])}", r.text)))
        c += [
            holds("the host's image after power-off is exactly the original with the four workloads replayed "
                  "(partition table, gaps and every client's span)",
                  lambda r: end_state(r, st) is not None and images.read(st["path"]) == end_state(r, st)),
            absent("no Linux oops in a container", "Unable to handle"),
            expect("poweroff ends the system", "hm: power off"),
        ]
        if twin:
            c.insert(1, holds("the twin served the four sessions again after its last crash",
                              lambda r: "(data plane: twin)" in r.text.split("faultstress: passed")[-1]))
        return c
    return make


EACH, EACH_TWIN = 4, 3
SCENARIOS = [
    Scenario(name="shared-disk", group="faultstress",
             title=f"qemu four clients on one disk (vda1, vda2, vda at 10 and 12 MiB) while ldc0 is killed, crashed "
                   f"and hung {EACH} times each: whole image exact",
             setup=setup(False, EACH), script=lambda st: st["script"], checks=checks(False, EACH),
             log="shared-disk.log", timeout=150),
    Scenario(name="shared-disk-twin", group="twin",
             title=f"qemu four clients on one disk through vtwin while ldc0 is killed and vtwin crashes {EACH_TWIN} "
                   "times each: whole image exact",
             setup=setup(True, EACH_TWIN), script=lambda st: st["script"], checks=checks(True, EACH_TWIN),
             log="shared-disk-twin.log", timeout=150),
]
