/*
 * ndc: the native driver container. Today it drives one virtio-blk device
 * with the native driver (vblk_*.c) and serves block sessions (hm/blk.h).
 *
 * Started (by the device manager, or a test acting as one) with handles
 *   "mmio"   device memory object covering the virtio-mmio slot's page
 *   "irqres" IRQ resource covering the slot's interrupt
 *   "ep"     its endpoint (receive, and duplicate to mint session handles) on
 *            which it serves HM_BLK_INFO, HM_BLK_ATTACH and HM_BLK_DETACH
 *   "dma"    (optional) contiguous memory for its rings: its DMA budget
 *   "dtb"    (optional) the device tree the device manager filtered for it
 *   "dm"     (optional) the device manager (hm/dm.h): once the device is up,
 *            ndc publishes its node through it (HM_DM_REGISTER) and says
 *            HM_DM_READY; without it (tests) nothing is published
 * and argv: ndc OFFSET-IN-PAGE-HEX IRQ
 * Two threads: this one answers control IPC; the data-plane thread
 * (serve.c) waits on one notification for device interrupts and
 * client doorbells. A third,
 * short-lived one talks to the device manager at start.
 */
#include "vblk.h"
#include <hm/hm.h>
#include <hm/blksrv.h>
#include <hm/dm.h>
#include <hm/prio.h>
#include <hm/server.h>
#include <hm/vfs.h>
#include <libfdt.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static struct vblk dev;
static struct hm_ipc_buf ipcbuf;

/* a capacity change: the device's own config says the new size */
static void config_changed(void)
{
    vblk_config_changed(&dev);
    vs_resize(0, dev.capacity, dev.ro);
}

static const struct vs_ops ndc_vs_ops = { 0 };
static struct vs_dev vdev;

/* ---- control requests (hm/blk.h); the table after them says who may ask ---- */
static hm_handle_t ndc_ep;
#define NDC_CLIENT  1u   /* badge 0: the handle vfs hands out for the disk */
#define NDC_SESSION 2u   /* a session handle (vs_attach minted it) */

static uint32_t ndc_classify(uint64_t badge)
{
    return badge ? NDC_SESSION : NDC_CLIENT;
}

static int ndc_info(struct hm_srv_req *r)
{
    hm_blk_srv_info(&r->m, dev.capacity, dev.lbs, dev.ro);
    return 0;
}

static int ndc_ioctl(struct hm_srv_req *r)
{
    return hm_blk_srv_ioctl(&r->m, dev.capacity, dev.lbs, dev.ro);
}

/* a session on the whole device; key 0: it follows the device's capacity */
static int ndc_attach(struct hm_srv_req *r)
{
    return vs_attach_req(r, 0, dev.capacity, dev.ro, 0, 0, dev.lbs, ndc_ep, 0);
}

static int ndc_detach(struct hm_srv_req *r)
{
    return vs_detach(r->m.badge);
}

static const struct hm_srv_op ndc_ops[] = {
    /* label           who may ask   handles  handler */
    { HM_BLK_INFO,     NDC_CLIENT,   0,       ndc_info },
    { HM_BLK_IOCTL,    NDC_CLIENT,   0,       ndc_ioctl },
    { HM_BLK_ATTACH,   NDC_CLIENT,   2,       ndc_attach },
    { HM_BLK_DETACH,   NDC_SESSION,  0,       ndc_detach },
};

/* Publish the disk through the device manager, then tell it we are ready.
 * On a thread of its own: devmgr may call our endpoint (HM_DC_LOG, for
 * dmesg) while it holds our request, so the main thread must keep serving
 * meanwhile. arg: our endpoint (receive side). */
static void *announce(void *arg)
{
    hm_handle_t ep = (hm_handle_t)(long)arg, dm = hm_start_handle("dm");
    static struct hm_ipc_buf buf;   /* this thread's: the main thread's is in use */
    if (hm_ipc_buf_set(&buf) < 0) {
        fprintf(stderr, "ndc: cannot set an IPC buffer: not published\n");
        return NULL;
    }
    /* the rights vfs asks of a driver handle: it hands clients copies with
     * SEND and GRANT only, and needs DUP to make them */
    long h = hm_handle_dup(ep, HM_R_SEND | HM_R_GRANT | HM_R_DUP, 0);
    if (h < 0) {
        fprintf(stderr, "ndc: cannot duplicate its endpoint: %s\n", hm_strerror(h));
    } else {
        memset(buf.words, 0, HM_DM_NAME_MAX);   /* empty name: devmgr names it vdX */
        buf.handles[0] = (hm_handle_t)h;
        struct hm_msg m = { .tag = HM_TAG(HM_DM_REGISTER, HM_DM_NAME_MAX / 8, 1) | HM_TAG_MOVE,
                            .w = { HM_VFS_BLK, dev.capacity } };
        /* moved: not ours after the call, even if it fails (then it is lost
         * or, if the kernel refused the message outright, left unused) */
        long r = hm_call(dm, &m);
        if (r < 0 || HM_TAG_LABEL(m.tag))
            fprintf(stderr, "ndc: cannot publish the disk: %s\n",
                    r < 0 ? hm_strerror(r) : strerror((int)HM_TAG_LABEL(m.tag)));
    }
    /* ready either way: the device works, and lsdev shows whether it has a node */
    struct hm_msg m = { .tag = HM_TAG(HM_DM_READY, 0, 0) };
    long r = hm_call(dm, &m);
    if (r < 0 || HM_TAG_LABEL(m.tag))
        fprintf(stderr, "ndc: device manager refused ready: %s\n",
                r < 0 ? hm_strerror(r) : strerror((int)HM_TAG_LABEL(m.tag)));
    return NULL;
}

