"""The shell on a GPT disk and an MBR SD card, three layouts: commands come
on the console; the host checks the hashes, the output and both images
after power-off. "split": devices.conf (virtio-blk in ldc0, the MMC stack
in ldc1); "one": devices-one.conf (all in ldc0); "twin": devices-twin.conf
(split, with the virtio-blk data plane in its twin driver vtwin: the same
data checks must hold)."""
import hashlib
import os
import re

from harness import images
from harness.scenario import Scenario, absent, expect, holds, same_image

SD_SIZE = 16 * 1024 * 1024   # QEMU's SD card: a power of two
SD_PARTS = [(2048, 8192), (10240, 6144), (16384, 14336)]   # (first LBA, sectors)
DISK_SIZE = 8 * 1024 * 1024
DISK_PARTS = [(2048, 6143), (6144, 10239), (10240, 16349)]   # (first LBA, last LBA)
# Linux's region in ldc0, as the boards give it (devices.conf and
# devices-twin.conf: "args ldc0 ram=N"); the container's whole count must
# stay within 8 MiB (issue "Faster where it counts": small containers)
BOARD_DIR = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "boards", "qemu-virt")


def board_ldc0_ram_mib():
    sizes = {int(re.search(r"^args ldc0 ram=(\d+)$", open(os.path.join(BOARD_DIR, f)).read(), re.M).group(1))
             for f in ("devices.conf", "devices-twin.conf")}
    assert len(sizes) == 1, "devices.conf and devices-twin.conf give ldc0 the same region"
    return sizes.pop()


LDC0_RAM_MIB = board_ldc0_ram_mib()


def sha(b):
    return hashlib.sha256(b).hexdigest()


def sd_part(build, layout):
    """The SD card behind sdhci-pci: random content, an MBR with three
    partitions; dd writes into the whole card and into partitions, checked
    on the host image after power-off."""
    path = os.path.join(images.disk_dir(build), f"sd-{layout}.img")
    data = images.mbr_image(SD_SIZE, SD_PARTS, 23)
    images.write(path, data)
    (a, an), (b, bn), (c, cn) = [(f * 512, n * 512) for f, n in SD_PARTS]
    script = ["sha256sum /dev/mmcblk0"] + [f"sha256sum /dev/mmcblk0p{i + 1}" for i in range(3)] + [
              "dd if=/dev/vda of=/dev/mmcblk0 bs=1000 count=3 skip=2 seek=5000",
              "dd if=/dev/zero of=/dev/mmcblk0p2 bs=4096 count=2 seek=3",
              "dd if=/dev/mmcblk0p1 of=/dev/mmcblk0p3 bs=512 count=5 skip=1 seek=7",
              f"dd if=/dev/zero of=/dev/mmcblk0p2 bs=4096 count=3 seek={bn // 4096 - 1}"]
    checks = [expect("sha256sum of the SD card equals the host's", f"{sha(data)}  /dev/mmcblk0"),
              expect("ls /dev shows mmcblk0 with the card's size", f"mmcblk0      {SD_SIZE}"),
              expect("dmesg shows the card detection", "mmc0: new high speed SD card at address"),
              expect("dmesg shows Linux's MBR partition scan of the card", " mmcblk0: p1 p2 p3"),
              expect("the SD host uses DMA (ADMA2), not PIO", "mmc0: SDHCI controller on PCI [0000:00:01.0] using ADMA"),
              expect("Linux's pci-host-generic enumerates the bus", "pci 0000:00:01.0: [1b36:0007] type 00 class 0x080501"),
              expect("dd into the card at an odd offset copies 3 records", "3+0 records in\n3+0 records out\n3000 bytes copied"),
              expect("dd past mmcblk0p2's end stops at the partition's end",
                     "sh: dd: error writing '/dev/mmcblk0p2': No space left on device")]
    for i, (first, n) in enumerate(SD_PARTS):
        checks.append(expect(f"ls /dev shows mmcblk0p{i + 1} with the partition's size", f"mmcblk0p{i + 1}    {n * 512}"))
        checks.append(expect(f"sha256sum of mmcblk0p{i + 1} equals the host's over its byte range",
                             f"{sha(data[first * 512:(first + n) * 512])}  /dev/mmcblk0p{i + 1}"))
    # no interrupt came twice or without cause (sdhci and the irq core say so)
    checks += [absent("no spurious SD host interrupt", "even though no"),
               absent("no unexpected SD host interrupt", "Unexpected interrupt"),
               absent("no interrupt nobody handled", "nobody cared"),
               absent("the SD host never falls back to PIO", "using PIO")]

    def expected(vda):
        e = bytearray(data)
        e[5000000:5003000] = vda[2000:5000]
        e[b + 12288:b + 20480] = bytes(8192)
        e[c + 3584:c + 3584 + 2560] = data[a + 512:a + 512 + 2560]
        e[b + bn - 4096:b + bn] = bytes(4096)
        return bytes(e)
    return path, script, checks, expected


