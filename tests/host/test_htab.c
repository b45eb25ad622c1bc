/* Host unit tests for the handle table (microkernel/generic/htab.c). */
#define TAP_MODULE "htab"
#include "tap.h"

#include <kernel/htab.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>

/* allocator callbacks that count calls and bytes and can be made to fail */
static long n_alloc, n_free, live_bytes;
static long fail_after = -1; /* fail the allocation after this many more succeed; -1 = never */
static size_t last_alloc_size, last_free_size;

static void *t_alloc(size_t size)
{
    if (fail_after == 0)
        return NULL;
    if (fail_after > 0)
        fail_after--;
    void *p = malloc(size);
    /* garbage, so a table that forgets to clear its slots is noticed */
    if (p)
        memset(p, 0xa5, size);
    n_alloc++;
    live_bytes += (long)size;
    last_alloc_size = size;
    return p;
}

static void t_free(void *p, size_t size)
{
    n_free++;
    live_bytes -= (long)size;
    last_free_size = size;
    free(p);
}

static void reset_alloc(void)
{
    n_alloc = n_free = live_bytes = 0;
    fail_after = -1;
    last_alloc_size = last_free_size = 0;
}

/* distinct non-NULL objects */
static char objs[HTAB_MAX_SLOTS + 8];
#define OBJ(i) ((void *)&objs[i])

#define IDX(h) ((uint32_t)(h) & 0xffffu)
#define GEN(h) (((uint32_t)(h) >> 16) & 0x7fffu)

static void t_init_destroy(void)
{
    struct htab t;
    reset_alloc();
    CHECK_EQ(htab_init(&t, t_alloc, t_free), 0);
    CHECK_EQ(t.cap, HTAB_MIN_SLOTS);
    CHECK_EQ(t.used, 0);
    CHECK_EQ(n_alloc, 1);
    CHECK_EQ(last_alloc_size, sizeof(struct hslot) * HTAB_MIN_SLOTS);
    for (uint32_t i = 0; i < t.cap; i++) {
        CHECK_PTR_EQ(t.slots[i].obj, NULL);
        CHECK_EQ(t.slots[i].gen, 0);
    }
    htab_destroy(&t);
    CHECK_EQ(n_free, 1);
    CHECK_EQ(live_bytes, 0);
    CHECK_EQ(last_free_size, sizeof(struct hslot) * HTAB_MIN_SLOTS);
    CHECK_PTR_EQ(t.slots, NULL);
    CHECK_EQ(t.cap, 0);
    htab_destroy(&t); /* a second destroy frees nothing */
    CHECK_EQ(n_free, 1);
}

static void t_init_alloc_failure(void)
{
    struct htab t;
    reset_alloc();
    fail_after = 0;
    CHECK_EQ(htab_init(&t, t_alloc, t_free), -1);
    CHECK_PTR_EQ(t.slots, NULL);
    CHECK_EQ(n_alloc, 0);
    htab_destroy(&t); /* safe on a failed init */
    CHECK_EQ(n_free, 0);
}

static void t_insert_lookup(void)
{
    struct htab t;
    reset_alloc();
    CHECK_EQ(htab_init(&t, t_alloc, t_free), 0);
    int32_t a = htab_insert(&t, OBJ(1), 7, 0x15, 0xdeadbeefcafef00dull);
    int32_t b = htab_insert(&t, OBJ(2), 9, 0x3, 42);
    CHECK(a >= 0);
    CHECK(b >= 0);
    CHECK(a != b);
    CHECK_EQ(t.used, 2);
    struct hslot *s = htab_lookup(&t, a);
    CHECK(s != NULL);
    CHECK_PTR_EQ(s->obj, OBJ(1));
    CHECK_EQ(s->type, 7);
    CHECK_EQ(s->rights, 0x15);
    CHECK_EQ(s->badge, 0xdeadbeefcafef00dull);
    s = htab_lookup(&t, b);
    CHECK(s != NULL);
    CHECK_PTR_EQ(s->obj, OBJ(2));
    CHECK_EQ(s->type, 9);
    CHECK_EQ(s->rights, 0x3);
    CHECK_EQ(s->badge, 42);
    /* the lookup result is the slot itself: updates stick */
    s->rights = 0x1;
    CHECK_EQ(htab_lookup(&t, b)->rights, 0x1);
    /* the same object may be inserted twice, under different handles */
    int32_t c = htab_insert(&t, OBJ(1), 7, 0, 0);
    CHECK(c >= 0 && c != a && c != b);
    CHECK_PTR_EQ(htab_lookup(&t, c)->obj, OBJ(1));
    htab_destroy(&t);
    CHECK_EQ(live_bytes, 0);
}

