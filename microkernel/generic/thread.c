/* Threads: creation, blocking with deadlines, unblocking, death and reaping. */
#include <kernel/object.h>

#define KSTACK_SIZE (16 * 1024)

static struct list zombies = LIST_INIT(zombies);
struct list thread_live = LIST_INIT(thread_live);
extern void sched_fp_forget(struct thread *t);

static void thread_timeout(struct timeout *to)
{
    struct thread *t = container_of(to, struct thread, to);
    thread_unblock(t, -HM_ETIMEDOUT);
}

static struct thread *thread_alloc(int prio, int *err)
{
    struct thread *t = kmalloc(sizeof *t);
    void *ks = t ? kmalloc(KSTACK_SIZE) : NULL;
    if (!t || !ks) {
        kfree(t);
        *err = -HM_ENOMEM;
        return NULL;
    }
    obj_init(&t->o, HM_OBJ_THREAD);   /* this first reference is the "alive" one */
    t->kstack = ks;
    t->tid = t->o.koid;
    t->prio = prio;
    t->state = T_NEW;
    t->to.fire = thread_timeout;
    list_init(&t->qlink);
    list_init(&t->proc_link);
    list_init(&t->zombie_link);
    list_init(&t->to.link);
    list_add_tail(&thread_live, &t->live_link);
    /* initial kernel context: thread_entry with the trap frame at the stack top */
    t->tf = (struct trapframe *)((char *)ks + KSTACK_SIZE - sizeof(struct trapframe));
    thread_ctx_from_frame(t);
    return t;
}

/* charged to p's quota: a thread counts where it runs, whoever made it */
struct thread *thread_create(struct proc *p, uint64_t entry, uint64_t sp, uint64_t arg, int prio, int *err)
{
    if ((*err = quota_charge(p->quota, HM_QUOTA_THREADS, 1)))
        return NULL;
    struct thread *t = thread_alloc(prio, err);
    if (!t) {
        quota_uncharge(p->quota, HM_QUOTA_THREADS, 1);
        return NULL;
    }
    t->quota = p->quota;
    quota_ref(p->quota);
    t->proc = p;
    obj_ref(&p->o);
    t->tf->pc = entry;
    t->tf->sp = sp;
    t->tf->x[0] = arg;
    t->tf->pstate = 0;   /* EL0t, all exceptions unmasked */
    t->state = T_PARKED;
    list_add_tail(&p->threads, &t->proc_link);
    p->nthreads++;
    return t;
}

struct thread *thread_create_kernel(void (*fn)(void *), void *arg, int prio)
{
    int err;
    struct thread *t = thread_alloc(prio, &err);
    if (!t)
        panic("no memory for a kernel thread");
    t->ctx.x19_x30[0] = (uint64_t)fn;    /* x19 */
    t->ctx.x19_x30[1] = (uint64_t)arg;   /* x20 */
    t->state = T_READY;
    return t;
}

/* Block the current thread on queue q (may be NULL), holding a reference to
 * obj, until thread_unblock() or the deadline. Returns when woken; the
 * waker has written the result into the trap frame. */
void thread_block(enum tstate st, struct list *q, struct kobj *obj, uint64_t deadline)
{
    struct thread *t = current;
    t->state = st;
    if (q) {
        list_add_tail(q, &t->qlink);
        t->queue = q;
    }
    if (obj) {
        obj_ref(obj);
        t->wait_obj = obj;
    }
    if (deadline != HM_DEADLINE_NEVER)
        timeout_arm(&t->to, deadline);
    schedule();
}

/* detach t from whatever it waits on (queue, timeout, object reference) */
static void leave_wait(struct thread *t)
{
    if (t->queue && t->state != T_READY) {
        list_del(&t->qlink);
        t->queue = NULL;
    }
    timeout_cancel(&t->to);
    if (t->wait_obj) {
        struct kobj *o = t->wait_obj;
        t->wait_obj = NULL;
        obj_unref(o);
    }
}

void thread_unblock(struct thread *t, int64_t result)
{
    leave_wait(t);
    t->tf->x[0] = (uint64_t)result;
    sched_ready(t);
}

void thread_kill(struct thread *t)
{
    if (t->state == T_DEAD)
        return;
    ipc_cancel(t);
    sched_dequeue(t);
    leave_wait(t);
    ipc_release_staged(t);
    sched_fp_forget(t);
    t->state = T_DEAD;
    list_del(&t->live_link);
    if (t->proc) {
        list_del(&t->proc_link);
        t->proc->nthreads--;
    }
    /* the proc reference and the alive reference go when the stack is no longer in use */
    list_add_tail(&zombies, &t->zombie_link);
}

void thread_reap_zombies(void)
{
    struct list *pos, *tmp;
    list_for_each_safe(pos, tmp, &zombies) {
        struct thread *t = list_entry(pos, struct thread, zombie_link);
        if (t == current)
            continue;
        list_del(&t->zombie_link);
        struct proc *p = t->proc;
        t->proc = NULL;
        obj_unref(&t->o);
        if (p)
            obj_unref(&p->o);
    }
}
