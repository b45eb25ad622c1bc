/*
 * GICv3 Interrupt Translation Service, driven by the kernel alone.
 *
 * A device's write of an event number to GITS_TRANSLATER carries the
 * device ID the bus attaches (a PCI function's requester ID); the ITS looks
 * the device up in its device table, the event in that device's interrupt
 * translation table (ITT), and raises the LPI found there at the
 * redistributor of the event's collection. The tables live in kernel
 * memory and change only through the command queue, which only this file
 * writes: a device can raise only the translations the kernel made for its
 * own device ID. One CPU: one collection (0) on redistributor 0.
 *
 * LPIs 8192..8192+ITS_NLPI-1 are used; their configuration bytes (priority,
 * enable) are in the property table, read by the redistributor, which
 * caches them: every change is followed by INV and SYNC.
 */
#include <kernel/kernel.h>
#include <kernel/plat.h>
#include <kernel/boot.h>
#include "gic_msi.h"

#define GITS_CTLR        0x0000
#define GITS_TYPER       0x0008
#define GITS_CBASER      0x0080
#define GITS_CWRITER     0x0088
#define GITS_CREADR      0x0090
#define GITS_BASER(n)    (0x0100 + 8 * (n))
#define GITS_TRANSLATER  0x10040
#define GICR_CTLR        0x0000
#define GICR_TYPER       0x0008
#define GICR_PROPBASER   0x0070
#define GICR_PENDBASER   0x0078

#define BASER_VALID      (1ull << 63)
#define BASER_TYPE(v)    (((v) >> 56) & 7)
#define BASER_ENTSZ(v)   ((((v) >> 48) & 0x1f) + 1)
#define BASER_TYPE_DEV   1
#define BASER_TYPE_COLL  4
#define CACHE_WB_SHARED  ((7ull << 59) | (1ull << 10))   /* inner RaWaWb, inner shareable */
#define RDIST_CACHE_WB   ((7ull << 7) | (1ull << 10))

#define CMD_MAPD    0x08
#define CMD_MAPC    0x09
#define CMD_MAPTI   0x0a
#define CMD_INV     0x0c
#define CMD_DISCARD 0x0f
#define CMD_SYNC    0x05

#define ITS_LPI_IDBITS 14                 /* INTIDs below 16384 */
#define ITS_NLPI       1024
#define ITS_CMDQ_PAGES 1
#define ITS_DEV_PAGES  16                 /* device IDs the flat device table covers: see its_init */
#define ITS_MAX_DEVS   64
#define LPI_PRIO       0xa0               /* as the SPIs (gic.c); bit 1 is RES1 */

static volatile uint8_t *its;
static uint64_t its_pa;
static uint8_t *prop;                     /* LPI configuration table */
static uint64_t *cmdq;
static uint32_t cmd_wr, dev_limit, ev_bits;
static uint64_t rdbase;                   /* this CPU's redistributor as MAPC and SYNC name it */
static bool stalled;                      /* the command queue stopped on an error: no more maps */
static uint64_t lpi_used[ITS_NLPI / 64];
static struct { uint32_t devid, event; } lpi_src[ITS_NLPI];
static struct { bool used; uint32_t devid; uint64_t itt; } devs[ITS_MAX_DEVS];

static inline uint64_t r64(volatile uint8_t *b, uint32_t o) { return *(volatile uint64_t *)(b + o); }
static inline void w64(volatile uint8_t *b, uint32_t o, uint64_t v) { *(volatile uint64_t *)(b + o) = v; }
/* GITS_CTLR takes 32-bit writes only (QEMU ignores a 64-bit one) */
static inline void ctlr_write(uint32_t v) { *(volatile uint32_t *)(its + GITS_CTLR) = v; }

/* queue one command and wait until the ITS has consumed it (it runs its
 * queue as it goes; QEMU processes it at the CWRITER write) */
static int its_cmd(uint64_t d0, uint64_t d1, uint64_t d2)
{
    uint64_t *c = cmdq + cmd_wr / 8;
    c[0] = d0;
    c[1] = d1;
    c[2] = d2;
    c[3] = 0;
    __asm__ volatile("dsb ishst" ::: "memory");
    cmd_wr = (cmd_wr + 32) % (ITS_CMDQ_PAGES * PAGE_SIZE);
    w64(its, GITS_CWRITER, cmd_wr);
    for (int spin = 0; spin < 1000000; spin++) {
        uint64_t rd = r64(its, GITS_CREADR);
        if (rd & 1) {
            stalled = true;   /* on a command error: it runs nothing more until reset */
            break;
        }
        if ((rd & 0xfffe0) == cmd_wr)
            return 0;
    }
    kprintf("hm: ITS command %lx not consumed (CREADR %lx)\n", d0 & 0xff, r64(its, GITS_CREADR));
    return -HM_ESTATE;
}

