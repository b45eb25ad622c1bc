/* Review finding: closing an endpoint releases the handles its queued
 * senders carry; if one carries the last receive handle of a second
 * endpoint, that one is closed from inside the first close, and so on: one
 * kernel frame set per link (ipc_endpoint_close -> ipc_release_staged ->
 * xfer_release -> ipc_endpoint_close). A long chain overflowed the kernel
 * stack. */
#include "ktest.h"
#include <stdlib.h>

#define N 400

static hm_handle_t recv_h[N + 1], send_h[N];
static struct hm_ipc_buf *bufs;
static volatile int queued;
static volatile long result[N];

static void *sender(void *a)
{
    int i = (int)(long)a;
    hm_ipc_buf_set(&bufs[i]);
    bufs[i].handles[0] = recv_h[i + 1];
    struct hm_msg m = { .tag = HM_TAG(1, 0, 1) | HM_TAG_MOVE };
    queued++;
    result[i] = hm_call(send_h[i], &m);   /* blocks: nobody receives on endpoint i */
    return NULL;
}

int main(void)
{
    kt_init("rv_epchain");
    bufs = calloc(N, sizeof *bufs);
    int ok = bufs != NULL;
    for (int i = 0; ok && i <= N; i++) {
        long e = hm_ep_create();
        long s = e >= 0 ? hm_handle_dup((hm_handle_t)e, HM_R_SEND, 0) : -1;
        ok = e >= 0 && s >= 0;
        recv_h[i] = (hm_handle_t)e;
        if (i < N)
            send_h[i] = (hm_handle_t)s;
    }
    KT_CHECK(ok, "created endpoints");
    static struct hm_thread th[N];
    int started = 0;
    /* thread i waits in call on endpoint i, carrying (moving) endpoint i+1's
     * only receive handle */
    for (int i = N - 1; ok && i >= 0; i--) {
        if (hm_thread_start(&th[i], sender, (void *)(long)i, HM_PRIO_MAX - 2, 1) < 0)
            break;
        started++;
    }
    while (queued < started)
        hm_thread_yield();
    hm_sleep_until(hm_deadline_ms(20));
    KT_EQ(started, N, "senders queued");
    printf("# closing the first of %d chained endpoints\n", started);
    KT_EQ(hm_handle_close(recv_h[0]), 0, "close the first endpoint's receive handle");
    hm_sleep_until(hm_deadline_ms(50));
    int closed = 0;
    for (int i = 0; i < started; i++)
        closed += result[i] == -HM_ECLOSED;
    KT_EQ(closed, started, "every queued sender got ECLOSED");
    long p = kt_spawn("exit", "7", NULL, 0, HM_HANDLE_INVALID);
    KT_EQ(kt_wait((hm_handle_t)p, 2000), 7, "kernel still runs programs");
    return kt_finish();
}
