/* Processes: an address space, a handle table and threads. Termination
 * (exit, kill, unsupervised fault) reclaims everything the process holds:
 * threads, handles (and through them IRQ bindings, timers, endpoints),
 * mappings and page tables. */
#include <kernel/object.h>

/* limit: the child's own limits (HM_QUOTA_N of them), NULL for none of
 * its own; parent: the creator's quota, whose limits bound it as well */
struct proc *proc_create(const char *name, size_t len, struct endpoint *sup, uint64_t badge,
                         struct quota *parent, const uint64_t *limit, int *err)
{
    struct proc *p = kmalloc(sizeof *p);
    if (!p) {
        *err = -HM_ENOMEM;
        return NULL;
    }
    obj_init(&p->o, HM_OBJ_PROC);
    if (len >= sizeof p->name)
        len = sizeof p->name - 1;
    memcpy(p->name, name, len);
    list_init(&p->threads);
    list_init(&p->waiters);
    list_init(&p->orphan_link);
    p->quota = quota_create(parent, limit, p->name);
    if (!p->quota) {
        kfree(p);
        *err = -HM_ENOMEM;
        return NULL;
    }
    p->vs.quota = p->quota;   /* its table pages are its memory */
    *err = vs_init(&p->vs);
    if (*err) {
        quota_put(p->quota);
        kfree(p);
        return NULL;
    }
    if (htab_init(&p->handles, kmalloc_sized, kfree_sized)) {
        vs_destroy_tables(&p->vs);
        quota_put(p->quota);
        kfree(p);
        *err = -HM_ENOMEM;
        return NULL;
    }
    int32_t self = handle_install(p, &p->o, HM_R_ALL, 0);
    KASSERT(self == HM_HANDLE_SELF_PROC);
    if (sup) {
        p->sup = sup;
        p->sup_badge = badge;
        obj_ref(&sup->o);
    }
    kcpu.stats.procs_created++;
    return p;
}

void proc_terminate(struct proc *p, int64_t status)
{
    if (p->dead)
        return;
    p->dead = true;
    p->exit_status = status;
    obj_ref(&p->o);   /* keep p while its threads and handles go */
    while (!list_empty(&p->threads))
        thread_kill(list_entry(p->threads.next, struct thread, proc_link));
    handle_table_clear(p);
    vm_destroy(&p->vs);
    if (p->sup) {
        obj_unref(&p->sup->o);
        p->sup = NULL;
    }
    while (!list_empty(&p->waiters)) {
        struct thread *w = list_entry(p->waiters.next, struct thread, qlink);
        thread_unblock(w, 0);
        w->tf->x[1] = (uint64_t)status;
    }
    kcpu.stats.procs_destroyed++;
    bool own = current->proc == p;
    obj_unref(&p->o);
    /* the caller was one of p's threads: never returns. (A nested
     * termination, of a process whose last handle p held, must not.) */
    if (own && current->state == T_DEAD)
        schedule();
}
