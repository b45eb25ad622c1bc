"""UFS through Linux's own drivers (ufshcd-pci, the UFS core, SCSI, sd) in
ldc1, on QEMU 10's UFS host controller with two logical units: sda, a GPT
disk for 4 KiB sectors with three partitions of random content, and sdb,
random content behind QEMU's blkdebug, which fails every read of one
block (a bad block: Linux's SCSI error handling retries, then fails it). The host
checks the hashes of the disk and of each partition, byte-granular dd
(read-modify-write of 4 KiB blocks in the client library) against what
coreutils would leave, the injected read error (EIO to the client, and the
next read, of the blocks around it, succeeds), reads and writes past the
ends, and both images after power-off. The same on the twin board
(ufs-twin): ufshcd keeps the controller, utwin serves the reads and writes,
the injected error gets Linux's verdict."""
import hashlib
import os
import re

from harness import images
from harness.scenario import Scenario, absent, expect, holds, same_image

LBS = 4096
SDA_SIZE = 16 << 20
SDA_PARTS = [(256, 1279), (1280, 2303), (2304, 4089)]   # (first, last) 4 KiB LBAs
SDB_SIZE = 8 << 20
BAD_BLOCK = 700          # sdb's 4 KiB block whose reads fail (blkdebug)


def sha(b):
    return hashlib.sha256(b).hexdigest()


