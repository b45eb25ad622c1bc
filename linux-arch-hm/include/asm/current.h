/* SPDX-License-Identifier: GPL-2.0 */
#ifndef _ASM_HM_CURRENT_H
#define _ASM_HM_CURRENT_H
#ifndef __ASSEMBLY__
/* one CPU: the running task is a variable that __switch_to sets */
struct task_struct;
extern struct task_struct *hm_current;
#define get_current()	(hm_current)
#define current		get_current()
#endif
#endif