static void t_insert_null_rejected(void)
{
    struct htab t;
    reset_alloc();
    CHECK_EQ(htab_init(&t, t_alloc, t_free), 0);
    CHECK_EQ(htab_insert(&t, NULL, 1, 1, 1), -1);
    CHECK_EQ(t.used, 0);
    htab_destroy(&t);
}

static void t_remove(void)
{
    struct htab t;
    struct hslot out;
    reset_alloc();
    CHECK_EQ(htab_init(&t, t_alloc, t_free), 0);
    int32_t a = htab_insert(&t, OBJ(1), 3, 0x7, 99);
    int32_t b = htab_insert(&t, OBJ(2), 4, 0x1, 5);
    memset(&out, 0, sizeof out);
    CHECK_PTR_EQ(htab_remove(&t, a, &out), OBJ(1));
    CHECK_PTR_EQ(out.obj, OBJ(1));
    CHECK_EQ(out.type, 3);
    CHECK_EQ(out.rights, 0x7);
    CHECK_EQ(out.badge, 99);
    CHECK_EQ(t.used, 1);
    CHECK_PTR_EQ(htab_lookup(&t, a), NULL);
    /* removing again fails and leaves `out` and the count alone */
    memset(&out, 0x5a, sizeof out);
    CHECK_PTR_EQ(htab_remove(&t, a, &out), NULL);
    CHECK_EQ(out.badge, 0x5a5a5a5a5a5a5a5aull);
    CHECK_EQ(t.used, 1);
    /* out may be NULL; the other handle is unaffected until removed */
    CHECK_PTR_EQ(htab_lookup(&t, b)->obj, OBJ(2));
    CHECK_PTR_EQ(htab_remove(&t, b, NULL), OBJ(2));
    CHECK_EQ(t.used, 0);
    CHECK_PTR_EQ(htab_lookup(&t, b), NULL);
    htab_destroy(&t);
}

static void t_stale_handle_generation(void)
{
    struct htab t;
    reset_alloc();
    CHECK_EQ(htab_init(&t, t_alloc, t_free), 0);
    int32_t a = htab_insert(&t, OBJ(1), 1, 1, 0);
    CHECK(htab_remove(&t, a, NULL) == OBJ(1));
    /* the slot is reused, with a new generation */
    int32_t b = htab_insert(&t, OBJ(2), 1, 0x1f, 0x123456789ull);
    CHECK_EQ(IDX(b), IDX(a));
    CHECK(GEN(b) != GEN(a));
    CHECK(b != a);
    CHECK_PTR_EQ(htab_lookup(&t, a), NULL);           /* stale handle */
    CHECK_PTR_EQ(htab_remove(&t, a, NULL), NULL);     /* cannot remove the new occupant */
    CHECK_EQ(t.used, 1);
    CHECK_PTR_EQ(htab_lookup(&t, b)->obj, OBJ(2));
    /* a forged generation is rejected too */
    CHECK_PTR_EQ(htab_lookup(&t, (int32_t)(IDX(b) | ((GEN(b) + 1) & 0x7fff) << 16)), NULL);
    /* removing the slot clears its rights and badge */
    CHECK(htab_remove(&t, b, NULL) == OBJ(2));
    CHECK_EQ(t.slots[IDX(b)].rights, 0);
    CHECK_EQ(t.slots[IDX(b)].badge, 0);
    htab_destroy(&t);
}

static void t_generation_wraps_in_15_bits(void)
{
    struct htab t;
    reset_alloc();
    CHECK_EQ(htab_init(&t, t_alloc, t_free), 0);
    int32_t first = htab_insert(&t, OBJ(1), 1, 1, 0);
    CHECK_EQ(first, 0);
    CHECK(htab_remove(&t, first, NULL) == OBJ(1));
    int32_t prev = first;
    for (uint32_t k = 1; k <= 0x8000; k++) {
        int32_t h = htab_insert(&t, OBJ(1), 1, 1, 0);
        CHECK(h >= 0);             /* never negative, even at generation 0x7fff */
        CHECK_EQ(IDX(h), 0);
        CHECK_EQ(GEN(h), k & 0x7fff);
        CHECK_PTR_EQ(htab_lookup(&t, prev), NULL);
        CHECK(htab_remove(&t, h, NULL) == OBJ(1));
        prev = h;
    }
    CHECK_EQ(prev, 0); /* wrapped back to generation 0 */
    CHECK_EQ(t.used, 0);
    htab_destroy(&t);
}