def setup(layout):
    def make(ctx):
        path = os.path.join(images.disk_dir(ctx.build), f"shell-{layout}.img")
        data = images.gpt_image(DISK_SIZE, DISK_PARTS, 7)
        images.write(path, data)
        sd_path, sd_script, sd_checks, sd_expected = sd_part(ctx.build, layout)
        size, blocks = DISK_SIZE, DISK_SIZE // 4096
        p1 = DISK_PARTS[0][0] * 512
        p2 = DISK_PARTS[1][0] * 512
        p2_size = (DISK_PARTS[1][1] - DISK_PARTS[1][0] + 1) * 512
        script = ["lsdev", "ls /dev", "sha256sum /dev/vda"] + [f"sha256sum /dev/vda{i + 1}" for i in range(3)] + \
            sd_script + [
                "dd if=/dev/vda of=/dev/vda bs=1000 count=5 skip=3 seek=3000",
                "dd if=/dev/zero of=/dev/vda bs=4096 count=2 seek=100",
                f"dd if=/dev/zero of=/dev/vda bs=4096 count=4 seek={blocks - 2}",
                f"dd if=/dev/vda of=/tmp/t bs=512 count=2 skip={size // 512}",
                "dd if=/dev/vda of=/tmp/t bs=700 count=3 skip=1",
                "dd if=/dev/vda1 of=/dev/vda2 bs=1536 count=3 skip=1 seek=5",
                f"dd if=/dev/zero of=/dev/vda2 bs=4096 count=4 seek={p2_size // 4096 - 1}",
                "sha256sum /tmp/t", "sha256sum /dev/missing", "ls /nowhere", "ls /tmp", "frobnicate",
                "dmesg", "poweroff"]
        want = bytearray(data)
        want[3000000:3005000] = data[3000:8000]
        want[409600:409600 + 8192] = bytes(8192)
        want[size - 8192:] = bytes(8192)
        # vda2 writes: 3 x 1536 bytes of vda1 (from its byte 1536) at vda2's byte 7680,
        # then zeros into vda2's last 4 KiB block only (the rest does not fit)
        want[p2 + 7680:p2 + 7680 + 4608] = data[p1 + 1536:p1 + 1536 + 4608]
        want[p2 + p2_size - 4096:p2 + p2_size] = bytes(4096)
        qemu = images.virtio_disk(path) + images.sd_card(sd_path)
        # the card's dd read vda before any vda write: its bytes are the original's
        return {"qemu": qemu, "script": script, "disk": path, "data": data, "want": bytes(want),
                "sd": sd_path, "sd_want": sd_expected(data), "sd_checks": sd_checks,
                "tmp_hash": sha(bytes(want[700:2800])),
                "append": {"one": "hm.boot=boot-one.conf", "twin": "hm.boot=boot-twin.conf"}.get(layout)}
    return make


