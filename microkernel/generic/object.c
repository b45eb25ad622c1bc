/* Object lifetime: reference counting and the per-type destructors. */
#include <kernel/object.h>
#include <kernel/plat.h>

static uint64_t next_koid = 1;

void obj_init(struct kobj *o, uint32_t type)
{
    o->type = type;
    o->refs = 1;
    o->koid = next_koid++;
}

/* Processes whose last reference went while they were alive. Terminating
 * one closes its handles, which may drop the last reference to another: a
 * chain of such processes is handled by this loop, not by recursion, which
 * would overflow the kernel stack (one frame set per link). */
static struct list dying = LIST_INIT(dying);
static bool draining;

static void proc_free(struct proc *p)
{
    if (!p->dead) {
        /* last handle to a process that has no threads (they hold references):
         * terminate it, which takes and drops a reference of its own */
        p->o.refs = 1;   /* the dying list's */
        list_add_tail(&dying, &p->dying_link);
        if (draining)
            return;      /* an outer proc_free is looping: it will get to p */
        draining = true;
        while (!list_empty(&dying)) {
            struct proc *q = list_entry(dying.next, struct proc, dying_link);
            list_del(&q->dying_link);
            proc_terminate(q, HM_PROC_EXIT_KILLED);
            obj_unref(&q->o);
        }
        draining = false;
        return;
    }
    quota_put(p->quota);
    kfree(p);
}

void obj_unref(struct kobj *o)
{
    KASSERT(o->refs > 0);
    if (--o->refs)
        return;
    switch (o->type) {
    case HM_OBJ_PROC:
        proc_free((struct proc *)o);
        break;
    case HM_OBJ_THREAD: {
        struct thread *t = (struct thread *)o;
        KASSERT(t->state == T_DEAD && t != current);
        if (t->quota) {
            quota_uncharge(t->quota, HM_QUOTA_THREADS, 1);
            quota_put(t->quota);
        }
        kfree(t->kstack);
        kfree(t);
        break;
    }
    case HM_OBJ_EP: {
        struct endpoint *ep = (struct endpoint *)o;
        quota_uncharge(ep->quota, HM_QUOTA_EPS, 1);
        quota_put(ep->quota);
        kfree(ep);
        break;
    }
    case HM_OBJ_NOTIF:
    case HM_OBJ_RESOURCE:
        kfree(o);
        break;
    case HM_OBJ_IRQ: {
        struct irqobj *q = (struct irqobj *)o;
        extern void irq_unbind(struct irqobj *q);
        irq_unbind(q);
        obj_unref(&q->notif->o);
        kfree(q);
        break;
    }
    case HM_OBJ_TIMER: {
        struct timerobj *tm = (struct timerobj *)o;
        timeout_cancel(&tm->to);
        obj_unref(&tm->notif->o);
        kfree(tm);
        break;
    }
    case HM_OBJ_MEM: {
        struct memobj *m = (struct memobj *)o;
        if (m->kind == HM_MEM_ANON) {
            for (uint64_t i = 0; i < m->size / PAGE_SIZE; i++)
                page_free(m->pages[i], 1);
            kfree(m->pages);
        } else if (m->kind == HM_MEM_CONTIG && !m->borrowed) {
            page_free(m->phys, m->size / PAGE_SIZE);
        }
        if (m->quota) {
            if (m->kind == HM_MEM_CONTIG)
                quota_uncharge(m->quota, HM_QUOTA_DMA, m->size);
            quota_uncharge(m->quota, HM_QUOTA_MEM, m->size);
            quota_put(m->quota);
        }
        kfree(m);
        break;
    }
    default:
        panic("obj_unref: type %u", o->type);
    }
}
