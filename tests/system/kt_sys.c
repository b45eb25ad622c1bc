/* System-call robustness: unknown numbers, bad pointers, and a burst of
 * random arguments to every call; the kernel answers with errors and keeps
 * running. Also: EL0 reads the counter, the console handle is required. */
#include "ktest.h"
#include <string.h>

static uint64_t rng = 0x9e3779b97f4a7c15ull;
static uint64_t rnd(void)
{
    rng ^= rng << 13;
    rng ^= rng >> 7;
    rng ^= rng << 17;
    return rng;
}

static long pick(void)
{
    switch (rnd() % 8) {
    case 0: return 0;
    case 1: return -1;
    case 2: return (long)(rnd() % 64);             /* plausible handle */
    case 3: return (long)(rnd() & 0xffffffffull);
    case 4: return (long)0xffff000040200000ull;   /* kernel address */
    case 5: return 0x10;                          /* unmapped user address */
    case 6: return (long)rnd();
    default: return 4096;
    }
}

int main(void)
{
    kt_init("sys");
    KT_EQ(hm_sys0(HM_NSYSCALLS), -HM_ENOSYS, "unknown syscall number");
    KT_EQ(hm_sys0(-1), -HM_ENOSYS, "negative syscall number");
    KT_EQ(hm_console_write(hm_console, (void *)0x10, 5), -HM_EFAULT, "console write from a bad pointer");
    KT_EQ(hm_console_write(hm_console, (void *)0xffff000040200000ull, 5), -HM_EFAULT, "console write from kernel memory");
    KT_EQ(hm_console_write(hm_console, "x", 100000), -HM_EINVAL, "oversized console write");
    long n = hm_notif_create();
    KT_EQ(hm_console_write((hm_handle_t)n, "x", 1), -HM_ETYPE, "console write needs the console");
    long ro = hm_handle_dup(hm_console, HM_R_READ, 0);
    KT_EQ(hm_console_write((hm_handle_t)ro, "x", 1), -HM_EPERM, "console write needs WRITE");
    char stats[8];
    KT_EQ(hm_klog_stats(stats, sizeof stats), -HM_EINVAL, "stats into a too small buffer");
    KT_EQ(hm_handle_info(hm_console, (struct hm_handle_info *)0x10), -HM_EFAULT, "handle_info to a bad pointer");
    uint64_t a = hm_now(), b = hm_now();
    KT_CHECK(b >= a && a > 0 && hm_time_freq() == 62500000, "EL0 reads CNTVCT_EL0 and CNTFRQ_EL0");

    /* fuzz: random arguments to every call except the ones that would end
     * this test (exit, thread exit/park, poweroff, kill of self) */
    long before = kt_stat("syscalls");
    int calls = 0;
    for (int i = 0; i < 3000; i++) {
        long nr = (long)(rnd() % HM_NSYSCALLS);
        if (nr == HM_SYS_PROC_EXIT || nr == HM_SYS_THREAD_EXIT || nr == HM_SYS_THREAD_PARK || nr == HM_SYS_POWEROFF ||
            nr == HM_SYS_PROC_KILL || nr == HM_SYS_THREAD_KILL || nr == HM_SYS_THREAD_SWITCH ||
            nr == HM_SYS_HANDLE_CLOSE || nr == HM_SYS_RECV || nr == HM_SYS_REPLY_RECV || nr == HM_SYS_CALL ||
            nr == HM_SYS_NOTIF_WAIT || nr == HM_SYS_SLEEP_UNTIL || nr == HM_SYS_PROC_WAIT ||
            nr == HM_SYS_CONSOLE_READ || nr == HM_SYS_CONSOLE_WRITE || nr == HM_SYS_IPC_BUF_SET)
            continue;
        hm_sys6(nr, pick(), pick(), pick(), pick(), pick(), pick());
        calls++;
    }
    /* blocking calls with deadlines that have passed or on handles that do not exist */
    struct hm_msg m = {0};
    for (int i = 0; i < 200; i++) {
        hm_recv((hm_handle_t)(1000 + i), &m, HM_DEADLINE_POLL);
        hm_call((hm_handle_t)(1000 + i), &m);
        hm_notif_wait((hm_handle_t)(2000 + i), HM_DEADLINE_POLL, NULL);
        hm_proc_wait((hm_handle_t)(3000 + i), HM_DEADLINE_POLL, NULL);
        hm_handle_close((hm_handle_t)(4000 + i));
        calls += 5;
    }
    kt_report(kt_stat("syscalls") - before >= calls, "kernel survived random system calls", "%d calls", calls);
    KT_EQ(hm_notif_signal((hm_handle_t)n, 1), 0, "still working afterwards");
    return kt_finish();
}
