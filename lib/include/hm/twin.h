/*
 * Twin driver protocol: the Linux driver container (LDC) keeps a device's
 * control plane, the twin (twin/vtwin.c) takes its data plane. Reply label
 * 0 or a positive errno (hm/proto.h).
 *
 * Hand-off (LDC -> devmgr, HM_DM_TWIN in hm/dm.h): once Linux has probed a
 * virtio-blk device whose device-tree node says hm,data-plane = "twin", the
 * LDC drains and quiesces Linux's request queue, stops handling the
 * device's interrupt and sends devmgr the state below (struct
 * hm_twin_state in the IPC buffer's words: its only encoding) with
 *   handles[0] the memory object holding the rings (the LDC's RAM),
 *   handles[1] a SEND handle to the LDC's endpoint for the twin's reports.
 * devmgr starts the device's twin program with the device's registers, its
 * interrupt resource, DMA memory of its own and its endpoint, and passes
 * the hand-off on unchanged as HM_TWIN_ADOPT; once the twin serves from
 * the rings devmgr answers the LDC with handles[0] = the twin's endpoint
 * (badge HM_TWIN_BADGE_LDC). A twin that served on while its LDC restarted
 * and paused for the new LDC's probe gets the new LDC's hand-off the same
 * way: the first hand-off and every later one are one message.
 *
 * On the twin's endpoint:
 *   HM_TWIN_ADOPT   (devmgr only, badge HM_TWIN_BADGE_DM) an LDC's
 *                   HM_DM_TWIN passed on: its words and both handles. The
 *                   twin maps the rings, checks and adopts them, binds the
 *                   interrupt and serves; after a pause, its sessions go on
 *                   -> 0, EBUSY if it serves already (never paused), or the
 *                   errno of what it could not take.
 *   HM_TWIN_PAUSE   (devmgr only) the LDC died and the twin served on
 *                   without it; a new LDC is about to probe (reset) the
 *                   device: requests on the device finish, new ones wait in
 *                   the clients' rings, the interrupt and the old LDC's
 *                   memory are let go -> 0, or EBUSY if the device did not
 *                   finish in 2 s (the twin serves on; devmgr stops it and
 *                   resets the device).
 *   HM_TWIN_ATTACH  (LDC only, badge HM_TWIN_BADGE_LDC) a client's
 *                   HM_BLK_ATTACH passed on: handles and w0, w1 as in
 *                   hm/blk.h; w2 = start (bytes, a partition's first byte
 *                   on its unit), w3 = size in bytes, w4 = read-only (bit
 *                   0) | logical block size << 32, w5 = the LDC's disk id
 *                   (HM_TWIN_RESIZE names it) | unit << 32 (the UFS LUN;
 *                   0 for virtio-blk) -> as HM_BLK_ATTACH's
 *                   reply; the client's session is then served by the twin
 *                   alone.
 *   HM_TWIN_RESIZE  (LDC only) w0 = disk id, w1 = size, w2 = read-only: the
 *                   control plane changed them (a capacity change).
 *   HM_TWIN_FAULT   (devmgr only) fault injection (fault CONTAINER twin):
 *                   the twin's data-plane thread makes a wild access on
 *                   its next pass; the microkernel's fault message tells
 *                   devmgr, which stops the twin and restarts its LDC with
 *                   it (docs/reliability.md "When a twin crashes") -> 0.
 *   HM_BLK_DETACH   (a session handle only) as in hm/blk.h.
 * The twin reports to the LDC with HM_DC_TWIN_EVENT and HM_DC_TWIN_ERROR
 * (hm/dc.h).
 */
#ifndef HM_TWIN_H
#define HM_TWIN_H
#include <stdint.h>
#include <hm/proto.h>

#define HM_TWIN_ATTACH   HM_LABEL(HM_PROTO_TWIN, 1)
#define HM_TWIN_RESIZE   HM_LABEL(HM_PROTO_TWIN, 2)
#define HM_TWIN_PAUSE    HM_LABEL(HM_PROTO_TWIN, 3)
#define HM_TWIN_ADOPT    HM_LABEL(HM_PROTO_TWIN, 4)
#define HM_TWIN_FAULT    HM_LABEL(HM_PROTO_TWIN, 5)
#define HM_TWIN_BADGE_LDC (1ull << 40)   /* the LDC's handle to the twin */
#define HM_TWIN_BADGE_DM  (1ull << 41)   /* devmgr's */

/* what crosses at hand-off, in the IPC buffer's words of HM_DM_TWIN and
 * HM_TWIN_ADOPT */
struct hm_twin_state {
    uint64_t mmio;              /* physical address of the virtio-mmio registers */
    uint64_t ram_base;          /* physical address of offset 0 of handles[0] */
    uint64_t desc, avail, used; /* physical addresses of the split ring's parts */
    uint64_t features;          /* what Linux negotiated */
    uint64_t capacity;          /* bytes */
    uint32_t irq;               /* GIC INTID */
    uint32_t num;               /* ring entries (a power of two) */
    uint32_t idx;               /* avail and used index: equal, the ring is empty */
    uint32_t ro;                /* read-only */
    uint32_t lbs;               /* logical block size */
    uint32_t pad;
};
#define HM_TWIN_STATE_WORDS (sizeof(struct hm_twin_state) / 8)

