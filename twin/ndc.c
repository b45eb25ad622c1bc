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
 * Two threads: this one answers control IPC; the data-plane thread waits on
 * one notification for device interrupts and client doorbells. A third,
 * short-lived one talks to the device manager at start.
 */
#include "vblk.h"
#include <hm/hm.h>
#include <hm/blksrv.h>
#include <hm/dm.h>
#include <hm/vfs.h>
#include <libfdt.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MAX_SESSIONS 64
#define IRQ_BIT 1ull
#define DOORBELL_BIT 2ull

static struct vblk dev;
static struct hm_blk_srv_session sessions[MAX_SESSIONS];
static hm_handle_t dnotif, irq_h;
static struct hm_ipc_buf ipcbuf;

static void done(void *owner, uint64_t id, int status, uint32_t len)
{
    struct hm_blk_srv_session *s = owner;
    s->inflight--;
    hm_blk_srv_post(s, id, status, len);
    hm_notif_signal(s->client, s->client_bits);
}

/* take what the client queued, as far as the device and the rings have room */
static void pump(struct hm_blk_srv_session *s)
{
    struct hm_blk_shared *sh = s->sh;
    int posted = 0;
    while (!sh->broken) {
        int n = hm_blk_pending(sh->sq_head, sh->sq_tail, s->entries);
        int used = hm_blk_pending(sh->cq_head, sh->cq_tail, s->entries);
        if (n < 0 || used < 0) {
            sh->broken = 1;
            fprintf(stderr, "ndc: session ring indexes corrupt: session stopped\n");
            posted = 1;   /* wake the client so it sees the session is gone */
            break;
        }
        if (n == 0 || (uint32_t)used + s->inflight >= s->entries)
            break;
        struct hm_blk_req r = s->sq[sh->sq_head % s->entries];   /* copy: the client may scribble */
        int err = hm_blk_check(&r, dev.capacity, 512, dev.ro, s->data_size);
        if (!err) {
            err = vblk_submit(&dev, s, r.id, r.op, r.offset, s->data_phys + r.data_off, r.len);
            if (err == -EBUSY)
                break;   /* device queue full: retry on the next completion */
        }
        sh->sq_head++;
        if (err == 0) {
            s->inflight++;
        } else {
            hm_blk_srv_post(s, r.id, err > 0 ? 0 : err, 0);   /* 1: completed at once (flush without cache) */
            posted = 1;
        }
    }
    if (posted)
        hm_notif_signal(s->client, s->client_bits);
}

