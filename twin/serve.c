/* Block sessions (hm/blk.h) served straight from a device's queue (serve.h):
 * the data-plane thread of ndc and of the twins. It waits on one
 * notification for the device's interrupt and clients' doorbells, completes
 * what the device finished, and moves what clients queued onto the device.
 *
 * Concurrency: the control thread writes a session slot only while it is
 * inactive (vs_attach) or sets "closing" (vs_detach) and the size words
 * (vs_resize); everything else is the data-plane thread's. */
#include "serve.h"
#include <errno.h>
#include <stdio.h>
#include <string.h>

struct vs_session vs_sessions[VS_MAX_SESSIONS];
static struct hm_blk_srv_session srv_tab[VS_MAX_SESSIONS];   /* the blksrv view of vs_sessions[i].s */
static const struct vs_dev *dev;
static hm_handle_t notif, irq_h;
static const struct vs_ops *ops;
static const char *who;

/* pausing (the twin, while a new LDC re-probes its device): 0 serving,
 * 1 asked to pause (no new requests go to the device; those on it finish),
 * 2 paused (the device is not touched); the data-plane thread signals
 * pause_done once paused */
static int pause_state;
static hm_handle_t pause_done;

static struct vs_session *vs_of(struct hm_blk_srv_session *s) { return &vs_sessions[s - srv_tab]; }

void vs_finish(struct vs_session *v, uint64_t id, int err)
{
    struct hm_blk_srv_session *s = &srv_tab[v - vs_sessions];
    s->inflight--;
    hm_blk_srv_post(s, id, err, 0);
    hm_notif_signal(s->client, s->client_bits);
}

static void done(const struct vs_req *rq, uint32_t status)
{
    struct hm_blk_srv_session *s = rq->owner;
    if (status && ops->error && ops->error(vs_of(s), rq, status))
        return;   /* the program completes it later (vs_finish) */
    s->inflight--;
    int err = status ? dev->errno_of(status) : 0;
    hm_blk_srv_post(s, rq->id, err, err ? 0 : rq->len);
    hm_notif_signal(s->client, s->client_bits);
}

/* take what the client queued, as far as the device and the rings have room */
static void pump(struct hm_blk_srv_session *s)
{
    struct vs_session *v = vs_of(s);
    struct hm_blk_shared *sh = s->sh;
    int posted = 0;
    while (!sh->broken) {
        int n = hm_blk_pending(sh->sq_head, sh->sq_tail, s->entries);
        int used = hm_blk_pending(sh->cq_head, sh->cq_tail, s->entries);
        if (n < 0 || used < 0) {
            static unsigned logged;   /* the first few: a hostile client must not flood the console */
            sh->broken = 1;
            if (logged++ < 8)
                fprintf(stderr, "%s: session ring indexes corrupt: session stopped%s\n", who,
                        logged == 8 ? " (no more such lines)" : "");
            posted = 1;   /* wake the client so it sees the session is gone */
            break;
        }
        if (n == 0 || (uint32_t)used + s->inflight >= s->entries)
            break;
        struct hm_blk_req r = s->sq[sh->sq_head % s->entries];   /* copy: the client may scribble */
        int err = hm_blk_check(&r, v->size, v->lbs, v->ro, s->data_size);
        if (!err) {
            uint64_t off = v->start + r.offset;
            struct vs_req q = { s, r.id, off / 512, r.op == HM_BLK_FLUSH ? 0 : r.len, r.op, v->unit,
                                s->data_phys + r.data_off, 0 };
            err = dev->submit(dev->dev, &q, off, s->data_phys + r.data_off);
            if (err == -EBUSY)
                break;   /* device queue full: retry on the next completion */
        }
        sh->sq_head++;
        if (err == 0) {
            s->inflight++;
        } else {
            hm_blk_srv_post(s, r.id, err > 0 ? 0 : err, 0);   /* 1: completed at once (flush without cache) */
            posted = 1;
        }
    }
    if (posted)
        hm_notif_signal(s->client, s->client_bits);
}

/* requests to send again (vs_retry), before anything new */
#define VS_MAX_RETRIES 32
static struct vs_req retries[VS_MAX_RETRIES];
static int nretries;

void vs_retry(const struct vs_req *rq)
{
    if (nretries == VS_MAX_RETRIES || rq->tries >= VS_MAX_TRIES) {
        vs_finish(vs_of(rq->owner), rq->id, -EIO);
        return;
    }
    retries[nretries] = *rq;
    retries[nretries++].tries++;
}

