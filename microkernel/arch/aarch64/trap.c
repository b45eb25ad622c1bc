/* Exceptions other than system calls: user faults go to the supervisor,
 * kernel faults panic with the state, IRQs go to irq_dispatch. */
#include <kernel/object.h>
#include <kernel/plat.h>

extern void sched_fp_trap(void);

static void dump(struct trapframe *tf, uint64_t esr, uint64_t far)
{
    kprintf("  pc=%lx esr=%lx far=%lx sp=%lx pstate=%lx\n", tf->pc, esr, far, tf->sp, tf->pstate);
    for (int i = 0; i < 31; i += 4)
        kprintf("  x%d=%lx x%d=%lx x%d=%lx x%d=%lx\n", i, tf->x[i], i + 1, tf->x[i + 1], i + 2,
                i + 2 < 31 ? tf->x[i + 2] : 0, i + 3, i + 3 < 31 ? tf->x[i + 3] : 0);
}

void trap_bad(struct trapframe *tf)
{
    uint64_t esr, far;
    __asm__ volatile("mrs %0, esr_el1; mrs %1, far_el1" : "=r"(esr), "=r"(far));
    kprintf("unexpected exception vector\n");
    dump(tf, esr, far);
    panic("unexpected exception");
}

void trap_kernel_sync(struct trapframe *tf)
{
    uint64_t esr, far;
    __asm__ volatile("mrs %0, esr_el1; mrs %1, far_el1" : "=r"(esr), "=r"(far));
    kprintf("kernel exception, thread %lu\n", current ? current->tid : 0);
    dump(tf, esr, far);
    panic("kernel fault");
}

void trap_irq(struct trapframe *tf)
{
    (void)tf;
    for (;;) {
        uint32_t intid = gic_ack();
        if (intid >= 1020 && intid < GIC_LPI_BASE)
            break;   /* 1020-1023: special (1023: nothing pending); LPIs from 8192 on */
        irq_dispatch(intid);
        gic_eoi(intid);
    }
    if (kcpu.fault_orphans_pending && current->proc)
        fault_reap_orphans();
    if (kcpu.need_resched)
        schedule();
}

void trap_user_sync(struct trapframe *tf, uint64_t esr)
{
    uint64_t far;
    __asm__ volatile("mrs %0, far_el1" : "=r"(far));
    uint32_t ec = (uint32_t)(esr >> 26);
    uint32_t kind;
    switch (ec) {
    case 0x07:   /* FP/SIMD access: lazy switch of the register file */
        sched_fp_trap();
        return;
    case 0x24: kind = HM_FAULT_DATA; break;
    case 0x20: kind = HM_FAULT_INSN; break;
    case 0x22: case 0x26: kind = HM_FAULT_ALIGN; far = ec == 0x22 ? tf->pc : tf->sp; break;
    case 0x3c: kind = HM_FAULT_BRK; far = tf->pc; break;
    case 0x00: case 0x0e: kind = HM_FAULT_UNDEF; far = tf->pc; break;
    default: kind = HM_FAULT_OTHER; break;
    }
    fault_user(current, kind, far, esr);
    if (kcpu.fault_orphans_pending)
        fault_reap_orphans();
    if (kcpu.need_resched)
        schedule();
}
