/*
 * The server loop every service runs (vfs, devmgr, DC-base, ndc, vtwin):
 * receive, decode and check, dispatch, reply.
 *
 * A server is a table of operations. Each names a label, who may call it
 * and how many handles it takes; the loop checks all of that before a
 * handler runs (decode, then act):
 *   - a label no entry names: EINVAL;
 *   - a caller no entry for that label admits: EPERM. Callers are told
 *     apart by the badge of the handle they call with: the server's
 *     classify() turns a badge into one caller-class bit, and each entry
 *     lists the classes it admits (its rule, written next to its label);
 *   - an operation that takes N > 0 handles gets exactly N or EINVAL; one
 *     that takes none has any it was sent closed (strays never stay);
 * and then calls the handler. A handler returns 0 or a negative errno
 * (docs/conventions.md); the reply's label is that errno made positive.
 * A failed operation's reply carries no words and no handles.
 */
#ifndef HM_SERVER_H
#define HM_SERVER_H
#include <hm/hm.h>

/* every caller class */
#define HM_SRV_ANY 0xffffffffu
/* a handler's return: do not answer (a kernel fault message: answering
 * would resume the faulting thread); the loop receives the next one */
#define HM_SRV_NOREPLY 1

/* one request, as its handler sees it */
struct hm_srv_req {
    struct hm_msg m;        /* label, w[], badge; the handler writes the reply's w[] here */
    struct hm_ipc_buf *buf; /* the serving thread's IPC buffer: the request's extra words; the reply's */
    unsigned nwords;        /* extra words received in buf->words */
    unsigned nh;            /* handles received (what the operation takes) */
    hm_handle_t h[HM_IPC_MAX_HANDLES];   /* those handles: the handler sets one it keeps or passes
                                          * on to HM_HANDLE_INVALID; the loop closes the rest */
    uint32_t caller;        /* the caller's class (classify) */
    unsigned reply_words;   /* out: the reply carries buf->words[0 .. reply_words) */
    unsigned reply_handles; /* out: and buf->handles[0 .. reply_handles) */
    int reply_move;         /* out: moved (the server loses them), else copied */
};

struct hm_srv_op {
    uint32_t label;
    uint32_t callers;       /* the caller classes it admits */
    unsigned nhandles;      /* handles it takes */
    int (*fn)(struct hm_srv_req *r);
};

struct hm_srv {
    hm_handle_t ep;         /* the endpoint served (RECV) */
    const struct hm_srv_op *ops;
    unsigned nops;
    uint32_t (*classify)(uint64_t badge);   /* NULL: every caller is class 1 */
    void (*gate)(void);     /* NULL, or called before each request is handled */
    struct hm_ipc_buf *buf; /* this thread's IPC buffer (hm_srv_run registers it) */
};

/* Serve s on the calling thread until its endpoint fails (it was closed):
 * returns that kernel error. */
long hm_srv_run(struct hm_srv *s);
#endif
