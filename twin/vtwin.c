/*
 * vtwin: the twin of Linux's virtio_blk driver. The Linux driver container
 * (LDC) keeps the device's control plane (probe, features, configuration,
 * errors); vtwin serves its data plane: every block session's requests go
 * from the client's ring straight onto the virtqueue Linux set up, and the
 * device's completions straight back, with no Linux in between.
 *
 * Started by devmgr when the LDC first hands the device over (hm/twin.h),
 * with handles
 *   "mmio"   the device's register page        "irqres" its interrupt
 *   "ep"     our endpoint (the LDC's handle to it is badged HM_TWIN_BADGE_LDC,
 *            devmgr's HM_TWIN_BADGE_DM)
 *   "dma"    contiguous memory for request headers and status bytes
 * and argv: vtwin DEVICE-NAME. It starts paused: devmgr then passes the
 * LDC's hand-off on as HM_TWIN_ADOPT (the state in struct hm_twin_state,
 * the LDC's memory holding the rings and the LDC's endpoint), the same
 * message that hands it a restarted LDC's rings later.
 *
 * Threads: this one answers control IPC (sessions the LDC passes on,
 * resizes, detaches; devmgr's adopt and pause: ctl.c's table); the
 * data-plane thread
 * (serve.c); the link thread, which alone calls the LDC, so that a
 * slow or dead LDC never stops the data plane: an error report that gets no
 * answer in 2 s completes as EIO.
 *
 * When the LDC restarts, we keep serving (docs/reliability.md): devmgr
 * does not reset the device, the sessions stay ours. Before the new LDC's
 * Linux probes the device (which resets it) devmgr asks us to pause
 * (HM_TWIN_PAUSE: requests on the device finish, new ones wait in the
 * clients' rings, the interrupt and the old rings are let go); after its
 * hand-off, to adopt the new rings (HM_TWIN_ADOPT) and serve on.
 */
#include "vblk.h"
#include "link.h"
#include "ctl.h"
#include <hm/dc.h>
#include <hm/prio.h>
#include <hm/server.h>
#include <hm/twin.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>


static struct vblk dev;
static struct vs_dev vdev;
static hm_handle_t dnotif, ep;
static int adoptions;   /* hand-offs taken: the first, then one per LDC restart */
static const char *name;
/* what the current hand-off gave us: the LDC's memory holding the rings
 * (mapped at rings_va), the interrupt binding; the device's registers and
 * our DMA memory stay for our whole life */
static hm_handle_t ram = HM_HANDLE_INVALID, irqres, irq_obj = HM_HANDLE_INVALID;
static long rings_va;
static uint64_t rings_len;
static volatile uint8_t *regs_page;
static uint8_t *dma_va;
static uint64_t dma_phys;

/* the device raised a configuration change (data-plane thread) */
static void config_irq(void)
{
    tl_event(HM_TWIN_EV_CONFIG);
}

static const struct vs_ops twin_ops = { .error = tl_error, .bits = tl_bits };

/* ---- taking a data plane, letting go of it ---- */
static long map(hm_handle_t h, uint64_t off, uint64_t size)
{
    return hm_vm_map(HM_HANDLE_SELF_PROC, h, off, size, 0, HM_MAP_R | HM_MAP_W);
}

/* take the data plane over on the rings st names, in memory r (the LDC's):
 * map them, adopt the queue, bind the interrupt. 0, or -errno and *why */
static int take(const struct hm_twin_state *st, hm_handle_t r, const char **why)
{
    /* the rings: one span of the LDC's memory (Linux allocates them
     * together); every part inside the memory object, sums without overflow */
    struct hm_mem_info ri;
    uint64_t lo = 0, hi = 0;
    int bad = st->num > QMAX || hm_mem_info(r, &ri) < 0 || !hm_twin_rings_inside(st, st->ram_base, ri.size, &lo, &hi);
    lo &= ~0xfffull;
    hi = (hi + 0xfff) & ~0xfffull;
    *why = "the rings are not inside the memory handed over";
    if (bad || lo < st->ram_base || hi - lo > 64 * 1024)
        return -EINVAL;
    long rva = map(r, lo - st->ram_base, hi - lo);
    *why = "cannot map the rings";
    if (rva < 0)
        return -ENOMEM;
    int err = vblk_adopt(&dev, regs_page + (st->mmio & 0xfff), (void *)(rva + (st->desc - lo)),
                         (void *)(rva + (st->avail - lo)), (void *)(rva + (st->used - lo)), st->num, st->features,
                         (uint16_t)st->idx, dma_va, dma_phys, 4096, why);
    if (!err && (st->lbs < 512 || st->lbs > 65536 || (st->lbs & (st->lbs - 1)))) {
        err = -EINVAL;
        *why = "the logical block size is not a power of two from 512 to 64 KiB";
    }
    long q = err ? -HM_EINVAL : hm_irq_create(irqres, st->irq, dnotif, VS_IRQ_BIT, HM_IRQ_EDGE);
    if (!err && q < 0) {
        err = -EBUSY;
        *why = "cannot bind its interrupt";
    }
    if (err) {
        hm_vm_unmap(HM_HANDLE_SELF_PROC, (uint64_t)rva);
        return err;
    }
    dev.lbs = st->lbs;
    dev.config = config_irq;
    rings_va = rva;
    rings_len = hi - lo;
    ram = r;
    irq_obj = (hm_handle_t)q;
    return 0;
}

