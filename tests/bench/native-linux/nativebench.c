/*
 * nativebench: the block benchmark on native Linux, as /init of an
 * initramfs. The same workloads and output lines as hm's blkbench
 * (user/sh/blkbench.c): sequential / random, read / write, 4 KiB / 64 KiB /
 * 1 MiB, queue depth 1 and 32, SIZE MiB over the first SIZE MiB of /dev/vda,
 * with O_DIRECT (no page cache) and Linux AIO (io_submit: up to qd requests
 * in the device's queue at once, as blkbench keeps qd in its ring). Then it
 * powers the machine off. Kernel command line: "nativebench.mib=N" (16),
 * "nativebench.dev=NAME" (vda; sda: QEMU's UFS logical unit, whose PCI ID
 * is given to ufshcd through new_id first when this Linux's table lacks
 * it, as hm's board file does for its container).
 * Static: aarch64-linux-gnu-gcc -static -O2.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <linux/aio_abi.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/reboot.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

static uint64_t rng = 88172645463325252ull;   /* blkbench's generator and seed */
static uint64_t xrand(void)
{
    rng ^= rng << 13;
    rng ^= rng >> 7;
    rng ^= rng << 17;
    return rng;
}

static double now(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec + (double)t.tv_nsec / 1e9;
}

/* n requests of bs bytes, at most qd in flight; 0 or -errno */
static int run(aio_context_t ctx, int fd, char *buf, int write, int random, uint32_t bs, int qd, uint64_t span,
               uint64_t n)
{
    struct iocb cbs[32];
    uint64_t submitted = 0, done = 0;
    int free_slots[32], nfree = qd;
    for (int i = 0; i < qd; i++)
        free_slots[i] = i;
    while (done < n) {
        while (submitted < n && nfree) {
            uint64_t blk = random ? xrand() % (span / bs) : submitted % (span / bs);
            int slot = free_slots[--nfree];
            struct iocb *cb = &cbs[slot];
            memset(cb, 0, sizeof *cb);
            cb->aio_fildes = (uint32_t)fd;
            cb->aio_lio_opcode = write ? IOCB_CMD_PWRITE : IOCB_CMD_PREAD;
            cb->aio_buf = (uint64_t)(uintptr_t)(buf + (size_t)slot * bs);
            cb->aio_nbytes = bs;
            cb->aio_offset = (int64_t)(blk * bs);
            cb->aio_data = (uint64_t)slot;
            struct iocb *list[1] = { cb };
            if (syscall(SYS_io_submit, ctx, 1L, list) != 1)
                return -errno;
            submitted++;
        }
        struct io_event ev[32];
        long got = syscall(SYS_io_getevents, ctx, 1L, 32L, ev, NULL);
        if (got < 0)
            return -errno;
        for (long i = 0; i < got; i++) {
            if (ev[i].res != (int64_t)bs)
                return ev[i].res < 0 ? (int)ev[i].res : -EIO;
            free_slots[nfree++] = (int)ev[i].data;
            done++;
        }
    }
    return 0;
}

/* a UFS disk: the controller is QEMU's 1b36:0013; 6.1's ufshcd does not
 * list it, so add it as an administrator would (EEXIST on 6.12: listed),
 * then wait for sd to attach the disk (SCSI scan is asynchronous) */
static int ufs_wait(const char *path)
{
    struct stat st;
    if (stat(path, &st)) {
        FILE *f = fopen("/sys/bus/pci/drivers/ufshcd/new_id", "w");
        if (f) {
            fputs("1b36 0013\n", f);
            fclose(f);
        }
    }
    for (int i = 0; i < 1000 && stat(path, &st); i++)
        usleep(10000);
    return stat(path, &st);
}

int main(void)
{
    mkdir("/dev", 0755);
    mkdir("/proc", 0755);
    mkdir("/sys", 0755);
    if (mount("devtmpfs", "/dev", "devtmpfs", 0, NULL) && errno != EBUSY)
        perror("nativebench: mount /dev");
    mount("proc", "/proc", "proc", 0, NULL);
    mount("sysfs", "/sys", "sysfs", 0, NULL);
    uint64_t span = 16ull << 20;
    char cmdline[512] = "";
    FILE *f = fopen("/proc/cmdline", "r");
    if (f) {
        if (!fgets(cmdline, sizeof cmdline, f))
            cmdline[0] = 0;
        fclose(f);
    }
    char *m = strstr(cmdline, "nativebench.mib=");
    if (m)
        span = strtoull(m + 16, NULL, 10) << 20;
    /* nativebench.only=OP,BS,QD: one workload, as the shell's blkbench OP BS QD */
    char only_op[16] = "";
    unsigned only_bs = 0;
    int only_qd = 0;
    char *w = strstr(cmdline, "nativebench.only=");
    if (w && sscanf(w + 17, "%15[a-z],%u,%d", only_op, &only_bs, &only_qd) != 3) {
        printf("nativebench: nativebench.only=OP,BS,QD expected\n");
        goto out;
    }
    char dev[32] = "/dev/vda";
    char *d = strstr(cmdline, "nativebench.dev=");
    if (d && sscanf(d + 16, "%15[a-z0-9]", dev + 5) != 1) {
        printf("nativebench: nativebench.dev=NAME expected\n");
        goto out;
    }
    if (!strncmp(dev, "/dev/sd", 7) && ufs_wait(dev)) {
        printf("nativebench: %s did not appear (UFS controller not probed?)\n", dev);
        goto out;
    }
    int fd = open(dev, O_RDWR | O_DIRECT);
    char *buf = NULL;
    aio_context_t ctx = 0;
    if (fd < 0 || posix_memalign((void **)&buf, 4096, 32u << 20) || syscall(SYS_io_setup, 64L, &ctx)) {
        printf("nativebench: cannot set up %s with O_DIRECT and AIO: %s\n", dev, strerror(errno));
        goto out;
    }
    memset(buf, 0x5a, 32u << 20);
    printf("blkbench: %s (native Linux, O_DIRECT, AIO), %lu MiB per workload\n", dev, (unsigned long)(span >> 20));
    static const struct { const char *name; int write, random; } ops[] = {
        { "seqread", 0, 0 }, { "randread", 0, 1 }, { "seqwrite", 1, 0 }, { "randwrite", 1, 1 },
    };
    static const uint32_t sizes[] = { 4096, 65536, 1 << 20 };
    static const int qds[] = { 1, 32 };
    for (unsigned o = 0; o < 4; o++)
        for (unsigned s = 0; s < 3; s++)
            for (unsigned q = 0; q < 2; q++) {
                if (only_op[0] && (strcmp(only_op, ops[o].name) || only_bs != sizes[s] || only_qd != qds[q]))
                    continue;
                uint64_t n = span / sizes[s];
                double t0 = now();
                int r = run(ctx, fd, buf, ops[o].write, ops[o].random, sizes[s], qds[q], span, n);
                double secs = now() - t0;
                if (r) {
                    printf("nativebench: %s: %s\n", ops[o].name, strerror(-r));
                    goto out;
                }
                printf("blkbench %s bs=%u qd=%d MBps=%.1f iops=%.0f\n", ops[o].name, sizes[s], qds[q],
                       (double)span / 1e6 / secs, (double)n / secs);
            }
    printf("nativebench: done\n");
out:
    fflush(stdout);
    sync();
    reboot(RB_POWER_OFF);
    return 0;
}
