/*
 * blkbench: block I/O throughput through a block session. For each
 * workload (sequential / random, read / write, 4 KiB / 64 KiB / 1 MiB, queue
 * depth 1 and 32) it moves SIZE bytes over the first SIZE bytes of the
 * device and prints MB/s and IOPS. Writes overwrite the data there.
 *   blkbench [DEVICE] [SIZE]      defaults: /dev/vda, 16M
 * Output lines: "blkbench OP bs=N qd=N MBps=X iops=Y" (parsed by make bench).
 */
#include "file.h"
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int cmd_blkbench(int argc, char **argv);

static uint64_t rng = 88172645463325252ull;
static uint64_t xrand(void)
{
    rng ^= rng << 13;
    rng ^= rng >> 7;
    rng ^= rng << 17;
    return rng;
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
    struct file f;
    int st = f_open(&f, path);
    if (st || f.type != HM_VFS_BLK) {
        printf("sh: blkbench: %s: %s\n", path, st ? strerror(st) : "not a block device");
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
    if (span > c.size)
        span = c.size & ~((1ull << 20) - 1);
    printf("blkbench: %s, %lu MiB per workload\n", path, (unsigned long)(span >> 20));
    static const struct { const char *name; uint32_t op; int random; } ops[] = {
        { "seqread", HM_BLK_READ, 0 }, { "randread", HM_BLK_READ, 1 },
        { "seqwrite", HM_BLK_WRITE, 0 }, { "randwrite", HM_BLK_WRITE, 1 },
    };
    static const uint32_t sizes[] = { 4096, 65536, 1 << 20 };
    static const int qds[] = { 1, 32 };
    int rc = 0;
    for (unsigned o = 0; o < 4 && !rc; o++)
        for (unsigned s = 0; s < 3 && !rc; s++)
            for (unsigned q = 0; q < 2 && !rc; q++) {
                uint64_t n = span / sizes[s];
                uint64_t t0 = hm_now();
                int r = run(&c, ops[o].op, ops[o].random, sizes[s], qds[q], span, n);
                uint64_t ticks = hm_now() - t0;
                if (r) {
                    printf("sh: blkbench: %s: %s\n", ops[o].name, strerror(-r));
                    rc = 1;
                    break;
                }
                double secs = (double)ticks / (double)hm_time_freq();
                printf("blkbench %s bs=%u qd=%d MBps=%.1f iops=%.0f\n", ops[o].name, sizes[s], qds[q],
                       (double)span / 1e6 / secs, (double)n / secs);
            }
    hm_blk_close(&c);
    hm_handle_close(session);
    return rc;
}