/* paused (ctl.c): the interrupt and the old LDC's rings go */
static void vt_release(void)
{
    hm_handle_close(irq_obj);   /* the INTID is free for the new LDC's Linux */
    hm_vm_unmap(HM_HANDLE_SELF_PROC, (uint64_t)rings_va);
    hm_handle_close(ram);        /* the old LDC's memory can go now */
    irq_obj = ram = HM_HANDLE_INVALID;
}

static int vt_serving(void)
{
    return irq_obj >= 0;
}

/* HM_TWIN_ADOPT (devmgr): an LDC's hand-off, its state in the IPC buffer's
 * words, h[0] its memory holding the rings, h[1] its endpoint: serve from
 * those rings. The first hand-off and every later one (after a pause). */
static int vt_adopt(struct hm_srv_req *r)
{
    struct hm_twin_state st;
    const char *why;
    if (irq_obj >= 0)
        return -EBUSY;   /* serving: not paused */
    if (r->nwords != HM_TWIN_STATE_WORDS)
        return -EINVAL;
    memcpy(&st, r->buf->words, sizeof st);
    int err = take(&st, r->h[0], &why);
    if (err) {
        fprintf(stderr, "vtwin: %s: cannot take the data plane over%s: %s\n", name, adoptions ? " again" : "", why);
        return err;
    }
    r->h[0] = HM_HANDLE_INVALID;   /* take() keeps the memory */
    tl_set_ldc(r->h[1]);
    r->h[1] = HM_HANDLE_INVALID;
    vs_resume(irq_obj);
    if (adoptions++)
        printf("vtwin: %s: serving again, on the new LDC's rings at ring index %u\n", name, st.idx);
    else
        printf("vtwin: %s: data plane taken over at ring index %u (%u entries, %u requests at once, features 0x%lx, "
               "virtio-mmio v%d, IRQ %u)\n", name, st.idx, st.num, dev.nslots, (unsigned long)st.features, dev.version,
               st.irq);
    return 0;
}

/* HM_TWIN_ATTACH (LDC): a client's session on one of its disks */
static int vt_attach(struct hm_srv_req *r)
{
    const uint64_t *w = r->m.w;   /* w2 start, w3 size, w4 read-only, w5 the LDC's disk id */
    return vs_attach_req(r, w[2], w[3], (int)(w[4] & 1), (int)(uint32_t)w[5], 0, dev.lbs, ep, 0);
}

int main(int argc, char **argv)
{
    hm_handle_t mmio = hm_start_handle("mmio"), dma = hm_start_handle("dma");
    ep = hm_start_handle("ep");
    irqres = hm_start_handle("irqres");
    name = argc > 1 ? argv[1] : "?";
    if (argc < 2 || mmio < 0 || irqres < 0 || ep < 0 || dma < 0) {
        fprintf(stderr, "vtwin: usage: vtwin DEVICE with handles mmio, irqres, ep, dma\n");
        return 2;
    }
    struct hm_mem_info mi;
    long va = map(mmio, 0, 4096);
    long dva = hm_mem_info(dma, &mi) < 0 || mi.kind != HM_MEM_CONTIG ? -HM_EINVAL : map(dma, 0, 4096);
    long dn = hm_notif_create();
    if (va < 0 || dva < 0 || dn < 0) {
        fprintf(stderr, "vtwin: %s: cannot map the device (%s) or DMA memory (%s), or no memory\n", name,
                hm_strerror(va < 0 ? va : 0), hm_strerror(dva < 0 ? dva : 0));
        return 1;
    }
    regs_page = (volatile uint8_t *)va;
    dma_va = (uint8_t *)dva;
    dma_phys = mi.phys;
    dnotif = (hm_handle_t)dn;
    /* the data plane starts paused: it has no rings until the first HM_TWIN_ADOPT */
    vblk_serve_dev(&dev, &vdev);
    if (tl_start("vtwin", name, dnotif, HM_PRIO_DRIVER) < 0 ||
        vs_start(&vdev, dnotif, HM_HANDLE_INVALID, &twin_ops, "vtwin", HM_PRIO_DRIVER) < 0) {
        fprintf(stderr, "vtwin: %s: cannot start its threads\n", name);
        return 1;
    }
    static struct tc_twin me;   /* ctl.c keeps it */
    me = (struct tc_twin){ "vtwin", name, ep, vt_adopt, vt_serving, vt_release, vt_attach };
    long r = tc_run(&me);
    fprintf(stderr, "vtwin: %s: endpoint closed (%s), exiting\n", name, hm_strerror(r));
    return 0;
}
