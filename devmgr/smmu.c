/*
 * The SMMUv3 in front of the PCIe host (QEMU: -M virt,iommu=smmuv3): its
 * registers, stream table, command queue and event queue. devmgr drives it
 * itself (docs/reliability.md "DMA"): every PCI function's stream table
 * entry (stream ID = requester ID, bus << 8 | devfn) translates its DMA
 * through a stage-2 table that smmu_domain.c builds from exactly the memory
 * of the container (and twin) driving it; a function nobody drives has an
 * invalid entry, a stopped container's functions abort. The event thread
 * reads the faults the SMMU records, logs them and stops the container
 * whose device made the access, as for a crash.
 *
 * Everything here runs under smmu_lock (dm_lock_take): the main thread
 * (HM_DM_DMA_MAP), the restart and fault threads (a container's start and
 * stop) and the event thread share the queues and tables.
 */
#include "devmgr.h"
#include "smmu.h"
#include <hm/prio.h>
#include <libfdt.h>
#include <errno.h>
#include <stdio.h>

/* registers (page 0; the event queue's indexes are on page 1) */
#define SMMU_IDR0            0x000
#define SMMU_IDR1            0x004
#define SMMU_IDR5            0x014
#define SMMU_CR0             0x020
#define SMMU_CR0ACK          0x024
#define SMMU_CR1             0x028
#define SMMU_CR2             0x02c
#define SMMU_GBPA            0x044
#define SMMU_IRQ_CTRL        0x050
#define SMMU_IRQ_CTRLACK     0x054
#define SMMU_GERROR          0x060
#define SMMU_GERRORN         0x064
#define SMMU_STRTAB_BASE     0x080
#define SMMU_STRTAB_BASE_CFG 0x088
#define SMMU_CMDQ_BASE       0x090
#define SMMU_CMDQ_PROD       0x098
#define SMMU_CMDQ_CONS       0x09c
#define SMMU_EVENTQ_BASE     0x0a0
#define SMMU_EVENTQ_PROD     0x100a8
#define SMMU_EVENTQ_CONS     0x100ac
#define SMMU_MMIO_SIZE       0x20000

#define IDR0_S2P        (1u << 0)
#define IDR0_TTF_AA64   (1u << 3)
#define IDR0_VMID16     (1u << 18)
#define CR0_SMMUEN      (1u << 0)
#define CR0_EVENTQEN    (1u << 2)
#define CR0_CMDQEN      (1u << 3)
#define GBPA_UPDATE     (1u << 31)
#define GBPA_ABORT      (1u << 20)
#define IRQ_GERROR      (1u << 0)
#define IRQ_EVENTQ      (1u << 2)
#define GERROR_CMDQ_ERR (1u << 0)
#define GERROR_EVTQ_ABT (1u << 2)      /* QEMU: an event found the queue full */
#define Q_BASE_RWA      (1ull << 62)   /* read-/write-allocate: the queue is cacheable */
/* CR1: tables and queues inner-shareable, write-back (QEMU ignores it) */
#define CR1_WB_ISH      0xd75u
#define CR2_RECINVSID   (1u << 1)      /* record accesses of stream IDs past the table */
#define CR2_PTM         (1u << 2)

/* sizes: 256 stream IDs (bus 0, the only bus on virt), 256 commands, 128 events */
#define STRTAB_LOG2     8
#define STE_DWORDS      8
#define CMDQ_LOG2       8
#define EVTQ_LOG2       7
#define QMEM_SIZE       (64 * 1024)    /* stream table (16 KiB, aligned to its size), queues */

/* commands: opcode in bits 7:0 of the first word */
#define CMD_CFGI_STE        0x03
#define CMD_CFGI_ALL        0x04
#define CMD_TLBI_S12_VMALL  0x28
#define CMD_TLBI_NSNH_ALL   0x30
#define CMD_SYNC            0x46

/* events: type in bits 7:0 */
#define EVT_BAD_STREAMID    0x02
#define EVT_BAD_STE         0x04
#define EVT_TRANSLATION     0x10
#define EVT_ADDR_SIZE       0x11
#define EVT_ACCESS          0x12
#define EVT_PERMISSION      0x13

