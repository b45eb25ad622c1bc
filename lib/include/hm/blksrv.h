/* Server side of block sessions (hm/blk.h): the per-client state every
 * block driver keeps (the native driver ndc and DC-base in the LDC), and
 * the steps they share: ATTACH's checks and mapping, posting a completion,
 * letting go of a detached session, and session badges.
 *
 * Concurrency: a slot is written by the thread that answers ATTACH only
 * while it is inactive, and freed (hm_blk_srv_release) only by the thread
 * that completes requests; "closing" is the one word both write. */
#ifndef HM_BLKSRV_H
#define HM_BLKSRV_H
#include <hm/hm.h>
#include <hm/blk.h>

struct hm_blk_srv_session {
    volatile int active;
    int reserved;              /* attached, not yet published (control thread only) */
    volatile int closing;      /* detached: finish what is in flight, then release */
    uint32_t gen;              /* bumped per attach: part of the session badge */
    uint64_t va, map_size;     /* the client's shared memory, mapped here */
    struct hm_blk_shared *sh;
    struct hm_blk_req *sq;
    struct hm_blk_cpl *cq;
    uint32_t entries;
    uint8_t *data;             /* data area */
    uint64_t data_phys;        /* its physical address (contiguous memory), else 0 */
    uint64_t data_size;
    hm_handle_t client;        /* the client's notification */
    uint64_t client_bits;
    uint32_t inflight;         /* requests taken and not completed */
    int owner;                 /* the driver's own use (e.g. which disk) */
};

/* ATTACH into a free slot of tab[n]: handles mem (the shared memory) and cn
 * (the client's notification) are taken in every case; entries and bits
 * come from the request; contig: the memory must be HM_MEM_CONTIG (a device
 * will be pointed at it). Returns the slot, or -errno (EINVAL, ENOSPC). The
 * slot is reserved, not yet served: the driver sets its own fields, then
 * hm_blk_srv_publish (or, if it gives up, hm_blk_srv_release). */
int hm_blk_srv_attach(struct hm_blk_srv_session *tab, int n, hm_handle_t mem, hm_handle_t cn, uint64_t entries,
                      uint64_t bits, int contig);
/* the data plane may serve it from now on */
void hm_blk_srv_publish(struct hm_blk_srv_session *s);
/* the session handle's badge for slot i: slot + 1 and the slot's generation */
uint64_t hm_blk_srv_badge(const struct hm_blk_srv_session *tab, int i);
/* the two handles ATTACH's reply carries: out[0] the doorbell (SIGNAL on
 * the driver's notification), out[1] the session handle (the driver's
 * endpoint badged for slot i). 0, or -ENOMEM with nothing left behind (the
 * caller then closes the session) */
int hm_blk_srv_grant(const struct hm_blk_srv_session *tab, int i, hm_handle_t doorbell, hm_handle_t ep,
                     hm_handle_t out[2]);
/* the slot a DETACH with this badge names (a live, not closing session of
 * the same generation), or -1 */
int hm_blk_srv_lookup(const struct hm_blk_srv_session *tab, int n, uint64_t badge);
/* write one completion into the client's ring (does not signal) */
void hm_blk_srv_post(struct hm_blk_srv_session *s, uint64_t id, int status, uint32_t len);
/* a closing session with nothing in flight, or a reserved one: unmap,
 * close, free the slot */
void hm_blk_srv_release(struct hm_blk_srv_session *s);
/* Sessions detached but not yet freed wait for the thread that frees them
 * (the data plane, Linux's block thread), which a busy client of a higher
 * priority can keep off the CPU while it attaches and detaches in a loop:
 * slots would run out with every session gone. Before refusing: wake that
 * thread (signal `kick` with `bits`) and sleep, up to 50 ms, until a slot
 * is free (need_slot) or no detached session is left that it can free (no
 * request in flight: a paused device's requests wait). */
void hm_blk_srv_reclaim(const struct hm_blk_srv_session *tab, int n, hm_handle_t kick, uint64_t bits, int need_slot);
/* Sessions whose client is gone (it died, or closed its handles without
 * DETACH): nobody but us holds its notification. Each is marked closing,
 * as DETACH would: its requests in flight finish, then the thread that
 * frees slots frees it. Returns how many; the caller wakes that thread. */
int hm_blk_srv_abandoned(struct hm_blk_srv_session *tab, int n);
/* 1 if a slot is free for hm_blk_srv_attach */
int hm_blk_srv_slot_free(const struct hm_blk_srv_session *tab, int n);

/* The answers every block driver gives the same way, from the disk's size,
 * logical block size and read-only state: HM_BLK_INFO's words, and
 * HM_BLK_IOCTL's (w0 the command): 0 or -ENOTTY. */
void hm_blk_srv_info(struct hm_msg *m, uint64_t size, uint32_t lbs, int ro);
int hm_blk_srv_ioctl(struct hm_msg *m, uint64_t size, uint32_t lbs, int ro);
#endif
