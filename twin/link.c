/* A twin's link to its LDC (link.h): error reports and events, on a thread
 * of their own. */
#include "link.h"
#include <hm/dc.h>
#include <hm/twin.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>

#define LINK_ERR_BIT 1ull
#define LINK_CONFIG_BIT 2ull
#define LINK_SWAP_BIT 4ull   /* a new LDC: ldc_next replaces ldc */
#define LINK_IRQ_BIT 8ull
#define ERR_WAIT_MS 2000

static const char *who, *name;
static hm_handle_t dnotif, link_notif, err_timer;
static hm_handle_t ldc = HM_HANDLE_INVALID, ldc_next = HM_HANDLE_INVALID;   /* the LDC's endpoint */
static struct hm_ipc_buf link_buf;
static int event_result;

/* failed requests on their way through the LDC: 0 free, 1 reported (the
 * link thread owns it), 2 answered (verdict: the status the request
 * completes with, a negative errno), 3 given up by the data plane (the
 * link thread frees it) */
#define MAX_ERRS 32
static struct err {
    int state;
    struct vs_session *s;
    struct vs_req rq;
    uint64_t since;
    uint32_t status;
    int verdict;
} errs[MAX_ERRS];

static int err_timer_armed;   /* data-plane thread only */

static int cas(int *p, int from, int to)
{
    return __atomic_compare_exchange_n(p, &from, to, 0, __ATOMIC_SEQ_CST, __ATOMIC_SEQ_CST);
}

/* ---- data-plane thread ---- */
int tl_error(struct vs_session *s, const struct vs_req *rq, uint32_t status)
{
    for (int i = 0; i < MAX_ERRS; i++) {
        struct err *e = &errs[i];
        if (__atomic_load_n(&e->state, __ATOMIC_SEQ_CST))
            continue;
        *e = (struct err){ 0, s, *rq, hm_now(), status, 0 };
        __atomic_store_n(&e->state, 1, __ATOMIC_SEQ_CST);
        if (!err_timer_armed) {   /* else the earliest report's deadline stands */
            hm_timer_set(err_timer, e->since + hm_ms(ERR_WAIT_MS));
            err_timer_armed = 1;
        }
        hm_notif_signal(link_notif, LINK_ERR_BIT);
        return 1;
    }
    fprintf(stderr, "%s: %s: more than %d I/O errors waiting for the LDC: EIO without it\n", who, name, MAX_ERRS);
    return 0;
}

void tl_bits(uint64_t bits)
{
    if (!(bits & (TL_VERDICT_BIT | TL_TIMEOUT_BIT)))
        return;
    uint64_t now = hm_now(), next = HM_DEADLINE_NEVER;
    for (int i = 0; i < MAX_ERRS; i++) {
        struct err *e = &errs[i];
        if (cas(&e->state, 2, 2)) {
            if (e->verdict == -EAGAIN)
                vs_retry(&e->rq);   /* Linux says: again (it caps the tries, so does vs_retry) */
            else
                vs_finish(e->s, e->rq.id, e->verdict);
            __atomic_store_n(&e->state, 0, __ATOMIC_SEQ_CST);
        } else if (__atomic_load_n(&e->state, __ATOMIC_SEQ_CST) == 1) {
            uint64_t due = e->since + hm_ms(ERR_WAIT_MS);
            if (now >= due && cas(&e->state, 1, 3)) {
                fprintf(stderr, "%s: %s: the LDC did not answer an I/O error report in %d ms: EIO\n", who, name,
                        ERR_WAIT_MS);
                vs_finish(e->s, e->rq.id, -EIO);
            } else if (due < next) {
                next = due;
            }
        }
    }
    hm_timer_set(err_timer, next);
    err_timer_armed = next != HM_DEADLINE_NEVER;
}

void tl_event(int kind)
{
    hm_notif_signal(link_notif, kind == HM_TWIN_EV_IRQ ? LINK_IRQ_BIT : LINK_CONFIG_BIT);
}

