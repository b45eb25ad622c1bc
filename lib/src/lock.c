/* picolibc's retargetable locks (malloc, stdio) for hm threads: a spin lock
 * that yields the CPU while held by another thread of the process. Threads
 * are told apart by their TLS pointer, which is unique per thread. */
#include <hm/hm.h>
#include <sys/lock.h>

struct __lock {
    uint64_t owner;    /* TPIDR_EL0 of the holder, 0 = free */
    uint32_t depth;
};

struct __lock __lock___libc_recursive_mutex;

static uint64_t self(void)
{
    uint64_t v;
    __asm__ volatile("mrs %0, tpidr_el0" : "=r"(v));
    return v;
}

void __retarget_lock_acquire_recursive(_LOCK_T l)
{
    uint64_t me = self();
    if (__atomic_load_n(&l->owner, __ATOMIC_ACQUIRE) == me) {
        l->depth++;
        return;
    }
    uint64_t expect = 0;
    while (!__atomic_compare_exchange_n(&l->owner, &expect, me, 0, __ATOMIC_ACQUIRE, __ATOMIC_RELAXED)) {
        expect = 0;
        hm_thread_yield();
    }
    l->depth = 1;
}

int __retarget_lock_try_acquire_recursive(_LOCK_T l)
{
    uint64_t me = self(), expect = 0;
    if (l->owner == me) {
        l->depth++;
        return 1;
    }
    if (!__atomic_compare_exchange_n(&l->owner, &expect, me, 0, __ATOMIC_ACQUIRE, __ATOMIC_RELAXED))
        return 0;
    l->depth = 1;
    return 1;
}

void __retarget_lock_release_recursive(_LOCK_T l)
{
    if (--l->depth == 0)
        __atomic_store_n(&l->owner, 0, __ATOMIC_RELEASE);
}

void __retarget_lock_acquire(_LOCK_T l) { __retarget_lock_acquire_recursive(l); }
int __retarget_lock_try_acquire(_LOCK_T l) { return __retarget_lock_try_acquire_recursive(l); }
void __retarget_lock_release(_LOCK_T l) { __retarget_lock_release_recursive(l); }

/* dynamically created locks (stdio streams): static pool is enough here */
static struct __lock pool[16];
static uint32_t pool_used;
void __retarget_lock_init_recursive(_LOCK_T *l)
{
    uint32_t i = __atomic_fetch_add(&pool_used, 1, __ATOMIC_RELAXED);
    *l = i < 16 ? &pool[i] : &__lock___libc_recursive_mutex;
}
void __retarget_lock_init(_LOCK_T *l) { __retarget_lock_init_recursive(l); }
void __retarget_lock_close_recursive(_LOCK_T l) { (void)l; }
void __retarget_lock_close(_LOCK_T l) { (void)l; }
