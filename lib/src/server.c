/* The server loop (hm/server.h). */
#include <hm/server.h>
#include <hm/proto.h>
#include <errno.h>

/* the operation for this label and caller class; *known: some entry names the label */
static const struct hm_srv_op *find_op(const struct hm_srv *s, uint32_t label, uint32_t caller, int *known)
{
    *known = 0;
    for (unsigned i = 0; i < s->nops; i++) {
        if (s->ops[i].label != label)
            continue;
        *known = 1;
        if (s->ops[i].callers & caller)
            return &s->ops[i];
    }
    return NULL;
}

/* Decode, check, run the handler, and turn its result into the reply in
 * q->m. Returns 1 if a reply is due, 0 if not (HM_SRV_NOREPLY). */
static int dispatch(struct hm_srv *s, struct hm_srv_req *q)
{
    if (s->gate)
        s->gate();
    uint32_t label = HM_TAG_LABEL(q->m.tag);
    unsigned nh = HM_TAG_NHANDLES(q->m.tag);
    q->nwords = HM_TAG_NWORDS(q->m.tag);
    q->caller = s->classify ? s->classify(q->m.badge) : 1;
    q->reply_words = q->reply_handles = 0;
    q->reply_move = 0;
    int known;
    const struct hm_srv_op *op = find_op(s, label, q->caller, &known);
    /* the handles: those the operation takes are the handler's; any other
     * is closed now, so nothing a caller sends stays behind */
    unsigned take = op && op->nhandles == nh ? nh : 0;
    for (unsigned i = 0; i < HM_IPC_MAX_HANDLES; i++)
        q->h[i] = i < take ? s->buf->handles[i] : HM_HANDLE_INVALID;
    for (unsigned i = take; i < nh; i++)
        hm_handle_close(s->buf->handles[i]);
    q->nh = take;
    int st;
    if (!known)
        st = -EINVAL;   /* not a request of this server's protocols */
    else if (!op)
        st = -EPERM;    /* not this caller's to ask */
    else if (op->nhandles && nh != op->nhandles)
        st = -EINVAL;   /* without the handles it needs */
    else
        st = op->fn(q);
    for (unsigned i = 0; i < take; i++)
        if (q->h[i] >= 0)
            hm_handle_close(q->h[i]);
    if (st == HM_SRV_NOREPLY)
        return 0;
    if (st > 0 || st < -(int)HM_STATUS_MAX)
        st = -EIO;   /* not a status: never let it look like a request label */
    if (st && q->reply_move)
        for (unsigned i = 0; i < q->reply_handles && i < HM_IPC_MAX_HANDLES; i++)
            hm_handle_close(s->buf->handles[i]);   /* a failure sends nothing: do not lose them */
    unsigned nw = st ? 0 : q->reply_words, rh = st ? 0 : q->reply_handles;
    if (nw > HM_IPC_BUF_WORDS)
        nw = HM_IPC_BUF_WORDS;
    if (rh > HM_IPC_MAX_HANDLES)
        rh = HM_IPC_MAX_HANDLES;
    q->m.tag = HM_TAG((uint32_t)-st, nw, rh) | (rh && q->reply_move ? HM_TAG_MOVE : 0);
    return 1;
}

long hm_srv_run(struct hm_srv *s)
{
    long r = hm_ipc_buf_set(s->buf);
    if (r < 0)
        return r;
    struct hm_srv_req q = { .buf = s->buf };
    int answer = 0;
    for (;;) {
        if (answer) {
            r = hm_reply_recv(s->ep, &q.m);
            /* the reply could not be delivered (its caller is gone, or a
             * reply handle was bad; its caller then gets ECLOSED): receive
             * the next request anyway. A closed endpoint fails that too. */
            if (r < 0)
                r = hm_recv(s->ep, &q.m, HM_DEADLINE_NEVER);
        } else {
            r = hm_recv(s->ep, &q.m, HM_DEADLINE_NEVER);
        }
        if (r < 0)
            return r;
        answer = dispatch(s, &q);
    }
}
