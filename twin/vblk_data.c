/* virtio-blk data plane: one request = three descriptors (header, data,
 * status) in a fixed slot; the data descriptor points straight at the
 * client's DMA-capable buffer (zero copy). Used by ndc on its own queue and
 * by the twin on the queue Linux set up: nothing here assumes who made it. */
#include "vblk.h"
#include <errno.h>
#include <string.h>

#define T_IN 0
#define T_OUT 1
#define T_FLUSH 4

void vblk_slots_init(struct vblk *d, uint8_t *mem, uint64_t phys, uint64_t size)
{
    uint32_t n = d->num / 3, fit = (uint32_t)(size / (sizeof(struct vblk_hdr) + 1));
    d->nslots = n < fit ? n : fit;
    d->hdrs = (struct vblk_hdr *)mem;
    d->hdrs_phys = phys;
    d->status = mem + d->nslots * sizeof(struct vblk_hdr);
    d->status_phys = phys + d->nslots * sizeof(struct vblk_hdr);
    d->nfree = 0;
    for (uint32_t s = d->nslots; s-- > 0;)
        d->free[d->nfree++] = (uint16_t)s;
    d->inflight = 0;
}

/* the event index fields that follow each ring (VIRTIO_F_EVENT_IDX) */
static inline volatile uint16_t *used_event(struct vblk *d) { return &d->avail->ring[d->num]; }
static inline volatile uint16_t *avail_event(struct vblk *d) { return (volatile uint16_t *)&d->used->ring[d->num]; }

static int vblk_submit(void *dev, const struct vs_req *rq, uint64_t offset, uint64_t phys)
{
    struct vblk *d = dev;
    uint32_t op = rq->op, len = rq->len;
    if (op == HM_BLK_FLUSH && !(d->features & F_BLK_FLUSH))
        return 1;   /* no volatile write cache: nothing to flush, done at once */
    if (!d->nfree)
        return -EBUSY;
    uint16_t s = d->free[--d->nfree];
    struct vblk_hdr *h = &d->hdrs[s];
    h->type = op == HM_BLK_READ ? T_IN : op == HM_BLK_WRITE ? T_OUT : T_FLUSH;
    h->reserved = 0;
    h->sector = offset / 512;
    d->status[s] = 0xff;
    uint16_t i0 = (uint16_t)(3 * s), i1 = i0 + 1, i2 = i0 + 2;
    d->desc[i0] = (struct vq_desc){ d->hdrs_phys + s * sizeof *h, sizeof *h, VQ_NEXT, i1 };
    if (op == HM_BLK_FLUSH)
        d->desc[i0].next = i2;
    else
        d->desc[i1] = (struct vq_desc){ phys, len, (uint16_t)(VQ_NEXT | (op == HM_BLK_READ ? VQ_WRITE : 0)), i2 };
    d->desc[i2] = (struct vq_desc){ d->status_phys + s, 1, VQ_WRITE, 0 };
    d->slots[s] = *rq;
    d->avail->ring[d->avail_idx % d->num] = i0;
    d->avail_idx++;
    d->inflight++;
    return 0;
}

static void vblk_kick(void *dev)
{
    struct vblk *d = dev;
    uint16_t old = d->kicked_idx, now = d->avail_idx;
    if (old == now)
        return;
    vblk_dsb();   /* descriptors and ring entries before the index */
    d->avail->idx = now;
    vblk_dsb();   /* the index before we read whether the device wants a kick */
    d->kicked_idx = now;
    /* with event indexes the device says up to where it has looked: kick
     * only if this batch passes that point (virtio 1.x, 2.7.10) */
    if ((d->features & F_EVENT_IDX) && (uint16_t)(now - *avail_event(d) - 1) >= (uint16_t)(now - old))
        return;
    vw(d, VIRTIO_MMIO_QUEUE_NOTIFY, (d->features & F_NOTIFICATION_DATA) ? (uint32_t)now << 16 : 0);
}

static int vblk_complete(void *dev, vs_done_fn done)
{
    struct vblk *d = dev;
    int n = 0;
    for (;;) {
        vblk_dsb();
        while (d->used_seen != d->used->idx) {
            /* the entry and its status byte after the index that covers them */
            __asm__ volatile("dmb ishld" ::: "memory");
            struct vq_used_elem *e = &d->used->ring[d->used_seen % d->num];
            d->used_seen++;
            uint32_t s = e->id / 3;
            if (e->id % 3 || s >= d->nslots || !d->slots[s].owner)
                continue;   /* the device named a descriptor we never gave it */
            struct vs_req sl = d->slots[s];
            uint8_t st = d->status[s];
            d->slots[s].owner = NULL;
            d->free[d->nfree++] = (uint16_t)s;
            d->inflight--;
            done(&sl, st);
            n++;
        }
        if (!(d->features & F_EVENT_IDX))
            return n;
        /* interrupt me at the next completion; then look again, in case one
         * came before the device could see this */
        *used_event(d) = d->used_seen;
        vblk_dsb();
        if (d->used_seen == d->used->idx)
            return n;
    }
}

static void vblk_irq(void *dev)
{
    struct vblk *d = dev;
    uint32_t st = vr(d, VIRTIO_MMIO_INT_STATUS);
    vw(d, VIRTIO_MMIO_INT_ACK, st);
    if ((st & VIRTIO_INT_CONFIG) && d->config)
        d->config();
}

static int vblk_inflight(void *dev)
{
    return ((struct vblk *)dev)->inflight;
}

static int vblk_errno_of(uint32_t status)
{
    return status == VBLK_S_UNSUPP ? -ENOTSUP : -EIO;
}

void vblk_serve_dev(struct vblk *d, struct vs_dev *out)
{
    *out = (struct vs_dev){ d, vblk_submit, vblk_kick, vblk_irq, vblk_complete, vblk_inflight, vblk_errno_of };
}
