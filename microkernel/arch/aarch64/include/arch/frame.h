/* Saved user/kernel state: the trap frame and the kernel switch context. */
#ifndef ARCH_FRAME_H
#define ARCH_FRAME_H

#define TF_SIZE 272

/* system-call numbers the exception vector sends to the IPC fast path
 * (checked against uapi/hm/syscall.h in ipc.c) */
#define SYS_NR_CALL       20
#define SYS_NR_REPLY_RECV 23
#define SYS_NR_THREAD_SWITCH 12

#ifndef __ASSEMBLER__
#include <stdint.h>

struct trapframe {
    uint64_t x[31];   /* x0..x30 */
    uint64_t sp;      /* sp_el0 */
    uint64_t pc;      /* elr_el1 */
    uint64_t pstate;  /* spsr_el1 */
};
_Static_assert(sizeof(struct trapframe) == TF_SIZE, "trapframe layout");

/* callee-saved registers of a kernel context, saved by arch_switch */
struct arch_ctx {
    uint64_t x19_x30[12];
    uint64_t sp;
    uint64_t pad;
};

struct fpstate {
    __uint128_t q[32];
    uint64_t fpsr, fpcr;
} __attribute__((aligned(16)));

void arch_switch(struct arch_ctx *prev, struct arch_ctx *next);
void arch_fp_save(struct fpstate *fp);
void arch_fp_load(const struct fpstate *fp);
void thread_entry(void);
#endif
#endif
