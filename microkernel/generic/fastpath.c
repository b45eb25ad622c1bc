/*
 * The fast paths, entered from the exception vector (entry.S) before the
 * general system-call dispatcher: call and reply_recv with the partner
 * already waiting (ipc_fastpath), and thread_switch to a parked thread of
 * the same process (thread_switch_fastpath). Each checks everything the
 * general path would, then moves the message trap frame to trap frame and
 * returns the frame to resume; NULL sends the call down the general path
 * (syscall.c), which gives the same results.
 *
 * They live in one file so that the switch below is inlined into both:
 * a call per leg, its stack frame and a second check of the address space
 * cost about 15 instructions of a round trip's 450 (docs/benchmarks.md).
 */
#include <kernel/object.h>
#include <kernel/vm.h>

_Static_assert(HM_SYS_CALL == SYS_NR_CALL && HM_SYS_REPLY_RECV == SYS_NR_REPLY_RECV &&
               HM_SYS_THREAD_SWITCH == SYS_NR_THREAD_SWITCH, "entry.S numbers");

/*
 * The switch: the caller is leaving the kernel blocked, and its kernel
 * stack holds nothing but its trap frame, so instead of saving a kernel
 * context we mark it "resume from the trap frame" (the scheduler builds
 * that context if it resumes prev: sched.c) and resume next straight from
 * its trap frame too. next must be a user thread blocked
 * in recv, waiting for a reply or parked: states whose kernel frames have no
 * work left after waking (see ipc.c).
 */
static inline __attribute__((always_inline)) struct trapframe *fast_switch(struct thread *prev,
                                                                           struct thread *next,
                                                                           bool same_proc)
{
    uint64_t tp;
    prev->ctx_from_frame = true;
    next->state = T_RUNNING;
    __asm__ volatile("mrs %0, tpidr_el0" : "=r"(tp));
    prev->tpidr = tp;
    __asm__ volatile("msr tpidr_el0, %0" :: "r"(next->tpidr));
    /* no isb after either write: nothing here touches user memory or FP
     * registers, and the eret to next synchronises the context */
    if (!same_proc)
        vs_set_ttbr_nosync(next->proc->vs.ttbr);   /* a user thread: it has a process */
    /* written, not compared first: a compare of both threads against
     * kcpu.fp_owner and a branch cost more than the write (a register, no
     * flush) */
    fp_trap_set_nosync(kcpu.fp_owner != next);
    current = next;
    return next->tf;
}

/*
 * call and reply_recv: no extra words or handles (tag bits 32 and up
 * clear), the partner already waiting, nothing of higher priority ready,
 * no pending kernel work.
 */
struct trapframe *ipc_fastpath(struct trapframe *tf)
{
    struct thread *me = current, *to;
    uint64_t tag = tf->x[1];
    int32_t h = (int32_t)tf->x[0];
    struct htab *ht = &me->proc->handles;
    uint32_t idx = (uint32_t)h & 0xffff;
    if (unlikely((tag >> 32) | kcpu.work_pending) || h < 0 || idx >= ht->cap)
        return NULL;
    struct hslot *s = &ht->slots[idx];
    if (unlikely(!s->obj || s->type != HM_OBJ_EP || s->gen != ((uint32_t)h >> 16)))
        return NULL;
    struct endpoint *ep = (struct endpoint *)s->obj;
    uint64_t badge = 0;
    if (tf->x[8] == HM_SYS_CALL) {
        if (unlikely(!(s->rights & HM_R_SEND) || list_empty(&ep->receivers)))
            return NULL;   /* a closed endpoint has no receivers either */
        to = list_entry(ep->receivers.next, struct thread, qlink);
        if (unlikely(to->to.armed || !sched_can_direct(to)))
            return NULL;   /* receiver has a deadline, or someone outranks it */
        list_del(&to->qlink);
        to->queue = NULL;
        badge = s->badge;
        me->state = T_REPLY;
        me->reply_from = to;
        to->reply_to = me;
        kcpu.stats.fast_calls++;
    } else {
        to = me->reply_to;
        if (unlikely(!(s->rights & HM_R_RECV) || !to || to->in_fault || !list_empty(&ep->senders) ||
                     !sched_can_direct(to)))
            return NULL;
        me->reply_to = NULL;
        to->reply_from = NULL;
        me->state = T_RECV;
        list_add_tail(&ep->receivers, &me->qlink);
        me->queue = &ep->receivers;
        kcpu.stats.fast_replies++;
    }
    /* x0..x7 in pairs (ldp/stp), then the result and the badge over them */
    uint64_t *out = to->tf->x;
    __builtin_memcpy(out, tf->x, 8 * sizeof(uint64_t));
    out[0] = 0;
    out[8] = badge;
    return fast_switch(me, to, false);
}

/*
 * thread_switch: the target is a parked thread of our process that may run
 * now. A parked thread has no kernel work left when it resumes (it parked
 * in thread_switch or thread_park, or never ran).
 */
struct trapframe *thread_switch_fastpath(struct trapframe *tf)
{
    struct thread *me = current;
    int32_t h = (int32_t)tf->x[0];
    struct htab *ht = &me->proc->handles;
    uint32_t idx = (uint32_t)h & 0xffff;
    if (unlikely(kcpu.work_pending) || h < 0 || idx >= ht->cap)
        return NULL;
    struct hslot *s = &ht->slots[idx];
    if (unlikely(!s->obj || s->type != HM_OBJ_THREAD || s->gen != ((uint32_t)h >> 16) || !(s->rights & HM_R_MANAGE)))
        return NULL;
    struct thread *t = (struct thread *)s->obj;
    if (unlikely(t->proc != me->proc || t == me || t->state != T_PARKED || !sched_can_direct(t)))
        return NULL;
    tf->x[0] = 0;   /* our result when someone resumes us */
    me->state = T_PARKED;
    kcpu.stats.fast_handoffs++;
    return fast_switch(me, t, true);   /* t->proc == me->proc: checked above */
}
