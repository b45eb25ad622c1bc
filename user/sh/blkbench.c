/*
 * blkbench: block I/O throughput through a block session, with the
 * workloads and data checks of hm/blkbench.h (native Linux's nativebench
 * runs the same). A fill pass writes the first SIZE bytes of the device
 * (not measured); each workload then moves SIZE bytes over them and prints
 * MB/s (10^6 bytes per second) and IOPS; reads are checked block by block;
 * a verify pass reads everything back at the end. Writes overwrite the
 * data there.
 *   blkbench [-b] [-n] [DEVICE] [MiB] [SET | OP BS QD]   defaults: /dev/vda, 16, all
 * -b: the workloads run in a thread below the drivers (HM_PRIO_BACKGROUND,
 * "load that must not delay drivers") instead of at the shell's priority,
 * above them: a driver then takes each request as it is submitted (as
 * native Linux's driver does inside io_submit) rather than a whole depth of
 * them when the client next waits (make bench's merge part compares both).
 * -n: an experiment, not a benchmark of record: the workloads touch no page
 * of their buffers (writes carry whatever the buffers hold, reads are not
 * checked, no verify pass), which shows what the client's touching of each
 * page costs after the address-space switches of a request (make bench's
 * merge part).
 * SET: all or fig10 (hm/blkbench.h); OP BS QD: one workload of "all"
 * (profiling: QEMU's trace counts of two runs of different sizes differ by
 * exactly that workload's requests).
 * Output lines: "blkbench OP bs=N qd=N MBps=X iops=Y" (parsed by make bench),
 * then the microkernel's counters per request (syscalls, thread switches,
 * address-space switches, interrupts, and under -icount the PMU's retired
 * instructions); "blkbench: verify ..." at the end.
 */
#include "sh.h"
#include <hm/blkbench.h>
#include <hm/prio.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static uint64_t rng = BLKB_SEED;
static int touch = 1;   /* 0: -n, the workloads touch no page of their buffers */

/* the microkernel's counters a workload is profiled by (klog_stats);
 * instructions: the PMU's retired instructions, counted under -icount only */
static const char *const kcounters[] = { "syscalls", "switches", "as_switches", "irqs", "msis", "instructions" };
#define NKC (sizeof kcounters / sizeof kcounters[0])
#define KC_NONE UINT64_MAX   /* the kernel does not count it here */

static void kstat_read(uint64_t v[NKC])
{
    char buf[512];
    int got = hm_klog_stats(buf, sizeof buf) > 0;
    for (unsigned i = 0; i < NKC; i++)
        if (!got || hm_kstat_field(buf, kcounters[i], &v[i]))
            v[i] = KC_NONE;
}

/* n requests of bs bytes, at most qd in flight, each in its own buffer
 * (slot k: data area offset k * bs); reads checked by their stamps (full:
 * every byte). 0, -errno, or -EILSEQ with *bad the first wrong block */
static int run(struct hm_blk_client *c, int write, int random, uint32_t bs, int qd, uint64_t span, uint64_t n,
               int full, uint64_t *bad)
{
    uint64_t submitted = 0, done = 0, off_of[BLKB_MAX_QD];
    int free_slots[BLKB_MAX_QD], nfree = qd;
    for (int i = 0; i < qd; i++)
        free_slots[i] = i;
    while (done < n) {
        while (submitted < n && nfree) {
            uint64_t blk = random ? blkb_rand(&rng) % (span / bs) : submitted % (span / bs);
            int slot = free_slots[nfree - 1];
            uint8_t *buf = c->data + (uint64_t)slot * bs;
            if (write && touch)
                blkb_stamp(buf, bs, blk * bs);
            int r = hm_blk_submit(c, write ? HM_BLK_WRITE : HM_BLK_READ, blk * bs, (uint64_t)slot * bs, bs,
                                  (uint64_t)slot);
            if (r == -EAGAIN)
                break;
            if (r)
                return r;
            nfree--;
            off_of[slot] = blk * bs;
            submitted++;
        }
        struct hm_blk_cpl cpl;
        int r = hm_blk_wait(c, &cpl, hm_deadline_ms(30000));
        if (r)
            return r;
        if (cpl.status)
            return cpl.status;
        if (cpl.id >= (uint64_t)qd)
            return -EPROTO;   /* an id we never gave */
        int slot = (int)cpl.id;
        int64_t wrong = write || !touch ? -1 : blkb_check(c->data + (uint64_t)slot * bs, bs, off_of[slot], full);
        if (wrong >= 0) {
            *bad = (uint64_t)wrong;
            return -EILSEQ;
        }
        free_slots[nfree++] = slot;
        done++;
    }
    return 0;
}

