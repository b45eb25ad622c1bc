/* Mapping records: which memory object backs which user range, with what
 * permissions; and copying between the kernel and user space. The kernel
 * never dereferences user pointers: it translates them through the
 * process's tables and reaches the page through its linear map, so a bad
 * pointer is an HM_EFAULT, never a kernel fault. */
#include <kernel/object.h>

static bool overlaps(struct vspace *vs, uint64_t va, uint64_t size, struct list **insert_before)
{
    struct list *pos;
    for (pos = vs->maps.next; pos != &vs->maps; pos = pos->next) {
        struct vmap *m = list_entry(pos, struct vmap, link);
        if (va < m->va + m->size && m->va < va + size)
            return true;
        if (m->va >= va + size)
            break;
    }
    *insert_before = pos;
    return false;
}

/* first gap of size bytes at or above HM_USER_MAP_BASE */
static uint64_t find_gap(struct vspace *vs, uint64_t size)
{
    uint64_t va = HM_USER_MAP_BASE;
    struct list *pos;
    for (pos = vs->maps.next; pos != &vs->maps; pos = pos->next) {
        struct vmap *m = list_entry(pos, struct vmap, link);
        if (m->va + m->size <= va)
            continue;
        if (m->va >= va + size)
            break;
        va = ALIGN_UP(m->va + m->size + PAGE_SIZE, PAGE_SIZE);   /* leave a guard page */
    }
    return va + size <= HM_USER_STACK_TOP - (1ull << 30) ? va : 0;
}

/* page i of a mapping of m from offset off */
struct map_src {
    struct memobj *m;
    uint64_t off;
};

static uint64_t map_src_page(const void *ctx, uint64_t i)
{
    const struct map_src *src = ctx;
    return memobj_page(src->m, src->off + i * PAGE_SIZE);
}

int vm_map(struct vspace *vs, struct memobj *m, uint64_t off, uint64_t size, uint64_t *vap, uint32_t perms)
{
    uint64_t va = *vap;
    if (!size || ((off | size | va) & (PAGE_SIZE - 1)) || off > m->size || size > m->size - off)
        return -HM_EINVAL;
    if ((perms & HM_MAP_W) && (perms & HM_MAP_X))
        return -HM_EINVAL;   /* W^X */
    if (m->kind == HM_MEM_DEVICE && (perms & HM_MAP_X))
        return -HM_EINVAL;
    if (vs->nmaps >= VM_MAX_MAPS)
        return -HM_ENOSPC;
    if (va == 0) {
        va = find_gap(vs, size);
        if (!va)
            return -HM_ENOMEM;
    }
    if (va < HM_USER_VA_MIN || va >= HM_USER_VA_MAX || size > HM_USER_VA_MAX - va)
        return -HM_ERANGE;
    struct list *before;
    if (overlaps(vs, va, size, &before))
        return -HM_EBUSY;
    struct vmap *r = kmalloc(sizeof *r);
    if (!r)
        return -HM_ENOMEM;
    struct map_src src = { m, off };
    int err = vs_map_pages(vs, va, size / PAGE_SIZE, map_src_page, &src, perms, m->kind == HM_MEM_DEVICE);
    if (err) {
        kfree(r);
        return err;
    }
    r->va = va;
    r->size = size;
    r->offset = off;
    r->mem = m;
    r->perms = perms;
    obj_ref(&m->o);
    list_add_tail(before, &r->link);
    vs->nmaps++;
    *vap = va;
    return 0;
}

static void unmap_record(struct vspace *vs, struct vmap *r)
{
    for (uint64_t o = 0; o < r->size; o += PAGE_SIZE)
        vs_unmap_page(vs, r->va + o);
    list_del(&r->link);
    vs->nmaps--;
    obj_unref(&r->mem->o);
    kfree(r);
}

int vm_unmap(struct vspace *vs, uint64_t va)
{
    struct list *pos;
    for (pos = vs->maps.next; pos != &vs->maps; pos = pos->next) {
        struct vmap *r = list_entry(pos, struct vmap, link);
        if (r->va == va) {
            unmap_record(vs, r);
            return 0;
        }
    }
    return -HM_EINVAL;
}

void vm_destroy(struct vspace *vs)
{
    if (!vs->l0_pa)
        return;
    while (!list_empty(&vs->maps)) {
        struct vmap *r = list_entry(vs->maps.next, struct vmap, link);
        /* the tables go wholesale below: skip per-page invalidation */
        list_del(&r->link);
        obj_unref(&r->mem->o);
        kfree(r);
    }
    vs->nmaps = 0;
    vs_destroy_tables(vs);
}

static int copy_user(struct vspace *vs, uint64_t uva, void *kbuf, size_t n, bool to_user)
{
    char *k = kbuf;
    while (n) {
        uint64_t pa;
        if (!vs_lookup(vs, uva, to_user, &pa))
            return -HM_EFAULT;
        size_t chunk = PAGE_SIZE - (uva & (PAGE_SIZE - 1));
        if (chunk > n)
            chunk = n;
        if (to_user)
            memcpy(phys_to_virt(pa), k, chunk);
        else
            memcpy(k, phys_to_virt(pa), chunk);
        uva += chunk;
        k += chunk;
        n -= chunk;
    }
    return 0;
}

int copy_from_user(struct vspace *vs, void *dst, uint64_t uva, size_t n) { return copy_user(vs, uva, dst, n, false); }
int copy_to_user(struct vspace *vs, uint64_t uva, const void *src, size_t n) { return copy_user(vs, uva, (void *)src, n, true); }
