#!/usr/bin/env python3
"""hm test runner: host unit tests and QEMU system tests, one summary line.

Host tests are the binaries build/host/test_*; system tests are the programs
tests/system/kt_*.c (except the helper), each booted in its own QEMU with
`-append hm.run=NAME` so init runs it and powers off. Every case prints
"ok - ..." or "not ok - ..."; a program must also print "# done NAME" or it
counts as crashed/hung. A kernel panic fails the boot. The last line is
"N passed, M failed"; the exit status is non-zero when anything failed.
"""
import argparse
import array
import glob
import hashlib
import random
import os
import re
import socket
import subprocess
import sys
import threading
import time

CASE = re.compile(r"^(ok|not ok) - (.*)$")


def parse(out, label):
    passed, failed = [], []
    for line in out.splitlines():
        m = CASE.match(line.strip("\r"))
        if m:
            (passed if m.group(1) == "ok" else failed).append(m.group(2))
    return passed, failed


def run_host(path, timeout):
    name = os.path.basename(path)
    try:
        p = subprocess.run([path], capture_output=True, text=True, timeout=timeout)
        out, rc = p.stdout + p.stderr, p.returncode
    except subprocess.TimeoutExpired as e:
        out, rc = (e.stdout or b"").decode(errors="replace") if isinstance(e.stdout, bytes) else (e.stdout or ""), -1
        out += f"\n{name}: timed out after {timeout}s"
    passed, failed = parse(out, name)
    if rc != 0 and not failed:
        failed.append(f"{name}: exit status {rc}")
    if not passed and not failed:
        failed.append(f"{name}: printed no result")
    return passed, failed, out


# the boot images of the Linux version under test (main sets them)
IMAGES = {}


def run_qemu(qemu, build, name, timeout, extra, append=None):
    cmd = qemu.split() + ["-kernel", f"{build}/hm.bin", "-initrd", IMAGES["test"],
                          "-append", append or f"hm.run={name}", "-display", "none", "-monitor", "none",
                          "-serial", "stdio", "-no-reboot"] + extra
    t0 = time.time()
    try:
        p = subprocess.run(cmd, capture_output=True, timeout=timeout, stdin=subprocess.DEVNULL)
        out = p.stdout.decode(errors="replace") + p.stderr.decode(errors="replace")
        hung = False
    except subprocess.TimeoutExpired as e:
        out = (e.stdout or b"").decode(errors="replace")
        hung = True
    passed, failed = parse(out, name)
    if "KERNEL PANIC" in out:
        failed.append(f"{name}: kernel panic")
    if f"# done {name[3:]}" not in out:
        failed.append(f"{name}: did not finish" + (f" (no power-off within {timeout}s)" if hung else ""))
    elif hung or "hm: power off" not in out:
        failed.append(f"{name}: finished but the system did not power off (init never saw it exit)")
    return passed, failed, out, time.time() - t0


PATTERN_OFF, PATTERN_LEN = 1024 * 1024 + 4096, 8192


def vblk_setup(build, variant):
    """A 4 MiB random disk for kt_vblk; after the run the host checks that
    exactly the test's pattern was written and nothing else changed."""
    os.makedirs(f"{build}/test-disks", exist_ok=True)
    path = f"{build}/test-disks/vblk-{variant}.img"
    data = bytes(random.Random(42).getrandbits(8) for _ in range(4 * 1024 * 1024))
    with open(path, "wb") as f:
        f.write(data)
    extra = ["-drive", f"if=none,id=hd0,file={path},format=raw,cache=writeback",
             "-device", "virtio-blk-device,drive=hd0"]
    if variant == "modern":
        extra += ["-global", "virtio-mmio.force-legacy=false"]
    append = f"hm.run=kt_vblk:{len(data)}:{hashlib.sha256(data).hexdigest()}"
    pattern = bytes((i * 7 + 3) & 0xff for i in range(PATTERN_LEN))
    expect = data[:PATTERN_OFF] + pattern + data[PATTERN_OFF + PATTERN_LEN:]

    def post():
        with open(path, "rb") as f:
            now = f.read()
        if now == expect:
            return [f"vblk {variant}: host image holds exactly the written pattern"], []
        diff = [i for i in range(0, len(now), 4096) if now[i:i + 4096] != expect[i:i + 4096]]
        return [], [f"vblk {variant}: host image differs in 4 KiB blocks {diff[:8]}"]
    return extra, append, post


def small_disk(build, variant):
    """Any block device, for tests that only need one to exist."""
    os.makedirs(f"{build}/test-disks", exist_ok=True)
    path = f"{build}/test-disks/small.img"
    with open(path, "wb") as f:
        f.truncate(1024 * 1024)
    return ["-drive", f"if=none,id=hd0,file={path},format=raw", "-device", "virtio-blk-device,drive=hd0"], None, None


def gpt_image(size, parts, seed):
    """Random content with a valid GPT (protective MBR, header and entries at
    both ends) describing the given (first_lba, last_lba) partitions."""
    import struct
    import uuid
    import zlib
    rnd = random.Random(seed)
    img = bytearray(rnd.getrandbits(8) for _ in range(size))
    sectors = size // 512
    mbr = bytearray(512)
    mbr[446:462] = struct.pack("<B3sB3sII", 0, b"\0\2\0", 0xEE, b"\xff\xff\xff", 1, min(sectors - 1, 0xFFFFFFFF))
    mbr[510:512] = b"\x55\xaa"
    img[0:512] = mbr
    entries = bytearray(128 * 128)
    linux = uuid.UUID("0fc63daf-8483-4772-8e79-3d69d8477de4").bytes_le
    for i, (first, last) in enumerate(parts):
        name = f"part{i + 1}".encode("utf-16-le")
        entries[i * 128:(i + 1) * 128] = struct.pack("<16s16sQQQ72s", linux, uuid.UUID(int=rnd.getrandbits(128)).bytes_le,
                                                     first, last, 0, name)
    ecrc = zlib.crc32(entries)
    disk = uuid.UUID(int=rnd.getrandbits(128)).bytes_le

    def header(my, alt, entries_lba):
        h = bytearray(struct.pack("<8sIIIIQQQQ16sQIII", b"EFI PART", 0x10000, 92, 0, 0, my, alt, 34,
                                  sectors - 34, disk, entries_lba, 128, 128, ecrc))
        h[16:20] = struct.pack("<I", zlib.crc32(h))
        return bytes(h) + bytes(512 - len(h))
    img[512:1024] = header(1, sectors - 1, 2)
    img[1024:1024 + len(entries)] = entries
    img[(sectors - 33) * 512:(sectors - 1) * 512] = entries
    img[(sectors - 1) * 512:] = header(sectors - 1, 1, sectors - 33)
    return bytes(img)


def mbr_image(size, parts, seed):
    """Random content with an MBR describing the given (first_lba, sectors)
    primary partitions."""
    import struct
    img = bytearray(random.Random(seed).randbytes(size))
    img[446:512] = bytes(66)
    for i, (first, n) in enumerate(parts):
        img[446 + 16 * i:462 + 16 * i] = struct.pack("<B3sB3sII", 0, b"\xfe\xff\xff", 0x83, b"\xfe\xff\xff", first, n)
    img[510:512] = b"\x55\xaa"
    return bytes(img)


SD_SIZE = 16 * 1024 * 1024   # QEMU's SD card: a power of two
SD_PARTS = [(2048, 8192), (10240, 6144), (16384, 14336)]


