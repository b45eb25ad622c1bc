/* System calls on handles, processes and threads. Each one decodes and
 * checks all its arguments before it changes anything. */
#include <kernel/object.h>
#include <kernel/boot.h>
#include <kernel/plat.h>

#define CUR (current->proc)
#define RET(v) do { tf->x[0] = (uint64_t)(int64_t)(v); return; } while (0)

/* ---- handles ---- */
void sys_handle_close(struct trapframe *tf) { RET(handle_close(CUR, (int32_t)tf->x[0])); }

/* (h, rights, badge): rights can only shrink; a badge can be set once */
void sys_handle_dup(struct trapframe *tf)
{
    struct hslot *s;
    int err = handle_get(CUR, (int32_t)tf->x[0], HM_OBJ_NONE, HM_R_DUP, &s);
    if (err)
        RET(err);
    uint64_t badge = tf->x[2] ? tf->x[2] : s->badge;
    if (s->badge && badge != s->badge)
        RET(-HM_EPERM);
    if (tf->x[1] & ~(uint64_t)HM_R_ALL)
        RET(-HM_EINVAL);
    RET(handle_install(CUR, s->obj, (uint32_t)tf->x[1] & s->rights, badge));
}

void sys_handle_info(struct trapframe *tf)
{
    struct hslot *s;
    int err = handle_get(CUR, (int32_t)tf->x[0], HM_OBJ_NONE, 0, &s);
    if (err)
        RET(err);
    struct kobj *o = s->obj;
    struct hm_handle_info info = { .type = s->type, .rights = s->rights, .badge = s->badge, .koid = o->koid,
                                   .handles = o->handles ? o->handles : 1 };   /* handle 0: not counted */
    RET(copy_to_user(&CUR->vs, tf->x[1], &info, sizeof info));
}

/* (proc, h, rights) -> handle in proc's table */
void sys_handle_give(struct trapframe *tf)
{
    struct hslot *ps, *s;
    int err = handle_get(CUR, (int32_t)tf->x[0], HM_OBJ_PROC, HM_R_MANAGE, &ps);
    if (!err)
        err = handle_get(CUR, (int32_t)tf->x[1], HM_OBJ_NONE, HM_R_GRANT, &s);
    if (!err && (tf->x[2] & ~(uint64_t)HM_R_ALL))
        err = -HM_EINVAL;
    struct proc *p = err ? NULL : (struct proc *)ps->obj;
    if (!err && p->dead)
        err = -HM_ESTATE;
    /* A process that never ran a thread holds no process handles: otherwise
     * two of them could hold each other and, unreachable, never die (a
     * process that has run dies with its last thread, which clears its
     * handles, so no such cycle survives). */
    if (!err && s->type == HM_OBJ_PROC && p->nthreads == 0 && (struct proc *)s->obj != p)
        err = -HM_ESTATE;
    if (err)
        RET(err);
    RET(handle_install(p, s->obj, (uint32_t)tf->x[2] & s->rights, s->badge));
}

/* ---- processes ---- */
/* (name, len, supervisor ep or -1, limits or 0) -> proc. The new process's
 * quota is charged along with the caller's: limits of its own (a user
 * array of HM_QUOTA_N) can only narrow what the caller has left. */
void sys_proc_create(struct trapframe *tf)
{
    char name[32];
    uint64_t len = tf->x[1];
    struct endpoint *sup = NULL;
    uint64_t badge = 0;
    uint64_t limit[HM_QUOTA_N];
    if (len == 0 || len >= sizeof name)
        RET(-HM_EINVAL);
    int err = copy_from_user(&CUR->vs, name, tf->x[0], len);
    if (!err && tf->x[3])
        err = copy_from_user(&CUR->vs, limit, tf->x[3], sizeof limit);
    if (!err && (int32_t)tf->x[2] != HM_HANDLE_INVALID) {
        struct hslot *s;
        err = handle_get(CUR, (int32_t)tf->x[2], HM_OBJ_EP, HM_R_SEND, &s);
        if (!err) {
            sup = (struct endpoint *)s->obj;
            badge = s->badge;
        }
    }
    if (err)
        RET(err);
    struct proc *p = proc_create(name, len, sup, badge, CUR->quota, tf->x[3] ? limit : NULL, &err);
    if (!p)
        RET(err);
    int32_t h = handle_install(CUR, &p->o, HM_R_ALL, 0);
    obj_unref(&p->o);   /* only handles keep a thread-less process */
    RET(h);
}

