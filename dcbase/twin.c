/*
 * DC-twin, the host half (hm/twin.h). Linux's half (arch/hm twin.c,
 * twin_ufs.c) drains a virtio-blk device's queue, or holds a UFS
 * controller's SCSI queues, and calls dc_host_twin_handoff or
 * dc_host_twin_ufs_handoff; here the device's interrupt is given up and
 * devmgr asked to start the twin with Linux's state. From then on:
 *   - clients' ATTACHes on the device's disks are passed to the twin with
 *     the disk's byte range (dc_twin_attach): their requests never enter
 *     the container;
 *   - the twin reports configuration changes and I/O errors on our
 *     endpoint (dc_twin_event, dc_twin_error); Linux hears them as DC_EV_TWIN and
 *     handles them with its own driver and block layer;
 *   - what Linux's control plane changes (a disk's size) goes back to the
 *     twin (dc_twin_resize, from the publisher in blk.c);
 *   - a UFS twin forwards Linux's share of the controller's interrupt
 *     (HM_TWIN_EV_IRQ): raised as that interrupt's event bit, answered
 *     once Linux's handler ran (its eoi signals eoi_notif: host.c);
 *   - an injected link recovery (fault.c) is run by Linux's dc-twin thread.
 *
 * Threads: the hand-off's call to devmgr runs on a thread of its own (the
 * CPU thread has no IPC buffer and must not use picolibc); error reports
 * arrive on the main thread, which waits (at most ERR_WAIT_MS) for Linux's
 * verdict while the CPU thread computes it.
 */
#include "dcbase.h"
#include <dc_host.h>
#include <hm/blk.h>
#include <hm/dc.h>
#include <hm/dm.h>
#include <hm/twin.h>
#include <errno.h>
#include <string.h>

#define MAX_TWINS 8
#define ERR_WAIT_MS 1000

static hm_handle_t twin_ep[MAX_TWINS];   /* the twins' endpoints (badged for us) */
static volatile int ntwins;
static int config_pending[MAX_TWINS];

/* the hand-off in progress: CPU thread -> twin thread and back: the
 * words of hm/twin.h's state, the device's registers and interrupt slot */
static uint64_t req_words[HM_TWIN_UFS_STATE_WORDS > HM_TWIN_STATE_WORDS ? HM_TWIN_UFS_STATE_WORDS
                                                                       : HM_TWIN_STATE_WORDS];
static unsigned req_nwords;
static unsigned long long req_mmio;
static volatile int req_result;
static hm_handle_t req_notif = HM_HANDLE_INVALID, done_notif = HM_HANDLE_INVALID;
static struct hm_ipc_buf twin_buf;
/* interrupts the twins forward (UFS): twin k's slot, and Linux's eoi */
static int twin_irq[MAX_TWINS] = { -1, -1, -1, -1, -1, -1, -1, -1 };
static hm_handle_t eoi_notif = HM_HANDLE_INVALID;
#define FWD_WAIT_MS 1000

/* the error report the main thread waits on: state 0 none, 1 for Linux,
 * 2 Linux has it; the verdict comes tagged with the report's sequence
 * number (seq << 16 | errno), so a late one cannot answer the next */
static struct {
    int state;
    uint64_t seq;
    struct dc_twin_event ev;
    uint64_t verdict;
} report;
static hm_handle_t verdict_notif = HM_HANDLE_INVALID;

