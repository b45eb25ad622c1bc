/* SPDX-License-Identifier: GPL-2.0 */
#ifndef _ASM_HM_PROCESSOR_H
#define _ASM_HM_PROCESSOR_H
#include <asm/barrier.h>

struct task_struct;
/* what the architecture keeps per task: its microkernel thread */
struct thread_struct {
	long host;		/* dc_host_thread_create() handle; 0 for the idle task */
	int (*fn)(void *);	/* kernel thread body, run by dc_linux_thread_entry */
	void *fn_arg;
};
#define INIT_THREAD	{ .host = 0 }

#define cpu_relax()		asm volatile("yield" ::: "memory")
#define task_pt_regs(tsk)	((struct pt_regs *)0)
#define KSTK_EIP(tsk)		(0)
#define KSTK_ESP(tsk)		(0)
#define TASK_SIZE		(~0UL)
#define TASK_UNMAPPED_BASE	0
#define STACK_TOP		TASK_SIZE
#define STACK_TOP_MAX		STACK_TOP

static inline void prepare_to_copy(struct task_struct *tsk) { }
static inline unsigned long __get_wchan(struct task_struct *p) { return 0; }
static inline void flush_thread(void) { }
struct pt_regs;
static inline void start_thread(struct pt_regs *regs, unsigned long pc, unsigned long sp) { }
#endif
