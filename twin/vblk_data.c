/* virtio-blk data plane: one request = three descriptors (header, data,
 * status) in a fixed slot; the data descriptor points straight at the
 * client's DMA-capable buffer (zero copy). */
#include "vblk.h"
#include <errno.h>

#define T_IN 0
#define T_OUT 1
#define T_FLUSH 4

static inline void dsb(void) { __asm__ volatile("dsb sy" ::: "memory"); }

int vblk_submit(struct vblk *d, void *owner, uint64_t id, uint32_t op, uint64_t offset, uint64_t phys, uint32_t len)
{
    int s;
    for (s = 0; s < QSIZE / 3 && d->slots[s].busy; s++)
        ;
    if (s == QSIZE / 3)
        return -EBUSY;
    if (op == HM_BLK_FLUSH && !(d->features & F_BLK_FLUSH))
        return 1;   /* no volatile write cache: nothing to flush, done at once */
    struct vblk_hdr *h = &d->hdrs[s];
    h->type = op == HM_BLK_READ ? T_IN : op == HM_BLK_WRITE ? T_OUT : T_FLUSH;
    h->reserved = 0;
    h->sector = offset / 512;
    d->status[s] = 0xff;
    uint16_t i0 = (uint16_t)(3 * s), i1 = i0 + 1, i2 = i0 + 2;
    uint64_t hdr_phys = d->dma_phys + ((uint8_t *)h - d->dma);
    uint64_t st_phys = d->dma_phys + (&d->status[s] - d->dma);
    d->desc[i0] = (struct vq_desc){ hdr_phys, sizeof *h, VQ_NEXT, i1 };
    if (op == HM_BLK_FLUSH) {
        d->desc[i0].next = i2;
    } else {
        d->desc[i1] = (struct vq_desc){ phys, len, (uint16_t)(VQ_NEXT | (op == HM_BLK_READ ? VQ_WRITE : 0)), i2 };
    }
    d->desc[i2] = (struct vq_desc){ st_phys, 1, VQ_WRITE, 0 };
    d->slots[s] = (struct vblk_slot){ 1, owner, id, op == HM_BLK_FLUSH ? 0 : len };
    d->avail->ring[d->avail->idx % QSIZE] = i0;
    dsb();
    d->avail->idx++;
    dsb();
    vw(d, VM_QUEUE_NOTIFY, 0);
    d->inflight++;
    return 0;
}

int vblk_complete(struct vblk *d, vblk_done_fn done)
{
    int n = 0;
    dsb();
    while (d->used_seen != d->used->idx) {
        struct vq_used_elem *e = &d->used->ring[d->used_seen % QSIZE];
        d->used_seen++;
        uint32_t s = e->id / 3;
        if (e->id % 3 || s >= QSIZE / 3 || !d->slots[s].busy)
            continue;   /* the device named a descriptor we never gave it */
        struct vblk_slot *sl = &d->slots[s];
        int st = d->status[s] == 0 ? 0 : d->status[s] == 2 ? -ENOTSUP : -EIO;
        sl->busy = 0;
        d->inflight--;
        done(sl->owner, sl->id, st, st ? 0 : sl->len);
        n++;
    }
    return n;
}
