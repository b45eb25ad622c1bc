/* Address spaces: the kernel's upper half and one TTBR0 space per process. */
#ifndef KERNEL_VM_H
#define KERNEL_VM_H
#include <kernel/kernel.h>
#include <kernel/list.h>

struct memobj;
struct quota;

struct vspace {
    uint64_t l0_pa;       /* level-0 table */
    uint64_t ttbr;        /* TTBR0_EL1 value: table | ASID << 48 */
    uint16_t asid;
    struct list maps;     /* struct vmap, sorted by va */
    uint64_t nmaps;
    struct quota *quota;  /* charged for its table pages (NULL: the kernel's) */
    uint64_t ntables;     /* table pages charged */
};

struct vmap {
    struct list link;
    uint64_t va, size, offset;
    struct memobj *mem;
    uint32_t perms;       /* HM_MAP_R/W/X */
};

#define VM_MAX_MAPS 1024

/* generic/quota.c: a table page for vs, charged to its quota (0 when none is left) */
uint64_t vs_table_alloc(struct vspace *vs);
void vs_tables_freed(struct vspace *vs);

/* arch/aarch64/mmu.c: page-table level */
int vs_init(struct vspace *vs);                     /* 0 or -HM_ENOMEM / -HM_ENOSPC */
void vs_destroy_tables(struct vspace *vs);         /* frees tables and ASID */
/* n pages from va, page i at pa_of(ctx, i); 0, or -HM_ENOMEM with none mapped */
int vs_map_pages(struct vspace *vs, uint64_t va, uint64_t n, uint64_t (*pa_of)(const void *ctx, uint64_t i),
                 const void *ctx, uint32_t perms, bool device);
void vs_unmap_page(struct vspace *vs, uint64_t va);
/* physical address of user va if mapped with at least the given access */
bool vs_lookup(struct vspace *vs, uint64_t va, bool write, uint64_t *pa);
void vs_activate(struct vspace *vs);                /* NULL = no user space (empty table) */
/* TTBR0 is written only when it changes (a thread of the same process, or
 * the idle thread in between, keeps it): the write costs an isb here, and
 * under QEMU's TCG a change of ASID flushes its whole software TLB. Inline
 * for the IPC fast paths (fastpath.c). */
static inline bool vs_set_ttbr_nosync(uint64_t v)   /* true: written */
{
    if (v == kcpu.active_ttbr)
        return false;
    kcpu.active_ttbr = v;
    kcpu.stats.as_switches++;
    __asm__ volatile("msr ttbr0_el1, %0" :: "r"(v) : "memory");
    return true;
}
/* with the isb: the kernel may touch the new user space at once */
static inline void vs_set_ttbr(uint64_t v)
{
    if (vs_set_ttbr_nosync(v))
        __asm__ volatile("isb" ::: "memory");
}

/* generic/vm.c: mapping records over memory objects */
int vm_map(struct vspace *vs, struct memobj *m, uint64_t off, uint64_t size, uint64_t *va, uint32_t perms);
int vm_unmap(struct vspace *vs, uint64_t va);
void vm_destroy(struct vspace *vs);
/* copy between kernel and a user address space; return 0 or -HM_EFAULT */
int copy_from_user(struct vspace *vs, void *dst, uint64_t uva, size_t n);
int copy_to_user(struct vspace *vs, uint64_t uva, const void *src, size_t n);
#endif