static void resubmit(void)
{
    int kept = 0;
    for (int i = 0; i < nretries; i++) {
        struct vs_req *rq = &retries[i];
        int err = kept ? -EBUSY : dev->submit(dev->dev, rq, rq->sector * 512, rq->phys);
        if (err == -EBUSY)
            retries[kept++] = *rq;   /* the device is full: on a later pass */
        else if (err)
            vs_finish(vs_of(rq->owner), rq->id, err < 0 ? err : 0);
    }
    nretries = kept;
}

/* fault injection (HM_TWIN_FAULT): the data plane's next pass crashes */
static int crash_armed;
#define VS_WILD_ADDRESS 0xdead0000ull   /* below every mapping */

void vs_crash(void)
{
    __atomic_store_n(&crash_armed, 1, __ATOMIC_SEQ_CST);
    hm_notif_signal(notif, VS_DOORBELL_BIT);
}

static void *dataplane(void *arg)
{
    /* an interrupt may have come before ours was bound (the twin's
     * start): look at the device once before the first wait */
    uint64_t bits = (uint64_t)(long)arg;
    for (;;) {
        if (__atomic_load_n(&crash_armed, __ATOMIC_SEQ_CST))
            *(volatile uint64_t *)VS_WILD_ADDRESS = 0;   /* the microkernel stops us: devmgr hears of it */
        int ps = __atomic_load_n(&pause_state, __ATOMIC_ACQUIRE);
        if (ps != 2 && (bits & VS_IRQ_BIT)) {
            dev->irq(dev->dev);
            if (!ops->irq_done || ops->irq_done())
                hm_irq_ctl(irq_h, HM_IRQ_ACK);
        }
        if (ops->bits && (bits & ~(VS_IRQ_BIT | VS_DOORBELL_BIT)))
            ops->bits(bits);
        if (ps != 2)
            dev->complete(dev->dev, done);
        if (ps == 0 && nretries)
            resubmit();
        for (int i = 0; i < VS_MAX_SESSIONS; i++) {
            struct hm_blk_srv_session *s = &srv_tab[i];
            if (s->active && s->closing && s->inflight == 0) {
                if (ops->released && vs_sessions[i].dma)
                    ops->released(vs_sessions[i].dma);   /* the device cannot reach it any more */
                vs_sessions[i].dma = 0;
                hm_blk_srv_release(s);
            }
            else if (s->active && !s->closing && ps == 0)
                pump(s);   /* paused: what clients queue waits in their rings */
        }
        if (ps != 2)
            dev->kick(dev->dev);
        if (ps == 1 && dev->inflight(dev->dev) == 0) {
            __atomic_store_n(&pause_state, 2, __ATOMIC_RELEASE);
            hm_notif_signal(pause_done, 1);
        }
        bits = 0;
        hm_notif_wait(notif, HM_DEADLINE_NEVER, &bits);
    }
    return NULL;
}

int vs_pause(hm_handle_t done_notif, uint64_t deadline)
{
    uint64_t bits;
    hm_notif_wait(done_notif, hm_now(), &bits);   /* a late signal of an earlier pause that timed out */
    pause_done = done_notif;
    __atomic_store_n(&pause_state, 1, __ATOMIC_RELEASE);
    hm_notif_signal(notif, VS_DOORBELL_BIT);
    if (hm_notif_wait(done_notif, deadline, &bits) < 0) {
        vs_resume(irq_h);   /* the device did not finish its requests: serve on */
        return -EBUSY;
    }
    return 0;
}

void vs_irq_ack(void)
{
    if (irq_h >= 0 && !vs_paused())
        hm_irq_ctl(irq_h, HM_IRQ_ACK);
}

int vs_paused(void)
{
    return __atomic_load_n(&pause_state, __ATOMIC_ACQUIRE) == 2;
}

void vs_resume(hm_handle_t irq)
{
    irq_h = irq;
    __atomic_store_n(&pause_state, 0, __ATOMIC_RELEASE);
    /* look at the device once: an interrupt may have come before the bind */
    hm_notif_signal(notif, VS_IRQ_BIT | VS_DOORBELL_BIT);
}