/* do the split ring's three parts (num entries) lie inside the memory of
 * size bytes at physical base? 1 and [*lo, *hi) the span they cover, or 0
 * (devmgr checks what an LDC sends; the twin, before it maps it) */
static inline int hm_twin_rings_inside(const struct hm_twin_state *st, uint64_t base, uint64_t size, uint64_t *lo,
                                       uint64_t *hi)
{
    uint64_t part[3] = { st->desc, st->avail, st->used };
    uint64_t len[3] = { 16ull * st->num, 6 + 2ull * st->num, 6 + 8ull * st->num };
    *lo = ~0ull;
    *hi = 0;
    for (int i = 0; i < 3; i++) {
        if (part[i] < base || part[i] - base > size || len[i] > size - (part[i] - base))
            return 0;
        *lo = part[i] < *lo ? part[i] : *lo;
        *hi = part[i] + len[i] > *hi ? part[i] + len[i] : *hi;
    }
    return 1;
}
_Static_assert(sizeof(struct hm_twin_state) % 8 == 0, "whole words");

/*
 * A UFS host controller's data plane (twin/utwin.c, single-doorbell mode):
 * the hand-off's words for a "ufs-host" device. Linux's UFS driver keeps
 * the controller, the link and the device; the twin gets transfer request
 * slots 0 .. slots-1 of the list Linux set up (Linux keeps the rest: the
 * slot for its device-management commands) and the interrupt, which it
 * shares with Linux through the link page.
 */
struct hm_twin_ufs_state {
    uint64_t mmio;              /* physical address of BAR 0 (as for virtio: first) */
    uint64_t ram_base;          /* physical address of offset 0 of handles[0] */
    uint64_t utrl;              /* the transfer request list (physical, nutrs * 32 bytes) */
    uint64_t link;              /* the link page (physical, 4 KiB-aligned, struct hm_twin_ufs_link) */
    uint32_t irq;               /* GIC INTID (the function's INTx line) */
    uint32_t nutrs;             /* the controller's slots */
    uint32_t slots;             /* the twin's: 0 .. slots - 1 */
    uint32_t pad;
};
#define HM_TWIN_UFS_STATE_WORDS (sizeof(struct hm_twin_ufs_state) / 8)
_Static_assert(sizeof(struct hm_twin_ufs_state) % 8 == 0, "whole words");
_Static_assert(HM_TWIN_UFS_STATE_WORDS != HM_TWIN_STATE_WORDS, "the two hand-offs differ in length");

/*
 * The link page: a page of the LDC's memory that the twin maps, through
 * which the two share the controller's one interrupt and doorbell. The
 * twin owns the interrupt line and the UTRCS bit of the interrupt status;
 * Linux's accesses to the controller's registers go through arch/hm's
 * register watch (linux-arch-hm/kernel/twin_ufs.c):
 *   - Linux rings a slot: the bit is set in linux_db after the doorbell
 *     write (and cleared when Linux reads the doorbell: only Linux clears
 *     it), so the twin, seeing it done (doorbell bit clear), knows a
 *     completion may be Linux's;
 *   - the twin then sets UTRCS in vis and forwards the interrupt to the
 *     LDC (HM_DC_TWIN_EVENT, DC_TWIN_EV_IRQ); Linux reads the interrupt
 *     status as the hardware's without UTRCS, or'ed with vis, and its write
 *     to clear it clears vis (never the hardware's UTRCS);
 *   - any other cause (UIC command completion, errors, task management)
 *     stays in the hardware register, the line is not acknowledged until
 *     Linux has handled it (its eoi ends the twin's call);
 *   - Linux writes HCE = 0 (a reset, its link recovery): resets counts it
 *     and resetting is 1 until Linux's recovery is over (the controller
 *     operational again, no error handling in progress);
 *     the twin rings no doorbell meanwhile (its requests wait) and rings
 *     again any request the reset dropped (done, its OCS never written).
 * All words are accessed atomically by both sides.
 */
struct hm_twin_ufs_link {
    uint32_t linux_db;          /* slots Linux rang and has not yet seen done (Linux sets and clears) */
    uint32_t vis;               /* interrupt status bits for Linux that the twin raised */
    uint32_t resets;            /* times Linux disabled the controller */
    uint32_t forwards;          /* interrupts the twin passed to Linux (for the logs) */
    uint32_t resetting;         /* 1 from Linux's HCE = 0 until its recovery is over: no doorbell then */
    uint32_t pad;
};
#define HM_TWIN_EV_CONFIG 0     /* HM_DC_TWIN_EVENT w0: a configuration change */
#define HM_TWIN_EV_IRQ    1     /* HM_DC_TWIN_EVENT w0: an interrupt for Linux's driver */
#endif
