/*
 * The UFS twin's data plane (single-doorbell mode): SCSI READ, WRITE and
 * SYNCHRONIZE CACHE as UTP transfer requests on slots of the list Linux's
 * UFS driver set up, with command descriptors of our own and PRDTs that
 * point at the clients' buffers (zero copy). Linux keeps its own slots;
 * the interrupt and the doorbell are shared through the link page
 * (hm/twin.h, struct hm_twin_ufs_link).
 *
 *   ufs_data.c  submission, completion, the interrupt; ufs_serve_dev()
 *               gives serve.c these operations
 *   utwin.c     the program: hand-off, sessions, reports to the LDC
 */
#ifndef TWIN_UFS_H
#define TWIN_UFS_H
#include <stdint.h>
#include <hm/hw/ufs.h>
#include <hm/twin.h>
#include "serve.h"

#define UFSQ_MAX 32            /* slots a controller has at most (UFSHCI: 32) */
#define UFSQ_UNITS 32          /* logical units */
#define UFS_UCD_SIZE 512       /* our command descriptor per slot: */
#define UFS_UCD_RSP 64         /*   command UPIU at 0, response UPIU here, */
#define UFS_UCD_PRDT 256       /*   PRDT here, */
#define UFS_PRDT_MAX 16        /*   this many entries of 256 KiB: 4 MiB per request */

struct ufsq {
    volatile uint8_t *regs;
    volatile struct ufs_utrd *utrl;        /* Linux's transfer request list, mapped */
    struct hm_twin_ufs_link *link;         /* the link page, mapped */
    uint8_t *ucd;                          /* our command descriptors, nslots * UFS_UCD_SIZE */
    uint64_t ucd_phys;
    uint32_t nslots;                       /* ours: 0 .. nslots - 1 */
    uint32_t lbs[UFSQ_UNITS];              /* each unit's logical block size (0: unknown) */
    struct vs_req slots[UFSQ_MAX];
    uint32_t free_mask, ring_mask, busy_mask;   /* free; prepared, not rung; on the device */
    int inflight;
    uint32_t db;                           /* the doorbell the interrupt read, if db_fresh */
    int db_fresh;
    uint32_t other;                        /* interrupt causes for Linux the hardware still asserts */
    int for_linux;                         /* Linux's slot completed: vis has UTRCS for it */
    void (*deferred)(void);                /* the doorbell waits for Linux's reset: call again soon */
    int waiting;                           /* it waits now */
    unsigned long rerung;                  /* requests a reset dropped, rung again */
};

static inline uint32_t ufs_rd(struct ufsq *q, uint32_t off) { return *(volatile uint32_t *)(q->regs + off); }
static inline void ufs_wr(struct ufsq *q, uint32_t off, uint32_t v) { *(volatile uint32_t *)(q->regs + off) = v; }

/* take slots 0 .. slots-1 of the list at utrl (mapped), with our
 * descriptors in ucd/ucd_phys (size bytes): 0 or -errno and *why */
int ufsq_adopt(struct ufsq *q, volatile uint8_t *regs, volatile void *utrl, struct hm_twin_ufs_link *link,
               uint32_t slots, uint8_t *ucd, uint64_t ucd_phys, uint64_t size, const char **why);
/* the operations for serve.c */
void ufs_serve_dev(struct ufsq *q, struct vs_dev *out);
/* failure codes (HM_DC_TWIN_ERROR's w3) */
#define UFS_FAIL(ocs, status, key, asc, ascq) \
    ((uint32_t)(ocs) | (uint32_t)(status) << 4 | (uint32_t)(key) << 12 | (uint32_t)(asc) << 16 | (uint32_t)(ascq) << 24)
#define UFS_FAIL_OCS(c) ((c) & 0xf)
#define UFS_FAIL_STATUS(c) (((c) >> 4) & 0xff)
#define UFS_FAIL_KEY(c) (((c) >> 12) & 0xf)
#define UFS_FAIL_ASC(c) (((c) >> 16) & 0xff)
#define UFS_FAIL_ASCQ(c) (((c) >> 24) & 0xff)
#define UFS_OCS_TARGET_FAILED 0xe   /* our code: OCS success, but the response byte says the target failed */
#endif
