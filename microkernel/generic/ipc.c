/*
 * Synchronous IPC on endpoints: call / recv / reply / reply_recv.
 *
 * The six inline words travel register to register (trap frame to trap
 * frame); extra words and handles go through each side's registered IPC
 * buffer and are staged in the sender's thread at call time, so a message
 * never changes after it was sent. When a receiver is already waiting, call
 * and reply_recv switch straight to the partner thread without consulting
 * the run queues (sched_can_direct checks nothing outranks it).
 *
 * A server thread holds at most one caller (reply_to); if it receives again
 * without replying, that caller gets HM_ECLOSED. If either side dies, the
 * other is unblocked with HM_ECLOSED. Faults reach supervisors as calls.
 *
 * Threads queued on an endpoint hold no reference to it: an endpoint with a
 * receive handle is referenced by that handle, and when the last receive
 * handle goes, ipc_endpoint_close() empties both queues first.
 */
#include <kernel/object.h>

#define CUR_PROC (current->proc)

static void xfer_release(struct xfer_handle *x)
{
    if (x->obj->type == HM_OBJ_EP && (x->rights & HM_R_RECV)) {
        struct endpoint *ep = (struct endpoint *)x->obj;
        if (--ep->recv_handles == 0)
            ipc_endpoint_close(ep);
    }
    obj_unref(x->obj);
    x->obj = NULL;
}

void ipc_release_staged(struct thread *t)
{
    for (uint32_t i = 0; i < t->nstaged_h; i++)
        xfer_release(&t->msg.h[i]);
    t->nstaged_h = 0;
    t->msg_staged = false;
}

/* copy the extra words and take the handles named in the sender's IPC buffer */
static int stage_extras(struct thread *t, uint64_t tag)
{
    unsigned nw = HM_TAG_NWORDS(tag), nh = HM_TAG_NHANDLES(tag);
    if (nw > HM_IPC_BUF_WORDS || nh > HM_IPC_MAX_HANDLES)
        return -HM_EINVAL;
    if (!nw && !nh)
        return 0;
    if (!t->ipc_buf)
        return -HM_EINVAL;
    struct vspace *vs = &t->proc->vs;
    if (copy_from_user(vs, t->msg.extra, t->ipc_buf, nw * 8))
        return -HM_EFAULT;
    hm_handle_t hv[HM_IPC_MAX_HANDLES];
    if (copy_from_user(vs, hv, t->ipc_buf + offsetof(struct hm_ipc_buf, handles), nh * sizeof(hm_handle_t)))
        return -HM_EFAULT;
    /* decode all before acting on any */
    for (unsigned i = 0; i < nh; i++) {
        struct hslot *s;
        int err = handle_get(t->proc, hv[i], HM_OBJ_NONE, HM_R_GRANT, &s);
        if (err)
            return err;
        for (unsigned j = 0; j < i; j++)
            if (hv[j] == hv[i] && (tag & HM_TAG_MOVE))
                return -HM_EINVAL;
    }
    for (unsigned i = 0; i < nh; i++) {
        struct hslot *s = htab_lookup(&t->proc->handles, hv[i]);
        struct xfer_handle *x = &t->msg.h[i];
        x->obj = s->obj;
        x->rights = s->rights;
        x->badge = s->badge;
        obj_ref(x->obj);
        if (x->obj->type == HM_OBJ_EP && (x->rights & HM_R_RECV))
            ((struct endpoint *)x->obj)->recv_handles++;   /* in flight still counts */
        if (tag & HM_TAG_MOVE)
            handle_close(t->proc, hv[i]);
    }
    t->nstaged_h = nh;
    return 0;
}

