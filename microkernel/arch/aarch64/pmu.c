/* Retired guest instructions from the CPU's PMU, for `make bench`: what a
 * request costs the whole system (client, driver, microkernel), counted by
 * the CPU rather than inferred from time. QEMU counts INST_RETIRED (event
 * 0x08) only under -icount, and says so in PMCEID0_EL0; without it there is
 * no count (kstat says instructions=-). Event counters are 32 bits before
 * PMUv3.5, so the counter's overflow interrupt adds 2^32 to a 64-bit total.
 * Counts EL0 and EL1 alike; the idle loop's wfi retires nothing while it
 * waits. */
#include <kernel/kernel.h>
#include <kernel/plat.h>

#define PMU_EV_INST_RETIRED 0x08
#define PMCR_E (1u << 0)         /* enable the counters */
/* the counter starts 2^16 instructions before its first overflow, so every
 * boot takes the overflow path at once (kt_pmu checks the total) */
#define PMU_START 0xffff0000ull
#define PMU_CTR0 (1u << 0)       /* event counter 0's bit in the set/clear registers */

uint32_t plat_pmu_irq = 23;      /* PPI 7 on qemu-virt (its arm,armv8-pmuv3 node) */
static bool pmu_counting;
static uint64_t pmu_wraps = -PMU_START;   /* + 2^32 for each overflow of event counter 0 */

void pmu_init(void)
{
    uint64_t dfr0, ceid0, pmcr;
    __asm__ volatile("mrs %0, id_aa64dfr0_el1" : "=r"(dfr0));
    uint64_t ver = (dfr0 >> 8) & 0xf;
    if (ver == 0 || ver == 0xf)
        return;   /* no PMUv3 (or an IMPLEMENTATION DEFINED one) */
    __asm__ volatile("mrs %0, pmceid0_el0" : "=r"(ceid0));
    __asm__ volatile("mrs %0, pmcr_el0" : "=r"(pmcr));
    if (!(ceid0 & (1ull << PMU_EV_INST_RETIRED)) || !((pmcr >> 11) & 0x1f))
        return;   /* QEMU counts them under -icount only */
    /* firmware may have left any counter, its interrupt or its overflow
     * flag on (their reset values are UNKNOWN on hardware): all off, so the
     * level-triggered line can only mean our counter's overflow */
    __asm__ volatile("msr pmcntenclr_el0, %0" :: "r"(~0ull));
    __asm__ volatile("msr pmintenclr_el1, %0" :: "r"(~0ull));
    __asm__ volatile("msr pmovsclr_el0, %0" :: "r"(~0ull));
    __asm__ volatile("msr pmevtyper0_el0, %0" :: "r"((uint64_t)PMU_EV_INST_RETIRED));   /* filter 0: EL0 and EL1 */
    __asm__ volatile("msr pmevcntr0_el0, %0" :: "r"(PMU_START));
    __asm__ volatile("msr pmintenset_el1, %0" :: "r"((uint64_t)PMU_CTR0));
    __asm__ volatile("msr pmcr_el0, %0" :: "r"((pmcr & ~0xffull) | PMCR_E));
    __asm__ volatile("msr pmcntenset_el0, %0" :: "r"((uint64_t)PMU_CTR0));
    __asm__ volatile("isb");
    gic_enable(plat_pmu_irq);
    pmu_counting = true;
    kprintf("hm: the PMU counts retired instructions (kstat's instructions=)\n");
}

/* an overflow of counter 0 not yet accounted for: account it; true if
 * there was one */
static bool pmu_take_overflow(void)
{
    uint64_t ovs;
    __asm__ volatile("mrs %0, pmovsclr_el0" : "=r"(ovs));
    if (!(ovs & PMU_CTR0))
        return false;
    __asm__ volatile("msr pmovsclr_el0, %0" :: "r"((uint64_t)PMU_CTR0));
    __asm__ volatile("isb");
    pmu_wraps += 1ull << 32;
    return true;
}

/* its interrupt (level-triggered: the flag cleared before the EOI lowers
 * it); counted in kstat's pmu_overflows, so kt_pmu sees this path taken */
void pmu_irq(void)
{
    if (pmu_take_overflow())
        kcpu.stats.pmu_overflows++;
}

/* the total so far; false if the PMU does not count instructions. Runs with
 * interrupts masked (in the kernel). The low half is read after taking any
 * overflow, and again if the counter wrapped in between: otherwise a wrap
 * between the two reads would leave the total 2^32 short */
bool pmu_instructions(uint64_t *total)
{
    if (!pmu_counting)
        return false;
    uint64_t lo, ovs;
    do {
        pmu_take_overflow();
        __asm__ volatile("mrs %0, pmevcntr0_el0" : "=r"(lo));
        __asm__ volatile("isb; mrs %0, pmovsclr_el0" : "=r"(ovs));
    } while (ovs & PMU_CTR0);
    *total = pmu_wraps + (lo & 0xffffffffull);
    return true;
}
