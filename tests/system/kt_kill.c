/* Killing a process reclaims what it held: memory, handles (and so IRQ
 * bindings), mappings; processes blocked anywhere die cleanly; the kernel
 * keeps running. */
#include "ktest.h"

static long spawn_and_ready(const char *mode, const char *arg, hm_handle_t n)
{
    struct hm_spawn_handle hs = { "notif", n, HM_R_SIGNAL };
    long p = kt_spawn(mode, arg, &hs, 1, HM_HANDLE_INVALID);
    uint64_t bits = 0;
    if (p >= 0 && hm_notif_wait(n, hm_deadline_ms(5000), &bits) < 0)
        return -HM_ETIMEDOUT;
    return bits == 1 ? p : -(long)bits;
}

int main(void)
{
    kt_init("kill");
    long n = hm_notif_create();

    /* memory: a child maps 8 MiB; after kill the free page count is back */
    long before = kt_stat("free_pages");
    long p = spawn_and_ready("alloc", "8", (hm_handle_t)n);
    KT_OK(p, "child allocated 8 MiB");
    long during = kt_stat("free_pages");
    KT_CHECK(before - during >= 2048, "the child's pages are in use");
    KT_EQ(hm_proc_kill((hm_handle_t)p), 0, "kill");
    KT_EQ(kt_wait((hm_handle_t)p, 1000), HM_PROC_EXIT_KILLED, "status says killed");
    hm_handle_close((hm_handle_t)p);
    long after = kt_stat("free_pages");
    kt_report(before - after <= 16, "kill returned the child's memory", "before %ld during %ld after %ld", before, during, after);

    /* repeated spawn/kill does not leak */
    long base = kt_stat("free_pages");
    for (int i = 0; i < 20; i++) {
        p = spawn_and_ready("alloc", "1", (hm_handle_t)n);
        hm_proc_kill((hm_handle_t)p);
        hm_handle_close((hm_handle_t)p);
    }
    long end = kt_stat("free_pages");
    kt_report(base - end <= 16, "20 spawn/kill cycles leak no pages", "before %ld after %ld", base, end);

    /* IRQ binding goes with the process */
    p = spawn_and_ready("irqbind", "34", (hm_handle_t)n);
    KT_OK(p, "child bound IRQ 34");
    long n2 = hm_notif_create();
    KT_EQ(hm_irq_create(hm_start_handle("root"), 34, (hm_handle_t)n2, 1, 0), -HM_EBUSY, "line busy while the child lives");
    hm_proc_kill((hm_handle_t)p);
    long irq = hm_irq_create(hm_start_handle("root"), 34, (hm_handle_t)n2, 1, 0);
    KT_OK(irq, "line free after the child was killed");
    hm_handle_close((hm_handle_t)irq);

    /* a spinning (always runnable) child at lower priority is killed */
    p = spawn_and_ready("spin", NULL, (hm_handle_t)n);
    KT_EQ(hm_proc_kill((hm_handle_t)p), 0, "kill a runnable child");
    KT_EQ(kt_wait((hm_handle_t)p, 1000), HM_PROC_EXIT_KILLED, "runnable child is gone");
    KT_EQ(hm_proc_kill((hm_handle_t)p), 0, "killing a dead process is harmless");
    KT_EQ(hm_thread_create((hm_handle_t)p, (void *)0x400000, (void *)0x1000, 0, 1), -HM_ESTATE, "no threads in a dead process");

    /* a child blocked in recv is killed */
    long ep = hm_ep_create();
    struct hm_spawn_handle hs = { "ep", (hm_handle_t)ep, HM_R_RECV };
    p = kt_spawn("server", NULL, &hs, 1, HM_HANDLE_INVALID);
    hm_sleep_until(hm_deadline_ms(10));
    KT_EQ(hm_proc_kill((hm_handle_t)p), 0, "kill a child blocked in recv");
    KT_EQ(kt_wait((hm_handle_t)p, 1000), HM_PROC_EXIT_KILLED, "blocked child is gone");

    /* a process nobody references any more dies with its last handle */
    long lone = hm_proc_create("lone", 4, HM_HANDLE_INVALID);
    long c0 = kt_stat("procs_destroyed");
    hm_handle_close((hm_handle_t)lone);
    KT_EQ(kt_stat("procs_destroyed") - c0, 1, "thread-less process freed with its last handle");

    /* wait rules */
    KT_EQ(hm_proc_wait(HM_HANDLE_SELF_PROC, HM_DEADLINE_POLL, NULL), -HM_EINVAL, "cannot wait for oneself");
    lone = hm_proc_create("lone", 4, HM_HANDLE_INVALID);
    KT_EQ(hm_proc_wait((hm_handle_t)lone, HM_DEADLINE_POLL, NULL), -HM_ETIMEDOUT, "wait poll on a live process");
    KT_EQ(hm_proc_create("", 0, HM_HANDLE_INVALID), -HM_EINVAL, "empty name refused");
    KT_EQ(hm_proc_create((const char *)0x10, 4, HM_HANDLE_INVALID), -HM_EFAULT, "bad name pointer refused");
    return kt_finish();
}