int main(int argc, char **argv)
{
    hm_handle_t mmio = hm_start_handle("mmio"), irqres = hm_start_handle("irqres"), ep = hm_start_handle("ep");
    ndc_ep = ep;
    if (argc < 3 || mmio < 0 || irqres < 0 || ep < 0) {
        fprintf(stderr, "ndc: usage: ndc OFFSET IRQ with handles mmio, irqres, ep\n");
        return 2;
    }
    uint64_t off = strtoull(argv[1], NULL, 16);
    uint32_t irq = (uint32_t)strtoul(argv[2], NULL, 10);
    long va = hm_vm_map(HM_HANDLE_SELF_PROC, mmio, 0, 4096, 0, HM_MAP_R | HM_MAP_W);
    /* the device manager's DMA budget, or our own when started without one (tests) */
    long dmamem = hm_start_handle("dma");
    if (dmamem < 0)
        dmamem = hm_mem_create(VBLK_DMA_SIZE, HM_MEM_CONTIG);
    struct hm_mem_info mi;
    long dva = dmamem < 0 ? dmamem : hm_vm_map(HM_HANDLE_SELF_PROC, (hm_handle_t)dmamem, 0, VBLK_DMA_SIZE, 0, HM_MAP_R | HM_MAP_W);
    if (va < 0 || dva < 0 || off > 4096 - 0x200 || hm_mem_info((hm_handle_t)dmamem, &mi) < 0) {
        fprintf(stderr, "ndc: cannot map the device or its queue memory\n");
        return 1;
    }
    hm_handle_t dtb = hm_start_handle("dtb");
    struct hm_mem_info ti;
    long tva = dtb < 0 || hm_mem_info(dtb, &ti) < 0 ? -1 : hm_vm_map(HM_HANDLE_SELF_PROC, dtb, 0, ti.size, 0, HM_MAP_R);
    if (tva > 0 && !fdt_check_header((const void *)tva)) {
        int n = 0;
        for (int node = fdt_node_offset_by_compatible((const void *)tva, -1, "virtio,mmio"); node >= 0;
             node = fdt_node_offset_by_compatible((const void *)tva, node, "virtio,mmio"), n++)
            printf("ndc: device tree names %s\n", fdt_get_name((const void *)tva, node, NULL));
        printf("ndc: device tree describes %d virtio-mmio device%s, PCIe host %s\n", n, n == 1 ? "" : "s",
               fdt_node_offset_by_compatible((const void *)tva, -1, "pci-host-ecam-generic") >= 0 ? "present" : "absent");
    }
    int err = vblk_init(&dev, (volatile uint8_t *)va + off, (uint8_t *)dva, mi.phys, VBLK_DMA_SIZE);
    if (err) {
        fprintf(stderr, "ndc: virtio-blk init failed: %s\n", strerror(-err));
        return 1;
    }
    hm_handle_t dnotif = (hm_handle_t)hm_notif_create();
    long q = hm_irq_create(irqres, irq, dnotif, VS_IRQ_BIT, HM_IRQ_EDGE);
    if (q < 0) {
        fprintf(stderr, "ndc: cannot bind IRQ %u: %s\n", irq, hm_strerror(q));
        return 1;
    }
    printf("ndc: virtio-blk (virtio-mmio v%d) %lu bytes%s, IRQ %u\n", dev.version, (unsigned long)dev.capacity,
           dev.ro ? " read-only" : "", irq);
    dev.config = config_changed;
    vblk_serve_dev(&dev, &vdev);
    if (vs_start(&vdev, dnotif, (hm_handle_t)q, &ndc_vs_ops, "ndc", HM_PRIO_DRIVER) < 0) {
        fprintf(stderr, "ndc: cannot start the data-plane thread\n");
        return 1;
    }
    if (hm_start_handle("dm") >= 0) {
        static struct hm_thread an;
        int e = hm_thread_start(&an, announce, (void *)(long)ep, HM_PRIO_DRIVER, 1);
        if (e < 0)
            fprintf(stderr, "ndc: cannot start a thread to publish the disk: %s\n", hm_strerror(e));
    }

    struct hm_srv srv = { .ep = ep, .ops = ndc_ops, .nops = sizeof ndc_ops / sizeof ndc_ops[0],
                          .classify = ndc_classify, .buf = &ipcbuf };
    long r = hm_srv_run(&srv);
    fprintf(stderr, "ndc: endpoint closed (%s), exiting\n", hm_strerror(r));
    return 0;
}
