/*
 * The fuzzer's hostile block clients (docs/reliability.md "Hostile block
 * clients"): on a disk node, a session opened properly is then abused, as
 * a client that misbehaves or dies would:
 *   - bad requests: an unknown op, offsets, lengths and data offsets that
 *     are not whole blocks, zero lengths, ranges past the disk's end or
 *     the data area's, a flush with a length; each must complete with what
 *     the shared checks (hm_blk_check) say, and the session go on;
 *   - overlapping requests: two writes of one range and a read of it in
 *     flight at once; the writes carry what the range already holds (read
 *     first), so the disk is unchanged, and the read must return it;
 *   - a request changed in the ring after the doorbell: the driver copied
 *     it first or sees the new one, never half of each (the answer is one
 *     of the two requests' expected statuses);
 *   - a corrupt ring index: the driver stops that session (EIO) and serves
 *     the next one;
 *   - a client that goes with requests in flight: its handles closed
 *     without DETACH, as when it dies; the driver must let the session go
 *     by itself (hm_blk_srv_abandoned), or its 64 slots run out: an ATTACH
 *     refused for lack of them breaks a rule.
 * Nothing here changes a disk's bytes.
 */
#include "sh.h"
#include "fuzz.h"
#include <hm/blkclient.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>

#define FB_DATA (64 * 1024)   /* the session's data area: A at 0, B at 32 KiB */
#define FB_B (32 * 1024)
#define FB_WAIT_MS 10000

/* the next completion of the session, or a negative errno */
static int next_cpl(struct hm_blk_client *c, struct hm_blk_cpl *cpl)
{
    return hm_blk_wait(c, cpl, hm_deadline_ms(FB_WAIT_MS));
}

/* one request alone in flight: its completion status, or the wait's error */
static int one(struct hm_blk_client *c, uint32_t op, uint64_t off, uint64_t doff, uint32_t len, uint64_t id, int *st)
{
    int r = hm_blk_submit(c, op, off, doff, len, id);
    struct hm_blk_cpl cpl;
    if (!r)
        r = next_cpl(c, &cpl);
    if (!r && cpl.id != id)
        r = -EPROTO;
    if (!r)
        *st = cpl.status;
    return r;
}

/* a random whole-block range of at most 16 KiB inside the disk */
static void pick_range(const struct hm_blk_client *c, uint64_t *off, uint32_t *len)
{
    uint32_t nb = 1 + (uint32_t)(fz_rand() % (16384 / c->lbs));
    uint64_t blocks = c->size / c->lbs;
    if (nb > blocks)
        nb = (uint32_t)blocks;
    *len = nb * c->lbs;
    *off = fz_rand() % (blocks - nb + 1) * c->lbs;
}

/* a request that breaks one of the shared checks, most of the time */
static struct hm_blk_req bad_request(const struct hm_blk_client *c)
{
    struct hm_blk_req r = { .op = HM_BLK_READ };
    pick_range(c, &r.offset, &r.len);
    switch (fz_rand() % 8) {
    case 0: r.op = 4 + (uint32_t)(fz_rand() % 1000); break;                   /* no such op */
    case 1: r.offset += 1 + fz_rand() % (c->lbs - 1); break;                  /* not whole blocks */
    case 2: r.len = 0; break;
    case 3: r.len += 1 + (uint32_t)(fz_rand() % (c->lbs - 1)); break;
    case 4: r.offset = c->size - c->lbs * (fz_rand() % 2) + c->lbs * (fz_rand() % 4); break;   /* past the end */
    case 5: r.data_off = FB_DATA - c->lbs * (fz_rand() % 2); break;           /* past the data area */
    case 6: r.op = HM_BLK_FLUSH; break;                                       /* a flush with a length */
    default: r.offset = 1ull << (40 + fz_rand() % 24); break;                 /* far away */
    }
    return r;
}

static void bad_requests(struct fz_run *run, struct fz_target *t, struct hm_blk_client *c)
{
    for (int n = 1 + (int)(fz_rand() % 4); n > 0; n--) {
        struct hm_blk_req r = bad_request(c);
        int want = hm_blk_check(&r, c->size, c->lbs, c->ro, c->data_size), st = 0;
        int e = one(c, r.op, r.offset, r.data_off, r.len, fz_rand(), &st);
        t->calls++;
        if (e)
            fz_broke(run, "%s, a request op %u at %lu, %u bytes: no completion (%s)", t->name, r.op,
                     (unsigned long)r.offset, r.len, strerror(-e));
        else if (st != want)
            fz_broke(run, "%s, a request op %u at %lu, %u bytes, data at %lu: status %d, the checks say %d", t->name,
                     r.op, (unsigned long)r.offset, r.len, (unsigned long)r.data_off, st, want);
        t->refused += st != 0;
        if (e)
            return;
    }
}