static int blkbench(int argc, char **argv)
{
    const char *path = argc > 1 ? argv[1] : "/dev/vda";
    uint64_t span = argc > 2 ? strtoull(argv[2], NULL, 0) << 20 : 16ull << 20;
    const char *set = argc == 4 ? argv[3] : "all";
    const char *only_op = argc > 4 ? argv[3] : NULL;
    uint32_t only_bs = argc > 4 ? (uint32_t)strtoul(argv[4], NULL, 0) : 0;
    int only_qd = argc > 5 ? atoi(argv[5]) : 0;
    const uint32_t *sizes = blkb_sizes(set);
    if (!sizes) {
        printf("sh: blkbench: no workload set %s (all, fig10; or OP BS QD)\n", set);
        return 1;
    }
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
    st = hm_blk_open(&c, session, 64, BLKB_MAX_QD * BLKB_MAX_BS, &sh_buf);
    if (st) {
        printf("sh: blkbench: %s: cannot open a 32 MiB session: %s\n", path, strerror(-st));
        hm_handle_close(session);
        return 1;
    }
    c.reconnect = f_blk_reconnect;   /* f keeps the path */
    c.reconnect_arg = &f;
    if (span > c.size)
        span = c.size & ~((1ull << 20) - 1);
    printf("blkbench: %s, %lu MiB per workload, set %s\n", path, (unsigned long)(span >> 20), only_op ? "-" : set);
    blkb_fill(c.data, BLKB_MAX_QD * BLKB_MAX_BS);
    uint64_t bad = 0;
    int rc = 0, ran = 0, r = run(&c, 1, 0, BLKB_MAX_BS, BLKB_MAX_QD, span, span / BLKB_MAX_BS, 0, &bad);
    if (r) {
        printf("sh: blkbench: fill pass: %s\n", strerror(-r));
        rc = 1;
    }
    for (unsigned o = 0; o < 4 && !rc; o++)
        for (unsigned s = 0; sizes[s] && !rc; s++)
            for (unsigned q = 0; q < 2 && !rc; q++) {
                const struct blkb_op *op = &blkb_ops[o];
                uint32_t bs = sizes[s];
                int qd = blkb_qds[q];
                if ((only_op && strcmp(only_op, op->name)) || (only_bs && only_bs != bs) || (only_qd && only_qd != qd))
                    continue;
                uint64_t n = span / bs;
                ran++;
                uint64_t k0[NKC], k1[NKC];
                kstat_read(k0);
                uint64_t t0 = hm_now();
                r = run(&c, op->write, op->random, bs, qd, span, n, 0, &bad);
                uint64_t ticks = hm_now() - t0;
                kstat_read(k1);
                if (r) {
                    if (r == -EILSEQ)
                        printf("sh: blkbench: %s bs=%u qd=%d: the block at byte %lu reads back wrong\n", op->name, bs,
                               qd, (unsigned long)bad);
                    else
                        printf("sh: blkbench: %s: %s\n", op->name, strerror(-r));
                    rc = 1;
                    break;
                }
                double secs = (double)ticks / (double)hm_time_freq();
                /* then per request: what the whole system (client, driver,
                 * microkernel) did for it */
                printf("blkbench %s bs=%u qd=%d MBps=%.1f iops=%.0f", op->name, bs, qd,
                       (double)span / 1e6 / secs, (double)n / secs);
                for (unsigned i = 0; i < NKC; i++)
                    if (k0[i] != KC_NONE && k1[i] != KC_NONE)
                        printf(" %s/req=%.2f", kcounters[i], (double)(k1[i] - k0[i]) / (double)n);
                printf("\n");
            }
    if (!rc && !ran) {
        printf("sh: blkbench: no workload matches %s %s %s (OP seqread|randread|seqwrite|randwrite, "
               "BS 4096|65536|1048576, QD 1|32)\n", only_op, argc > 4 ? argv[4] : "any", argc > 5 ? argv[5] : "any");
        rc = 1;
    }
    if (!rc && !touch)
        printf("blkbench: verify: skipped (-n: the workloads wrote no stamps)\n");
    else if (!rc) {
        r = run(&c, 0, 0, BLKB_MAX_BS, 1, span, span / BLKB_MAX_BS, 1, &bad);
        if (r == -EILSEQ)
            printf("sh: blkbench: verify: the block at byte %lu reads back wrong\n", (unsigned long)bad);
        else if (r)
            printf("sh: blkbench: verify: %s\n", strerror(-r));
        else
            printf("blkbench: verify: %lu bytes read back as written\n", (unsigned long)span);
        rc = !!r;
    }
    session = c.ep;   /* a new one if the driver restarted meanwhile */
    hm_blk_close(&c);
    hm_handle_close(session);
    return rc;
}

