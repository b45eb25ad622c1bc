/*
 * faultstress's workload (fs_work.h): a thread per device keeps LANES
 * requests in flight. The device's first SPAN bytes are cut into LANES
 * lanes, and each lane has one request in flight at a time, inside the
 * lane: requests in flight never overlap, so what the device holds at the
 * end does not depend on the order they were served or re-issued in. A
 * lane's requests come from its own PRNG (splitmix64, from the seed, the
 * device's place on the command line and the lane): 3 in 4 are writes of
 * 4..64 KiB whose 64-bit words count up from a random start, the others
 * reads of 4..64 KiB, each compared with a copy of what the lane must hold
 * (the device's bytes read at the start, then every write). The host
 * replays each lane from the request count printed at the end
 * (tests/scenarios/faultstress.py) and compares the disk images after
 * power-off.
 */
#include "fs_work.h"
#include <hm/sha256.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* splitmix64: the host replays it (tests/scenarios/faultstress.py) */
uint64_t fs_next(uint64_t *s)
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
    o->write = (fs_next(&l->rng) & 3) != 0;
    uint32_t nb = 1 + (uint32_t)(fs_next(&l->rng) % MAX_BLOCKS);
    o->off = (uint64_t)k * LANE_BYTES + fs_next(&l->rng) % (LANE_BYTES / 4096 - nb + 1) * 4096;
    o->len = nb * 4096;
    o->fill = o->write ? fs_next(&l->rng) >> 2 : 0;
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
                int r = hm_blk_submit(c, l->op.write ? HM_BLK_WRITE : HM_BLK_READ, w->base + l->op.off,
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
void *fs_worker_main(void *arg)
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
int fs_worker_init(struct worker *w, const char *dev, int index, uint64_t seed)
{
    w->dev = dev;
    size_t plen = strcspn(dev, "@");
    char *end = NULL;
    unsigned long mib = dev[plen] ? strtoul(dev + plen + 1, &end, 10) : 0;
    if (plen >= sizeof w->path || (end && (*end || end == dev + plen + 1 || mib > 1u << 20))) {
        snprintf(w->why, sizeof w->why, "not a node, or not a node@MIB");
        return -EINVAL;
    }
    memcpy(w->path, dev, plen);
    w->path[plen] = 0;
    w->base = (uint64_t)mib << 20;
    int st = f_open(&w->f, w->path);
    if (st)
        return fail(w, "open", st);
    w->opened = 1;
    if (w->f.type != HM_VFS_BLK || w->f.size < w->base + SPAN || w->f.blk.data_size < LANES * LANE_DATA) {
        snprintf(w->why, sizeof w->why, "not a block device of at least %lu MiB", (unsigned long)(mib + (SPAN >> 20)));
        return -EINVAL;
    }
    w->shadow = hm_alloc_pages(SPAN, &w->shadow_mem);
    if (!w->shadow)
        return fail(w, "memory for its copy", -ENOMEM);
    long n = f_pread(&w->f, w->shadow, SPAN, w->base);
    if (n != (long)SPAN)
        return fail(w, "reading it", n < 0 ? (int)n : -EIO);
    for (int k = 0; k < LANES; k++)
        w->lane[k].rng = seed ^ (uint64_t)(index + 1) << 32 ^ (uint64_t)(k + 1) << 16;
    return 0;
}

void fs_worker_free(struct worker *w)
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

const char *fs_worker_verify(struct worker *w)
{
    static uint8_t chunk[64 * 1024];
    w->f.blk.buf = &sh_buf;
    f_ipc = NULL;
    for (uint64_t off = 0; off < SPAN; off += sizeof chunk) {
        long n = f_pread(&w->f, chunk, sizeof chunk, w->base + off);
        if (n != (long)sizeof chunk)
            return "reading it back at the end failed";
        if (memcmp(chunk, w->shadow + off, sizeof chunk))
            return "it does not hold what was written";
    }
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
    return NULL;
}