static int get_proc(struct trapframe *tf, uint32_t rights, struct proc **pp)
{
    struct hslot *s;
    int err = handle_get(CUR, (int32_t)tf->x[0], HM_OBJ_PROC, rights, &s);
    if (!err)
        *pp = (struct proc *)s->obj;
    return err;
}

void sys_proc_kill(struct trapframe *tf)
{
    struct proc *p;
    int err = get_proc(tf, HM_R_MANAGE, &p);
    if (err)
        RET(err);
    tf->x[0] = 0;
    proc_terminate(p, HM_PROC_EXIT_KILLED);   /* does not return if p is ours */
}

/* (proc, deadline) -> 0 and the exit status in x1 */
void sys_proc_wait(struct trapframe *tf)
{
    struct proc *p;
    int err = get_proc(tf, HM_R_READ, &p);
    if (err)
        RET(err);
    if (p == CUR)
        RET(-HM_EINVAL);
    if (p->dead) {
        tf->x[1] = (uint64_t)p->exit_status;
        RET(0);
    }
    uint64_t deadline = tf->x[1];
    if (deadline != HM_DEADLINE_NEVER && deadline <= time_now())
        RET(-HM_ETIMEDOUT);
    thread_block(T_PROCWAIT, &p->waiters, &p->o, deadline);
}

void sys_proc_exit(struct trapframe *tf)
{
    proc_terminate(CUR, (int64_t)tf->x[0]);
}

/* ---- threads ---- */
static int get_thread(int32_t h, struct thread **tp)
{
    struct hslot *s;
    int err = handle_get(CUR, h, HM_OBJ_THREAD, HM_R_MANAGE, &s);
    if (err)
        return err;
    *tp = (struct thread *)s->obj;
    return (*tp)->state == T_DEAD ? -HM_ESTATE : 0;
}

/* (proc, entry, sp, arg, prio) -> thread, parked until resumed or switched to */
void sys_thread_create(struct trapframe *tf)
{
    struct proc *p;
    int err = get_proc(tf, HM_R_MANAGE, &p);
    int64_t prio = (int64_t)tf->x[4];
    if (!err && p->dead)
        err = -HM_ESTATE;
    if (!err && (prio < 0 || prio > HM_PRIO_MAX))
        err = -HM_EINVAL;
    if (!err && prio > current->prio)
        err = -HM_EPERM;   /* no raising priority above one's own */
    if (!err && (tf->x[1] >= HM_USER_VA_MAX || tf->x[2] >= HM_USER_VA_MAX || (tf->x[2] & 15)))
        err = -HM_EINVAL;
    if (err)
        RET(err);
    struct thread *t = thread_create(p, tf->x[1], tf->x[2], tf->x[3], (int)prio, &err);
    if (!t)
        RET(err);
    int32_t h = handle_install(CUR, &t->o, HM_R_MANAGE | HM_R_GRANT | HM_R_DUP, 0);
    if (h < 0) {
        thread_kill(t);
        RET(h);
    }
    RET(h);
}

void sys_thread_resume(struct trapframe *tf)
{
    struct thread *t;
    int err = get_thread((int32_t)tf->x[0], &t);
    if (!err && t->state != T_PARKED)
        err = -HM_ESTATE;
    if (err)
        RET(err);
    sched_ready(t);
    RET(0);
}

/* Hand the CPU to thread t of the caller's own process and park the caller:
 * the primitive a Linux context switch inside a driver container maps to. */
void sys_thread_switch(struct trapframe *tf)
{
    struct thread *t;
    int err = get_thread((int32_t)tf->x[0], &t);
    if (!err && t->proc != CUR)
        err = -HM_EPERM;
    if (!err && t == current)
        err = -HM_EINVAL;
    if (!err && t->state != T_PARKED && t->state != T_READY)
        err = -HM_ESTATE;
    if (err)
        RET(err);
    tf->x[0] = 0;   /* our result when someone resumes us */
    current->state = T_PARKED;
    if (t->state == T_READY)
        sched_dequeue(t);
    if (sched_can_direct(t)) {
        sched_switch_to(t);
    } else {
        sched_ready(t);
        schedule();
    }
}

void sys_thread_park(struct trapframe *tf)
{
    tf->x[0] = 0;
    current->state = T_PARKED;
    schedule();
}

static void exit_thread(struct thread *t, int64_t status)
{
    struct proc *p = t->proc;
    if (p->nthreads == 1) {
        proc_terminate(p, status);   /* last thread: the process ends */
        return;
    }
    bool self = t == current;
    thread_kill(t);
    if (self)
        schedule();
}

