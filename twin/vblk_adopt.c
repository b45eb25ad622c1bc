/* The twin's start: take over the request queue of a virtio-blk device
 * that Linux's driver (in the driver container) probed, configured and then
 * drained. The device is not reset and nothing is renegotiated: the twin
 * goes on from the ring index where Linux stopped, on Linux's own rings,
 * with the features Linux chose. */
#include "vblk.h"
#include <errno.h>

int vblk_adopt(struct vblk *d, volatile uint8_t *regs, void *desc, void *avail, void *used, uint32_t num,
               uint64_t features, uint16_t idx, uint8_t *slotmem, uint64_t slotphys, uint64_t slotsize,
               const char **why)
{
    *d = (struct vblk){ .regs = regs, .features = features };
    *why = "not a virtio-blk device";
    if (vr(d, VIRTIO_MMIO_MAGIC_VALUE) != VIRTIO_MMIO_MAGIC || vr(d, VIRTIO_MMIO_DEVICE_ID) != VIRTIO_ID_BLOCK)
        return -ENODEV;
    d->version = (int)vr(d, VIRTIO_MMIO_VERSION);
    uint32_t st = vr(d, VIRTIO_MMIO_STATUS);
    *why = "the device is not running (status without DRIVER_OK, or FAILED / NEEDS_RESET)";
    if ((d->version != 1 && d->version != 2) || !(st & VIRTIO_ST_DRIVER_OK) || (st & (VIRTIO_ST_FAILED | VIRTIO_ST_NEEDS_RESET)))
        return -EIO;
    *why = "packed rings are not supported";
    if (features & F_RING_PACKED)
        return -ENOTSUP;
    *why = "ring size is not a power of two between 4 and 1024";
    if (num < 4 || num > QMAX || (num & (num - 1)))
        return -EINVAL;
    d->num = num;
    d->desc = desc;
    d->avail = avail;
    d->used = used;
    /* Linux drained the queue: every request it made has been used and
     * consumed. Anything else means it still owns requests on this ring. */
    vblk_dsb();
    *why = "the ring is not empty at the index handed over";
    if (d->avail->idx != idx || d->used->idx != idx)
        return -EBUSY;
    d->avail_idx = d->kicked_idx = d->used_seen = idx;
    d->ro = !!(features & F_BLK_RO);
    /* interrupts on: Linux may have turned them off while it drained */
    if (features & F_EVENT_IDX)
        d->avail->ring[num] = idx;   /* used_event: the next completion */
    else
        d->avail->flags = 0;
    vblk_slots_init(d, slotmem, slotphys, slotsize);
    *why = "no room for request headers";
    if (!d->nslots)
        return -ENOMEM;
    vblk_dsb();
    return 0;
}