static int its_sync(void) { return its_cmd(CMD_SYNC, 0, rdbase << 16); }

/* a table for GITS_BASER n of the given kind, pages long (flat, 4 KiB pages) */
static int its_table(int n, int pages, uint32_t *entries)
{
    uint64_t v = r64(its, GITS_BASER(n));
    uint64_t pa = page_alloc((size_t)pages, 1);
    if (!pa)
        return -HM_ENOMEM;
    uint64_t want = BASER_VALID | CACHE_WB_SHARED | (v & (0x1full << 48)) | (v & (7ull << 56)) |
                    pa | (uint64_t)(pages - 1);   /* page size field 0: 4 KiB */
    w64(its, GITS_BASER(n), want);
    if (!(r64(its, GITS_BASER(n)) & BASER_VALID))
        return -HM_ESTATE;
    *entries = (uint32_t)((uint64_t)pages * PAGE_SIZE / BASER_ENTSZ(v));
    return 0;
}

int its_init(uint64_t pa, uint64_t size)
{
    extern volatile uint8_t *gicc_or_gicr;   /* this CPU's redistributor (gic.c) */
    if (size < 0x20000)
        return -HM_EINVAL;
    kmap_device(pa, 0x20000);
    its = phys_to_virt(pa);
    its_pa = pa;
    if (!(r64(gicc_or_gicr, GICR_TYPER) & 1))
        return -HM_ENOSYS;   /* redistributor without physical LPIs */
    uint64_t typer = r64(its, GITS_TYPER);
    uint32_t itt_entsz = (uint32_t)((typer >> 4) & 0xf) + 1;
    uint32_t idbits = (uint32_t)((typer >> 8) & 0x1f) + 1;
    /* events per device: as many as one ITT page holds, at most MSI_MAX_EVENTS */
    for (ev_bits = 1; (2u << ev_bits) * itt_entsz <= PAGE_SIZE && (2u << ev_bits) <= MSI_MAX_EVENTS && ev_bits < idbits; ev_bits++)
        ;
    ctlr_write(0);
    dev_limit = 0;
    uint32_t colls = 0;
    for (int n = 0; n < 8; n++) {
        uint64_t v = r64(its, GITS_BASER(n));
        int err = 0;
        if (BASER_TYPE(v) == BASER_TYPE_DEV)
            err = its_table(n, ITS_DEV_PAGES, &dev_limit);
        else if (BASER_TYPE(v) == BASER_TYPE_COLL)
            err = its_table(n, 1, &colls);
        if (err)
            return err;
    }
    if (!dev_limit)
        return -HM_ENOSYS;
    uint64_t q = page_alloc(ITS_CMDQ_PAGES, 1);
    if (!q)
        return -HM_ENOMEM;
    cmdq = phys_to_virt(q);
    w64(its, GITS_CBASER, BASER_VALID | CACHE_WB_SHARED | q | (ITS_CMDQ_PAGES - 1));
    w64(its, GITS_CWRITER, 0);
    cmd_wr = 0;

    /* LPIs at the redistributor: property and pending tables, then enable */
    uint64_t pt = page_alloc(((1u << ITS_LPI_IDBITS) - GIC_LPI_BASE) / PAGE_SIZE, 1);
    uint64_t pend = page_alloc(16, 16);   /* 64 KiB aligned; 2 KiB used */
    if (!pt || !pend)
        return -HM_ENOMEM;
    prop = phys_to_virt(pt);
    w64(gicc_or_gicr, GICR_PROPBASER, pt | RDIST_CACHE_WB | (ITS_LPI_IDBITS - 1));
    w64(gicc_or_gicr, GICR_PENDBASER, pend | RDIST_CACHE_WB | (1ull << 62) /* PTZ: all zero */);
    *(volatile uint32_t *)(gicc_or_gicr + GICR_CTLR) |= 1;   /* EnableLPIs */
    ctlr_write(1);   /* BASERs and CBASER are read now */
    /* GITS_TYPER.PTA: the target is the redistributor's physical address
     * (in 64 KiB units) or its processor number (QEMU: 0) */
    rdbase = (typer >> 19) & 1 ? boot_info.gicc_pa >> 16 : 0;
    int err = its_cmd(CMD_MAPC, 0, BASER_VALID | rdbase << 16 | 0 /* ICID */);
    if (!err)
        err = its_sync();
    if (err)
        return err;
    kprintf("hm: MSI through the ITS at %lx: device IDs < %u, %u events each, LPIs %u-%u\n", pa, dev_limit,
            1u << ev_bits, GIC_LPI_BASE, GIC_LPI_BASE + ITS_NLPI - 1);
    return 0;
}