#define BIT_EVENTS 1ull
#define BIT_GERROR 2ull

int smmu_lock;
static volatile uint8_t *regs;
static volatile uint64_t *strtab, *cmdq, *evtq;
static uint32_t cmd_prod, evt_cons;
static int vmid16, stalled;
static uint32_t oas;                   /* IDR5.OAS: output address size (encoding) */
static uint32_t irq_evt, irq_gerr;     /* INTIDs, from the device tree */
static uint64_t smmu_phys;
static hm_handle_t irq_notif = HM_HANDLE_INVALID, irq_h[2] = { HM_HANDLE_INVALID, HM_HANDLE_INVALID };

static uint32_t rd(uint32_t off) { return *(volatile uint32_t *)(regs + off); }
static void wr(uint32_t off, uint32_t v) { *(volatile uint32_t *)(regs + off) = v; }
static void wr64(uint32_t off, uint64_t v) { *(volatile uint64_t *)(regs + off) = v; }

/* write a register and wait until its acknowledgement register agrees */
static int wr_ack(uint32_t off, uint32_t ack, uint32_t v)
{
    wr(off, v);
    uint64_t until = hm_deadline_ms(100);
    while (rd(ack) != v)
        if (hm_now() > until)
            return -ETIMEDOUT;
    return 0;
}

/* ---- the command queue ---- */

/* queue one command; smmu_sync() makes it take effect */
static int cmd_put(uint64_t w0, uint64_t w1)
{
    if (stalled)
        return -EIO;
    uint32_t n = 1u << CMDQ_LOG2, i = cmd_prod & (n - 1);
    cmdq[2 * i] = w0;
    cmdq[2 * i + 1] = w1;
    __asm__ volatile("dsb ishst" ::: "memory");
    cmd_prod = (cmd_prod + 1) & ((n << 1) - 1);   /* index and wrap bit */
    wr(SMMU_CMDQ_PROD, cmd_prod);
    return 0;
}

/* CMD_SYNC and wait until the SMMU consumed everything before it: the
 * invalidations queued are complete. A command the SMMU refused (GERROR
 * CMDQ_ERR) stalls the queue: nothing more is sent, every later change
 * fails (the entries already written stay as they were). */
int smmu_sync(void)
{
    int err = cmd_put(CMD_SYNC, 0);
    uint64_t until = hm_deadline_ms(100);
    while (!err && rd(SMMU_CMDQ_CONS) != cmd_prod) {
        if ((rd(SMMU_GERROR) ^ rd(SMMU_GERRORN)) & GERROR_CMDQ_ERR) {
            printf("devmgr: smmu: command queue error %u at command %u: no more changes to DMA translation\n",
                   (rd(SMMU_CMDQ_CONS) >> 24) & 0x7f, rd(SMMU_CMDQ_CONS) & ((1u << CMDQ_LOG2) - 1));
            stalled = 1;
            err = -EIO;
        } else if (hm_now() > until) {
            printf("devmgr: smmu: CMD_SYNC not complete after 100 ms\n");
            stalled = 1;
            err = -ETIMEDOUT;
        }
    }
    return err;
}

/* ---- stream table entries ---- */

int smmu_ste_translate(uint32_t sid, uint16_t vmid, uint64_t ttb)
{
    volatile uint64_t *e = strtab + sid * STE_DWORDS;
    /* stage 2 only: a 39-bit input (T0SZ 25) from level 1 (SL0 1), 4 KiB
     * granule, walks cacheable; AArch64 tables; faults recorded (S2R) */
    uint64_t dw2 = vmid | 25ull << 32 | 1ull << 38 | 1ull << 40 | 1ull << 42 | 3ull << 44 | (uint64_t)oas << 48 |
                   1ull << 51 | 1ull << 58;
    if (stalled)
        return -EIO;   /* nothing written: the entry stays as the SMMU has it */
    if (e[0] & 1) {
        /* valid already (translating or aborting): a new table for the
         * same VMID (single-copy atomic stores; the SMMU re-reads the
         * entry at CFGI_STE), visible before Config changes */
        e[3] = ttb & 0xffffffffffff0ull;
        e[2] = dw2;
        __asm__ volatile("dsb ishst" ::: "memory");
    } else {
        e[1] = 0;
        e[2] = dw2;
        e[3] = ttb & 0xffffffffffff0ull;
        for (int i = 4; i < STE_DWORDS; i++)
            e[i] = 0;
        __asm__ volatile("dsb ishst" ::: "memory");
    }
    e[0] = 1 | 6ull << 1;   /* valid, Config = stage 1 bypass, stage 2 translate */
    __asm__ volatile("dsb ishst" ::: "memory");
    int err = cmd_put(CMD_CFGI_STE | (uint64_t)sid << 32, 1);
    if (!err)
        err = cmd_put(CMD_TLBI_S12_VMALL | (uint64_t)vmid << 32, 0);
    if (!err)
        err = smmu_sync();
    return err ? -EIO : 0;   /* -EIO: written, but the SMMU may use the old entry or the new */
}

