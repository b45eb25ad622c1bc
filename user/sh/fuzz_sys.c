/*
 * The fuzzer's "sys" target: random system calls, call, receive and reply
 * among them, with handles of every type and random rights, or handles
 * that were just closed; each result checked against docs/syscalls.md's
 * rule: a closed handle is EBADH, a handle of the wrong type ETYPE, one
 * without the right the call needs EPERM, in that order, and a call that
 * passes those checks never fails with one of them. A thread of the
 * shell's own ("echo") receives on the endpoint the calls go to and
 * answers each with a random status, words and handles (some without the
 * right to be passed on: the reply then fails and the caller gets
 * ECLOSED). Only objects the fuzzer made are touched: its process has no
 * thread and no mapping, its maps are undone at once, and nothing it does
 * can close, unmap or kill what the shell itself uses.
 */
#include "sh.h"
#include "fuzz.h"
#include <hm/prio.h>
#include <stdio.h>
#include <string.h>

enum { SP_EP, SP_NOTIF, SP_CONTIG, SP_ANON, SP_PROC, SP_N };
static const uint32_t sp_type[SP_N] = { HM_OBJ_EP, HM_OBJ_NOTIF, HM_OBJ_MEM, HM_OBJ_MEM, HM_OBJ_PROC };
static hm_handle_t sp[SP_N] = { HM_HANDLE_INVALID, HM_HANDLE_INVALID, HM_HANDLE_INVALID, HM_HANDLE_INVALID,
                                HM_HANDLE_INVALID };
static struct hm_thread echo_thread = { .h = HM_HANDLE_INVALID };
static hm_handle_t echo_notif = HM_HANDLE_INVALID;

/* one handle argument: what the rule needs to know about it */
struct sarg {
    hm_handle_t h;
    int dead;           /* closed just before: EBADH */
    int bogus;          /* no copy could be made: h is -1, which some calls take for "none" */
    uint32_t type, rights;
};

static void sarg_pick(struct sarg *a)
{
    int k = (int)(fz_rand() % SP_N);
    long h = hm_handle_dup(sp[k], (uint32_t)fz_rand() & HM_R_ALL, 0);
    a->type = sp_type[k];
    a->dead = h < 0 || fz_rand() % 8 == 0;
    a->bogus = h < 0;
    if (h < 0) {
        a->h = HM_HANDLE_INVALID;
        return;
    }
    struct hm_handle_info hi;
    a->rights = hm_handle_info((hm_handle_t)h, &hi) ? 0 : hi.rights;
    a->h = (hm_handle_t)h;
    if (a->dead)
        hm_handle_close(a->h);   /* a handle that was live a moment ago */
}

static void sarg_drop(struct sarg *a)
{
    if (!a->dead && a->h >= 0)
        hm_handle_close(a->h);
}

/* the error the three handle checks give for a, or 0 if it passes */
static long sarg_refusal(const struct sarg *a, uint32_t type, uint32_t need)
{
    if (a->dead || a->h < 0)
        return -HM_EBADH;
    if (a->type != type)
        return -HM_ETYPE;
    return (a->rights & need) == need ? 0 : -HM_EPERM;
}

static void check(struct fz_run *run, struct fz_target *t, const char *call, long r, long want)
{
    int handle_err = r == -HM_EBADH || r == -HM_ETYPE || r == -HM_EPERM;
    if ((want && r != want) || (!want && handle_err))
        fz_broke(run, "sys, %s: %ld (the handles say %ld)", call, r, want);
    if (r < 0)
        t->refused++;
}

