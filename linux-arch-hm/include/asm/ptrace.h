/* SPDX-License-Identifier: GPL-2.0 */
#ifndef _ASM_HM_PTRACE_H
#define _ASM_HM_PTRACE_H
#include <uapi/asm/ptrace.h>
/* Linux in the container has no user mode and takes no exceptions itself */
struct pt_regs {
	struct user_pt_regs user;
};
#define user_mode(regs)			(0)
#define instruction_pointer(regs)	((regs)->user.pc)
#define user_stack_pointer(regs)	((regs)->user.sp)
#define profile_pc(regs)		instruction_pointer(regs)
#define current_pt_regs()		((struct pt_regs *)0)
static inline long regs_return_value(struct pt_regs *regs) { return regs->user.regs[0]; }
#endif
