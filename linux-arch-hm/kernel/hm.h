/* SPDX-License-Identifier: GPL-2.0 */
/* arch/hm's own functions shared between its files */
#ifndef _HM_KERNEL_HM_H
#define _HM_KERNEL_HM_H
void hm_timer_interrupt(void);	/* time.c: the clockevent fired */
void hm_blk_kick(void);		/* blk.c: block work (DC-base's kick bit) */
void hm_blk_settle(void);	/* blk.c: every disk Linux found is announced */
#endif
