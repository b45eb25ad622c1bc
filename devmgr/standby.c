/*
 * Standby containers (docs/reliability.md "Standby containers"). A
 * container the board file names in a "standby" line keeps a second
 * instance of its program booted up to its drivers: DC-base started with
 * "hm.standby", given no device memory, no interrupt and no "dm" handle;
 * its Linux waits before its drivers' initcalls. At the container's next
 * restart, once its devices are reset (dm_ct_restart), the standby is
 * activated instead of a cold start: it is given the devices and the
 * container's "dm" handle, and its Linux goes on with its drivers. What a
 * cold start spends before the drivers probe (the spawn, Linux's region,
 * Linux's core initialisation) the standby spent while the old instance
 * still served.
 *
 * A new standby starts DM_SB_DELAY_MS after the container is ready again:
 * earlier, its boot would compete for the one CPU with the restarted
 * drivers and their first requests. One that dies unused is started
 * again; after DM_SB_MAX_FAILS in a row the container restarts cold. Its
 * cost is a second Linux region and program image: lsdev shows it.
 *
 * Everything here runs on the restart thread, except dm_sb_faulted (the
 * fault thread, which only marks the standby) and dm_sb_proc (lsdev).
 */
#include "devmgr.h"
#include <hm/dc.h>
#include <errno.h>
#include <stdio.h>

/* the standby is to be dropped (set by the fault and main threads, taken
 * by the restart thread, which alone kills and closes it) */
enum { SB_FAULTED = 1, SB_KILL_INJECTED = 2 };
static int sb_drop_asked[DM_MAX_CTS];

hm_handle_t dm_sb_proc(int ct)
{
    return __atomic_load_n(&dm_cts[ct].sb_proc, __ATOMIC_SEQ_CST);
}

/* kill it and let it go (the restart thread) */
static void sb_drop(struct dm_ct *c)
{
    hm_handle_t p = __atomic_exchange_n(&c->sb_proc, HM_HANDLE_INVALID, __ATOMIC_SEQ_CST);
    int64_t status;
    if (p >= 0) {
        hm_proc_kill(p);
        if (hm_proc_wait(p, hm_deadline_ms(2000), &status) < 0)
            printf("devmgr: %s: its standby not gone 2 s after its kill\n", c->name);
        hm_handle_close(p);
    }
    if (c->sb_ep >= 0)
        hm_handle_close(c->sb_ep);
    c->sb_ep = HM_HANDLE_INVALID;
}

void dm_sb_drop(int ct, const char *why)
{
    struct dm_ct *c = &dm_cts[ct];
    if (c->sb_proc < 0)
        return;
    sb_drop(c);
    printf("devmgr: %s: its standby stopped (%s)\n", c->name, why);
}

void dm_sb_faulted(int ct)
{
    __atomic_store_n(&sb_drop_asked[ct], SB_FAULTED, __ATOMIC_SEQ_CST);
    dm_ct_wake_restart();
}

int dm_sb_inject_kill(int ct)
{
    if (dm_sb_proc(ct) < 0)
        return -ESRCH;
    printf("devmgr: %s: fault injected: its standby killed\n", dm_cts[ct].name);
    __atomic_store_n(&sb_drop_asked[ct], SB_KILL_INJECTED, __ATOMIC_SEQ_CST);
    dm_ct_wake_restart();
    return 0;
}

/* one that died unused: counted; at the limit no more are started */
static void sb_lost(struct dm_ct *c, const char *why)
{
    sb_drop(c);
    c->sb_fails++;
    printf("devmgr: %s: its standby %s (%d in a row)%s\n", c->name, why, c->sb_fails,
           c->sb_fails >= DM_SB_MAX_FAILS ? ": no more standbys, its restarts start cold" : "");
}

static void sb_start(int ct)
{
    struct dm_ct *c = &dm_cts[ct];
    struct hm_spawn_handle hs[2];   /* dm_ct_spawn adds "ep" and "dtb": nothing else */
    hm_handle_t sep;
    long p = dm_ct_spawn(ct, c->slot ^ 1, hs, 0, "hm.standby", &sep);
    if (p >= 0 && sep < 0) {
        hm_proc_kill((hm_handle_t)p);   /* we could never activate it */
        hm_handle_close((hm_handle_t)p);
        p = -ENOMEM;
    }
    if (p < 0) {
        c->sb_fails++;
        printf("devmgr: %s: cannot start its standby: %s (%d in a row)\n", c->name, strerror((int)-p), c->sb_fails);
        return;
    }
    c->sb_ep = sep;
    c->sb_started = hm_now();
    __atomic_store_n(&c->sb_proc, (hm_handle_t)p, __ATOMIC_SEQ_CST);
    printf("devmgr: %s: standby started (it waits before its drivers)\n", c->name);
}

uint64_t dm_sb_due(int ct)
{
    struct dm_ct *c = &dm_cts[ct];
    if (!c->standby || c->sb_fails >= DM_SB_MAX_FAILS)
        return UINT64_MAX;
    if (c->sb_proc >= 0)
        return __atomic_load_n(&sb_drop_asked[ct], __ATOMIC_SEQ_CST) ? hm_now() : UINT64_MAX;
    uint64_t ready = __atomic_load_n(&c->ready_at, __ATOMIC_SEQ_CST);
    if (!ready || __atomic_load_n(&c->state, __ATOMIC_SEQ_CST) != HM_DM_RUNNING)
        return UINT64_MAX;
    return ready + hm_ms(DM_SB_DELAY_MS);
}

