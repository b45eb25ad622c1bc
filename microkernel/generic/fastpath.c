/*
 * The fast paths, entered from the exception vector (entry.S) before the
 * general system-call dispatcher: call and reply_recv with the partner
 * already waiting (ipc_call_fastpath, ipc_reply_recv_fastpath), and
 * thread_switch to a parked thread of the same process
 * (thread_switch_fastpath). Each checks everything the general path would,
 * then returns the frame to resume; NULL sends the call down the general
 * path (syscall.c), which gives the same results.
 *
 * The IPC message stays in registers. The vector saves the caller's whole
 * frame (a thread that blocks here keeps all of its registers, as on the
 * general path) and calls the IPC fast paths with x1..x7 untouched: this
 * file is compiled with -ffixed-x1 .. -ffixed-x7 and calls no function
 * (the Makefile checks its object for calls). On success the vector loads
 * the partner's x8..x30 from its frame (x8 = the badge written here), sets
 * x0 = 0 and returns to it with the sender's x1..x7, the message. Copying
 * the message frame to frame and loading it back, with one entry for both
 * system calls, cost 36 instructions of a 341-instruction call + reply
 * (docs/benchmarks.md).
 *
 * They live in one file so that the switch below is inlined into all three.
 */
#include <kernel/object.h>
#include <kernel/vm.h>

_Static_assert(HM_SYS_CALL == SYS_NR_CALL && HM_SYS_REPLY_RECV == SYS_NR_REPLY_RECV &&
               HM_SYS_THREAD_SWITCH == SYS_NR_THREAD_SWITCH, "entry.S numbers");

#define FAST static inline __attribute__((always_inline))

/* the live slot of handle x0 if it names an object of this type */
FAST struct hslot *fast_slot(struct thread *me, const struct trapframe *tf, uint16_t type)
{
    struct hslot *s = htab_lookup(&me->proc->handles, (int32_t)tf->x[0]);
    return likely(s && s->type == type) ? s : NULL;
}

/*
 * The switch: the caller is leaving the kernel blocked, and its kernel
 * stack holds nothing but its trap frame, so instead of saving a kernel
 * context we mark it "resume from the trap frame" (the scheduler builds
 * that context if it resumes prev: sched.c) and resume next straight from
 * its trap frame too. next must be a user thread blocked in recv, waiting
 * for a reply or parked: states whose kernel frames have no work left after
 * waking (see ipc.c). The address space is the caller's business.
 */
FAST struct trapframe *fast_switch(struct thread *prev, struct thread *next)
{
    uint64_t tp;
    prev->ctx_from_frame = true;
    next->state = T_RUNNING;
    __asm__ volatile("mrs %0, tpidr_el0" : "=r"(tp));
    prev->tpidr = tp;
    __asm__ volatile("msr tpidr_el0, %0" :: "r"(next->tpidr));
    /* no isb after either write: nothing here touches user memory or FP
     * registers, and the eret to next synchronises the context */
    /* written, not compared first: a compare of both threads against
     * kcpu.fp_owner and a branch cost more than the write (a register, no
     * flush) */
    fp_trap_set_nosync(kcpu.fp_owner != next);
    current = next;
    return next->tf;
}

/*
 * The IPC partner's address space. The running user thread's TTBR0 is its
 * process's (the kernel returns to user space with it), and each process
 * has its own, so the translation changes exactly when the process does:
 * compared by process, and counted when it does not change (the rarer
 * case; kstat's as_switches adds the fast IPC legs and subtracts these).
 */
FAST void fast_ipc_vspace(struct thread *me, struct thread *to)
{
    if (likely(to->proc != me->proc)) {   /* both user threads: both have a process */
        uint64_t v = to->proc->vs.ttbr;
        kcpu.active_ttbr = v;
        /* no "memory" clobber: nothing here touches user memory, and one
         * would make the compiler load to->tf again */
        __asm__ volatile("msr ttbr0_el1, %0" :: "r"(v));
    } else {
        kcpu.stats.fast_ipc_same_vspace++;
    }
}

/* the endpoint slot of handle x0 with the given right, for a message
 * without extra words or handles (tag bits 32 and up clear) and no pending
 * kernel work; NULL otherwise */
FAST struct hslot *fast_ipc_slot(struct thread *me, const struct trapframe *tf, uint32_t right)
{
    if (unlikely((tf->x[1] >> 32) | kcpu.work_pending))
        return NULL;
    struct hslot *s = fast_slot(me, tf, HM_OBJ_EP);
    if (unlikely(!s || !(s->rights & right)))
        return NULL;
    return s;
}

/* call: a receiver already waiting, without a deadline, nothing of higher
 * priority ready */
struct trapframe *ipc_call_fastpath(struct trapframe *tf)
{
    struct thread *me = current, *to;
    struct hslot *s = fast_ipc_slot(me, tf, HM_R_SEND);
    if (unlikely(!s))
        return NULL;
    struct endpoint *ep = (struct endpoint *)s->obj;
    if (unlikely(list_empty(&ep->receivers)))
        return NULL;   /* a closed endpoint has no receivers either */
    to = list_entry(ep->receivers.next, struct thread, qlink);
    if (unlikely(to->to.armed || !sched_can_direct(to)))
        return NULL;   /* receiver has a deadline, or someone outranks it */
    list_del(&to->qlink);
    to->queue = NULL;
    me->state = T_REPLY;
    me->reply_from = to;
    to->reply_to = me;
    kcpu.stats.fast_calls++;
    to->tf->x[8] = s->badge;   /* x0..x7: the vector's (result 0, then the message) */
    fast_ipc_vspace(me, to);
    return fast_switch(me, to);
}

/* reply_recv: the caller we serve waits for the reply (not a fault reply),
 * no sender queued on the endpoint, nothing of higher priority ready */
struct trapframe *ipc_reply_recv_fastpath(struct trapframe *tf)
{
    struct thread *me = current, *to = me->reply_to;
    struct hslot *s = fast_ipc_slot(me, tf, HM_R_RECV);
    if (unlikely(!s))
        return NULL;
    struct endpoint *ep = (struct endpoint *)s->obj;
    if (unlikely(!to || to->in_fault || !list_empty(&ep->senders) || !sched_can_direct(to)))
        return NULL;
    me->reply_to = NULL;
    to->reply_from = NULL;
    me->state = T_RECV;
    list_add_tail(&ep->receivers, &me->qlink);
    me->queue = &ep->receivers;
    kcpu.stats.fast_replies++;
    to->tf->x[8] = 0;   /* no badge on a reply */
    fast_ipc_vspace(me, to);
    return fast_switch(me, to);
}

/*
 * thread_switch: the target is a parked thread of our process that may run
 * now. A parked thread has no kernel work left when it resumes (it parked
 * in thread_switch or thread_park, or never ran). The vector saved the
 * whole frame: the target resumes from all of its own.
 */
struct trapframe *thread_switch_fastpath(struct trapframe *tf)
{
    struct thread *me = current;
    if (unlikely(kcpu.work_pending))
        return NULL;
    struct hslot *s = fast_slot(me, tf, HM_OBJ_THREAD);
    if (unlikely(!s || !(s->rights & HM_R_MANAGE)))
        return NULL;
    struct thread *t = (struct thread *)s->obj;
    if (unlikely(t->proc != me->proc || t == me || t->state != T_PARKED || !sched_can_direct(t)))
        return NULL;
    tf->x[0] = 0;   /* our result when someone resumes us */
    me->state = T_PARKED;
    kcpu.stats.fast_handoffs++;
    return fast_switch(me, t);   /* same process: same address space */
}
