"""Disk images the tests attach: random content with partition tables
written here (GPT, MBR), their QEMU arguments, and comparisons of what a
run left in them with what the host computed."""
import os
import random
import struct
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "scripts"))
from gpt import write_gpt  # noqa: E402


def disk_dir(build):
    d = os.path.join(build, "test-disks")
    os.makedirs(d, exist_ok=True)
    return d


def write(path, data):
    with open(path, "wb") as f:
        f.write(data)
    return path


def read(path):
    with open(path, "rb") as f:
        return f.read()


def random_bytes(size, seed):
    return random.Random(seed).randbytes(size)


def gpt_image(size, parts, seed, sector=512):
    """Random content with a valid GPT (protective MBR, header and entries at
    both ends) describing the given (first_lba, last_lba) partitions, in
    sector-sized LBAs (4096 for a UFS logical unit)."""
    img = bytearray(random.Random(seed).randbytes(size))
    return bytes(write_gpt(img, parts, sector=sector, seed=seed + 1))


def mbr_image(size, parts, seed):
    """Random content with an MBR describing the given (first_lba, sectors)
    primary partitions."""
    img = bytearray(random.Random(seed).randbytes(size))
    img[446:512] = bytes(66)
    for i, (first, n) in enumerate(parts):
        img[446 + 16 * i:462 + 16 * i] = struct.pack("<B3sB3sII", 0, b"\xfe\xff\xff", 0x83, b"\xfe\xff\xff", first, n)
    img[510:512] = b"\x55\xaa"
    return bytes(img)


def virtio_disk(path, cache="writeback", drive_id="hd0"):
    """QEMU arguments: path as a virtio-mmio block device"""
    opts = f"if=none,id={drive_id},file={path},format=raw" + (f",cache={cache}" if cache else "")
    return ["-drive", opts, "-device", f"virtio-blk-device,drive={drive_id}"]


def sd_card(path):
    """QEMU arguments: an SD card image behind sdhci-pci on the PCIe host"""
    return ["-device", "sdhci-pci", "-drive", f"if=none,id=sdcard,file={path},format=raw", "-device", "sd-card,drive=sdcard"]


def ufs_lus(paths, blkdebug=None, mcq=False):
    """QEMU arguments: a UFS host controller with one logical unit per image;
    blkdebug: {index: config path} puts that unit behind QEMU's blkdebug;
    mcq: the controller offers multi-circular-queue mode (two queues)"""
    args = ["-device", "ufs,serial=hm-ufs,id=ufs0" + (",mcq=on,mcq-maxq=2" if mcq else "")]
    for i, p in enumerate(paths):
        f = f"blkdebug:{blkdebug[i]}:{p}" if blkdebug and i in blkdebug else p
        args += ["-drive", f"if=none,id=ufslu{i},file={f},format=raw,cache=writeback",
                 "-device", f"ufs-lu,drive=ufslu{i},lun={i},bus=ufs0"]
    return args


def nvme_namespaces(paths):
    """QEMU arguments: an NVMe controller with one namespace per image
    (nsid 1, 2...), as make run's NVME= attaches them"""
    args = ["-device", "nvme,serial=hm-nvme,id=nvme0"]
    for i, p in enumerate(paths, 1):
        args += ["-drive", f"if=none,id=nvns{i},file={p},format=raw,cache=writeback",
                 "-device", f"nvme-ns,drive=nvns{i},nsid={i},bus=nvme0"]
    return args


def blank(build, name, size):
    """a zero-filled image of size bytes"""
    path = os.path.join(disk_dir(build), name)
    with open(path, "wb") as f:
        f.truncate(size)
    return path


def differing_blocks(now, want, block=4096, most=8):
    """the offsets of the first blocks where now and want differ (a length
    difference counts at the shorter one's end)"""
    diff = [i for i in range(0, max(len(now), len(want)), block) if now[i:i + block] != want[i:i + block]]
    return diff[:most]