/* move s's message into r's registers and buffer; result code 0 in r's x0 */
static void transfer(struct thread *s, struct thread *r, uint64_t badge)
{
    const uint64_t *in = s->msg_staged ? &s->msg.tag : &s->tf->x[1];
    uint64_t *out = &r->tf->x[0];
    uint64_t tag = in[0];
    out[0] = 0;
    out[1] = tag;
    out[2] = in[1]; out[3] = in[2]; out[4] = in[3];
    out[5] = in[4]; out[6] = in[5]; out[7] = in[6];
    out[8] = badge;
    s->msg_staged = false;
    unsigned nw = HM_TAG_NWORDS(tag), nh = s->nstaged_h;
    if (likely(!nw && !nh))
        return;
    /* extras: a receiver without a usable buffer gets the inline part only */
    struct vspace *vs = &r->proc->vs;
    if (!r->ipc_buf || copy_to_user(vs, r->ipc_buf, s->msg.extra, nw * 8))
        nw = 0;
    unsigned delivered = 0;
    for (unsigned i = 0; i < nh; i++) {
        struct xfer_handle *x = &s->msg.h[i];
        int32_t h = -1;
        if (r->ipc_buf && nw == HM_TAG_NWORDS(tag))
            h = handle_install(r->proc, x->obj, x->rights, x->badge);
        if (h >= 0 && !copy_to_user(vs, r->ipc_buf + offsetof(struct hm_ipc_buf, handles) +
                                    delivered * sizeof(hm_handle_t), &h, sizeof h))
            delivered++;
        else if (h >= 0)
            handle_close(r->proc, h);
        xfer_release(x);   /* drops the in-flight reference (and receiver count) */
    }
    s->nstaged_h = 0;
    out[1] = (tag & ~(0xffull << 32) & ~(7ull << 40)) | ((uint64_t)nw << 32) | ((uint64_t)delivered << 40);
}

/* wake receiver r for sender s: r now serves s */
static void pair(struct thread *s, struct thread *r, uint64_t badge)
{
    transfer(s, r, badge);
    s->state = T_REPLY;
    s->reply_from = r;
    r->reply_to = s;
}

static struct thread *take_waiter(struct list *q)
{
    struct thread *t = list_entry(q->next, struct thread, qlink);
    list_del(&t->qlink);
    t->queue = NULL;
    timeout_cancel(&t->to);
    if (t->wait_obj) {
        struct kobj *o = t->wait_obj;
        t->wait_obj = NULL;
        obj_unref(o);   /* the endpoint is still held by the caller's handle */
    }
    return t;
}

/* a server that receives again without replying abandons its caller */
static void drop_pending_caller(struct thread *srv)
{
    struct thread *c = srv->reply_to;
    if (!c)
        return;
    srv->reply_to = NULL;
    c->reply_from = NULL;
    if (c->in_fault) {
        fault_orphaned(c);   /* the supervisor dropped the fault */
        return;
    }
    thread_unblock(c, -HM_ECLOSED);
}

static int get_ep(int32_t h, uint32_t right, struct endpoint **ep, uint64_t *badge)
{
    struct hslot *s;
    int err = handle_get(CUR_PROC, h, HM_OBJ_EP, right, &s);
    if (err)
        return err;
    *ep = (struct endpoint *)s->obj;
    if (badge)
        *badge = s->badge;
    return 0;
}

void sys_call(struct trapframe *tf)
{
    struct endpoint *ep;
    uint64_t badge;
    int err = get_ep((int32_t)tf->x[0], HM_R_SEND, &ep, &badge);
    if (unlikely(err)) {
        tf->x[0] = (uint64_t)err;
        return;
    }
    struct thread *me = current;
    uint64_t tag = tf->x[1];
    if (unlikely(ep->closed)) {
        tf->x[0] = (uint64_t)-HM_ECLOSED;   /* before staging: moved handles stay with the caller */
        return;
    }
    if (unlikely(tag & (0xffull << 32 | 7ull << 40))) {
        err = stage_extras(me, tag);
        if (err) {
            ipc_release_staged(me);
            tf->x[0] = (uint64_t)err;
            return;
        }
    }
    kcpu.stats.ipc_calls++;
    if (likely(!list_empty(&ep->receivers))) {
        struct thread *r = take_waiter(&ep->receivers);
        pair(me, r, badge);
        if (likely(sched_can_direct(r))) {
            kcpu.stats.ipc_fast++;
            sched_switch_to(r);
        } else {
            sched_ready(r);
            schedule();
        }
        return;   /* the reply (or an error) is in our frame */
    }
    me->msg.badge = badge;
    thread_block(T_SEND, &ep->senders, NULL, HM_DEADLINE_NEVER);
}

