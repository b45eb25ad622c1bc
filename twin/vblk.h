/*
 * Native virtio-blk driver (virtio-mmio, legacy and modern), in three parts:
 *   vblk_ctrl.c   control plane of the native driver ndc: probe, feature
 *                 negotiation, its own queue, configuration
 *   vblk_adopt.c  the twin's start: take over a queue the Linux driver
 *                 container set up and drained (hm/twin.h)
 *   vblk_data.c   the data plane both share: request submission, completion,
 *                 the interrupt; vblk_serve_dev() gives serve.c (block
 *                 sessions, the data-plane thread) these operations
 */
#ifndef TWIN_VBLK_H
#define TWIN_VBLK_H
#include <stdint.h>
#include <hm/hm.h>
#include <hm/blk.h>
#include <hm/blksrv.h>
#include <hm/server.h>
#include <hm/hw/virtio_mmio.h>
#include "serve.h"

/* virtio-blk feature bits (virtio 1.x, 5.2.3) and ring features */
#define F_BLK_SIZE_MAX (1ull << 1)
#define F_BLK_RO (1ull << 5)
#define F_BLK_FLUSH (1ull << 9)
#define F_EVENT_IDX (1ull << 29)
#define F_VERSION_1 (1ull << 32)
#define F_RING_PACKED (1ull << 34)
#define F_NOTIFICATION_DATA (1ull << 38)

#ifndef QSIZE
#define QSIZE 128       /* ndc's own queue */
#endif
#define QMAX 1024       /* the largest queue the twin adopts */
struct vq_desc { uint64_t addr; uint32_t len; uint16_t flags, next; };
/* ndc's queue in its DMA memory, the legacy layout with 4 KiB alignment
 * (which virtio-mmio version 1 dictates and version 2 accepts): the
 * descriptors and the avail ring, the used ring on the next page, then a
 * page of request headers and status bytes. 3 pages for 128 entries. */
#define VQ_PAGE_UP(x) (((x) + 4095) & ~(uint64_t)4095)
#define VQ_AVAIL_OFF ((uint64_t)QSIZE * sizeof(struct vq_desc))
#define VQ_USED_OFF VQ_PAGE_UP(VQ_AVAIL_OFF + 6 + 2 * (uint64_t)QSIZE)
#define VQ_HDRS_OFF VQ_PAGE_UP(VQ_USED_OFF + 6 + 8 * (uint64_t)QSIZE)
#define VBLK_DMA_SIZE (VQ_HDRS_OFF + 4096)
#define VQ_NEXT 1
#define VQ_WRITE 2
/* split ring: ring[num] then used_event (avail), avail_event (used) */
struct vq_avail { uint16_t flags, idx, ring[]; };
struct vq_used_elem { uint32_t id, len; };
struct vq_used { uint16_t flags, idx; struct vq_used_elem ring[]; };

struct vblk_hdr { uint32_t type, reserved; uint64_t sector; };
#define VBLK_S_OK 0
#define VBLK_S_IOERR 1
#define VBLK_S_UNSUPP 2


struct vblk {
    volatile uint8_t *regs;
    int version;
    uint64_t features;
    uint64_t capacity;    /* bytes */
    int ro;
    uint32_t lbs;         /* logical block size */
    void (*config)(void); /* the device raised a configuration change (data-plane thread), or NULL */
    /* the split ring: ndc's own, or the one the twin adopted */
    uint32_t num;
    struct vq_desc *desc;
    struct vq_avail *avail;
    struct vq_used *used;
    uint16_t avail_idx, kicked_idx, used_seen;
    /* request headers and status bytes, one per slot, in DMA memory */
    struct vblk_hdr *hdrs;
    uint8_t *status;
    uint64_t hdrs_phys, status_phys;
    uint32_t nslots;
    struct vs_req slots[QMAX / 3];   /* what each request slot (3 descriptors) is doing */
    uint16_t free[QMAX / 3];   /* stack of free slots */
    uint32_t nfree;
    int inflight;
};

static inline uint32_t vr(struct vblk *d, uint32_t off) { return *(volatile uint32_t *)(d->regs + off); }
static inline void vw(struct vblk *d, uint32_t off, uint32_t v) { *(volatile uint32_t *)(d->regs + off) = v; }
static inline void vblk_dsb(void) { __asm__ volatile("dsb sy" ::: "memory"); }

/* vblk_ctrl.c (ndc): 0 or a negative errno; dma is >= 3 pages of contiguous memory */
int vblk_init(struct vblk *d, volatile uint8_t *regs, uint8_t *dma, uint64_t dma_phys, uint64_t dma_size);
void vblk_config_changed(struct vblk *d);
/* vblk_adopt.c (twin): the ring is mapped at desc/avail/used; slot memory
 * (hdrs and status bytes) at slotmem/slotphys. 0 or a negative
 * errno, with the reason in *why */
int vblk_adopt(struct vblk *d, volatile uint8_t *regs, void *desc, void *avail, void *used, uint32_t num,
               uint64_t features, uint16_t idx, uint8_t *slotmem, uint64_t slotphys, uint64_t slotsize,
               const char **why);
/* vblk_data.c */
/* slots for d->num / 3 requests, as far as size bytes of mem hold their
 * headers and status bytes */
void vblk_slots_init(struct vblk *d, uint8_t *mem, uint64_t phys, uint64_t size);
/* the device's operations for serve.c (struct vs_dev); a request's
 * failure code is the device's status byte: VBLK_S_IOERR, VBLK_S_UNSUPP
 * (or any other value a broken device wrote) */
void vblk_serve_dev(struct vblk *d, struct vs_dev *out);

#endif