def sd_setup(build, layout):
    """The SD card behind sdhci-pci: random content, an MBR with three
    partitions; dd writes into the whole card and into partitions, checked
    on the host image after poweroff."""
    path = f"{build}/test-disks/sd-{layout}.img"
    data = mbr_image(SD_SIZE, SD_PARTS, 23)
    with open(path, "wb") as f:
        f.write(data)
    (a, an), (b, bn), (c, cn) = [(f * 512, n * 512) for f, n in SD_PARTS]
    script = ["sha256sum /dev/mmcblk0"] + [f"sha256sum /dev/mmcblk0p{i + 1}" for i in range(3)] + [
              "dd if=/dev/vda of=/dev/mmcblk0 bs=1000 count=3 skip=2 seek=5000",
              "dd if=/dev/zero of=/dev/mmcblk0p2 bs=4096 count=2 seek=3",
              "dd if=/dev/mmcblk0p1 of=/dev/mmcblk0p3 bs=512 count=5 skip=1 seek=7",
              f"dd if=/dev/zero of=/dev/mmcblk0p2 bs=4096 count=3 seek={bn // 4096 - 1}"]
    checks = [("sha256sum of the SD card equals the host's", f"{hashlib.sha256(data).hexdigest()}  /dev/mmcblk0"),
              ("ls /dev shows mmcblk0 with the card's size", f"mmcblk0      {SD_SIZE}"),
              ("dmesg shows the card detection", "mmc0: new high speed SD card at address"),
              ("dmesg shows Linux's MBR partition scan of the card", " mmcblk0: p1 p2 p3"),
              ("the SD host uses DMA (ADMA2), not PIO", "mmc0: SDHCI controller on PCI [0000:00:01.0] using ADMA"),
              ("Linux's pci-host-generic enumerates the bus", "pci 0000:00:01.0: [1b36:0007] type 00 class 0x080501"),
              ("dd into the card at an odd offset copies 3 records", "3+0 records in\n3+0 records out\n3000 bytes copied"),
              ("dd past mmcblk0p2's end stops at the partition's end",
               "sh: dd: error writing '/dev/mmcblk0p2': No space left on device")]
    for i, (first, n) in enumerate(SD_PARTS):
        h = hashlib.sha256(data[first * 512:(first + n) * 512]).hexdigest()
        checks.append((f"ls /dev shows mmcblk0p{i + 1} with the partition's size", f"mmcblk0p{i + 1}    {n * 512}"))
        checks.append((f"sha256sum of mmcblk0p{i + 1} equals the host's over its byte range", f"{h}  /dev/mmcblk0p{i + 1}"))
    # no interrupt came twice or without cause (sdhci and the irq core say so)
    absent = [("no spurious SD host interrupt", "even though no"), ("no unexpected SD host interrupt", "Unexpected interrupt"),
              ("no interrupt nobody handled", "nobody cared"), ("the SD host never falls back to PIO", "using PIO")]

    def expect(vda):
        e = bytearray(data)
        e[5000000:5003000] = vda[2000:5000]
        e[b + 12288:b + 20480] = bytes(8192)
        e[c + 3584:c + 3584 + 2560] = data[a + 512:a + 512 + 2560]
        e[b + bn - 4096:b + bn] = bytes(4096)
        return bytes(e)
    return path, sd_card(path), script, checks, absent, expect


