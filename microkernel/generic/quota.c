/*
 * Quotas: what a process may hold at once (uapi syscall.h HM_QUOTA_*).
 * A charge walks from the process's quota up through its creator's to the
 * root and is refused, changing nothing, if any of them would go over its
 * limit: a child can never hold more than its creator was given, whatever
 * limits the creator wrote for it. Charges are taken before the memory or
 * object is, and given back where the object is freed, to the same quota
 * (objects hold a reference to it: they may outlive the process).
 */
#include <kernel/object.h>
#include <kernel/plat.h>

static const char *const kind_name[HM_QUOTA_N] = { "memory", "DMA memory", "handles", "threads", "endpoints" };

/* init's: the machine is the only limit */
struct quota quota_root = {
    .refs = 1,
    .limit = { HM_QUOTA_UNLIMITED, HM_QUOTA_UNLIMITED, HM_QUOTA_UNLIMITED, HM_QUOTA_UNLIMITED, HM_QUOTA_UNLIMITED },
    .name = "kernel",
};

struct quota *quota_create(struct quota *parent, const uint64_t *limit, const char *name)
{
    struct quota *q = kmalloc(sizeof *q);
    if (!q)
        return NULL;
    *q = (struct quota){ .refs = 1, .parent = parent };
    for (unsigned k = 0; k < HM_QUOTA_N; k++)
        q->limit[k] = limit ? limit[k] : HM_QUOTA_UNLIMITED;
    for (unsigned i = 0; i + 1 < sizeof q->name && name[i]; i++)
        q->name[i] = name[i];
    quota_ref(parent);
    return q;
}

void quota_put(struct quota *q)
{
    /* a loop, not recursion: a chain of quotas whose last reference goes
     * at once is as deep as the process tree */
    while (q && --q->refs == 0) {
        struct quota *parent = q->parent;
        KASSERT(q != &quota_root);
        for (unsigned k = 0; k < HM_QUOTA_N; k++)
            KASSERT(q->used[k] == 0);
        kfree(q);
        q = parent;
    }
}

int quota_charge(struct quota *q, unsigned kind, uint64_t n)
{
    for (struct quota *a = q; a; a = a->parent) {
        if (n <= a->limit[kind] - a->used[kind] && a->used[kind] <= a->limit[kind])
            continue;
        /* say it once per quota and kind: a program that loops on ENOMEM
         * must not flood the console */
        if (a->refused[kind]++ == 0)
            kprintf("quota: %s over %s's %s limit (%lu of %lu in use, %lu more asked)\n", q->name, a->name,
                   kind_name[kind], a->used[kind], a->limit[kind], n);
        return -HM_ENOMEM;
    }
    for (struct quota *a = q; a; a = a->parent)
        a->used[kind] += n;
    return 0;
}

void quota_uncharge(struct quota *q, unsigned kind, uint64_t n)
{
    for (struct quota *a = q; a; a = a->parent) {
        KASSERT(a->used[kind] >= n);
        a->used[kind] -= n;
    }
}

uint64_t vs_table_alloc(struct vspace *vs)
{
    if (vs->quota && quota_charge(vs->quota, HM_QUOTA_MEM, PAGE_SIZE))
        return 0;
    uint64_t pa = page_alloc(1, 1);
    if (!pa) {
        if (vs->quota)
            quota_uncharge(vs->quota, HM_QUOTA_MEM, PAGE_SIZE);
        return 0;
    }
    vs->ntables++;
    return pa;
}

void vs_tables_freed(struct vspace *vs)
{
    if (vs->quota)
        quota_uncharge(vs->quota, HM_QUOTA_MEM, vs->ntables * PAGE_SIZE);
    vs->ntables = 0;
}

/* (proc, struct hm_quota *): its limits, use and refusals */
void sys_proc_quota(struct trapframe *tf)
{
    struct hslot *s;
    int err = handle_get(current->proc, (int32_t)tf->x[0], HM_OBJ_PROC, HM_R_READ, &s);
    if (!err) {
        struct quota *q = ((struct proc *)s->obj)->quota;
        struct hm_quota out;
        memcpy(out.limit, q->limit, sizeof out.limit);
        memcpy(out.used, q->used, sizeof out.used);
        memcpy(out.refused, q->refused, sizeof out.refused);
        err = copy_to_user(&current->proc->vs, tf->x[1], &out, sizeof out);
    }
    tf->x[0] = (uint64_t)(int64_t)err;
}