int vs_start(const struct vs_dev *d, hm_handle_t n, hm_handle_t irq, const struct vs_ops *o, const char *name, int prio)
{
    static struct hm_thread dp;
    dev = d;
    notif = n;
    irq_h = irq;
    ops = o;
    who = name;
    pause_state = irq < 0 ? 2 : 0;   /* no device yet: paused until vs_resume */
    return hm_thread_start(&dp, dataplane, (void *)(long)VS_IRQ_BIT, prio, 1);
}

/* the newest size and read-only state the control plane gave each key
 * (vs_resize): a session attached after a resize starts with them */
#define VS_MAX_KEYS 32
static struct { int set, ro; uint64_t size; } latest[VS_MAX_KEYS];

/* out of DMA registrations (utwin): detached sessions' buffers leave the
 * translation once the data plane frees them (hm_blk_srv_reclaim) */
void vs_reclaim(void)
{
    hm_blk_srv_reclaim(srv_tab, VS_MAX_SESSIONS, notif, VS_DOORBELL_BIT, 0);
}

int vs_attach(hm_handle_t mem, hm_handle_t cn, uint64_t entries, uint64_t bits, uint64_t start, uint64_t size,
              int ro, int key, int unit, uint32_t lbs, hm_handle_t ep, uint64_t dma, hm_handle_t out[2])
{
    /* sessions of clients that died are let go first: their slots and
     * memory must not run out under clients that come and go */
    static unsigned logged;   /* the first few: a client that comes and goes must not flood the console */
    int gone = hm_blk_srv_abandoned(srv_tab, VS_MAX_SESSIONS);
    if (gone) {
        if (logged++ < 8)
            printf("%s: %d session(s) whose client is gone: released once their requests are done%s\n", who, gone,
                   logged == 8 ? " (no more such lines)" : "");
        hm_notif_signal(notif, VS_DOORBELL_BIT);
    }
    if (!hm_blk_srv_slot_free(srv_tab, VS_MAX_SESSIONS))
        hm_blk_srv_reclaim(srv_tab, VS_MAX_SESSIONS, notif, VS_DOORBELL_BIT, 1);
    int slot = hm_blk_srv_attach(srv_tab, VS_MAX_SESSIONS, mem, cn, entries, bits, 1);
    if (slot < 0)
        return slot;
    struct vs_session *v = &vs_sessions[slot];
    int k = key >= 0 && key < VS_MAX_KEYS && latest[key].set ? key : -1;
    /* written before the data plane can see the slot (hm_blk_srv_publish) */
    v->start = start;
    v->size = k >= 0 ? latest[k].size : size;
    v->ro = k >= 0 ? latest[k].ro : ro;
    v->key = key;
    v->unit = unit;
    v->lbs = lbs;
    v->dma = dma;
    /* the session badge names the slot and its generation, so a stale
     * session handle cannot detach whoever uses the slot next */
    if (hm_blk_srv_grant(srv_tab, slot, notif, ep, out)) {
        hm_blk_srv_release(&srv_tab[slot]);   /* never served: ours to free */
        return -ENOMEM;
    }
    hm_blk_srv_publish(&srv_tab[slot]);
    return 0;
}

int vs_attach_req(struct hm_srv_req *r, uint64_t start, uint64_t size, int ro, int key, int unit, uint32_t lbs,
                  hm_handle_t ep, uint64_t dma)
{
    int st = vs_attach(r->h[0], r->h[1], r->m.w[0], r->m.w[1], start, size, ro, key, unit, lbs, ep, dma,
                       r->buf->handles);
    r->h[0] = r->h[1] = HM_HANDLE_INVALID;   /* vs_attach took them */
    if (!st) {
        r->reply_handles = 2;   /* the doorbell and the session handle, moved to the client */
        r->reply_move = 1;
    }
    return st;
}

int vs_detach(uint64_t badge)
{
    int slot = hm_blk_srv_lookup(srv_tab, VS_MAX_SESSIONS, badge);
    if (slot < 0)
        return -EINVAL;
    srv_tab[slot].closing = 1;   /* the data plane drains and frees it */
    hm_notif_signal(notif, VS_DOORBELL_BIT);
    return 0;
}

void vs_resize(int key, uint64_t size, int ro)
{
    if (key >= 0 && key < VS_MAX_KEYS)
        latest[key].set = 1, latest[key].size = size, latest[key].ro = ro;
    for (int i = 0; i < VS_MAX_SESSIONS; i++)
        if (srv_tab[i].active && vs_sessions[i].key == key) {
            vs_sessions[i].size = size;   /* single aligned stores: the data plane sees old or new */
            vs_sessions[i].ro = ro;
        }
}
