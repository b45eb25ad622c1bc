/*
 * utwin: the twin of Linux's UFS driver (HongMeng's twin: docs/twin-drivers.md).
 * The Linux driver container (LDC) keeps the controller: its
 * initialisation, the link (UIC commands, power modes, recovery), the
 * device (NOP, query and task-management requests on the slot Linux keeps)
 * and error handling; utwin serves the data plane: every block session's
 * requests become SCSI commands on the transfer request slots Linux gave
 * up (ufs_data.c), completed from the controller's interrupt, with no
 * Linux in between.
 *
 * Started by devmgr when the LDC first hands the controller over
 * (hm/twin.h, struct hm_twin_ufs_state), with handles
 *   "mmio"   the controller's register page    "irqres" its INTx line
 *   "ep"     our endpoint (the LDC's handle is badged HM_TWIN_BADGE_LDC,
 *            devmgr's HM_TWIN_BADGE_DM)
 *   "dma"    contiguous memory for our command descriptors
 *   "dm"     devmgr: with an SMMU, clients' buffers are mapped for the
 *            controller's DMA at each session (HM_DM_DMA_MAP)
 * and argv: utwin DEVICE-NAME. It starts paused until devmgr passes the
 * LDC's hand-off on as HM_TWIN_ADOPT, as for vtwin.
 *
 * The interrupt is shared (hm/twin.h, the link page): we take transfer
 * completions; a completion of Linux's slot, and any other cause, goes to
 * the LDC (link.c's HM_TWIN_EV_IRQ), and while the hardware still asserts
 * a cause for Linux the line stays unacknowledged until Linux handled it.
 * A failed request's client gets Linux's verdict (HM_DC_TWIN_ERROR).
 *
 * Threads: this one answers control IPC (ctl.c's table); the data-plane
 * thread (serve.c); the link thread (link.c).
 */
#include "ufs.h"
#include "link.h"
#include "ctl.h"
#include <hm/dmclient.h>
#include <hm/prio.h>
#include <hm/server.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>


static struct ufsq q;
static struct vs_dev qdev;
static hm_handle_t dnotif, ep;
static int adoptions;
static const char *name;
static hm_handle_t ram = HM_HANDLE_INVALID, irqres, irq_obj = HM_HANDLE_INVALID;
static long utrl_va = -1, link_va = -1;
static volatile uint8_t *regs;
static hm_handle_t dm = HM_HANDLE_INVALID;
static uint64_t regs_phys;     /* the register page's address, from devmgr's handle */
static uint8_t *dma_va;
static uint64_t dma_phys, dma_size;
static int line_held;          /* data-plane thread: the line waits for Linux's handler */
static unsigned long forwards, self_cleared;

/* ---- data-plane thread ---- */
/* after the interrupt: pass Linux's share on */
static int irq_done(void)
{
    if (!q.other && !q.for_linux)
        return 1;
    q.for_linux = 0;
    forwards++;
    __atomic_fetch_add(&q.link->forwards, 1, __ATOMIC_SEQ_CST);
    tl_event(HM_TWIN_EV_IRQ);
    if (!q.other)
        return 1;   /* only Linux's completion: the hardware no longer asserts anything */
    line_held = 1;  /* its causes stay set until its handler clears them */
    return 0;
}

static void other_bits(uint64_t bits)
{
    tl_bits(bits);
    if (!(bits & TL_EVENT_DONE_BIT) || !line_held)
        return;
    if (vs_paused()) {
        line_held = 0;   /* the interrupt and the controller are the new LDC's now */
        return;
    }
    int err = tl_event_result();
    if (err) {
        /* no Linux to handle them (its container restarts, or it did not
         * in time): cleared here, or the line would never go quiet */
        ufs_wr(&q, UFSHCI_IS, q.other);
        self_cleared++;
        fprintf(stderr, "utwin: %s: the LDC did not handle interrupt causes 0x%x (%s): cleared\n", name, q.other,
                strerror(-err));
    }
    q.other = 0;
    line_held = 0;
    vs_irq_ack();
}

static void ut_released(uint64_t dma);
static const struct vs_ops twin_ops = { .error = tl_error, .bits = other_bits, .irq_done = irq_done,
                                        .released = ut_released };

/* Linux resets the controller: our doorbell waits, we look again in 1 ms */
#define RETRY_BIT 32ull
static hm_handle_t retry_timer;
static void retry_soon(void)
{
    hm_timer_set(retry_timer, hm_deadline_ms(1));
}

