/*
 * nativebench: the block benchmark on native Linux, as /init of an
 * initramfs. The same workloads, data checks and output lines as hm's
 * blkbench (user/sh/blkbench.c, both from hm/blkbench.h): a fill pass,
 * then SIZE MiB per workload over the first SIZE MiB of /dev/vda, each
 * read checked, a verify pass at the end; with O_DIRECT (no page cache) and
 * Linux AIO (io_submit: up to qd requests in the device's queue at once, as
 * blkbench keeps qd in its ring), each request in flight in its own buffer.
 * The buffers are 2 MiB huge pages (the kernel's hugepages= boot argument
 * reserves them): physically contiguous like hm's session memory, so a
 * large request is as few segments here as there. Then it powers the
 * machine off. Kernel command line: "nativebench.mib=N" (16),
 * "nativebench.set=SET" (all, fig10), "nativebench.dev=NAME" (vda; sda:
 * QEMU's UFS logical unit, whose PCI ID is given to ufshcd through new_id
 * first when this Linux's table lacks it, as hm's board file does for its
 * container), "nativebench.nomerges=N" (the disk's queue/nomerges: 2
 * turns the block layer's request merging off). Under QEMU's -icount the
 * PMU counts retired instructions: each workload's line then ends with
 * " instructions/req=X", all of CPU 0's (user, kernel, idle), as hm's
 * blkbench prints the whole system's from its kernel.
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
#include <sys/mman.h>
#include <sys/mount.h>
#include <sys/reboot.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>
#include <hm/blkbench.h>
#include <linux/perf_event.h>

static uint64_t rng = BLKB_SEED;   /* blkbench's generator and seed */

static double now(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec + (double)t.tv_nsec / 1e9;
}

/* CPU 0's retired instructions, all tasks and the kernel; -1 where the PMU
 * does not count them (QEMU without -icount) */
static int instructions_open(void)
{
    struct perf_event_attr a = { .type = PERF_TYPE_HARDWARE, .size = sizeof a, .config = PERF_COUNT_HW_INSTRUCTIONS };
    return (int)syscall(SYS_perf_event_open, &a, -1, 0, -1, 0);
}

/* the count, or UINT64_MAX if it cannot be read */
static uint64_t instructions_read(int pfd)
{
    uint64_t v = 0;
    return pfd >= 0 && read(pfd, &v, sizeof v) == (ssize_t)sizeof v ? v : UINT64_MAX;
}

/* n requests of bs bytes, at most qd in flight, each in its own buffer;
 * reads checked by their stamps (full: every byte). 0, -errno, or -EILSEQ
 * with *bad the first wrong block */
