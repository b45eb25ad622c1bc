/*
 * faultstress: a verified read/write workload on block devices while
 * faults of every kind are injected into the containers driving them
 * (docs/reliability.md). Nothing may fail and no byte may be lost.
 *   faultstress [--each N] [--seed S] DEV:CONTAINER[:KIND,...][=M]...
 *   e.g. faultstress --each 50 --seed 1 /dev/vda:ldc0 /dev/mmcblk0:ldc1
 * KINDS: kill, crash, hang (default all three), dma (one of the container's
 * PCI devices, DEV's, writes a canary page of ours: the SMMU must stop it,
 * the canary stay as it was); =M: M faults of each kind
 * into that container instead of N. =0 with a container another DEV names
 * too: that device's workload only; the other's faults reach it (its
 * container's restarts are that target's to check).
 *
 * Workload: a thread per device keeps LANES requests in flight. The
 * device's first SPAN bytes are cut into LANES lanes, and each lane has one
 * request in flight at a time, inside the lane: requests in flight never
 * overlap, so what the device holds at the end does not depend on the
 * order they were served or re-issued in. A lane's requests come from its
 * own PRNG (splitmix64, from the seed, the device's place on the command
 * line and the lane): 3 in 4 are writes of 4..64 KiB whose 64-bit words
 * count up from a random start, the others reads of 4..64 KiB, each
 * compared with a copy of what the lane must hold (the device's bytes
 * read at the start, then every write). The host replays each lane from
 * the request count printed at the end (tests/run.py) and compares the
 * disk images after power-off.
 *
 * Faults: the main thread injects N faults of each kind into each
 * container, in an order and with parameters drawn from the seed (kill
 * after 0..199 ms; crash and hang at the 1st..8th request from then, or at
 * a point the seed picks in the request or the completion path), one at a
 * time per container: the next once the container runs again (one restart
 * per fault) and has served HM_DM_REPEAT_WINDOW_MS more, since devmgr takes
 * faults closer together for a crash loop and gives up.
 */
#include "sh.h"
#include <hm/dmclient.h>
#include <hm/prio.h>
#include <hm/sha256.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define LANES 4
#define MAX_BLOCKS 16                  /* a request: 1..16 blocks of 4 KiB */
#define SPAN (2u << 20)                /* bytes of each device the workload covers */
#define LANE_BYTES (SPAN / LANES)
#define LANE_DATA (MAX_BLOCKS * 4096)  /* each lane's part of the session's data area */
#define MAX_DEVS 4
#define FAULT_LIMIT_MS 20000           /* a fault armed this long ago and not recovered from: failure */
#define WAIT_MS 30000                  /* a request not back after this: failure */

struct op {
    int write;
    uint64_t off, fill;
    uint32_t len;
};

struct lane {
    uint64_t rng, n;   /* n: requests completed (and generated) */
    struct op op;
    int busy;
};

struct worker {
    const char *dev;
    struct file f;
    struct hm_ipc_buf buf;
    struct hm_thread t;
    uint8_t *shadow;   /* what the first SPAN bytes must hold */
    hm_handle_t shadow_mem;
    struct lane lane[LANES];
    uint64_t reads, writes;
    int opened, started, stop, finished, err;
    char why[96];
};

#define NKINDS 4   /* crash, hang, kill (HM_DM_FAULT_CRASH - 1 ..), dma */
#define KIND_DMA 3

struct target {
    char name[16];
    const char *disk;       /* DEV's name, the disk a dma fault reads */
    int left[NKINDS], done[NKINDS];
    int armed_kind;
    struct sh_canary canary;   /* the armed dma fault's target page */
    int armed, known;
    int shared;                /* injects nothing; another target faults its container */
    uint64_t before, expect;   /* restart counts: before the armed fault; expected now */
    uint64_t armed_at, next_at, worst_ms;
};

/* splitmix64: the host replays it (tests/run.py, faultstress_expect) */
static uint64_t next(uint64_t *s)
{
    uint64_t z = (*s += 0x9e3779b97f4a7c15ull);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
    return z ^ (z >> 31);
}

