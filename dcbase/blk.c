/*
 * DC-solo, the host half: the disks Linux announces (dc_host_disk_add) are
 * published as /dev nodes through devmgr, and clients' block sessions
 * (hm/blk.h) on them are served by handing their requests to Linux
 * (dc_host_blk_fetch) and posting Linux's completions back.
 *
 * Threads: the main thread answers control IPC (INFO, ATTACH, DETACH,
 * IOCTL) from this table alone, never entering Linux; the publisher thread
 * talks to devmgr; fetch/complete run on Linux's CPU thread. A session slot
 * is written by the main thread only while inactive (attach) and freed by
 * the CPU thread only (reap), so they need no lock; "closing" is the one
 * word both write.
 */
#include "dcbase.h"
#include <dc_host.h>
#include <hm/blk.h>
#include <hm/blksrv.h>
#include <hm/dc.h>
#include <hm/dm.h>
#include <hm/vfs.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>

#define MAX_DISKS    32
#define MAX_SESSIONS 64
#define MAX_IOS      1024          /* requests in flight in Linux, all sessions */

static struct disk {
    volatile int state;   /* 0 none, 1 to publish, 2 published, 3 gone */
    char name[HM_DM_NAME_MAX];
    uint64_t size;
    uint32_t lbs;
    int ro;
    uint64_t where;   /* the device it sits on (hm/dm.h HM_DM_REGISTER w2) */
    int twin;         /* -1: Linux serves it; else the twin that does (twin.c) */
    uint64_t start;   /* with a twin: its first byte on its unit */
    int unit;         /* with a twin: the logical unit it is on (UFS LUN; 0 for virtio-blk) */
    int changed;            /* size or read-only changed: the publisher tells the twin and vfs */
} disks[MAX_DISKS];

static struct hm_blk_srv_session sessions[MAX_SESSIONS];

/* requests in Linux: the cookie is the record; CPU thread only */
static struct io {
    struct hm_blk_srv_session *s;
    uint64_t id;
    uint32_t len;
    struct io *next;
} ios[MAX_IOS], *io_free;
static int ios_ready;
/* requests Linux took and has not completed, and a count that moves at
 * each take and completion (Linux's threads write them, the heartbeat's
 * probe reads them: alive.c) */
static uint64_t io_waiting, io_progress_count;

static void io_progress(void)
{
    __atomic_add_fetch(&io_progress_count, 1, __ATOMIC_SEQ_CST);
}

uint64_t dc_blk_progress(uint64_t *waiting)
{
    *waiting = __atomic_load_n(&io_waiting, __ATOMIC_SEQ_CST);
    return __atomic_load_n(&io_progress_count, __ATOMIC_SEQ_CST);
}
static unsigned next_session;   /* round robin between sessions */
static hm_handle_t pub_notif = HM_HANDLE_INVALID;
static volatile int publishing;

/* ---- Linux side calls (CPU thread) ---- */
_Static_assert(DC_WHERE_PCI == HM_DM_WHERE_PCI, "dc_host.h and hm/dm.h agree");

int dc_host_disk_add(int id, const char *name, unsigned long long size, unsigned int lbs, int ro,
                     unsigned long long where, int twin, unsigned long long start, int unit)
{
    if (id < 0 || id >= MAX_DISKS || !name[0] || strlen(name) >= HM_DM_NAME_MAX)
        return -EINVAL;
    struct disk *d = &disks[id];
    strcpy(d->name, name);
    d->size = size;
    d->lbs = lbs ? lbs : 512;
    d->ro = ro;
    d->where = where;
    d->twin = twin;
    d->start = start;
    d->unit = unit;
    __asm__ volatile("dmb ish" ::: "memory");
    d->state = 1;
    publishing = 1;
    hm_notif_signal(pub_notif, 1);
    return 0;
}

void dc_host_disk_change(int id, unsigned long long size, int ro)
{
    if (id < 0 || id >= MAX_DISKS || !disks[id].state)
        return;
    disks[id].size = size;   /* single aligned stores: INFO answers old or new */
    disks[id].ro = ro;
    __atomic_store_n(&disks[id].changed, 1, __ATOMIC_SEQ_CST);   /* after them */
    publishing = 1;
    hm_notif_signal(pub_notif, 1);
}

void dc_host_disk_remove(int id)
{
    if (id >= 0 && id < MAX_DISKS && disks[id].state)
        disks[id].state = 3;   /* new requests fail; vfs keeps the node (no unregister yet) */
}