def checks(layout):
    mmc_ct = "ldc0" if layout == "one" else "ldc1"
    driver = r"virtio_blk \(data plane: twin\)" if layout == "twin" else "virtio_blk"

    def make(st, ctx):
        data = st["data"]
        c = [expect("sha256sum of the GPT disk equals the host's", f"{sha(data)}  /dev/vda"),
             expect("lsdev shows the disk's driver, the LDC and its nodes",
                    re.compile(rf"virtio-mmio@a003e00 +virtio,mmio +block +{driver} +ldc0 +vda\+3 +running")),
             expect("lsdev shows the PCIe host and its container",
                    re.compile(rf"pcie@4010000000 +pci-host-ecam-generic +pci-host +pci-host-generic +{mmc_ct} +- +running \(irq 35-38")),
             expect("lsdev shows the PCI function, sdhci-pci, its container and nodes",
                    re.compile(rf"pci 0000:00:01.0 +pci1b36,7 +sd-host +sdhci-pci +{mmc_ct} +mmcblk0\+3 +running \(irq 36,")),
             expect("ls /dev shows vda with its size", f"vda          {DISK_SIZE}"),
             expect("dd with an odd block size copies 5 records", "5+0 records in\n5+0 records out\n5000 bytes copied"),
             expect("dd past the end writes what fits and says why",
                    "sh: dd: error writing '/dev/vda': No space left on device"),
             expect("dd past the end of input copies nothing", "0+0 records in\n0+0 records out\n0 bytes copied"),
             expect("dd into /tmp, partial last block read", "3+0 records in"),
             expect("sha256sum of a /tmp file", f"{st['tmp_hash']}  /tmp/t"),
             expect("missing path: clear error", "sh: sha256sum: /dev/missing: No such file or directory"),
             expect("ls of a missing directory: clear error", "sh: ls: /nowhere: No such file or directory"),
             expect("unknown command", "sh: frobnicate: command not found"),
             expect("ls /tmp lists the file dd made", "t            2100"),
             expect("dd between partitions copies 3 records", "3+0 records in\n3+0 records out\n4608 bytes copied"),
             expect("dd past vda2's end stops at the partition's end",
                    "sh: dd: error writing '/dev/vda2': No space left on device"),
             expect("dmesg shows Linux's partition scan", " vda: vda1 vda2 vda3"),
             expect("dmesg shows Linux's virtio_blk driver", "virtio_blk virtio0: [vda] 16384 512-byte logical blocks"),
             expect(f"devmgr runs the SD host's driver in {mmc_ct}", f"devmgr: pci 0000:00:01.0: sdhci-pci in {mmc_ct}")]
        if layout != "one":
            c.append(expect("devmgr starts two containers", "devmgr: pcie@4010000000: pci-host-generic in ldc1"))
            # the board's "args ldc0 ram=N": Linux's region and DC-base's own, against the 40 MiB limit
            def ldc0_small(r):
                m = re.search(r"^ldc0 +(\d+\.\d)M/40M +(\d+\.\d)M/32M", r.text, re.M)
                return m and float(m.group(2)) == LDC0_RAM_MIB and LDC0_RAM_MIB <= float(m.group(1)) <= 8.0
            c.append(holds(f"lsdev's container table: ldc0 holds its {LDC0_RAM_MIB} MiB region (the board's ram=) "
                           "and DC-base's own, 8 MiB at most in all; ldc1 about 24",
                           lambda r: ldc0_small(r) and
                           re.search(r"^ldc1 +2[45]\.\dM/40M +24\.0M/32M", r.text, re.M)))
            # its bounce budget scales with the region: requests past half of it go in pieces
            c.append(holds(f"dmesg: ldc0's Linux sizes its bounce pages by its {LDC0_RAM_MIB} MiB region (pieces under 4 MiB)",
                           lambda r: any(int(m) < 4096 for m in
                                         re.findall(r"hm: block requests: \d+ KiB of bounce pages in flight, "
                                                    r"pieces of (\d+) KiB", r.text))))
        else:
            c.append(expect("devmgr starts one container for both stacks",
                            "devmgr: pcie@4010000000: pci-host-generic in ldc0"))
        c += st["sd_checks"]
        for i, (first, last) in enumerate(DISK_PARTS):
            c.append(expect(f"ls /dev shows vda{i + 1} with the partition's size",
                            f"vda{i + 1}         {(last - first + 1) * 512}"))
            c.append(expect(f"sha256sum of vda{i + 1} equals the host's over its byte range",
                            f"{sha(data[first * 512:(last + 1) * 512])}  /dev/vda{i + 1}"))
        if layout == "twin":
            c += [expect("devmgr starts the twin with the LDC's hand-off",
                         "devmgr: virtio-mmio@a003e00: data plane handed from ldc0 to vtwin"),
                  expect("the twin takes the data plane over on Linux's ring",
                         re.compile(r"vtwin: virtio-mmio@a003e00: data plane taken over at ring index \d+ \(\d+ entries")),
                  expect("Linux hands the queue over after its partition scan",
                         re.compile(r"hm: vda: data plane handed to twin 0 at ring index [1-9]")),
                  absent("the hand-off did not fail", "Linux keeps the data plane")]
        else:
            c.append(absent("no twin runs on a DC-solo board", "vtwin"))
        if layout == "one":
            c.append(absent("no second container runs", "ldc1"))
        c += [same_image("host image holds exactly the dd writes (vda2's within vda2), nothing else changed",
                         st["disk"], st["want"]),
              same_image("SD image holds exactly the dd writes (each partition's within it), nothing else changed",
                         st["sd"], st["sd_want"]),
              expect("poweroff ends the system", "hm: power off")]
        return c
    return make


LAYOUTS = (("split", "virtio-blk in ldc0, MMC in ldc1"), ("one", "one LDC for both"),
           ("twin", "split, virtio-blk data plane in its twin"))

SCENARIOS = [Scenario(name=f"shell-{layout}", group="shell",
                      title=f"qemu shell {layout} ({what}; GPT disk, MBR SD card, scripted console)",
                      setup=setup(layout), script=lambda st: st["script"], checks=checks(layout),
                      log=f"shell-{layout}.log")
             for layout, what in LAYOUTS]
