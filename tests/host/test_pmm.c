/* Host unit tests for the physical page allocator (microkernel/generic/pmm.c). */
#define TAP_MODULE "pmm"
#include "tap.h"

#include <kernel/pmm.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>

#define PG 4096ull
#define BASE 0x40000000ull
#define MAXPAGES 512
#define WORDS(n) (((n) + 63) / 64)

/* exactly sized per case (heap), so ASan catches any access past the bitmap */
static uint64_t *bm;

static uint64_t pa_of(size_t page) { return BASE + page * PG; }
static size_t page_of(uint64_t pa) { return (size_t)((pa - BASE) / PG); }
static bool in_use(const struct pmm *p, size_t i) { return (p->bitmap[i / 64] >> (i % 64)) & 1; }

static void new_bitmap(size_t npages)
{
    free(bm);
    bm = calloc(WORDS(npages) ? WORDS(npages) : 1, sizeof *bm);
}

/* allocator over npages pages, every page in use (state after pmm_init) */
static void setup_used(struct pmm *p, size_t npages)
{
    new_bitmap(npages);
    pmm_init(p, BASE, npages, bm);
}

/* allocator over npages pages, all released */
static void setup(struct pmm *p, size_t npages)
{
    setup_used(p, npages);
    pmm_release(p, BASE, npages);
}

static size_t count_used(const struct pmm *p)
{
    size_t n = 0;
    for (size_t i = 0; i < p->npages; i++)
        n += in_use(p, i);
    return n;
}

static void t_init_all_in_use(void)
{
    struct pmm p;
    new_bitmap(128);
    bm[0] = bm[1] = 0x1234;
    pmm_init(&p, BASE, 100, bm);
    CHECK_EQ(p.base, BASE);
    CHECK_EQ(p.npages, 100);
    CHECK_EQ(p.nfree, 0);
    CHECK_EQ(bm[0], ~0ull);
    CHECK_EQ(bm[1], ~0ull);
    CHECK_EQ(pmm_alloc(&p, 1, 1), 0);
    CHECK_EQ(pmm_alloc(&p, 2, 1), 0);
    CHECK_EQ(pmm_alloc(&p, 1, 4), 0);
    CHECK_EQ(p.nfree, 0);
}

static void t_release_counts_once(void)
{
    struct pmm p;
    setup_used(&p, 100);
    pmm_release(&p, pa_of(10), 20);
    CHECK_EQ(p.nfree, 20);
    CHECK(in_use(&p, 9));
    CHECK(!in_use(&p, 10));
    CHECK(!in_use(&p, 29));
    CHECK(in_use(&p, 30));
    /* releasing again, or an overlapping range, counts only newly freed pages */
    pmm_release(&p, pa_of(10), 20);
    CHECK_EQ(p.nfree, 20);
    pmm_release(&p, pa_of(25), 10);
    CHECK_EQ(p.nfree, 25);
    pmm_release(&p, pa_of(50), 0); /* empty range */
    CHECK_EQ(p.nfree, 25);
    pmm_release(&p, BASE, 100);
    CHECK_EQ(p.nfree, 100);
    CHECK_EQ(count_used(&p), 0);
}

static void t_reserve(void)
{
    struct pmm p;
    setup(&p, 100);
    pmm_reserve(&p, pa_of(5), 10);
    CHECK_EQ(p.nfree, 90);
    pmm_reserve(&p, pa_of(5), 10); /* idempotent */
    CHECK_EQ(p.nfree, 90);
    pmm_reserve(&p, pa_of(10), 10); /* overlaps: only 5 new pages */
    CHECK_EQ(p.nfree, 85);
    CHECK_EQ(count_used(&p), 15);
    CHECK(in_use(&p, 5) && in_use(&p, 19) && !in_use(&p, 4) && !in_use(&p, 20));
    /* every page handed out avoids the reserved [5, 20) */
    for (int k = 0; k < 85; k++) {
        uint64_t pa = pmm_alloc(&p, 1, 1);
        CHECK(pa != 0);
        size_t pg = page_of(pa);
        CHECK(pg < 5 || pg >= 20);
    }
    CHECK_EQ(pmm_alloc(&p, 1, 1), 0);
    CHECK_EQ(p.nfree, 0);
    CHECK_EQ(count_used(&p), 100);
}