def shell_setup(build, layout):
    """The shell on the default boot with a GPT disk and an MBR SD card:
    commands come on the console; the host checks the hashes, the output and
    both images after. layout "split": devices.conf (virtio-blk in ldc0, the
    MMC stack in ldc1); "one": devices-one.conf (all in ldc0); "twin":
    devices-twin.conf (split, with the virtio-blk data plane in its twin
    driver vtwin: the same data checks must hold)."""
    os.makedirs(f"{build}/test-disks", exist_ok=True)
    path = f"{build}/test-disks/shell-{layout}.img"
    size = 8 * 1024 * 1024
    data = gpt_image(size, [(2048, 6143), (6144, 10239), (10240, 16349)], 7)
    with open(path, "wb") as f:
        f.write(data)
    sd_path, sd_extra, sd_script, sd_checks, sd_absent, sd_expect = sd_setup(build, layout)
    mmc_ct = "ldc0" if layout == "one" else "ldc1"
    driver = r"virtio_blk \(data plane: twin\)" if layout == "twin" else "virtio_blk"
    blocks = size // 4096
    parts = [(2048, 6143), (6144, 10239), (10240, 16349)]
    p2 = parts[1][0] * 512
    p2_size = (parts[1][1] - parts[1][0] + 1) * 512
    script = ["lsdev", "ls /dev", "sha256sum /dev/vda"] + [f"sha256sum /dev/vda{i + 1}" for i in range(3)] + sd_script + [
              "dd if=/dev/vda of=/dev/vda bs=1000 count=5 skip=3 seek=3000",
              "dd if=/dev/zero of=/dev/vda bs=4096 count=2 seek=100",
              f"dd if=/dev/zero of=/dev/vda bs=4096 count=4 seek={blocks - 2}",
              f"dd if=/dev/vda of=/tmp/t bs=512 count=2 skip={size // 512}",
              "dd if=/dev/vda of=/tmp/t bs=700 count=3 skip=1",
              "dd if=/dev/vda1 of=/dev/vda2 bs=1536 count=3 skip=1 seek=5",
              f"dd if=/dev/zero of=/dev/vda2 bs=4096 count=4 seek={p2_size // 4096 - 1}",
              "sha256sum /tmp/t", "sha256sum /dev/missing", "ls /nowhere", "ls /tmp", "frobnicate",
              "dmesg", "poweroff"]
    expect = bytearray(data)
    expect[3000000:3005000] = data[3000:8000]
    expect[409600:409600 + 8192] = bytes(8192)
    expect[size - 8192:] = bytes(8192)
    # vda2 writes: 3 x 1536 bytes of vda1 (from its byte 1536) at vda2's byte 7680,
    # then zeros into vda2's last 4 KiB block only (the rest does not fit)
    p1 = parts[0][0] * 512
    expect[p2 + 7680:p2 + 7680 + 4608] = data[p1 + 1536:p1 + 1536 + 4608]
    expect[p2 + p2_size - 4096:p2 + p2_size] = bytes(4096)
    tmp_hash = hashlib.sha256(bytes(expect[700:2800])).hexdigest()
    checks = [("sha256sum of the GPT disk equals the host's", f"{hashlib.sha256(data).hexdigest()}  /dev/vda"),
              ("lsdev shows the disk's driver, the LDC and its nodes",
               re.compile(rf"virtio-mmio@a003e00 +virtio,mmio +block +{driver} +ldc0 +vda\+3 +running")),
              ("lsdev shows the PCIe host and its container",
               re.compile(rf"pcie@4010000000 +pci-host-ecam-generic +pci-host +pci-host-generic +{mmc_ct} +- +running \(irq 35-38")),
              ("lsdev shows the PCI function, sdhci-pci, its container and nodes",
               re.compile(rf"pci 0000:00:01.0 +pci1b36,7 +sd-host +sdhci-pci +{mmc_ct} +mmcblk0\+3 +running \(irq 36,")),
              ("ls /dev shows vda with its size", f"vda          {size}"),
              ("dd with an odd block size copies 5 records", "5+0 records in\n5+0 records out\n5000 bytes copied"),
              ("dd past the end writes what fits and says why",
               "sh: dd: error writing '/dev/vda': No space left on device"),
              ("dd past the end of input copies nothing", "0+0 records in\n0+0 records out\n0 bytes copied"),
              ("dd into /tmp, partial last block read", "3+0 records in"),
              ("sha256sum of a /tmp file", f"{tmp_hash}  /tmp/t"),
              ("missing path: clear error", "sh: sha256sum: /dev/missing: No such file or directory"),
              ("ls of a missing directory: clear error", "sh: ls: /nowhere: No such file or directory"),
              ("unknown command", "sh: frobnicate: command not found"),
              ("ls /tmp lists the file dd made", "t            2100"),
              ("dd between partitions copies 3 records", "3+0 records in\n3+0 records out\n4608 bytes copied"),
              ("dd past vda2's end stops at the partition's end",
               "sh: dd: error writing '/dev/vda2': No space left on device"),
              ("dmesg shows Linux's partition scan", " vda: vda1 vda2 vda3"),
              ("dmesg shows Linux's virtio_blk driver", "virtio_blk virtio0: [vda] 16384 512-byte logical blocks"),
              (f"devmgr runs the SD host's driver in {mmc_ct}", f"devmgr: pci 0000:00:01.0: sdhci-pci in {mmc_ct}")]
    if layout != "one":
        checks.append(("devmgr starts two containers", "devmgr: pcie@4010000000: pci-host-generic in ldc1"))
    else:
        checks.append(("devmgr starts one container for both stacks", "devmgr: pcie@4010000000: pci-host-generic in ldc0"))
    checks += sd_checks
    for i, (first, last) in enumerate(parts):
        h = hashlib.sha256(data[first * 512:(last + 1) * 512]).hexdigest()
        checks.append((f"ls /dev shows vda{i + 1} with the partition's size", f"vda{i + 1}         {(last - first + 1) * 512}"))
        checks.append((f"sha256sum of vda{i + 1} equals the host's over its byte range", f"{h}  /dev/vda{i + 1}"))
    extra = ["-drive", f"if=none,id=hd0,file={path},format=raw,cache=writeback",
             "-device", "virtio-blk-device,drive=hd0"] + sd_extra
    if layout == "one":
        extra += ["-append", "hm.boot=boot-one.conf"]
    if layout == "twin":
        extra += ["-append", "hm.boot=boot-twin.conf"]
        checks += [("devmgr starts the twin with the LDC's hand-off",
                    "devmgr: virtio-mmio@a003e00: data plane handed from ldc0 to vtwin"),
                   ("the twin takes the data plane over on Linux's ring",
                    re.compile(r"vtwin: virtio-mmio@a003e00: data plane taken over at ring index \d+ \(\d+ entries")),
                   ("Linux hands the queue over after its partition scan",
                    re.compile(r"hm: vda: data plane handed to twin 0 at ring index [1-9]"))]

    def post(out):
        out = out.replace("\r\n", "\n")
        found = [(n, t.search(out) if isinstance(t, re.Pattern) else t in out) for n, t in checks]
        passed = [f"shell: {n}" for n, ok in found if ok]
        failed = [f"shell: {n} (missing '{t if isinstance(t, str) else t.pattern}')"
                  for (n, ok), (_, t) in zip(found, checks) if not ok]
        if layout == "one":
            sd_absent.append(("no second container runs", "ldc1"))
        if layout == "twin":
            sd_absent.append(("the hand-off did not fail", "Linux keeps the data plane"))
        else:
            sd_absent.append(("no twin runs on a DC-solo board", "vtwin"))
        passed += [f"shell: {n}" for n, t in sd_absent if t not in out]
        failed += [f"shell: {n} (found '{t}')" for n, t in sd_absent if t in out]
        with open(path, "rb") as f:
            now = f.read()
        if now == bytes(expect):
            passed.append("shell: host image holds exactly the dd writes (vda2's within vda2), nothing else changed")
        else:
            diff = [i for i in range(0, size, 4096) if now[i:i + 4096] != expect[i:i + 4096]]
            failed.append(f"shell: host image differs in 4 KiB blocks {diff[:8]}")
        with open(sd_path, "rb") as f:
            now = f.read()
        # the card's dd read vda before any vda write: its bytes are the original's
        want = sd_expect(data)
        if now == want:
            passed.append("shell: SD image holds exactly the dd writes (each partition's within it), nothing else changed")
        else:
            diff = [i for i in range(0, SD_SIZE, 4096) if now[i:i + 4096] != want[i:i + 4096]]
            failed.append(f"shell: SD image differs in 4 KiB blocks {diff[:8]}")
        return passed, failed
    return extra, "\n".join(script) + "\n", post


def boot_console(qemu, build, image, extra, script, timeout):
    """boot image with the console scripted (script: what is typed); its output"""
    cmd = qemu.split() + ["-kernel", f"{build}/hm.bin", "-initrd", image,
                          "-display", "none", "-monitor", "none", "-serial", "stdio", "-no-reboot"] + extra
    try:
        return subprocess.run(cmd, input=script.encode(), capture_output=True, timeout=timeout).stdout.decode(errors="replace")
    except subprocess.TimeoutExpired as e:
        return (e.stdout or b"").decode(errors="replace") + f"\n(timed out after {timeout}s)"