static void t_bad_handles(void)
{
    struct htab t;
    reset_alloc();
    CHECK_EQ(htab_init(&t, t_alloc, t_free), 0);
    int32_t a = htab_insert(&t, OBJ(1), 1, 1, 0);
    CHECK_EQ(a, 0);
    CHECK_PTR_EQ(htab_lookup(&t, -1), NULL);
    CHECK_PTR_EQ(htab_lookup(&t, INT32_MIN), NULL);
    CHECK_PTR_EQ(htab_lookup(&t, (int32_t)0x80000000u), NULL);
    /* bit 31 set on an otherwise valid handle makes it negative: rejected */
    CHECK_PTR_EQ(htab_lookup(&t, (int32_t)(0x80000000u | (uint32_t)a)), NULL);
    CHECK_PTR_EQ(htab_lookup(&t, (int32_t)HTAB_MIN_SLOTS), NULL);       /* index == cap */
    CHECK_PTR_EQ(htab_lookup(&t, (int32_t)HTAB_MIN_SLOTS + 1), NULL);
    CHECK_PTR_EQ(htab_lookup(&t, 0xffff), NULL);                         /* largest index */
    CHECK_PTR_EQ(htab_lookup(&t, 5), NULL);                              /* free slot */
    CHECK_PTR_EQ(htab_remove(&t, -1, NULL), NULL);
    CHECK_PTR_EQ(htab_remove(&t, 0x7fffffff, NULL), NULL);
    CHECK_PTR_EQ(htab_remove(&t, 5, NULL), NULL);
    CHECK_EQ(t.used, 1);
    CHECK_PTR_EQ(htab_lookup(&t, a)->obj, OBJ(1));
    htab_destroy(&t);
}

static void t_growth_to_max(void)
{
    struct htab t;
    int32_t *h = calloc(HTAB_MAX_SLOTS, sizeof *h);
    reset_alloc();
    CHECK(h != NULL);
    CHECK_EQ(htab_init(&t, t_alloc, t_free), 0);
    uint32_t expect_cap = HTAB_MIN_SLOTS;
    long grows = 0;
    for (int i = 0; i < HTAB_MAX_SLOTS; i++) {
        h[i] = htab_insert(&t, OBJ(i), (uint16_t)i, (uint32_t)i, (uint64_t)i * 3);
        CHECK(h[i] >= 0);
        if ((uint32_t)i == expect_cap) {
            expect_cap *= 2;
            grows++;
        }
        CHECK_EQ(t.cap, expect_cap);
        CHECK_EQ(t.used, (uint32_t)i + 1);
    }
    CHECK_EQ(t.cap, HTAB_MAX_SLOTS);
    CHECK_EQ(grows, 7); /* 32 -> 64 -> ... -> 4096 */
    CHECK_EQ(n_alloc, 1 + grows);
    CHECK_EQ(n_free, grows); /* each old array given back */
    CHECK_EQ(live_bytes, (long)(sizeof(struct hslot) * HTAB_MAX_SLOTS));
    /* full: more inserts fail without touching the table */
    CHECK_EQ(htab_insert(&t, OBJ(HTAB_MAX_SLOTS), 1, 1, 1), -1);
    CHECK_EQ(htab_insert(&t, OBJ(HTAB_MAX_SLOTS + 1), 1, 1, 1), -1);
    CHECK_EQ(t.used, HTAB_MAX_SLOTS);
    CHECK_EQ(n_alloc, 1 + grows);
    /* every handle, including those from before each growth, still resolves */
    for (int i = 0; i < HTAB_MAX_SLOTS; i++) {
        struct hslot *s = htab_lookup(&t, h[i]);
        CHECK(s != NULL);
        CHECK_PTR_EQ(s->obj, OBJ(i));
        CHECK_EQ(s->type, (uint16_t)i);
        CHECK_EQ(s->rights, (uint32_t)i);
        CHECK_EQ(s->badge, (uint64_t)i * 3);
        CHECK_EQ(IDX(h[i]), (uint32_t)i); /* slots fill in order: all distinct */
    }
    /* one removal makes room again, and the slot gets a fresh generation */
    CHECK(htab_remove(&t, h[1000], NULL) == OBJ(1000));
    int32_t n = htab_insert(&t, OBJ(HTAB_MAX_SLOTS), 1, 1, 1);
    CHECK(n >= 0);
    CHECK_EQ(IDX(n), IDX(h[1000]));
    CHECK_PTR_EQ(htab_lookup(&t, h[1000]), NULL);
    CHECK_EQ(htab_insert(&t, OBJ(HTAB_MAX_SLOTS + 1), 1, 1, 1), -1);
    htab_destroy(&t);
    CHECK_EQ(live_bytes, 0);
    free(h);
}

