/* UFS data plane: a request is one UTP transfer request on one of our
 * slots: its descriptor in Linux's list points at our command descriptor
 * (command UPIU with the SCSI CDB, response UPIU, PRDT), whose PRDT points
 * straight at the client's DMA-capable buffer. Completion: a slot whose
 * doorbell bit the controller cleared is done; the OCS and the response
 * UPIU say how. The doorbell register is shared with Linux: writing 1s
 * only for our slots leaves Linux's alone (0 bits have no effect). */
#include "ufs.h"
#include <errno.h>
#include <stdio.h>
#include <string.h>

static inline void dsb(void) { __asm__ volatile("dsb sy" ::: "memory"); }
static inline void be32(uint8_t *p, uint32_t v) { p[0] = v >> 24; p[1] = v >> 16; p[2] = v >> 8; p[3] = v; }
static inline void be16(uint8_t *p, uint32_t v) { p[0] = v >> 8; p[1] = v; }

int ufsq_adopt(struct ufsq *q, volatile uint8_t *regs, volatile void *utrl, struct hm_twin_ufs_link *link,
               uint32_t slots, uint8_t *ucd, uint64_t ucd_phys, uint64_t size, const char **why)
{
    uint32_t lbs[UFSQ_UNITS];
    memcpy(lbs, q->lbs, sizeof lbs);   /* the units' block sizes outlive a new hand-off */
    *q = (struct ufsq){ .regs = regs, .utrl = utrl, .link = link };
    memcpy(q->lbs, lbs, sizeof lbs);
    *why = "the controller is not running (HCE or run-stop off)";
    if (!(ufs_rd(q, UFSHCI_HCE) & UFSHCI_HCE_ON) || !(ufs_rd(q, UFSHCI_UTRLRSR) & 1))
        return -EIO;
    uint32_t nutrs = UFSHCI_CAP_NUTRS(ufs_rd(q, UFSHCI_CAP));
    *why = "more slots asked for than the controller has, or none";
    if (!slots || slots >= nutrs || slots > UFSQ_MAX)
        return -EINVAL;
    *why = "no room for our command descriptors";
    if (size < (uint64_t)slots * UFS_UCD_SIZE || (ucd_phys & 127))
        return -ENOMEM;
    *why = "requests are still on our slots";
    uint32_t mine = slots == 32 ? ~0u : (1u << slots) - 1;
    if (ufs_rd(q, UFSHCI_UTRLDBR) & mine)
        return -EBUSY;
    q->ucd = ucd;
    q->ucd_phys = ucd_phys;
    q->nslots = slots;
    q->free_mask = mine;
    return 0;
}

