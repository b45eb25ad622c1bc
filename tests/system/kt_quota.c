/*
 * Kernel quotas (syscall.h "quotas"). A client started with limits
 * (kt_helper "quota") exhausts each kind and finds a process of its own
 * bounded by what it has left; its creator serves on and gets back all it
 * was charged. Then, on a process that runs nothing, the kernel's own
 * charges: handles given to it, threads made in it and the page tables
 * its mappings need are its own quota, refused past the limit, and all
 * returned when it dies.
 */
#include "ktest.h"
#include <string.h>

static int same_use(const struct hm_quota *a, const struct hm_quota *b)
{
    return !memcmp(a->used, b->used, sizeof a->used);
}

static void client(void)
{
    static const uint64_t lim[HM_QUOTA_N] = { 1 << 20, 256 << 10, 64, 6, 4 };
    const char *argv[] = { "kt_helper", "quota", NULL };
    struct hm_quota before, after, child;
    /* a first spawn maps the boot image and a stack here: the page tables
     * that takes stay (tables are freed with the address space) */
    const char *warm[] = { "kt_helper", "exit", "0", NULL };
    long w = hm_spawn("kt_helper", warm, NULL, 0, HM_HANDLE_INVALID, HM_PRIO_MAX - 3);
    KT_EQ(w < 0 ? w : kt_wait((hm_handle_t)w, 10000), 0, "a first client ran (the tables spawning needs are made)");
    if (w >= 0)
        hm_handle_close((hm_handle_t)w);
    KT_EQ(hm_proc_quota(HM_HANDLE_SELF_PROC, &before), 0, "kt_quota reads its own quota (init gave it none)");
    KT_CHECK(before.limit[HM_QUOTA_MEM] == HM_QUOTA_UNLIMITED, "no limit of its own: bounded by the machine");
    long p = hm_spawn_limited("kt_helper", argv, NULL, 0, HM_HANDLE_INVALID, HM_PRIO_MAX - 3, lim);
    KT_OK(p, "a client started with limits on every kind");
    if (p < 0)
        return;
    KT_EQ(hm_proc_quota((hm_handle_t)p, &child), 0, "its creator reads the client's quota");
    KT_CHECK(!memcmp(child.limit, lim, sizeof lim), "with the limits it was given");
    KT_EQ(kt_wait((hm_handle_t)p, 30000), 0, "the client ran its exhaustion cases (quota-client) and passed them");
    KT_EQ(hm_proc_quota((hm_handle_t)p, &child), 0, "read after its exit");
    uint64_t left = 0;
    for (int k = 0; k < HM_QUOTA_N; k++)
        left |= child.used[k];
    KT_EQ(left, 0, "a dead client holds nothing against its quota");
    hm_handle_close((hm_handle_t)p);
    /* the creator serves on: objects of every kind */
    long m = hm_mem_create(4 << 20, HM_MEM_CONTIG), e = hm_ep_create();
    KT_OK(m, "its creator makes 4 MiB of DMA memory after");
    KT_OK(e, "and an endpoint");
    if (m >= 0)
        hm_handle_close((hm_handle_t)m);
    if (e >= 0)
        hm_handle_close((hm_handle_t)e);
    hm_sleep_until(hm_deadline_ms(10));
    KT_EQ(hm_proc_quota(HM_HANDLE_SELF_PROC, &after), 0, "read again");
    kt_report(same_use(&before, &after), "the creator got back everything the client and its process were charged",
              "in use before/after: memory %lu/%lu, DMA %lu/%lu, handles %lu/%lu, threads %lu/%lu, endpoints %lu/%lu",
              (unsigned long)before.used[0], (unsigned long)after.used[0], (unsigned long)before.used[1],
              (unsigned long)after.used[1], (unsigned long)before.used[2], (unsigned long)after.used[2],
              (unsigned long)before.used[3], (unsigned long)after.used[3], (unsigned long)before.used[4],
              (unsigned long)after.used[4]);
}

/* a process that never runs: what the kernel charges to it for others */
static void charged_for_it(void)
{
    /* 16 KiB: its level-0 table and the three tables one mapping needs */
    static const uint64_t lim[HM_QUOTA_N] = { 16 << 10, 0, 2, 1, 0 };
    static uint64_t stack[16] __attribute__((aligned(16)));
    long p = hm_proc_create_limited("limited", 7, HM_HANDLE_INVALID, lim);
    KT_OK(p, "a process with tiny limits");
    long n = hm_notif_create(), mem = hm_mem_create(4096, HM_MEM_ANON);
    if (p < 0 || n < 0 || mem < 0)
        return;
    KT_OK(hm_handle_give((hm_handle_t)p, (hm_handle_t)n, HM_R_WAIT), "a handle given to it");
    KT_OK(hm_handle_give((hm_handle_t)p, (hm_handle_t)n, HM_R_WAIT), "a second");
    KT_EQ(hm_handle_give((hm_handle_t)p, (hm_handle_t)n, HM_R_WAIT), -HM_ENOMEM, "a third: over its 2 handles: ENOMEM");
    long t = hm_thread_create((hm_handle_t)p, (void *)charged_for_it, &stack[16], 0, 1);
    KT_OK(t, "a thread made in it");
    KT_EQ(hm_thread_create((hm_handle_t)p, (void *)charged_for_it, &stack[16], 0, 1), -HM_ENOMEM,
          "a second thread: over its 1: ENOMEM (charged where it runs, not to its maker)");
    KT_EQ(hm_vm_map((hm_handle_t)p, (hm_handle_t)mem, 0, 4096, 0x10000000, HM_MAP_R), 0x10000000,
          "a page mapped in it (three table pages)");
    KT_EQ(hm_vm_map((hm_handle_t)p, (hm_handle_t)mem, 0, 4096, 0x8000000000ull, HM_MAP_R), -HM_ENOMEM,
          "a mapping 512 GiB away needs three more: over its 16 KiB: ENOMEM");
    struct hm_quota q;
    KT_EQ(hm_proc_quota((hm_handle_t)p, &q), 0, "its quota read");
    KT_CHECK(q.used[HM_QUOTA_MEM] == 16 << 10 && q.used[HM_QUOTA_HANDLES] == 2 && q.used[HM_QUOTA_THREADS] == 1,
             "charged 16 KiB of tables, 2 handles, 1 thread");
    KT_CHECK(q.refused[HM_QUOTA_MEM] == 1 && q.refused[HM_QUOTA_HANDLES] == 1 && q.refused[HM_QUOTA_THREADS] == 1,
             "and one refusal of each counted");
    KT_OK(hm_proc_kill((hm_handle_t)p), "killed");
    if (t >= 0)
        hm_handle_close((hm_handle_t)t);
    hm_sleep_until(hm_deadline_ms(10));
    KT_EQ(hm_proc_quota((hm_handle_t)p, &q), 0, "read after its death");
    KT_CHECK(!q.used[HM_QUOTA_MEM] && !q.used[HM_QUOTA_HANDLES] && !q.used[HM_QUOTA_THREADS],
             "its tables, handles and thread were all given back");
    hm_handle_close((hm_handle_t)p);
    hm_handle_close((hm_handle_t)n);
    hm_handle_close((hm_handle_t)mem);
}

int main(void)
{
    kt_init("quota");
    client();
    charged_for_it();
    return kt_finish();
}
