/* ARM generic timer: the EL1 virtual timer as the kernel's one-shot event
 * source, the EL1 physical timer as its backstop (generic/timeout.c). */
#include <kernel/kernel.h>
#include <kernel/plat.h>

uint64_t time_freq;

uint64_t time_now(void)
{
    uint64_t v;
    __asm__ volatile("isb; mrs %0, cntvct_el0" : "=r"(v));
    return v;
}

void timer_hw_init(void)
{
    __asm__ volatile("mrs %0, cntfrq_el0" : "=r"(time_freq));
    /* EL0 may read CNTVCT_EL0 and CNTFRQ_EL0 (EL0VCTEN), nothing else */
    __asm__ volatile("msr cntkctl_el1, %0" :: "r"((uint64_t)(1 << 1)));
    __asm__ volatile("msr cntv_ctl_el0, %0" :: "r"((uint64_t)0));
    gic_enable(plat_timer_irq);
    gic_enable(plat_backstop_irq);
}

/* the physical counter equals the virtual one here (no EL2: CNTVOFF 0) */
void timer_backstop_arm(uint64_t deadline)
{
    __asm__ volatile("msr cntp_cval_el0, %0; msr cntp_ctl_el0, %1; isb"
                     :: "r"(deadline), "r"((uint64_t)1));
}

void timer_hw_program(uint64_t deadline)
{
    if (deadline == UINT64_MAX) {
        __asm__ volatile("msr cntv_ctl_el0, %0" :: "r"((uint64_t)2));   /* masked */
        return;
    }
    __asm__ volatile("msr cntv_cval_el0, %0; msr cntv_ctl_el0, %1; isb"
                     :: "r"(deadline), "r"((uint64_t)1));
}