static int ufs_submit(void *dev, const struct vs_req *rq, uint64_t offset, uint64_t phys)
{
    struct ufsq *q = dev;
    uint32_t lbs = rq->unit >= 0 && rq->unit < UFSQ_UNITS ? q->lbs[rq->unit] : 0;
    if (!lbs)
        return -EINVAL;   /* a unit nobody told us about */
    if (!q->free_mask)
        return -EBUSY;
    int flush = rq->op == HM_BLK_FLUSH;
    if (!flush && (rq->len > UFS_PRDT_MAX * UFS_PRD_MAX || (phys & 3) || (offset % lbs) || (rq->len % lbs) ||
                   offset / lbs > 0xffffffffull || rq->len / lbs > 0xffff))
        return -EINVAL;   /* READ(10)/WRITE(10) reach 2^32 blocks, 65535 at once; 16 PRDT entries */
    uint32_t nprd = flush ? 0 : (rq->len + UFS_PRD_MAX - 1) / UFS_PRD_MAX;
    uint32_t s = (uint32_t)__builtin_ctz(q->free_mask);
    uint8_t *ucd = q->ucd + s * UFS_UCD_SIZE;
    uint64_t ucd_phys = q->ucd_phys + s * UFS_UCD_SIZE;
    struct ufs_cmd_upiu *c = (struct ufs_cmd_upiu *)ucd;
    memset(ucd, 0, UFS_UCD_RSP + sizeof(struct ufs_rsp_upiu));
    uint32_t dir = UFS_UTRD_NO_DATA;
    c->type = UFS_UPIU_COMMAND;
    c->lun = (uint8_t)rq->unit;
    c->tag = (uint8_t)s;
    if (rq->op == HM_BLK_FLUSH) {
        c->cdb[0] = SCSI_SYNCHRONIZE_CACHE_10;   /* the whole unit */
    } else {
        int rd = rq->op == HM_BLK_READ;
        c->flags = rd ? UFS_UPIU_FLAG_READ : UFS_UPIU_FLAG_WRITE;
        dir = rd ? UFS_UTRD_FROM_DEVICE : UFS_UTRD_TO_DEVICE;
        be32(c->exp_len, rq->len);
        c->cdb[0] = rd ? SCSI_READ_10 : SCSI_WRITE_10;
        be32(&c->cdb[2], (uint32_t)(offset / lbs));
        be16(&c->cdb[7], rq->len / lbs);
        struct ufs_prd *prd = (struct ufs_prd *)(ucd + UFS_UCD_PRDT);
        for (uint32_t i = 0, left = rq->len; i < nprd; i++) {
            uint32_t n = left < UFS_PRD_MAX ? left : UFS_PRD_MAX;
            prd[i] = (struct ufs_prd){ phys + (uint64_t)i * UFS_PRD_MAX, 0, n - 1 };
            left -= n;
        }
    }
    volatile struct ufs_utrd *d = &q->utrl[s];
    d->dw0 = UFS_UTRD_CMD_SCSI | dir | UFS_UTRD_INT;
    d->dw1 = 0;
    d->dw2 = UFS_OCS_INVALID;
    d->dw3 = 0;
    d->ucd_lo = (uint32_t)ucd_phys;
    d->ucd_hi = (uint32_t)(ucd_phys >> 32);
    d->rsp_len = sizeof(struct ufs_rsp_upiu) / 4;
    d->rsp_off = UFS_UCD_RSP / 4;
    d->prdt_len = (uint16_t)nprd;
    d->prdt_off = UFS_UCD_PRDT / 4;
    q->slots[s] = *rq;
    q->free_mask &= ~(1u << s);
    q->ring_mask |= 1u << s;
    q->inflight++;
    return 0;
}

static void ufs_kick(void *dev)
{
    struct ufsq *q = dev;
    if (!q->ring_mask)
        return;
    if (__atomic_load_n(&q->link->resetting, __ATOMIC_SEQ_CST)) {
        q->waiting = 1;
        if (q->deferred)
            q->deferred();   /* Linux resets the controller: ring once its list runs again */
        return;
    }
    if (q->waiting) {
        q->waiting = 0;
        printf("utwin: the doorbell waited for Linux's controller reset: %d request(s) rung after it (%lu rung again "
               "so far)\n", __builtin_popcount(q->ring_mask), q->rerung);
    }
    dsb();   /* descriptors before the doorbell */
    q->busy_mask |= q->ring_mask;
    ufs_wr(q, UFSHCI_UTRLDBR, q->ring_mask);
    q->ring_mask = 0;
}

/* the interrupt: take our completion bit, find Linux's completions and
 * causes (hm/twin.h's link page) */
