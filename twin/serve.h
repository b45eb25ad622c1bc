/*
 * Block sessions (hm/blk.h) served straight from a device's own request
 * queue: the data-plane thread of ndc and of the twins (vtwin on a
 * virtio-blk queue, utwin on a UFS transfer request list). The device
 * behind it is a struct vs_dev: the operations below, implemented by
 * vblk_data.c and ufs_data.c.
 *
 * The data-plane thread waits on one notification for VS_IRQ_BIT (the
 * device interrupt), VS_DOORBELL_BIT (clients) and the program's own bits
 * (passed to ops->bits).
 */
#ifndef TWIN_SERVE_H
#define TWIN_SERVE_H
#include <stdint.h>
#include <hm/hm.h>
#include <hm/blk.h>
#include <hm/blksrv.h>
#include <hm/server.h>

/* a request on the device, as its completion reports it */
struct vs_req {
    void *owner;          /* the session */
    uint64_t id;
    uint64_t sector;      /* 512-byte units, from the start of the unit */
    uint32_t len, op;
    int unit;             /* the logical unit (UFS LUN; 0 for virtio-blk) */
    uint64_t phys;        /* the client's buffer */
    uint32_t tries;       /* times it was sent again (vs_retry) */
};
/* status: 0 done; anything else the device's own failure code (a virtio
 * status byte, or utwin's packed OCS, SCSI status and sense) */
typedef void (*vs_done_fn)(const struct vs_req *rq, uint32_t status);

struct vs_dev {
    void *dev;
    /* queue a request (no notification yet): 0, 1 done at once (a flush
     * without a write cache), -EBUSY (no free slot) or another -errno */
    int (*submit)(void *dev, const struct vs_req *rq, uint64_t offset, uint64_t phys);
    /* tell the device about what was queued */
    void (*kick)(void *dev);
    /* the device interrupted: find out why and acknowledge it at the device
     * (the line itself is acknowledged by serve.c) */
    void (*irq)(void *dev);
    /* hand completed requests to done; their number */
    int (*complete)(void *dev, vs_done_fn done);
    /* requests on the device now */
    int (*inflight)(void *dev);
    /* the errno a failure code means when the program does not decide
     * (ops->error returned 0) */
    int (*errno_of)(uint32_t status);
};

#define VS_MAX_SESSIONS 64
#define VS_IRQ_BIT 1ull
#define VS_DOORBELL_BIT HM_BLK_DOORBELL_BIT   /* what clients signal */
struct vs_session {
    uint64_t start, size;   /* the part of the unit it may use (a partition) */
    int ro;
    int key;                /* whose size it is (vs_resize) */
    int unit;               /* the logical unit */
    uint32_t lbs;           /* its logical block size: requests are checked against it */
    uint64_t dma;           /* its memory's address as the program registered it for DMA (SMMU), 0: none */
};
struct vs_ops {
    /* a request failed: return 1 to complete it later (vs_finish), 0 to
     * complete it now with dev->errno_of(status) */
    int (*error)(struct vs_session *s, const struct vs_req *rq, uint32_t status);
    /* other notification bits (data-plane thread) */
    void (*bits)(uint64_t bits);
    /* after the device's interrupt was handled: 1 to acknowledge the line
     * now, 0 if the program does it later (vs_irq_ack) */
    int (*irq_done)(void);
    /* a session registered for DMA (vs_attach's dma) ended, its requests
     * done: the program unregisters that memory (data-plane thread) */
    void (*released)(uint64_t dma);
};
extern struct vs_session vs_sessions[VS_MAX_SESSIONS];
/* prio: the data-plane thread's; irq HM_HANDLE_INVALID: it starts paused
 * (the twin, until its first hand-off: vs_resume) */
int vs_start(const struct vs_dev *d, hm_handle_t notif, hm_handle_t irq, const struct vs_ops *ops, const char *who,
             int prio);
/* ATTACH (control thread): the handles are taken; 0 and out[] or a negative errno */
int vs_attach(hm_handle_t mem, hm_handle_t cn, uint64_t entries, uint64_t bits, uint64_t start, uint64_t size,
              int ro, int key, int unit, uint32_t lbs, hm_handle_t ep, uint64_t dma, hm_handle_t out[2]);
/* the same for a request the server loop passed (hm/server.h): h[0], h[1],
 * w0, w1 as in hm/blk.h's ATTACH; the reply carries the two handles */
int vs_attach_req(struct hm_srv_req *r, uint64_t start, uint64_t size, int ro, int key, int unit, uint32_t lbs,
                  hm_handle_t ep, uint64_t dma);
int vs_detach(uint64_t badge);   /* 0 or -EINVAL */
void vs_reclaim(void);
void vs_crash(void);     /* injected: the data plane's next pass makes a wild access */   /* let the data plane free detached sessions first (attach) */
void vs_resize(int key, uint64_t size, int ro);   /* control thread */
/* the twin, before a new LDC re-probes the device (control thread): no new
 * requests go to the device, those on it finish, then the data plane stops
 * touching it. 0 once paused (done_notif is signalled), -EBUSY if the
 * device did not finish by the deadline (then it serves on) */
int vs_pause(hm_handle_t done_notif, uint64_t deadline);
/* serve again, on what the device was adopted anew, with the interrupt bound as irq */
void vs_resume(hm_handle_t irq);
/* complete a request ops->error kept (data-plane thread) */
void vs_finish(struct vs_session *s, uint64_t id, int err);
/* send a request ops->error kept to the device again (data-plane thread;
 * the control plane said the device may do it next time: a SCSI unit
 * attention or aborted command) */
#define VS_MAX_TRIES 5
void vs_retry(const struct vs_req *rq);
/* acknowledge the device's interrupt line (data-plane thread), after
 * ops->irq_done said it would */
void vs_irq_ack(void);
/* the data plane no longer touches the device (paused for a new LDC) */
int vs_paused(void);
#endif