int tl_event_result(void)
{
    return __atomic_load_n(&event_result, __ATOMIC_SEQ_CST);
}

/* ---- control thread ---- */
void tl_set_ldc(hm_handle_t h)
{
    hm_handle_t old = __atomic_exchange_n(&ldc_next, h, __ATOMIC_SEQ_CST);
    if (old >= 0)
        hm_handle_close(old);   /* a newer LDC came before the link thread took that one */
    hm_notif_signal(link_notif, LINK_SWAP_BIT);
}

/* ---- link thread: the only one that calls the LDC ---- */
static int event(int kind)
{
    struct hm_msg m = { .tag = HM_TAG(HM_DC_TWIN_EVENT, 0, 0), .w = { (uint64_t)kind } };
    long r = ldc < 0 ? -HM_ECLOSED : hm_call(ldc, &m);
    int err = r < 0 ? -EPIPE : -(int)HM_TAG_LABEL(m.tag);
    if (err && kind == HM_TWIN_EV_CONFIG)
        fprintf(stderr, "%s: %s: the LDC did not take a configuration change: %s\n", who, name, strerror(-err));
    return err;
}

static void *link_loop(void *arg)
{
    (void)arg;
    hm_ipc_buf_set(&link_buf);
    for (;;) {
        uint64_t bits = 0;
        hm_notif_wait(link_notif, HM_DEADLINE_NEVER, &bits);
        if (bits & LINK_SWAP_BIT) {
            if (ldc >= 0)
                hm_handle_close(ldc);   /* the old LDC's endpoint: it is gone */
            ldc = __atomic_exchange_n(&ldc_next, HM_HANDLE_INVALID, __ATOMIC_SEQ_CST);
        }
        if (bits & LINK_CONFIG_BIT)
            event(HM_TWIN_EV_CONFIG);
        if (bits & LINK_IRQ_BIT) {
            __atomic_store_n(&event_result, event(HM_TWIN_EV_IRQ), __ATOMIC_SEQ_CST);
            hm_notif_signal(dnotif, TL_EVENT_DONE_BIT);
        }
        for (int i = 0; i < MAX_ERRS; i++) {
            struct err *e = &errs[i];
            if (cas(&e->state, 3, 0))
                continue;   /* given up before we reported it: free again */
            if (__atomic_load_n(&e->state, __ATOMIC_SEQ_CST) != 1)
                continue;
            struct hm_msg m = { .tag = HM_TAG(HM_DC_TWIN_ERROR, 0, 0),
                                .w = { e->rq.op, e->rq.sector, e->rq.len, e->status, (uint64_t)e->rq.unit,
                                       e->rq.tries } };
            long r = ldc < 0 ? -HM_ECLOSED : hm_call(ldc, &m);
            /* the LDC's verdict (a negative errno), or EIO if it cannot give one */
            int64_t v = (int64_t)m.w[0];
            e->verdict = r < 0 || HM_TAG_LABEL(m.tag) || v >= 0 || v < -4095 ? -EIO : (int)v;
            if (!cas(&e->state, 1, 2))
                __atomic_store_n(&e->state, 0, __ATOMIC_SEQ_CST);   /* the data plane gave up on it */
            else
                hm_notif_signal(dnotif, TL_VERDICT_BIT);
        }
    }
    return NULL;
}

int tl_start(const char *w, const char *n, hm_handle_t dn, int prio)
{
    static struct hm_thread lt;
    who = w;
    name = n;
    dnotif = dn;
    long ln = hm_notif_create();
    long t = hm_timer_create(dn, TL_TIMEOUT_BIT);
    if (ln < 0 || t < 0)
        return -1;
    link_notif = (hm_handle_t)ln;
    err_timer = (hm_handle_t)t;
    return hm_thread_start(&lt, link_loop, NULL, prio, 1) < 0 ? -1 : 0;
}