class Console:
    """QEMU with the console on a pipe and the human monitor on a socket:
    a test types, waits for output, and drives the machine (block_resize)"""
    def __init__(self, qemu, build, image, extra, tmpdir):
        self.sock = os.path.join(tmpdir, "monitor.sock")
        if os.path.exists(self.sock):
            os.unlink(self.sock)
        cmd = qemu.split() + ["-kernel", f"{build}/hm.bin", "-initrd", image, "-display", "none",
                              "-monitor", f"unix:{self.sock},server=on,wait=off", "-serial", "stdio",
                              "-no-reboot"] + extra
        self.p = subprocess.Popen(cmd, stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
        self.out, self.seen = "", 0
        self.lock = threading.Lock()
        self.reader = threading.Thread(target=self._read, daemon=True)
        self.reader.start()

    def _read(self):
        for chunk in iter(lambda: self.p.stdout.read1(4096), b""):
            with self.lock:
                self.out += chunk.decode(errors="replace")

    def wait(self, text, timeout):
        """True once text appears after what earlier waits consumed"""
        end = time.time() + timeout
        while time.time() < end:
            with self.lock:
                i = self.out.find(text, self.seen)
                if i >= 0:
                    self.seen = i + len(text)
                    return True
            if self.p.poll() is not None:
                time.sleep(0.2)
                with self.lock:
                    return text in self.out[self.seen:]
            time.sleep(0.05)
        return False

    def type(self, line, prompt="hm# ", timeout=30):
        """type a shell command; True once the next prompt shows"""
        self.p.stdin.write((line + "\n").encode())
        self.p.stdin.flush()
        return self.wait(prompt, timeout)

    def monitor(self, command):
        """one human-monitor command; its answer"""
        with socket.socket(socket.AF_UNIX) as m:
            m.connect(self.sock)
            m.settimeout(10)
            got = b""

            def until(done):
                nonlocal got
                try:
                    while not done(got):
                        data = m.recv(4096)
                        if not data:
                            return
                        got += data
                except socket.timeout:
                    pass
            until(lambda g: b"(qemu)" in g)   # the banner and first prompt
            start = len(got)
            m.sendall((command + "\n").encode())
            until(lambda g: g[start:].count(b"(qemu)") >= 1 and g[start:].rstrip().endswith(b"(qemu)")
                  and command.encode() in g[start:])
            return got.decode(errors="replace")

    def finish(self, timeout):
        try:
            self.p.wait(timeout)
        except subprocess.TimeoutExpired:
            self.p.kill()
            self.p.wait()
        self.reader.join(5)
        return self.out


def twin_control_plane(qemu, build, timeout):
    """DC-twin's control plane: an I/O error the device reports (QEMU's
    blkdebug fails one read) reaches the client as EIO through the LDC,
    whose Linux logs it, and the next read works; a capacity change (the
    monitor's block_resize) reaches Linux's virtio_blk, then the twin (a
    write past the old end works) and vfs (ls /dev); the host image holds
    exactly the writes."""
    d = f"{build}/test-disks"
    os.makedirs(d, exist_ok=True)
    path, rules = f"{d}/twin-cp.img", f"{d}/twin-cp.rules"
    size, bad = 8 << 20, 6000   # the sector blkdebug fails once
    data = random.Random(31).randbytes(size)
    with open(path, "wb") as f:
        f.write(data)
    with open(rules, "w") as f:
        f.write(f'[inject-error]\nevent = "read_aio"\nerrno = "5"\nsector = "{bad}"\nonce = "on"\n')
    extra = ["-drive", f"if=none,id=hd0,format=raw,cache=writeback,file=blkdebug:{rules}:{path}",
             "-device", "virtio-blk-device,drive=hd0", "-append", "hm.boot=boot-twin.conf"]
    c = Console(qemu, build, IMAGES["default"], extra, d)
    checks = []
    ok = c.wait("hm# ", timeout)
    checks.append(("the twin board boots to the shell", ok))
    ok = ok and c.type(f"dd if=/dev/vda of=/tmp/a bs=512 count=4 skip={bad - 1}")
    checks.append(("a read the device fails comes back to the client as EIO",
                   "sh: dd: error reading '/dev/vda': I/O error" in c.out[:c.seen]
                   or "sh: dd: error reading '/dev/vda': Input/output error" in c.out[:c.seen]))
    ok = ok and c.type(f"dd if=/dev/vda of=/tmp/a bs=512 count=4 skip={bad - 1}") and c.type("sha256sum /tmp/a")
    want = hashlib.sha256(data[(bad - 1) * 512:(bad + 3) * 512]).hexdigest()
    checks.append(("the same read then succeeds with the disk's bytes", f"{want}  /tmp/a" in c.out))
    ok = ok and c.type("dmesg")
    checks.append(("Linux in the LDC logged the error the twin reported",
                   re.search(rf"I/O error, dev vda, sector {bad} op READ, 512 bytes, device status 1 \(data plane: twin 0\)", c.out)
                   is not None))
    answer = c.monitor("block_resize hd0 16M") if ok else ""
    ok = ok and c.wait("vfs: /dev/vda is now 16777216 bytes", 30)
    checks.append(("block_resize reaches vfs through the LDC", ok))
    checks.append(("the twin hears the new size from the LDC",
                   "vtwin: virtio-mmio@a003e00: disk 0 is now 16777216 bytes" in c.out))
    ok = ok and c.type("ls /dev")
    checks.append(("ls /dev shows the new size", "vda          16777216" in c.out))
    ok = ok and c.type("dd if=/dev/vda of=/dev/vda bs=4096 count=2 skip=1 seek=4094")
    checks.append(("a write past the old end goes through the twin",
                   "2+0 records in\n2+0 records out\n8192 bytes copied" in c.out.replace("\r\n", "\n")))
    ok = ok and c.type(f"dd if=/dev/zero of=/dev/vda bs=4096 count=1 seek=4096")
    checks.append(("a write past the new end still fails", "sh: dd: error writing '/dev/vda': No space left on device" in c.out))
    ok = ok and c.type("dmesg")
    checks.append(("Linux's virtio_blk saw the capacity change", "vda: detected capacity change from 16384 to 32768" in c.out))
    if ok:
        c.type("poweroff", prompt="hm: power off")
    out = c.finish(timeout)
    out += "\n--- monitor ---\n" + answer
    with open(path, "rb") as f:
        now = f.read()
    expect = bytearray(data) + bytes(size)
    expect[4094 * 4096:4096 * 4096] = data[4096:3 * 4096]
    checks.append(("the host image holds the resize and exactly the writes", now == bytes(expect)))
    checks.append(("PSCI power-off ends QEMU", "hm: power off" in out))
    passed = [f"twin: {n}" for n, good in checks if good]
    failed = [f"twin: {n}" for n, good in checks if not good]
    return passed, failed, out


def fault_kill(qemu, build, timeout, twin):
    """Micro-reboot (shell `fault CONTAINER kill [--after MS]`): devmgr
    resets the container's devices and starts it again from the boot image;
    vfs hands the node to the new instance; a dd running while its driver
    is killed finishes without an error (the block client re-issues what
    was in flight to the restarted driver); repeated quick faults make
    devmgr give up (EIO, "failed") without touching the other container;
    the host images hold exactly the bytes written."""
    d = f"{build}/test-disks"
    os.makedirs(d, exist_ok=True)
    rnd = random.Random(7)
    disk = bytearray(rnd.getrandbits(8) for _ in range(8 << 20))
    card = bytearray(rnd.getrandbits(8) for _ in range(4 << 20))
    disk[510:512] = card[510:512] = b"\0\0"   # no partition table: the whole devices only
    dpath, cpath = f"{d}/fault-disk.img", f"{d}/fault-card.img"
    with open(dpath, "wb") as f:
        f.write(disk)
    with open(cpath, "wb") as f:
        f.write(card)
    h = lambda b: hashlib.sha256(b).hexdigest()
    M = 1 << 20
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
    script = ("sha256sum /dev/vda\nfault ldc0 kill\nsha256sum /dev/vda\n"
              "dd if=/dev/mmcblk0 of=/dev/vda bs=4096 count=2 skip=3 seek=5\n"
              "fault ldc0 kill --after 150\ndd if=/dev/mmcblk0 of=/dev/vda bs=65536 count=48 seek=32\n"
              "fault ldc1 kill\nsha256sum /dev/mmcblk0\n"
              "fault ldc1 kill --after 100\ndd if=/dev/vda of=/dev/mmcblk0 bs=65536 count=48 skip=80 seek=16\n"
              "lsdev\nsha256sum /dev/mmcblk0\n" +
              ("" if twin else "fault ldc0 crash --at 5\ndd if=/dev/mmcblk0 of=/dev/vda bs=65536 count=16 skip=48 seek=80\n") +
              "fault ldc1 hang --at 3\ndd if=/dev/vda of=/dev/mmcblk0 bs=65536 count=8 skip=16\n"
              "fault ldc1 crash --at 2 --seed 9\ndd if=/dev/vda of=/dev/mmcblk0 bs=65536 count=8 skip=32 seek=8\n"
              + "fault ldc1 kill\n" * 5 +
              "sha256sum /dev/mmcblk0\nlsdev\nsha256sum /dev/vda\npoweroff\n")
    extra = ["-drive", f"if=none,id=hd0,file={dpath},format=raw", "-device", "virtio-blk-device,drive=hd0"] + \
        sd_card(cpath) + (["-append", "hm.boot=boot-twin.conf"] if twin else [])
    out = boot_console(qemu, build, IMAGES["default"], extra, script, timeout)
    hashes = re.findall(r"^([0-9a-f]{64})  (/dev/\w+)", out, re.M)

    def during(cmd, line):
        """line appears while cmd runs (after it is typed, before its records-out line)"""
        i = out.find(cmd)
        j = out.find("records out", i)
        return i >= 0 and j >= 0 and line in out[i:j]
    checks = [
        ("the disk reads the host's bytes before the fault", hashes[:1] == [(h(disk), "/dev/vda")]),
        ("devmgr resets the killed container's devices" + (" but the twin's, which serves on" if twin else ""),
         ("devmgr: ldc0 stopped after an injected kill, devices reset but those its twins serve" in out) == twin
         and "devmgr: ldc0 stopped after an injected kill, devices reset" in out),
        ("ldc0 runs again (the shell measures the time)", re.search(r"fault: ldc0 running again after \d+ ms \(restart 1\)", out)),
        ("the shell times the first request served after the fault",
         re.search(r"fault: /dev/vda: first request served \d+ ms after the fault", out)),
        ("vfs gives /dev/vda to the new instance", "vfs: /dev/vda registered again (its driver restarted)" in out),
        ("the disk reads the same bytes after the restart", hashes[1:2] == [(h(disk), "/dev/vda")]),
        ("a write goes through the restarted container", "2+0 records out" in out),
        ("ldc0 is killed while dd writes to the disk",
         during("of=/dev/vda bs=65536 count=48", "devmgr: ldc0 stopped after an injected kill")),
        ("that dd finishes without an error: " + ("its session with the twin never broke" if twin else
                                                  "its requests in flight went to the new ldc0"),
         "48+0 records out" in out and
         (("dd: /dev/vda: its driver restarted" not in out) if twin else
          re.search(r"dd: /dev/vda: its driver restarted 1 time\(s\); [1-9]\d* request", out))),
        ("ldc1 (sdhci-pci) runs again after a kill", re.search(r"fault: ldc1 running again after \d+ ms \(restart 1\)", out)),
        ("the SD card reads the host's bytes after the restart", hashes[2:3] == [(h(card), "/dev/mmcblk0")]),
        ("ldc1 is killed while dd writes to the SD card",
         during("of=/dev/mmcblk0 bs=65536 count=48", "devmgr: ldc1 stopped after an injected kill")),
        ("that dd finishes without an error too",
         out.count("48+0 records out") == 2 and re.search(r"dd: /dev/mmcblk0: its driver restarted 1 time\(s\); [1-9]\d* request", out)),
        ("lsdev shows the restart counts", re.search(r"ldc0 .*restarts 2\)", out) and re.search(r"ldc1 .*restarts 2\)", out)),
        ("the SD card holds what was written across its restart", hashes[3:4] == [(h(card2), "/dev/mmcblk0")]),
        ("repeated quick faults: devmgr backs off, then gives up", re.search(r"devmgr: ldc1: 6 faults in a row.*given up", out)),
        ("the shell says so", "sh: fault: ldc1 is not running again" in out and "(devmgr gave up)" in out),
        ("the given-up container's node answers EIO", re.search(r"/dev/mmcblk0: (I/O error|Input/output error)", out)),
        ("lsdev shows it failed", re.search(r"ldc1 +mmcblk0 +failed", out)),
        ("ldc1 hangs at its 3rd request from then (request path); devmgr's heartbeat finds it",
         during("count=8 skip=16", "ldc: injected hang now, in the request path")
         and during("count=8 skip=16", "devmgr: ldc1: no answer to its heartbeat")),
        ("that dd finishes without an error", re.search(r"8\+0 records out\s+524288 bytes copied\s+dd: /dev/mmcblk0: "
                                                         r"its driver restarted 1 time", out)),
        ("a seed picks the path: ldc1 crashes in its completion path (interrupt handling)",
         during("count=8 skip=32", "ldc: injected crash now, in the completion path")
         and during("count=8 skip=32", "devmgr: container ldc1 faulted (pc")),
        ("that dd finishes too", out.count("dd: /dev/mmcblk0: its driver restarted 1 time") == 3),
        ("the other container is untouched and holds what was written across its restarts",
         hashes[-1:] == [(h(disk3), "/dev/vda")]),
        ("no command failed but the given-up ones", not re.search(r"sh: (dd|sha256sum: /dev/vda)", out)),
        ("PSCI power-off ends QEMU", "hm: power off" in out),
    ]
    if not twin:
        checks += [("ldc0 crashes at its 5th request from then (a wild access in Linux's block thread)",
                    during("count=16 skip=48", "ldc: injected crash now, in the request path")
                    and during("count=16 skip=48", "devmgr: container ldc0 faulted (pc")),
                   ("that dd finishes without an error", "16+0 records out" in out and
                    out.count("dd: /dev/vda: its driver restarted 1 time") == 2)]
    if twin:
        first = re.search(r"fault: /dev/vda: first request served (\d+) ms after the fault; the longest of \d+ reads "
                          r"until ldc0 ran again waited (\d+) ms", out)
        running = re.search(r"fault: ldc0 running again after (\d+) ms", out)
        checks += [("the twin serves on while its LDC restarts, the device not reset",
                    out.count("twin vtwin serves on while ldc0 restarts (device not reset)") == 2
                    and "stopped with its control plane" not in out),
                   ("the new LDC's probe waits until the twin paused (its requests on the device finished)",
                    out.count("vtwin: virtio-mmio@a003e00: paused for the new LDC's probe") == 2
                    and out.count("paused for ldc0's probe") == 2),
                   ("each new LDC hands the data plane back to the same twin, whose sessions go on",
                    out.count("data plane handed from ldc0 to vtwin") == 1
                    and out.count("data plane handed back from ldc0 to the same vtwin") == 2
                    and out.count("vtwin: virtio-mmio@a003e00: serving again, on the new LDC's rings") == 2),
                   ("a client's reads are served while ldc0 restarts: the first in well under the restart's time "
                    "(< 0.6 of it; a read served only by the new LDC comes just before it runs again), the longest "
                    "wait (the hand-back) too",
                    first and running and int(first.group(1)) < 0.6 * int(running.group(1))
                    and int(first.group(2)) < 0.6 * int(running.group(1)))]
    with open(dpath, "rb") as f:
        got_d = f.read()
    with open(cpath, "rb") as f:
        got_c = f.read()
    checks += [("the host's disk image holds exactly the writes", got_d == bytes(disk3)),
               ("the host's SD card image holds exactly the writes", got_c == bytes(card3))]
    tag = "fault (TWIN=1): " if twin else "fault: "
    return [tag + n for n, ok in checks if ok], [tag + n for n, ok in checks if not ok], out


M64 = (1 << 64) - 1


def splitmix64(state):
    """user/sh/faultstress.c's PRNG: (new state, value)"""
    state = (state + 0x9E3779B97F4A7C15) & M64
    z = state
    z = ((z ^ (z >> 30)) * 0xBF58476D1CE4E5B9) & M64
    z = ((z ^ (z >> 27)) * 0x94D049BB133111EB) & M64
    return state, z ^ (z >> 31)


def faultstress_expect(image, seed, index, lanes_done):
    """what faultstress leaves in the first 2 MiB of the device given index on
    its command line, replayed from the requests each lane completed (every
    lane's requests come from its own PRNG and never overlap another's)"""
    span, lanes, max_blocks = 2 << 20, 4, 16
    lane_bytes = span // lanes
    out = bytearray(image)
    for k, n in enumerate(lanes_done):
        st = seed ^ ((index + 1) << 32) ^ ((k + 1) << 16)
        for _ in range(n):
            st, r = splitmix64(st)
            write = (r & 3) != 0
            st, r = splitmix64(st)
            nb = 1 + r % max_blocks
            st, r = splitmix64(st)
            off = k * lane_bytes + r % (lane_bytes // 4096 - nb + 1) * 4096
            if write:
                st, r = splitmix64(st)
                fill = r >> 2
                words = array.array("Q", range(fill, fill + nb * 512))
                if sys.byteorder == "big":
                    words.byteswap()   # the guest is little-endian
                out[off:off + nb * 4096] = words.tobytes()
    return out


def fault_stress(qemu, build, timeout, twin, each, seed):
    """The acceptance workload of micro-reboot (shell `faultstress`, see
    user/sh/faultstress.c): verified reads and writes on vda and mmcblk0
    while `each` faults of every kind go into ldc0 and ldc1 each (with the
    twin, only kills into ldc0: no block request reaches its LDC, so crash
    and hang have nowhere to fire). No request may fail; after poweroff
    the host replays the workload and compares the images byte for byte;
    devmgr, vfs and the microkernel go on (lsdev, poweroff)."""
    d = f"{build}/test-disks"
    os.makedirs(d, exist_ok=True)
    rnd = random.Random(seed)
    disk = bytes(rnd.getrandbits(8) for _ in range(8 << 20))
    card = bytearray(rnd.getrandbits(8) for _ in range(4 << 20))
    t = "-twin" if twin else ""
    dpath, cpath = f"{d}/stress{t}-disk.img", f"{d}/stress{t}-card.img"
    with open(dpath, "wb") as f:
        f.write(disk)
    with open(cpath, "wb") as f:
        f.write(card)
    vda_kinds = ":kill" if twin else ""
    script = f"faultstress --each {each} --seed {seed} /dev/vda:ldc0{vda_kinds} /dev/mmcblk0:ldc1\nlsdev\npoweroff\n"
    extra = ["-drive", f"if=none,id=hd0,file={dpath},format=raw", "-device", "virtio-blk-device,drive=hd0"] + \
        sd_card(cpath) + (["-append", "hm.boot=boot-twin.conf"] if twin else [])
    # a fault takes 1.3-3.5 s (the repeat window, recovery, a hang's 2 s)
    out = boot_console(qemu, build, IMAGES["default"], extra, script, timeout + 4 * 3 * each)
    n0, n1 = (each if twin else 3 * each), 3 * each
    lanes = {m.group(1): [int(x) for x in m.group(2).split()]
             for m in re.finditer(r"^faultstress: (/dev/\w+): requests per lane ([\d ]+);", out, re.M)}
    sums = dict(re.findall(r"^faultstress: (/dev/\w+): .*first 2 MiB sha256 ([0-9a-f]{64})", out, re.M))
    exp_d = faultstress_expect(disk, seed, 0, lanes["/dev/vda"]) if "/dev/vda" in lanes else None
    exp_c = faultstress_expect(card, seed, 1, lanes["/dev/mmcblk0"]) if "/dev/mmcblk0" in lanes else None
    with open(dpath, "rb") as f:
        got_d = f.read()
    with open(cpath, "rb") as f:
        got_c = f.read()
    h = lambda b: hashlib.sha256(b[:2 << 20]).hexdigest()
    kinds = re.findall(r"^faultstress: (ldc\d): (\d+) kill, (\d+) crash, (\d+) hang injected", out, re.M)
    checks = [
        (f"{n0 + n1} faults injected, {each} of each kind into each container"
         + (" (ldc0: kills only)" if twin else ""),
         kinds == [("ldc0", str(each), "0" if twin else str(each), "0" if twin else str(each)),
                   ("ldc1", str(each), str(each), str(each))]),
        ("every fault stopped its container once and devmgr restarted it",
         out.count("devmgr: ldc0 stopped after") == n0 and out.count("devmgr: ldc1 stopped after") == n1
         and re.search(rf"ldc0 .*running \(irq \d+, restarts {n0}\)", out)
         and re.search(rf"sd-host .*running \(irq \d+, restarts {n1}\)", out)),
        ("crashes were found by the microkernel's fault messages, hangs by devmgr's heartbeat",
         twin or (out.count("ldc: injected crash now") == 2 * each and out.count("ldc: injected hang now") == 2 * each
                  and out.count("no answer to its heartbeat") == 2 * each)),
        ("no request failed and every read returned what was written", "faultstress: passed" in out
         and "sh: faultstress" not in out),
        ("the block clients re-issued requests in flight across restarts" +
         ("; vda's sessions are the twin's, which served on through every ldc0 restart" if twin else ""),
         re.search(r"/dev/vda: .*its driver restarted 0 time\(s\), 0 request" if twin else
                   r"/dev/vda: .*its driver restarted [1-9]\d* time\(s\), [1-9]\d* request", out)
         and re.search(r"/dev/mmcblk0: .*its driver restarted [1-9]\d* time\(s\), [1-9]\d* request", out)
         and (not twin or (out.count("twin vtwin serves on while ldc0 restarts") == each
                           and out.count("handed back from ldc0 to the same vtwin") == each))),
        ("the workload's end state, replayed on the host, is what the guest read back",
         exp_d is not None and exp_c is not None and sums.get("/dev/vda") == h(exp_d)
         and sums.get("/dev/mmcblk0") == h(exp_c)),
        ("PSCI power-off ends QEMU (microkernel, devmgr and vfs still serve)", "hm: power off" in out),
        ("the host's disk image holds exactly the expected bytes", exp_d is not None and got_d == bytes(exp_d)),
        ("the host's SD card image holds exactly the expected bytes", exp_c is not None and got_c == bytes(exp_c)),
    ]
    tag = "faultstress (TWIN=1): " if twin else "faultstress: "
    return [tag + n for n, ok in checks if ok], [tag + n for n, ok in checks if not ok], out


def sd_card(path):
    """QEMU arguments for an SD card image behind sdhci-pci on the PCIe host"""
    return ["-device", "sdhci-pci", "-drive", f"if=none,id=sdcard,file={path},format=raw", "-device", "sd-card,drive=sdcard"]


def run_shell(qemu, build, timeout, layout):
    extra, script, post = shell_setup(build, layout)
    out = boot_console(qemu, build, IMAGES["default"], extra, script, timeout)
    passed, failed = post(out)
    if "hm: power off" not in out:
        failed.append("shell: poweroff did not end the system")
    return [f"{layout}: {p}" for p in passed], [f"{layout}: {f}" for f in failed], out


# system tests that need devices: name -> list of (variant, setup function)
def ldc_setup(build, variant):
    """kt_ldc: the shell test's GPT disk; kt_ldc checks that vda2 starts at
    LBA 6144 and writes 0x5a into vda2's last sector; nothing else changes."""
    os.makedirs(f"{build}/test-disks", exist_ok=True)
    path = f"{build}/test-disks/ldc.img"
    size = 8 * 1024 * 1024
    data = gpt_image(size, [(2048, 6143), (6144, 10239), (10240, 16349)], 11)
    with open(path, "wb") as f:
        f.write(data)
    first = int.from_bytes(data[6144 * 512:6144 * 512 + 8], "little")
    expect = bytearray(data)
    expect[10239 * 512:10240 * 512] = b"\x5a" * 512
    extra = ["-drive", f"if=none,id=hd0,file={path},format=raw,cache=writeback",
             "-device", "virtio-blk-device,drive=hd0"]

    def post():
        with open(path, "rb") as f:
            now = f.read()
        if now == bytes(expect):
            return ["ldc: host image holds exactly the write to vda2's last sector"], []
        diff = [i for i in range(0, size, 512) if now[i:i + 512] != expect[i:i + 512]]
        return [], [f"ldc: host image differs in sectors {[d // 512 for d in diff[:8]]}"]
    return extra, f"hm.run=kt_ldc:{first:x}", post


SETUPS = {"kt_ldc": [("gpt", ldc_setup)],
          "kt_vblk": [("legacy", vblk_setup), ("modern", vblk_setup)],
          "kt_dm": [("disk", small_disk)]}


def linux_versions_check():
    import shutil
    import tempfile
    root = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..")
    script = os.path.join(root, "scripts", "linux-versions")
    doc = os.path.join(root, "docs", "upgrading-linux.md")
    passed, failed, out = [], [], ""
    r = subprocess.run([script, "--check", doc], capture_output=True, text=True)
    out += r.stdout + r.stderr
    (passed if r.returncode == 0 else failed).append(
        "the tree has no Linux-version dependence outside arch/hm and the doc's table matches it")
    # the same check on a copy whose DC-base has a version conditional must fail and name it
    with tempfile.TemporaryDirectory() as tmp:
        for sub in ("dcbase", "boards", "linux-arch-hm", "patches", "docs"):
            shutil.copytree(os.path.join(root, sub), os.path.join(tmp, sub))
        with open(os.path.join(tmp, "dcbase", "host.c"), "a") as f:
            f.write("#if LINUX_VERSION_CODE >= KERNEL_VERSION(6, 12, 0)\n#endif\n")
        r = subprocess.run([script, "--root", tmp, "--check", os.path.join(tmp, "docs", "upgrading-linux.md")],
                           capture_output=True, text=True)
        out += r.stdout + r.stderr
        (passed if r.returncode != 0 and "dcbase/host.c" in r.stderr else failed).append(
            "a Linux version conditional put into DC-base fails the check, which names the line")
    return passed, failed, out


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--build", default="build")
    ap.add_argument("--qemu", required=True)
    ap.add_argument("--timeout", type=int, default=120)
    ap.add_argument("--only", default="", help="comma-separated test names (host or system)")
    ap.add_argument("--gic", default="2,3", help="GIC versions to run the system tests on")
    ap.add_argument("--linux", default="6.1 6.12",
                    help="Linux versions whose driver container the system tests run with (build/linux-V/boot-*.img)")
    ap.add_argument("--twin", action="store_true",
                    help="boot-default runs the twin board (boot-twin.conf; make test TWIN=1)")
    ap.add_argument("--stress", type=int, default=50,
                    help="faultstress: faults of each kind into each container (make stress: 170)")
    ap.add_argument("--seed", type=int, default=1, help="faultstress: the workload's and the faults' seed")
    ap.add_argument("-v", "--verbose", action="store_true")
    args = ap.parse_args()
    only = set(filter(None, args.only.split(",")))
    total_pass, total_fail = 0, 0
    logdir = os.path.join(args.build, "test-logs")
    os.makedirs(logdir, exist_ok=True)

    def report(title, passed, failed, out, logname):
        nonlocal total_pass, total_fail
        total_pass += len(passed)
        total_fail += len(failed)
        os.makedirs(os.path.dirname(os.path.join(logdir, logname)), exist_ok=True)
        with open(os.path.join(logdir, logname), "w") as f:
            f.write(out)
        status = "ok" if not failed else "FAIL"
        print(f"{status:4} {title}: {len(passed)} passed, {len(failed)} failed")
        for f_ in failed:
            print(f"     not ok - {f_}")
        if failed or args.verbose:
            print(f"     log: {os.path.join(logdir, logname)}")
        sys.stdout.flush()

    for path in sorted(glob.glob(os.path.join(args.build, "host", "test_*"))):
        name = os.path.basename(path)
        if only and name not in only:
            continue
        passed, failed, out = run_host(path, args.timeout)
        report(f"host {name}", passed, failed, out, name + ".log")

    # version independence: DC-base and the board files never depend on the
    # Linux version, and the doc's table matches the tree; the checker is
    # also shown a tree with a version conditional in DC-base, and must fail
    if not only or "linux-versions" in only:
        passed, failed, out = linux_versions_check()
        report("linux versions (DC-base unchanged, upgrading-linux.md table)", passed, failed, out,
               "linux-versions.log")

    def system_tests(ver):
        """every system test, booting Linux ver's driver container"""
        v = f"[{ver}] "
        lv = f"linux-{ver}/"
        here = os.path.dirname(os.path.abspath(__file__))
        names = sorted(os.path.basename(p)[:-2] for p in glob.glob(os.path.join(here, "system", "kt_*.c")))
        helpers = {"kt_helper", "kt_crashdrv"}   # programs the tests start, not tests
        names = [n for n in names if n not in helpers and (not only or n in only)]
        # the default boot: init reads boot.conf from the boot image and runs what it names
        if not only or "boot-default" in only:
            disk, _, _ = small_disk(args.build, "")
            card = f"{args.build}/test-disks/bench-sd.img"
            with open(card, "wb") as f:
                f.truncate(4 << 20)   # blkbench's scratch card
            twin = ["-append", "hm.boot=boot-twin.conf"] if args.twin else []
            out = boot_console(args.qemu, args.build, IMAGES["default"], disk + sd_card(card) + twin,
                               "blkbench /dev/vda 1\nblkbench /dev/mmcblk0 1\npoweroff\n", args.timeout)
            expect = [("devmgr starts the disk's driver container: the LDC", "devmgr: virtio-mmio@a003e00: virtio_blk in ldc0"),
                      ("the disk appears in vfs", "vfs: /dev/vda registered"),
                      ("the LDC says it is ready", "devmgr: ldc0 ready"),
                      ("init runs boot.conf's shell", "init: started sh"),
                      ("the shell prompts", "hm# "),
                      ("blkbench runs every workload on vda (DC-solo; DC-twin with TWIN=1)",
                       "blkbench randwrite bs=1048576 qd=32 MBps="),
                      ("the SD card's container (ldc1) says it is ready", "devmgr: ldc1 ready"),
                      ("blkbench runs on the SD card through Linux's MMC stack", "blkbench: /dev/mmcblk0"),
                      ("init reports the shell's exit status", "init: sh exited with status 0"),
                      ("PSCI power-off ends QEMU", "hm: power off")]
            if args.twin:
                expect.append(("the twin serves the disk's data plane (TWIN=1)",
                               "devmgr: virtio-mmio@a003e00: data plane handed from ldc0 to vtwin"))
            passed = [f"boot-default: {n}" for n, s in expect if s in out]
            failed = [f"boot-default: {n} (missing '{s}')" for n, s in expect if s not in out]
            sd_done = out.split("blkbench: /dev/mmcblk0")[-1] if "blkbench: /dev/mmcblk0" in out else ""
            (passed if "blkbench randwrite bs=1048576 qd=32 MBps=" in sd_done and "sh: blkbench" not in out else failed).append(
                "boot-default: blkbench finishes every workload on the SD card (mmcblk0)")
            report(v + "qemu boot-default" + (" (TWIN=1)" if args.twin else ""), passed, failed, out,
                   lv + "boot-default.log")

        # the same board with hm's native driver (boot-ndc.conf): the benchmark's baseline
        if not only or "boot-ndc" in only:
            disk, _, _ = small_disk(args.build, "")
            out = boot_console(args.qemu, args.build, IMAGES["test"], disk + ["-append", "hm.boot=boot-ndc.conf"],
                               "lsdev\nblkbench /dev/vda 1\nblkbench /dev/vda 1 randread 4096 1\n"
                               "blkbench /dev/vda 1 readwrite\nkstat\npoweroff\n", args.timeout)
            expect = [("devmgr starts the native driver container", "devmgr: virtio-mmio@a003e00: virtio_blk in ndc0"),
                      ("the container's device tree names only its device",
                       "ndc: device tree describes 1 virtio-mmio device, PCIe host absent"),
                      ("the disk appears in vfs", "vfs: /dev/vda registered"),
                      ("blkbench runs every workload through the native driver",
                       "blkbench randwrite bs=1048576 qd=32 MBps="),
                      ("PSCI power-off ends QEMU", "hm: power off")]
            passed = [f"boot-ndc: {n}" for n, s_ in expect if s_ in out]
            failed = [f"boot-ndc: {n} (missing '{s_}')" for n, s_ in expect if s_ not in out]
            # one workload picked, with the microkernel's counters per request:
            # a depth-1 read is one interrupt and two address-space switches
            # (client -> ndc, ndc -> client); more would be a scheduling regression
            one = re.findall(r"blkbench randread bs=4096 qd=1 MBps=\S+ iops=\d+ syscalls/req=(\S+) switches/req=(\S+) "
                             r"as_switches/req=(\S+) irqs/req=(\S+)", out)
            (passed if len(one) == 2 else failed).append(
                f"boot-ndc: blkbench prints the microkernel's counters per request ({len(one)} of 2 randread 4 KiB qd 1 lines)")
            if one:
                sc, sw, asw, irq = (float(x) for x in one[-1])
                (passed if 1.9 <= asw <= 2.2 and 0.9 <= irq <= 1.1 else failed).append(
                    f"boot-ndc: a 4 KiB depth-1 read costs 2 address-space switches and 1 interrupt "
                    f"(measured {asw} and {irq}; {sw} thread switches, {sc} system calls)")
            runs = out.split("blkbench: /dev/vda, 1 MiB per workload")
            picked = re.findall(r"^blkbench (\w+ bs=\d+ qd=\d+)", runs[2], re.M) if len(runs) > 2 else []
            (passed if picked == ["randread bs=4096 qd=1"] else failed).append(
                "boot-ndc: blkbench OP BS QD runs only that workload")
            (passed if "sh: blkbench: no workload matches readwrite" in out else failed).append(
                "boot-ndc: blkbench names a workload it does not know")
            (passed if re.search(r"syscalls=\d+ .* as_switches=\d+", out) else failed).append(
                "boot-ndc: kstat prints the microkernel's counters")
            report(v + "qemu boot-ndc (native driver board)", passed, failed, out, lv + "boot-ndc.log")

        # the prepared Linux tree: the drivers are Debian's, unmodified
        if not only or "linux-tree" in only:
            import linux_tree
            src = os.path.join(args.build, f"linux-{ver}", "src")
            passed, failed, out = linux_tree.drivers_identical(src, f"/usr/src/linux-source-{ver}.tar.xz")
            p2, f2, out2 = linux_tree.only_entry_points(os.path.join(args.build, f"linux-{ver}", "linux.o"))
            passed, failed, out = passed + p2, failed + f2, out + out2
            report(v + f"linux tree {ver}", [f"linux {ver}: {p}" for p in passed], [f"linux {ver}: {f}" for f in failed],
                   out, lv + "linux-tree.log")

        for layout, what in (("split", "virtio-blk in ldc0, MMC in ldc1"), ("one", "one LDC for both"),
                             ("twin", "split, virtio-blk data plane in its twin")):
            if not only or "shell" in only:
                passed, failed, out = run_shell(args.qemu, args.build, args.timeout, layout)
                report(v + f"qemu shell {layout} ({what}; GPT disk, MBR SD card, scripted console)", passed, failed,
                       out, lv + f"shell-{layout}.log")

        for twin in (False, True):
            if not only or "fault" in only:
                passed, failed, out = fault_kill(args.qemu, args.build, args.timeout, twin)
                report(v + "qemu faults" + (" (TWIN=1)" if twin else "") + " (kill, crash, hang; micro-reboot of ldc0 and ldc1)",
                       passed, failed, out, lv + ("fault-kill-twin.log" if twin else "fault-kill.log"))

        # make test: the twin board gets a lighter run (only ldc1 takes every
        # kind there); make stress runs one of them at its full count
        for twin, name, each in ((False, "faultstress", args.stress),
                                 (True, "faultstress-twin", args.stress if only else min(args.stress, 20))):
            if not only or name in only:
                passed, failed, out = fault_stress(args.qemu, args.build, args.timeout, twin, each, args.seed)
                report(v + f"qemu faultstress{' (TWIN=1)' if twin else ''} (verified I/O on vda and mmcblk0, "
                       f"{each} faults of each kind into ldc0{' (kills)' if twin else ''} and ldc1, seed {args.seed})",
                       passed, failed, out, lv + ("faultstress-twin.log" if twin else "faultstress.log"))

        if not only or "twin" in only:
            passed, failed, out = twin_control_plane(args.qemu, args.build, args.timeout)
            report(v + "qemu twin control plane (blkdebug EIO, block_resize)", passed, failed, out,
                   lv + "twin-control-plane.log")

        for gic in args.gic.split(","):
            qemu = re.sub(r"gic-version=\d", f"gic-version={gic}", args.qemu)
            for name in names:
                for variant, setup in SETUPS.get(name, [("", None)]):
                    extra, append, post = setup(args.build, variant) if setup else ([], None, None)
                    passed, failed, out, secs = run_qemu(qemu, args.build, name, args.timeout, extra, append)
                    if post:
                        p2, f2 = post()
                        passed, failed = passed + p2, failed + f2
                    tag = f"GICv{gic}" + (f" {variant}" if variant else "")
                    report(v + f"qemu {name} ({tag}, {secs:.1f}s)", [f"{tag} {p}" for p in passed],
                           [f"{tag} {f}" for f in failed], out,
                           lv + f"{name}-gicv{gic}{'-' + variant if variant else ''}.log")

    for ver in args.linux.split():
        IMAGES["default"] = os.path.join(args.build, f"linux-{ver}", "boot-default.img")
        IMAGES["test"] = os.path.join(args.build, f"linux-{ver}", "boot-test.img")
        system_tests(ver)

    print(f"{total_pass} passed, {total_fail} failed")
    return 1 if total_fail or total_pass == 0 else 0


if __name__ == "__main__":
    sys.exit(main())
