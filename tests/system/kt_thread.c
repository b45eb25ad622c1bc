/* Threads and scheduling: hand-off between threads of one process (the
 * primitive a Linux context switch maps to), park/resume, priorities, round
 * robin within a priority, sleeping to absolute deadlines. */
#include "ktest.h"

static hm_handle_t main_th, peer_th;
static volatile int trace[16];
static volatile int ntrace;

static void *pingpong(void *a)
{
    (void)a;
    for (int i = 0; i < 3; i++) {
        trace[ntrace++] = 100 + i;
        hm_thread_switch(main_th);     /* back to main, park me */
    }
    return NULL;
}

static volatile uint64_t spins[2];
static volatile int stop;
static void *spinner(void *a)
{
    int idx = (int)(uintptr_t)a;
    while (!stop)
        spins[idx]++;
    return NULL;
}

static volatile int order[4];
static volatile int norder;
static void *record(void *a)
{
    order[norder++] = (int)(uintptr_t)a;
    return NULL;
}

/* FP/SIMD registers belong to each thread: the kernel switches them lazily */
static void *fp_clobber(void *a)
{
    double v = (double)(uintptr_t)a;
    __asm__ volatile("fmov d0, %d0; fmov d8, %d0; fmov d31, %d0" :: "w"(v) : "d0", "d8", "d31");
    return NULL;   /* and exits: the register file has no owner afterwards */
}

static int fp_survives(void)
{
    double in = 1234.5, out0, out8, out31;
    __asm__ volatile("fmov d0, %d0; fmov d8, %d0; fmov d31, %d0" :: "w"(in) : "d0", "d8", "d31");
    struct hm_thread t;
    hm_thread_start(&t, fp_clobber, (void *)7, HM_PRIO_MAX - 2, 1);
    hm_sleep_until(hm_deadline_ms(10));   /* the clobberer runs and exits meanwhile */
    __asm__ volatile("fmov %d0, d0; fmov %d1, d8; fmov %d2, d31" : "=w"(out0), "=w"(out8), "=w"(out31));
    return out0 == in && out8 == in && out31 == in;
}

int main(void)
{
    kt_init("thread");
    main_th = hm_start_handle("thread");
    KT_CHECK(main_th >= 0, "process got its own thread handle");

    /* hand-off: main <-> peer, strictly alternating, no scheduler involved */
    struct hm_thread peer;
    KT_OK(hm_thread_start(&peer, pingpong, NULL, HM_PRIO_MAX - 2, 0), "create parked thread");
    peer_th = peer.h;
    for (int i = 0; i < 3; i++) {
        trace[ntrace++] = i;
        KT_EQ(hm_thread_switch(peer_th), 0, "switch to peer and back");
    }
    int alt = ntrace == 6;
    for (int i = 0; i < 6 && alt; i++)
        alt = trace[i] == (i % 2 ? 100 + i / 2 : i / 2);
    KT_CHECK(alt, "hand-off alternates main/peer exactly");
    KT_EQ(hm_thread_switch(main_th), -HM_EINVAL, "switch to self refused");
    KT_EQ(hm_thread_switch(12345), -HM_EBADH, "switch to bad handle");
    long n = hm_notif_create();
    KT_EQ(hm_thread_switch((hm_handle_t)n), -HM_ETYPE, "switch to a non-thread");

    /* a thread of another process cannot be switched to */
    long ep = hm_ep_create();
    struct hm_spawn_handle hs = { "ep", (hm_handle_t)ep, HM_R_RECV };
    long srv = kt_spawn("server", NULL, &hs, 1, HM_HANDLE_INVALID);
    long th = hm_thread_create((hm_handle_t)srv, (void *)0x400000, (void *)0x10000, 0, 1);
    KT_OK(th, "create thread in child process");
    KT_EQ(hm_thread_switch((hm_handle_t)th), -HM_EPERM, "switch to another process's thread refused");
    KT_EQ(hm_thread_create((hm_handle_t)srv, (void *)0x400000, (void *)0x10001, 0, 1), -HM_EINVAL, "unaligned stack refused");
    KT_EQ(hm_thread_create((hm_handle_t)srv, (void *)0x400000, (void *)0x10000, 0, 32), -HM_EINVAL, "priority out of range");
    KT_EQ(hm_thread_create((hm_handle_t)srv, (void *)0x400000, (void *)0x10000, 0, HM_PRIO_MAX), -HM_EPERM, "priority above own refused");
    KT_EQ(hm_thread_resume(main_th), -HM_ESTATE, "resume a running thread");
    hm_proc_kill((hm_handle_t)srv);
    KT_EQ(hm_thread_resume((hm_handle_t)th), -HM_ESTATE, "resume a thread of a dead process");

    /* priorities: a higher-priority thread runs before a lower one */
    struct hm_thread lo, hi;
    hm_thread_start(&lo, record, (void *)1, HM_PRIO_MAX - 4, 0);
    hm_thread_start(&hi, record, (void *)2, HM_PRIO_MAX - 3, 0);
    hm_thread_resume(lo.h);
    hm_thread_resume(hi.h);
    hm_sleep_until(hm_deadline_ms(20));   /* let them run */
    KT_CHECK(norder == 2 && order[0] == 2 && order[1] == 1, "higher priority runs first");

    /* round robin: two spinners at our priority both make progress while we sleep */
    struct hm_thread s0, s1;
    hm_thread_start(&s0, spinner, (void *)0, HM_PRIO_MAX - 3, 1);
    hm_thread_start(&s1, spinner, (void *)1, HM_PRIO_MAX - 3, 1);
    hm_sleep_until(hm_deadline_ms(200));
    stop = 1;
    hm_sleep_until(hm_deadline_ms(30));
    kt_report(spins[0] > 1000 && spins[1] > 1000, "round robin between equal priorities", "spins %lu %lu",
              (unsigned long)spins[0], (unsigned long)spins[1]);

    KT_CHECK(fp_survives(), "FP/SIMD registers survive another thread using them and exiting");

    /* sleep to an absolute deadline */
    uint64_t d = hm_deadline_ms(50);
    KT_EQ(hm_sleep_until(d), 0, "sleep_until returns 0");
    KT_CHECK(hm_now() >= d, "woke no earlier than the deadline");
    KT_CHECK(hm_now() < d + hm_ms(500), "woke soon after the deadline");
    KT_EQ(hm_sleep_until(hm_now() - 1), 0, "sleep to a past deadline returns at once");
    KT_EQ(hm_sleep_until(HM_DEADLINE_NEVER), -HM_EINVAL, "sleep forever refused (use park)");

    /* kill a thread; the process goes on */
    struct hm_thread victim;
    hm_thread_start(&victim, spinner, (void *)0, HM_PRIO_MAX - 4, 1);
    KT_EQ(hm_thread_kill(victim.h), 0, "kill a thread");
    KT_EQ(hm_thread_resume(victim.h), -HM_ESTATE, "killed thread is dead");
    KT_EQ(hm_thread_set_prio(main_th, HM_PRIO_MAX), -HM_EPERM, "cannot raise own priority");
    KT_EQ(hm_thread_set_prio(main_th, HM_PRIO_MAX - 2), 0, "set priority");
    return kt_finish();
}