/* the ITT of devid, made and mapped at its first vector */
static int its_dev(uint32_t devid)
{
    int free = -1;
    for (int i = 0; i < ITS_MAX_DEVS; i++) {
        if (devs[i].used && devs[i].devid == devid)
            return 0;
        if (!devs[i].used && free < 0)
            free = i;
    }
    if (free < 0)
        return -HM_ENOSPC;
    uint64_t itt = page_alloc(1, 1);
    if (!itt)
        return -HM_ENOMEM;
    int err = its_cmd(CMD_MAPD | (uint64_t)devid << 32, ev_bits - 1, BASER_VALID | itt);
    if (!err)
        err = its_sync();
    if (err) {
        page_free(itt, 1);
        return err;
    }
    devs[free].used = true;
    devs[free].devid = devid;
    devs[free].itt = itt;
    return 0;
}

int its_map(uint32_t devid, uint32_t event, uint32_t *intid, uint64_t *addr, uint32_t *data)
{
    if (stalled)
        return -HM_ESTATE;
    if (devid >= dev_limit || event >= (1u << ev_bits))
        return -HM_ERANGE;
    int lpi = -1;
    for (int i = 0; i < ITS_NLPI && lpi < 0; i++)
        if (!(lpi_used[i / 64] >> (i % 64) & 1))
            lpi = i;
    if (lpi < 0)
        return -HM_ENOSPC;
    int err = its_dev(devid);
    if (err)
        return err;
    prop[lpi] = LPI_PRIO | 2;   /* disabled until gic_enable */
    err = its_cmd(CMD_MAPTI | (uint64_t)devid << 32, event | (uint64_t)(GIC_LPI_BASE + lpi) << 32, 0 /* ICID */);
    /* from here the translation may exist: the LPI is never handed out
     * again unless a DISCARD is known to have removed it */
    lpi_used[lpi / 64] |= 1ull << (lpi % 64);
    if (!err)
        err = its_cmd(CMD_INV | (uint64_t)devid << 32, event, 0);
    if (!err)
        err = its_sync();
    if (err) {
        if (!its_cmd(CMD_DISCARD | (uint64_t)devid << 32, event, 0) && !its_sync())
            lpi_used[lpi / 64] &= ~(1ull << (lpi % 64));
        return err;
    }
    lpi_src[lpi].devid = devid;
    lpi_src[lpi].event = event;
    *intid = GIC_LPI_BASE + (uint32_t)lpi;
    *addr = its_pa + GITS_TRANSLATER;
    *data = event;
    return 0;
}

void its_lpi_set(uint32_t intid, bool enable)
{
    uint32_t lpi = intid - GIC_LPI_BASE;
    if (intid < GIC_LPI_BASE || lpi >= ITS_NLPI || !(lpi_used[lpi / 64] >> (lpi % 64) & 1))
        return;
    prop[lpi] = (uint8_t)(LPI_PRIO | 2 | (enable ? 1 : 0));
    __asm__ volatile("dsb ishst" ::: "memory");
    its_cmd(CMD_INV | (uint64_t)lpi_src[lpi].devid << 32, lpi_src[lpi].event, 0);
    its_sync();
}

void its_unmap(uint32_t devid, uint32_t event, uint32_t intid)
{
    uint32_t lpi = intid - GIC_LPI_BASE;
    if (intid < GIC_LPI_BASE || lpi >= ITS_NLPI)
        return;
    its_lpi_set(intid, false);
    /* after DISCARD + SYNC the device's write of this event raises nothing;
     * if they fail the LPI stays reserved: its translation may live on */
    if (!its_cmd(CMD_DISCARD | (uint64_t)devid << 32, event, 0) && !its_sync())
        lpi_used[lpi / 64] &= ~(1ull << (lpi % 64));
    else
        kprintf("hm: ITS: DISCARD of device %u event %u failed: LPI %u kept out of use\n", devid, event, intid);
}
