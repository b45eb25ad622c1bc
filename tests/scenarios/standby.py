"""Standby containers (devices.conf "standby ldc1", docs/reliability.md):
devmgr keeps a second ldc1 booted up to its drivers, holding no device;
lsdev shows what it holds. A kill of ldc1 while dd writes to the SD card
activates the standby (devices reset first, then handed over): its Linux
probes them only after the activation, and dd finishes with every byte on
the host's image. A new standby starts once ldc1 is ready again; one that
dies unused (`fault ldc1 standby`) is replaced, and the next kill
activates the replacement."""
import hashlib
import os
import re

from harness import images
from harness.scenario import Scenario, expect, holds, same_image

M = 1 << 20


def setup(ctx):
    d = images.disk_dir(ctx.build)
    disk = bytearray(images.random_bytes(8 * M, 31))
    card = bytearray(images.random_bytes(4 * M, 32))
    disk[510:512] = card[510:512] = b"\0\0"   # no partition table: the whole devices only
    dpath = images.write(os.path.join(d, "standby-disk.img"), bytes(disk))
    cpath = images.write(os.path.join(d, "standby-card.img"), bytes(card))
    want = bytearray(card)
    want[1 * M:4 * M] = disk[2 * M:5 * M]   # dd bs=65536 count=48 skip=32 seek=16
    # 3 s after boot: ldc1 is ready and its standby was started DM_SB_DELAY_MS after
    script = ["sleep 3000", "lsdev",
              "fault ldc1 kill --after 100", "dd if=/dev/vda of=/dev/mmcblk0 bs=65536 count=48 skip=32 seek=16",
              "sha256sum /dev/mmcblk0", "sleep 3000", "fault ldc1 standby", "sleep 3000", "fault ldc1 kill",
              "sha256sum /dev/mmcblk0", "dmesg", "poweroff"]
    return {"qemu": images.virtio_disk(dpath) + images.sd_card(cpath), "script": script, "card": cpath,
            "want": bytes(want)}


def ldc1_log(r):
    """the last ldc1 log dmesg printed (the running instance's)"""
    i = r.text.rfind("==> ldc1 <==")
    return r.text[i:] if i >= 0 else ""


def probed_after_activation(r):
    log = ldc1_log(r)
    stop = log.find("dcbase: standby: Linux stops before its drivers")
    act = log.find("dcbase: standby activated with ")
    probe = log.find("pci-host-generic")
    return 0 <= stop < act < probe


def checks(st, ctx):
    h = hashlib.sha256(st["want"]).hexdigest()
    return [
        expect("devmgr starts ldc1's standby once ldc1 is ready", "devmgr: ldc1: standby started"),
        holds("lsdev shows what the standby holds: its own Linux region (about 24 MiB) under ldc1's limits",
              lambda r: re.search(r"^ldc1 +2[45]\.\dM/40M .*\n +\+standby +2[45]\.\dM/40M +24\.0M/32M", r.text, re.M)),
        holds("a kill while dd writes to the SD card activates the standby (no cold start)",
              lambda r: re.search(r"devmgr: ldc1 stopped after an injected kill, devices reset\n"
                                  r"(.*\n)*?devmgr: ldc1: standby activated \(booted \d+ ms before\)", r.text)
              and "cannot hand the devices" not in r.text),
        holds("that dd finishes without an error; its requests in flight went to the activated ldc1",
              lambda r: "48+0 records out" in r.text and
              re.search(r"dd: /dev/mmcblk0: its driver restarted 1 time\(s\); [1-9]\d* request", r.text)),
        holds("the SD card reads back what dd wrote across the activation (sha256 as the host computed)",
              lambda r: r.text.count(f"{h}  /dev/mmcblk0") == 2),
        holds("a new standby starts after the activated ldc1 is ready, and another after the injected kill of that "
              "one (it died unused)",
              lambda r: "devmgr: ldc1: fault injected: its standby killed" in r.text and
              "devmgr: ldc1: its standby was killed by an injected fault (1 in a row)" in r.text and
              r.text.count("devmgr: ldc1: standby started") >= 3),
        holds("the second kill activates the replacement; the shell's read is served again",
              lambda r: r.text.count("devmgr: ldc1: standby activated") == 2 and
              re.search(r"fault: /dev/mmcblk0: first request served \d+ ms after the fault", r.text)),
        holds("the activated Linux stopped before its drivers and probed the PCIe host only after devmgr handed "
              "the devices over", probed_after_activation),
        holds("no standby failed on its own (only the injected kill)",
              lambda r: not re.search(r"devmgr: ldc1: (cannot (start|hand)|its standby (refused|exited|faulted|died|did not))",
                                     r.text)),
        expect("PSCI power-off ends QEMU", "hm: power off"),
        same_image("the host's SD card image holds exactly dd's writes", st["card"], st["want"]),
    ]


SCENARIOS = [
    Scenario(name="standby", group="fault", title="qemu standby container (ldc1 activated on a kill; SD card data)",
             setup=setup, script=lambda st: st["script"], checks=checks, timeout=180, log="standby.log"),
]