/* every access of sid aborts from now on (without an event: a stopped
 * container's device, being reset, may still try); its TLB entries gone */
int smmu_ste_abort(uint32_t sid, uint16_t vmid)
{
    strtab[sid * STE_DWORDS] = 1;   /* valid, Config = abort */
    __asm__ volatile("dsb ishst" ::: "memory");
    int err = cmd_put(CMD_CFGI_STE | (uint64_t)sid << 32, 1);
    if (!err)
        err = cmd_put(CMD_TLBI_S12_VMALL | (uint64_t)vmid << 32, 0);
    return err ? err : smmu_sync();
}

int smmu_present(void) { return regs != NULL; }
uint16_t smmu_max_vmid(void) { return vmid16 ? 0xffff : 0xff; }

/* ---- events ---- */

static const char *evt_name(uint32_t type)
{
    switch (type) {
    case EVT_BAD_STREAMID: return "stream ID past the table";
    case EVT_BAD_STE: return "no valid stream table entry";
    case EVT_TRANSLATION: return "outside its translation";
    case EVT_ADDR_SIZE: return "address too large";
    case EVT_ACCESS: return "access flag";
    case EVT_PERMISSION: return "not permitted";
    default: return "other event";
    }
}

/* the events recorded since the last look, up to the first of a device a
 * container drives (*blame gets its stream ID: bit per SID, up to 256) and
 * at most a queue's worth: a device that retries a refused DMA refills the
 * queue as fast as we read it (QEMU's SDHCI re-runs a refused ADMA
 * transfer, and the whole machine crawls meanwhile), so its stream is
 * aborted and its container stopped first, then we look again. A stream
 * once blamed is not blamed again until the queue was seen empty: events
 * still queued from before its abort belong to the container already
 * stopped, not to the one started next. Those repeats are counted. */
static uint64_t blamed[4];
static uint32_t ovf_seen;   /* EVENTQ_PROD.OVFLG as last acknowledged: it toggles at each overflow */

static uint32_t blame_gen[256];   /* the blamed function's container start, as the event was read */

