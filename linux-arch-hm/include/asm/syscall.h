/* SPDX-License-Identifier: GPL-2.0 */
#ifndef _ASM_HM_SYSCALL_H
#define _ASM_HM_SYSCALL_H
/* Linux in the container takes no system calls: nothing to trace */
#include <uapi/linux/audit.h>
#include <linux/err.h>
struct task_struct;
struct pt_regs;
static inline int syscall_get_nr(struct task_struct *t, struct pt_regs *r) { return -1; }
static inline void syscall_rollback(struct task_struct *t, struct pt_regs *r) { }
static inline long syscall_get_error(struct task_struct *t, struct pt_regs *r) { return 0; }
static inline long syscall_get_return_value(struct task_struct *t, struct pt_regs *r) { return 0; }
static inline void syscall_set_return_value(struct task_struct *t, struct pt_regs *r, int e, long v) { }
static inline void syscall_get_arguments(struct task_struct *t, struct pt_regs *r, unsigned long *a) { }
static inline int syscall_get_arch(struct task_struct *t) { return AUDIT_ARCH_AARCH64; }
#endif