/* ---- hand-off ---- */
static int ask_devmgr(void)
{
    int k = ntwins;
    long ram = hm_handle_dup(dc_ram, HM_R_READ | HM_R_WRITE | HM_R_MAP | HM_R_GRANT, 0);
    long back = hm_handle_dup(dc_ep, HM_R_SEND | HM_R_GRANT, DC_TWIN_BADGE | (uint64_t)k);
    if (ram < 0 || back < 0) {
        if (ram >= 0)
            hm_handle_close((hm_handle_t)ram);
        if (back >= 0)
            hm_handle_close((hm_handle_t)back);
        dc_log_printf("dcbase: twin hand-off: out of handles\n");
        return -ENOMEM;
    }
    memcpy(twin_buf.words, req_words, req_nwords * 8);
    twin_buf.handles[0] = (hm_handle_t)ram;
    twin_buf.handles[1] = (hm_handle_t)back;
    struct hm_msg m = { .tag = HM_TAG(HM_DM_TWIN, req_nwords, 2) | HM_TAG_MOVE };
    long r = hm_call(dc_dm, &m);
    if (r < 0 || HM_TAG_LABEL(m.tag) || HM_TAG_NHANDLES(m.tag) != 1) {
        dc_log_printf("dcbase: devmgr did not start a twin for the device at 0x%llx: %s\n", req_mmio,
                      r < 0 ? hm_strerror(r) : HM_TAG_LABEL(m.tag) ? strerror((int)HM_TAG_LABEL(m.tag)) : "no endpoint");
        for (unsigned i = 0; r >= 0 && i < HM_TAG_NHANDLES(m.tag); i++)
            hm_handle_close(twin_buf.handles[i]);
        return r < 0 ? -EIO : HM_TAG_LABEL(m.tag) ? -(int)HM_TAG_LABEL(m.tag) : -EIO;
    }
    twin_ep[k] = twin_buf.handles[0];
    __asm__ volatile("dmb ish" ::: "memory");
    ntwins = k + 1;
    dc_log_printf("dcbase: twin %d serves the data plane of the device at 0x%llx\n", k, req_mmio);
    return k;
}

static void *twin_thread(void *arg)
{
    (void)arg;
    hm_ipc_buf_set(&twin_buf);
    for (;;) {
        uint64_t bits;
        if (hm_notif_wait(req_notif, HM_DEADLINE_NEVER, &bits) < 0)
            continue;
        req_result = ask_devmgr();
        hm_notif_signal(done_notif, 1);
    }
    return NULL;
}

void dc_twin_start(void)
{
    static struct hm_thread t;
    long a = hm_notif_create(), b = hm_notif_create(), c = hm_notif_create(), e = hm_notif_create();
    if (a < 0 || b < 0 || c < 0 || e < 0 || hm_thread_start(&t, twin_thread, NULL, DC_PRIO_SERVICE, 1) < 0) {
        dc_log_printf("dcbase: cannot start the twin thread: Linux keeps every data plane\n");
        return;
    }
    done_notif = (hm_handle_t)b;
    verdict_notif = (hm_handle_t)c;
    eoi_notif = (hm_handle_t)e;
    __asm__ volatile("dmb ish" ::: "memory");
    req_notif = (hm_handle_t)a;
}

/* CPU thread: system calls and plain memory only. The words are sent;
 * the device's interrupt is given up first (and taken back on failure);
 * fwd: from then on the twin forwards it. */
static int handoff(const void *words, unsigned nwords, unsigned long long mmio, unsigned irq, int fwd)
{
    if (req_notif < 0 || dc_dm < 0)
        return -ENODEV;   /* no thread to ask with, or no devmgr to ask */
    if (ntwins == MAX_TWINS)
        return -ENOSPC;
    int n = dc_irq_release(irq);
    if (n < 0)
        return -ENOENT;   /* Linux never bound it here: not a device of ours */
    memcpy(req_words, words, nwords * 8);
    req_nwords = nwords;
    req_mmio = mmio;
    if (fwd) {
        /* before devmgr starts the twin: it may forward at once */
        twin_irq[ntwins] = n;
        dc_irq_forwarded(n, eoi_notif);
    }
    hm_notif_signal(req_notif, 1);
    uint64_t bits;
    /* no time limit: devmgr answers once the twin is spawned (or not) */
    while (hm_notif_wait(done_notif, HM_DEADLINE_NEVER, &bits) < 0)
        ;
    if (req_result < 0 && fwd)
        twin_irq[ntwins] = -1;
    if (req_result < 0 && dc_irq_restore(n) < 0)
        return -EBUSY;   /* worse: neither Linux nor a twin hears the device */
    return req_result;
}

int dc_host_twin_handoff(const struct dc_twin_state *st)
{
    struct hm_twin_state hs = { .mmio = st->mmio, .ram_base = dc_ram_base, .desc = st->desc, .avail = st->avail,
                                .used = st->used, .features = st->features, .capacity = st->capacity,
                                .irq = st->irq, .num = st->num, .idx = st->idx, .ro = st->ro, .lbs = st->lbs };
    return handoff(&hs, HM_TWIN_STATE_WORDS, st->mmio, st->irq, 0);
}

int dc_host_twin_ufs_handoff(const struct dc_twin_ufs_state *st)
{
    struct hm_twin_ufs_state hs = { .mmio = st->mmio, .ram_base = dc_ram_base, .utrl = st->utrl, .link = st->link,
                                    .irq = st->irq, .nutrs = st->nutrs, .slots = st->slots };
    return handoff(&hs, HM_TWIN_UFS_STATE_WORDS, st->mmio, st->irq, 1);
}

