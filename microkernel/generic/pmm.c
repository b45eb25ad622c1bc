/* Physical page allocator (see pmm.h). First fit; single pages start from a
 * hint so that the common case skips full words quickly. */
#include <kernel/pmm.h>

#define PMM_PAGE 4096u

static inline int bit_get(const struct pmm *p, size_t i) { return (p->bitmap[i / 64] >> (i % 64)) & 1; }
static inline void bit_set(struct pmm *p, size_t i) { p->bitmap[i / 64] |= 1ull << (i % 64); }
static inline void bit_clr(struct pmm *p, size_t i) { p->bitmap[i / 64] &= ~(1ull << (i % 64)); }

void pmm_init(struct pmm *p, uint64_t base, size_t npages, uint64_t *bitmap)
{
    p->base = base;
    p->npages = npages;
    p->bitmap = bitmap;
    p->nfree = 0;
    p->hint = 0;
    for (size_t i = 0; i < (npages + 63) / 64; i++)
        bitmap[i] = ~0ull;
}

/* clamp [pa, pa+n pages) to the managed range; returns page index range */
static int clamp(const struct pmm *p, uint64_t pa, size_t n, size_t *first, size_t *end)
{
    uint64_t lo = pa, hi = pa + (uint64_t)n * PMM_PAGE;
    uint64_t top = p->base + (uint64_t)p->npages * PMM_PAGE;
    if (hi <= p->base || lo >= top)
        return -1;
    if (lo < p->base)
        lo = p->base;
    if (hi > top)
        hi = top;
    *first = (lo - p->base) / PMM_PAGE;
    *end = (hi - p->base + PMM_PAGE - 1) / PMM_PAGE;
    return 0;
}

void pmm_release(struct pmm *p, uint64_t pa, size_t n)
{
    size_t i, end;
    if (clamp(p, pa, n, &i, &end))
        return;
    for (; i < end; i++) {
        if (bit_get(p, i)) {
            bit_clr(p, i);
            p->nfree++;
        }
    }
}

void pmm_reserve(struct pmm *p, uint64_t pa, size_t n)
{
    size_t i, end;
    if (clamp(p, pa, n, &i, &end))
        return;
    for (; i < end; i++) {
        if (!bit_get(p, i)) {
            bit_set(p, i);
            p->nfree--;
        }
    }
}

static uint64_t alloc_one(struct pmm *p)
{
    size_t words = (p->npages + 63) / 64;
    for (size_t k = 0; k < words; k++) {
        size_t w = (p->hint / 64 + k) % words;
        if (p->bitmap[w] == ~0ull)
            continue;
        size_t bit = (size_t)__builtin_ctzll(~p->bitmap[w]);
        size_t i = w * 64 + bit;
        if (i >= p->npages)
            continue;
        bit_set(p, i);
        p->nfree--;
        p->hint = i;
        return p->base + (uint64_t)i * PMM_PAGE;
    }
    return 0;
}

uint64_t pmm_alloc(struct pmm *p, size_t n, size_t align)
{
    if (n == 0 || n > p->nfree || align == 0 || (align & (align - 1)))
        return 0;
    if (n == 1 && align == 1)
        return alloc_one(p);
    size_t i = 0;
    while (i + n <= p->npages) {
        if (i % align) {
            i = (i + align - 1) & ~(align - 1);
            continue;
        }
        size_t j = 0;
        while (j < n && !bit_get(p, i + j))
            j++;
        if (j == n) {
            for (j = 0; j < n; j++)
                bit_set(p, i + j);
            p->nfree -= n;
            return p->base + (uint64_t)i * PMM_PAGE;
        }
        i += j + 1;
    }
    return 0;
}

int pmm_free(struct pmm *p, uint64_t pa, size_t n)
{
    if (pa < p->base || (pa - p->base) % PMM_PAGE)
        return -1;
    size_t first = (pa - p->base) / PMM_PAGE;
    if (first > p->npages || n > p->npages - first)   /* first + n could wrap */
        return -1;
    for (size_t j = 0; j < n; j++)
        if (!bit_get(p, first + j))
            return -1;
    for (size_t j = 0; j < n; j++)
        bit_clr(p, first + j);
    p->nfree += n;
    return 0;
}
