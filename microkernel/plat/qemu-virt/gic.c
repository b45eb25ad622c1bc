/*
 * ARM Generic Interrupt Controller, v2 (QEMU virt's default) and v3
 * (gic-version=3): distributor + CPU interface (v2, memory-mapped) or
 * redistributor + system-register CPU interface (v3). Uniprocessor: every
 * SPI targets CPU 0. The version comes from the device tree.
 */
#include <kernel/kernel.h>
#include <kernel/plat.h>

#define GICD_CTLR       0x000
#define GICD_TYPER      0x004
#define GICD_IGROUPR    0x080
#define GICD_ISENABLER  0x100
#define GICD_ICENABLER  0x180
#define GICD_ICPENDR    0x280
#define GICD_IPRIORITYR 0x400
#define GICD_ITARGETSR  0x800
#define GICD_ICFGR      0xc00
#define GICD_IROUTER    0x6000
#define GICC_CTLR 0x00
#define GICC_PMR  0x04
#define GICC_IAR  0x0c
#define GICC_EOIR 0x10
#define GICR_WAKER      0x14
#define GICR_SGI        0x10000   /* SGI_base frame of the redistributor */

int gic_ver;
volatile uint8_t *gicd, *gicc_or_gicr;
static uint32_t nirqs;

static inline uint32_t r32(volatile uint8_t *b, uint32_t o) { return *(volatile uint32_t *)(b + o); }
static inline void w32(volatile uint8_t *b, uint32_t o, uint32_t v) { *(volatile uint32_t *)(b + o) = v; }

#define SYSREG_W(name, v) __asm__ volatile("msr " name ", %0" :: "r"((uint64_t)(v)))
#define SYSREG_R(name) ({ uint64_t _v; __asm__ volatile("mrs %0, " name : "=r"(_v)); _v; })
#define ICC_SRE_EL1     "S3_0_C12_C12_5"
#define ICC_PMR_EL1     "S3_0_C4_C6_0"
#define ICC_IGRPEN1_EL1 "S3_0_C12_C12_7"
#define ICC_IAR1_EL1    "S3_0_C12_C12_0"
#define ICC_EOIR1_EL1   "S3_0_C12_C12_1"

int gic_version(void) { return gic_ver; }
uint32_t gic_max_irq(void) { return nirqs; }

/* the register frame holding enable/config bits for this INTID */
static volatile uint8_t *frame_for(uint32_t intid)
{
    if (gic_ver == 3 && intid < 32)
        return gicc_or_gicr + GICR_SGI;
    return gicd;
}

void gic_init(void)
{
    nirqs = ((r32(gicd, GICD_TYPER) & 0x1f) + 1) * 32;
    if (nirqs > 1020)
        nirqs = 1020;
    w32(gicd, GICD_CTLR, 0);
    for (uint32_t i = 32; i < nirqs; i += 32) {
        w32(gicd, GICD_ICENABLER + i / 8, ~0u);
        w32(gicd, GICD_ICPENDR + i / 8, ~0u);
        w32(gicd, GICD_IGROUPR + i / 8, gic_ver == 3 ? ~0u : 0);
    }
    for (uint32_t i = 32; i < nirqs; i += 4) {
        w32(gicd, GICD_IPRIORITYR + i, 0xa0a0a0a0);
        if (gic_ver == 2)
            w32(gicd, GICD_ITARGETSR + i, 0x01010101);
    }
    if (gic_ver == 2) {
        for (uint32_t i = 0; i < 32; i += 4)
            w32(gicd, GICD_IPRIORITYR + i, 0xa0a0a0a0);
        w32(gicd, GICD_CTLR, 1);
        w32(gicc_or_gicr, GICC_PMR, 0xf0);
        w32(gicc_or_gicr, GICC_CTLR, 1);
        return;
    }
    for (uint32_t i = 32; i < nirqs; i++)
        *(volatile uint64_t *)(gicd + GICD_IROUTER + 8 * i) = 0;   /* affinity 0.0.0.0 */
    w32(gicd, GICD_CTLR, (1 << 4) | (1 << 1) | 1);                 /* ARE, Grp1, Grp0 */
    /* wake this CPU's redistributor */
    w32(gicc_or_gicr, GICR_WAKER, r32(gicc_or_gicr, GICR_WAKER) & ~2u);
    while (r32(gicc_or_gicr, GICR_WAKER) & 4)
        ;
    volatile uint8_t *sgi = gicc_or_gicr + GICR_SGI;
    w32(sgi, GICD_IGROUPR, ~0u);
    w32(sgi, GICD_ICENABLER, ~0u);
    for (uint32_t i = 0; i < 32; i += 4)
        w32(sgi, GICD_IPRIORITYR + i, 0xa0a0a0a0);
    SYSREG_W(ICC_SRE_EL1, SYSREG_R(ICC_SRE_EL1) | 1);
    __asm__ volatile("isb");
    SYSREG_W(ICC_PMR_EL1, 0xf0);
    SYSREG_W(ICC_IGRPEN1_EL1, 1);
    __asm__ volatile("isb");
}

uint32_t gic_ack(void)
{
    if (gic_ver == 3)
        return (uint32_t)SYSREG_R(ICC_IAR1_EL1) & 0xffffff;
    return r32(gicc_or_gicr, GICC_IAR) & 0x3ff;
}

void gic_eoi(uint32_t intid)
{
    if (gic_ver == 3)
        SYSREG_W(ICC_EOIR1_EL1, intid);
    else
        w32(gicc_or_gicr, GICC_EOIR, intid);
}

void gic_enable(uint32_t intid)
{
    if (intid >= GIC_LPI_BASE) {
        its_lpi_set(intid, true);   /* an LPI has no enable bit in the distributor */
        return;
    }
    w32(frame_for(intid), GICD_ISENABLER + (intid / 32) * 4, 1u << (intid % 32));
}

void gic_disable(uint32_t intid)
{
    if (intid >= GIC_LPI_BASE) {
        its_lpi_set(intid, false);
        return;
    }
    w32(frame_for(intid), GICD_ICENABLER + (intid / 32) * 4, 1u << (intid % 32));
    __asm__ volatile("dsb sy" ::: "memory");
}

/* forget an edge latched while the interrupt was disabled (an SPI; an
 * LPI's pending bit is the ITS's: DISCARD clears it) */
void gic_clear_pending(uint32_t intid)
{
    if (intid >= 32 && intid < GIC_LPI_BASE)
        w32(gicd, GICD_ICPENDR + (intid / 32) * 4, 1u << (intid % 32));
}

bool gic_is_edge(uint32_t intid)
{
    if (intid >= GIC_LPI_BASE)
        return true;   /* a message: no level to hold */
    if (intid < 32)
        return false;   /* SGI/PPI: treated as level (masked while handled) */
    return (r32(gicd, GICD_ICFGR + (intid / 16) * 4) >> ((intid % 16) * 2 + 1)) & 1;
}

void gic_set_edge(uint32_t intid, bool edge)
{
    if (intid < 32)
        return;   /* SGI/PPI configuration is fixed here */
    uint32_t off = GICD_ICFGR + (intid / 16) * 4;
    uint32_t bit = 2u << ((intid % 16) * 2);
    uint32_t v = r32(gicd, off);
    w32(gicd, off, edge ? (v | bit) : (v & ~bit));
}