static void t_grow_alloc_failure(void)
{
    struct htab t;
    int32_t h[HTAB_MIN_SLOTS];
    reset_alloc();
    CHECK_EQ(htab_init(&t, t_alloc, t_free), 0);
    for (int i = 0; i < HTAB_MIN_SLOTS; i++) {
        h[i] = htab_insert(&t, OBJ(i), 1, 2, (uint64_t)i);
        CHECK(h[i] >= 0);
    }
    CHECK_EQ(n_alloc, 1);
    fail_after = 0;
    CHECK_EQ(htab_insert(&t, OBJ(100), 1, 2, 3), -1);
    CHECK_EQ(t.cap, HTAB_MIN_SLOTS);
    CHECK_EQ(t.used, HTAB_MIN_SLOTS);
    CHECK_EQ(n_free, 0);
    for (int i = 0; i < HTAB_MIN_SLOTS; i++)
        CHECK_PTR_EQ(htab_lookup(&t, h[i])->obj, OBJ(i));
    /* once memory is back, the same insert succeeds */
    fail_after = -1;
    int32_t x = htab_insert(&t, OBJ(100), 1, 2, 3);
    CHECK(x >= 0);
    CHECK_EQ(t.cap, 2 * HTAB_MIN_SLOTS);
    CHECK_PTR_EQ(htab_lookup(&t, x)->obj, OBJ(100));
    CHECK_EQ(htab_lookup(&t, h[5])->badge, 5);
    htab_destroy(&t);
    CHECK_EQ(live_bytes, 0);
}

static void t_lowest_free_slot_reused(void)
{
    struct htab t;
    int32_t h[10];
    reset_alloc();
    CHECK_EQ(htab_init(&t, t_alloc, t_free), 0);
    for (int i = 0; i < 10; i++) {
        h[i] = htab_insert(&t, OBJ(i), 1, 1, 0);
        CHECK_EQ(IDX(h[i]), (uint32_t)i);
        CHECK_EQ(GEN(h[i]), 0);
    }
    CHECK(htab_remove(&t, h[7], NULL) == OBJ(7));
    CHECK(htab_remove(&t, h[2], NULL) == OBJ(2));
    CHECK_EQ(t.used, 8);
    int32_t a = htab_insert(&t, OBJ(20), 1, 1, 0);
    int32_t b = htab_insert(&t, OBJ(21), 1, 1, 0);
    int32_t c = htab_insert(&t, OBJ(22), 1, 1, 0);
    CHECK_EQ(IDX(a), 2);
    CHECK_EQ(IDX(b), 7);
    CHECK_EQ(IDX(c), 10);
    CHECK_EQ(GEN(a), 1);
    CHECK_EQ(GEN(c), 0);
    CHECK_EQ(t.used, 11);
    htab_destroy(&t);
}

int main(void)
{
    TAP_RUN("init and destroy", t_init_destroy);
    TAP_RUN("init fails when the allocator returns NULL", t_init_alloc_failure);
    TAP_RUN("insert then lookup returns the slot", t_insert_lookup);
    TAP_RUN("insert of a NULL object is rejected", t_insert_null_rejected);
    TAP_RUN("remove returns the object and the slot", t_remove);
    TAP_RUN("stale handle fails after slot reuse", t_stale_handle_generation);
    TAP_RUN("generation wraps within 15 bits, handles stay >= 0", t_generation_wraps_in_15_bits);
    TAP_RUN("negative, out-of-range and free handles fail", t_bad_handles);
    TAP_RUN("grows from 32 to 4096 slots then refuses", t_growth_to_max);
    TAP_RUN("growth alloc failure keeps the table intact", t_grow_alloc_failure);
    TAP_RUN("lowest free slot is reused", t_lowest_free_slot_reused);
    return tap_done();
}