static void t_outside_ranges_ignored(void)
{
    struct pmm p;
    uint64_t top = pa_of(100);
    setup_used(&p, 100);
    /* entirely below, ending exactly at base, starting exactly at top, far above */
    pmm_release(&p, BASE - 10 * PG, 10);
    pmm_release(&p, top, 10);
    pmm_release(&p, top + 0x100000000ull, 1000);
    pmm_release(&p, 0, 1);
    CHECK_EQ(p.nfree, 0);
    CHECK_EQ(count_used(&p), 100);
    /* straddling either edge: only the managed part is touched */
    pmm_release(&p, BASE - 2 * PG, 4);
    CHECK_EQ(p.nfree, 2);
    CHECK(!in_use(&p, 0) && !in_use(&p, 1) && in_use(&p, 2));
    pmm_release(&p, top - PG, 5);
    CHECK_EQ(p.nfree, 3);
    CHECK(!in_use(&p, 99) && in_use(&p, 98));
    /* a range covering everything and more */
    pmm_release(&p, BASE - 50 * PG, 200);
    CHECK_EQ(p.nfree, 100);
    /* same for reserve */
    pmm_reserve(&p, BASE - 10 * PG, 10);
    pmm_reserve(&p, top, 10);
    CHECK_EQ(p.nfree, 100);
    pmm_reserve(&p, BASE - 3 * PG, 4);
    CHECK_EQ(p.nfree, 99);
    CHECK(in_use(&p, 0) && !in_use(&p, 1));
    pmm_reserve(&p, top - 2 * PG, 100);
    CHECK_EQ(p.nfree, 97);
    CHECK(in_use(&p, 98) && in_use(&p, 99) && !in_use(&p, 97));
}

static void t_single_pages_until_exhausted(void)
{
    enum { N = 130 }; /* not a multiple of 64: the last word is partial */
    struct pmm p;
    bool seen[N] = {0};
    setup(&p, N);
    CHECK_EQ(p.nfree, N);
    for (size_t k = 0; k < N; k++) {
        uint64_t pa = pmm_alloc(&p, 1, 1);
        CHECK(pa >= BASE && pa < pa_of(N));
        CHECK_EQ((pa - BASE) % PG, 0);
        CHECK(!seen[page_of(pa)]);
        seen[page_of(pa)] = true;
        CHECK_EQ(p.nfree, N - 1 - k);
    }
    CHECK_EQ(pmm_alloc(&p, 1, 1), 0);
    CHECK_EQ(p.nfree, 0);
    CHECK_EQ(count_used(&p), N);
}

static void t_alignment(void)
{
    struct pmm p;
    setup(&p, 256);
    CHECK_EQ(pmm_alloc(&p, 1, 1), pa_of(0));
    CHECK_EQ(pmm_alloc(&p, 1, 16), pa_of(16));
    CHECK_EQ(pmm_alloc(&p, 4, 64), pa_of(64));
    CHECK_EQ(pmm_alloc(&p, 2, 2), pa_of(2));
    CHECK_EQ(pmm_alloc(&p, 3, 8), pa_of(8));
    CHECK_EQ(pmm_alloc(&p, 64, 64), pa_of(128));
    CHECK_EQ(p.nfree, 256 - 1 - 1 - 4 - 2 - 3 - 64);
    /* the only 128-aligned page numbers are 0 and 128, both taken */
    CHECK_EQ(pmm_alloc(&p, 1, 128), 0);
    CHECK_EQ(pmm_alloc(&p, 1, 256), 0);
    /* invalid arguments fail without side effects */
    size_t before = p.nfree;
    CHECK_EQ(pmm_alloc(&p, 1, 3), 0);  /* not a power of two */
    CHECK_EQ(pmm_alloc(&p, 2, 6), 0);
    CHECK_EQ(pmm_alloc(&p, 1, 0), 0);
    CHECK_EQ(pmm_alloc(&p, 0, 1), 0);
    CHECK_EQ(p.nfree, before);
    CHECK_EQ(count_used(&p), 256 - before);
}

