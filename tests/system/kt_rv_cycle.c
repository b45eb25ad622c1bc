/* Review finding: two processes that never got a thread, each holding a
 * handle to the other, would keep each other (and what they hold) alive
 * forever once nobody else could name them. The kernel refuses to give a
 * process handle to a process that has never run, so no such cycle (and no
 * chain of them, whose teardown once recursed through the kernel stack)
 * can be built; unreachable thread-less processes die with their last
 * handle. */
#include "ktest.h"

int main(void)
{
    kt_init("rv_cycle");
    /* settle the kernel heap (slab pages are not returned) */
    hm_handle_close((hm_handle_t)hm_proc_create("w", 1, HM_HANDLE_INVALID));
    long free0 = kt_stat("free_pages");
    long d0 = kt_stat("procs_destroyed");
    long a = hm_proc_create("a", 1, HM_HANDLE_INVALID);
    long b = hm_proc_create("b", 1, HM_HANDLE_INVALID);
    long mem = hm_mem_create(16 << 20, HM_MEM_ANON);
    KT_CHECK(a >= 0 && b >= 0 && mem >= 0, "create two processes and 16 MiB");
    KT_EQ(hm_handle_give((hm_handle_t)a, (hm_handle_t)b, HM_R_ALL), -HM_ESTATE, "no process handle for a process that never ran");
    KT_OK(hm_handle_give((hm_handle_t)a, (hm_handle_t)mem, HM_R_ALL), "other handles are fine");
    KT_OK(hm_handle_give((hm_handle_t)a, (hm_handle_t)a, HM_R_ALL), "its own handle is fine (it does not count)");
    hm_handle_close((hm_handle_t)mem);
    hm_handle_close((hm_handle_t)a);
    hm_handle_close((hm_handle_t)b);
    KT_EQ(kt_stat("procs_destroyed") - d0, 2, "unreachable processes destroyed");
    long free1 = kt_stat("free_pages");
    kt_report(free0 - free1 <= 16, "their memory returned", "before %ld after %ld (%ld pages lost)",
              free0, free1, free0 - free1);
    /* a running process may hold a handle to another */
    long ep = hm_ep_create();
    struct hm_spawn_handle hs = { "ep", (hm_handle_t)ep, HM_R_RECV };
    long srv = kt_spawn("server", NULL, &hs, 1, HM_HANDLE_INVALID);
    long c = hm_proc_create("c", 1, HM_HANDLE_INVALID);
    KT_OK(hm_handle_give((hm_handle_t)srv, (hm_handle_t)c, HM_R_ALL), "a running process may hold a process handle");
    hm_handle_close((hm_handle_t)c);
    long d1 = kt_stat("procs_destroyed");
    hm_proc_kill((hm_handle_t)srv);
    kt_wait((hm_handle_t)srv, 1000);
    KT_EQ(kt_stat("procs_destroyed") - d1, 2, "its death releases the process it held");
    return kt_finish();
}
