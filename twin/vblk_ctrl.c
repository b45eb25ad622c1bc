/* virtio-blk control plane: probe, feature negotiation, queue setup and
 * configuration (capacity, read-only). */
#include "vblk.h"
#include <errno.h>
#include <string.h>

static uint64_t dev_features(struct vblk *d)
{
    vw(d, VIRTIO_MMIO_DEV_FEATURES_SEL, 0);
    uint64_t lo = vr(d, VIRTIO_MMIO_DEV_FEATURES);
    vw(d, VIRTIO_MMIO_DEV_FEATURES_SEL, 1);
    return lo | (uint64_t)vr(d, VIRTIO_MMIO_DEV_FEATURES) << 32;
}

void vblk_config_changed(struct vblk *d)
{
    uint64_t sectors = vr(d, VIRTIO_MMIO_CONFIG) | (uint64_t)vr(d, VIRTIO_MMIO_CONFIG + 4) << 32;
    d->capacity = sectors * 512;
}

int vblk_init(struct vblk *d, volatile uint8_t *regs, uint8_t *dma, uint64_t dma_phys, uint64_t dma_size)
{
    memset(d, 0, sizeof *d);
    d->regs = regs;
    d->lbs = 512;
    if (vr(d, VIRTIO_MMIO_MAGIC_VALUE) != VIRTIO_MMIO_MAGIC || vr(d, VIRTIO_MMIO_DEVICE_ID) != VIRTIO_ID_BLOCK)
        return -ENODEV;
    d->version = (int)vr(d, VIRTIO_MMIO_VERSION);
    if (d->version != 1 && d->version != 2)
        return -ENODEV;
    if (dma_size < VBLK_DMA_SIZE || (dma_phys & 4095))
        return -EINVAL;
    vw(d, VIRTIO_MMIO_STATUS, 0);                       /* reset */
    vw(d, VIRTIO_MMIO_STATUS, VIRTIO_ST_ACK);
    vw(d, VIRTIO_MMIO_STATUS, VIRTIO_ST_ACK | VIRTIO_ST_DRIVER);
    uint64_t want = F_BLK_RO | F_BLK_FLUSH | F_EVENT_IDX | (d->version == 2 ? F_VERSION_1 : 0);
    d->features = dev_features(d) & want;
    if (d->version == 2 && !(d->features & F_VERSION_1))
        goto fail;
    vw(d, VIRTIO_MMIO_DRV_FEATURES_SEL, 0);
    vw(d, VIRTIO_MMIO_DRV_FEATURES, (uint32_t)d->features);
    vw(d, VIRTIO_MMIO_DRV_FEATURES_SEL, 1);
    vw(d, VIRTIO_MMIO_DRV_FEATURES, (uint32_t)(d->features >> 32));
    if (d->version == 2) {
        vw(d, VIRTIO_MMIO_STATUS, VIRTIO_ST_ACK | VIRTIO_ST_DRIVER | VIRTIO_ST_FEATURES_OK);
        if (!(vr(d, VIRTIO_MMIO_STATUS) & VIRTIO_ST_FEATURES_OK))
            goto fail;
    }
    /* queue 0 as vblk.h's VQ_* offsets lay it out */
    vw(d, VIRTIO_MMIO_QUEUE_SEL, 0);
    if (vr(d, VIRTIO_MMIO_QUEUE_NUM_MAX) < QSIZE)
        goto fail;
    memset(dma, 0, VBLK_DMA_SIZE);
    d->num = QSIZE;
    d->desc = (struct vq_desc *)dma;
    d->avail = (struct vq_avail *)(dma + VQ_AVAIL_OFF);
    d->used = (struct vq_used *)(dma + VQ_USED_OFF);
    vblk_slots_init(d, dma + VQ_HDRS_OFF, dma_phys + VQ_HDRS_OFF, 4096);
    vw(d, VIRTIO_MMIO_QUEUE_NUM, QSIZE);
    if (d->version == 1) {
        vw(d, VIRTIO_MMIO_GUEST_PAGE_SIZE, 4096);
        vw(d, VIRTIO_MMIO_QUEUE_ALIGN, 4096);
        vw(d, VIRTIO_MMIO_QUEUE_PFN, (uint32_t)(dma_phys >> 12));
    } else {
        uint64_t a[3] = { dma_phys, dma_phys + VQ_AVAIL_OFF, dma_phys + VQ_USED_OFF };
        for (int i = 0; i < 3; i++) {
            vw(d, VIRTIO_MMIO_QUEUE_DESC + 0x10 * i, (uint32_t)a[i]);
            vw(d, VIRTIO_MMIO_QUEUE_DESC + 0x10 * i + 4, (uint32_t)(a[i] >> 32));
        }
        vw(d, VIRTIO_MMIO_QUEUE_READY, 1);
    }
    d->ro = !!(d->features & F_BLK_RO);
    vblk_config_changed(d);
    vw(d, VIRTIO_MMIO_STATUS, vr(d, VIRTIO_MMIO_STATUS) | VIRTIO_ST_DRIVER_OK);
    return 0;
fail:
    vw(d, VIRTIO_MMIO_STATUS, vr(d, VIRTIO_MMIO_STATUS) | VIRTIO_ST_FAILED);
    return -EIO;
}