/* take a queued sender if any; returns true when a message was delivered */
static bool recv_now(struct endpoint *ep, struct thread *me)
{
    if (list_empty(&ep->senders))
        return false;
    struct thread *s = take_waiter(&ep->senders);
    pair(s, me, s->msg.badge);
    return true;
}

void sys_recv(struct trapframe *tf)
{
    struct endpoint *ep;
    int err = get_ep((int32_t)tf->x[0], HM_R_RECV, &ep, NULL);
    if (err) {
        tf->x[0] = (uint64_t)err;
        return;
    }
    struct thread *me = current;
    drop_pending_caller(me);
    if (recv_now(ep, me))
        return;
    if (tf->x[1] != HM_DEADLINE_NEVER && tf->x[1] <= time_now()) {
        tf->x[0] = (uint64_t)-HM_ETIMEDOUT;   /* a poll, or a deadline already past */
        return;
    }
    thread_block(T_RECV, &ep->receivers, NULL, tf->x[1]);
}

/* deliver the reply in tf to our caller; 0 or error (caller still waits) */
static int do_reply(struct thread *me, struct trapframe *tf, struct thread **callerp)
{
    struct thread *c = me->reply_to;
    if (!c)
        return -HM_ESTATE;
    uint64_t tag = tf->x[1];
    if (unlikely(tag & (0xffull << 32 | 7ull << 40))) {
        int err = stage_extras(me, tag);
        if (err) {
            ipc_release_staged(me);
            return err;
        }
    }
    me->reply_to = NULL;
    c->reply_from = NULL;
    if (unlikely(c->in_fault)) {
        /* a fault reply resumes the thread where it faulted, registers
         * intact, or at the pc given with label HM_FAULT_RESUME_AT */
        c->in_fault = false;
        ipc_release_staged(me);
        if (HM_TAG_LABEL(tag) == HM_FAULT_RESUME_AT && tf->x[2] < HM_USER_VA_MAX && !(tf->x[2] & 3))
            c->tf->pc = tf->x[2];
    } else {
        transfer(me, c, 0);
    }
    *callerp = c;
    return 0;
}

void sys_reply(struct trapframe *tf)
{
    struct thread *c;
    int err = do_reply(current, tf, &c);
    if (!err)
        sched_ready(c);
    tf->x[0] = (uint64_t)err;
    tf->x[8] = 0;   /* no badge: x8 carries one on every IPC return */
}

void sys_reply_recv(struct trapframe *tf)
{
    struct endpoint *ep;
    struct thread *me = current, *c = NULL;
    int err = get_ep((int32_t)tf->x[0], HM_R_RECV, &ep, NULL);
    if (unlikely(err)) {
        tf->x[0] = (uint64_t)err;
        return;
    }
    if (me->reply_to) {
        /* the reply may carry away (move) the last receive handle of ep */
        obj_ref(&ep->o);
        err = do_reply(me, tf, &c);
        bool closed = ep->closed;
        obj_unref(&ep->o);
        if (err) {
            tf->x[0] = (uint64_t)err;
            return;
        }
        if (closed) {
            sched_ready(c);
            tf->x[0] = (uint64_t)-HM_ECLOSED;
            return;
        }
    }
    if (recv_now(ep, me)) {
        if (c)
            sched_ready(c);
        return;
    }
    if (c && likely(sched_can_direct(c))) {
        /* fast path: wait on the endpoint and run the caller we answered */
        me->state = T_RECV;
        list_add_tail(&ep->receivers, &me->qlink);
        me->queue = &ep->receivers;
        kcpu.stats.ipc_fast++;
        sched_switch_to(c);
        return;
    }
    if (c)
        sched_ready(c);
    thread_block(T_RECV, &ep->receivers, NULL, HM_DEADLINE_NEVER);
}

