/* Timer objects (one-shot, absolute deadline, signal a notification) and sleep. */
#include <kernel/object.h>

static void timer_fire(struct timeout *to)
{
    struct timerobj *tm = container_of(to, struct timerobj, to);
    notif_signal(tm->notif, tm->bits);
}

void sys_timer_create(struct trapframe *tf)
{
    struct hslot *ns;
    int err = handle_get(current->proc, (int32_t)tf->x[0], HM_OBJ_NOTIF, HM_R_SIGNAL, &ns);
    if (!err && !tf->x[1])
        err = -HM_EINVAL;
    struct timerobj *tm = NULL;
    if (!err && !(tm = kmalloc(sizeof *tm)))
        err = -HM_ENOMEM;
    if (err) {
        tf->x[0] = (uint64_t)err;
        return;
    }
    obj_init(&tm->o, HM_OBJ_TIMER);
    tm->notif = (struct notif *)ns->obj;
    obj_ref(&tm->notif->o);
    tm->bits = tf->x[1];
    tm->to.fire = timer_fire;
    list_init(&tm->to.link);
    int32_t h = handle_install(current->proc, &tm->o, HM_R_MANAGE | HM_R_GRANT | HM_R_DUP, 0);
    obj_unref(&tm->o);
    tf->x[0] = (uint64_t)(int64_t)h;
}

void sys_timer_set(struct trapframe *tf)
{
    struct hslot *s;
    int err = handle_get(current->proc, (int32_t)tf->x[0], HM_OBJ_TIMER, HM_R_MANAGE, &s);
    if (err) {
        tf->x[0] = (uint64_t)err;
        return;
    }
    struct timerobj *tm = (struct timerobj *)s->obj;
    uint64_t deadline = tf->x[1];
    timeout_cancel(&tm->to);
    if (deadline != HM_DEADLINE_NEVER) {
        if (deadline <= time_now())
            timer_fire(&tm->to);
        else
            timeout_arm(&tm->to, deadline);
    }
    tf->x[0] = 0;
}

void sys_sleep_until(struct trapframe *tf)
{
    uint64_t deadline = tf->x[0];
    if (deadline == HM_DEADLINE_NEVER) {
        tf->x[0] = (uint64_t)-HM_EINVAL;   /* that would be park */
        return;
    }
    if (deadline <= time_now()) {
        tf->x[0] = 0;
        return;
    }
    thread_block(T_SLEEP, NULL, NULL, deadline);
    tf->x[0] = 0;   /* the timeout's ETIMEDOUT is the normal end of a sleep */
}
