/*
 * Stage-2 translation tables for the SMMU (smmu_domain.c builds one per PCI
 * function): 4 KiB granule, a 39-bit input address starting at level 1
 * (one table page), identity maps in 2 MiB blocks where whole ones fit,
 * else 4 KiB pages. Pages come from one contiguous pool devmgr allocates
 * at start (the SMMU walks them by physical address). Under smmu_lock.
 */
#include "devmgr.h"
#include "smmu.h"
#include <errno.h>

#define POOL_PAGES 512   /* 2 MiB of table pages for every function */
#define DESC_ADDR  0x0000fffffffff000ull

static uint8_t *pool_va;
static uint64_t pool_pa, pool_used[POOL_PAGES / 64];

int smmu_pt_pool_init(void)
{
    long h = hm_mem_create(POOL_PAGES * 4096ull, HM_MEM_CONTIG);
    struct hm_mem_info mi;
    long va = h < 0 || hm_mem_info((hm_handle_t)h, &mi) < 0
                  ? -ENOMEM
                  : hm_vm_map(HM_HANDLE_SELF_PROC, (hm_handle_t)h, 0, POOL_PAGES * 4096ull, 0, HM_MAP_R | HM_MAP_W);
    if (va < 0)
        return -ENOMEM;
    pool_va = (uint8_t *)va;
    pool_pa = mi.phys;
    return 0;
}

static uint64_t *page_va(uint64_t pa) { return (uint64_t *)(pool_va + (pa - pool_pa)); }

void smmu_pt_free(const uint16_t *pages, int n)
{
    for (int i = 0; i < n; i++)
        pool_used[pages[i] / 64] &= ~(1ull << (pages[i] % 64));
}

static uint64_t page_new(struct smmu_pt *b)
{
    if (b->n == SMMU_PT_MAX_PAGES) {
        b->err = -ENOSPC;
        return 0;
    }
    for (int i = 0; i < POOL_PAGES; i++)
        if (!(pool_used[i / 64] >> (i % 64) & 1)) {
            pool_used[i / 64] |= 1ull << (i % 64);
            b->pages[b->n++] = (uint16_t)i;
            uint64_t pa = pool_pa + (uint64_t)i * 4096;
            memset(page_va(pa), 0, 4096);
            return pa;
        }
    b->err = -ENOMEM;
    return 0;
}

/* the table *entry points to, made if it is empty; NULL if the entry is a
 * block (that range is mapped already) or no page was left (b->err) */
static uint64_t *next_table(struct smmu_pt *b, uint64_t *entry)
{
    if ((*entry & 3) == 3)
        return page_va(*entry & DESC_ADDR);
    if (*entry & 1)
        return NULL;
    uint64_t pa = page_new(b);
    if (!pa)
        return NULL;
    *entry = pa | 3;
    return page_va(pa);
}

/* identity-map [pa, pa + size): 2 MiB blocks where whole ones fit, else pages */
void smmu_pt_map(struct smmu_pt *b, uint64_t pa, uint64_t size, uint64_t attr)
{
    uint64_t *l1 = page_va(b->l1);
    for (uint64_t a = pa, end = pa + size; a < end && !b->err;) {
        uint64_t *l2 = next_table(b, &l1[a >> 30 & 511]);
        if (!l2) {
            a = (a | ((1ull << 30) - 1)) + 1;
            continue;
        }
        uint64_t *e2 = &l2[a >> 21 & 511];
        if (!(a & 0x1fffff) && end - a >= 0x200000 && !*e2) {
            *e2 = a | attr | 1;
            a += 0x200000;
            continue;
        }
        uint64_t *l3 = next_table(b, e2);
        if (l3)
            l3[a >> 12 & 511] = a | attr | 3;
        a = l3 ? a + 4096 : (a | 0x1fffff) + 1;
    }
}

void smmu_pt_begin(struct smmu_pt *b)
{
    b->n = b->err = 0;
    b->l1 = page_new(b);
}