int dc_host_blk_fetch(struct dc_blk_io *out)
{
    if (!ios_ready) {
        for (int i = 0; i < MAX_IOS; i++) {
            ios[i].next = io_free;
            io_free = &ios[i];
        }
        ios_ready = 1;
    }
    for (unsigned k = 0; k < MAX_SESSIONS; k++) {
        struct hm_blk_srv_session *s = &sessions[(next_session + k) % MAX_SESSIONS];
        if (!s->active)
            continue;
        if (s->closing) {
            if (s->inflight == 0)
                hm_blk_srv_release(s);
            continue;
        }
        struct hm_blk_shared *sh = s->sh;
        int posted = 0;
        while (!sh->broken && io_free) {
            int n = hm_blk_pending(sh->sq_head, sh->sq_tail, s->entries);
            int used = hm_blk_pending(sh->cq_head, sh->cq_tail, s->entries);
            if (n < 0 || used < 0) {
                sh->broken = 1;   /* corrupt indexes: the session gets no more work */
                posted = 1;
                break;
            }
            if (n == 0 || (uint32_t)used + s->inflight >= s->entries)
                break;
            struct hm_blk_req r = s->sq[sh->sq_head % s->entries];   /* a copy: the client may scribble */
            sh->sq_head++;
            struct disk *d = &disks[s->owner];
            int err = d->state == 2 ? hm_blk_check(&r, d->size, d->lbs, d->ro, s->data_size) : -ENODEV;
            if (err) {
                hm_blk_srv_post(s, r.id, err, 0);
                posted = 1;
                continue;
            }
            struct io *io = io_free;
            io_free = io->next;
            *io = (struct io){ s, r.id, r.len, NULL };
            s->inflight++;
            *out = (struct dc_blk_io){ io, s->owner, r.op, r.offset, r.len, s->data + r.data_off, 0 };
            io_progress();
            __atomic_add_fetch(&io_waiting, 1, __ATOMIC_SEQ_CST);
            out->fault = dc_fault_point(0);
            if (posted)
                hm_notif_signal(s->client, s->client_bits);
            next_session = (unsigned)(s - sessions) + 1;   /* the next call starts after this one */
            return 1;
        }
        if (posted)
            hm_notif_signal(s->client, s->client_bits);
    }
    return 0;
}

void dc_host_blk_complete(void *cookie, int status)
{
    struct io *io = cookie;
    struct hm_blk_srv_session *s = io->s;
    dc_fault_point(1);
    io_progress();
    __atomic_sub_fetch(&io_waiting, 1, __ATOMIC_SEQ_CST);
    s->inflight--;
    hm_blk_srv_post(s, io->id, status, status ? 0 : io->len);
    hm_notif_signal(s->client, s->client_bits);
    io->next = io_free;
    io_free = io;
    if (s->closing && s->inflight == 0)
        hm_notif_signal(dc_events, DC_EV_KICK);   /* the block thread reaps it */
}

/* ---- control requests (main thread; main.c's table) ---- */

/* the published disk a DC_FROM_DISK caller's handle names, or NULL */
static struct disk *disk_of(uint64_t badge, int *id)
{
    uint64_t i = badge & ~DC_DISK_BADGE;
    if (i >= MAX_DISKS || disks[i].state != 2)
        return NULL;
    *id = (int)i;
    return &disks[i];
}

int dc_blk_info(struct hm_srv_req *r)
{
    int id;
    struct disk *d = disk_of(r->m.badge, &id);
    if (!d)
        return -ENODEV;
    hm_blk_srv_info(&r->m, d->size, d->lbs, d->ro);
    return 0;
}

int dc_blk_ioctl(struct hm_srv_req *r)
{
    int id;
    struct disk *d = disk_of(r->m.badge, &id);
    return d ? hm_blk_srv_ioctl(&r->m, d->size, d->lbs, d->ro) : -ENODEV;
}

/* ATTACH: h[0] the client's shared memory, h[1] its notification */
int dc_blk_attach(struct hm_srv_req *r)
{
    int id;
    struct disk *d = disk_of(r->m.badge, &id);
    if (!d)
        return -ENODEV;
    if (d->twin >= 0) {
        /* DC-twin: the twin serves the session; we only say which bytes are the disk's */
        int err = dc_twin_attach(d->twin, r, d->start, d->size, d->ro, d->lbs, id, d->unit);
        if (!err) {
            r->reply_handles = 2;
            r->reply_move = 1;
        }
        return err;
    }
    /* sessions of clients that died are let go first (their requests in
     * flight finish): slots and memory must not run out under clients
     * that come and go */
    int gone = hm_blk_srv_abandoned(sessions, MAX_SESSIONS);
    if (gone) {
        dc_log_printf("dcbase: %d block session(s) whose client is gone: released once their requests are done\n",
                      gone);
        hm_notif_signal(dc_events, DC_EV_KICK);
    }
    if (!hm_blk_srv_slot_free(sessions, MAX_SESSIONS))   /* Linux's block thread frees detached ones */
        hm_blk_srv_reclaim(sessions, MAX_SESSIONS, dc_events, DC_EV_KICK, 1);
    /* any memory will do: Linux copies through its own pages */
    int slot = hm_blk_srv_attach(sessions, MAX_SESSIONS, r->h[0], r->h[1], r->m.w[0], r->m.w[1], 0);
    r->h[0] = r->h[1] = HM_HANDLE_INVALID;   /* taken in every case */
    if (slot < 0)
        return slot;
    sessions[slot].owner = id;
    if (hm_blk_srv_grant(sessions, slot, dc_bell, dc_ep, r->buf->handles)) {
        hm_blk_srv_release(&sessions[slot]);   /* never served: ours to free */
        return -ENOMEM;
    }
    hm_blk_srv_publish(&sessions[slot]);
    r->reply_handles = 2;
    r->reply_move = 1;
    return 0;
}

