"""make bench: the native Linux guest's boot arguments (-kernel, -initrd,
-append), shared by the blk, merge and profile parts."""


def native_linux(build, mib, dev, words):
    """native Linux 6.1 whose /init is nativebench: mib MiB per workload on
    /dev/DEV, words: its other nativebench.* options"""
    return ["-kernel", f"{build}/native-linux-6.1/Image", "-initrd", f"{build}/native-linux-6.1/initramfs.cpio",
            "-append", f"console=ttyAMA0 hugepages=16 nativebench.mib={mib} nativebench.dev={dev} {words}"]
