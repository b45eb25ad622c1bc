/* Resources: authority over device physical ranges, interrupt numbers and
 * MSI sources (a device ID and its vectors).
 * init receives the root resource; narrower ones are cut from it and given
 * to drivers, which turn them into device memory objects and IRQ objects. */
#include <kernel/object.h>
#include <kernel/plat.h>

bool resource_covers(struct hslot *s, uint32_t kind, uint64_t base, uint64_t size)
{
    struct resource *r = (struct resource *)s->obj;
    if (r->kind == HM_RES_ROOT)
        return true;
    return r->kind == kind && base >= r->base && size <= r->size && base - r->base <= r->size - size;
}

struct resource *resource_new(uint32_t kind, uint64_t base, uint64_t size)
{
    struct resource *r = kmalloc(sizeof *r);
    if (!r)
        return NULL;
    obj_init(&r->o, HM_OBJ_RESOURCE);
    r->kind = kind;
    r->base = base;
    r->size = size;
    return r;
}

/* (resource, kind, base, size) -> new resource covering a sub-range */
void sys_resource_create(struct trapframe *tf)
{
    struct hslot *s;
    uint32_t kind = (uint32_t)tf->x[1];
    uint64_t base = tf->x[2], size = tf->x[3];
    int err = handle_get(current->proc, (int32_t)tf->x[0], HM_OBJ_RESOURCE, HM_R_MANAGE, &s);
    if (!err && ((kind != HM_RES_MMIO && kind != HM_RES_IRQ && kind != HM_RES_MSI) || size == 0 || base + size < base))
        err = -HM_EINVAL;
    if (!err && !resource_covers(s, kind, base, size))
        err = -HM_ERANGE;
    struct resource *r = NULL;
    if (!err && !(r = resource_new(kind, base, size)))
        err = -HM_ENOMEM;
    if (err) {
        tf->x[0] = (uint64_t)err;
        return;
    }
    int32_t h = handle_install(current->proc, &r->o, HM_R_MANAGE | HM_R_GRANT | HM_R_DUP, 0);
    obj_unref(&r->o);
    tf->x[0] = (uint64_t)(int64_t)h;
}

void sys_poweroff(struct trapframe *tf)
{
    struct hslot *s;
    int err = handle_get(current->proc, (int32_t)tf->x[0], HM_OBJ_RESOURCE, HM_R_MANAGE, &s);
    if (!err && ((struct resource *)s->obj)->kind != HM_RES_ROOT)
        err = -HM_EPERM;
    if (err) {
        tf->x[0] = (uint64_t)err;
        return;
    }
    kprintf("hm: power off\n");
    plat_poweroff();
}
