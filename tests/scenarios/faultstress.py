"""The acceptance workload of micro-reboot (shell `faultstress`, see
user/sh/faultstress.c): verified reads and writes on vda and mmcblk0 (and,
the UFS logical unit sda and the NVMe namespace nvme0n1, which share ldc1
with the SD card and so take each of ldc1's faults too: the NVMe
controller is disabled and its MSI-X vectors unmapped at every stop; on
the twin board utwin serves sda through them)
while
faults of every kind go into ldc0 and ldc1 (on the twin board only kills
into ldc0: no block request reaches its LDC, so crash and hang have nowhere
to fire there; ldc1 takes every kind on both boards, fewer on the twin
board: faults_each). No request may fail; after power-off the host replays
the workload and compares the images byte for byte; devmgr, vfs and the
microkernel go on (lsdev, poweroff)."""
import array
import hashlib
import os
import random
import re
import sys

from harness import images
from harness.scenario import Scenario, expect, holds, same_image

M64 = (1 << 64) - 1
SPAN, LANES, MAX_BLOCKS = 2 << 20, 4, 16


def splitmix64(state):
    """user/sh/faultstress.c's PRNG: (new state, value)"""
    state = (state + 0x9E3779B97F4A7C15) & M64
    z = state
    z = ((z ^ (z >> 30)) * 0xBF58476D1CE4E5B9) & M64
    z = ((z ^ (z >> 27)) * 0x94D049BB133111EB) & M64
    return state, z ^ (z >> 31)


