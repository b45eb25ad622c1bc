// SPDX-License-Identifier: GPL-2.0
/*
 * fault CONTAINER spin|deadlock (dcbase/fault.c, docs/reliability.md
 * "Hangs that Linux makes"): a thread of Linux's stops making progress in
 * a way DC-base's own threads do not see. Both run on Linux's block thread
 * (blk.c) when DC-base hands it the request the fault was armed for:
 *   spin:     interrupts off, then a loop: Linux's one CPU is never let go,
 *             so no interrupt, timer or heartbeat event is taken (devmgr
 *             sees the heartbeat's events go untaken);
 *   deadlock: the thread takes a lock it already holds (write-locked) and
 *             sleeps on it forever; the rest of Linux runs on (the heartbeat's events
 *             are taken), but the request it holds never completes and no
 *             other is fetched (devmgr sees a block request wait with none
 *             completing).
 */
#include <linux/irqflags.h>
#include <linux/rwsem.h>
#include <linux/printk.h>
#include <dc_host.h>
#include "hm.h"

/*
 * A rw_semaphore, not a mutex: a mutex's owner that sleeps on it and is
 * woken (wake_up_process: DC-base kicks the block thread) takes the
 * hand-off flag and gets its own lock back (__mutex_trylock_common with
 * handoff); a writer waiting on an rwsem it holds write-locked sleeps again
 * after every wake-up.
 */
static DECLARE_RWSEM(hm_fault_rwsem);

void hm_fault_stall(int kind)
{
	if (kind == DC_BLK_FAULT_SPIN) {
		pr_err("hm: injected spin: the block thread loops with interrupts off\n");
		local_irq_disable();
		for (;;)
			cpu_relax();
	}
	pr_err("hm: injected deadlock: the block thread takes a lock it holds\n");
	down_write(&hm_fault_rwsem);
	for (;;)
		down_write(&hm_fault_rwsem);	/* never returns: this thread holds it */
}
