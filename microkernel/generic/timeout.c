/* Absolute-deadline timeouts (thread waits and timer objects), kept sorted;
 * the generic timer fires no later than the earliest one or the end of the
 * running thread's time slice (when it has one), whichever comes first.
 *
 * The timer is programmed lazily: only when something needs it earlier than
 * it is set, or when what it was set for has passed. A cancelled or later
 * deadline leaves it alone and it fires early at most once (timer_irq then
 * finds nothing due and sets it again). Most waits end long before their
 * deadline (a block client waits 30 s for a completion that takes 100 us),
 * and each write costs a system-register trap; under QEMU it also re-arms a
 * host timer and may wake QEMU's main loop (docs/twin-drivers.md measures
 * what this saved per block request). */
#include <kernel/object.h>
#include <kernel/plat.h>

static struct list timeouts = LIST_INIT(timeouts);
uint64_t timer_programmed = UINT64_MAX;
extern uint64_t sched_slice_end(void);

void timeout_arm(struct timeout *t, uint64_t deadline)
{
    if (t->armed)
        timeout_cancel(t);
    t->deadline = deadline;
    struct list *pos = timeouts.next;
    while (pos != &timeouts && list_entry(pos, struct timeout, link)->deadline <= deadline)
        pos = pos->next;
    list_add_tail(pos, &t->link);   /* insert before pos */
    t->armed = true;
    if (timeouts.next == &t->link)
        timer_reprogram();
}

void timeout_cancel(struct timeout *t)
{
    if (!t->armed)
        return;
    list_del(&t->link);
    t->armed = false;
}

void timeouts_run(uint64_t now)
{
    while (!list_empty(&timeouts)) {
        struct timeout *t = list_entry(timeouts.next, struct timeout, link);
        if (t->deadline > now)
            break;
        timeout_cancel(t);
        t->fire(t);
    }
}

void timer_reprogram(void)
{
    uint64_t next = sched_slice_end();
    if (!list_empty(&timeouts)) {
        uint64_t d = list_entry(timeouts.next, struct timeout, link)->deadline;
        if (d < next)
            next = d;
    }
    if (next >= timer_programmed && timer_programmed > time_now())
        return;   /* it fires in time (perhaps early, then timer_irq sets it again) */
    timer_programmed = next;
    timer_hw_program(next);
}

/* timer interrupt */
void timer_irq(void)
{
    uint64_t now = time_now();
    timeouts_run(now);
    sched_tick(now);
    timer_reprogram();
}

/*
 * The backstop: the EL1 physical timer fires every BACKSTOP_MS and runs the
 * timeouts as the virtual timer's interrupt does. QEMU 10's TCG, rarely,
 * never raises a virtual-timer compare value the kernel moved earlier while
 * the CPU then sleeps in wfi: QEMU's main loop goes on polling with the old
 * deadline (strace: ppoll with no timer due for years) and the system sleeps
 * until some other interrupt. It was seen 1 boot in ~15 of fault-kill,
 * where each kill leaves ~230 s of silence (QEMU's trace: cval_write of the
 * earlier value, recalc with irqstate 0, then nothing; docs/testing.md).
 * With the backstop such a wake-up comes at most BACKSTOP_MS late, it is
 * counted (kstat timer_rescues) and said on the console. Its cost: one
 * interrupt per BACKSTOP_MS.
 */
#define BACKSTOP_MS 50
#define RESCUES_LOGGED 4

void timer_backstop(void)
{
    uint64_t now = time_now();
    timer_backstop_arm(now + time_freq * BACKSTOP_MS / 1000);
    /* the virtual timer's interrupt, had it come, is taken first (lower
     * INTID, same priority) and would have moved timer_programmed on; a
     * passed timer_programmed makes timer_irq's reprogram write it again */
    if (timer_programmed != UINT64_MAX && timer_programmed + time_freq / 1000 < now &&
        kcpu.stats.timer_rescues++ < RESCUES_LOGGED)
        kprintf("hm: the virtual timer's wake-up due %lu ms ago never came; the backstop timer ran it\n",
                (now - timer_programmed) * 1000 / time_freq);
    timer_irq();
}