/* the echo thread: answers each call on the fuzzer's endpoint */
static void *echo(void *arg)
{
    static struct hm_ipc_buf eb;
    hm_ipc_buf_set(&eb);
    hm_handle_t ep = (hm_handle_t)(long)arg;
    struct hm_msg m = {0};
    long r = hm_recv(ep, &m, HM_DEADLINE_NEVER);
    for (;;) {
        if (r == -HM_ECLOSED || r == -HM_EBADH)
            return NULL;   /* the fuzzer closed its endpoint: done */
        if (r < 0) {
            r = hm_recv(ep, &m, HM_DEADLINE_NEVER);
            continue;
        }
        for (unsigned i = 0; i < HM_TAG_NHANDLES(m.tag) && i < HM_IPC_MAX_HANDLES; i++)
            hm_handle_close(eb.handles[i]);
        unsigned nh = (unsigned)(fz_rand() % 3);
        hm_handle_t sent[2];
        for (unsigned i = 0; i < nh; i++) {
            uint32_t rights = (uint32_t)fz_rand() & HM_R_ALL;
            long h = hm_handle_dup(echo_notif, fz_rand() % 4 ? rights | HM_R_GRANT : rights, 0);
            sent[i] = eb.handles[i] = h < 0 ? HM_HANDLE_INVALID : (hm_handle_t)h;
        }
        m = (struct hm_msg){ .tag = HM_TAG((uint32_t)(fz_rand() % 40), (unsigned)(fz_rand() % 8), nh) };
        for (int k = 0; k < 6; k++)
            m.w[k] = fz_rand();
        r = hm_reply_recv(ep, &m);   /* a handle it may not pass on: the caller gets ECLOSED */
        for (unsigned i = 0; i < nh; i++)
            if (sent[i] >= 0)
                hm_handle_close(sent[i]);
    }
}

int fz_sys_setup(void)
{
    long p[SP_N] = { hm_ep_create(), hm_notif_create(), hm_mem_create(16384, HM_MEM_CONTIG),
                     hm_mem_create(8192, HM_MEM_ANON), hm_proc_create("fuzzproc", 8, HM_HANDLE_INVALID) };
    long en = hm_notif_create();
    for (int i = 0; i < SP_N; i++)
        sp[i] = p[i] < 0 ? HM_HANDLE_INVALID : (hm_handle_t)p[i];
    echo_notif = en < 0 ? HM_HANDLE_INVALID : (hm_handle_t)en;
    for (int i = 0; i < SP_N; i++)
        if (sp[i] < 0)
            return -1;
    if (echo_notif < 0 || hm_thread_start(&echo_thread, echo, (void *)(long)sp[SP_EP], HM_PRIO_SERVICE, 1) < 0)
        return -1;
    return 0;
}

void fz_sys_teardown(void)
{
    /* first the process: handle_give may have put the endpoint's receive
     * right into its table, which would keep the endpoint open */
    if (sp[SP_PROC] >= 0)
        hm_proc_kill(sp[SP_PROC]);
    for (int i = 0; i < SP_N; i++)
        if (sp[i] >= 0)
            hm_handle_close(sp[i]);   /* the endpoint's last receive handle: echo's wait ends */
    if (echo_thread.h >= 0 && echo_thread.stack) {
        /* its stack and handle: the thread has ended, or ends now */
        hm_thread_kill(echo_thread.h);
        hm_handle_close(echo_thread.h);
        hm_vm_unmap(HM_HANDLE_SELF_PROC, (uint64_t)echo_thread.stack);
        hm_handle_close(echo_thread.stack_mem);
        echo_thread = (struct hm_thread){ .h = HM_HANDLE_INVALID };
    }
    if (echo_notif >= 0)
        hm_handle_close(echo_notif);
    for (int i = 0; i < SP_N; i++)
        sp[i] = HM_HANDLE_INVALID;
    echo_notif = HM_HANDLE_INVALID;
}

/* a call on a, with 0-3 handles staged (each closed or live, with or
 * without the right to grant): the endpoint's checks, then the staged
 * handles' in order, then the echo thread's answer (0) or its failed
 * reply (ECLOSED) */
static void sys_call(struct fz_run *run, struct fz_target *t, struct sarg *a)
{
    struct sarg st[3];
    unsigned nh = (unsigned)(fz_rand() % 4);
    long want = sarg_refusal(a, HM_OBJ_EP, HM_R_SEND);
    for (unsigned i = 0; i < nh; i++) {
        sarg_pick(&st[i]);
        sh_buf.handles[i] = st[i].h;
        if (!want && (st[i].dead || st[i].h < 0))
            want = -HM_EBADH;
        else if (!want && !(st[i].rights & HM_R_GRANT))
            want = -HM_EPERM;
    }
    struct hm_msg m = { .tag = HM_TAG((uint32_t)fz_rand(), (unsigned)(fz_rand() % 9), nh) };
    for (int k = 0; k < 6; k++)
        m.w[k] = fz_rand();
    long r = hm_call(a->h, &m);
    if (!want && r && r != -HM_ECLOSED)
        fz_broke(run, "sys, call: %ld (want 0 or ECLOSED)", r);
    check(run, t, "call", r, want);
    if (!r)
        for (unsigned i = 0; i < HM_TAG_NHANDLES(m.tag) && i < HM_IPC_MAX_HANDLES; i++)
            hm_handle_close(sh_buf.handles[i]);
    for (unsigned i = 0; i < nh; i++)
        sarg_drop(&st[i]);
}

