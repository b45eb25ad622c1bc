"""GPT partition tables (UEFI 2.x, chapter 5) written over an image's bytes,
for 512-byte or 4096-byte logical blocks: the protective MBR, the primary
header and 128 entries after it, their backups at the end. Used by
scripts/mkufs and by the tests (tests/harness/images.py)."""
import random
import struct
import uuid
import zlib

LINUX_DATA = uuid.UUID("0fc63daf-8483-4772-8e79-3d69d8477de4")
ENTRIES, ENTRY_SIZE = 128, 128


def usable(size, sector=512):
    """(first, last) usable LBA of a disk of size bytes"""
    es = ENTRIES * ENTRY_SIZE // sector
    return 2 + es, size // sector - 2 - es


def write_gpt(img, parts, sector=512, seed=0):
    """img: a bytearray, a multiple of sector in size; parts: (first_lba,
    last_lba) of each partition (Linux data), in sector units"""
    rnd = random.Random(seed)
    sectors = len(img) // sector
    es = ENTRIES * ENTRY_SIZE // sector
    first, last = usable(len(img), sector)
    for p in parts:
        if not first <= p[0] <= p[1] <= last:
            raise ValueError(f"partition {p} outside the usable LBAs {first}..{last}")
    mbr = bytearray(512)
    mbr[446:462] = struct.pack("<B3sB3sII", 0, b"\0\2\0", 0xEE, b"\xff\xff\xff", 1, min(sectors - 1, 0xFFFFFFFF))
    mbr[510:512] = b"\x55\xaa"
    img[0:sector] = mbr + bytes(sector - 512)
    entries = bytearray(ENTRIES * ENTRY_SIZE)
    for i, (a, b) in enumerate(parts):
        name = f"part{i + 1}".encode("utf-16-le")
        entries[i * ENTRY_SIZE:(i + 1) * ENTRY_SIZE] = struct.pack(
            "<16s16sQQQ72s", LINUX_DATA.bytes_le, uuid.UUID(int=rnd.getrandbits(128)).bytes_le, a, b, 0, name)
    ecrc = zlib.crc32(entries)
    disk = uuid.UUID(int=rnd.getrandbits(128)).bytes_le

    def header(my, alt, entries_lba):
        h = bytearray(struct.pack("<8sIIIIQQQQ16sQIII", b"EFI PART", 0x10000, 92, 0, 0, my, alt, first, last, disk,
                                  entries_lba, ENTRIES, ENTRY_SIZE, ecrc))
        h[16:20] = struct.pack("<I", zlib.crc32(h))
        return bytes(h) + bytes(sector - len(h))
    img[sector:2 * sector] = header(1, sectors - 1, 2)
    img[2 * sector:2 * sector + len(entries)] = entries
    img[(sectors - 1 - es) * sector:(sectors - 1) * sector] = entries
    img[(sectors - 1) * sector:] = header(sectors - 1, 1, sectors - 1 - es)
    return img