void sys_thread_exit(struct trapframe *tf)
{
    (void)tf;
    exit_thread(current, 0);
}

void sys_thread_kill(struct trapframe *tf)
{
    struct thread *t;
    int err = get_thread((int32_t)tf->x[0], &t);
    if (err)
        RET(err);
    tf->x[0] = 0;
    exit_thread(t, HM_PROC_EXIT_KILLED);
}

void sys_thread_yield(struct trapframe *tf)
{
    tf->x[0] = 0;
    sched_yield();
}

void sys_thread_set_prio(struct trapframe *tf)
{
    struct thread *t;
    int64_t prio = (int64_t)tf->x[1];
    int err = get_thread((int32_t)tf->x[0], &t);
    if (!err && (prio < 0 || prio > HM_PRIO_MAX))
        err = -HM_EINVAL;
    if (!err && prio > current->prio)
        err = -HM_EPERM;
    if (err)
        RET(err);
    bool queued = t->state == T_READY;
    if (queued)
        sched_dequeue(t);
    t->prio = (int)prio;
    if (queued)
        sched_ready(t);
    if (t == current)
        kcpu.need_resched = true;
    RET(0);
}

void sys_ipc_buf_set(struct trapframe *tf)
{
    uint64_t va = tf->x[0], pa;
    if (va && ((va & 7) || !vs_lookup(&CUR->vs, va, true, &pa) ||
               !vs_lookup(&CUR->vs, va + sizeof(struct hm_ipc_buf) - 1, true, &pa)))
        RET(-HM_EFAULT);
    current->ipc_buf = va;
    RET(0);
}

extern void mmu_wx_stats(uint64_t *violations, uint64_t *exec_pages);
extern int gic_version(void);

void sys_klog_stats(struct trapframe *tf)
{
    char buf[512];
    static uint64_t wx = ~0ull, xpages;   /* the kernel tables do not change after boot */
    uint64_t sctlr;
    if (wx == ~0ull)
        mmu_wx_stats(&wx, &xpages);
    __asm__ volatile("mrs %0, sctlr_el1" : "=r"(sctlr));
    uint64_t instr;
    char instr_s[24] = "-";
    if (pmu_instructions(&instr))
        ksnprintf(instr_s, sizeof instr_s, "%lu", instr);
    int n = ksnprintf(buf, sizeof buf,
                      "syscalls=%lu ipc_calls=%lu ipc_fast=%lu switches=%lu irqs=%lu faults=%lu "
                      "procs_created=%lu procs_destroyed=%lu free_pages=%lu ram_mib=%lu gic=%d "
                      "kernel_wx_pages=%lu kernel_exec_pages=%lu sctlr_wxn=%lu kernel_upper_half=%d as_switches=%lu "
                      "msis=%lu msi=%s timer_rescues=%lu instructions=%s pmu_overflows=%lu\n",
                      kcpu.stats.syscalls, kcpu.stats.ipc_calls + kcpu.stats.fast_calls,
                      kcpu.stats.ipc_fast + kcpu.stats.fast_calls + kcpu.stats.fast_replies,
                      kcpu.stats.switches + kcpu.stats.fast_calls + kcpu.stats.fast_replies + kcpu.stats.fast_handoffs, kcpu.stats.irqs,
                      kcpu.stats.faults, kcpu.stats.procs_created, kcpu.stats.procs_destroyed, (uint64_t)page_free_count(),
                      boot_info.ram_size >> 20, gic_version(), wx, xpages, (sctlr >> 19) & 1,
                      (uint64_t)sys_klog_stats >= KERNEL_VBASE,
                      kcpu.stats.as_switches + kcpu.stats.fast_calls + kcpu.stats.fast_replies - kcpu.stats.fast_ipc_same_vspace,
                      kcpu.stats.msis,
                      msi_kind() == 2 ? "gicv2m" : msi_kind() == 3 ? "its" : "none", kcpu.stats.timer_rescues, instr_s,
                      kcpu.stats.pmu_overflows);
    if (n >= (int)sizeof buf)
        n = sizeof buf - 1;
    uint64_t len = tf->x[1];
    if (len < (uint64_t)n + 1)
        RET(-HM_EINVAL);
    int err = copy_to_user(&CUR->vs, tf->x[0], buf, (size_t)n + 1);
    RET(err ? err : n);
}