static void *dataplane(void *arg)
{
    (void)arg;
    for (;;) {
        uint64_t bits = 0;
        hm_notif_wait(dnotif, HM_DEADLINE_NEVER, &bits);
        if (bits & IRQ_BIT) {
            uint32_t st = vr(&dev, VM_INT_STATUS);
            vw(&dev, VM_INT_ACK, st);
            if (st & 2)
                vblk_config_changed(&dev);
            hm_irq_ctl(irq_h, HM_IRQ_ACK);
        }
        vblk_complete(&dev, done);
        for (int i = 0; i < MAX_SESSIONS; i++) {
            struct hm_blk_srv_session *s = &sessions[i];
            if (s->active && s->closing && s->inflight == 0)
                hm_blk_srv_release(s);
            else if (s->active && !s->closing)
                pump(s);
        }
    }
    return NULL;
}

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
    if (argc < 3 || mmio < 0 || irqres < 0 || ep < 0) {
        fprintf(stderr, "ndc: usage: ndc OFFSET IRQ with handles mmio, irqres, ep\n");
        return 2;
    }
    uint64_t off = strtoull(argv[1], NULL, 16);
    uint32_t irq = (uint32_t)strtoul(argv[2], NULL, 10);
    long va = hm_vm_map(HM_HANDLE_SELF_PROC, mmio, 0, 4096, 0, HM_MAP_R | HM_MAP_W);
    /* the device manager's DMA budget, or our own when started without one (tests) */
    long dmamem = hm_start_handle("dma") >= 0 ? hm_start_handle("dma") : hm_mem_create(3 * 4096, HM_MEM_CONTIG);
    struct hm_mem_info mi;
    long dva = dmamem < 0 ? dmamem : hm_vm_map(HM_HANDLE_SELF_PROC, (hm_handle_t)dmamem, 0, 3 * 4096, 0, HM_MAP_R | HM_MAP_W);
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
    int err = vblk_init(&dev, (volatile uint8_t *)va + off, (uint8_t *)dva, mi.phys, 3 * 4096);
    if (err) {
        fprintf(stderr, "ndc: virtio-blk init failed: %s\n", strerror(-err));
        return 1;
    }
    dnotif = (hm_handle_t)hm_notif_create();
    long q = hm_irq_create(irqres, irq, dnotif, IRQ_BIT, HM_IRQ_EDGE);
    if (q < 0) {
        fprintf(stderr, "ndc: cannot bind IRQ %u: %s\n", irq, hm_strerror(q));
        return 1;
    }
    irq_h = (hm_handle_t)q;
    printf("ndc: virtio-blk (virtio-mmio v%d) %lu bytes%s, IRQ %u\n", dev.version, (unsigned long)dev.capacity,
           dev.ro ? " read-only" : "", irq);
    static struct hm_thread dp;
    hm_thread_start(&dp, dataplane, NULL, HM_PRIO_MAX - 3, 1);
    if (hm_start_handle("dm") >= 0) {
        static struct hm_thread an;
        int e = hm_thread_start(&an, announce, (void *)(long)ep, HM_PRIO_MAX - 3, 1);
        if (e < 0)
            fprintf(stderr, "ndc: cannot start a thread to publish the disk: %s\n", hm_strerror(e));
    }

    hm_ipc_buf_set(&ipcbuf);
    struct hm_msg m;
    long r = hm_recv(ep, &m, HM_DEADLINE_NEVER);
    while (r >= 0) {
        uint32_t label = HM_TAG_LABEL(m.tag);
        int status = 0;
        unsigned nh_out = 0;
        if (label != HM_BLK_ATTACH || m.badge != 0)
            for (unsigned i = 0; i < HM_TAG_NHANDLES(m.tag); i++)
                hm_handle_close(ipcbuf.handles[i]);   /* nothing else takes handles */
        if (label == HM_BLK_INFO) {
            m.w[0] = dev.capacity;
            m.w[1] = 512;
            m.w[2] = (uint64_t)dev.ro;
        } else if (label == HM_BLK_IOCTL) {
            if (m.w[0] == HM_BLK_IOC_GETSIZE)
                m.w[0] = dev.capacity;
            else if (m.w[0] == HM_BLK_IOC_GETRO)
                m.w[0] = (uint64_t)dev.ro;
            else if (m.w[0] == HM_BLK_IOC_SSZGET)
                m.w[0] = 512;
            else
                status = ENOTTY;
        } else if (label == HM_BLK_ATTACH && m.badge == 0) {
            int slot = HM_TAG_NHANDLES(m.tag) != 2 ? -EINVAL
                       : hm_blk_srv_attach(sessions, MAX_SESSIONS, ipcbuf.handles[0], ipcbuf.handles[1], m.w[0],
                                           m.w[1], 1);
            if (HM_TAG_NHANDLES(m.tag) != 2)
                for (unsigned i = 0; i < HM_TAG_NHANDLES(m.tag); i++)
                    hm_handle_close(ipcbuf.handles[i]);
            if (slot < 0) {
                status = -slot;
            } else {
                /* the session badge names the slot and its generation, so a
                 * stale session handle cannot detach whoever uses the slot next */
                if (hm_blk_srv_grant(sessions, slot, dnotif, ep, ipcbuf.handles)) {
                    sessions[slot].closing = 1;   /* the data plane frees it */
                    hm_notif_signal(dnotif, DOORBELL_BIT);
                    status = ENOMEM;
                } else {
                    nh_out = 2;
                    m.tag = HM_TAG_MOVE;
                }
            }
        } else if (label == HM_BLK_DETACH && hm_blk_srv_lookup(sessions, MAX_SESSIONS, m.badge) >= 0) {
            sessions[hm_blk_srv_lookup(sessions, MAX_SESSIONS, m.badge)].closing = 1;   /* the data plane drains and frees it */
            hm_notif_signal(dnotif, DOORBELL_BIT);
        } else {
            status = EINVAL;   /* malformed: an error reply, and on to the next request */
        }
        m.tag = (m.tag & HM_TAG_MOVE) | HM_TAG((uint32_t)status, 0, nh_out);
        r = hm_reply_recv(ep, &m);
    }
    fprintf(stderr, "ndc: endpoint closed (%s), exiting\n", hm_strerror(r));
    return 0;
}
