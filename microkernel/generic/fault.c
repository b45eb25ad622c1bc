/* User faults: the thread stops and its process's supervisor receives a
 * fault message (as a call from that thread). Without a supervisor that
 * can take it, the process is terminated; the kernel never goes down. */
#include <kernel/object.h>

static const char *const kind_name[] = { "?", "data abort", "instruction abort", "undefined instruction",
                                         "alignment", "breakpoint", "other" };

void fault_user(struct thread *t, uint32_t kind, uint64_t addr, uint64_t esr)
{
    struct proc *p = t->proc;
    kstats.faults++;
    kprintf("hm: fault in %s thread %lu: %s at pc %lx, address %lx (esr %lx)\n", p->name, t->tid,
            kind < ARRAY_SIZE(kind_name) ? kind_name[kind] : "?", t->tf->pc, addr, esr);
    if (ipc_fault_send(t, kind, addr, esr) == 0)
        return;   /* resumed by the supervisor's reply, or killed meanwhile */
    kprintf("hm: %s has no supervisor: terminated\n", p->name);
    proc_terminate(p, HM_PROC_EXIT_FAULTED);
}