static void ufs_irq(void *dev)
{
    struct ufsq *q = dev;
    uint32_t is = ufs_rd(q, UFSHCI_IS);
    if (is & UFSHCI_IS_UTRCS) {
        ufs_wr(q, UFSHCI_IS, UFSHCI_IS_UTRCS);   /* first: a completion after this raises it again */
        dsb();   /* the clear reaches the controller before we look at linux_db and the doorbell */
    }
    if (is & ~UFSHCI_IS_UTRCS)
        q->other |= is & ~UFSHCI_IS_UTRCS & ufs_rd(q, UFSHCI_IE);
    /* Linux's slots: arch/hm sets a bit in linux_db after Linux rang it
     * and clears it when Linux reads the doorbell (only Linux clears), so
     * a bit there whose doorbell is clear is a completion Linux may not
     * have heard of (read linux_db first, then the doorbell): raise UTRCS
     * for it. Raising it twice is harmless; missing it is not. */
    uint32_t rung = __atomic_load_n(&q->link->linux_db, __ATOMIC_SEQ_CST);
    q->db = ufs_rd(q, UFSHCI_UTRLDBR);
    q->db_fresh = 1;
    if (rung & ~q->db) {
        __atomic_fetch_or(&q->link->vis, UFSHCI_IS_UTRCS, __ATOMIC_SEQ_CST);
        q->for_linux = 1;
    }
}

/* the response of slot s: 0, or the failure code (ufs.h) */
static uint32_t ufs_result(struct ufsq *q, uint32_t s)
{
    uint32_t ocs = q->utrl[s].dw2 & 0xf;
    const struct ufs_rsp_upiu *r = (const struct ufs_rsp_upiu *)(q->ucd + s * UFS_UCD_SIZE + UFS_UCD_RSP);
    if (ocs != UFS_OCS_SUCCESS)
        return UFS_FAIL(ocs, 0, 0, 0, 0);
    if (r->status == SCSI_STATUS_GOOD && r->response == 0)
        return 0;
    if (r->status == SCSI_STATUS_GOOD)
        return UFS_FAIL(UFS_OCS_TARGET_FAILED, 0, 0, 0, 0);
    uint32_t key = 0, asc = 0, ascq = 0;
    uint32_t slen = (uint32_t)r->sense_len[0] << 8 | r->sense_len[1];
    /* fixed format sense (0x70/0x71): key in byte 2, ASC 12, ASCQ 13;
     * descriptor format (0x72/0x73): key 1, ASC 2, ASCQ 3 */
    if (slen >= 14 && (r->sense[0] & 0x7e) == 0x70)
        key = r->sense[2] & 0xf, asc = r->sense[12], ascq = r->sense[13];
    else if (slen >= 4 && (r->sense[0] & 0x7e) == 0x72)
        key = r->sense[1] & 0xf, asc = r->sense[2], ascq = r->sense[3];
    return UFS_FAIL(0, r->status, key, asc, ascq);
}

static int ufs_complete(void *dev, vs_done_fn done)
{
    struct ufsq *q = dev;
    if (!q->busy_mask) {
        q->db_fresh = 0;
        return 0;
    }
    uint32_t db = q->db_fresh ? q->db : ufs_rd(q, UFSHCI_UTRLDBR);
    q->db_fresh = 0;
    uint32_t fin = q->busy_mask & ~db;
    int n = 0;
    __asm__ volatile("dmb oshld" ::: "memory");   /* descriptors after the doorbell that covers them */
    while (fin) {
        uint32_t s = (uint32_t)__builtin_ctz(fin);
        fin &= fin - 1;
        if ((q->utrl[s].dw2 & 0xf) == UFS_OCS_INVALID) {
            /* done without a status: a host reset (Linux's recovery)
             * dropped it before it ran; it goes again */
            q->busy_mask &= ~(1u << s);
            q->ring_mask |= 1u << s;
            q->rerung++;
            continue;
        }
        struct vs_req rq = q->slots[s];
        uint32_t st = ufs_result(q, s);
        q->busy_mask &= ~(1u << s);
        q->free_mask |= 1u << s;
        q->inflight--;
        done(&rq, st);
        n++;
    }
    return n;
}

static int ufs_inflight(void *dev)
{
    return ((struct ufsq *)dev)->inflight;
}

static int ufs_errno_of(uint32_t status)
{
    (void)status;
    return -EIO;
}

void ufs_serve_dev(struct ufsq *q, struct vs_dev *out)
{
    *out = (struct vs_dev){ q, ufs_submit, ufs_kick, ufs_irq, ufs_complete, ufs_inflight, ufs_errno_of };
}