/* ---- after the hand-off (main thread) ---- */
int dc_twin_attach(int twin, struct hm_srv_req *r, uint64_t start, uint64_t size, int ro, uint32_t lbs, int disk,
                   int unit)
{
    if (twin < 0 || twin >= ntwins)
        return -EINVAL;
    /* the client's handles are copied on to the twin (ours are closed by
     * the server loop, whatever happens), and its answer's handles land in
     * our IPC buffer for our reply */
    r->buf->handles[0] = r->h[0];
    r->buf->handles[1] = r->h[1];
    struct hm_msg f = { .tag = HM_TAG(HM_TWIN_ATTACH, 0, 2),
                        .w = { r->m.w[0], r->m.w[1], start, size, (uint64_t)!!ro | (uint64_t)lbs << 32,
                               (uint64_t)(uint32_t)disk | (uint64_t)(uint32_t)unit << 32 } };
    if (hm_call(twin_ep[twin], &f) < 0)
        return -EIO;   /* the twin is gone: the client's session cannot start */
    if (HM_TAG_LABEL(f.tag) || HM_TAG_NHANDLES(f.tag) != 2) {
        for (unsigned i = 0; i < HM_TAG_NHANDLES(f.tag); i++)
            hm_handle_close(r->buf->handles[i]);
        return HM_TAG_LABEL(f.tag) ? -(int)HM_TAG_LABEL(f.tag) : -EIO;
    }
    return 0;
}

int dc_twin_resize(int twin, int disk, uint64_t size, int ro)
{
    if (twin < 0 || twin >= ntwins)
        return -EINVAL;
    struct hm_msg m = { .tag = HM_TAG(HM_TWIN_RESIZE, 0, 0), .w = { (uint64_t)disk, size, (uint64_t)ro } };
    long r = hm_call(twin_ep[twin], &m);
    return r < 0 ? -EIO : -(int)HM_TAG_LABEL(m.tag);
}

/* the twin a DC_FROM_TWIN caller's handle names, or -1 */
static int twin_of(uint64_t badge)
{
    uint64_t k = badge & ~DC_TWIN_BADGE;
    return k < (uint64_t)ntwins ? (int)k : -1;
}

/* HM_DC_TWIN_EVENT: the device raised a configuration change, or the
 * shared interrupt has a cause for Linux's driver: raised as its own
 * interrupt; answered once Linux's handler ran (its eoi) */
int dc_twin_event(struct hm_srv_req *r)
{
    int k = twin_of(r->m.badge);
    uint64_t kb = r->m.badge & ~DC_TWIN_BADGE;
    if (r->m.w[0] == HM_TWIN_EV_IRQ && kb < MAX_TWINS)
        k = (int)kb;   /* a UFS twin may forward while its hand-off completes (twin_irq is set first) */
    if (k < 0 || (r->m.w[0] != HM_TWIN_EV_CONFIG && r->m.w[0] != HM_TWIN_EV_IRQ))
        return -EINVAL;
    if (r->m.w[0] == HM_TWIN_EV_CONFIG) {
        __atomic_store_n(&config_pending[k], 1, __ATOMIC_SEQ_CST);
        hm_notif_signal(dc_events, DC_EV_TWIN);
        return 0;
    }
    int n = twin_irq[k];
    if (n < 0)
        return -EINVAL;   /* its interrupt is not forwarded */
    uint64_t bits;
    hm_notif_wait(eoi_notif, hm_now(), &bits);   /* an eoi of Linux's own raising, before this */
    hm_notif_signal(dc_events, 1ull << (DC_EV_IRQ0 + n));
    if (hm_notif_wait(eoi_notif, hm_deadline_ms(FWD_WAIT_MS), &bits) < 0) {
        dc_log_printf("dcbase: Linux did not handle twin %d's forwarded interrupt in %d ms\n", k, FWD_WAIT_MS);
        return -ETIMEDOUT;
    }
    return 0;
}

/* HM_DC_TWIN_ERROR: a request failed on the device; w0 the status its
 * client gets, from Linux's verdict */
