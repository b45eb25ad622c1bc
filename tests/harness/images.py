"""Disk images the tests attach: random content with partition tables
written here (GPT, MBR), their QEMU arguments, and comparisons of what a
run left in them with what the host computed."""
import os
import random
import struct
import uuid
import zlib


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


def gpt_image(size, parts, seed):
    """Random content with a valid GPT (protective MBR, header and entries at
    both ends) describing the given (first_lba, last_lba) partitions."""
    rnd = random.Random(seed)
    img = bytearray(rnd.randbytes(size))
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