static void events_take(uint64_t blame[4])
{
    uint32_t qn = 1u << EVTQ_LOG2;
    static uint32_t more[256];
    /* n == qn only looks whether the queue is empty now: a full queue's
     * worth read, and not seeing it empty, would keep the stream blamed
     * and take the next fault's events for stale ones */
    for (uint32_t n = 0; n <= qn; n++) {
        uint32_t prod = rd(SMMU_EVENTQ_PROD);
        if ((prod ^ ovf_seen) & (1u << 31)) {
            printf("devmgr: smmu: event queue overflowed: some faults were not recorded\n");
            ovf_seen = prod & (1u << 31);
        }
        if ((prod & ((qn << 1) - 1)) == evt_cons) {
            memset(blamed, 0, sizeof blamed);   /* drained: a new event is a new fault */
            break;
        }
        if (n == qn)
            break;   /* more than a queue's worth: the event loop looks again */
        volatile uint64_t *e = evtq + 4 * (evt_cons & (qn - 1));
        uint64_t w0 = e[0], w1 = e[1], addr = e[2];
        uint32_t type = w0 & 0xff, sid = (uint32_t)(w0 >> 32);
        evt_cons = (evt_cons + 1) & ((qn << 1) - 1);
        wr(SMMU_EVENTQ_CONS, evt_cons | ovf_seen);   /* OVACKFLG: the overflow acknowledged */
        if (sid < 256 && (blamed[sid / 64] >> (sid % 64) & 1)) {
            more[sid]++;
            continue;
        }
        const struct dm_dev *d = smmu_dev_of_sid(sid);
        const char *ct = d && d->ct >= 0 ? dm_cts[d->ct].name : "no container";
        if (type >= EVT_TRANSLATION && type <= EVT_PERMISSION)
            printf("devmgr: smmu: %s (%s, %s) %s 0x%lx: %s, stopped by the SMMU\n", d ? d->info.name : "?",
                   d && d->info.driver[0] ? d->info.driver : "-", ct, w1 >> 35 & 1 ? "read from" : "write to",
                   (unsigned long)addr, evt_name(type));
        else
            printf("devmgr: smmu: stream %04x (%s, %s): event 0x%02x, %s\n", sid, d ? d->info.name : "?", ct, type,
                   evt_name(type));
        if (sid < 256 && d && d->ct >= 0) {
            blame[sid / 64] |= 1ull << (sid % 64);
            blame_gen[sid] = smmu_dom_gen(d);
            blamed[sid / 64] |= 1ull << (sid % 64);
            break;   /* act on it first: a device that retries slows everything down until it is stopped */
        }
    }
    for (uint32_t sid = 0; sid < 256; sid++)
        if (more[sid] && !(blamed[sid / 64] >> (sid % 64) & 1)) {
            printf("devmgr: smmu: and %u more events of stream %04x from before it was stopped\n", more[sid], sid);
            more[sid] = 0;
        }
}

static void *event_loop(void *arg)
{
    (void)arg;
    for (;;) {
        uint64_t bits = 0, blame[4] = { 0 };
        if (hm_notif_wait(irq_notif, HM_DEADLINE_NEVER, &bits) < 0)
            continue;
        dm_lock_take(&smmu_lock);
        if (bits & BIT_GERROR) {
            uint32_t active = rd(SMMU_GERROR) ^ rd(SMMU_GERRORN);
            if (active & GERROR_EVTQ_ABT)
                printf("devmgr: smmu: the event queue was full: some events were dropped (their accesses were "
                       "still stopped)\n");
            if (active & ~GERROR_EVTQ_ABT)
                printf("devmgr: smmu: global error 0x%x\n", active & ~GERROR_EVTQ_ABT);
            wr(SMMU_GERRORN, rd(SMMU_GERROR) & ~GERROR_CMDQ_ERR);   /* a command error stays: the queue is stalled */
        }
        events_take(blame);
        int pending = (rd(SMMU_EVENTQ_PROD) & ((2u << EVTQ_LOG2) - 1)) != evt_cons;
        dm_lock_drop(&smmu_lock);
        if (pending)
            hm_notif_signal(irq_notif, BIT_EVENTS);   /* more than a queue's worth: look again */
        for (int i = 0; i < 2; i++)
            hm_irq_ctl(irq_h[i], HM_IRQ_ACK);
        /* outside the lock: stopping a container changes its translations */
        int blamed_now = 0;
        for (uint32_t sid = 0; sid < 256; sid++) {
            const struct dm_dev *d = blame[sid / 64] >> (sid % 64) & 1 ? smmu_dev_of_sid(sid) : NULL;
            blamed_now |= d != NULL;
            /* not if the container was started again meanwhile: the
             * event was its predecessor's */
            if (!d || d->ct < 0 || dm_smmu_fault_stop(&dm_devs[d - dm_devs], blame_gen[sid]))
                continue;
            dm_ct_stop(d->ct, "a DMA outside its memory (SMMU fault)");
        }
        /* its stream is aborted now and records no more: one more look sees
         * the queue empty and lets the stream be blamed for its next fault
         * (else, with the blamed event the last one queued, nothing would
         * look again until that next fault, whose events would pass for
         * stale ones) */
        if (blamed_now)
            hm_notif_signal(irq_notif, BIT_EVENTS);
    }
    return NULL;
}

/* ---- bring-up ---- */

