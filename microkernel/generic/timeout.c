/* Absolute-deadline timeouts (thread waits and timer objects), kept sorted;
 * the generic timer is programmed for the earliest one or the end of the
 * running thread's time slice, whichever comes first. */
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
