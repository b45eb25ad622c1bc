/* Memory objects: anonymous pages, physically contiguous (DMA) runs, and
 * device MMIO ranges. Pages are allocated and zeroed at creation. */
#include <kernel/object.h>

#define MEM_MAX_SIZE (256ull << 20)

struct memobj *memobj_create(uint32_t kind, uint64_t size, uint64_t phys, int *err)
{
    if (size == 0 || (size & (PAGE_SIZE - 1)) || size > (kind == HM_MEM_DEVICE ? (1ull << 40) : MEM_MAX_SIZE)) {
        *err = -HM_EINVAL;
        return NULL;
    }
    struct memobj *m = kmalloc(sizeof *m);
    if (!m) {
        *err = -HM_ENOMEM;
        return NULL;
    }
    obj_init(&m->o, HM_OBJ_MEM);
    m->kind = kind;
    m->size = size;
    uint64_t n = size / PAGE_SIZE;
    switch (kind) {
    case HM_MEM_ANON:
        m->pages = kmalloc(n * sizeof(uint64_t));
        if (!m->pages)
            goto nomem;
        for (uint64_t i = 0; i < n; i++) {
            m->pages[i] = page_alloc(1, 1);
            if (!m->pages[i]) {
                while (i--)
                    page_free(m->pages[i], 1);
                kfree(m->pages);
                goto nomem;
            }
        }
        break;
    case HM_MEM_CONTIG:
        if (phys) {               /* kernel-internal: wrap memory it already owns */
            m->phys = phys;
            m->borrowed = true;
            break;
        }
        m->phys = page_alloc(n, 1);
        if (!m->phys)
            goto nomem;
        break;
    case HM_MEM_DEVICE:
        m->phys = phys;
        break;
    default:
        kfree(m);
        *err = -HM_EINVAL;
        return NULL;
    }
    return m;
nomem:
    kfree(m);
    *err = -HM_ENOMEM;
    return NULL;
}

uint64_t memobj_page(struct memobj *m, uint64_t off)
{
    if (m->kind == HM_MEM_ANON)
        return m->pages[off / PAGE_SIZE];
    return m->phys + ALIGN_DOWN(off, PAGE_SIZE);
}
