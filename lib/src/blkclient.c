/* Block session client (see hm/blkclient.h). */
#include <hm/blkclient.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

static struct hm_ipc_buf own_buf;

/* ATTACH the session's memory and notification to the driver at c->ep:
 * a new doorbell and session handle. 0 or a negative errno. */
static int attach(struct hm_blk_client *c)
{
    struct hm_ipc_buf *ipcbuf = c->buf;
    long mh = hm_handle_dup(c->mem, HM_R_READ | HM_R_WRITE | HM_R_MAP | HM_R_GRANT, 0);
    long nh = hm_handle_dup(c->notif, HM_R_SIGNAL | HM_R_GRANT, 0);
    if (mh < 0 || nh < 0) {
        if (mh >= 0)
            hm_handle_close((hm_handle_t)mh);
        if (nh >= 0)
            hm_handle_close((hm_handle_t)nh);
        return -ENOMEM;
    }
    ipcbuf->handles[0] = (hm_handle_t)mh;
    ipcbuf->handles[1] = (hm_handle_t)nh;
    struct hm_msg m = { .tag = HM_TAG(HM_BLK_ATTACH, 0, 2) | HM_TAG_MOVE, .w = { c->entries, 1 } };
    long r = hm_call(c->ep, &m);
    if (r < 0) {
        /* a call that failed before staging leaves the moved handles with us */
        hm_handle_close((hm_handle_t)mh);
        hm_handle_close((hm_handle_t)nh);
        return -EIO;
    }
    if (HM_TAG_LABEL(m.tag))
        return -(int)HM_TAG_LABEL(m.tag);
    if (HM_TAG_NHANDLES(m.tag) != 2)
        return -EIO;
    c->doorbell = ipcbuf->handles[0];
    c->session = ipcbuf->handles[1];
    return 0;
}

/* INFO on ep: the device's size, block size and read-only flag */
static int info(struct hm_blk_client *c, hm_handle_t ep)
{
    struct hm_msg m = { .tag = HM_TAG(HM_BLK_INFO, 0, 0) };
    long r = hm_call(ep, &m);
    if (r < 0)
        return r == -HM_ECLOSED ? -EPIPE : -EIO;
    if (HM_TAG_LABEL(m.tag))
        return -(int)HM_TAG_LABEL(m.tag);
    c->size = m.w[0];
    c->lbs = (uint32_t)m.w[1];
    c->ro = (int)m.w[2];
    return 0;
}

int hm_blk_open(struct hm_blk_client *c, hm_handle_t ep, uint32_t entries, size_t data_size, struct hm_ipc_buf *buf)
{
    memset(c, 0, sizeof *c);
    c->ep = ep;
    c->mem = c->notif = c->doorbell = c->session = HM_HANDLE_INVALID;
    int st = info(c, ep);
    if (st)
        return st;   /* -EPIPE: the driver is gone (perhaps restarting) */
    c->entries = entries;
    uint64_t off = hm_blk_data_off(entries), total = off + ((data_size + 4095) & ~(size_t)4095);
    long mem = hm_mem_create(total, HM_MEM_CONTIG);
    long va = mem < 0 ? mem : hm_vm_map(HM_HANDLE_SELF_PROC, (hm_handle_t)mem, 0, total, 0, HM_MAP_R | HM_MAP_W);
    long n = hm_notif_create();
    c->inflight = malloc(entries * sizeof *c->inflight);
    c->done = malloc(entries * sizeof *c->done);
    if (mem < 0 || va < 0 || n < 0 || !c->inflight || !c->done)
        return -ENOMEM;
    c->mem = (hm_handle_t)mem;
    c->notif = (hm_handle_t)n;
    c->sh = (struct hm_blk_shared *)va;
    c->sq = (struct hm_blk_req *)(va + HM_BLK_SQ_OFF);
    c->cq = (struct hm_blk_cpl *)(va + hm_blk_cq_off(entries));
    c->data = (uint8_t *)va + off;
    c->data_size = total - off;
    if (!buf) {
        buf = &own_buf;
        hm_ipc_buf_set(buf);
    }
    c->buf = buf;
    return attach(c);
}

static void put(struct hm_blk_client *c, const struct hm_blk_req *r)
{
    struct hm_blk_shared *sh = c->sh;
    c->sq[sh->sq_tail % c->entries] = *r;
    __asm__ volatile("dmb ish" ::: "memory");
    sh->sq_tail++;
}

int hm_blk_submit(struct hm_blk_client *c, uint32_t op, uint64_t offset, uint64_t data_off, uint32_t len, uint64_t id)
{
    struct hm_blk_shared *sh = c->sh;
    /* at most `entries` in flight: the completion ring holds them all, and
     * so does the list kept for re-issue */
    if (sh->sq_tail - sh->sq_head >= c->entries || c->ninflight >= c->entries)
        return -EAGAIN;
    struct hm_blk_req r = { .id = id, .offset = offset, .data_off = data_off, .op = op, .len = len };
    c->inflight[c->ninflight++] = r;
    put(c, &r);
    hm_notif_signal(c->doorbell, HM_BLK_DOORBELL_BIT);
    return 0;
}