int dc_twin_error(struct hm_srv_req *r)
{
    int k = twin_of(r->m.badge);
    if (k < 0)
        return -EINVAL;
    const uint64_t *w = r->m.w;
    uint64_t seq = report.seq + 1;
    report.ev = (struct dc_twin_event){ .twin = k, .kind = DC_TWIN_ERROR, .op = (unsigned)w[0], .len = (unsigned)w[2],
                                        .status = (unsigned)w[3], .unit = (unsigned)w[4], .tries = (unsigned)w[5],
                                        .sector = w[1], .cookie = (void *)(uintptr_t)seq };
    __atomic_store_n(&report.seq, seq, __ATOMIC_SEQ_CST);
    __atomic_store_n(&report.state, 1, __ATOMIC_SEQ_CST);   /* publishes ev */
    hm_notif_signal(dc_events, DC_EV_TWIN);
    uint64_t deadline = hm_deadline_ms(ERR_WAIT_MS), bits, v;
    while ((v = __atomic_load_n(&report.verdict, __ATOMIC_SEQ_CST)) >> 16 != seq &&
           hm_notif_wait(verdict_notif, deadline, &bits) >= 0)
        ;
    __atomic_store_n(&report.state, 0, __ATOMIC_SEQ_CST);
    int err = v >> 16 == seq ? (int)(v & 0xffff) : 0;
    if (!err)
        dc_log_printf("dcbase: Linux gave no verdict on twin %d's I/O error in %d ms: EIO\n", k, ERR_WAIT_MS);
    r->m.w[0] = (uint64_t)(int64_t)-(err ? err : EIO);
    return 0;
}

/* CPU thread */
static int link_reset_pending;

/* an injected link recovery (fault.c): Linux's dc-twin thread runs it */
int dc_twin_link_reset(void)
{
    int shared = 0;
    for (int k = 0; k < ntwins; k++)
        shared |= twin_irq[k] >= 0;
    if (!shared)
        return -ENOTSUP;   /* no UFS twin here: no controller Linux shares with one */
    __atomic_store_n(&link_reset_pending, 1, __ATOMIC_SEQ_CST);
    hm_notif_signal(dc_events, DC_EV_TWIN);
    return 0;
}

/* an injected DMA outside the container (fault.c): Linux's dc-twin thread
 * sends the read (arch/hm fault_dma.c) */
static struct dc_twin_event dma_fault;
static int dma_fault_pending;

void dc_twin_fault_dma(uint64_t phys, const char disk[8])
{
    dma_fault = (struct dc_twin_event){ .twin = -1, .kind = DC_FAULT_DMA, .phys = phys };
    memcpy(dma_fault.disk, disk, sizeof dma_fault.disk);
    dma_fault.disk[sizeof dma_fault.disk - 1] = 0;
    __atomic_store_n(&dma_fault_pending, 1, __ATOMIC_SEQ_CST);
    hm_notif_signal(dc_events, DC_EV_TWIN);
}

int dc_host_twin_next(struct dc_twin_event *ev)
{
    if (__atomic_exchange_n(&link_reset_pending, 0, __ATOMIC_SEQ_CST)) {
        *ev = (struct dc_twin_event){ .twin = -1, .kind = DC_TWIN_LINK_RESET };
        return 1;
    }
    if (__atomic_exchange_n(&dma_fault_pending, 0, __ATOMIC_SEQ_CST)) {
        *ev = dma_fault;
        return 1;
    }
    for (int k = 0; k < ntwins; k++)
        if (__atomic_exchange_n(&config_pending[k], 0, __ATOMIC_SEQ_CST)) {
            *ev = (struct dc_twin_event){ .twin = k, .kind = DC_TWIN_CONFIG };
            return 1;
        }
    int one = 1;
    if (__atomic_compare_exchange_n(&report.state, &one, 2, 0, __ATOMIC_SEQ_CST, __ATOMIC_SEQ_CST)) {
        *ev = report.ev;
        return 1;
    }
    return 0;
}

void dc_host_twin_verdict(void *cookie, int status)
{
    uint64_t seq = (uint64_t)(uintptr_t)cookie;
    int err = -status;   /* kept positive below: it shares a word with the sequence number */
    if (err <= 0 || err > 0xffff)
        err = EIO;
    /* a verdict for a report the main thread stopped waiting for is
     * ignored there: its sequence number is not the one it waits on */
    __atomic_store_n(&report.verdict, seq << 16 | (uint64_t)err, __ATOMIC_SEQ_CST);
    hm_notif_signal(verdict_notif, 1);
}