static void t_contiguous_runs(void)
{
    struct pmm p;
    setup(&p, 64);
    /* holes: [0,2) [3,5) [6,9) [10,64) */
    pmm_reserve(&p, pa_of(2), 1);
    pmm_reserve(&p, pa_of(5), 1);
    pmm_reserve(&p, pa_of(9), 1);
    CHECK_EQ(p.nfree, 61);
    CHECK_EQ(pmm_alloc(&p, 3, 1), pa_of(6));  /* first run long enough */
    CHECK(in_use(&p, 6) && in_use(&p, 7) && in_use(&p, 8));
    CHECK_EQ(pmm_alloc(&p, 3, 1), pa_of(10));
    CHECK_EQ(pmm_alloc(&p, 2, 1), pa_of(0));
    CHECK_EQ(pmm_alloc(&p, 2, 1), pa_of(3));
    CHECK_EQ(pmm_alloc(&p, 51, 1), pa_of(13)); /* exactly the rest */
    CHECK_EQ(p.nfree, 0);
    CHECK_EQ(count_used(&p), 64);
}

static void t_fragmented_no_run(void)
{
    struct pmm p;
    setup(&p, 64);
    /* every other page in use: 32 free pages, no two adjacent */
    for (size_t i = 0; i < 64; i += 2)
        pmm_reserve(&p, pa_of(i), 1);
    CHECK_EQ(p.nfree, 32);
    CHECK_EQ(pmm_alloc(&p, 2, 1), 0);
    CHECK_EQ(pmm_alloc(&p, 32, 1), 0);
    CHECK_EQ(pmm_alloc(&p, 1, 2), 0); /* free pages are all odd */
    CHECK_EQ(pmm_alloc(&p, 33, 1), 0); /* more than nfree */
    CHECK_EQ(p.nfree, 32);
    CHECK_EQ(count_used(&p), 32);
    CHECK_EQ(pmm_alloc(&p, 1, 1), pa_of(1));
    /* a run must not spill past the last page into the bitmap's tail bits */
    setup(&p, 70);
    pmm_reserve(&p, BASE, 64);
    CHECK_EQ(p.nfree, 6);
    CHECK_EQ(pmm_alloc(&p, 7, 1), 0);
    CHECK_EQ(pmm_alloc(&p, 6, 1), pa_of(64));
    CHECK_EQ(pmm_alloc(&p, 1, 1), 0);
    CHECK_EQ(p.nfree, 0);
}

