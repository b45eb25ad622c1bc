/* SPDX-License-Identifier: GPL-2.0 */
#ifndef _ASM_HM_IRQ_H
#define _ASM_HM_IRQ_H
/* Linux interrupt numbers for the container's few device interrupts */
#define NR_IRQS 64
#include <asm-generic/irq.h>
#endif