/* -b: blkbench in a thread below the drivers; the shell's thread waits */
struct blkbench_bg {
    int argc;
    char **argv;
    int rc;
    int finished;        /* set before the signal: a lost signal costs a second, not a hang */
    hm_handle_t done;
};

static void *blkbench_bg_main(void *arg)
{
    struct blkbench_bg *b = arg;
    /* the shell's thread only waits meanwhile: its IPC buffer is free */
    b->rc = hm_ipc_buf_set(&sh_buf) < 0 ? 1 : blkbench(b->argc, b->argv);
    __atomic_store_n(&b->finished, 1, __ATOMIC_RELEASE);
    hm_notif_signal(b->done, 1);
    return NULL;
}

int cmd_blkbench(int argc, char **argv)
{
    int bg = 0;
    touch = 1;
    while (argc > 1 && (!strcmp(argv[1], "-b") || !strcmp(argv[1], "-n"))) {
        if (argv[1][1] == 'b')
            bg = 1;
        else
            touch = 0;
        argv[1] = argv[0];   /* drop the option: argv[0] moves up */
        argv++;
        argc--;
    }
    if (!bg)
        return blkbench(argc, argv);
    static struct blkbench_bg b;
    static struct hm_thread t;
    long n = hm_notif_create();
    b = (struct blkbench_bg){ argc, argv, 1, 0, (hm_handle_t)n };
    int st = n < 0 ? (int)n : hm_thread_start(&t, blkbench_bg_main, &b, HM_PRIO_BACKGROUND, 1);
    if (st < 0) {
        printf("sh: blkbench: cannot start its thread: %s\n", hm_strerror(st));
        if (n >= 0)
            hm_handle_close((hm_handle_t)n);
        return 1;
    }
    while (!__atomic_load_n(&b.finished, __ATOMIC_ACQUIRE)) {
        uint64_t bits;
        long w = hm_notif_wait(b.done, hm_deadline_ms(1000), &bits);
        if (w < 0 && w != -HM_ETIMEDOUT) {
            /* the thread still runs its requests: leave it be */
            printf("sh: blkbench: cannot wait for its thread: %s\n", hm_strerror(w));
            return 1;
        }
    }
    st = hm_thread_reap(&t);
    if (st < 0)
        printf("sh: blkbench: its thread's stack and handles not given back: %s\n", hm_strerror(st));
    hm_handle_close(b.done);
    return b.rc;
}