/* the request with this id is done: no longer to be re-issued */
static void forget(struct hm_blk_client *c, uint64_t id)
{
    for (uint32_t i = 0; i < c->ninflight; i++)
        if (c->inflight[i].id == id) {
            c->inflight[i] = c->inflight[--c->ninflight];
            return;
        }
}

/* The driver's session endpoint is closed: its container stopped. Keep
 * what it completed, get the node's endpoint again until the restarted
 * driver answers (or the deadline), attach the same memory and submit the
 * requests in flight again (in no particular order: requests in flight
 * together have none). Re-issuing is safe for block reads and writes:
 * each names its whole target range and data, so doing it twice leaves
 * the same bytes (docs/reliability.md). 0 or a negative errno. */
static int recover(struct hm_blk_client *c, uint64_t deadline)
{
    struct hm_blk_shared *sh = c->sh;
    while (sh->cq_head != sh->cq_tail && c->ndone < c->entries) {
        __asm__ volatile("dmb ish" ::: "memory");
        struct hm_blk_cpl d = c->cq[sh->cq_head++ % c->entries];
        forget(c, d.id);
        c->done[c->ndone++] = d;
    }
    /* Submissions the dead driver never took are taken back: the new one
     * continues from the ring's indexes, and every request not completed
     * is submitted again below; left in the ring they would run twice and
     * complete twice (a stale completion for an id the caller has reused,
     * a stale read landing in a buffer the caller has reused: faultstress
     * found it). */
    sh->sq_tail = sh->sq_head;
    if (!c->reconnect)
        return -EIO;
    hm_handle_close(c->doorbell);
    hm_handle_close(c->session);
    c->doorbell = c->session = HM_HANDLE_INVALID;
    for (;;) {
        hm_handle_t ep;
        int st = c->reconnect(c, &ep);
        if (!st) {
            st = info(c, ep);
            if (!st) {
                hm_handle_close(c->ep);
                c->ep = ep;
                st = attach(c);
                if (!st)
                    break;
            } else {
                hm_handle_close(ep);
            }
        }
        if (st != -EPIPE && st != -ENOENT && st != -EIO)
            return st;
        if (hm_now() >= deadline)
            return -EIO;
        hm_sleep_until(hm_deadline_ms(HM_BLK_PROBE_MS));   /* not registered again yet */
    }
    c->reconnects++;
    for (uint32_t i = 0; i < c->ninflight; i++)
        put(c, &c->inflight[i]);
    c->reissued += c->ninflight;
    if (c->ninflight)
        hm_notif_signal(c->doorbell, HM_BLK_DOORBELL_BIT);
    return 0;
}

/* is the driver still there? (a closed endpoint answers at once) */
static int driver_gone(struct hm_blk_client *c)
{
    struct hm_msg m = { .tag = HM_TAG(HM_BLK_INFO, 0, 0) };
    long r = hm_call(c->session, &m);
    for (unsigned i = 0; r >= 0 && i < HM_TAG_NHANDLES(m.tag); i++)
        hm_handle_close(c->buf->handles[i]);
    return r == -HM_ECLOSED;
}

int hm_blk_wait(struct hm_blk_client *c, struct hm_blk_cpl *out, uint64_t deadline)
{
    struct hm_blk_shared *sh = c->sh;
    for (;;) {
        if (c->ndone) {
            *out = c->done[0];
            memmove(c->done, c->done + 1, --c->ndone * sizeof *c->done);
            return 0;
        }
        if (sh->cq_head != sh->cq_tail) {
            __asm__ volatile("dmb ish" ::: "memory");
            *out = c->cq[sh->cq_head % c->entries];
            sh->cq_head++;
            forget(c, out->id);
            return 0;
        }
        if (sh->broken)
            return -EIO;
        uint64_t probe = hm_deadline_ms(HM_BLK_PROBE_MS), bits;
        if (hm_notif_wait(c->notif, probe < deadline ? probe : deadline, &bits) != -HM_ETIMEDOUT)
            continue;
        if (hm_now() >= deadline)
            return -ETIMEDOUT;
        if (c->ninflight && driver_gone(c)) {
            int st = recover(c, deadline);
            if (st)
                return st;
        }
    }
}

int hm_blk_io(struct hm_blk_client *c, uint32_t op, uint64_t offset, uint64_t data_off, uint32_t len)
{
    static uint64_t next_id = 1;
    uint64_t id = next_id++;
    int r = hm_blk_submit(c, op, offset, data_off, len, id);
    if (r)
        return r;
    struct hm_blk_cpl cpl;
    do {
        r = hm_blk_wait(c, &cpl, hm_deadline_ms(10000));
        if (r)
            return r;
    } while (cpl.id != id);
    return cpl.status;
}

void hm_blk_close(struct hm_blk_client *c)
{
    if (c->sh && c->session >= 0) {
        /* the driver drains our requests before it lets go of the memory */
        struct hm_msg m = { .tag = HM_TAG(HM_BLK_DETACH, 0, 0) };
        hm_call(c->session, &m);
        hm_handle_close(c->session);
    }
    if (c->sh)
        hm_vm_unmap(HM_HANDLE_SELF_PROC, (uint64_t)c->sh);
    hm_handle_close(c->mem);
    hm_handle_close(c->notif);
    hm_handle_close(c->doorbell);
    free(c->inflight);
    free(c->done);
    memset(c, 0, sizeof *c);
}