def setup(ctx, twin=False):
    d = images.disk_dir(ctx.build)
    t = "-twin" if twin else ""
    sda = images.gpt_image(SDA_SIZE, SDA_PARTS, 41, sector=LBS)
    sdb = images.random_bytes(SDB_SIZE, 43)
    pa = images.write(os.path.join(d, f"ufs{t}-sda.img"), sda)
    pb = images.write(os.path.join(d, f"ufs{t}-sdb.img"), sdb)
    conf = os.path.join(d, f"ufs{t}-blkdebug.conf")
    with open(conf, "w") as f:
        # blkdebug counts 512-byte sectors; every read that covers it fails
        # (once = "on" would fail only the first attempt, which Linux's SCSI
        # error handling retries: the client would never see it)
        f.write(f'[inject-error]\nevent = "read_aio"\nerrno = "5"\nsector = "{BAD_BLOCK * 8}"\n')
    p1, p2, p3 = [(a * LBS, (b - a + 1) * LBS) for a, b in SDA_PARTS]
    script = ["lsdev", "ls /dev"] + \
        ["sha256sum /dev/sda"] + [f"sha256sum /dev/sda{i + 1}" for i in range(3)] + [
        # byte-granular: inside blocks, across blocks, between partitions
        "dd if=/dev/zero of=/dev/sda1 bs=512 seek=3 count=1",
        "dd if=/dev/sdb of=/dev/sda bs=1000 count=7 skip=2 seek=5000",
        "dd if=/dev/sda1 of=/dev/sda3 bs=1536 count=3 skip=1 seek=5",
        # across sda2's end: what fits, then ENOSPC
        f"dd if=/dev/sdb of=/dev/sda2 bs=1000 count=5 seek={p2[1] // 1000 - 2}",
        # past the disk's end: nothing read
        f"dd if=/dev/sda of=/tmp/end bs=512 count=2 skip={SDA_SIZE // 512}",
        "dd if=/dev/sda of=/tmp/odd bs=700 count=9 skip=3",
        "sha256sum /tmp/odd",
        # the injected error: EIO, then the blocks around it read as they are
        f"dd if=/dev/sdb of=/tmp/bad bs=4096 count=1 skip={BAD_BLOCK}",
        f"dd if=/dev/sdb of=/tmp/before bs=4096 count=1 skip={BAD_BLOCK - 1}",
        f"dd if=/dev/sdb of=/tmp/after bs=4096 count=1 skip={BAD_BLOCK + 1}",
        "sha256sum /tmp/before", "sha256sum /tmp/after",
        "dmesg ldc1", "lsdev", "poweroff"]
    want = bytearray(sda)
    want[p1[0] + 1536:p1[0] + 2048] = bytes(512)
    want[5000000:5007000] = sdb[2000:9000]
    # sda1 (after the first write) 1536..6144 to sda3 at 7680
    src = bytes(want[p1[0] + 1536:p1[0] + 1536 + 4608])
    want[p3[0] + 7680:p3[0] + 7680 + 4608] = src
    start = (p2[1] // 1000 - 2) * 1000
    fits = p2[1] - start
    want[p2[0] + start:p2[0] + p2[1]] = sdb[:fits]
    return {"qemu": images.ufs_lus([pa, pb], {1: conf}), "script": script, "sda": pa, "sdb": pb, "twin": twin,
            "append": "hm.boot=boot-twin.conf" if twin else None,
            "sda0": sda, "sdb0": sdb, "want": bytes(want), "fits": fits, "odd": sha(bytes(want[2100:2100 + 6300])),
            "before": sha(sdb[(BAD_BLOCK - 1) * LBS:BAD_BLOCK * LBS]),
            "after": sha(sdb[(BAD_BLOCK + 1) * LBS:(BAD_BLOCK + 2) * LBS])}


def checks(st, ctx):
    sda, sdb = st["sda0"], st["sdb0"]
    c = [
        expect("devmgr runs the UFS host controller's driver in ldc1", "devmgr: pci 0000:00:01.0: ufshcd in ldc1"),
        expect("Linux's PCI core finds QEMU's UFS controller (1b36:0013, class 0109)",
               "pci 0000:00:01.0: [1b36:0013] type 00 class 0x010901"),
        expect("Linux's SCSI core scans the UFS logical units", re.compile(r"scsi 0:0:0:0: Direct-Access +QEMU")),
        expect("sd reports 4 KiB logical blocks for sda", f"sd 0:0:0:0: [sda] {SDA_SIZE // LBS} 4096-byte logical blocks"),
        expect("sd attaches the second logical unit as sdb", f"sd 0:0:0:1: [sdb] {SDB_SIZE // LBS} 4096-byte logical blocks"),
        expect("Linux's GPT scan of a 4 KiB-sector disk finds three partitions", " sda: sda1 sda2 sda3"),
        expect("lsdev shows the controller, ufshcd, ldc1 and its logical units",
               re.compile(r"pci 0000:00:01.0 +pci1b36,13 +ufs-host +ufshcd" + (r" \(data plane: twin\)" if st["twin"] else "") +
                          r" +ldc1 +sd[ab]\+4 +running \(irq \d+")),
        expect("ls /dev shows sda with its size", f"sda          {SDA_SIZE}"),
        expect("ls /dev shows sdb with its size", f"sdb          {SDB_SIZE}"),
        expect("sha256sum of sda equals the host's", f"{sha(sda)}  /dev/sda"),
        expect("dd of one 512-byte record into a 4 KiB block", "1+0 records in\n1+0 records out\n512 bytes copied"),
        expect("dd with an odd block size across blocks copies 7 records", "7+0 records in\n7+0 records out\n7000 bytes copied"),
        expect("dd between partitions copies 3 records", "3+0 records in\n3+0 records out\n4608 bytes copied"),
        expect("dd past sda2's end writes what fits and says why",
               f"sh: dd: error writing '/dev/sda2': No space left on device"),
        expect("dd past the disk's end reads nothing", "0+0 records in\n0+0 records out\n0 bytes copied"),
        expect("sha256sum of an odd-sized read at an odd offset", f"{st['odd']}  /tmp/odd"),
        expect("the injected read error reaches the client as EIO", "sh: dd: error reading '/dev/sdb': I/O error"),
        expect("Linux logs the failed read", re.compile(r"I/O error, dev sdb, sector \d+")),
        holds("the next reads, of the blocks before and after it, succeed with the device's bytes",
              lambda r: f"{st['before']}  /tmp/before" in r.text and f"{st['after']}  /tmp/after" in r.text),
        absent("no Linux oops in the container", "Unable to handle"),
        absent("no interrupt nobody handled", "nobody cared"),
        same_image("sda's image holds exactly the dd writes (sda2's within sda2), nothing else changed",
                   st["sda"], st["want"]),
        same_image("sdb's image is unchanged", st["sdb"], sdb),
        expect("poweroff ends the system", "hm: power off"),
    ]
    if st["twin"]:
        c += [
            expect("Linux hands the data plane over: the SCSI host's slots to the twin, its reserved one kept",
                   re.compile(r"hm: 0000:00:01.0: data plane handed to twin \d+: slots 0-30 of 32 \(Linux keeps the rest\)")),
            expect("devmgr starts utwin with the controller's data plane",
                   "devmgr: pci 0000:00:01.0: data plane handed from ldc1 to utwin"),
            expect("utwin serves from Linux's request list", "utwin: pci 0000:00:01.0: data plane taken over: slots 0-30 of 32"),
            # a UIC command's completion interrupt reaches Linux only through the twin
            expect("Linux's UIC commands (hibern8 enter, exit) complete through the twin's forwarded interrupt",
                   re.compile(r"hm: 0000:00:01.0: link check through twin \d+'s interrupt: hibern8 entered and left "
                              r"\([1-9]\d* interrupts passed on\)")),
            holds("Linux has the twin send the failed read again 5 times, as its SCSI midlayer retries an aborted "
                  "command",
                  lambda r: len(re.findall(r"hm: sdb: sector \d+ op READ: sense b/00/06: sent again \([1-5] of 5\), "
                                           r"as the SCSI midlayer does", r.text)) == 5,
                  lambda r: f"{len(re.findall(r'sent again', r.text))} retries logged"),
            expect("Linux gives its verdict on the error the twin reported (SCSI status, sense)",
                   re.compile(r"I/O error, dev sdb, sector \d+ op READ, 4096 bytes, OCS 0, SCSI status 0x2, sense "
                              r"[0-9a-f]/[0-9a-f]{2}/[0-9a-f]{2} \(data plane: twin \d+\)")),
            absent("no forwarded interrupt left unhandled", "did not handle"),
        ]
    for i, (a, b) in enumerate(SDA_PARTS):
        c.append(expect(f"sha256sum of sda{i + 1} equals the host's over its byte range",
                        f"{sha(sda[a * LBS:(b + 1) * LBS])}  /dev/sda{i + 1}"))
        c.append(expect(f"ls /dev shows sda{i + 1} with the partition's size", f"sda{i + 1}         {(b - a + 1) * LBS}"))
    if ctx.linux == "6.1":
        c.append(expect("6.1: the board file's pci-id line gives ufshcd QEMU's ID", "hm: ufshcd takes PCI ID 1b36:0013 (board file)"))
    else:
        c.append(expect("6.12: ufshcd lists QEMU's ID itself; the board's line is not applied",
                        "hm: ufshcd lists PCI ID 1b36:0013 itself: its own entry is used"))
    return c


def mcq_setup(ctx):
    d = images.disk_dir(ctx.build)
    sda = images.gpt_image(SDA_SIZE, SDA_PARTS, 47, sector=LBS)
    pa = images.write(os.path.join(d, "ufs-mcq-sda.img"), sda)
    want = bytearray(sda)
    want[LBS * 100:LBS * 102] = sda[:2 * LBS]
    return {"qemu": images.ufs_lus([pa], mcq=True), "append": "hm.boot=boot-twin.conf", "sda": pa, "sda0": sda,
            "want": bytes(want),
            "script": ["lsdev", "sha256sum /dev/sda", "dd if=/dev/sda of=/dev/sda bs=4096 count=2 seek=100",
                       "dmesg ldc1", "poweroff"]}


def mcq_checks(st, ctx):
    sda = st["sda0"]
    c = [expect("sha256sum of sda equals the host's", f"{sha(sda)}  /dev/sda"),
         expect("dd copies two blocks", "2+0 records in\n2+0 records out\n8192 bytes copied"),
         same_image("sda's image holds exactly the dd write", st["sda"], st["want"]),
         absent("no Linux oops in the container", "Unable to handle"),
         expect("poweroff ends the system", "hm: power off")]
    if ctx.linux == "6.1":
        # 6.1's ufshcd has no MCQ: the controller runs its single doorbell, the twin takes it
        c.append(expect("6.1 (no MCQ in its ufshcd): utwin serves the single doorbell",
                        "utwin: pci 0000:00:01.0: data plane taken over: slots 0-30 of 32"))
    else:
        c += [expect("6.12 runs the controller in MCQ mode: the hand-off cannot be done, Linux says why and keeps "
                     "the data plane (DC-solo)",
                     re.compile(r"hm: sda: no twin \(its slots are not those of a single-doorbell controller with a "
                                r"slot Linux keeps: -95\): Linux keeps the data plane")),
              expect("lsdev shows ufshcd serving the data plane itself",
                     re.compile(r"pci 0000:00:01.0 +pci1b36,13 +ufs-host +ufshcd +ldc1 +sda\+3 +running")),
              absent("no twin was started", "handed from ldc1 to utwin")]
    return c


def reset_setup(ctx):
    d = images.disk_dir(ctx.build)
    sda = images.random_bytes(SDA_SIZE, 53)
    pa = images.write(os.path.join(d, "ufs-reset-sda.img"), sda)
    want = bytearray(sda)
    want[8 << 20:12 << 20] = sda[:4 << 20]
    # each recovery is started and the next command runs while it does
    # (the shell's fault returns once the container took the request)
    # (a sleep before each next one: the shell outranks Linux's threads, and
    # a recovery whose end the dc-twin thread had not yet seen when the
    # next began would never say it was over)
    script = ["fault ldc1 linkreset", "sha256sum /dev/sda", "sleep 300", "fault ldc1 linkreset",
              "dd if=/dev/sda of=/dev/sda bs=65536 count=64 seek=128", "sleep 300", "fault ldc1 linkreset",
              "sha256sum /dev/sda",
              # the console's lines are all typed at once: the shell (which
              # outranks Linux's threads) would read ldc1's log before the
              # third recovery had the CPU; a sleep gives it the CPU
              "fault ldc0 linkreset", "sleep 1000", "dmesg ldc1", "poweroff"]
    vda = images.blank(ctx.build, "ufs-reset-vda.img", 1 << 20)   # ldc0, with vtwin: no UFS there
    return {"qemu": images.ufs_lus([pa]) + images.virtio_disk(vda, cache=None), "append": "hm.boot=boot-twin.conf",
            "sda": pa, "sda0": sda, "want": bytes(want), "script": script}


def reset_checks(st, ctx):
    before, after = sha(st["sda0"]), sha(st["want"])
    return [
        holds("three link recoveries ran in ldc1's Linux, each a controller reset",
              lambda r: len(re.findall(r"hm: 0000:00:01.0: link recovery \(injected\) done \(0\): 1 reset\(s\), "
                                       r"[1-9]\d* interrupts passed on by twin \d+", r.text)) == 3,
              lambda r: "; ".join(re.findall(r"hm: 0000:00:01.0: link recovery .*", r.text)) or "none"),
        holds("after each recovery Linux lets the twin ring again (the controller operational, no error handling)",
              lambda r: r.text.count("hm: 0000:00:01.0: recovery over: twin 0 rings again") == 3,
              lambda r: f"{r.text.count('recovery over')} times"),
        holds("the twin's requests waited for a reset and were rung after it (the doorbell held while Linux reset)",
              lambda r: re.search(r"utwin: the doorbell waited for Linux's controller reset: [1-9]\d* request", r.text)),
        expect("sha256sum of sda during a recovery equals the host's", f"{before}  /dev/sda"),
        expect("dd copies 4 MiB during a recovery", "64+0 records in\n64+0 records out\n4194304 bytes copied"),
        expect("sha256sum after the copy equals the host's computation", f"{after}  /dev/sda"),
        same_image("sda's image holds exactly the copy", st["sda"], st["want"]),
        expect("a container without a UFS twin (ldc0: vtwin's virtio-blk) refuses a link recovery",
               "sh: fault: ldc0: it has no injection points for that (a native driver; linkreset: no UFS twin there; twin: no twin serves)"),
        absent("Linux's device commands and UIC commands all completed (no timeout)", "timed out"),
        absent("no forwarded interrupt left unhandled", "did not handle"),
        absent("no Linux oops in the container", "Unable to handle"),
        expect("poweroff ends the system", "hm: power off"),
    ]


SCENARIOS = [Scenario(name="ufs", title="qemu ufs (Linux's UFS stack in ldc1; GPT for 4 KiB sectors, two LUs, "
                                         "byte-granular dd, an injected read error)",
                      setup=setup, script=lambda st: st["script"], checks=checks, log="ufs.log"),
             Scenario(name="ufs-twin", group="twin", title="qemu ufs twin (the same on the twin board: ufshcd keeps the "
                                                           "controller, utwin the reads and writes)",
                      setup=lambda ctx: setup(ctx, twin=True), script=lambda st: st["script"], checks=checks,
                      log="ufs-twin.log"),
             Scenario(name="ufs-twin-mcq", group="twin",
                      title=lambda ctx: "qemu ufs twin, MCQ controller (" + ("6.1 has no MCQ: the twin serves" if
                                                                             ctx.linux == "6.1" else
                                                                             "no hand-off: Linux serves, says why") + ")",
                      setup=mcq_setup, script=lambda st: st["script"], checks=mcq_checks, log="ufs-twin-mcq.log"),
             Scenario(name="ufs-twin-reset", group="twin",
                      title="qemu ufs twin, Linux's link recovery under I/O (host reset, NOP and queries on Linux's "
                            "slot, UIC commands: all through the twin's interrupt)",
                      setup=reset_setup, script=lambda st: st["script"], checks=reset_checks, log="ufs-twin-reset.log")]
