/* Review: threads doing random IPC / notification / sleep / park / switch
 * operations on shared objects while a killer thread kills and replaces
 * them. The kernel must survive and give everything back. */
#include "ktest.h"
#include <string.h>

#define NW 12
#define ROUNDS 600

static hm_handle_t ep, ep_send, notif;
static struct hm_thread th[NW];
static struct hm_ipc_buf bufs[NW];
static volatile int alive[NW];
static volatile uint64_t ops;

static uint64_t rnd(uint64_t *s) { *s ^= *s << 13; *s ^= *s >> 7; *s ^= *s << 17; return *s; }

static void *worker(void *a)
{
    int me = (int)(long)a;
    uint64_t s = 0x9e3779b97f4a7c15ull * (uint64_t)(me + 1) ^ hm_now();
    hm_ipc_buf_set(&bufs[me]);
    struct hm_msg m;
    for (;;) {
        ops++;
        uint64_t r = rnd(&s);
        switch (r % 13) {
        case 0: case 1: {
            unsigned nh = (unsigned)(r >> 8) % 3, nw = (unsigned)(r >> 12) % 4;
            long d[2] = { -1, -1 };
            for (unsigned i = 0; i < nh; i++) {
                d[i] = hm_handle_dup(((r >> 16) & 1) ? ep : notif, HM_R_ALL, 0);
                bufs[me].handles[i] = (hm_handle_t)d[i];
            }
            m.tag = HM_TAG(1, nw, nh) | (((r >> 20) & 1) ? HM_TAG_MOVE : 0);
            hm_call(((r >> 24) & 1) ? ep : ep_send, &m);
            for (unsigned i = 0; i < nh; i++)
                hm_handle_close((hm_handle_t)d[i]);
            break;
        }
        case 2: case 3:
            if (hm_recv(ep, &m, ((r >> 8) & 1) ? HM_DEADLINE_POLL : hm_deadline_ms(2)) >= 0) {
                for (unsigned i = 0; i < HM_TAG_NHANDLES(m.tag); i++)
                    hm_handle_close(bufs[me].handles[i]);
                m.tag = HM_TAG(2, (r >> 9) & 1, 0);
                if ((r >> 10) & 1)
                    hm_reply(&m);
                else if ((r >> 11) & 1)
                    hm_reply_recv(ep, &m);   /* may block; the killer ends it */
            }
            break;
        case 4: {
            uint64_t b;
            hm_notif_wait(notif, hm_deadline_ms((r >> 8) % 3), &b);
            break;
        }
        case 5: hm_notif_signal(notif, 1); break;
        case 6: hm_sleep_until(hm_deadline_ms((r >> 8) % 2)); break;
        case 7: hm_thread_yield(); break;
        case 8: hm_thread_park(); break;
        case 9: {
            int o = (int)((r >> 8) % NW);
            if (alive[o] && o != me)
                hm_thread_switch(th[o].h);
            break;
        }
        case 10: {
            int o = (int)((r >> 8) % NW);
            if (alive[o])
                hm_thread_resume(th[o].h);
            break;
        }
        case 11: {
            long d = hm_handle_dup(ep, HM_R_RECV | HM_R_SEND, 0);   /* receive-handle counting */
            hm_handle_close((hm_handle_t)d);
            break;
        }
        case 12:
            hm_thread_set_prio(th[me].h, HM_PRIO_MAX - 4 - (int)((r >> 8) % 2));
            break;
        }
    }
    return NULL;
}

static int start(int i)
{
    int r = hm_thread_start(&th[i], worker, (void *)(long)i, HM_PRIO_MAX - 4, 1);
    alive[i] = r == 0;
    return r;
}

static void stop(int i)
{
    if (!alive[i])
        return;
    alive[i] = 0;
    hm_thread_kill(th[i].h);
    hm_handle_close(th[i].h);
    hm_vm_unmap(HM_HANDLE_SELF_PROC, (uint64_t)th[i].stack);
    hm_handle_close(th[i].stack_mem);
}

int main(void)
{
    kt_init("rv_fuzz");
    ep = (hm_handle_t)hm_ep_create();
    ep_send = (hm_handle_t)hm_handle_dup(ep, HM_R_SEND | HM_R_GRANT, 0x77);
    notif = (hm_handle_t)hm_notif_create();
    /* settle the heap first so the page count below compares like with like */
    for (int i = 0; i < NW; i++)
        start(i);
    for (int i = 0; i < NW; i++)
        stop(i);
    long free0 = kt_stat("free_pages");
    uint64_t s = 12345;
    for (int i = 0; i < NW; i++)
        start(i);
    for (int round = 0; round < ROUNDS; round++) {
        hm_sleep_until(hm_deadline_ms(1));
        int v = (int)(rnd(&s) % NW);
        stop(v);
        start(v);
        if (round % 50 == 0) {
            for (int i = 0; i < NW; i++)
                if (alive[i])
                    hm_thread_resume(th[i].h);
        }
    }
    for (int i = 0; i < NW; i++)
        stop(i);
    printf("# %lu worker operations\n", (unsigned long)ops);
    KT_CHECK(ops > 1000, "workers made progress");
    long free1 = kt_stat("free_pages");
    kt_report(free0 - free1 <= 32, "no pages lost", "before %ld after %ld", free0, free1);
    long p = kt_spawn("exit", "7", NULL, 0, HM_HANDLE_INVALID);
    KT_EQ(kt_wait((hm_handle_t)p, 2000), 7, "kernel still runs programs");
    return kt_finish();
}
