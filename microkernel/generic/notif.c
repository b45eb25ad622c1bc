/* Notifications: a word of signal bits. signal ORs bits in and wakes one
 * waiter, which takes (and clears) all pending bits. Interrupts and timers
 * are delivered this way. */
#include <kernel/object.h>

void notif_signal(struct notif *n, uint64_t bits)
{
    n->bits |= bits;
    if (n->bits && !list_empty(&n->waiters)) {
        struct thread *t = list_entry(n->waiters.next, struct thread, qlink);
        uint64_t b = n->bits;
        n->bits = 0;
        thread_unblock(t, (int64_t)(b & 0x7fffffffffffffffull));
        t->tf->x[1] = b;
    }
}

void sys_notif_create(struct trapframe *tf)
{
    struct notif *n = kmalloc(sizeof *n);
    if (!n) {
        tf->x[0] = (uint64_t)-HM_ENOMEM;
        return;
    }
    obj_init(&n->o, HM_OBJ_NOTIF);
    list_init(&n->waiters);
    int32_t h = handle_install(current->proc, &n->o, HM_R_SIGNAL | HM_R_WAIT | HM_R_GRANT | HM_R_DUP, 0);
    obj_unref(&n->o);
    tf->x[0] = (uint64_t)(int64_t)h;
}

void sys_notif_signal(struct trapframe *tf)
{
    struct hslot *s;
    int err = handle_get(current->proc, (int32_t)tf->x[0], HM_OBJ_NOTIF, HM_R_SIGNAL, &s);
    if (!err)
        notif_signal((struct notif *)s->obj, tf->x[1]);
    tf->x[0] = (uint64_t)err;
}

/* returns 0 in x0 and the bits in x1 (bit 63 would not fit a non-negative x0) */
void sys_notif_wait(struct trapframe *tf)
{
    struct hslot *s;
    int err = handle_get(current->proc, (int32_t)tf->x[0], HM_OBJ_NOTIF, HM_R_WAIT, &s);
    if (err) {
        tf->x[0] = (uint64_t)err;
        return;
    }
    struct notif *n = (struct notif *)s->obj;
    if (n->bits) {
        tf->x[1] = n->bits;
        tf->x[0] = 0;
        n->bits = 0;
        return;
    }
    uint64_t deadline = tf->x[1];
    if (deadline != HM_DEADLINE_NEVER && deadline <= time_now()) {
        tf->x[0] = (uint64_t)-HM_ETIMEDOUT;
        return;
    }
    thread_block(T_NOTIF, &n->waiters, &n->o, deadline);
    /* woken: notif_signal set x0/x1, or the timeout set x0 */
    if ((int64_t)tf->x[0] >= 0)
        tf->x[0] = 0;
}
