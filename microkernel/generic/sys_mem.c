/* System calls on memory: memory objects and mappings. */
#include <kernel/object.h>
#include <kernel/plat.h>

extern bool resource_covers(struct hslot *s, uint32_t kind, uint64_t base, uint64_t size);

static void install_mem(struct trapframe *tf, struct memobj *m, uint32_t rights)
{
    int32_t h = handle_install(current->proc, &m->o, rights, 0);
    obj_unref(&m->o);
    tf->x[0] = (uint64_t)(int64_t)h;
}

/* (size, kind) */
void sys_mem_create(struct trapframe *tf)
{
    uint64_t size = tf->x[0], kind = tf->x[1];
    if (kind != HM_MEM_ANON && kind != HM_MEM_CONTIG) {
        tf->x[0] = (uint64_t)-HM_EINVAL;
        return;
    }
    int err;
    struct memobj *m = memobj_create((uint32_t)kind, size, 0, current->proc->quota, &err);
    if (!m) {
        tf->x[0] = (uint64_t)err;
        return;
    }
    install_mem(tf, m, HM_R_READ | HM_R_WRITE | HM_R_EXEC | HM_R_MAP | HM_R_GRANT | HM_R_DUP);
}

/* (resource, phys, size): device MMIO, only inside the resource, never RAM
 * or a device the kernel drives */
void sys_mem_device(struct trapframe *tf)
{
    struct hslot *s;
    uint64_t phys = tf->x[1], size = tf->x[2];
    int err = handle_get(current->proc, (int32_t)tf->x[0], HM_OBJ_RESOURCE, HM_R_MANAGE, &s);
    if (!err && (!size || ((phys | size) & (PAGE_SIZE - 1)) || phys + size < phys))
        err = -HM_EINVAL;
    if (!err && (!resource_covers(s, HM_RES_MMIO, phys, size) || ram_contains(phys, size) ||
                 plat_kernel_owns_phys(phys, size) || phys + size > (1ull << 48)))
        err = -HM_ERANGE;
    struct memobj *m = NULL;
    if (!err)
        m = memobj_create(HM_MEM_DEVICE, size, phys, NULL, &err);
    if (!m) {
        tf->x[0] = (uint64_t)err;
        return;
    }
    install_mem(tf, m, HM_R_READ | HM_R_WRITE | HM_R_MAP | HM_R_GRANT | HM_R_DUP);
}

void sys_mem_info(struct trapframe *tf)
{
    struct hslot *s;
    int err = handle_get(current->proc, (int32_t)tf->x[0], HM_OBJ_MEM, 0, &s);
    if (!err) {
        struct memobj *m = (struct memobj *)s->obj;
        struct hm_mem_info info = { .size = m->size, .kind = m->kind,
                                    .phys = m->kind == HM_MEM_ANON ? 0 : m->phys };
        err = copy_to_user(&current->proc->vs, tf->x[1], &info, sizeof info);
    }
    tf->x[0] = (uint64_t)err;
}

static int get_target_proc(int32_t h, struct proc **pp)
{
    struct hslot *s;
    int err = handle_get(current->proc, h, HM_OBJ_PROC, HM_R_MANAGE, &s);
    if (err)
        return err;
    *pp = (struct proc *)s->obj;
    return (*pp)->dead ? -HM_ESTATE : 0;
}

/* (proc, mem, offset, size, va or 0, perms) -> va */
void sys_vm_map(struct trapframe *tf)
{
    struct proc *p;
    struct hslot *ms;
    uint32_t perms = (uint32_t)tf->x[5];
    int err = get_target_proc((int32_t)tf->x[0], &p);
    if (!err && (!(perms & HM_MAP_R) || (perms & ~(uint32_t)(HM_MAP_R | HM_MAP_W | HM_MAP_X))))
        err = -HM_EINVAL;
    if (!err)
        err = handle_get(current->proc, (int32_t)tf->x[1], HM_OBJ_MEM, HM_R_MAP | perms, &ms);
    uint64_t va = tf->x[4];
    if (!err)
        err = vm_map(&p->vs, (struct memobj *)ms->obj, tf->x[2], tf->x[3], &va, perms);
    tf->x[0] = err ? (uint64_t)err : va;
}

/* (proc, va) */
void sys_vm_unmap(struct trapframe *tf)
{
    struct proc *p;
    int err = get_target_proc((int32_t)tf->x[0], &p);
    if (!err)
        err = vm_unmap(&p->vs, tf->x[1]);
    tf->x[0] = (uint64_t)err;
}