void dm_sb_check(int ct)
{
    struct dm_ct *c = &dm_cts[ct];
    int64_t status;
    if (c->sb_proc >= 0) {
        int asked = __atomic_exchange_n(&sb_drop_asked[ct], 0, __ATOMIC_SEQ_CST);
        if (asked)
            sb_lost(c, asked == SB_FAULTED ? "faulted" : "was killed by an injected fault");
        else if (hm_proc_wait(c->sb_proc, hm_now(), &status) >= 0)
            sb_lost(c, "exited");
        return;
    }
    if (dm_sb_due(ct) <= hm_now())
        sb_start(ct);
}

/* one call to the standby carrying handle h (copied; the caller closes
 * it) and nwords words of buf: 0 or a negative errno */
static int sb_call(struct dm_ct *c, struct hm_ipc_buf *buf, uint32_t label, uint64_t w0, hm_handle_t h,
                   unsigned nwords)
{
    buf->handles[0] = h;
    struct hm_msg m = { .tag = HM_TAG(label, nwords, 1), .w = { w0 } };
    long r = hm_call(c->sb_ep, &m);
    if (r < 0)
        return -EIO;
    dm_drop_handles(r, m.tag, buf);
    return -(int)HM_TAG_LABEL(m.tag);
}

/* one grant: h with the rights a cold start would give it, and GRANT and
 * DUP (the kernel passes only handles with GRANT; DC-base dups it down to
 * a cold start's rights on receipt) */
static int sb_grant(struct dm_ct *c, struct hm_ipc_buf *buf, uint64_t what, long h, uint32_t rights)
{
    long d = hm_handle_dup((hm_handle_t)h, rights | HM_R_GRANT | HM_R_DUP, 0);
    if (d < 0)
        return -ENOMEM;
    int err = sb_call(c, buf, HM_DC_GRANT, what, (hm_handle_t)d, 0);
    hm_handle_close((hm_handle_t)d);
    return err;
}

int dm_sb_activate(int ct)
{
    static struct hm_ipc_buf buf;   /* the restart thread's (kept registered) */
    struct dm_ct *c = &dm_cts[ct];
    int64_t status;
    if (c->sb_proc < 0)
        return -ENOENT;
    if (__atomic_exchange_n(&sb_drop_asked[ct], 0, __ATOMIC_SEQ_CST) || hm_proc_wait(c->sb_proc, hm_now(), &status) >= 0) {
        sb_lost(c, "died before it was needed");
        return -ESRCH;
    }
    if (hm_ipc_buf_set(&buf) < 0)
        return -ENOMEM;
    long wins[DM_CT_MAX_WINDOWS], irqs[DM_CT_MAX_IRQS];
    int nwin, nirq;
    dm_msi_forget(ct);
    int err = dm_ct_device_handles(ct, wins, &nwin, irqs, &nirq);
    long dma = err ? -1 : hm_mem_create(DM_DMA_BUDGET, HM_MEM_CONTIG);
    long dmh = err ? -1 : hm_handle_dup(dm_ep, HM_R_SEND | HM_R_GRANT, DM_CONTAINER_BADGE + (uint64_t)ct);
    if (!err && (dma < 0 || dmh < 0))
        err = -ENOMEM;
    /* its PCI functions' DMA reaches the DMA budget (as a cold start's)
     * until DC-base registers Linux's memory */
    if (!err)
        dm_smmu_ct_start(ct, (hm_handle_t)dma);
    for (int w = 0; w < nwin && !err; w++)
        err = sb_grant(c, &buf, HM_DC_GRANT_MMIO, wins[w], HM_R_READ | HM_R_WRITE | HM_R_MAP);
    for (int q = 0; q < nirq && !err; q++)
        err = sb_grant(c, &buf, HM_DC_GRANT_IRQ, irqs[q], HM_R_MANAGE);
    if (!err) {
        unsigned n = (unsigned)dm_ct_twins_serving(ct, buf.words, HM_DM_MAX_TWIN_SERVING);
        err = sb_call(c, &buf, HM_DC_ACTIVATE, 0, (hm_handle_t)dmh, n);
    }
    for (int w = 0; w < nwin; w++)
        hm_handle_close((hm_handle_t)wins[w]);
    for (int q = 0; q < nirq; q++)
        hm_handle_close((hm_handle_t)irqs[q]);
    if (dma >= 0)
        hm_handle_close((hm_handle_t)dma);
    if (dmh >= 0)
        hm_handle_close((hm_handle_t)dmh);
    if (err) {
        printf("devmgr: %s: its standby refused the devices (%s): started cold\n", c->name, strerror(-err));
        dm_smmu_ct_stop(ct);
        sb_lost(c, "could not be activated");
        return err;
    }
    /* it is the container now; the next standby takes the other slot */
    hm_handle_t p = __atomic_exchange_n(&c->sb_proc, HM_HANDLE_INVALID, __ATOMIC_SEQ_CST);
    hm_handle_t sep = c->sb_ep;
    c->sb_ep = HM_HANDLE_INVALID;
    c->sb_fails = 0;
    __atomic_store_n(&c->slot, c->slot ^ 1, __ATOMIC_SEQ_CST);
    dm_ct_took_over(ct, p, sep);
    printf("devmgr: %s: standby activated (booted %lu ms before)\n", c->name, dm_ms_since(c->sb_started));
    return 0;
}