/* lane k's next request; a write's data goes into its data window now */
static void next_op(struct worker *w, int k)
{
    struct lane *l = &w->lane[k];
    struct op *o = &l->op;
    o->write = (next(&l->rng) & 3) != 0;
    uint32_t nb = 1 + (uint32_t)(next(&l->rng) % MAX_BLOCKS);
    o->off = (uint64_t)k * LANE_BYTES + next(&l->rng) % (LANE_BYTES / 4096 - nb + 1) * 4096;
    o->len = nb * 4096;
    o->fill = o->write ? next(&l->rng) >> 2 : 0;
    uint64_t *d = (uint64_t *)(w->f.blk.data + (uint64_t)k * LANE_DATA);
    for (uint32_t j = 0; o->write && j < o->len / 8; j++)
        d[j] = o->fill + j;
}

/* e: a negative errno; returned (never 0) */
static int fail(struct worker *w, const char *what, int e)
{
    e = e < 0 ? e : -EIO;
    snprintf(w->why, sizeof w->why, "%s: %s", what, strerror(-e));
    return e;
}

/* lane k's request is back without an error */
static int complete(struct worker *w, int k)
{
    struct op *o = &w->lane[k].op;
    uint8_t *d = w->f.blk.data + (uint64_t)k * LANE_DATA;
    if (o->write) {
        memcpy(w->shadow + o->off, d, o->len);
        w->writes++;
    } else {
        for (uint32_t i = 0; i < o->len; i++)
            if (d[i] != w->shadow[o->off + i]) {
                snprintf(w->why, sizeof w->why, "read at byte %lu: 0x%02x, written 0x%02x",
                         (unsigned long)(o->off + i), d[i], w->shadow[o->off + i]);
                return -EIO;
            }
        w->reads++;
    }
    w->lane[k].busy = 0;
    w->lane[k].n++;
    return 0;
}

static int work(struct worker *w)
{
    struct hm_blk_client *c = &w->f.blk;
    for (;;) {
        int stopping = __atomic_load_n(&w->stop, __ATOMIC_ACQUIRE), busy = 0;
        for (int k = 0; k < LANES; k++) {
            struct lane *l = &w->lane[k];
            if (!l->busy && !stopping) {
                next_op(w, k);
                /* the id names the lane and the request's number in it: a
                 * completion for an earlier one (run twice) is caught */
                int r = hm_blk_submit(c, l->op.write ? HM_BLK_WRITE : HM_BLK_READ, l->op.off,
                                      (uint64_t)k * LANE_DATA, l->op.len, l->n << 3 | (uint64_t)k);
                if (r)
                    return fail(w, "submit", r);
                l->busy = 1;
            }
            busy += l->busy;
        }
        if (!busy)
            return 0;
        struct hm_blk_cpl cpl;
        int r = hm_blk_wait(c, &cpl, hm_deadline_ms(WAIT_MS));
        if (r)
            return fail(w, "waiting for a request", r);
        int k = (int)(cpl.id & 7);
        if (k >= LANES || !w->lane[k].busy || cpl.id >> 3 != w->lane[k].n)
            return fail(w, "a completion for no request in flight (one run twice?)", -EIO);
        if (cpl.status)
            return fail(w, w->lane[k].op.write ? "a write" : "a read", cpl.status);
        if ((r = complete(w, k)))
            return r;
    }
}

/* a worker thread: its own IPC buffer, for the session and for reopening
 * the node through vfs when the driver restarts */
static void *worker_main(void *arg)
{
    struct worker *w = arg;
    hm_ipc_buf_set(&w->buf);
    f_ipc = &w->buf;
    w->f.blk.buf = &w->buf;
    w->err = work(w);
    __atomic_store_n(&w->finished, 1, __ATOMIC_RELEASE);
    return NULL;
}

