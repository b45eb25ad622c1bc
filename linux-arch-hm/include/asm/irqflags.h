/* SPDX-License-Identifier: GPL-2.0 */
#ifndef _ASM_HM_IRQFLAGS_H
#define _ASM_HM_IRQFLAGS_H
/*
 * Interrupts are virtual: a flag word of Linux's one CPU. Device interrupts
 * and timer events arrive as microkernel notification bits that the idle
 * task collects (dc_host_idle_wait) into hm_irq_pending; they are
 * delivered, through irq_enter/irq_exit, when Linux enables interrupts.
 * Only the thread that runs Linux touches these words.
 */
#define ARCH_IRQ_DISABLED	0UL
#define ARCH_IRQ_ENABLED	1UL
#ifndef __ASSEMBLY__
extern unsigned long hm_irq_flags;
extern unsigned long hm_irq_pending;
void hm_irq_deliver(void);

static inline unsigned long arch_local_save_flags(void)
{
	return hm_irq_flags;
}
static inline void arch_local_irq_restore(unsigned long flags)
{
	hm_irq_flags = flags;
	asm volatile("" ::: "memory");
	if (flags == ARCH_IRQ_ENABLED && hm_irq_pending)
		hm_irq_deliver();
}
#endif
#include <asm-generic/irqflags.h>
#endif