void fz_sys_call(struct fz_run *run, struct fz_target *t)
{
    struct sarg a, b;
    sarg_pick(&a);
    if (a.h < 0 && a.bogus)
        return;   /* no copy could be made (the table is full): nothing to test */
    t->calls++;
    long r;
    uint64_t x;
    struct hm_msg m = {0};
    switch (fz_rand() % 16) {
    case 0: {
        struct hm_handle_info hi;
        check(run, t, "handle_info", hm_handle_info(a.h, &hi), a.dead || a.h < 0 ? -HM_EBADH : 0);
        break;
    }
    case 1: {
        uint32_t rights = fz_rand() % 8 ? (uint32_t)fz_rand() & HM_R_ALL : (uint32_t)fz_rand();
        long want = a.dead || a.h < 0 ? -HM_EBADH : !(a.rights & HM_R_DUP) ? -HM_EPERM
                  : rights & ~HM_R_ALL ? -HM_EINVAL : 0;
        r = hm_handle_dup(a.h, rights, 0);
        check(run, t, "handle_dup", r < 0 ? r : 0, want);
        struct hm_handle_info hi;
        if (r >= 0 && (hm_handle_info((hm_handle_t)r, &hi) || hi.rights != (rights & a.rights)))
            fz_broke(run, "sys, handle_dup: rights 0x%x, not 0x%x & 0x%x", hi.rights, rights, a.rights);
        if (r >= 0)
            hm_handle_close((hm_handle_t)r);
        break;
    }
    case 2: {
        uint64_t bits = fz_rand() % 4 ? 1ull << (fz_rand() % 64) : 0;   /* 0: does nothing */
        check(run, t, "notif_signal", hm_notif_signal(a.h, bits), sarg_refusal(&a, HM_OBJ_NOTIF, HM_R_SIGNAL));
        break;
    }
    case 3:
        r = hm_notif_wait(a.h, HM_DEADLINE_POLL, &x);
        check(run, t, "notif_wait", r == -HM_ETIMEDOUT ? 0 : r, sarg_refusal(&a, HM_OBJ_NOTIF, HM_R_WAIT));
        if (r == -HM_ETIMEDOUT)
            t->refused++;
        break;
    case 4: {
        struct hm_mem_info mi;
        check(run, t, "mem_info", hm_mem_info(a.h, &mi), sarg_refusal(&a, HM_OBJ_MEM, 0));
        break;
    }
    case 5: {
        static const uint32_t perms[] = { HM_MAP_R, HM_MAP_R | HM_MAP_W, HM_MAP_R | HM_MAP_X, HM_MAP_W };
        static const uint64_t sizes[] = { 4096, 8192, 16384, 0, 1ull << 30, 100 };
        uint32_t p = perms[fz_rand() % 4];
        uint64_t off = fz_rand() % 3 ? 0 : 4096, size = sizes[fz_rand() % 6];
        long want = !(p & HM_MAP_R) ? -HM_EINVAL : sarg_refusal(&a, HM_OBJ_MEM, HM_R_MAP | p);
        r = hm_vm_map(HM_HANDLE_SELF_PROC, a.h, off, size, 0, p);
        check(run, t, "vm_map", r < 0 ? r : 0, want);
        if (r >= 0 && hm_vm_unmap(HM_HANDLE_SELF_PROC, (uint64_t)r))
            fz_broke(run, "sys, vm_unmap of its own map failed");
        break;
    }
    case 6:
    case 7:
        sys_call(run, t, &a);
        break;
    case 8:
        r = hm_recv(a.h, &m, HM_DEADLINE_POLL);   /* nobody else calls it: nothing queued */
        check(run, t, "recv", r == -HM_ETIMEDOUT ? 0 : r, sarg_refusal(&a, HM_OBJ_EP, HM_R_RECV));
        if (r == -HM_ETIMEDOUT)
            t->refused++;
        break;
    case 9:
        m.tag = HM_TAG((uint32_t)fz_rand(), 0, 0);
        check(run, t, "reply (nothing to answer)", hm_reply(&m), -HM_ESTATE);
        break;
    case 10: {
        static const size_t lens[] = { 0, 1, 5, 31, 32, 40 };
        size_t len = lens[fz_rand() % 6];
        int nosup = fz_rand() % 3 == 0;
        /* limits: none, random ones, or an unmapped pointer (EFAULT) */
        int lim = (int)(fz_rand() % 3);
        uint64_t limit[HM_QUOTA_N];
        for (int k = 0; k < HM_QUOTA_N; k++)
            limit[k] = fz_rand() % 2 ? fz_rand() : fz_rand() % 64;
        long want = !len || len >= 32 ? -HM_EINVAL : lim == 2 ? -HM_EFAULT
                  : nosup ? 0 : sarg_refusal(&a, HM_OBJ_EP, HM_R_SEND);
        r = hm_proc_create_limited("fuzz-process-name-longer-than-32", len, nosup ? HM_HANDLE_INVALID : a.h,
                                   lim == 0 ? NULL : lim == 1 ? limit : (const uint64_t *)0x10);
        check(run, t, "proc_create", r < 0 ? r : 0, want);
        if (r >= 0)
            hm_handle_close((hm_handle_t)r);   /* no thread: destroyed */
        break;
    }
    case 11: {
        int64_t status;
        struct hm_quota q;
        if (fz_rand() % 2) {
            r = hm_proc_quota(a.h, fz_rand() % 4 ? &q : (struct hm_quota *)0x10);
            long want = sarg_refusal(&a, HM_OBJ_PROC, HM_R_READ);
            check(run, t, "proc_quota", r == -HM_EFAULT && !want ? 0 : r, want);
            break;
        }
        r = hm_proc_wait(a.h, HM_DEADLINE_POLL, &status);
        check(run, t, "proc_wait", r == -HM_ETIMEDOUT ? 0 : r, sarg_refusal(&a, HM_OBJ_PROC, HM_R_READ));
        break;
    }
    case 12:
        r = hm_timer_create(a.h, 1ull << (fz_rand() % 64));
        check(run, t, "timer_create", r < 0 ? r : 0, sarg_refusal(&a, HM_OBJ_NOTIF, HM_R_SIGNAL));
        if (r >= 0) {
            hm_timer_set((hm_handle_t)r, hm_now() + fz_rand() % 1000);
            hm_handle_close((hm_handle_t)r);
        }
        break;
    case 13: {
        sarg_pick(&b);
        long want = sarg_refusal(&a, HM_OBJ_PROC, HM_R_MANAGE);
        if (!want)
            want = b.dead || b.h < 0 ? -HM_EBADH : !(b.rights & HM_R_GRANT) ? -HM_EPERM : 0;
        r = hm_handle_give(a.h, b.h, (uint32_t)fz_rand() & HM_R_ALL);
        check(run, t, "handle_give", r < 0 ? r : 0, want);
        sarg_drop(&b);
        break;
    }
    case 14: {
        /* calls that need a resource: none of the fuzzer's handles is one */
        long want = a.dead || a.h < 0 ? -HM_EBADH : -HM_ETYPE;
        switch (fz_rand() % 4) {
        case 0: r = hm_resource_create(a.h, (uint32_t)fz_rand(), fz_rand(), fz_rand()); break;
        case 1: r = hm_mem_device(a.h, fz_rand(), 4096); break;
        case 2: r = hm_irq_create(a.h, (uint32_t)fz_rand() % 1024, sp[SP_NOTIF], 1, 0); break;
        default: r = hm_poweroff(a.h); break;
        }
        check(run, t, "a resource's call", r < 0 ? r : 0, want);
        if (r >= 0)
            fz_broke(run, "sys, a resource's call succeeded without one");
        break;
    }
    default: {
        long nr = HM_NSYSCALLS + (long)(fz_rand() % 64);
        check(run, t, "no such call", hm_sys1(fz_rand() % 2 ? nr : (long)(fz_rand() >> 1), a.h), -HM_ENOSYS);
        break;
    }
    }
    sarg_drop(&a);
}
