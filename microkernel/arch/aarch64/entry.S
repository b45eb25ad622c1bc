/*
 * Exception vectors, trap-frame save/restore and the kernel context switch.
 *
 * Every exception saves a full struct trapframe (x0..x30, sp_el0, elr, spsr)
 * on the current kernel stack, so a thread that blocks keeps all of its
 * registers there whichever path it took. Entries from EL0 arrive on the thread's own
 * kernel stack (SP_EL1 is left at its top when we return to user), so the
 * frame of a thread in the kernel is always at the top of its stack. The
 * kernel runs with IRQs masked; only the idle thread waits with them open.
 */
#include <arch/frame.h>

.macro SAVE_FRAME
    sub     sp, sp, #TF_SIZE
    stp     x0, x1, [sp, #16 * 0]
    stp     x2, x3, [sp, #16 * 1]
    stp     x4, x5, [sp, #16 * 2]
    stp     x6, x7, [sp, #16 * 3]
    stp     x8, x9, [sp, #16 * 4]
    stp     x10, x11, [sp, #16 * 5]
    stp     x12, x13, [sp, #16 * 6]
    stp     x14, x15, [sp, #16 * 7]
    stp     x16, x17, [sp, #16 * 8]
    stp     x18, x19, [sp, #16 * 9]
    stp     x20, x21, [sp, #16 * 10]
    stp     x22, x23, [sp, #16 * 11]
    stp     x24, x25, [sp, #16 * 12]
    stp     x26, x27, [sp, #16 * 13]
    stp     x28, x29, [sp, #16 * 14]
    mrs     x21, sp_el0
    mrs     x22, elr_el1
    mrs     x23, spsr_el1
    stp     x30, x21, [sp, #16 * 15]
    stp     x22, x23, [sp, #16 * 16]
.endm

/*
 * The frame at sp, or at base (x0): the fast paths return the partner's
 * frame in x0, which is then loaded last, after sp is set above the frame
 * (one instruction less per leg than moving it to sp first).
 * ipc=1, after an IPC fast path: the partner gets x8..x30 from its frame
 * (x8 the badge the fast path wrote), the result 0 in x0 and the message
 * in x1..x7 as the sender left them in the registers.
 */
.macro RESTORE_FRAME base=sp, ipc=0
.ifnc \base, sp
.ifnc \base, x0
    .error "RESTORE_FRAME: the frame is at sp or x0"
.endif
.endif
.if \ipc
.ifnc \base, x0
    .error "RESTORE_FRAME: an IPC fast path returns the frame in x0"
.endif
.endif
    ldp     x22, x23, [\base, #16 * 16]
    ldp     x30, x21, [\base, #16 * 15]
    msr     elr_el1, x22
    msr     spsr_el1, x23
    msr     sp_el0, x21
.ifc \base, sp
    ldp     x0, x1, [sp, #16 * 0]
.else
    add     sp, \base, #TF_SIZE
.endif
.if !\ipc
    ldp     x2, x3, [\base, #16 * 1]
    ldp     x4, x5, [\base, #16 * 2]
    ldp     x6, x7, [\base, #16 * 3]
.endif
    ldp     x8, x9, [\base, #16 * 4]
    ldp     x10, x11, [\base, #16 * 5]
    ldp     x12, x13, [\base, #16 * 6]
    ldp     x14, x15, [\base, #16 * 7]
    ldp     x16, x17, [\base, #16 * 8]
    ldp     x18, x19, [\base, #16 * 9]
    ldp     x20, x21, [\base, #16 * 10]
    ldp     x22, x23, [\base, #16 * 11]
    ldp     x24, x25, [\base, #16 * 12]
    ldp     x26, x27, [\base, #16 * 13]
    ldp     x28, x29, [\base, #16 * 14]
.ifc \base, sp
    add     sp, sp, #TF_SIZE
.else
.if \ipc
    mov     x0, #0                     /* the result */
.else
    ldp     x0, x1, [\base, #16 * 0]   /* the base last */
.endif
.endif
    eret
.endm

.macro VECTOR label
    .balign 0x80
    b       \label
.endm

    .text
    .balign 0x800
    .global exception_vectors
exception_vectors:
    VECTOR  vec_bad          /* EL1t sync */
    VECTOR  vec_bad          /* EL1t irq */
    VECTOR  vec_bad          /* EL1t fiq */
    VECTOR  vec_bad          /* EL1t serror */
    VECTOR  vec_el1_sync     /* EL1h sync */
    VECTOR  vec_el1_irq      /* EL1h irq */
    VECTOR  vec_bad          /* EL1h fiq */
    VECTOR  vec_bad          /* EL1h serror */
    VECTOR  vec_el0_sync     /* EL0 AArch64 sync */
    VECTOR  vec_el0_irq      /* EL0 AArch64 irq */
    VECTOR  vec_bad          /* EL0 AArch64 fiq */
    VECTOR  vec_bad          /* EL0 AArch64 serror */
    VECTOR  vec_el0_sync     /* EL0 AArch32: reported as an undefined-instruction fault */
    VECTOR  vec_el0_irq
    VECTOR  vec_bad
    VECTOR  vec_bad

vec_bad:
    SAVE_FRAME
    mov     x0, sp
    bl      trap_bad
    b       .

vec_el1_sync:
    SAVE_FRAME
    mov     x0, sp
    bl      trap_kernel_sync        /* does not return */
    b       .

vec_el1_irq:
    SAVE_FRAME
    mov     x0, sp
    bl      trap_irq
    b       restore_frame

vec_el0_sync:
    SAVE_FRAME
    mrs     x9, esr_el1
    lsr     x10, x9, #26
    cmp     x10, #0x15              /* SVC from AArch64 */
    b.ne    1f
    mov     x0, sp
    /* call and reply_recv: the fast paths leave x1..x7 (the message) as
     * they are (fastpath.c is built with them fixed) and return the
     * partner's frame, or NULL for the general path */
    cmp     x8, #SYS_NR_CALL
    b.eq    4f
    cmp     x8, #SYS_NR_REPLY_RECV
    b.ne    3f
    bl      ipc_reply_recv_fastpath
    cbz     x0, 2f
    RESTORE_FRAME x0, ipc=1         /* inline: a branch less per leg */
4:  bl      ipc_call_fastpath
    cbz     x0, 2f
    RESTORE_FRAME x0, ipc=1
3:  cmp     x8, #SYS_NR_THREAD_SWITCH
    b.ne    2f
    bl      thread_switch_fastpath  /* returns the target's frame, or NULL */
    cbz     x0, 2f
    RESTORE_FRAME x0
2:  mov     x0, sp
    bl      syscall_entry           /* returns the frame to resume */
    mov     sp, x0
    b       restore_frame
1:  mov     x0, sp
    mov     x1, x9
    bl      trap_user_sync
    b       restore_frame

vec_el0_irq:
    SAVE_FRAME
    mov     x0, sp
    bl      trap_irq
    /* fall through */

    .global restore_frame
restore_frame:
    RESTORE_FRAME

/*
 * void arch_switch(struct arch_ctx *prev, struct arch_ctx *next)
 * Saves the callee-saved registers and sp of the running kernel context in
 * prev and resumes next. A new thread's context "returns" to thread_entry.
 */
    .global arch_switch
arch_switch:
    mov     x9, sp
    stp     x19, x20, [x0, #16 * 0]
    stp     x21, x22, [x0, #16 * 1]
    stp     x23, x24, [x0, #16 * 2]
    stp     x25, x26, [x0, #16 * 3]
    stp     x27, x28, [x0, #16 * 4]
    stp     x29, x30, [x0, #16 * 5]
    str     x9, [x0, #16 * 6]
    ldp     x19, x20, [x1, #16 * 0]
    ldp     x21, x22, [x1, #16 * 1]
    ldp     x23, x24, [x1, #16 * 2]
    ldp     x25, x26, [x1, #16 * 3]
    ldp     x27, x28, [x1, #16 * 4]
    ldp     x29, x30, [x1, #16 * 5]
    ldr     x9, [x1, #16 * 6]
    mov     sp, x9
    ret

/* First run of a thread: x19 = function (0 for a user thread), x20 = arg.
 * sp already points at the thread's initial trap frame. */
    .global thread_entry
thread_entry:
    cbz     x19, restore_frame
    mov     x0, x20
    blr     x19
    b       .

/* FP/SIMD state save/restore for lazy switching (struct fpstate: q0..q31, fpsr, fpcr) */
    .global arch_fp_save
arch_fp_save:
    stp     q0, q1, [x0, #32 * 0]
    stp     q2, q3, [x0, #32 * 1]
    stp     q4, q5, [x0, #32 * 2]
    stp     q6, q7, [x0, #32 * 3]
    stp     q8, q9, [x0, #32 * 4]
    stp     q10, q11, [x0, #32 * 5]
    stp     q12, q13, [x0, #32 * 6]
    stp     q14, q15, [x0, #32 * 7]
    stp     q16, q17, [x0, #32 * 8]
    stp     q18, q19, [x0, #32 * 9]
    stp     q20, q21, [x0, #32 * 10]
    stp     q22, q23, [x0, #32 * 11]
    stp     q24, q25, [x0, #32 * 12]
    stp     q26, q27, [x0, #32 * 13]
    stp     q28, q29, [x0, #32 * 14]
    stp     q30, q31, [x0, #32 * 15]
    mrs     x1, fpsr
    mrs     x2, fpcr
    add     x3, x0, #32 * 16
    stp     x1, x2, [x3]
    ret

    .global arch_fp_load
arch_fp_load:
    ldp     q0, q1, [x0, #32 * 0]
    ldp     q2, q3, [x0, #32 * 1]
    ldp     q4, q5, [x0, #32 * 2]
    ldp     q6, q7, [x0, #32 * 3]
    ldp     q8, q9, [x0, #32 * 4]
    ldp     q10, q11, [x0, #32 * 5]
    ldp     q12, q13, [x0, #32 * 6]
    ldp     q14, q15, [x0, #32 * 7]
    ldp     q16, q17, [x0, #32 * 8]
    ldp     q18, q19, [x0, #32 * 9]
    ldp     q20, q21, [x0, #32 * 10]
    ldp     q22, q23, [x0, #32 * 11]
    ldp     q24, q25, [x0, #32 * 12]
    ldp     q26, q27, [x0, #32 * 13]
    ldp     q28, q29, [x0, #32 * 14]
    ldp     q30, q31, [x0, #32 * 15]
    add     x3, x0, #32 * 16
    ldp     x1, x2, [x3]
    msr     fpsr, x1
    msr     fpcr, x2
    ret
