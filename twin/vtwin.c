/*
 * vtwin: the twin of Linux's virtio_blk driver. The Linux driver container
 * (LDC) keeps the device's control plane (probe, features, configuration,
 * errors); vtwin serves its data plane: every block session's requests go
 * from the client's ring straight onto the virtqueue Linux set up, and the
 * device's completions straight back, with no Linux in between.
 *
 * Started by devmgr when the LDC hands the device over (hm/twin.h), with
 * handles
 *   "mmio"   the device's register page        "irqres" its interrupt
 *   "ep"     our endpoint (the LDC's handle to it is badged HM_TWIN_BADGE_LDC)
 *   "dma"    contiguous memory for request headers and status bytes
 *   "ram"    the LDC's memory that holds the rings
 *   "ldc"    the LDC's endpoint: configuration changes and I/O errors go there
 *   "ready"  a notification devmgr waits on: signalled once the ring is ours
 * and argv: vtwin DEVICE-NAME key=hex ... with the keys of struct
 * hm_twin_state (mmio ram desc avail used feat irq num idx lbs; capacity
 * and read-only come with each session).
 *
 * Threads: this one answers control IPC (sessions the LDC passes on,
 * resizes, detaches); the data-plane thread (vblk_serve.c); the link thread,
 * which alone calls the LDC, so that a slow or dead LDC never stops the
 * data plane: an error report that gets no answer in 2 s completes as EIO.
 */
#include "vblk.h"
#include <hm/twin.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define VERDICT_BIT 4ull   /* the link thread answered an error report */
#define TIMEOUT_BIT 8ull   /* an error report is overdue */
#define LINK_ERR_BIT 1ull
#define LINK_CONFIG_BIT 2ull
#define ERR_WAIT_MS 2000

static struct vblk dev;
static hm_handle_t dnotif, link_notif, ldc, err_timer;
static struct hm_ipc_buf ipcbuf, link_buf;
static const char *name;

/* failed requests on their way through the LDC: 0 free, 1 reported (the
 * link thread owns it), 2 answered, 3 given up by the data plane (the
 * link thread frees it) */
#define MAX_ERRS 32
static struct err {
    int state;
    struct vs_session *s;
    uint64_t id, sector, since;
    uint32_t op, len;
    uint8_t status;
    int verdict;
} errs[MAX_ERRS];

static int err_timer_armed;   /* data-plane thread only */

static int cas(int *p, int from, int to)
{
    return __atomic_compare_exchange_n(p, &from, to, 0, __ATOMIC_SEQ_CST, __ATOMIC_SEQ_CST);
}

/* ---- data-plane thread ---- */
static void config_irq(void)
{
    hm_notif_signal(link_notif, LINK_CONFIG_BIT);
}

static int io_error(struct vs_session *s, const struct vblk_slot *sl, uint8_t status)
{
    for (int i = 0; i < MAX_ERRS; i++) {
        struct err *e = &errs[i];
        if (__atomic_load_n(&e->state, __ATOMIC_SEQ_CST))
            continue;
        *e = (struct err){ 0, s, sl->id, sl->sector, hm_now(), sl->op, sl->len, status, 0 };
        __atomic_store_n(&e->state, 1, __ATOMIC_SEQ_CST);
        if (!err_timer_armed) {   /* else the earliest report's deadline stands */
            hm_timer_set(err_timer, e->since + hm_ms(ERR_WAIT_MS));
            err_timer_armed = 1;
        }
        hm_notif_signal(link_notif, LINK_ERR_BIT);
        return 1;
    }
    fprintf(stderr, "vtwin: %s: more than %d I/O errors waiting for the LDC: EIO without it\n", name, MAX_ERRS);
    return 0;
}

static void other_bits(uint64_t bits)
{
    (void)bits;
    uint64_t now = hm_now(), next = HM_DEADLINE_NEVER;
    for (int i = 0; i < MAX_ERRS; i++) {
        struct err *e = &errs[i];
        if (cas(&e->state, 2, 2)) {
            vs_finish(e->s, e->id, -e->verdict);
            __atomic_store_n(&e->state, 0, __ATOMIC_SEQ_CST);
        } else if (__atomic_load_n(&e->state, __ATOMIC_SEQ_CST) == 1) {
            uint64_t due = e->since + hm_ms(ERR_WAIT_MS);
            if (now >= due && cas(&e->state, 1, 3)) {
                fprintf(stderr, "vtwin: %s: the LDC did not answer an I/O error report in %d ms: EIO\n", name,
                        ERR_WAIT_MS);
                vs_finish(e->s, e->id, -EIO);
            } else if (due < next) {
                next = due;
            }
        }
    }
    hm_timer_set(err_timer, next);
    err_timer_armed = next != HM_DEADLINE_NEVER;
}

static const struct vs_ops twin_ops = { .config = config_irq, .error = io_error, .bits = other_bits };