/* two writes of what a range holds and a read of it, in flight together */
static void overlapping(struct fz_run *run, struct fz_target *t, struct hm_blk_client *c)
{
    uint64_t off;
    uint32_t len;
    pick_range(c, &off, &len);
    int st = 0, e = one(c, HM_BLK_READ, off, 0, len, 1, &st);
    t->calls++;
    if (e || st) {
        fz_broke(run, "%s, a read of %u bytes at %lu failed: %d", t->name, len, (unsigned long)off, e ? e : st);
        return;
    }
    int wst = c->ro ? -EROFS : 0;
    e = hm_blk_submit(c, HM_BLK_WRITE, off, 0, len, 2);
    if (!e)
        e = hm_blk_submit(c, HM_BLK_WRITE, off, 0, len, 3);
    if (!e)
        e = hm_blk_submit(c, HM_BLK_READ, off, FB_B, len, 4);
    for (int done = 0; !e && done < 3; done++) {
        struct hm_blk_cpl cpl;
        e = next_cpl(c, &cpl);
        t->calls++;
        if (!e && cpl.status != (cpl.id == 4 ? 0 : wst))
            fz_broke(run, "%s, overlapping requests at %lu: request %lu status %d", t->name, (unsigned long)off,
                     (unsigned long)cpl.id, cpl.status);
    }
    if (e)
        fz_broke(run, "%s, overlapping requests at %lu: %s", t->name, (unsigned long)off, strerror(-e));
    else if (memcmp(c->data, c->data + FB_B, len))
        fz_broke(run, "%s, overlapping requests at %lu: the read did not return what both writes wrote", t->name,
                 (unsigned long)off);
}

/* a request rewritten in the ring just after the doorbell */
static void scribbled(struct fz_run *run, struct fz_target *t, struct hm_blk_client *c)
{
    struct hm_blk_req good = { .op = HM_BLK_READ };
    pick_range(c, &good.offset, &good.len);
    struct hm_blk_req bad = bad_request(c);
    uint32_t slot = c->sh->sq_tail % c->entries;
    int e = hm_blk_submit(c, good.op, good.offset, 0, good.len, 9);
    volatile struct hm_blk_req *q = &c->sq[slot];
    q->op = bad.op;
    q->offset = bad.offset;
    q->len = bad.len;
    q->data_off = bad.data_off;
    struct hm_blk_cpl cpl;
    if (!e)
        e = next_cpl(c, &cpl);
    t->calls++;
    int a = hm_blk_check(&good, c->size, c->lbs, c->ro, c->data_size);
    int b = hm_blk_check(&bad, c->size, c->lbs, c->ro, c->data_size);
    if (e)
        fz_broke(run, "%s, a request changed after the doorbell: no completion (%s)", t->name, strerror(-e));
    else if (cpl.status != a && cpl.status != b)
        fz_broke(run, "%s, a request changed after the doorbell: status %d, neither %d nor %d", t->name, cpl.status,
                 a, b);
}

/* the submission index pushed past the ring: the driver stops the session */
static int corrupt(struct fz_run *run, struct fz_target *t, struct hm_blk_client *c)
{
    c->sh->sq_tail = c->sh->sq_head + c->entries + 1 + (uint32_t)(fz_rand() % 100000);
    hm_notif_signal(c->doorbell, HM_BLK_DOORBELL_BIT);
    struct hm_blk_cpl cpl;
    int e = next_cpl(c, &cpl);
    t->calls++;
    t->refused++;
    if (e != -EIO)
        fz_broke(run, "%s, a corrupt ring index: the session was not stopped (%s)", t->name, strerror(-e));
    return 1;   /* the session is dead: nothing more on it */
}

void fz_blk_session(struct fz_run *run, struct fz_target *t)
{
    struct hm_blk_client c;
    int st = hm_blk_open(&c, t->h, 8, FB_DATA, &sh_buf);
    t->calls++;
    if (st) {
        /* EPIPE: the driver is restarting (a crash the run counts anyway) */
        if (st != -EPIPE)
            fz_broke(run, "%s, a well-formed session refused: %s (slots of clients that went not freed?)", t->name,
                     strerror(-st));
        t->refused++;
        return;
    }
    run->hostile++;
    int dead = 0;
    for (int n = 1 + (int)(fz_rand() % 4); n > 0 && !dead; n--) {
        switch (fz_rand() % 8) {
        case 0: case 1: case 2: bad_requests(run, t, &c); break;
        case 3: case 4: overlapping(run, t, &c); break;
        case 5: case 6: scribbled(run, t, &c); break;
        default: dead = corrupt(run, t, &c); break;
        }
    }
    if (fz_rand() % 3 == 0) {
        /* it goes as a client that dies: reads in flight, no DETACH */
        for (int i = 0; !dead && i < 4; i++) {
            uint64_t off;
            uint32_t len;
            pick_range(&c, &off, &len);
            hm_blk_submit(&c, HM_BLK_READ, off, (uint64_t)i * 8192, len > 8192 ? 8192 : len, 100 + (uint64_t)i);
        }
        hm_handle_close(c.session);
        c.session = HM_HANDLE_INVALID;
        run->abandoned++;
    }
    hm_blk_close(&c);
}