static void t_free_and_double_free(void)
{
    struct pmm p;
    setup(&p, 64);
    uint64_t a = pmm_alloc(&p, 4, 1);
    uint64_t b = pmm_alloc(&p, 4, 1);
    CHECK_EQ(a, pa_of(0));
    CHECK_EQ(b, pa_of(4));
    CHECK_EQ(p.nfree, 56);
    CHECK_EQ(pmm_free(&p, a, 4), 0);
    CHECK_EQ(p.nfree, 60);
    CHECK(!in_use(&p, 0) && !in_use(&p, 3) && in_use(&p, 4));
    CHECK_EQ(pmm_free(&p, a, 4), -1);       /* double free */
    CHECK_EQ(pmm_free(&p, a + PG, 1), -1);  /* part of it */
    CHECK_EQ(p.nfree, 60);
    /* a range half allocated, half free is rejected as a whole */
    CHECK_EQ(pmm_free(&p, pa_of(2), 4), -1);
    CHECK_EQ(p.nfree, 60);
    CHECK(in_use(&p, 4) && in_use(&p, 5));
    /* never-allocated page */
    CHECK_EQ(pmm_free(&p, pa_of(40), 1), -1);
    CHECK_EQ(p.nfree, 60);
    /* freeing b piecewise works */
    CHECK_EQ(pmm_free(&p, b + 2 * PG, 2), 0);
    CHECK_EQ(pmm_free(&p, b, 2), 0);
    CHECK_EQ(p.nfree, 64);
    CHECK_EQ(count_used(&p), 0);
    /* n == 0 frees nothing */
    CHECK_EQ(pmm_free(&p, pa_of(10), 0), 0);
    CHECK_EQ(p.nfree, 64);
}

static void t_free_bad_ranges(void)
{
    struct pmm p;
    setup_used(&p, 100); /* everything allocated: only range checks can say no */
    CHECK_EQ(pmm_free(&p, BASE + 100, 1), -1);        /* not page aligned */
    CHECK_EQ(pmm_free(&p, BASE - PG, 1), -1);         /* below base */
    CHECK_EQ(pmm_free(&p, BASE - PG, 2), -1);         /* straddles base */
    CHECK_EQ(pmm_free(&p, 0, 1), -1);
    CHECK_EQ(pmm_free(&p, pa_of(99), 2), -1);         /* past the end */
    CHECK_EQ(pmm_free(&p, pa_of(100), 1), -1);        /* at the end */
    CHECK_EQ(pmm_free(&p, pa_of(1000), 1), -1);       /* far past the end */
    /* page count so large that first + n wraps around */
    CHECK_EQ(pmm_free(&p, pa_of(1), SIZE_MAX), -1);
    CHECK_EQ(pmm_free(&p, pa_of(50), SIZE_MAX - 10), -1);
    CHECK_EQ(pmm_free(&p, pa_of(1000), SIZE_MAX - 500), -1);
    CHECK_EQ(p.nfree, 0);
    CHECK_EQ(count_used(&p), 100);
    CHECK_EQ(pmm_free(&p, pa_of(99), 1), 0);          /* the last page is fine */
    CHECK_EQ(p.nfree, 1);
}

static void t_freed_pages_reused(void)
{
    struct pmm p;
    setup(&p, 200);
    for (int k = 0; k < 200; k++)
        CHECK(pmm_alloc(&p, 1, 1) != 0);
    CHECK_EQ(pmm_alloc(&p, 1, 1), 0);
    /* the search hint is now at the end: a freed page before it is still found */
    CHECK_EQ(pmm_free(&p, pa_of(3), 1), 0);
    CHECK_EQ(pmm_alloc(&p, 1, 1), pa_of(3));
    CHECK_EQ(pmm_free(&p, pa_of(150), 1), 0);
    CHECK_EQ(pmm_free(&p, pa_of(70), 1), 0);
    uint64_t x = pmm_alloc(&p, 1, 1), y = pmm_alloc(&p, 1, 1);
    CHECK((x == pa_of(150) && y == pa_of(70)) || (x == pa_of(70) && y == pa_of(150)));
    CHECK_EQ(pmm_alloc(&p, 1, 1), 0);
    /* contiguous runs are found again after being freed */
    CHECK_EQ(pmm_free(&p, pa_of(64), 8), 0);
    CHECK_EQ(pmm_alloc(&p, 8, 8), pa_of(64));
    CHECK_EQ(p.nfree, 0);
}

/* random operations against a reference model of which pages are in use */
static uint64_t rng_state = 0x243f6a8885a308d3ull;
static uint32_t rnd(uint32_t n)
{
    rng_state = rng_state * 6364136223846793005ull + 1442695040888963407ull;
    return (uint32_t)(rng_state >> 33) % n;
}

