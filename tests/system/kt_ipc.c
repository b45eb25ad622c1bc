/* IPC: call/reply across processes with the direct switch, badges, extra
 * words and handle transfer through the IPC buffer, timeouts, and what a
 * client sees when the server dies or the endpoint closes. */
#include "ktest.h"
#include <string.h>

static struct hm_ipc_buf buf;

/* triples w[0] until its endpoint goes away */
static hm_handle_t local_ep;
static void *local_server(void *arg)
{
    (void)arg;
    struct hm_msg m;
    long r = hm_recv(local_ep, &m, HM_DEADLINE_NEVER);
    while (r >= 0) {
        m.tag = 0;
        m.w[0] *= 3;
        r = hm_reply_recv(local_ep, &m);
    }
    return NULL;
}

static hm_handle_t start_server(hm_handle_t ep)
{
    struct hm_spawn_handle hs = { "ep", ep, HM_R_RECV };
    long p = kt_spawn("server", NULL, &hs, 1, HM_HANDLE_INVALID);
    return (hm_handle_t)p;
}

int main(void)
{
    kt_init("ipc");
    hm_ipc_buf_set(&buf);
    long ep = hm_ep_create();
    KT_OK(ep, "create endpoint");
    hm_handle_t srv = start_server((hm_handle_t)ep);
    KT_OK(srv, "spawn server process");

    /* a badged send-only handle: the server sees the badge */
    long cli = hm_handle_dup((hm_handle_t)ep, HM_R_SEND, 0x5eed);
    KT_OK(cli, "mint badged send handle");
    long fast0 = kt_stat("ipc_fast"), as0 = kt_stat("as_switches");
    struct hm_msg m = { .tag = HM_TAG(7, 0, 0), .w = { 1, 2, 3, 4, 5, 6 } };
    long r = hm_call((hm_handle_t)cli, &m);
    KT_EQ(r, 0, "call returns 0");
    KT_EQ(HM_TAG_LABEL(m.tag), 8, "reply label from server");
    KT_CHECK(m.w[0] == 2 && m.w[1] == 4 && m.w[2] == 6 && m.w[3] == 8 && m.w[4] == 10, "reply words in registers");
    KT_EQ(m.w[5], 0x5eed, "server saw the badge of our handle");
    for (int i = 0; i < 100; i++) {
        m.tag = HM_TAG(1, 0, 0);
        m.w[0] = (uint64_t)i;
        hm_call((hm_handle_t)cli, &m);
        if (m.w[0] != (uint64_t)i * 2)
            break;
    }
    KT_EQ(m.w[0], 198, "100 round trips");
    KT_CHECK(kt_stat("ipc_fast") - fast0 >= 200, "call and reply_recv take the direct-switch path");
    KT_CHECK(kt_stat("as_switches") - as0 >= 200, "a direct switch to another process switches the address space");

    /* a server thread of our own process: the direct switch keeps the
     * address space (the fast path counts such legs apart, kstat subtracts
     * them from its as_switches) */
    long lep = hm_ep_create();
    KT_OK(lep, "create endpoint for a thread of ours");
    local_ep = (hm_handle_t)lep;
    struct hm_thread local;
    KT_EQ(hm_thread_start(&local, local_server, NULL, HM_PRIO_MAX - 3, 1), 0, "start a server thread");
    m.tag = HM_TAG(1, 0, 0);
    m.w[0] = 5;
    KT_CHECK(hm_call((hm_handle_t)lep, &m) == 0 && m.w[0] == 15, "our thread answers (now waiting in reply_recv)");
    fast0 = kt_stat("ipc_fast");
    as0 = kt_stat("as_switches");
    for (int i = 0; i < 100; i++) {
        m.tag = HM_TAG(1, 0, 0);
        m.w[0] = (uint64_t)i;
        if (hm_call((hm_handle_t)lep, &m) != 0 || m.w[0] != (uint64_t)i * 3)
            break;
    }
    KT_EQ(m.w[0], 297, "100 round trips with a thread of ours");
    long fast_local = kt_stat("ipc_fast") - fast0, as_local = kt_stat("as_switches") - as0;
    kt_report(fast_local >= 200, "they take the direct-switch path", "ipc_fast grew by %ld", fast_local);
    kt_report(as_local < 20, "without switching the address space", "as_switches grew by %ld", as_local);

    /* re-badging a badged handle is refused; rights only shrink */
    KT_EQ(hm_handle_dup((hm_handle_t)cli, HM_R_SEND, 0x1234), -HM_EPERM, "cannot change a badge");
    long norights = hm_handle_dup((hm_handle_t)ep, HM_R_RECV, 0);
    KT_OK(norights, "dup with RECV only");
    m.tag = HM_TAG(1, 0, 0);
    KT_EQ(hm_call((hm_handle_t)norights, &m), -HM_EPERM, "call without SEND right");
    long n = hm_notif_create();
    KT_EQ(hm_call((hm_handle_t)n, &m), -HM_ETYPE, "call on a notification");
    KT_EQ(hm_call(4000, &m), -HM_EBADH, "call on a bad handle");
    KT_EQ(hm_call(-5, &m), -HM_EBADH, "call on a negative handle");

    /* extra words and a handle through the buffer */
    for (int i = 0; i < 10; i++)
        buf.words[i] = (uint64_t)i + 1;
    buf.handles[0] = (hm_handle_t)n;
    m.tag = HM_TAG(100, 10, 1);
    r = hm_call((hm_handle_t)cli, &m);
    KT_EQ(r, 0, "call with 10 extra words and a handle");
    KT_EQ(m.w[4], 10, "server got 10 extra words");
    KT_EQ(m.w[3], 55, "extra words intact");
    KT_EQ(m.w[0], 1, "server got one handle");
    KT_EQ(m.w[1], HM_OBJ_NOTIF, "transferred handle names the notification");
    struct hm_handle_info info;
    KT_EQ(hm_handle_info((hm_handle_t)n, &info), 0, "copied handle still ours");

    /* move: the sender loses the handle */
    long n2 = hm_handle_dup((hm_handle_t)n, HM_R_SIGNAL | HM_R_GRANT, 0);
    buf.handles[0] = (hm_handle_t)n2;
    m.tag = HM_TAG(100, 0, 1) | HM_TAG_MOVE;
    r = hm_call((hm_handle_t)cli, &m);
    KT_CHECK(r == 0 && m.w[0] == 1 && m.w[2] == (HM_R_SIGNAL | HM_R_GRANT), "moved handle arrives with its rights");
    KT_EQ(hm_handle_info((hm_handle_t)n2, &info), -HM_EBADH, "moved handle gone from sender");

    /* transfer needs GRANT; bad counts; bad buffer */
    long nogrant = hm_handle_dup((hm_handle_t)n, HM_R_SIGNAL, 0);
    buf.handles[0] = (hm_handle_t)nogrant;
    m.tag = HM_TAG(100, 0, 1);
    KT_EQ(hm_call((hm_handle_t)cli, &m), -HM_EPERM, "handle without GRANT cannot be sent");
    buf.handles[0] = 3999;
    m.tag = HM_TAG(100, 0, 1);
    KT_EQ(hm_call((hm_handle_t)cli, &m), -HM_EBADH, "bad handle in the buffer");
    m.tag = HM_TAG(100, 65, 0);
    KT_EQ(hm_call((hm_handle_t)cli, &m), -HM_EINVAL, "more than 64 extra words");
    m.tag = HM_TAG(100, 0, 5);
    KT_EQ(hm_call((hm_handle_t)cli, &m), -HM_EINVAL, "more than 4 handles");
    KT_EQ(hm_ipc_buf_set((struct hm_ipc_buf *)0x1000), -HM_EFAULT, "IPC buffer at unmapped address");
    KT_EQ(hm_ipc_buf_set((struct hm_ipc_buf *)(uintptr_t)main), -HM_EFAULT, "IPC buffer in read-only text");
    KT_EQ(hm_ipc_buf_set(NULL), 0, "clear IPC buffer");
    m.tag = HM_TAG(100, 2, 0);
    KT_EQ(hm_call((hm_handle_t)cli, &m), -HM_EINVAL, "extra words without an IPC buffer");
    hm_ipc_buf_set(&buf);

    /* recv timeouts and reply without caller */
    long ep2 = hm_ep_create();
    uint64_t t0 = hm_now();
    r = hm_recv((hm_handle_t)ep2, &m, t0 + hm_ms(20));
    KT_EQ(r, -HM_ETIMEDOUT, "recv with a deadline times out");
    KT_CHECK(hm_now() >= t0 + hm_ms(20), "recv timed out no earlier than its deadline");
    long sw = kt_stat("switches");
    KT_EQ(hm_recv((hm_handle_t)ep2, &m, HM_DEADLINE_POLL), -HM_ETIMEDOUT, "recv poll with no sender");
    KT_EQ(kt_stat("switches") - sw, 0, "recv poll returns without blocking");
    m.tag = 0;
    KT_EQ(hm_reply(&m), -HM_ESTATE, "reply with no caller");

    /* server killed while holding our call: the call fails with ECLOSED */
    hm_proc_kill(srv);
    KT_CHECK(kt_wait(srv, 1000) == HM_PROC_EXIT_KILLED, "server killed");
    long ep3 = hm_ep_create();
    hm_handle_t srv3 = start_server((hm_handle_t)ep3);
    long send3 = hm_handle_dup((hm_handle_t)ep3, HM_R_SEND, 0);
    hm_handle_close((hm_handle_t)ep3);   /* only the server can receive now */
    m.tag = HM_TAG(1, 0, 0);
    KT_EQ(hm_call((hm_handle_t)send3, &m), 0, "second server answers");
    /* label 99: the server keeps the call; a watchdog thread kills it */
    static hm_handle_t victim;
    victim = srv3;
    struct hm_thread killer;
    void *kill_later(void *a)
    {
        (void)a;
        hm_sleep_until(hm_deadline_ms(30));
        hm_proc_kill(victim);
        return NULL;
    }
    hm_thread_start(&killer, kill_later, NULL, HM_PRIO_MAX - 3, 1);
    m.tag = HM_TAG(99, 0, 0);
    KT_EQ(hm_call((hm_handle_t)send3, &m), -HM_ECLOSED, "kill during IPC: caller gets ECLOSED");
    KT_EQ(hm_call((hm_handle_t)send3, &m), -HM_ECLOSED, "endpoint closed once its receiver died");
    long keep = hm_handle_dup((hm_handle_t)n, HM_R_SIGNAL | HM_R_GRANT, 0);
    buf.handles[0] = (hm_handle_t)keep;
    m.tag = HM_TAG(100, 0, 1) | HM_TAG_MOVE;
    KT_EQ(hm_call((hm_handle_t)send3, &m), -HM_ECLOSED, "move to a closed endpoint fails");
    KT_EQ(hm_handle_info((hm_handle_t)keep, &info), 0, "and the handle stays with the caller");

    /* a client blocked in the send queue sees the endpoint close */
    long ep4 = hm_ep_create();
    struct hm_spawn_handle hs = { "ep", (hm_handle_t)ep4, HM_R_SEND };
    long c = kt_spawn("client", NULL, &hs, 1, HM_HANDLE_INVALID);
    hm_sleep_until(hm_deadline_ms(20));
    hm_handle_close((hm_handle_t)ep4);
    KT_EQ(kt_wait((hm_handle_t)c, 1000), HM_ECLOSED, "queued caller released with ECLOSED when endpoint closes");
    return kt_finish();
}