/* ---- taking the data plane, letting go of it ---- */
static long map(hm_handle_t h, uint64_t off, uint64_t size)
{
    return hm_vm_map(HM_HANDLE_SELF_PROC, h, off, size, 0, HM_MAP_R | HM_MAP_W);
}

static void unmap(long *va)
{
    if (*va >= 0)
        hm_vm_unmap(HM_HANDLE_SELF_PROC, (uint64_t)*va);
    *va = -1;
}

/* the list and the link page inside the LDC's memory r, mapped; the slots
 * adopted, the interrupt bound. 0 or -errno and *why */
static int take(const struct hm_twin_ufs_state *st, hm_handle_t r, const char **why)
{
    struct hm_mem_info ri;
    uint64_t ulen = (uint64_t)st->nutrs * sizeof(struct ufs_utrd), upage = st->utrl & ~0xfffull;
    *why = "the request list or the link page is not inside the memory handed over";
    if (hm_mem_info(r, &ri) < 0 || st->nutrs > UFSQ_MAX || (st->utrl & 1023) || (st->link & 0xfff) ||
        st->utrl < st->ram_base || st->utrl - st->ram_base + ulen > ri.size || st->link < st->ram_base ||
        st->link - st->ram_base + 4096 > ri.size)
        return -EINVAL;
    *why = "the controller's registers are not where they were (its BAR moved)";
    if ((st->mmio & ~0xfffull) != regs_phys)
        return -EINVAL;
    utrl_va = map(r, upage - st->ram_base, 4096);
    link_va = map(r, st->link - st->ram_base, 4096);
    *why = "cannot map them";
    if (utrl_va < 0 || link_va < 0)
        goto fail;
    int err = ufsq_adopt(&q, regs + (st->mmio & 0xfff), (volatile void *)(utrl_va + (st->utrl - upage)),
                         (struct hm_twin_ufs_link *)link_va, st->slots, dma_va, dma_phys, dma_size, why);
    if (err)
        goto fail_err;
    long b = hm_irq_create(irqres, st->irq, dnotif, VS_IRQ_BIT, HM_IRQ_LEVEL);
    *why = "cannot bind its interrupt";
    if (b < 0)
        goto fail;
    irq_obj = (hm_handle_t)b;
    ram = r;
    q.deferred = retry_soon;
    return 0;
fail:
    err = -EBUSY;
fail_err:
    unmap(&utrl_va);
    unmap(&link_va);
    return err;
}

/* paused (ctl.c): the interrupt, the old LDC's list and link page go */
static void ut_release(void)
{
    hm_handle_close(irq_obj);   /* the INTID is free for the new LDC's Linux */
    unmap(&utrl_va);
    unmap(&link_va);
    hm_handle_close(ram);       /* the old LDC's memory can go now */
    irq_obj = ram = HM_HANDLE_INVALID;
}

static int ut_serving(void)
{
    return irq_obj >= 0;
}

/* HM_TWIN_ADOPT (devmgr): an LDC's hand-off (hm/twin.h), h[0] its memory,
 * h[1] its endpoint: serve from the slots it gave */
static int ut_adopt(struct hm_srv_req *r)
{
    struct hm_twin_ufs_state st;
    const char *why;
    if (irq_obj >= 0)
        return -EBUSY;   /* serving: not paused */
    if (r->nwords != HM_TWIN_UFS_STATE_WORDS)
        return -EINVAL;
    memcpy(&st, r->buf->words, sizeof st);
    int err = take(&st, r->h[0], &why);
    if (err) {
        fprintf(stderr, "utwin: %s: cannot take the data plane over%s: %s\n", name, adoptions ? " again" : "", why);
        return err;
    }
    r->h[0] = HM_HANDLE_INVALID;   /* take() keeps the memory */
    tl_set_ldc(r->h[1]);
    r->h[1] = HM_HANDLE_INVALID;
    vs_resume(irq_obj);
    if (adoptions++)
        printf("utwin: %s: serving again, on the new LDC's request list\n", name);
    else
        printf("utwin: %s: data plane taken over: slots 0-%u of %u (Linux keeps the rest), IRQ %u\n", name,
               st.slots - 1, st.nutrs, st.irq);
    return 0;
}

