/*
 * Exhausting each kind of the caller's kernel quota (syscall.h "quotas"):
 * memory, DMA memory, handles, threads and endpoints are made until the
 * kernel refuses; the refusal must be HM_ENOMEM and come with the use at
 * (or just under) the limit, everything made is then freed and the use
 * must return to where it was: nothing charged is lost. Nothing is printed
 * while a kind is exhausted (printing may need memory): results are kept
 * and checked afterwards.
 */
#include "quota_cases.h"
#include "ktest.h"
#include <stdio.h>

enum { MAX_HELD = 512, CHUNK = 64 * 1024 };
static hm_handle_t held[MAX_HELD];

struct exhaust {
    long refusal;        /* the call that failed: its error */
    int made;            /* objects made before it */
    uint64_t used, limit;   /* the kind's use when refused, and its limit */
};

static void *thread_never_runs(void *arg) { return arg; }

/* one object of kind k, or a negative error */
static long make(int k, hm_handle_t notif)
{
    static uint64_t stack[32] __attribute__((aligned(16)));
    switch (k) {
    case HM_QUOTA_MEM:     return hm_mem_create(CHUNK, HM_MEM_ANON);
    case HM_QUOTA_DMA:     return hm_mem_create(CHUNK, HM_MEM_CONTIG);
    case HM_QUOTA_HANDLES: return hm_handle_dup(notif, HM_R_WAIT, 0);
    case HM_QUOTA_THREADS: /* parked, never resumed: it only has to exist */
        return hm_thread_create(HM_HANDLE_SELF_PROC, (void *)thread_never_runs, &stack[32], 0, 1);
    default:               return hm_ep_create();
    }
}

static struct exhaust exhaust(int k, hm_handle_t notif)
{
    struct exhaust e = { 0 };
    long r = 0;
    while (e.made < MAX_HELD && (r = make(k, notif)) >= 0)
        held[e.made++] = (hm_handle_t)r;
    e.refusal = r < 0 ? r : 0;
    struct hm_quota q;
    if (hm_proc_quota(HM_HANDLE_SELF_PROC, &q) == 0) {
        e.used = q.used[k];
        e.limit = q.limit[k];
    }
    for (int i = 0; i < e.made; i++) {
        if (k == HM_QUOTA_THREADS)
            hm_thread_kill(held[i]);
        hm_handle_close(held[i]);
    }
    return e;
}

void quota_cases(const char *who)
{
    static const char *const kind[HM_QUOTA_N] = { "memory", "DMA memory", "handles", "threads", "endpoints" };
    /* what one more object of each kind costs at least */
    static const uint64_t unit[HM_QUOTA_N] = { CHUNK, CHUNK, 1, 1, 1 };
    char name[128];
    struct hm_quota before, after;
    long n = hm_notif_create();
    KT_EQ(hm_proc_quota(HM_HANDLE_SELF_PROC, &before), 0, "quota: a process reads its own quota");
    int limited = 1;
    for (int k = 0; k < HM_QUOTA_N; k++)
        limited &= before.limit[k] != HM_QUOTA_UNLIMITED && before.limit[k] < MAX_HELD * unit[k];
    snprintf(name, sizeof name, "quota: %s: its creator limited every kind, each below what the test can hold", who);
    KT_CHECK(limited && n >= 0, name);
    if (!limited || n < 0)
        return;
    for (int k = 0; k < HM_QUOTA_N; k++) {
        struct exhaust e = exhaust(k, (hm_handle_t)n);
        snprintf(name, sizeof name, "quota: %s: %s made until refused (%d made, %lu of %lu in use): ENOMEM", who,
                 kind[k], e.made, (unsigned long)e.used, (unsigned long)e.limit);
        KT_EQ(e.refusal, -HM_ENOMEM, name);
        snprintf(name, sizeof name, "quota: %s: %s refused only within one object of the limit", who, kind[k]);
        KT_CHECK(e.made > 0 && e.used <= e.limit && e.limit - e.used < unit[k] + (k == HM_QUOTA_MEM ? 2 * 4096 : 0),
                 name);
    }
    hm_sleep_until(hm_deadline_ms(10));   /* killed threads are freed once off the CPU */
    KT_EQ(hm_proc_quota(HM_HANDLE_SELF_PROC, &after), 0, "quota: read again");
    int same = 1;
    for (int k = 0; k < HM_QUOTA_N; k++)
        same &= after.used[k] == before.used[k];
    snprintf(name, sizeof name, "quota: %s: all freed, its use is what it was (memory %lu, handles %lu, threads %lu)",
             who, (unsigned long)after.used[HM_QUOTA_MEM], (unsigned long)after.used[HM_QUOTA_HANDLES],
             (unsigned long)after.used[HM_QUOTA_THREADS]);
    KT_CHECK(same, name);
    snprintf(name, sizeof name, "quota: %s: each refusal was counted", who);
    int counted = 1;
    for (int k = 0; k < HM_QUOTA_N; k++)
        counted &= after.refused[k] > before.refused[k];
    KT_CHECK(counted, name);
    long m = hm_mem_create(CHUNK, HM_MEM_CONTIG);
    snprintf(name, sizeof name, "quota: %s: makes memory again after", who);
    KT_OK(m, name);
    if (m >= 0)
        hm_handle_close((hm_handle_t)m);
    hm_handle_close((hm_handle_t)n);
}
