/*
 * blkbench: block I/O throughput through a block session. For each
 * workload (sequential / random, read / write, 4 KiB / 64 KiB / 1 MiB, queue
 * depth 1 and 32) it moves SIZE bytes over the first SIZE bytes of the
 * device and prints MB/s and IOPS. Writes overwrite the data there.
 *   blkbench [DEVICE] [MiB] [OP] [BS] [QD]   defaults: /dev/vda, 16, all
 * OP/BS/QD pick one workload (profiling: QEMU's trace counts of two runs of
 * different sizes differ by exactly that workload's requests).
 * Output lines: "blkbench OP bs=N qd=N MBps=X iops=Y" (parsed by make bench),
 * then the microkernel's counters per request (syscalls, thread switches,
 * address-space switches, interrupts).
 */
#include "sh.h"
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static uint64_t rng = 88172645463325252ull;
static uint64_t xrand(void)
{
    rng ^= rng << 13;
    rng ^= rng >> 7;
    rng ^= rng << 17;
    return rng;
}

/* the microkernel's counters a workload is profiled by (klog_stats) */
static const char *const kcounters[] = { "syscalls", "switches", "as_switches", "irqs" };
#define NKC (sizeof kcounters / sizeof kcounters[0])

static void kstat_read(uint64_t v[NKC])
{
    char buf[512];
    for (unsigned i = 0; i < NKC; i++)
        v[i] = 0;
    if (hm_klog_stats(buf, sizeof buf) <= 0)
        return;
    for (unsigned i = 0; i < NKC; i++) {
        char key[24];
        snprintf(key, sizeof key, " %s=", kcounters[i]);
        const char *s = strstr(buf, key);
        if (!s && !strncmp(buf, key + 1, strlen(key + 1)))
            s = buf - 1;   /* the first counter has no space before it */
        if (s)
            v[i] = strtoull(s + strlen(key), NULL, 10);
    }
}

/* n requests of bs bytes, at most qd in flight; 0 or -errno */
static int run(struct hm_blk_client *c, uint32_t op, int random, uint32_t bs, int qd, uint64_t span, uint64_t n)
{
    uint64_t submitted = 0, done = 0;
    while (done < n) {
        while (submitted < n && submitted - done < (uint64_t)qd) {
            uint64_t blk = random ? xrand() % (span / bs) : submitted % (span / bs);
            uint64_t slot = submitted % (uint64_t)qd;
            int r = hm_blk_submit(c, op, blk * bs, slot * bs, bs, submitted);
            if (r == -EAGAIN)
                break;
            if (r)
                return r;
            submitted++;
        }
        struct hm_blk_cpl cpl;
        int r = hm_blk_wait(c, &cpl, hm_deadline_ms(30000));
        if (r)
            return r;
        if (cpl.status)
            return cpl.status;
        done++;
    }
    return 0;
}

int cmd_blkbench(int argc, char **argv)
{
    const char *path = argc > 1 ? argv[1] : "/dev/vda";
    uint64_t span = argc > 2 ? strtoull(argv[2], NULL, 0) << 20 : 16ull << 20;
    const char *only_op = argc > 3 ? argv[3] : NULL;
    uint32_t only_bs = argc > 4 ? (uint32_t)strtoul(argv[4], NULL, 0) : 0;
    int only_qd = argc > 5 ? atoi(argv[5]) : 0;
    struct file f;
    int st = f_open(&f, path);
    if (st || f.type != HM_VFS_BLK) {
        printf("sh: blkbench: %s: %s\n", path, st ? strerror(-st) : "not a block device");
        if (!st)
            f_close(&f);
        return 1;
    }
    /* the session from f_open has a 256 KiB data area; the benchmark needs qd x 1 MiB */
    hm_handle_t session = f.blk.ep;
    hm_blk_close(&f.blk);
    struct hm_blk_client c;
    st = hm_blk_open(&c, session, 64, 32u << 20, &sh_buf);
    if (st) {
        printf("sh: blkbench: %s: cannot open a 32 MiB session: %s\n", path, strerror(-st));
        hm_handle_close(session);
        return 1;
    }
    c.reconnect = f_blk_reconnect;   /* f keeps the path */
    c.reconnect_arg = &f;
    if (span > c.size)
        span = c.size & ~((1ull << 20) - 1);
    printf("blkbench: %s, %lu MiB per workload\n", path, (unsigned long)(span >> 20));
    static const struct { const char *name; uint32_t op; int random; } ops[] = {
        { "seqread", HM_BLK_READ, 0 }, { "randread", HM_BLK_READ, 1 },
        { "seqwrite", HM_BLK_WRITE, 0 }, { "randwrite", HM_BLK_WRITE, 1 },
    };
    static const uint32_t sizes[] = { 4096, 65536, 1 << 20 };
    static const int qds[] = { 1, 32 };
    int rc = 0, ran = 0;
    for (unsigned o = 0; o < 4 && !rc; o++)
        for (unsigned s = 0; s < 3 && !rc; s++)
            for (unsigned q = 0; q < 2 && !rc; q++) {
                if ((only_op && strcmp(only_op, ops[o].name)) || (only_bs && only_bs != sizes[s]) ||
                    (only_qd && only_qd != qds[q]))
                    continue;
                uint64_t n = span / sizes[s];
                ran++;
                uint64_t k0[NKC], k1[NKC];
                kstat_read(k0);
                uint64_t t0 = hm_now();
                int r = run(&c, ops[o].op, ops[o].random, sizes[s], qds[q], span, n);
                uint64_t ticks = hm_now() - t0;
                kstat_read(k1);
                if (r) {
                    printf("sh: blkbench: %s: %s\n", ops[o].name, strerror(-r));
                    rc = 1;
                    break;
                }
                double secs = (double)ticks / (double)hm_time_freq();
                /* then per request: what the whole system (client, driver,
                 * microkernel) did for it */
                printf("blkbench %s bs=%u qd=%d MBps=%.1f iops=%.0f", ops[o].name, sizes[s], qds[q],
                       (double)span / 1e6 / secs, (double)n / secs);
                for (unsigned i = 0; i < NKC; i++)
                    printf(" %s/req=%.2f", kcounters[i], (double)(k1[i] - k0[i]) / (double)n);
                printf("\n");
            }
    if (!ran) {
        printf("sh: blkbench: no workload matches %s %s %s (OP seqread|randread|seqwrite|randwrite, "
               "BS 4096|65536|1048576, QD 1|32)\n", only_op, argc > 4 ? argv[4] : "any", argc > 5 ? argv[5] : "any");
        rc = 1;
    }
    session = c.ep;   /* a new one if the driver restarted meanwhile */
    hm_blk_close(&c);
    hm_handle_close(session);
    return rc;
}