/* HM_TWIN_ATTACH (LDC): a client's session on one of its disks */
static int ut_attach(struct hm_srv_req *r)
{
    const uint64_t *w = r->m.w;   /* hm/twin.h: w2 start, w3 size, w4 ro | lbs << 32, w5 disk id | unit << 32 */
    uint32_t lbs = (uint32_t)(w[4] >> 32), unit = (uint32_t)(w[5] >> 32);
    if (unit >= UFSQ_UNITS || lbs < 512 || lbs > 65536 || (lbs & (lbs - 1)))
        return -EINVAL;
    q.lbs[unit] = lbs;   /* a unit's block size does not change while it exists */
    /* the client's buffers are the controller's PRDT targets (zero copy):
     * with an SMMU the device reaches them once devmgr maps them */
    struct hm_mem_info mi;
    if (hm_mem_info(r->h[0], &mi) < 0)
        return -EINVAL;
    int st = dm < 0 ? -ENOTSUP : hm_dm_dma_map(dm, r->buf, r->h[0], NULL);   /* devmgr gets a copy */
    if (st == -ENOSPC) {
        vs_reclaim();   /* detached sessions' buffers leave the translation first */
        st = hm_dm_dma_map(dm, r->buf, r->h[0], NULL);
    }
    if (st && st != -ENOTSUP) {
        printf("utwin: %s: devmgr will not map a client's buffers for DMA (%s): session refused\n", name,
               strerror(-st));
        return st;
    }
    uint64_t dma = st ? 0 : mi.phys;
    st = vs_attach_req(r, w[2], w[3], (int)(w[4] & 1), (int)(uint32_t)w[5], (int)unit, lbs, ep, dma);
    if (st && dma)
        hm_dm_dma_unmap(dm, dma);
    return st;
}

/* a session's requests are all done and it is gone: its buffers leave the
 * device's translation before the client's memory can be freed */
static void ut_released(uint64_t dma)
{
    int st = hm_dm_dma_unmap(dm, dma);
    if (st)
        printf("utwin: %s: devmgr did not unmap a session's buffers at 0x%lx: %s\n", name, (unsigned long)dma,
               strerror(-st));
}

int main(int argc, char **argv)
{
    hm_handle_t mmio = hm_start_handle("mmio"), dma = hm_start_handle("dma");
    ep = hm_start_handle("ep");
    irqres = hm_start_handle("irqres");
    dm = hm_start_handle("dm");   /* devmgr: DMA registrations of clients' buffers */
    name = argc > 1 ? argv[1] : "?";
    if (argc < 2 || mmio < 0 || irqres < 0 || ep < 0 || dma < 0) {
        fprintf(stderr, "utwin: usage: utwin DEVICE with handles mmio, irqres, ep, dma\n");
        return 2;
    }
    struct hm_mem_info mi;
    struct hm_mem_info ri;
    long va = hm_mem_info(mmio, &ri) < 0 ? -HM_EINVAL : map(mmio, 0, 4096);
    long dva = hm_mem_info(dma, &mi) < 0 || mi.kind != HM_MEM_CONTIG ? -HM_EINVAL : map(dma, 0, mi.size);
    long dn = hm_notif_create();
    if (va < 0 || dva < 0 || dn < 0) {
        fprintf(stderr, "utwin: %s: cannot map the controller (%s) or DMA memory (%s), or no memory\n", name,
                hm_strerror(va < 0 ? va : 0), hm_strerror(dva < 0 ? dva : 0));
        return 1;
    }
    regs = (volatile uint8_t *)va;
    regs_phys = ri.phys;
    dma_va = (uint8_t *)dva;
    dma_phys = mi.phys;
    dma_size = mi.size;
    dnotif = (hm_handle_t)dn;
    long rt = hm_timer_create(dnotif, RETRY_BIT);
    if (rt < 0) {
        fprintf(stderr, "utwin: %s: no timer: %s\n", name, hm_strerror(rt));
        return 1;
    }
    retry_timer = (hm_handle_t)rt;
    ufs_serve_dev(&q, &qdev);   /* the slots come with the first adopt */
    if (tl_start("utwin", name, dnotif, HM_PRIO_DRIVER) < 0 ||
        vs_start(&qdev, dnotif, HM_HANDLE_INVALID, &twin_ops, "utwin", HM_PRIO_DRIVER) < 0) {
        fprintf(stderr, "utwin: %s: cannot start its threads\n", name);
        return 1;
    }
    static struct tc_twin me;   /* ctl.c keeps it */
    me = (struct tc_twin){ "utwin", name, ep, ut_adopt, ut_serving, ut_release, ut_attach };
    long r = tc_run(&me);
    fprintf(stderr, "utwin: %s: endpoint closed (%s), exiting\n", name, hm_strerror(r));
    return 0;
}