/* the node's interrupt named name ("eventq", "gerror"), as an INTID; 0: none */
static uint32_t named_irq(const void *fdt, int node, const char *name)
{
    int len, nlen;
    const fdt32_t *p = fdt_getprop(fdt, node, "interrupts", &len);
    const char *names = fdt_getprop(fdt, node, "interrupt-names", &nlen);
    for (int i = 0, off = 0; p && names && off < nlen && (i + 1) * 12 <= len; i++) {
        if (!strcmp(names + off, name))
            return fdt32_to_cpu(p[3 * i]) == 0 ? fdt32_to_cpu(p[3 * i + 1]) + 32 : 0;
        off += (int)strnlen(names + off, (size_t)(nlen - off)) + 1;
    }
    return 0;
}

static int map_mmio(uint64_t phys)
{
    long h = hm_mem_device(dm_root, phys, SMMU_MMIO_SIZE);
    long va = h < 0 ? h : hm_vm_map(HM_HANDLE_SELF_PROC, (hm_handle_t)h, 0, SMMU_MMIO_SIZE, 0, HM_MAP_R | HM_MAP_W);
    if (va < 0)
        return (int)va;
    regs = (volatile uint8_t *)va;
    return 0;
}

/* the stream table and both queues in one contiguous object, zeroed */
static int queues_alloc(uint64_t *st_pa, uint64_t *cq_pa, uint64_t *eq_pa)
{
    long h = hm_mem_create(QMEM_SIZE, HM_MEM_CONTIG);
    struct hm_mem_info mi;
    long va = h < 0 || hm_mem_info((hm_handle_t)h, &mi) < 0
                  ? -ENOMEM
                  : hm_vm_map(HM_HANDLE_SELF_PROC, (hm_handle_t)h, 0, QMEM_SIZE, 0, HM_MAP_R | HM_MAP_W);
    if (va < 0) {
        if (h >= 0)
            hm_handle_close((hm_handle_t)h);
        return -ENOMEM;
    }
    uint64_t st_size = (1u << STRTAB_LOG2) * STE_DWORDS * 8;
    uint64_t st = (mi.phys + st_size - 1) & ~(st_size - 1);   /* aligned to its size */
    *st_pa = st;
    *cq_pa = mi.phys + 2 * st_size;
    *eq_pa = *cq_pa + (1u << CMDQ_LOG2) * 16;
    strtab = (volatile uint64_t *)(va + (st - mi.phys));
    cmdq = (volatile uint64_t *)(va + (*cq_pa - mi.phys));
    evtq = (volatile uint64_t *)(va + (*eq_pa - mi.phys));
    return 0;   /* the object stays ours for good: the SMMU reads it */
}

static int bring_up(void)
{
    uint32_t idr0 = rd(SMMU_IDR0), idr1 = rd(SMMU_IDR1);
    if (!(idr0 & IDR0_S2P) || !(idr0 & IDR0_TTF_AA64)) {
        printf("devmgr: smmu: no AArch64 stage-2 translation (IDR0 0x%x): not used\n", idr0);
        return -ENOTSUP;
    }
    if ((idr1 & 0x3f) < STRTAB_LOG2 || ((idr1 >> 21) & 0x1f) < CMDQ_LOG2 || ((idr1 >> 16) & 0x1f) < EVTQ_LOG2) {
        printf("devmgr: smmu: its stream IDs or queues are smaller than needed (IDR1 0x%x): not used\n", idr1);
        return -ENOTSUP;
    }
    vmid16 = !!(idr0 & IDR0_VMID16);
    oas = rd(SMMU_IDR5) & 7;
    oas = oas > 2 ? 2 : oas;   /* 40 bits are plenty on virt: RAM is below 4 GiB */
    uint64_t st, cq, eq;
    if (queues_alloc(&st, &cq, &eq))
        return -ENOMEM;
    int err = wr_ack(SMMU_CR0, SMMU_CR0ACK, 0);
    /* while it is disabled, incoming DMA aborts */
    wr(SMMU_GBPA, GBPA_UPDATE | GBPA_ABORT);
    uint64_t until = hm_deadline_ms(100);
    while (!err && (rd(SMMU_GBPA) & GBPA_UPDATE))
        if (hm_now() > until)
            err = -ETIMEDOUT;
    if (err)
        return err;
    wr(SMMU_CR1, CR1_WB_ISH);
    wr(SMMU_CR2, CR2_RECINVSID | CR2_PTM);
    wr64(SMMU_STRTAB_BASE, st | Q_BASE_RWA);
    wr(SMMU_STRTAB_BASE_CFG, STRTAB_LOG2);   /* linear */
    wr64(SMMU_CMDQ_BASE, cq | Q_BASE_RWA | CMDQ_LOG2);
    wr(SMMU_CMDQ_PROD, 0);
    wr(SMMU_CMDQ_CONS, 0);
    wr64(SMMU_EVENTQ_BASE, eq | Q_BASE_RWA | EVTQ_LOG2);
    wr(SMMU_EVENTQ_PROD, 0);
    wr(SMMU_EVENTQ_CONS, 0);
    err = wr_ack(SMMU_CR0, SMMU_CR0ACK, CR0_CMDQEN);
    if (!err)
        err = cmd_put(CMD_CFGI_ALL, 31);
    if (!err)
        err = cmd_put(CMD_TLBI_NSNH_ALL, 0);
    if (!err)
        err = smmu_sync();
    if (!err)
        err = wr_ack(SMMU_CR0, SMMU_CR0ACK, CR0_CMDQEN | CR0_EVENTQEN);
    if (!err)
        err = wr_ack(SMMU_IRQ_CTRL, SMMU_IRQ_CTRLACK, IRQ_GERROR | IRQ_EVENTQ);
    if (!err)
        err = wr_ack(SMMU_CR0, SMMU_CR0ACK, CR0_CMDQEN | CR0_EVENTQEN | CR0_SMMUEN);
    return err;
}

