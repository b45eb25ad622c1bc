/* SPDX-License-Identifier: GPL-2.0 WITH Linux-syscall-note */
#ifndef _UAPI_ASM_HM_PTRACE_H
#define _UAPI_ASM_HM_PTRACE_H
/* No user mode inside the container: registers are never saved by Linux. */
struct user_pt_regs {
	unsigned long regs[31];
	unsigned long sp, pc, pstate;
};
#endif
