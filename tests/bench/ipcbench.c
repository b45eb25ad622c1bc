/* IPC micro-benchmark: same-process hand-off, cross-process call + reply,
 * cross-process notification round trip, and a null system call; then the
 * hand-off and the call + reply each followed by one store into each page
 * of a 1 MiB buffer (256 pages, as blkbench stamps a 1 MiB request): what
 * touching a request's pages costs after an address-space switch (on QEMU's
 * TCG, whose software TLB an ASID change flushes) against after none. Prints
 * one line per case: "bench NAME ITERATIONS TICKS NS_PER_OP"; the host
 * script (run_bench.py) turns them into a table. Under QEMU -icount
 * shift=0 one nanosecond of guest time is one guest instruction. */
#include <hm/hm.h>
#include <stdio.h>
#include <string.h>
#include <stdlib.h>

#define N 20000
#define N_TOUCH 2000
#define TOUCH_PAGES 256

static volatile uint8_t *touch_buf;

/* one store into each of the buffer's pages */
static void touch(void)
{
    for (int p = 0; p < TOUCH_PAGES; p++)
        touch_buf[(size_t)p * 4096] = (uint8_t)p;
}

static void report(const char *name, uint64_t iters, uint64_t ticks)
{
    double ns = (double)ticks * 1e9 / (double)hm_time_freq() / (double)iters;
    printf("bench %s %lu %lu %.1f\n", name, (unsigned long)iters, (unsigned long)ticks, ns);
}

static hm_handle_t main_th, peer_th;
static void *peer(void *a)
{
    (void)a;
    for (;;)
        hm_thread_switch(main_th);
    return NULL;
}

static int server(void)
{
    hm_handle_t ep = hm_start_handle("ep"), n1 = hm_start_handle("n1"), n2 = hm_start_handle("n2");
    if (n1 >= 0) {
        uint64_t bits;
        for (;;) {
            hm_notif_wait(n1, HM_DEADLINE_NEVER, &bits);
            hm_notif_signal(n2, 1);
        }
    }
    struct hm_msg m;
    long r = hm_recv(ep, &m, HM_DEADLINE_NEVER);
    while (r >= 0) {
        m.tag = 0;
        r = hm_reply_recv(ep, &m);
    }
    return 0;
}

static long spawn_server(const struct hm_spawn_handle *hs, int n)
{
    const char *argv[] = { "ipcbench", "server", NULL };
    struct hm_spawn_handle all[4] = { { "bootimg", hm_start_handle("bootimg"), HM_R_READ | HM_R_MAP } };
    for (int i = 0; i < n; i++)
        all[i + 1] = hs[i];
    return hm_spawn("ipcbench", argv, all, n + 1, HM_HANDLE_INVALID, HM_PRIO_MAX - 2);
}

int main(int argc, char **argv)
{
    if (argc > 1 && !strcmp(argv[1], "server"))
        return server();
    uint64_t t0, t1;

    /* null system call (an invalid number: entry, dispatch, exit) */
    t0 = hm_now();
    for (int i = 0; i < N; i++)
        hm_sys0(HM_NSYSCALLS);
    t1 = hm_now();
    report("null_syscall", N, t1 - t0);

    /* same-process hand-off: each iteration is two switches (there and back) */
    main_th = hm_start_handle("thread");
    struct hm_thread t;
    hm_thread_start(&t, peer, NULL, HM_PRIO_MAX - 2, 0);
    peer_th = t.h;
    hm_thread_switch(peer_th);
    t0 = hm_now();
    for (int i = 0; i < N; i++)
        hm_thread_switch(peer_th);
    t1 = hm_now();
    report("handoff_roundtrip", N, t1 - t0);
    touch_buf = hm_alloc_pages(TOUCH_PAGES * 4096, NULL);
    if (!touch_buf) {
        printf("ipcbench: no 1 MiB buffer\n");
        return 1;
    }
    touch();
    t0 = hm_now();
    for (int i = 0; i < N_TOUCH; i++) {
        hm_thread_switch(peer_th);
        touch();
    }
    t1 = hm_now();
    report("handoff_touch256", N_TOUCH, t1 - t0);

    /* cross-process call + reply */
    long ep = hm_ep_create();
    struct hm_spawn_handle hs = { "ep", (hm_handle_t)ep, HM_R_RECV };
    long srv = spawn_server(&hs, 1);
    struct hm_msg m = { .tag = 0 };
    hm_call((hm_handle_t)ep, &m);   /* warm up: server now waits in reply_recv */
    t0 = hm_now();
    for (int i = 0; i < N; i++) {
        m.tag = 0;
        hm_call((hm_handle_t)ep, &m);
    }
    t1 = hm_now();
    report("call_reply_xproc", N, t1 - t0);
    t0 = hm_now();
    for (int i = 0; i < N_TOUCH; i++) {
        m.tag = 0;
        hm_call((hm_handle_t)ep, &m);
        touch();
    }
    t1 = hm_now();
    report("call_reply_touch256", N_TOUCH, t1 - t0);
    hm_proc_kill((hm_handle_t)srv);

    /* cross-process notification round trip */
    long n1 = hm_notif_create(), n2 = hm_notif_create();
    struct hm_spawn_handle nh[2] = { { "n1", (hm_handle_t)n1, HM_R_WAIT }, { "n2", (hm_handle_t)n2, HM_R_SIGNAL } };
    srv = spawn_server(nh, 2);
    uint64_t bits;
    hm_notif_signal((hm_handle_t)n1, 1);
    hm_notif_wait((hm_handle_t)n2, HM_DEADLINE_NEVER, &bits);
    t0 = hm_now();
    for (int i = 0; i < N; i++) {
        hm_notif_signal((hm_handle_t)n1, 1);
        hm_notif_wait((hm_handle_t)n2, HM_DEADLINE_NEVER, &bits);
    }
    t1 = hm_now();
    report("notif_roundtrip_xproc", N, t1 - t0);
    hm_proc_kill((hm_handle_t)srv);
    printf("bench done\n");
    return 0;
}
