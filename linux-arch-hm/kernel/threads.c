// SPDX-License-Identifier: GPL-2.0
/*
 * Tasks on microkernel threads. Each Linux task has a thread of its own,
 * whose stack is the task's stack; a context switch is one direct hand-off
 * (dc_host_thread_switch: the microkernel runs the next task's thread and
 * parks this one), so exactly one thread runs Linux code at a time.
 */
#include <linux/sched.h>
#include <linux/sched/task.h>
#include <linux/sched/task_stack.h>
#include <linux/sched/signal.h>
#include <dc_host.h>
#include <asm/switch_to.h>

struct task_struct *hm_current = &init_task;
/* the task that ran before the switch: schedule_tail() and switch_to need it */
static struct task_struct *hm_last;

void dc_linux_thread_entry(void *arg)
{
	struct task_struct *p = arg;

	schedule_tail(hm_last);
	p->thread.fn(p->thread.fn_arg);
	/* a body that returns would go to user mode: the container has none */
	do_exit(0);
}

int copy_thread(struct task_struct *p, const struct kernel_clone_args *args)
{
	long h;

	/* the copy of the parent holds the parent's thread: never release that */
	p->thread.host = 0;
	if (!args->fn)
		return -EINVAL;	/* no user mode: only kernel and init threads */
	p->thread.fn = args->fn;
	p->thread.fn_arg = args->fn_arg;
	h = dc_host_thread_create(task_stack_page(p), THREAD_SIZE, dc_linux_thread_entry, p);
	if (h < 0)
		return -ENOMEM;
	p->thread.host = h;
	return 0;
}

struct task_struct *__switch_to(struct task_struct *prev, struct task_struct *next)
{
	hm_last = prev;
	hm_current = next;
	dc_host_thread_switch(next->thread.host);
	/* back on prev's thread: whoever switched to us set hm_last */
	return hm_last;
}

/* the task is gone and its thread, parked since its last switch, never runs again */
void arch_release_task_struct(struct task_struct *p)
{
	if (p->thread.host && p != &init_task)
		dc_host_thread_destroy(p->thread.host);
}
