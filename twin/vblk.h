/*
 * Native virtio-blk driver (virtio-mmio, legacy and modern). The control
 * part (vblk_ctrl.c: probe, feature negotiation, queue setup, config) is
 * kept apart from the data plane (vblk_data.c: request submission and
 * completion) because the data plane is what the twin driver will take
 * over from the Linux driver container later.
 */
#ifndef TWIN_VBLK_H
#define TWIN_VBLK_H
#include <stdint.h>
#include <hm/blk.h>

/* virtio-mmio registers */
#define VM_MAGIC 0x000
#define VM_VERSION 0x004
#define VM_DEVICE_ID 0x008
#define VM_DEV_FEATURES 0x010
#define VM_DEV_FEATURES_SEL 0x014
#define VM_DRV_FEATURES 0x020
#define VM_DRV_FEATURES_SEL 0x024
#define VM_GUEST_PAGE_SIZE 0x028
#define VM_QUEUE_SEL 0x030
#define VM_QUEUE_NUM_MAX 0x034
#define VM_QUEUE_NUM 0x038
#define VM_QUEUE_ALIGN 0x03c
#define VM_QUEUE_PFN 0x040
#define VM_QUEUE_READY 0x044
#define VM_QUEUE_NOTIFY 0x050
#define VM_INT_STATUS 0x060
#define VM_INT_ACK 0x064
#define VM_STATUS 0x070
#define VM_QUEUE_DESC 0x080
#define VM_QUEUE_AVAIL 0x090
#define VM_QUEUE_USED 0x0a0
#define VM_CONFIG 0x100

#define VIRTIO_MAGIC 0x74726976
#define VIRTIO_ID_BLOCK 2
#define ST_ACK 1
#define ST_DRIVER 2
#define ST_DRIVER_OK 4
#define ST_FEATURES_OK 8
#define ST_FAILED 128
#define F_BLK_RO (1ull << 5)
#define F_BLK_FLUSH (1ull << 9)
#define F_VERSION_1 (1ull << 32)

#define QSIZE 128
struct vq_desc { uint64_t addr; uint32_t len; uint16_t flags, next; };
#define VQ_NEXT 1
#define VQ_WRITE 2
struct vq_avail { uint16_t flags, idx, ring[QSIZE]; };
struct vq_used_elem { uint32_t id, len; };
struct vq_used { uint16_t flags, idx; struct vq_used_elem ring[QSIZE]; };

struct vblk_hdr { uint32_t type, reserved; uint64_t sector; };

/* what a request slot (3 descriptors) is doing */
struct vblk_slot {
    int busy;
    void *owner;          /* session */
    uint64_t id;
    uint32_t len;
};

struct vblk {
    volatile uint8_t *regs;
    int version;
    uint64_t features;
    uint64_t capacity;    /* bytes */
    int ro;
    /* queue memory: DMA-capable, physical base known */
    uint8_t *dma;
    uint64_t dma_phys;
    struct vq_desc *desc;
    struct vq_avail *avail;
    struct vq_used *used;
    struct vblk_hdr *hdrs;     /* one per slot */
    uint8_t *status;           /* one per slot */
    uint16_t used_seen;
    struct vblk_slot slots[QSIZE / 3];
    int inflight;
};

static inline uint32_t vr(struct vblk *d, uint32_t off) { return *(volatile uint32_t *)(d->regs + off); }
static inline void vw(struct vblk *d, uint32_t off, uint32_t v) { *(volatile uint32_t *)(d->regs + off) = v; }

/* vblk_ctrl.c: 0 or a negative errno; dma is >= 3 pages of contiguous memory */
int vblk_init(struct vblk *d, volatile uint8_t *regs, uint8_t *dma, uint64_t dma_phys, uint64_t dma_size);
void vblk_config_changed(struct vblk *d);
/* vblk_data.c */
int vblk_submit(struct vblk *d, void *owner, uint64_t id, uint32_t op, uint64_t offset, uint64_t phys, uint32_t len);
typedef void (*vblk_done_fn)(void *owner, uint64_t id, int status, uint32_t len);
int vblk_complete(struct vblk *d, vblk_done_fn done);
#endif
