/* Handle table (see htab.h). */
#include <kernel/htab.h>

#define HTAB_MAKE(idx, gen) ((int32_t)(((uint32_t)(gen) & 0x7fffu) << 16 | (idx)))

int htab_init(struct htab *t, void *(*alloc)(size_t), void (*free)(void *, size_t))
{
    t->alloc = alloc;
    t->free = free;
    t->cap = HTAB_MIN_SLOTS;
    t->used = 0;
    t->slots = alloc(sizeof(struct hslot) * t->cap);
    if (!t->slots)
        return -1;
    for (uint32_t i = 0; i < t->cap; i++)
        t->slots[i] = (struct hslot){0};
    return 0;
}

static int grow(struct htab *t)
{
    if (t->cap >= HTAB_MAX_SLOTS)
        return -1;
    uint32_t ncap = t->cap * 2;
    struct hslot *n = t->alloc(sizeof(struct hslot) * ncap);
    if (!n)
        return -1;
    for (uint32_t i = 0; i < ncap; i++)
        n[i] = i < t->cap ? t->slots[i] : (struct hslot){0};
    t->free(t->slots, sizeof(struct hslot) * t->cap);
    t->slots = n;
    t->cap = ncap;
    return 0;
}

int32_t htab_insert(struct htab *t, void *obj, uint16_t type, uint32_t rights, uint64_t badge)
{
    if (!obj)
        return -1;
    if (t->used == t->cap && grow(t))
        return -1;
    for (uint32_t i = 0; i < t->cap; i++) {
        struct hslot *s = &t->slots[i];
        if (s->obj)
            continue;
        s->obj = obj;
        s->type = type;
        s->rights = rights;
        s->badge = badge;
        t->used++;
        return HTAB_MAKE(i, s->gen);
    }
    return -1;
}

void *htab_remove(struct htab *t, int32_t h, struct hslot *out)
{
    struct hslot *s = htab_lookup(t, h);
    if (!s)
        return NULL;
    void *obj = s->obj;
    if (out)
        *out = *s;
    s->obj = NULL;
    s->gen = (uint16_t)((s->gen + 1) & 0x7fff);
    s->rights = 0;
    s->badge = 0;
    t->used--;
    return obj;
}

void htab_destroy(struct htab *t)
{
    if (t->slots)
        t->free(t->slots, sizeof(struct hslot) * t->cap);
    t->slots = NULL;
    t->cap = t->used = 0;
}