/* DETACH on a session handle */
int dc_blk_detach(struct hm_srv_req *r)
{
    int slot = hm_blk_srv_lookup(sessions, MAX_SESSIONS, r->m.badge);
    if (slot < 0)
        return -EINVAL;
    sessions[slot].closing = 1;   /* Linux finishes its requests, then the slot is freed */
    hm_notif_signal(dc_events, DC_EV_KICK);
    return 0;
}

/* ---- publishing nodes through devmgr (its own thread: it calls out):
 * disks here, character devices in chr.c ---- */
static struct hm_ipc_buf pub_buf;

/* Linux's control plane changed a disk (its capacity): its twin and vfs
 * hear the new size */
static void push_change(struct disk *d, int id)
{
    int err = d->twin >= 0 ? dc_twin_resize(d->twin, id, d->size, d->ro) : 0;
    if (err)
        dc_log_printf("dcbase: %s: twin %d did not take the new size: %s\n", d->name, d->twin, strerror(-err));
    memset(pub_buf.words, 0, HM_DM_NAME_MAX);
    memcpy(pub_buf.words, d->name, strlen(d->name));
    struct hm_msg m = { .tag = HM_TAG(HM_DM_RESIZE, HM_DM_NAME_MAX / 8, 0), .w = { 0, d->size } };
    long r = dc_dm < 0 ? -HM_EINVAL : hm_call(dc_dm, &m);
    dc_log_printf("dcbase: %s is now %llu bytes%s%s%s\n", d->name, (unsigned long long)d->size,
                  d->ro ? ", read-only" : "", d->twin >= 0 && !err ? "; its twin knows" : "",
                  r >= 0 && !HM_TAG_LABEL(m.tag) ? "; vfs knows" : "; vfs could not be told");
}

int dc_publish(struct hm_ipc_buf *buf, const char *name, uint64_t type, uint64_t size, uint64_t where, uint64_t badge)
{
    long h = hm_handle_dup(dc_ep, HM_R_SEND | HM_R_GRANT | HM_R_DUP, badge);
    if (h < 0)
        return -ENOMEM;
    memset(buf->words, 0, HM_DM_NAME_MAX);
    memcpy(buf->words, name, strlen(name));
    buf->handles[0] = (hm_handle_t)h;
    struct hm_msg m = { .tag = HM_TAG(HM_DM_REGISTER, HM_DM_NAME_MAX / 8, 1) | HM_TAG_MOVE, .w = { type, size, where } };
    long r = hm_call(dc_dm, &m);
    return r < 0 ? -EIO : -(int)HM_TAG_LABEL(m.tag);
}

static void *publisher(void *arg)
{
    (void)arg;
    hm_ipc_buf_set(&pub_buf);
    for (;;) {
        uint64_t bits;
        publishing = 1;
        for (int i = 0; i < MAX_DISKS; i++) {
            struct disk *d = &disks[i];
            /* cleared before the size is read: a newer change is pushed next round */
            if (d->state == 2 && __atomic_exchange_n(&d->changed, 0, __ATOMIC_SEQ_CST))
                push_change(d, i);
            if (d->state != 1)
                continue;
            d->state = 2;   /* served from now on, even if devmgr cannot publish it */
            if (dc_dm < 0)
                continue;
            int err = dc_publish(&pub_buf, d->name, HM_VFS_BLK, d->size, d->where, DC_DISK_BADGE | (uint64_t)i);
            if (err)
                dc_log_printf("dcbase: devmgr did not publish /dev/%s: %s\n", d->name, strerror(-err));
            else
                dc_log_printf("dcbase: /dev/%s published (%llu bytes)\n", d->name, (unsigned long long)d->size);
        }
        dc_chr_publish(&pub_buf);
        publishing = 0;
        hm_notif_wait(pub_notif, HM_DEADLINE_NEVER, &bits);
    }
    return NULL;
}

void dc_blk_publish_start(void)
{
    static struct hm_thread t;
    pub_notif = (hm_handle_t)hm_notif_create();
    publishing = 1;
    if (pub_notif < 0 || hm_thread_start(&t, publisher, NULL, DC_PRIO_SERVICE, 1) < 0)
        dc_log_printf("dcbase: cannot start the publisher: disks will not appear in /dev\n");
}

int dc_blk_publish_idle(void)
{
    for (int i = 0; i < MAX_DISKS; i++)
        if (disks[i].state == 1)
            return 0;
    return !publishing && !dc_chr_publish_pending();
}

void dc_publish_kick(void)
{
    publishing = 1;
    hm_notif_signal(pub_notif, 1);
}
