"""DC-twin's control plane stays with Linux: an I/O error the device reports
(QEMU's blkdebug fails one read) reaches the client as EIO through the
LDC, whose Linux logs it, and the next read works; a capacity change (the
monitor's block_resize) reaches Linux's virtio_blk, then the twin (a write
past the old end works) and vfs (ls /dev); the host image holds exactly
the writes. Commands are typed one at a time (harness.qemu.Console)."""
import hashlib
import os
import re

from harness import images, qemu
from harness.scenario import Scenario, expect, holds, same_image

SIZE, BAD = 8 << 20, 6000   # the disk, and the sector blkdebug fails once


def setup(ctx):
    d = images.disk_dir(ctx.build)
    path, rules = os.path.join(d, "twin-cp.img"), os.path.join(d, "twin-cp.rules")
    data = images.random_bytes(SIZE, 31)
    images.write(path, data)
    with open(rules, "w") as f:
        f.write(f'[inject-error]\nevent = "read_aio"\nerrno = "5"\nsector = "{BAD}"\nonce = "on"\n')
    want = bytearray(data) + bytes(SIZE)
    want[4094 * 4096:4096 * 4096] = data[4096:3 * 4096]
    return {"qemu": ["-drive", f"if=none,id=hd0,format=raw,cache=writeback,file=blkdebug:{rules}:{path}",
                     "-device", "virtio-blk-device,drive=hd0"],
            "dir": d, "disk": path, "data": data, "want": bytes(want), "seen": {}}


def drive(machine, st, timeout, ctx):
    """type, wait, note what was seen at each step (the checks read st["seen"])"""
    seen = st["seen"]
    c = qemu.Console(machine, "default", st["qemu"], st["dir"], append="hm.boot=boot-twin.conf")
    ok = seen["boot"] = c.wait("hm# ", timeout)
    ok = ok and c.type(f"dd if=/dev/vda of=/tmp/a bs=512 count=4 skip={BAD - 1}")
    seen["eio"] = c.out[:c.seen]
    ok = ok and c.type(f"dd if=/dev/vda of=/tmp/a bs=512 count=4 skip={BAD - 1}") and c.type("sha256sum /tmp/a")
    ok = ok and c.type("dmesg")
    answer = c.monitor("block_resize hd0 16M") if ok else ""
    ok = seen["vfs_resized"] = ok and c.wait("vfs: /dev/vda is now 16777216 bytes", 30)
    ok = ok and c.type("ls /dev")
    ok = ok and c.type("dd if=/dev/vda of=/dev/vda bs=4096 count=2 skip=1 seek=4094")
    ok = ok and c.type("dd if=/dev/zero of=/dev/vda bs=4096 count=1 seek=4096")
    ok = ok and c.type("dmesg")
    if ok:
        c.type("poweroff", prompt=qemu.END)
    out = c.finish(timeout)
    out.text += "\n--- monitor ---\n" + answer
    return out


def checks(st, ctx):
    want = hashlib.sha256(st["data"][(BAD - 1) * 512:(BAD + 3) * 512]).hexdigest()
    seen = st["seen"]
    return [
        holds("the twin board boots to the shell", lambda r: seen.get("boot")),
        holds("a read the device fails comes back to the client as EIO",
              lambda r: "sh: dd: error reading '/dev/vda': I/O error" in seen.get("eio", "")
              or "sh: dd: error reading '/dev/vda': Input/output error" in seen.get("eio", "")),
        expect("the same read then succeeds with the disk's bytes", f"{want}  /tmp/a"),
        expect("Linux in the LDC logged the error the twin reported",
               re.compile(rf"I/O error, dev vda, sector {BAD} op READ, 512 bytes, device status 1 \(data plane: twin 0\)")),
        holds("block_resize reaches vfs through the LDC", lambda r: seen.get("vfs_resized")),
        expect("the twin hears the new size from the LDC", "vtwin: virtio-mmio@a003e00: disk 0 is now 16777216 bytes"),
        expect("ls /dev shows the new size", "vda          16777216"),
        expect("a write past the old end goes through the twin", "2+0 records in\n2+0 records out\n8192 bytes copied"),
        expect("a write past the new end still fails", "sh: dd: error writing '/dev/vda': No space left on device"),
        expect("Linux's virtio_blk saw the capacity change", "vda: detected capacity change from 16384 to 32768"),
        same_image("the host image holds the resize and exactly the writes", st["disk"], st["want"]),
        expect("PSCI power-off ends QEMU", qemu.END),
    ]


SCENARIOS = [Scenario(name="twin-control-plane", group="twin", title="qemu twin control plane (blkdebug EIO, block_resize)",
                      setup=setup, drive=drive, checks=checks, log="twin-control-plane.log")]