static int run(aio_context_t ctx, int fd, char *buf, int write, int random, uint32_t bs, int qd, uint64_t span,
               uint64_t n, int full, uint64_t *bad)
{
    struct iocb cbs[BLKB_MAX_QD];
    uint64_t submitted = 0, done = 0;
    int free_slots[BLKB_MAX_QD], nfree = qd;
    for (int i = 0; i < qd; i++)
        free_slots[i] = i;
    while (done < n) {
        while (submitted < n && nfree) {
            uint64_t blk = random ? blkb_rand(&rng) % (span / bs) : submitted % (span / bs);
            int slot = free_slots[--nfree];
            struct iocb *cb = &cbs[slot];
            char *b = buf + (size_t)slot * BLKB_MAX_BS;
            if (write)
                blkb_stamp(b, bs, blk * bs);
            memset(cb, 0, sizeof *cb);
            cb->aio_fildes = (uint32_t)fd;
            cb->aio_lio_opcode = write ? IOCB_CMD_PWRITE : IOCB_CMD_PREAD;
            cb->aio_buf = (uint64_t)(uintptr_t)b;
            cb->aio_nbytes = bs;
            cb->aio_offset = (int64_t)(blk * bs);
            cb->aio_data = (uint64_t)slot;
            struct iocb *list[1] = { cb };
            if (syscall(SYS_io_submit, ctx, 1L, list) != 1)
                return -errno;
            submitted++;
        }
        struct io_event ev[BLKB_MAX_QD];
        long got = syscall(SYS_io_getevents, ctx, 1L, (long)BLKB_MAX_QD, ev, NULL);
        if (got < 0)
            return -errno;
        for (long i = 0; i < got; i++) {
            if (ev[i].res != (int64_t)bs)
                return ev[i].res < 0 ? (int)ev[i].res : -EIO;
            int slot = (int)ev[i].data;
            struct iocb *cb = &cbs[slot];
            int64_t wrong = write ? -1 : blkb_check((char *)(uintptr_t)cb->aio_buf, bs, (uint64_t)cb->aio_offset, full);
            if (wrong >= 0) {
                *bad = (uint64_t)wrong;
                return -EILSEQ;
            }
            free_slots[nfree++] = slot;
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
    /* an NVMe namespace: the controller is probed and scanned asynchronously */
    struct stat nst;
    for (int i = 0; !strncmp(dev, "/dev/nvme", 9) && i < 1000 && stat(dev, &nst); i++)
        usleep(10000);
    char set[16] = "all";
    char *ws = strstr(cmdline, "nativebench.set=");
    if (ws && sscanf(ws + 16, "%15[a-z0-9]", set) != 1)
        set[0] = 0;
    const uint32_t *sizes = only_op[0] ? blkb_sizes_all : blkb_sizes(set);
    if (!sizes) {
        printf("nativebench: no workload set %s (all, fig10)\n", set);
        goto out;
    }
    /* the node can be there before its disk is attached (sd's scan, NVMe's
     * namespace scan): ENXIO until then */
    int fd = open(dev, O_RDWR | O_DIRECT);
    for (int i = 0; fd < 0 && errno == ENXIO && i < 1000; i++) {
        usleep(10000);
        fd = open(dev, O_RDWR | O_DIRECT);
    }
    size_t len = (size_t)BLKB_MAX_QD * BLKB_MAX_BS;
    char *buf = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_HUGETLB, -1, 0);
    aio_context_t ctx = 0;
    if (fd < 0 || buf == MAP_FAILED || syscall(SYS_io_setup, 64L, &ctx)) {
        printf("nativebench: cannot set up %s with O_DIRECT, AIO and %zu MiB of huge pages (boot with hugepages=16): "
               "%s\n", dev, len >> 20, strerror(errno));
        goto out;
    }
    /* nativebench.nomerges=N (0: merge, Linux's default; 2: never): what
     * the block layer's merging of adjacent requests gives native Linux */
    char *nm = strstr(cmdline, "nativebench.nomerges=");
    if (nm) {
        char path[64];
        snprintf(path, sizeof path, "/sys/block/%s/queue/nomerges", dev + 5);
        FILE *q = fopen(path, "w");
        int ok = q && fprintf(q, "%c\n", nm[21]) == 2;
        ok = q && !fclose(q) && ok;
        printf("nativebench: %s = %c%s\n", path, nm[21], ok ? "" : ": cannot write it");
    }
    int pfd = instructions_open();
    printf("nativebench: retired instructions %s\n", pfd >= 0 ? "counted (the PMU, CPU 0)" : "not counted here");
    blkb_fill(buf, (uint32_t)len);
    printf("blkbench: %s (native Linux, O_DIRECT, AIO, huge-page buffers), %lu MiB per workload, set %s\n", dev,
           (unsigned long)(span >> 20), only_op[0] ? "-" : set);
    uint64_t bad = 0;
    int r = run(ctx, fd, buf, 1, 0, BLKB_MAX_BS, BLKB_MAX_QD, span, span / BLKB_MAX_BS, 0, &bad);
    if (r) {
        printf("nativebench: fill pass: %s\n", strerror(-r));
        goto out;
    }
    for (unsigned o = 0; o < 4; o++)
        for (unsigned s = 0; sizes[s]; s++)
            for (unsigned q = 0; q < 2; q++) {
                const struct blkb_op *op = &blkb_ops[o];
                uint32_t bs = sizes[s];
                int qd = blkb_qds[q];
                if (only_op[0] && (strcmp(only_op, op->name) || only_bs != bs || only_qd != qd))
                    continue;
                uint64_t n = span / bs;
                uint64_t i0 = instructions_read(pfd);
                double t0 = now();
                r = run(ctx, fd, buf, op->write, op->random, bs, qd, span, n, 0, &bad);
                double secs = now() - t0;
                uint64_t i1 = instructions_read(pfd);
                if (r) {
                    if (r == -EILSEQ)
                        printf("nativebench: %s bs=%u qd=%d: the block at byte %lu reads back wrong\n", op->name, bs,
                               qd, (unsigned long)bad);
                    else
                        printf("nativebench: %s: %s\n", op->name, strerror(-r));
                    goto out;
                }
                printf("blkbench %s bs=%u qd=%d MBps=%.1f iops=%.0f", op->name, bs, qd,
                       (double)span / 1e6 / secs, (double)n / secs);
                if (pfd >= 0 && i0 != UINT64_MAX && i1 != UINT64_MAX)
                    printf(" instructions/req=%.2f", (double)(i1 - i0) / (double)n);
                printf("\n");
            }
    r = run(ctx, fd, buf, 0, 0, BLKB_MAX_BS, 1, span, span / BLKB_MAX_BS, 1, &bad);
    if (r == -EILSEQ)
        printf("nativebench: verify: the block at byte %lu reads back wrong\n", (unsigned long)bad);
    else if (r)
        printf("nativebench: verify: %s\n", strerror(-r));
    else
        printf("blkbench: verify: %lu bytes read back as written\n", (unsigned long)span);
    printf("nativebench: done\n");
out:
    fflush(stdout);
    sync();
    reboot(RB_POWER_OFF);
    return 0;
}
