/* Threads of this process: stack and TLS block in one anonymous mapping;
 * the new thread installs its TLS pointer before running the function. */
#include <hm/hm.h>
#include <picotls.h>
#include <string.h>

#define THREAD_STACK (64 * 1024)

void *hm_alloc_pages(size_t size, hm_handle_t *mem_out)
{
    size = (size + 4095) & ~(size_t)4095;
    long m = hm_mem_create(size, HM_MEM_ANON);
    if (m < 0)
        return NULL;
    long va = hm_vm_map(HM_HANDLE_SELF_PROC, (hm_handle_t)m, 0, size, 0, HM_MAP_R | HM_MAP_W);
    if (va < 0) {
        hm_handle_close((hm_handle_t)m);
        return NULL;
    }
    if (mem_out)
        *mem_out = (hm_handle_t)m;
    else
        hm_handle_close((hm_handle_t)m);   /* the mapping keeps the memory */
    return (void *)va;
}

static void thread_tramp(struct hm_thread *t)
{
    char *tls = (char *)t->stack + t->stack_size - ((_tls_size() + 63) & ~(size_t)63);
    _set_tls(tls);
    t->fn(t->arg);
    hm_thread_exit();
}

int hm_thread_start(struct hm_thread *t, void *(*fn)(void *), void *arg, int prio, int start)
{
    size_t tls = (_tls_size() + 63) & ~(size_t)63;
    t->stack_size = THREAD_STACK + tls;
    t->stack = hm_alloc_pages(t->stack_size, &t->stack_mem);
    if (!t->stack)
        return -HM_ENOMEM;
    t->stack_size = (t->stack_size + 4095) & ~(size_t)4095;
    char *tlsp = (char *)t->stack + t->stack_size - tls;
    _init_tls(tlsp);
    t->fn = fn;
    t->arg = arg;
    uint64_t sp = ((uint64_t)tlsp - 16) & ~15ull;
    long h = hm_thread_create(HM_HANDLE_SELF_PROC, (void *)thread_tramp, (void *)sp, (long)t, prio);
    if (h < 0) {
        hm_vm_unmap(HM_HANDLE_SELF_PROC, (uint64_t)t->stack);
        hm_handle_close(t->stack_mem);
        return (int)h;
    }
    t->h = (hm_handle_t)h;
    if (start)
        hm_thread_resume(t->h);
    return 0;
}

/* a thread that has said it is done (it may not have reached its exit yet):
 * stopped, and its stack and handles given back. 0, or the first error
 * (one that it had already exited is none) */
int hm_thread_reap(struct hm_thread *t)
{
    long k = hm_thread_kill(t->h);
    long c = hm_handle_close(t->h);
    long u = hm_vm_unmap(HM_HANDLE_SELF_PROC, (uint64_t)t->stack);
    long m = hm_handle_close(t->stack_mem);
    t->h = t->stack_mem = HM_HANDLE_INVALID;
    t->stack = NULL;
    long first = k < 0 && k != -HM_ESTATE ? k : c < 0 ? c : u < 0 ? u : m;
    return first < 0 ? (int)first : 0;
}