static bool model_run_free(const bool *m, size_t npages, size_t n, size_t align)
{
    for (size_t i = 0; i + n <= npages; i += align) {
        size_t j = 0;
        while (j < n && !m[i + j])
            j++;
        if (j == n)
            return true;
    }
    return false;
}

static void t_random_against_model(void)
{
    enum { N = 300 };
    struct pmm p;
    bool m[N];
    struct { size_t first, n; } blocks[N];
    size_t nblocks = 0;
    setup_used(&p, N);
    for (size_t i = 0; i < N; i++)
        m[i] = true;
    pmm_release(&p, pa_of(10), N - 20);
    for (size_t i = 10; i < N - 10; i++)
        m[i] = false;

    for (int step = 0; step < 20000; step++) {
        int op = (int)rnd(10);
        if (op < 5) {
            size_t n = 1 + rnd(6), align = (size_t)1 << rnd(4);
            if (rnd(3) == 0)
                n = align = 1;
            uint64_t pa = pmm_alloc(&p, n, align);
            if (pa == 0) {
                CHECK(!model_run_free(m, N, n, align));
                continue;
            }
            size_t first = page_of(pa);
            CHECK_EQ((pa - BASE) % PG, 0);
            CHECK(first + n <= N);
            CHECK_EQ(first % align, 0);
            for (size_t j = 0; j < n; j++) {
                CHECK(!m[first + j]);
                m[first + j] = true;
            }
            if (nblocks < N) {
                blocks[nblocks].first = first;
                blocks[nblocks].n = n;
                nblocks++;
            }
        } else if (op < 9 && nblocks) {
            size_t k = rnd((uint32_t)nblocks);
            size_t first = blocks[k].first, n = blocks[k].n;
            CHECK_EQ(pmm_free(&p, pa_of(first), n), 0);
            for (size_t j = 0; j < n; j++)
                m[first + j] = false;
            blocks[k] = blocks[--nblocks];
            if (rnd(4) == 0)
                CHECK_EQ(pmm_free(&p, pa_of(first), n), -1);
        } else if (op == 9) {
            /* reserve then release a range of free pages */
            size_t first = rnd(N), n = 1 + rnd(4);
            bool all_free = first + n <= N;
            for (size_t j = 0; all_free && j < n; j++)
                all_free = !m[first + j];
            if (all_free) {
                pmm_reserve(&p, pa_of(first), n);
                CHECK_EQ(p.nfree, N - count_used(&p));
                pmm_release(&p, pa_of(first), n);
            }
        }
        size_t used = 0;
        for (size_t i = 0; i < N; i++) {
            CHECK_EQ(in_use(&p, i), m[i]);
            used += m[i];
        }
        CHECK_EQ(p.nfree, N - used);
    }
}

int main(void)
{
    TAP_RUN("init marks every page in use", t_init_all_in_use);
    TAP_RUN("release frees pages and counts each once", t_release_counts_once);
    TAP_RUN("reserve marks pages in use and alloc avoids them", t_reserve);
    TAP_RUN("ranges outside the managed area are ignored", t_outside_ranges_ignored);
    TAP_RUN("single pages are distinct until exhausted", t_single_pages_until_exhausted);
    TAP_RUN("alloc honours alignment and rejects bad arguments", t_alignment);
    TAP_RUN("contiguous runs are first fit", t_contiguous_runs);
    TAP_RUN("no run in a fragmented or tail-limited bitmap", t_fragmented_no_run);
    TAP_RUN("free returns pages and detects double free", t_free_and_double_free);
    TAP_RUN("free rejects unaligned and out-of-range addresses", t_free_bad_ranges);
    TAP_RUN("freed pages are handed out again", t_freed_pages_reused);
    TAP_RUN("random operations match a reference model", t_random_against_model);
    free(bm);
    return tap_done();
}
