/* Notifications and timers: signal bits accumulate, wait takes them all,
 * deadlines time out, timers fire at absolute deadlines and can be
 * cancelled; rights are enforced. */
#include "ktest.h"

static hm_handle_t shared;
static void *signaller(void *a)
{
    hm_sleep_until(hm_deadline_ms(10));
    hm_notif_signal(shared, (uint64_t)(uintptr_t)a);
    return NULL;
}

int main(void)
{
    kt_init("notif");
    long n = hm_notif_create();
    KT_OK(n, "create");
    uint64_t bits = 0;
    KT_EQ(hm_notif_signal((hm_handle_t)n, 0x5), 0, "signal");
    hm_notif_signal((hm_handle_t)n, 0x8);
    KT_EQ(hm_notif_wait((hm_handle_t)n, HM_DEADLINE_NEVER, &bits), 0, "wait with bits pending");
    KT_EQ(bits, 0xd, "bits accumulate and are taken together");
    KT_EQ(hm_notif_wait((hm_handle_t)n, HM_DEADLINE_POLL, &bits), -HM_ETIMEDOUT, "poll after taking: nothing");
    uint64_t d = hm_deadline_ms(20);
    KT_EQ(hm_notif_wait((hm_handle_t)n, d, &bits), -HM_ETIMEDOUT, "wait times out");
    KT_CHECK(hm_now() >= d, "timeout no earlier than deadline");

    /* cross-thread wake-up */
    shared = (hm_handle_t)n;
    struct hm_thread t;
    hm_thread_start(&t, signaller, (void *)0x40, HM_PRIO_MAX - 3, 1);
    bits = 0;
    KT_EQ(hm_notif_wait((hm_handle_t)n, hm_deadline_ms(1000), &bits), 0, "blocked waiter woken by signal");
    KT_EQ(bits, 0x40, "waiter got the signalled bit");
    hm_notif_signal((hm_handle_t)n, 1ull << 63);
    KT_EQ(hm_notif_wait((hm_handle_t)n, HM_DEADLINE_POLL, &bits), 0, "bit 63 is a valid signal");
    KT_EQ(bits, 1ull << 63, "bit 63 delivered");

    /* rights */
    long w = hm_handle_dup((hm_handle_t)n, HM_R_WAIT, 0);
    long s = hm_handle_dup((hm_handle_t)n, HM_R_SIGNAL, 0);
    KT_EQ(hm_notif_signal((hm_handle_t)w, 1), -HM_EPERM, "signal without SIGNAL right");
    KT_EQ(hm_notif_wait((hm_handle_t)s, HM_DEADLINE_POLL, &bits), -HM_EPERM, "wait without WAIT right");
    struct hm_handle_info info;
    long w2 = hm_handle_dup((hm_handle_t)s, HM_R_ALL, 0);
    KT_EQ(w2 >= 0 ? hm_handle_info((hm_handle_t)w2, &info) : w2, -HM_EPERM, "dup needs the DUP right");
    long s2 = hm_handle_dup((hm_handle_t)n, HM_R_SIGNAL | HM_R_DUP, 0);
    long s3 = hm_handle_dup((hm_handle_t)s2, HM_R_ALL, 0);
    hm_handle_info((hm_handle_t)s3, &info);
    KT_EQ(info.rights, HM_R_SIGNAL | HM_R_DUP, "dup can only reduce rights");
    KT_EQ(hm_handle_close((hm_handle_t)s3), 0, "close");
    KT_EQ(hm_handle_close((hm_handle_t)s3), -HM_EBADH, "double close");
    long again = hm_handle_dup((hm_handle_t)n, HM_R_SIGNAL, 0);
    KT_CHECK(again != s3, "reused slot gets a new handle value (generation)");
    KT_EQ(hm_notif_signal((hm_handle_t)s3, 1), -HM_EBADH, "stale handle refused");

    /* timers: absolute deadline, cancel, re-arm */
    long tm = hm_timer_create((hm_handle_t)n, 0x100);
    KT_OK(tm, "timer create");
    hm_notif_wait((hm_handle_t)n, HM_DEADLINE_POLL, &bits);
    d = hm_deadline_ms(30);
    KT_EQ(hm_timer_set((hm_handle_t)tm, d), 0, "timer set");
    KT_EQ(hm_notif_wait((hm_handle_t)n, d + hm_ms(2000), &bits), 0, "timer fires");
    KT_CHECK(hm_now() >= d && bits == 0x100, "timer fired at or after its deadline with its bits");
    hm_timer_set((hm_handle_t)tm, hm_deadline_ms(20));
    KT_EQ(hm_timer_set((hm_handle_t)tm, HM_DEADLINE_NEVER), 0, "timer cancel");
    KT_EQ(hm_notif_wait((hm_handle_t)n, hm_deadline_ms(60), &bits), -HM_ETIMEDOUT, "cancelled timer does not fire");
    hm_timer_set((hm_handle_t)tm, hm_now() - 1);
    KT_EQ(hm_notif_wait((hm_handle_t)n, HM_DEADLINE_POLL, &bits), 0, "past deadline fires at once");
    KT_EQ(hm_timer_create((hm_handle_t)n, 0), -HM_EINVAL, "timer with no bits refused");
    KT_EQ(hm_timer_create((hm_handle_t)w, 1), -HM_EPERM, "timer needs SIGNAL on the notification");
    KT_EQ(hm_timer_set((hm_handle_t)n, 0), -HM_ETYPE, "timer_set on a notification");
    /* many timers at once fire in deadline order */
    long t2 = hm_timer_create((hm_handle_t)n, 0x2), t3 = hm_timer_create((hm_handle_t)n, 0x4);
    hm_timer_set((hm_handle_t)t3, hm_deadline_ms(40));
    hm_timer_set((hm_handle_t)t2, hm_deadline_ms(10));
    hm_notif_wait((hm_handle_t)n, hm_deadline_ms(1000), &bits);
    uint64_t first = bits;
    hm_notif_wait((hm_handle_t)n, hm_deadline_ms(1000), &bits);
    KT_CHECK(first == 0x2 && bits == 0x4, "two timers fire in deadline order");
    return kt_finish();
}