def replay(image, seed, index, lanes_done):
    """what faultstress leaves in the first 2 MiB of the device given index on
    its command line, replayed from the requests each lane completed (every
    lane's requests come from its own PRNG and never overlap another's)"""
    lane_bytes = SPAN // LANES
    out = bytearray(image)
    for k, n in enumerate(lanes_done):
        st = seed ^ ((index + 1) << 32) ^ ((k + 1) << 16)
        for _ in range(n):
            st, r = splitmix64(st)
            write = (r & 3) != 0
            st, r = splitmix64(st)
            nb = 1 + r % MAX_BLOCKS
            st, r = splitmix64(st)
            off = k * lane_bytes + r % (lane_bytes // 4096 - nb + 1) * 4096
            if write:
                st, r = splitmix64(st)
                fill = r >> 2
                words = array.array("Q", range(fill, fill + nb * 512))
                if sys.byteorder == "big":
                    words.byteswap()   # the guest is little-endian
                out[off:off + nb * 4096] = words.tobytes()
    return bytes(out)


def lanes_done(r, dev):
    """the requests each lane of /dev/DEV completed, as faultstress printed them"""
    m = re.search(rf"^faultstress: /dev/{dev}: requests per lane ([\d ]+);", r.text, re.M)
    return [int(x) for x in m.group(1).split()] if m else None


def workload_checks(st, order):
    """for a faultstress run whose devices were order (their place on its
    command line), with st["data"][dev] what the host wrote and
    st["paths"][dev] its image: the host's replay of each device's
    workload against the guest's sum and against the image after power-off"""
    def end_state(r, dev):
        n = lanes_done(r, dev)
        return replay(st["data"][dev], st["seed"], order.index(dev), n) if n else None

    c = []
    for k in order:
        c.append(holds(f"{k}: the workload's end state replayed on the host is what the guest read back",
                       lambda r, k=k: end_state(r, k) is not None and
                       re.search(rf"/dev/{k}: .*first 2 MiB sha256 {h2(end_state(r, k))}", r.text)))
        c.append(holds(f"{k}: the host's image after power-off holds exactly the expected bytes",
                       lambda r, k=k: end_state(r, k) is not None and images.read(st["paths"][k]) == end_state(r, k)))
    return c


def faults_each(ctx, twin):
    """faults of each kind into ldc0, and into ldc1: --stress (make stress:
    170). make test gives the twin board a lighter run: 20 kills into ldc0
    (what only this board tests: the twin serving on), and 5 of each kind
    into ldc1, whose faults the default board already takes 50 of each
    (its containers are the same there): enough that the crash and hang
    checks are exact on this board too, without paying for them twice."""
    if not twin or ctx.only:
        return ctx.stress, ctx.stress
    return min(ctx.stress, 20), min(ctx.stress, 5)


def setup(twin):
    def make(ctx):
        each, each1 = faults_each(ctx, twin)
        rnd = random.Random(ctx.seed)
        disk, card = rnd.randbytes(8 << 20), rnd.randbytes(4 << 20)
        t = "-twin" if twin else ""
        d = images.disk_dir(ctx.build)
        dpath = images.write(os.path.join(d, f"stress{t}-disk.img"), disk)
        cpath = images.write(os.path.join(d, f"stress{t}-card.img"), card)
        vda_kinds = ":kill" if twin else ""
        ldc1 = f"={each1}" if each1 != each else ""
        qemu = images.virtio_disk(dpath, cache=None) + images.sd_card(cpath)
        # the UFS LU: a workload only (=0), ldc1's faults come through
        # mmcblk0's target (on the twin board utwin serves it through them)
        ufs, upath = rnd.randbytes(8 << 20), os.path.join(d, f"stress{t}-ufs.img")
        images.write(upath, ufs)
        qemu += images.ufs_lus([upath])
        # NVMe (one namespace, ldc1's too): a workload only, like sda
        nvme, npath = rnd.randbytes(8 << 20), os.path.join(d, f"stress{t}-nvme.img")
        images.write(npath, nvme)
        qemu += images.nvme_namespaces([npath])
        script = [f"faultstress --each {each} --seed {ctx.seed} /dev/vda:ldc0{vda_kinds} /dev/mmcblk0:ldc1{ldc1} "
                  "/dev/sda:ldc1=0 /dev/nvme0n1:ldc1=0", "lsdev", "poweroff"]
        return {"qemu": qemu, "script": script, "ufs": upath, "ufs0": ufs, "nvme": npath, "nvme0": nvme,
                "append": "hm.boot=boot-twin.conf" if twin else None, "each": each, "seed": ctx.seed,
                "each1": each1, "disk": dpath, "card": cpath, "disk0": disk, "card0": card,
                # a fault takes 1.3-3.5 s (the repeat window, recovery, a hang's 2 s)
                "extra_time": 4 * 3 * max(each, each1)}
    return make


class Result:
    """what the guest printed about the workload, and the host's replay of it"""

    def __init__(self, r, st):
        t = r.text
        self.lanes = {m.group(1): [int(x) for x in m.group(2).split()]
                      for m in re.finditer(r"^faultstress: (/dev/\w+): requests per lane ([\d ]+);", t, re.M)}
        self.sums = dict(re.findall(r"^faultstress: (/dev/\w+): .*first 2 MiB sha256 ([0-9a-f]{64})", t, re.M))
        self.kinds = re.findall(r"^faultstress: (ldc\d): (\d+) kill, (\d+) crash, (\d+) hang injected", t, re.M)
        self.disk = replay(st["disk0"], st["seed"], 0, self.lanes["/dev/vda"]) if "/dev/vda" in self.lanes else None
        self.card = replay(st["card0"], st["seed"], 1, self.lanes["/dev/mmcblk0"]) if "/dev/mmcblk0" in self.lanes else None
        self.ufs = replay(st["ufs0"], st["seed"], 2, self.lanes["/dev/sda"]) if st["ufs0"] and "/dev/sda" in self.lanes \
            else None
        self.nvme = replay(st["nvme0"], st["seed"], 3, self.lanes["/dev/nvme0n1"]) if "/dev/nvme0n1" in self.lanes \
            else None


def result(r):
    if "result" not in r.state:
        r.state["result"] = Result(r, r.state)
    return r.state["result"]


FAULTED = re.compile(r"devmgr: container ldc\d faulted \(pc")


def h2(b):
    return hashlib.sha256(b[:SPAN]).hexdigest()


def checks(twin):
    def make(st, ctx):
        each, each1 = st["each"], st["each1"]
        n0, n1 = (each if twin else 3 * each), 3 * each1
        # ldc1 takes every kind on both boards, ldc0 only on the default board
        crashes = hangs = each1 if twin else each + each1
        kinds = [("ldc0", str(each), "0" if twin else str(each), "0" if twin else str(each)),
                 ("ldc1", str(each1), str(each1), str(each1)), ("ldc1", "0", "0", "0"), ("ldc1", "0", "0", "0")]
        c = [
            holds(f"{n0 + n1} faults injected: " + (f"{each} kills into ldc0, {each1} of each kind into ldc1" if twin
                                                      else f"{each} of each kind into each container"),
                  lambda r: result(r).kinds == kinds, lambda r: f"injected {result(r).kinds}"),
            holds("every fault stopped its container once and devmgr restarted it",
                  lambda r: r.text.count("devmgr: ldc0 stopped after") == n0 and r.text.count("devmgr: ldc1 stopped after") == n1
                  and re.search(rf"ldc0 .*running \(irq \d+, restarts {n0}(, dma \w+)?\)", r.text)
                  and re.search(rf"sd-host .*running \(irq \d+, restarts {n1}(, dma \w+)?\)", r.text)),
            holds(f"the {crashes} crashes were found by the microkernel's fault messages, the {hangs} hangs by devmgr's "
                  "heartbeat",
                  lambda r: r.text.count("ldc: injected crash now") == crashes and len(FAULTED.findall(r.text)) ==
                  crashes and r.text.count("ldc: injected hang now") == hangs
                  and r.text.count("no answer to its heartbeat") == hangs,
                  lambda r: f"{r.text.count('ldc: injected crash now')} crashes fired, "
                            f"{len(FAULTED.findall(r.text))} fault messages, "
                            f"{r.text.count('ldc: injected hang now')} hangs, "
                            f"{r.text.count('no answer to its heartbeat')} missed heartbeats"),
            holds("no request failed and every read returned what was written",
                  lambda r: "faultstress: passed" in r.text and "sh: faultstress" not in r.text),
            holds("the block clients re-issued requests in flight across restarts" +
                  ("; vda's sessions are the twin's, which served on through every ldc0 restart" if twin else ""),
                  lambda r: re.search(r"/dev/vda: .*its driver restarted 0 time\(s\), 0 request" if twin else
                                      r"/dev/vda: .*its driver restarted [1-9]\d* time\(s\), [1-9]\d* request", r.text)
                  and re.search(r"/dev/mmcblk0: .*its driver restarted [1-9]\d* time\(s\), [1-9]\d* request", r.text)
                  and (not twin or (r.text.count("twin vtwin serves on while ldc0 restarts") == each
                                    and r.text.count("handed back from ldc0 to the same vtwin") == each))),
            holds("the workload's end state, replayed on the host, is what the guest read back",
                  lambda r: result(r).disk is not None and result(r).card is not None
                  and result(r).sums.get("/dev/vda") == h2(result(r).disk)
                  and result(r).sums.get("/dev/mmcblk0") == h2(result(r).card)),
            expect("PSCI power-off ends QEMU (microkernel, devmgr and vfs still serve)", "hm: power off"),
            holds("the host's disk image holds exactly the expected bytes",
                  lambda r: result(r).disk is not None and images.read(st["disk"]) == result(r).disk),
            holds("the host's SD card image holds exactly the expected bytes",
                  lambda r: result(r).card is not None and images.read(st["card"]) == result(r).card),
        ]
        if twin:
            c += [holds(f"UFS (sda): utwin served it on through each of ldc1's {n1} restarts (no request re-issued) "
                        "and took the new LDC's request list back each time",
                        lambda r: re.search(r"/dev/sda: .*its driver restarted 0 time\(s\), 0 request", r.text)
                        and r.text.count("twin utwin serves on while ldc1 restarts") == n1
                        and r.text.count("handed back from ldc1 to the same utwin") == n1,
                        lambda r: f"{r.text.count('twin utwin serves on while ldc1 restarts')} served on, "
                                  f"{r.text.count('handed back from ldc1 to the same utwin')} handed back")]
        else:
            c += [holds("UFS (sda, in ldc1): its requests were re-issued across ldc1's restarts",
                        lambda r: re.search(r"/dev/sda: .*its driver restarted [1-9]\d* time\(s\), [1-9]\d* request", r.text))]
        c += [holds("UFS: the end state replayed on the host is what the guest read back",
                    lambda r: result(r).ufs is not None and result(r).sums.get("/dev/sda") == h2(result(r).ufs)),
              holds("the host's UFS image holds exactly the expected bytes",
                    lambda r: result(r).ufs is not None and images.read(st["ufs"]) == result(r).ufs),
              holds(f"NVMe (nvme0n1, in ldc1, MSI-X): its requests were re-issued across ldc1's {n1} restarts",
                    lambda r: re.search(r"/dev/nvme0n1: .*its driver restarted [1-9]\d* time\(s\), [1-9]\d* request", r.text)),
              holds("NVMe: the end state replayed on the host is what the guest read back",
                    lambda r: result(r).nvme is not None and result(r).sums.get("/dev/nvme0n1") == h2(result(r).nvme)),
              holds("the host's NVMe image holds exactly the expected bytes",
                    lambda r: result(r).nvme is not None and images.read(st["nvme"]) == result(r).nvme)]
        return c
    return make


def title(twin):
    def make(ctx):
        each, each1 = faults_each(ctx, twin)
        what = f"{each} kills into ldc0, {each1} of each kind into ldc1" if twin else \
            f"{each} faults of each kind into ldc0 and ldc1"
        devs = "vda, mmcblk0, UFS sda and NVMe nvme0n1" + (" (vda's and sda's data planes in twins)" if twin else "")
        return f"qemu faultstress{' (TWIN=1)' if twin else ''} (verified I/O on {devs}, {what}, seed {ctx.seed})"
    return make


SCENARIOS = [
    Scenario(name="faultstress", title=title(False), setup=setup(False), script=lambda st: st["script"],
             checks=checks(False), log="faultstress.log"),
    Scenario(name="faultstress-twin", title=title(True), setup=setup(True), script=lambda st: st["script"],
             checks=checks(True), log="faultstress-twin.log"),
]
