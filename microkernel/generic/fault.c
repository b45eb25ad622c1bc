/* User faults: the thread stops and its process's supervisor receives a
 * fault message (as a call from that thread). Without a supervisor that
 * can take it, the process is terminated; the kernel never goes down. */
#include <kernel/object.h>

static const char *const kind_name[] = { "?", "data abort", "instruction abort", "undefined instruction",
                                         "alignment", "breakpoint", "other" };

void fault_user(struct thread *t, uint32_t kind, uint64_t addr, uint64_t esr)
{
    struct proc *p = t->proc;
    kcpu.stats.faults++;
    kprintf("hm: fault in %s thread %lu: %s at pc %lx (lr %lx), address %lx (esr %lx)\n", p->name, t->tid,
            kind < ARRAY_SIZE(kind_name) ? kind_name[kind] : "?", t->tf->pc, t->tf->x[30], addr, esr);
    if (ipc_fault_send(t, kind, addr, esr) == 0)
        return;   /* resumed by the supervisor's reply, or killed meanwhile */
    kprintf("hm: %s has no supervisor: terminated\n", p->name);
    proc_terminate(p, HM_PROC_EXIT_FAULTED);
}

/* A faulted thread whose supervisor went away (endpoint closed, or the
 * supervisor thread died or received again without replying): nobody will
 * resume it, so its process is terminated. Termination is deferred to the
 * end of the current kernel entry (or the idle loop), where no other
 * operation is half done. */
static struct list orphans = LIST_INIT(orphans);

void fault_orphaned(struct thread *t)
{
    t->in_fault = false;
    t->state = T_PARKED;
    struct proc *p = t->proc;
    if (p->orphaned)
        return;
    p->orphaned = true;
    obj_ref(&p->o);
    list_add_tail(&orphans, &p->orphan_link);
    kcpu.fault_orphans_pending++;
}

void fault_reap_orphans(void)
{
    while (!list_empty(&orphans)) {
        struct proc *p = list_entry(orphans.next, struct proc, orphan_link);
        list_del(&p->orphan_link);
        kcpu.fault_orphans_pending--;
        if (!p->dead)
            kprintf("hm: %s: fault left without a supervisor: terminated\n", p->name);
        proc_terminate(p, HM_PROC_EXIT_FAULTED);
        obj_unref(&p->o);
    }
}
