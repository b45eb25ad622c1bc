/* Handles: a process's only way to name a kernel object (see htab.c for the
 * table itself). Installing takes a reference, closing drops it. A process's
 * handle to itself does not count, so an unreferenced process can die; nor
 * is it charged to its handle quota (every other slot is). */
#include <kernel/object.h>

static bool is_self(struct proc *p, struct kobj *o) { return o == &p->o; }

int32_t handle_install(struct proc *p, struct kobj *o, uint32_t rights, uint64_t badge)
{
    bool self = is_self(p, o);
    if (!self && quota_charge(p->quota, HM_QUOTA_HANDLES, 1))
        return -HM_ENOMEM;
    int32_t h = htab_insert(&p->handles, o, (uint16_t)o->type, rights & HM_R_ALL, badge);
    if (h < 0) {
        if (!self)
            quota_uncharge(p->quota, HM_QUOTA_HANDLES, 1);
        return -HM_ENOSPC;
    }
    if (!self) {
        obj_ref(o);
        o->handles++;
    }
    if (o->type == HM_OBJ_EP && (rights & HM_R_RECV))
        ((struct endpoint *)o)->recv_handles++;
    return h;
}

int handle_get(struct proc *p, int32_t h, uint32_t type, uint32_t rights, struct hslot **out)
{
    struct hslot *s = htab_lookup(&p->handles, h);
    if (!s)
        return -HM_EBADH;
    if (type != HM_OBJ_NONE && s->type != type)
        return -HM_ETYPE;
    if ((s->rights & rights) != rights)
        return -HM_EPERM;
    *out = s;
    return 0;
}

static void drop(struct proc *p, struct hslot *s)
{
    struct kobj *o = s->obj;
    if (o->type == HM_OBJ_EP && (s->rights & HM_R_RECV)) {
        struct endpoint *ep = (struct endpoint *)o;
        if (--ep->recv_handles == 0)
            ipc_endpoint_close(ep);
    }
    if (!is_self(p, o)) {
        quota_uncharge(p->quota, HM_QUOTA_HANDLES, 1);
        o->handles--;
        obj_unref(o);
    }
}

int handle_close(struct proc *p, int32_t h)
{
    struct hslot s;
    if (!htab_remove(&p->handles, h, &s))
        return -HM_EBADH;
    drop(p, &s);
    return 0;
}

void handle_table_clear(struct proc *p)
{
    for (uint32_t i = 0; i < p->handles.cap; i++) {
        struct hslot *s = &p->handles.slots[i];
        if (!s->obj)
            continue;
        struct hslot copy = *s;
        s->obj = NULL;
        p->handles.used--;
        drop(p, &copy);
    }
    htab_destroy(&p->handles);
}
