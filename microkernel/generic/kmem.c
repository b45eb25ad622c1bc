/*
 * Kernel memory: the physical page allocator over RAM and a small heap of
 * power-of-two size classes (32 B .. 2 KiB) carved from pages; larger blocks
 * come straight from the page allocator. Everything handed out is zeroed.
 */
#include <kernel/kernel.h>
#include <kernel/pmm.h>

#define MAX_RAM_PAGES (4ull << 30 >> PAGE_SHIFT)    /* bitmap sized for 4 GiB */
static uint64_t pmm_bitmap[MAX_RAM_PAGES / 64];
static struct pmm pmm;

#define NCLASSES 7   /* 32, 64, ..., 2048 */
struct free_blk { struct free_blk *next; };
static struct free_blk *free_lists[NCLASSES];

/* every allocation is preceded by this header (16 bytes keeps alignment) */
struct kmhdr { uint64_t size; uint64_t magic; };
#define KM_MAGIC 0x6b6d616c6c6f6321ull

void kmem_init(uint64_t ram_base, uint64_t ram_size)
{
    uint64_t npages = ram_size >> PAGE_SHIFT;
    if (npages > MAX_RAM_PAGES)
        npages = MAX_RAM_PAGES;
    pmm_init(&pmm, ram_base, npages, pmm_bitmap);
    pmm_release(&pmm, ram_base, npages);
}

void kmem_reserve(uint64_t pa, uint64_t size)
{
    pmm_reserve(&pmm, ALIGN_DOWN(pa, PAGE_SIZE), (ALIGN_UP(pa + size, PAGE_SIZE) - ALIGN_DOWN(pa, PAGE_SIZE)) >> PAGE_SHIFT);
}

bool ram_contains(uint64_t pa, uint64_t size)
{
    uint64_t top = pmm.base + ((uint64_t)pmm.npages << PAGE_SHIFT);
    return pa < top && pmm.base < pa + size;
}

uint64_t page_alloc(size_t n, size_t align)
{
    uint64_t pa = pmm_alloc(&pmm, n, align);
    if (pa)
        arch_zero_pages(phys_to_virt(pa), n << PAGE_SHIFT);
    return pa;
}

void page_free(uint64_t pa, size_t n)
{
    if (pmm_free(&pmm, pa, n))
        panic("page_free: %lx (%lu pages) was not allocated", pa, (uint64_t)n);
}

size_t page_free_count(void) { return pmm.nfree; }

static int size_class(size_t total)
{
    for (int c = 0; c < NCLASSES; c++)
        if (total <= (32u << c))
            return c;
    return -1;
}

void *kmalloc(size_t size)
{
    size_t total = size + sizeof(struct kmhdr);
    int c = size_class(total);
    struct kmhdr *h;
    if (c < 0) {
        size_t n = ALIGN_UP(total, PAGE_SIZE) >> PAGE_SHIFT;
        uint64_t pa = page_alloc(n, 1);
        if (!pa)
            return NULL;
        h = phys_to_virt(pa);
    } else {
        if (!free_lists[c]) {
            uint64_t pa = page_alloc(1, 1);
            if (!pa)
                return NULL;
            char *pg = phys_to_virt(pa);
            for (size_t off = 0; off + (32u << c) <= PAGE_SIZE; off += 32u << c) {
                struct free_blk *b = (struct free_blk *)(pg + off);
                b->next = free_lists[c];
                free_lists[c] = b;
            }
        }
        h = (struct kmhdr *)free_lists[c];
        free_lists[c] = free_lists[c]->next;
        memset(h, 0, 32u << c);
    }
    h->size = size;
    h->magic = KM_MAGIC;
    return h + 1;
}

void kfree(void *p)
{
    if (!p)
        return;
    struct kmhdr *h = (struct kmhdr *)p - 1;
    if (h->magic != KM_MAGIC)
        panic("kfree: bad pointer %p", p);
    h->magic = 0;
    size_t total = h->size + sizeof *h;
    int c = size_class(total);
    if (c < 0) {
        page_free(virt_to_phys(h), ALIGN_UP(total, PAGE_SIZE) >> PAGE_SHIFT);
        return;
    }
    struct free_blk *b = (struct free_blk *)h;
    b->next = free_lists[c];
    free_lists[c] = b;
}

void *kmalloc_sized(size_t size) { return kmalloc(size); }
void kfree_sized(void *p, size_t size) { (void)size; kfree(p); }
