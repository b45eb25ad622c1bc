/*
 * Per-process handle table: slots of (object, type, rights, badge). A handle
 * value is the slot index in bits 0..15 and the slot's generation in bits
 * 16..30, so a closed-and-reused slot does not answer to an old handle.
 * Pure logic: memory comes from the alloc/free callbacks, object lifetime
 * is the caller's business. The host unit tests use it directly.
 */
#ifndef KERNEL_HTAB_H
#define KERNEL_HTAB_H
#include <stdint.h>
#include <stddef.h>

#define HTAB_MAX_SLOTS 4096
#define HTAB_MIN_SLOTS 32

struct hslot {
    void *obj;          /* NULL = free */
    uint64_t badge;
    uint32_t rights;
    uint16_t gen;
    uint16_t type;
};

struct htab {
    struct hslot *slots;
    uint32_t cap;
    uint32_t used;
    void *(*alloc)(size_t);
    void (*free)(void *, size_t);
};

int htab_init(struct htab *t, void *(*alloc)(size_t), void (*free)(void *, size_t));
/* returns the handle (>= 0) or -1 when full / out of memory */
int32_t htab_insert(struct htab *t, void *obj, uint16_t type, uint32_t rights, uint64_t badge);
#define HTAB_IDX(h) ((uint32_t)(h) & 0xffffu)
#define HTAB_GEN(h) (((uint32_t)(h) >> 16) & 0x7fffu)
/* NULL when the handle is not live. Inline: the IPC fast paths use it and
 * may call no function (fastpath.c). */
static inline struct hslot *htab_lookup(struct htab *t, int32_t h)
{
    if (h < 0 || HTAB_IDX(h) >= t->cap)
        return NULL;
    struct hslot *s = &t->slots[HTAB_IDX(h)];
    if (!s->obj || s->gen != HTAB_GEN(h))
        return NULL;
    return s;
}
/* frees the slot and returns the object it held (NULL if not live) */
void *htab_remove(struct htab *t, int32_t h, struct hslot *out);
/* frees the table memory; caller must have emptied or dropped the objects */
void htab_destroy(struct htab *t);
#endif