/* ---- link thread: the only one that calls the LDC ---- */
static void *link_loop(void *arg)
{
    (void)arg;
    hm_ipc_buf_set(&link_buf);
    for (;;) {
        uint64_t bits = 0;
        hm_notif_wait(link_notif, HM_DEADLINE_NEVER, &bits);
        if (bits & LINK_CONFIG_BIT) {
            struct hm_msg m = { .tag = HM_TAG(HM_DC_TWIN_EVENT, 0, 0) };
            long r = hm_call(ldc, &m);
            if (r < 0 || HM_TAG_LABEL(m.tag))
                fprintf(stderr, "vtwin: %s: the LDC did not take a configuration change: %s\n", name,
                        r < 0 ? hm_strerror(r) : strerror((int)HM_TAG_LABEL(m.tag)));
        }
        for (int i = 0; i < MAX_ERRS; i++) {
            struct err *e = &errs[i];
            if (cas(&e->state, 3, 0))
                continue;   /* given up before we reported it: free again */
            if (__atomic_load_n(&e->state, __ATOMIC_SEQ_CST) != 1)
                continue;
            struct hm_msg m = { .tag = HM_TAG(HM_DC_TWIN_ERROR, 0, 0), .w = { e->op, e->sector, e->len, e->status } };
            long r = hm_call(ldc, &m);
            /* the LDC's verdict, or EIO if it cannot give one */
            e->verdict = r < 0 || HM_TAG_LABEL(m.tag) || m.w[0] == 0 || m.w[0] > 4095 ? EIO : (int)m.w[0];
            if (!cas(&e->state, 1, 2))
                __atomic_store_n(&e->state, 0, __ATOMIC_SEQ_CST);   /* the data plane gave up on it */
            else
                hm_notif_signal(dnotif, VERDICT_BIT);
        }
    }
    return NULL;
}

/* ---- start ---- */
static uint64_t arg(int argc, char **argv, const char *key, int *missing)
{
    size_t n = strlen(key);
    for (int i = 2; i < argc; i++)
        if (!strncmp(argv[i], key, n) && argv[i][n] == '=')
            return strtoull(argv[i] + n + 1, NULL, 16);
    *missing = 1;
    return 0;
}

static long map(hm_handle_t h, uint64_t off, uint64_t size)
{
    return hm_vm_map(HM_HANDLE_SELF_PROC, h, off, size, 0, HM_MAP_R | HM_MAP_W);
}

