/*
 * Native virtio-blk driver (virtio-mmio, legacy and modern), in three parts:
 *   vblk_ctrl.c   control plane of the native driver ndc: probe, feature
 *                 negotiation, its own queue, configuration
 *   vblk_adopt.c  the twin's start: take over a queue the Linux driver
 *                 container set up and drained (hm/twin.h)
 *   vblk_data.c   the data plane both share: request submission, completion
 *   vblk_serve.c  block sessions (hm/blk.h) on top of the data plane: the
 *                 data-plane thread of ndc and of the twin
 */
#ifndef TWIN_VBLK_H
#define TWIN_VBLK_H
#include <stdint.h>
#include <hm/hm.h>
#include <hm/blk.h>
#include <hm/blksrv.h>
#include <hm/server.h>
#include <hm/hw/virtio_mmio.h>

/* virtio-blk feature bits (virtio 1.x, 5.2.3) and ring features */
#define F_BLK_SIZE_MAX (1ull << 1)
#define F_BLK_RO (1ull << 5)
#define F_BLK_FLUSH (1ull << 9)
#define F_EVENT_IDX (1ull << 29)
#define F_VERSION_1 (1ull << 32)
#define F_RING_PACKED (1ull << 34)
#define F_NOTIFICATION_DATA (1ull << 38)

#define QSIZE 128       /* ndc's own queue */
#define QMAX 1024       /* the largest queue the twin adopts */
struct vq_desc { uint64_t addr; uint32_t len; uint16_t flags, next; };
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

/* what a request slot (3 descriptors) is doing */
struct vblk_slot {
    void *owner;          /* session */
    uint64_t id;
    uint64_t sector;
    uint32_t len, op;
};

struct vblk {
    volatile uint8_t *regs;
    int version;
    uint64_t features;
    uint64_t capacity;    /* bytes */
    int ro;
    uint32_t lbs;         /* logical block size: requests are checked against it */
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
    struct vblk_slot slots[QMAX / 3];
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
/* queue a request (no notification yet): 0, 1 done at once (a flush without
 * a write cache), -EBUSY (no free slot) */
int vblk_submit(struct vblk *d, void *owner, uint64_t id, uint32_t op, uint64_t offset, uint64_t phys, uint32_t len);
/* tell the device about what was queued, if it wants to hear (event index) */
void vblk_kick(struct vblk *d);
/* the device's status byte: VBLK_S_OK, VBLK_S_IOERR, VBLK_S_UNSUPP (or any
 * other value a broken device wrote) */
typedef void (*vblk_done_fn)(const struct vblk_slot *sl, uint8_t status);
int vblk_complete(struct vblk *d, vblk_done_fn done);

/* vblk_serve.c: block sessions on one device. The data-plane thread waits
 * on `notif` for VS_IRQ_BIT (the device interrupt `irq`), VS_DOORBELL_BIT
 * (clients) and the program's own bits (passed to ops->bits). */
#define VS_MAX_SESSIONS 64
#define VS_IRQ_BIT 1ull
#define VS_DOORBELL_BIT HM_BLK_DOORBELL_BIT   /* what clients signal */
struct vs_session {
    uint64_t start, size;   /* the part of the device it may use (a partition) */
    int ro;
    int key;                /* whose size it is (vs_resize) */
};
struct vs_ops {
    /* the device raised a configuration change (data-plane thread) */
    void (*config)(void);
    /* a request failed: return 1 to complete it later (vs_finish), 0 to
     * complete it now with the default errno (EIO, or ENOTSUP) */
    int (*error)(struct vs_session *s, const struct vblk_slot *sl, uint8_t status);
    /* other notification bits (data-plane thread) */
    void (*bits)(uint64_t bits);
};
extern struct vs_session vs_sessions[VS_MAX_SESSIONS];
/* prio: the data-plane thread's; irq HM_HANDLE_INVALID: it starts paused
 * (the twin, until its first hand-off: vs_resume) */
int vs_start(struct vblk *d, hm_handle_t notif, hm_handle_t irq, const struct vs_ops *ops, const char *who, int prio);
/* ATTACH (control thread): the handles are taken; 0 and out[] or a negative errno */
int vs_attach(hm_handle_t mem, hm_handle_t cn, uint64_t entries, uint64_t bits, uint64_t start, uint64_t size,
              int ro, int key, hm_handle_t ep, hm_handle_t out[2]);
/* the same for a request the server loop passed (hm/server.h): h[0], h[1],
 * w0, w1 as in hm/blk.h's ATTACH; the reply carries the two handles */
int vs_attach_req(struct hm_srv_req *r, uint64_t start, uint64_t size, int ro, int key, hm_handle_t ep);
int vs_detach(uint64_t badge);   /* 0 or -EINVAL */
void vs_resize(int key, uint64_t size, int ro);   /* control thread */
/* the twin, before a new LDC re-probes the device (control thread): no new
 * requests go to the device, those on it finish, then the data plane stops
 * touching it. 0 once paused (done_notif is signalled), -EBUSY if the
 * device did not finish by the deadline (then it serves on) */
int vs_pause(hm_handle_t done_notif, uint64_t deadline);
/* serve again, on what vblk was adopted anew, with the interrupt bound as irq */
void vs_resume(hm_handle_t irq);
/* complete a request ops->error kept (data-plane thread) */
void vs_finish(struct vs_session *s, uint64_t id, int err);
#endif