int smmu_init(const void *fdt)
{
    int node = fdt_node_offset_by_compatible(fdt, -1, "arm,smmu-v3");
    if (node < 0)
        return -ENODEV;
    int len;
    const fdt32_t *reg = fdt_getprop(fdt, node, "reg", &len);
    if (!reg || len < 16) {
        printf("devmgr: smmu: its node has no reg: not used\n");
        return -EINVAL;
    }
    smmu_phys = (uint64_t)fdt32_to_cpu(reg[0]) << 32 | fdt32_to_cpu(reg[1]);
    irq_evt = named_irq(fdt, node, "eventq");
    irq_gerr = named_irq(fdt, node, "gerror");
    long n = hm_notif_create();
    long ie = n < 0 || !irq_evt ? -EINVAL : hm_irq_create(dm_root, irq_evt, (hm_handle_t)n, BIT_EVENTS, HM_IRQ_EDGE);
    long ig = n < 0 || !irq_gerr ? -EINVAL : hm_irq_create(dm_root, irq_gerr, (hm_handle_t)n, BIT_GERROR, HM_IRQ_EDGE);
    int err = ie < 0 || ig < 0 ? -EINVAL : map_mmio(smmu_phys);
    if (err) {
        printf("devmgr: smmu at 0x%lx: cannot reach its registers or interrupts %u, %u: not used\n",
               (unsigned long)smmu_phys, irq_evt, irq_gerr);
        long mine[] = { ig, ie, n };
        for (int i = 0; i < 3; i++)
            if (mine[i] >= 0)
                hm_handle_close((hm_handle_t)mine[i]);
        return err;
    }
    irq_notif = (hm_handle_t)n;
    irq_h[0] = (hm_handle_t)ie;
    irq_h[1] = (hm_handle_t)ig;
    err = bring_up();
    if (err) {
        /* it may be left aborting every access (GBPA): PCI devices then
         * cannot DMA at all, which is safe but leaves them unusable */
        printf("devmgr: smmu at 0x%lx: bring-up failed (%s): PCI devices cannot DMA\n", (unsigned long)smmu_phys,
               hm_strerror(err));
        regs = NULL;
        return err;
    }
    static struct hm_thread et;
    if (hm_thread_start(&et, event_loop, NULL, HM_PRIO_SERVICE, 1) < 0)
        printf("devmgr: smmu: no event thread: faults are stopped but not reported\n");
    printf("devmgr: smmu at 0x%lx: on; PCI functions' DMA confined to their containers (events: INTID %u)\n",
           (unsigned long)smmu_phys, irq_evt);
    return 0;
}