/* open dev, read what its span holds now, set the lanes' PRNGs */
static int worker_init(struct worker *w, const char *dev, int index, uint64_t seed)
{
    w->dev = dev;
    int st = f_open(&w->f, dev);
    if (st)
        return fail(w, "open", st);
    w->opened = 1;
    if (w->f.type != HM_VFS_BLK || w->f.size < SPAN || w->f.blk.data_size < LANES * LANE_DATA) {
        snprintf(w->why, sizeof w->why, "not a block device of at least %u MiB", SPAN >> 20);
        return -EINVAL;
    }
    w->shadow = hm_alloc_pages(SPAN, &w->shadow_mem);
    if (!w->shadow)
        return fail(w, "memory for its copy", -ENOMEM);
    long n = f_pread(&w->f, w->shadow, SPAN, 0);
    if (n != (long)SPAN)
        return fail(w, "reading it", n < 0 ? (int)n : -EIO);
    for (int k = 0; k < LANES; k++)
        w->lane[k].rng = seed ^ (uint64_t)(index + 1) << 32 ^ (uint64_t)(k + 1) << 16;
    return 0;
}

static void worker_free(struct worker *w)
{
    if (w->started) {
        hm_thread_kill(w->t.h);   /* it has finished, or never will: a failure was reported */
        hm_handle_close(w->t.h);
        hm_vm_unmap(HM_HANDLE_SELF_PROC, (uint64_t)w->t.stack);
        hm_handle_close(w->t.stack_mem);
    }
    if (w->opened) {
        w->f.blk.buf = &sh_buf;   /* this thread's, for the detach */
        f_close(&w->f);
    }
    if (w->shadow) {
        hm_vm_unmap(HM_HANDLE_SELF_PROC, (uint64_t)w->shadow);
        hm_handle_close(w->shadow_mem);
    }
}

static int kinds_left(const struct target *t)
{
    int n = 0;
    for (int k = 0; k < NKINDS; k++)
        n += t->left[k];
    return n;
}

/* the next fault for t, drawn from rng among the kinds left; 0 or -errno */
static int arm(struct target *t, uint64_t *rng)
{
    int total = kinds_left(t);
    int pick = (int)(next(rng) % (uint64_t)total), kind = 0;
    while (pick >= t->left[kind])
        pick -= t->left[kind++];
    uint64_t arg, seed = 0, r = next(rng);
    if (kind + 1 == HM_DM_FAULT_KILL) {
        arg = r % 200;
    } else if (r & 1) {
        arg = 0;
        seed = 1 + (r >> 1) % 1000000;   /* the container picks path and request from it */
    } else {
        arg = 1 + (r >> 1) % 8;
    }
    int st;
    if (kind == KIND_DMA) {
        st = sh_canary_new(&t->canary, r);
        if (!st && (st = sh_fault_dma(t->name, t->disk, &t->canary, &t->before)))
            sh_canary_free(&t->canary);
    } else {
        st = hm_dm_fault(sh_dm_fault, &sh_buf, t->name, (uint64_t)kind + 1, arg, seed, &t->before);
    }
    if (st)
        return st;
    t->armed_kind = kind;
    t->left[kind]--;
    t->done[kind]++;
    t->armed = 1;
    t->armed_at = hm_now();
    return 0;
}

/* watch t: its fault recovered from (the next is due after the window), or
 * went wrong; 0 or a message */
static const char *watch(struct target *t, uint64_t *rng)
{
    uint64_t state, restarts;
    char node[16];
    if (sh_ct_state(t->name, &state, &restarts, node))
        return "no such container";
    if (state == HM_DM_FAILED)
        return "devmgr gave up on it";
    if (t->shared)
        return NULL;   /* its restarts are another target's faults */
    uint64_t now = hm_now(), ms = (now - t->armed_at) * 1000 / hm_time_freq();
    if (!t->known) {
        t->expect = restarts;
        t->known = 1;
    }
    if (!t->armed)
        return restarts != t->expect ? "restarted with no fault injected" : NULL;
    if (restarts > t->before + 1)
        return "restarted more than once for one fault";
    if (restarts == t->before + 1 && state == HM_DM_RUNNING) {
        if (t->armed_kind == KIND_DMA) {
            int changed = sh_canary_changed(&t->canary);
            sh_canary_free(&t->canary);
            if (changed)
                return "a DMA fault changed the canary page: the write was not stopped";
        }
        t->armed = 0;
        t->expect = restarts;
        t->worst_ms = ms > t->worst_ms ? ms : t->worst_ms;
        t->next_at = now + hm_ms(HM_DM_REPEAT_WINDOW_MS + next(rng) % 250);
        return NULL;
    }
    if (ms > FAULT_LIMIT_MS)
        return "a fault armed 20 s ago has not been recovered from";
    return NULL;
}

