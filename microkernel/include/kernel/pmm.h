/*
 * Physical page allocator: one bit per 4 KiB page over the RAM range the
 * device tree reports. Pure logic (no hardware access) so the host unit
 * tests exercise it directly. Contiguous runs serve DMA memory objects.
 */
#ifndef KERNEL_PMM_H
#define KERNEL_PMM_H
#include <stdint.h>
#include <stddef.h>

struct pmm {
    uint64_t base;        /* physical address of page 0 */
    size_t npages;
    uint64_t *bitmap;     /* bit set = page in use */
    size_t nfree;
    size_t hint;          /* where single-page searches start */
};

/* bitmap must hold (npages + 63) / 64 words; every page starts in use */
void pmm_init(struct pmm *p, uint64_t base, size_t npages, uint64_t *bitmap);
/* mark [pa, pa + n pages) free / in use; pages outside the range are ignored */
void pmm_release(struct pmm *p, uint64_t pa, size_t n);
void pmm_reserve(struct pmm *p, uint64_t pa, size_t n);
/* allocate n contiguous pages whose first page number is a multiple of
 * align (a power of two, in pages); returns 0 when none */
uint64_t pmm_alloc(struct pmm *p, size_t n, size_t align);
/* returns -1 if the range was not fully allocated (double free), else 0 */
int pmm_free(struct pmm *p, uint64_t pa, size_t n);
#endif
