"""Micro-reboot (shell `fault CONTAINER kill [--after MS]`, crash, hang):
devmgr resets the container's devices and starts it again from the boot
image; vfs hands the node to the new instance; a dd running while its
driver is killed finishes without an error (the block client re-issues
what was in flight to the restarted driver); repeated quick faults make
devmgr give up (EIO, "failed") without touching the other container; the
host images hold exactly the bytes written. On the default board and on
the twin board (where the twin serves on while its LDC restarts)."""
import hashlib
import os
import random
import re

from harness import images
from harness.scenario import Scenario, expect, holds, same_image

M = 1 << 20


def h(b):
    return hashlib.sha256(b).hexdigest()


def setup(twin):
    def make(ctx):
        d = images.disk_dir(ctx.build)
        rnd = random.Random(7)
        disk, card = bytearray(rnd.randbytes(8 << 20)), bytearray(rnd.randbytes(4 << 20))
        disk[510:512] = card[510:512] = b"\0\0"   # no partition table: the whole devices only
        dpath = images.write(os.path.join(d, "fault-disk.img"), bytes(disk))
        cpath = images.write(os.path.join(d, "fault-card.img"), bytes(card))
        disk2 = bytearray(disk)
        disk2[5 * 4096:7 * 4096] = card[3 * 4096:5 * 4096]
        disk2[2 * M:5 * M] = card[0:3 * M]
        card2 = bytearray(card)
        card2[1 * M:4 * M] = disk2[5 * M:8 * M]
        disk3 = bytearray(disk2)
        if not twin:   # with the twin, ldc0 sees no block requests: nothing to crash at
            disk3[5 * M:6 * M] = card2[3 * M:4 * M]
        card3 = bytearray(card2)
        card3[0:M // 2] = disk3[1 * M:M + M // 2]
        card3[M // 2:M] = disk3[2 * M:M * 5 // 2]
        script = ["sha256sum /dev/vda", "fault ldc0 kill", "sha256sum /dev/vda",
                  "dd if=/dev/mmcblk0 of=/dev/vda bs=4096 count=2 skip=3 seek=5",
                  "fault ldc0 kill --after 150", "dd if=/dev/mmcblk0 of=/dev/vda bs=65536 count=48 seek=32",
                  "fault ldc1 kill", "sha256sum /dev/mmcblk0",
                  "fault ldc1 kill --after 100", "dd if=/dev/vda of=/dev/mmcblk0 bs=65536 count=48 skip=80 seek=16",
                  "lsdev", "sha256sum /dev/mmcblk0"]
        if not twin:
            script += ["fault ldc0 crash --at 5", "dd if=/dev/mmcblk0 of=/dev/vda bs=65536 count=16 skip=48 seek=80"]
        script += ["fault ldc1 hang --at 3", "dd if=/dev/vda of=/dev/mmcblk0 bs=65536 count=8 skip=16",
                   "fault ldc1 crash --at 2 --seed 9", "dd if=/dev/vda of=/dev/mmcblk0 bs=65536 count=8 skip=32 seek=8"]
        script += ["fault ldc1 kill"] * 5 + ["sha256sum /dev/mmcblk0", "lsdev", "sha256sum /dev/vda", "poweroff"]
        qemu = images.virtio_disk(dpath, cache=None) + images.sd_card(cpath)
        return {"qemu": qemu, "script": script, "append": "hm.boot=boot-twin.conf" if twin else None,
                "disk": dpath, "card": cpath, "disk0": bytes(disk), "card0": bytes(card),
                "card2": bytes(card2), "disk3": bytes(disk3), "card3": bytes(card3)}
    return make


def hashes(r):
    return re.findall(r"^([0-9a-f]{64})  (/dev/\w+)", r.text, re.M)


def during(r, cmd, line):
    """line appears while cmd runs (after it is typed, before its records-out line)"""
    i = r.text.find(cmd)
    j = r.text.find("records out", i)
    return i >= 0 and j >= 0 and line in r.text[i:j]


def checks(twin):
    def make(st, ctx):
        c = [
            holds("the disk reads the host's bytes before the fault", lambda r: hashes(r)[:1] == [(h(st["disk0"]), "/dev/vda")]),
            holds("devmgr resets the killed container's devices" + (" but the twin's, which serves on" if twin else ""),
                  lambda r: ("devmgr: ldc0 stopped after an injected kill, devices reset but those its twins serve" in r.text)
                  == twin and "devmgr: ldc0 stopped after an injected kill, devices reset" in r.text),
            expect("ldc0 runs again (the shell measures the time)",
                   re.compile(r"fault: ldc0 running again after \d+ ms \(restart 1\)")),
            expect("the shell times the first request served after the fault",
                   re.compile(r"fault: /dev/vda: first request served \d+ ms after the fault")),
            expect("vfs gives /dev/vda to the new instance", "vfs: /dev/vda registered again (its driver restarted)"),
            holds("the disk reads the same bytes after the restart", lambda r: hashes(r)[1:2] == [(h(st["disk0"]), "/dev/vda")]),
            expect("a write goes through the restarted container", "2+0 records out"),
            holds("ldc0 is killed while dd writes to the disk",
                  lambda r: during(r, "of=/dev/vda bs=65536 count=48", "devmgr: ldc0 stopped after an injected kill")),
            holds("that dd finishes without an error: " + ("its session with the twin never broke" if twin else
                                                           "its requests in flight went to the new ldc0"),
                  lambda r: "48+0 records out" in r.text and
                  (("dd: /dev/vda: its driver restarted" not in r.text) if twin else
                   bool(re.search(r"dd: /dev/vda: its driver restarted 1 time\(s\); [1-9]\d* request", r.text)))),
            expect("ldc1 (sdhci-pci) runs again after a kill", re.compile(r"fault: ldc1 running again after \d+ ms \(restart 1\)")),
            holds("the SD card reads the host's bytes after the restart",
                  lambda r: hashes(r)[2:3] == [(h(st["card0"]), "/dev/mmcblk0")]),
            holds("ldc1 is killed while dd writes to the SD card",
                  lambda r: during(r, "of=/dev/mmcblk0 bs=65536 count=48", "devmgr: ldc1 stopped after an injected kill")),
            holds("that dd finishes without an error too",
                  lambda r: r.text.count("48+0 records out") == 2 and
                  re.search(r"dd: /dev/mmcblk0: its driver restarted 1 time\(s\); [1-9]\d* request", r.text)),
            holds("lsdev shows the restart counts",
                  lambda r: re.search(r"ldc0 .*restarts 2\)", r.text) and re.search(r"ldc1 .*restarts 2\)", r.text)),
            holds("the SD card holds what was written across its restart",
                  lambda r: hashes(r)[3:4] == [(h(st["card2"]), "/dev/mmcblk0")]),
            expect("repeated quick faults: devmgr backs off, then gives up",
                   re.compile(r"devmgr: ldc1: 6 faults in a row.*given up")),
            holds("the shell says so",
                  lambda r: "sh: fault: ldc1 is not running again" in r.text and "(devmgr gave up)" in r.text),
            expect("the given-up container's node answers EIO", re.compile(r"/dev/mmcblk0: (I/O error|Input/output error)")),
            expect("lsdev shows it failed", re.compile(r"ldc1 +mmcblk0 +failed")),
            holds("ldc1 hangs at its 3rd request from then (request path); devmgr's heartbeat finds it",
                  lambda r: during(r, "count=8 skip=16", "ldc: injected hang now, in the request path")
                  and during(r, "count=8 skip=16", "devmgr: ldc1: no answer to its heartbeat")),
            expect("that dd finishes without an error",
                   re.compile(r"8\+0 records out\s+524288 bytes copied\s+dd: /dev/mmcblk0: its driver restarted 1 time")),
            holds("a seed picks the path: ldc1 crashes in its completion path (interrupt handling)",
                  lambda r: during(r, "count=8 skip=32", "ldc: injected crash now, in the completion path")
                  and during(r, "count=8 skip=32", "devmgr: container ldc1 faulted (pc")),
            holds("that dd finishes too", lambda r: r.text.count("dd: /dev/mmcblk0: its driver restarted 1 time") == 3),
            holds("the other container is untouched and holds what was written across its restarts",
                  lambda r: hashes(r)[-1:] == [(h(st["disk3"]), "/dev/vda")]),
            holds("no command failed but the given-up ones",
                  lambda r: not re.search(r"sh: (dd|sha256sum: /dev/vda)", r.text), needs_end=True),
            expect("PSCI power-off ends QEMU", "hm: power off"),
        ]
        if not twin:
            c += [holds("ldc0 crashes at its 5th request from then (a wild access in Linux's block thread)",
                        lambda r: during(r, "count=16 skip=48", "ldc: injected crash now, in the request path")
                        and during(r, "count=16 skip=48", "devmgr: container ldc0 faulted (pc")),
                  holds("that dd finishes without an error",
                        lambda r: "16+0 records out" in r.text and r.text.count("dd: /dev/vda: its driver restarted 1 time") == 2)]
        else:
            def first(r):
                return re.search(r"fault: /dev/vda: first request served (\d+) ms after the fault; the longest of \d+ "
                                 r"reads until ldc0 ran again waited (\d+) ms", r.text)

            def running(r):
                return re.search(r"fault: ldc0 running again after (\d+) ms", r.text)
            c += [holds("the twin serves on while its LDC restarts, the device not reset",
                        lambda r: r.text.count("twin vtwin serves on while ldc0 restarts (device not reset)") == 2
                        and "stopped with its control plane" not in r.text),
                  holds("the new LDC's probe waits until the twin paused (its requests on the device finished)",
                        lambda r: r.text.count("vtwin: virtio-mmio@a003e00: paused for the new LDC's probe") == 2
                        and r.text.count("paused for ldc0's probe") == 2),
                  holds("each new LDC hands the data plane back to the same twin, whose sessions go on",
                        lambda r: r.text.count("data plane handed from ldc0 to vtwin") == 1
                        and r.text.count("data plane handed back from ldc0 to the same vtwin") == 2
                        and r.text.count("vtwin: virtio-mmio@a003e00: serving again, on the new LDC's rings") == 2),
                  holds("a client's reads are served while ldc0 restarts: the first in well under the restart's time "
                        "(< 0.6 of it; a read served only by the new LDC comes just before it runs again), the longest "
                        "wait (the hand-back) too",
                        lambda r: first(r) and running(r) and int(first(r).group(1)) < 0.6 * int(running(r).group(1))
                        and int(first(r).group(2)) < 0.6 * int(running(r).group(1)))]
        c += [same_image("the host's disk image holds exactly the writes", st["disk"], st["disk3"]),
              same_image("the host's SD card image holds exactly the writes", st["card"], st["card3"])]
        return c
    return make


SCENARIOS = [
    Scenario(name="fault-kill", group="fault", title="qemu faults (kill, crash, hang; micro-reboot of ldc0 and ldc1)",
             setup=setup(False), script=lambda st: st["script"], checks=checks(False), timeout=240,
             log="fault-kill.log"),
    Scenario(name="fault-kill-twin", group="fault",
             title="qemu faults (TWIN=1) (kill, crash, hang; micro-reboot of ldc0 and ldc1)",
             setup=setup(True), script=lambda st: st["script"], checks=checks(True), timeout=240,
             log="fault-kill-twin.log"),
]
