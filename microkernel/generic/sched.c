/*
 * Scheduler: fixed priorities 0..31 (higher runs first), round robin within
 * a priority on a 10 ms slice, one CPU. The running thread is not on a run
 * queue. IPC bypasses the pick with sched_switch_to() when the target may run
 * at once (the direct switch of the call/reply fast path).
 */
#include <kernel/object.h>
#include <kernel/plat.h>

#define NPRIO 32
#define SLICE_US 10000

struct kcpu kcpu;
static struct list runq[NPRIO];
static struct thread *idle_thread;
static uint64_t slice_end;
extern uint64_t timer_programmed;

void sched_init(void)
{
    for (int i = 0; i < NPRIO; i++)
        list_init(&runq[i]);
}

void sched_ready(struct thread *t)
{
    KASSERT(t->queue == NULL);
    t->state = T_READY;
    if (t == idle_thread)
        return;
    list_add_tail(&runq[t->prio], &t->qlink);
    t->queue = &runq[t->prio];
    kcpu.runq_bitmap |= 1u << t->prio;
    if (current && t->prio > current->prio)
        kcpu.need_resched = true;
    else if (current && t != current && t->prio == current->prio && current != idle_thread &&
             timer_programmed > slice_end)
        timer_reprogram();   /* current now shares its priority: its slice counts (sched_slice_end) */
}

void sched_dequeue(struct thread *t)
{
    if (t->state != T_READY || !t->queue)
        return;
    list_del(&t->qlink);
    t->queue = NULL;
    if (list_empty(&runq[t->prio]))
        kcpu.runq_bitmap &= ~(1u << t->prio);
}

static struct thread *pick(void)
{
    if (!kcpu.runq_bitmap)
        return idle_thread;
    int p = 31 - __builtin_clz(kcpu.runq_bitmap);
    struct thread *t = list_entry(runq[p].next, struct thread, qlink);
    sched_dequeue(t);
    return t;
}


void sched_fp_trap(void)
{
    if (kcpu.fp_owner == current)
        return;
    if (kcpu.fp_owner)
        arch_fp_save(&kcpu.fp_owner->fp);
    if (current->fp_used)
        arch_fp_load(&current->fp);
    else {
        struct fpstate zero = {0};
        arch_fp_load(&zero);
    }
    current->fp_used = true;
    kcpu.fp_owner = current;
    fp_trap_set(false);
}

/* t dies: nobody owns the register file any more, so the next user of
 * FP/SIMD must trap and load its own state (leaving the trap off would hand
 * it the dead thread's registers) */
void sched_fp_forget(struct thread *t)
{
    if (kcpu.fp_owner == t) {
        kcpu.fp_owner = NULL;
        fp_trap_set(true);
    }
}

/* the per-thread user state the CPU holds: address space, TLS register,
 * and whether FP/SIMD use traps (lazy switching) */
static inline void switch_user_state(struct thread *prev, struct thread *next)
{
    kcpu.stats.switches++;
    next->state = T_RUNNING;
    if (prev->proc)
        __asm__ volatile("mrs %0, tpidr_el0" : "=r"(prev->tpidr));
    if (next->proc) {
        if (next->proc != prev->proc)
            vs_activate(&next->proc->vs);
        __asm__ volatile("msr tpidr_el0, %0" :: "r"(next->tpidr));
    }
    if ((kcpu.fp_owner == next) != (kcpu.fp_owner == prev))
        fp_trap_set(kcpu.fp_owner != next);
    current = next;
}

/* new_slice: a scheduler pick starts a new time slice; a direct IPC
 * switch passes the rest of the caller's slice on, so a call/reply pair
 * cannot starve other threads of the same priority. */
static void switch_to(struct thread *next, bool new_slice)
{
    struct thread *prev = current;
    if (next == prev) {
        prev->state = T_RUNNING;
        return;
    }
    switch_user_state(prev, next);
    if (new_slice) {
        slice_end = time_now() + time_freq / (1000000 / SLICE_US);
        if (timer_programmed > slice_end)
            timer_reprogram();
    }
    /* prev's context is saved below; next's, if a fast path blocked it, is
     * built here, where it costs the general path instead of every fast
     * IPC (fastpath.c) */
    prev->ctx_from_frame = false;
    if (next->ctx_from_frame) {
        thread_ctx_from_frame(next);
        next->ctx_from_frame = false;
    }
    arch_switch(&prev->ctx, &next->ctx);
    /* back in prev */
    thread_reap_zombies();
}

void sched_switch_to(struct thread *next) { switch_to(next, false); }

void schedule(void)
{
    kcpu.need_resched = false;
    struct thread *next = pick();
    if (current->state == T_RUNNING) {
        /* still runnable: keep running unless something outranks it */
        if (next == idle_thread || next->prio < current->prio) {
            if (next != idle_thread) {   /* put it back where it was */
                list_add_head(&runq[next->prio], &next->qlink);
                next->queue = &runq[next->prio];
                kcpu.runq_bitmap |= 1u << next->prio;
            }
            return;
        }
        sched_ready(current);
    }
    switch_to(next, true);
}

void sched_yield(void)
{
    if (current != idle_thread)
        sched_ready(current);
    kcpu.need_resched = false;
    switch_to(pick(), true);
}

void sched_tick(uint64_t now)
{
    if (now >= slice_end && current != idle_thread && kcpu.runq_bitmap &&
        (31 - __builtin_clz(kcpu.runq_bitmap)) >= current->prio)
        kcpu.need_resched = true;   /* round robin among equals */
    if (now >= slice_end)
        slice_end = now + time_freq / (1000000 / SLICE_US);
}

/* the end of the running thread's slice, when another thread of its
 * priority (or above) is ready to take over; else no slice timer is needed,
 * and a thread that runs alone for long does not take a tick every 10 ms
 * (sched_ready brings the slice back when a peer arrives) */
uint64_t sched_slice_end(void)
{
    if (current == idle_thread || !kcpu.runq_bitmap || (31 - __builtin_clz(kcpu.runq_bitmap)) < current->prio)
        return UINT64_MAX;
    return slice_end;
}

/* when the CPU last went idle (counter ticks): for a debugger, beside the
 * timer's compare value (scripts/gdb-threads.py) */
uint64_t idle_since;

static void idle_loop(void *arg)
{
    (void)arg;
    for (;;) {
        thread_reap_zombies();
        if (kcpu.fault_orphans_pending)
            fault_reap_orphans();
        if (kcpu.runq_bitmap) {
            sched_yield();
            continue;
        }
        timer_reprogram();
        idle_since = time_now();
        /* open IRQs only around wfi; handlers run on this stack and may switch away */
        __asm__ volatile("msr daifclr, #2; wfi; msr daifset, #2" ::: "memory");
    }
}

void sched_start(void)
{
    idle_thread = thread_create_kernel(idle_loop, NULL, HM_PRIO_IDLE);
    struct thread *first = pick();
    struct arch_ctx dummy;
    current = first;
    first->state = T_RUNNING;
    if (first->proc)
        vs_activate(&first->proc->vs);
    fp_trap_set(true);
    slice_end = time_now() + time_freq / 100;
    timer_reprogram();
    arch_switch(&dummy, &first->ctx);
    panic("sched_start returned");
}