int main(int argc, char **argv)
{
    hm_handle_t mmio = hm_start_handle("mmio"), irqres = hm_start_handle("irqres"), ep = hm_start_handle("ep");
    hm_handle_t dma = hm_start_handle("dma"), ram = hm_start_handle("ram");
    ldc = hm_start_handle("ldc");
    int missing = argc < 2;
    struct hm_twin_state st = {
        .mmio = arg(argc, argv, "mmio", &missing), .ram_base = arg(argc, argv, "ram", &missing),
        .desc = arg(argc, argv, "desc", &missing), .avail = arg(argc, argv, "avail", &missing),
        .used = arg(argc, argv, "used", &missing), .features = arg(argc, argv, "feat", &missing),
        .irq = (uint32_t)arg(argc, argv, "irq", &missing), .num = (uint32_t)arg(argc, argv, "num", &missing),
        .idx = (uint32_t)arg(argc, argv, "idx", &missing), .lbs = (uint32_t)arg(argc, argv, "lbs", &missing),
    };
    name = argc > 1 ? argv[1] : "?";
    if (missing || mmio < 0 || irqres < 0 || ep < 0 || dma < 0 || ram < 0 || ldc < 0) {
        fprintf(stderr, "vtwin: usage: vtwin DEVICE mmio= ram= desc= avail= used= feat= irq= num= idx= lbs= (hex) with "
                        "handles mmio, irqres, ep, dma, ram, ldc\n");
        return 2;
    }
    /* the rings: one span of the LDC's memory (Linux allocates them
     * together); every part inside the memory object, sums without overflow */
    struct hm_mem_info mi, ri;
    uint64_t part[3] = { st.desc, st.avail, st.used }, len[3] = { 16ull * st.num, 6 + 2ull * st.num, 6 + 8ull * st.num };
    uint64_t lo = ~0ull, hi = 0;
    int bad = st.num > QMAX || hm_mem_info(ram, &ri) < 0;
    for (int i = 0; i < 3 && !bad; i++) {
        uint64_t off = part[i] - st.ram_base;
        bad = part[i] < st.ram_base || off > ri.size || len[i] > ri.size - off;
        lo = part[i] < lo ? part[i] : lo;
        hi = part[i] + len[i] > hi ? part[i] + len[i] : hi;
    }
    lo &= ~0xfffull;
    hi = (hi + 0xfff) & ~0xfffull;
    long rva = bad || lo < st.ram_base || hi - lo > 64 * 1024 ? -HM_EINVAL : map(ram, lo - st.ram_base, hi - lo);
    long va = map(mmio, 0, 4096);
    long dva = hm_mem_info(dma, &mi) < 0 || mi.kind != HM_MEM_CONTIG ? -HM_EINVAL : map(dma, 0, 4096);
    if (rva < 0 || va < 0 || dva < 0) {
        fprintf(stderr, "vtwin: %s: cannot map the rings (%s), the device (%s) or DMA memory (%s)\n", name,
                hm_strerror(rva < 0 ? rva : 0), hm_strerror(va < 0 ? va : 0), hm_strerror(dva < 0 ? dva : 0));
        return 1;
    }
    const char *why;
    int err = vblk_adopt(&dev, (volatile uint8_t *)va + (st.mmio & 0xfff), (void *)(rva + (st.desc - lo)),
                         (void *)(rva + (st.avail - lo)), (void *)(rva + (st.used - lo)), st.num, st.features,
                         (uint16_t)st.idx, (uint8_t *)dva, mi.phys, 4096, &why);
    if (!err && (st.lbs < 512 || st.lbs > 65536 || (st.lbs & (st.lbs - 1)))) {
        err = -EINVAL;
        why = "the logical block size is not a power of two from 512 to 64 KiB";
    }
    if (err) {
        fprintf(stderr, "vtwin: %s: cannot take the data plane over: %s\n", name, why);
        return 1;
    }
    dev.lbs = st.lbs;
    long dn = hm_notif_create(), ln = hm_notif_create();
    long t = dn < 0 ? dn : hm_timer_create((hm_handle_t)dn, TIMEOUT_BIT);
    long q = dn < 0 ? dn : hm_irq_create(irqres, st.irq, (hm_handle_t)dn, VS_IRQ_BIT, HM_IRQ_EDGE);
    if (ln < 0 || t < 0 || q < 0) {
        fprintf(stderr, "vtwin: %s: cannot bind IRQ %u: %s\n", name, st.irq, hm_strerror(q < 0 ? q : -HM_ENOMEM));
        return 1;
    }
    dnotif = (hm_handle_t)dn;
    link_notif = (hm_handle_t)ln;
    err_timer = (hm_handle_t)t;
    static struct hm_thread lt;
    if (hm_thread_start(&lt, link_loop, NULL, HM_PRIO_MAX - 3, 1) < 0 ||
        vs_start(&dev, dnotif, (hm_handle_t)q, &twin_ops, "vtwin") < 0) {
        fprintf(stderr, "vtwin: %s: cannot start its threads\n", name);
        return 1;
    }
    /* devmgr answers the LDC only once we said so: until then Linux can
     * still take its queue back */
    hm_handle_t ready = hm_start_handle("ready");
    if (ready >= 0)
        hm_notif_signal(ready, 1);
    printf("vtwin: %s: data plane taken over at ring index %u (%u entries, %u requests at once, features 0x%lx, "
           "virtio-mmio v%d, IRQ %u)\n", name, st.idx, st.num, dev.nslots, (unsigned long)st.features, dev.version,
           st.irq);

    hm_ipc_buf_set(&ipcbuf);
    struct hm_msg m;
    long r = hm_recv(ep, &m, HM_DEADLINE_NEVER);
    while (r >= 0) {
        uint32_t label = HM_TAG_LABEL(m.tag);
        int status = 0, from_ldc = m.badge == HM_TWIN_BADGE_LDC;
        unsigned nh_out = 0;
        if (!(label == HM_TWIN_ATTACH && from_ldc && HM_TAG_NHANDLES(m.tag) == 2))
            for (unsigned i = 0; i < HM_TAG_NHANDLES(m.tag); i++)
                hm_handle_close(ipcbuf.handles[i]);   /* only ATTACH takes handles */
        if (label == HM_TWIN_ATTACH && from_ldc) {
            if (HM_TAG_NHANDLES(m.tag) != 2)
                status = EINVAL;
            else if (!(status = vs_attach(ipcbuf.handles[0], ipcbuf.handles[1], m.w[0], m.w[1], m.w[2], m.w[3],
                                          (int)m.w[4], (int)m.w[5], ep, ipcbuf.handles)))
                nh_out = 2;
        } else if (label == HM_TWIN_RESIZE && from_ldc) {
            vs_resize((int)m.w[0], m.w[1], (int)m.w[2]);
            printf("vtwin: %s: disk %lu is now %lu bytes%s (from the LDC)\n", name, (unsigned long)m.w[0],
                   (unsigned long)m.w[1], m.w[2] ? ", read-only" : "");
        } else if (label == HM_BLK_DETACH && !from_ldc) {
            status = vs_detach(m.badge);
        } else {
            status = EINVAL;   /* malformed, or not the LDC's to ask: an error, and on to the next */
        }
        m.tag = HM_TAG((uint32_t)status, 0, nh_out) | (nh_out ? HM_TAG_MOVE : 0);
        r = hm_reply_recv(ep, &m);
    }
    fprintf(stderr, "vtwin: %s: endpoint closed (%s), exiting\n", name, hm_strerror(r));
    return 0;
}