void sys_ep_create(struct trapframe *tf)
{
    struct quota *q = CUR_PROC->quota;
    int err = quota_charge(q, HM_QUOTA_EPS, 1);
    struct endpoint *ep = err ? NULL : kmalloc(sizeof *ep);
    if (!ep) {
        if (!err)
            quota_uncharge(q, HM_QUOTA_EPS, 1);
        tf->x[0] = (uint64_t)-HM_ENOMEM;
        return;
    }
    obj_init(&ep->o, HM_OBJ_EP);
    ep->quota = q;
    quota_ref(q);
    list_init(&ep->senders);
    list_init(&ep->receivers);
    int32_t h = handle_install(CUR_PROC, &ep->o, HM_R_SEND | HM_R_RECV | HM_R_GRANT | HM_R_DUP, 0);
    obj_unref(&ep->o);   /* the handle holds it now */
    tf->x[0] = (uint64_t)(int64_t)h;
}

/* Releasing a queued sender's handles may close another endpoint (the
 * sender carried its last receive handle), and so on: endpoints closed
 * meanwhile are queued and emptied by the outermost call in a loop, so a
 * chain of them cannot overflow the kernel stack. */
static struct list closing = LIST_INIT(closing);
static bool closing_busy;

static void endpoint_drain(struct endpoint *ep)
{
    while (!list_empty(&ep->senders)) {
        struct thread *s = list_entry(ep->senders.next, struct thread, qlink);
        ipc_release_staged(s);
        if (s->in_fault) {
            /* the supervisor is gone: nobody can handle this fault */
            take_waiter(&ep->senders);
            fault_orphaned(s);
            continue;
        }
        thread_unblock(s, -HM_ECLOSED);
    }
    while (!list_empty(&ep->receivers))
        thread_unblock(list_entry(ep->receivers.next, struct thread, qlink), -HM_ECLOSED);
}

void ipc_endpoint_close(struct endpoint *ep)
{
    ep->closed = true;
    obj_ref(&ep->o);   /* the closing list's */
    list_add_tail(&closing, &ep->close_link);
    if (closing_busy)
        return;        /* an outer call is looping: it will get to ep */
    closing_busy = true;
    while (!list_empty(&closing)) {
        struct endpoint *e = list_entry(closing.next, struct endpoint, close_link);
        list_del(&e->close_link);
        endpoint_drain(e);
        obj_unref(&e->o);
    }
    closing_busy = false;
}

void ipc_cancel(struct thread *t)
{
    if (t->reply_to) {
        struct thread *c = t->reply_to;
        t->reply_to = NULL;
        c->reply_from = NULL;
        if (c->in_fault) {
            fault_orphaned(c);
        } else {
            thread_unblock(c, -HM_ECLOSED);
        }
    }
    if (t->reply_from) {
        t->reply_from->reply_to = NULL;
        t->reply_from = NULL;
    }
}

int ipc_fault_send(struct thread *t, uint64_t kind, uint64_t addr, uint64_t esr)
{
    struct proc *p = t->proc;
    if (!p->sup || p->sup->closed)
        return -HM_ECLOSED;
    struct ipc_msg *m = &t->msg;
    m->tag = HM_TAG(HM_MSG_FAULT, 0, 0);
    m->w[0] = t->tid;
    m->w[1] = t->tf->pc;
    m->w[2] = addr;
    m->w[3] = kind;
    m->w[4] = esr;
    m->w[5] = p->o.koid;
    m->badge = p->sup_badge;
    t->msg_staged = true;
    t->in_fault = true;
    struct endpoint *ep = p->sup;
    if (!list_empty(&ep->receivers)) {
        struct thread *r = take_waiter(&ep->receivers);
        pair(t, r, m->badge);
        sched_ready(r);
        schedule();
        return 0;
    }
    thread_block(T_SEND, &ep->senders, NULL, HM_DEADLINE_NEVER);
    return 0;
}