static int usage(void)
{
    printf("usage: faultstress [--each N] [--seed S] DEV:CONTAINER[:KIND,...][=M]... (KIND: kill, crash, hang, dma;\n"
           "       M: faults of each kind into that container instead of N; 0: workload only, when another\n"
           "       DEV's faults go into the same container)\n");
    return 1;
}

int cmd_faultstress(int argc, char **argv)
{
    uint64_t each = 10, seed = 1;
    int ndev = 0, i;
    static struct worker ws[MAX_DEVS];
    struct target ts[MAX_DEVS];
    for (i = 1; i + 1 < argc && !strncmp(argv[i], "--", 2); i += 2) {
        char *end;
        uint64_t v = strtoull(argv[i + 1], &end, 10);
        if (*end || !*argv[i + 1])
            return usage();
        if (!strcmp(argv[i], "--each") && v <= 10000)
            each = v;
        else if (!strcmp(argv[i], "--seed"))
            seed = v;
        else
            return usage();
    }
    if (i == argc || argc - i > MAX_DEVS)
        return usage();
    if (sh_no_fault_right("faultstress"))
        return 1;
    memset(ws, 0, sizeof ws);
    memset(ts, 0, sizeof ts);
    const char *why = NULL, *who = NULL, *devs[MAX_DEVS];
    for (; i < argc; i++, ndev++) {
        char *colon = strchr(argv[i], ':'), *list = colon ? strchr(colon + 1, ':') : NULL;
        char *count = colon ? strchr(colon + 1, '=') : NULL;
        uint64_t n = each;
        int kinds = 7;
        if (count) {
            char *end;
            *count++ = 0;
            n = strtoull(count, &end, 10);
            if (*end || !*count || n > 10000)
                return usage();
        }
        if (list) {
            *list++ = 0;
            kinds = 0;
            for (char *save, *k = strtok_r(list, ",", &save); k; k = strtok_r(NULL, ",", &save))
                kinds |= !strcmp(k, "crash") ? 1 : !strcmp(k, "hang") ? 2 : !strcmp(k, "kill") ? 4
                       : !strcmp(k, "dma") ? 8 : 16;
        }
        if (!colon || !colon[1] || strlen(colon + 1) >= sizeof ts[0].name || !kinds || kinds & 16)
            return usage();
        *colon = 0;
        devs[ndev] = argv[i];
        snprintf(ts[ndev].name, sizeof ts[ndev].name, "%s", colon + 1);
        for (int k = 0; k < NKINDS; k++)
            ts[ndev].left[k] = kinds >> k & 1 ? (int)n : 0;
        ts[ndev].disk = strrchr(argv[i], '/') ? strrchr(argv[i], '/') + 1 : argv[i];
    }
    /* a target with nothing to inject whose container another target faults */
    for (int d = 0; d < ndev; d++)
        for (int e = 0; e < ndev; e++)
            if (e != d && !strcmp(ts[d].name, ts[e].name) && !(kinds_left(&ts[d])) &&
                kinds_left(&ts[e]))
                ts[d].shared = 1;
    for (int d = 0; d < ndev && !why; d++) {
        who = devs[d];
        if (worker_init(&ws[d], devs[d], d, seed))
            why = ws[d].why;
    }
    uint64_t total = 0, injected = 0, rng = seed ^ 0xfa17ull, t0 = hm_now();
    for (int d = 0; d < ndev; d++)
        total += kinds_left(&ts[d]);
    if (!why)
        printf("faultstress: %lu faults into %d container(s) while %d device(s) are read and written (seed %lu)\n",
               (unsigned long)total, ndev, ndev, (unsigned long)seed);
    for (int d = 0; d < ndev && !why; d++)
        /* below the drivers (HM_PRIO_DRIVER), as an application's load: a
         * worker above them that a twin keeps busy while its LDC restarts
         * would starve that LDC's Linux (strict priorities) */
        if (hm_thread_start(&ws[d].t, worker_main, &ws[d], HM_PRIO_BACKGROUND, 1) < 0) {
            who = ws[d].dev;
            why = "cannot start its thread";
        } else {
            ws[d].started = 1;
        }
    /* inject while every worker runs */
    while (!why) {
        int busy = 0;
        for (int d = 0; d < ndev && !why; d++) {
            struct target *t = &ts[d];
            who = ws[d].dev;
            if (__atomic_load_n(&ws[d].finished, __ATOMIC_ACQUIRE)) {
                why = ws[d].why;
                break;
            }
            who = t->name;
            if ((why = watch(t, &rng)))
                break;
            int left = kinds_left(t);
            busy |= t->armed || left;
            if (!t->armed && left && hm_now() >= t->next_at) {
                int st = arm(t, &rng);
                if (st) {
                    why = sh_fault_error(st);
                    break;
                }
                if (++injected % 25 == 0 || injected == total)
                    printf("faultstress: %lu of %lu faults injected, %lu s\n", (unsigned long)injected,
                           (unsigned long)total, (unsigned long)((hm_now() - t0) / hm_time_freq()));
            }
        }
        if (!busy)
            break;
        hm_sleep_until(hm_deadline_ms(10));
    }
    /* stop the workload: requests in flight finish first */
    for (int d = 0; d < ndev; d++)
        __atomic_store_n(&ws[d].stop, 1, __ATOMIC_RELEASE);
    uint64_t until = hm_deadline_ms(WAIT_MS);
    for (int d = 0; d < ndev; d++) {
        while (ws[d].started && !__atomic_load_n(&ws[d].finished, __ATOMIC_ACQUIRE) && hm_now() < until)
            hm_sleep_until(hm_deadline_ms(10));
        if (!why && ws[d].started && (!ws[d].finished || ws[d].err)) {
            who = ws[d].dev;
            why = ws[d].finished ? ws[d].why : "its requests did not come back";
        }
    }
    /* what the devices hold now, read afresh: exactly what was written */
    static uint8_t chunk[64 * 1024];
    for (int d = 0; d < ndev && !why; d++) {
        struct worker *w = &ws[d];
        w->f.blk.buf = &sh_buf;
        f_ipc = NULL;
        for (uint64_t off = 0; off < SPAN && !why; off += sizeof chunk) {
            long n = f_pread(&w->f, chunk, sizeof chunk, off);
            who = w->dev;
            if (n != (long)sizeof chunk)
                why = "reading it back at the end failed";
            else if (memcmp(chunk, w->shadow + off, sizeof chunk))
                why = "it does not hold what was written";
        }
        if (why)
            break;
        struct hm_sha256 sha;
        hm_sha256_init(&sha);
        hm_sha256_update(&sha, w->shadow, SPAN);
        uint8_t dig[32];
        char hex[65];
        hm_sha256_final(&sha, dig);
        hm_sha256_hex(dig, hex);
        printf("faultstress: %s: requests per lane", w->dev);
        for (int k = 0; k < LANES; k++)
            printf(" %lu", (unsigned long)w->lane[k].n);
        printf("; %lu writes, %lu reads as written; its driver restarted %u time(s), %u request(s) re-issued; "
               "first %u MiB sha256 %s\n", (unsigned long)w->writes, (unsigned long)w->reads, w->f.blk.reconnects,
               w->f.blk.reissued, SPAN >> 20, hex);
    }
    for (int d = 0; d < ndev && !why; d++) {
        char dma[64] = "";
        if (ts[d].done[KIND_DMA])
            snprintf(dma, sizeof dma, ", %d DMA outside it (canary unchanged)", ts[d].done[KIND_DMA]);
        printf("faultstress: %s: %d kill, %d crash, %d hang injected%s, each recovered from (worst %lu ms to running "
               "again)\n", ts[d].name, ts[d].done[2], ts[d].done[0], ts[d].done[1],
               dma, (unsigned long)ts[d].worst_ms);
    }
    for (int d = 0; d < MAX_DEVS; d++)
        worker_free(&ws[d]);
    if (why) {
        printf("sh: faultstress: %s: %s\n", who ? who : "?", why);
        return 1;
    }
    printf("faultstress: passed: %lu faults in %lu s, no request failed, every byte as written\n",
           (unsigned long)injected, (unsigned long)((hm_now() - t0) / hm_time_freq()));
    return 0;
}
