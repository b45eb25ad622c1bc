/* Memory objects: anonymous pages, physically contiguous (DMA) runs, and
 * device MMIO ranges. Pages are allocated and zeroed at creation, and
 * charged to the creator's quota first (memory; contiguous runs are DMA
 * memory too): over it, nothing is allocated. */
#include <kernel/object.h>

#define MEM_MAX_SIZE (256ull << 20)

static int charge(struct quota *q, uint32_t kind, uint64_t size)
{
    int err = quota_charge(q, HM_QUOTA_MEM, size);
    if (!err && kind == HM_MEM_CONTIG && (err = quota_charge(q, HM_QUOTA_DMA, size)))
        quota_uncharge(q, HM_QUOTA_MEM, size);
    return err;
}

static void uncharge(struct quota *q, uint32_t kind, uint64_t size)
{
    if (kind == HM_MEM_CONTIG)
        quota_uncharge(q, HM_QUOTA_DMA, size);
    quota_uncharge(q, HM_QUOTA_MEM, size);
}

struct memobj *memobj_create(uint32_t kind, uint64_t size, uint64_t phys, struct quota *q, int *err)
{
    if (size == 0 || (size & (PAGE_SIZE - 1)) || size > (kind == HM_MEM_DEVICE ? (1ull << 40) : MEM_MAX_SIZE)) {
        *err = -HM_EINVAL;
        return NULL;
    }
    /* device ranges and memory the kernel lends are nobody's RAM */
    if (kind == HM_MEM_DEVICE || phys)
        q = NULL;
    if (q && (*err = charge(q, kind, size)))
        return NULL;
    struct memobj *m = kmalloc(sizeof *m);
    if (!m) {
        if (q)
            uncharge(q, kind, size);
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
        if (q)
            uncharge(q, kind, size);
        *err = -HM_EINVAL;
        return NULL;
    }
    if (q) {
        m->quota = q;
        quota_ref(q);
    }
    return m;
nomem:
    kfree(m);
    if (q)
        uncharge(q, kind, size);
    *err = -HM_ENOMEM;
    return NULL;
}

uint64_t memobj_page(struct memobj *m, uint64_t off)
{
    if (m->kind == HM_MEM_ANON)
        return m->pages[off / PAGE_SIZE];
    return m->phys + ALIGN_DOWN(off, PAGE_SIZE);
}
