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
 * A new standby starts DM_SB_DELAY_MS after the container is ready again,
 * or after the last standby was lost: earlier, its boot would compete for
 * the one CPU with the restarted drivers and their first requests. After
 * DM_SB_MAX_FAILS lost in a row none is started until DM_SB_RETRY_MS
 * later; the container's restarts start cold meanwhile. Its cost is a
 * second Linux region and program data: lsdev shows it.
 *
 * Threads: the restart thread starts, activates and reaps standbys; the
 * fault thread (a standby's fault) and the main thread (an injected kill)
 * kill one; the heartbeat thread kills one that does not answer its
 * activation. sb_lock guards sb_proc and sb_koid, so a handle is never
 * killed after the restart thread closed it.
 */
#include "devmgr.h"
#include <hm/dc.h>
#include <errno.h>
#include <stdio.h>

static int sb_lock;
/* the standby was killed from another thread: why (the restart thread
 * reaps it and says so) */
enum { SB_FAULTED = 1, SB_KILL_INJECTED, SB_CALL_OVERRAN };
static int sb_killed[DM_MAX_CTS];
static uint64_t sb_call_since[DM_MAX_CTS];   /* hm_now() when an activation call began, 0: none */
static uint64_t sb_lost_at[DM_MAX_CTS];      /* hm_now() when the last standby was lost, 0: none */

#define SB_CALL_MS 2000   /* a standby answers each activation call within this, or is killed */

/* kill container ct's standby if it is still the one with this koid (0:
 * whichever it is), from any thread: 1 if one was killed */
static int sb_kill(int ct, uint64_t koid, int why)
{
    struct dm_ct *c = &dm_cts[ct];
    int killed = 0;
    dm_lock_take(&sb_lock);
    if (c->sb_proc >= 0 && (!koid || koid == c->sb_koid)) {
        hm_proc_kill(c->sb_proc);
        __atomic_store_n(&sb_killed[ct], why, __ATOMIC_SEQ_CST);
        killed = 1;
    }
    dm_lock_drop(&sb_lock);
    if (killed)
        dm_ct_wake_restart();
    return killed;
}

int dm_sb_faulted(int ct, uint64_t koid)
{
    return sb_kill(ct, koid, SB_FAULTED);
}

int dm_sb_inject_kill(int ct)
{
    if (!sb_kill(ct, 0, SB_KILL_INJECTED))
        return -ESRCH;
    printf("devmgr: %s: fault injected: its standby killed\n", dm_cts[ct].name);
    return 0;
}

int dm_sb_quota(int ct, struct hm_quota *q)
{
    dm_lock_take(&sb_lock);
    int r = dm_cts[ct].sb_proc >= 0 && hm_proc_quota(dm_cts[ct].sb_proc, q) == 0 ? 0 : -ESRCH;
    dm_lock_drop(&sb_lock);
    return r;
}

void dm_sb_watchdog(void)
{
    for (int ct = 0; ct < dm_ncts; ct++) {
        uint64_t since = __atomic_load_n(&sb_call_since[ct], __ATOMIC_SEQ_CST);
        if (since && hm_now() - since > hm_ms(SB_CALL_MS) && sb_kill(ct, 0, SB_CALL_OVERRAN))
            printf("devmgr: %s: its standby did not answer its activation in %d ms: killed\n", dm_cts[ct].name,
                   SB_CALL_MS);
    }
}

/* the restart thread: take the standby out of c (under the lock), kill
 * it, wait for it, close its handles */
static void sb_drop(int ct)
{
    struct dm_ct *c = &dm_cts[ct];
    dm_lock_take(&sb_lock);
    hm_handle_t p = c->sb_proc;
    c->sb_proc = HM_HANDLE_INVALID;
    c->sb_koid = 0;
    dm_lock_drop(&sb_lock);
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
    if (dm_cts[ct].sb_proc < 0)
        return;
    sb_drop(ct);
    printf("devmgr: %s: its standby stopped (%s)\n", dm_cts[ct].name, why);
}

/* one that died unused: counted; at the limit none is started for a while */
static void sb_lost(int ct, const char *why)
{
    struct dm_ct *c = &dm_cts[ct];
    sb_drop(ct);
    c->sb_fails++;
    sb_lost_at[ct] = hm_now();
    printf("devmgr: %s: its standby %s (%d in a row)%s\n", c->name, why, c->sb_fails,
           c->sb_fails >= DM_SB_MAX_FAILS ? ": its restarts start cold for a while" : "");
}

static void sb_start(int ct)
{
    struct dm_ct *c = &dm_cts[ct];
    struct hm_spawn_handle hs[2];   /* dm_ct_spawn adds "ep" and "dtb": nothing else */
    struct hm_handle_info info;
    hm_handle_t sep;
    __atomic_store_n(&sb_killed[ct], 0, __ATOMIC_SEQ_CST);   /* a flag of one gone is not this one's */
    long p = dm_ct_spawn(ct, hs, 0, "hm.standby", &sep);
    if (p >= 0 && (sep < 0 || hm_handle_info((hm_handle_t)p, &info) < 0)) {
        hm_proc_kill((hm_handle_t)p);   /* we could never activate it, or tell its faults */
        hm_handle_close((hm_handle_t)p);
        if (sep >= 0)
            hm_handle_close(sep);
        p = -ENOMEM;
    }
    if (p < 0) {
        c->sb_fails++;
        sb_lost_at[ct] = hm_now();
        printf("devmgr: %s: cannot start its standby: %s (%d in a row)\n", c->name, strerror((int)-p), c->sb_fails);
        return;
    }
    c->sb_ep = sep;
    c->sb_started = hm_now();
    dm_lock_take(&sb_lock);
    c->sb_koid = info.koid;
    c->sb_proc = (hm_handle_t)p;
    dm_lock_drop(&sb_lock);
    printf("devmgr: %s: standby started (it waits before its drivers)\n", c->name);
}

uint64_t dm_sb_due(int ct)
{
    struct dm_ct *c = &dm_cts[ct];
    if (!c->standby)
        return UINT64_MAX;
    if (c->sb_proc >= 0)
        return __atomic_load_n(&sb_killed[ct], __ATOMIC_SEQ_CST) ? hm_now() : UINT64_MAX;
    uint64_t ready = __atomic_load_n(&c->ready_at, __ATOMIC_SEQ_CST);
    if (!ready || __atomic_load_n(&c->state, __ATOMIC_SEQ_CST) != HM_DM_RUNNING)
        return UINT64_MAX;
    uint64_t after = ready > sb_lost_at[ct] ? ready : sb_lost_at[ct];
    return after + hm_ms(c->sb_fails >= DM_SB_MAX_FAILS ? DM_SB_RETRY_MS : DM_SB_DELAY_MS);
}

void dm_sb_check(int ct)
{
    struct dm_ct *c = &dm_cts[ct];
    int64_t status;
    if (c->sb_proc >= 0) {
        static const char *const why[] = { [SB_FAULTED] = "faulted", [SB_KILL_INJECTED] = "was killed by an "
                                           "injected fault", [SB_CALL_OVERRAN] = "did not answer" };
        int killed = __atomic_exchange_n(&sb_killed[ct], 0, __ATOMIC_SEQ_CST);
        if (killed)
            sb_lost(ct, why[killed]);
        else if (hm_proc_wait(c->sb_proc, hm_now(), &status) >= 0)
            sb_lost(ct, "exited");
        else if (c->sb_fails && hm_now() - c->sb_started > hm_ms(DM_SB_RETRY_MS))
            c->sb_fails = 0;   /* this one lived: the count starts again */
        return;
    }
    if (dm_sb_due(ct) <= hm_now())
        sb_start(ct);
}

/* one call to the standby carrying handle h (copied; the caller closes
 * it) and nwords words of buf, watched by the heartbeat thread
 * (dm_sb_watchdog): 0 or a negative errno */
static int sb_call(int ct, struct hm_ipc_buf *buf, uint32_t label, uint64_t w0, hm_handle_t h, unsigned nwords)
{
    buf->handles[0] = h;
    struct hm_msg m = { .tag = HM_TAG(label, nwords, 1), .w = { w0 } };
    __atomic_store_n(&sb_call_since[ct], hm_now(), __ATOMIC_SEQ_CST);
    long r = hm_call(dm_cts[ct].sb_ep, &m);
    __atomic_store_n(&sb_call_since[ct], 0, __ATOMIC_SEQ_CST);
    if (r < 0)
        return -EIO;
    dm_drop_handles(r, m.tag, buf);
    return -(int)HM_TAG_LABEL(m.tag);
}

int dm_sb_activate(int ct)
{
    static struct hm_ipc_buf buf;   /* the restart thread's (kept registered) */
    struct dm_ct *c = &dm_cts[ct];
    int64_t status;
    if (c->sb_proc < 0)
        return -ENOENT;
    if (__atomic_load_n(&sb_killed[ct], __ATOMIC_SEQ_CST) || hm_proc_wait(c->sb_proc, hm_now(), &status) >= 0) {
        sb_lost(ct, "died before it was needed");
        return -ESRCH;
    }
    /* everything of devmgr's first: a failure here is not the standby's
     * (it stays for the next restart) */
    long wins[DM_CT_MAX_WINDOWS], irqs[DM_CT_MAX_IRQS], mem[DM_CT_MAX_WINDOWS], res[DM_CT_MAX_IRQS];
    int nwin, nirq;
    int err = hm_ipc_buf_set(&buf) < 0 ? -ENOMEM : dm_ct_device_handles(ct, wins, &nwin, irqs, &nirq);
    if (err)
        return err;
    /* with the rights a cold start's have, and GRANT and DUP: the kernel
     * passes only handles with GRANT; DC-base dups them down to a cold
     * start's rights on receipt */
    for (int w = 0; w < nwin; w++)
        mem[w] = hm_handle_dup((hm_handle_t)wins[w], HM_R_READ | HM_R_WRITE | HM_R_MAP | HM_R_GRANT | HM_R_DUP, 0);
    for (int q = 0; q < nirq; q++)
        res[q] = hm_handle_dup((hm_handle_t)irqs[q], HM_R_MANAGE | HM_R_GRANT | HM_R_DUP, 0);
    long dma = hm_mem_create(DM_DMA_BUDGET, HM_MEM_CONTIG);
    long dmh = hm_handle_dup(dm_ep, HM_R_SEND | HM_R_GRANT, DM_CONTAINER_BADGE + (uint64_t)ct);
    err = dma < 0 || dmh < 0 ? -ENOMEM : 0;
    for (int w = 0; w < nwin; w++)
        err = mem[w] < 0 ? -ENOMEM : err;
    for (int q = 0; q < nirq; q++)
        err = res[q] < 0 ? -ENOMEM : err;
    int theirs = 0;   /* a call failed: the standby's fault */
    if (!err) {
        /* its PCI functions' DMA reaches the DMA budget (as a cold
         * start's) until DC-base registers Linux's memory */
        dm_smmu_ct_start(ct, (hm_handle_t)dma);
        for (int w = 0; w < nwin && !err; w++)
            err = sb_call(ct, &buf, HM_DC_GRANT, HM_DC_GRANT_MMIO, (hm_handle_t)mem[w], 0);
        for (int q = 0; q < nirq && !err; q++)
            err = sb_call(ct, &buf, HM_DC_GRANT, HM_DC_GRANT_IRQ, (hm_handle_t)res[q], 0);
        if (!err) {
            unsigned n = (unsigned)dm_ct_twins_serving(ct, buf.words, HM_DM_MAX_TWIN_SERVING);
            err = sb_call(ct, &buf, HM_DC_ACTIVATE, 0, (hm_handle_t)dmh, n);
        }
        theirs = err != 0;
    }
    for (int w = 0; w < nwin; w++) {
        hm_handle_close((hm_handle_t)wins[w]);
        if (mem[w] >= 0)
            hm_handle_close((hm_handle_t)mem[w]);
    }
    for (int q = 0; q < nirq; q++) {
        hm_handle_close((hm_handle_t)irqs[q]);
        if (res[q] >= 0)
            hm_handle_close((hm_handle_t)res[q]);
    }
    if (dma >= 0)
        hm_handle_close((hm_handle_t)dma);
    if (dmh >= 0)
        hm_handle_close((hm_handle_t)dmh);
    if (err) {
        printf("devmgr: %s: cannot hand the devices to its standby (%s): started cold\n", c->name, strerror(-err));
        if (theirs) {
            dm_smmu_ct_stop(ct);
            sb_lost(ct, "refused the devices");
        }
        return err;
    }
    /* it is the container now: its faults stop the container */
    dm_lock_take(&sb_lock);
    hm_handle_t p = c->sb_proc;
    c->sb_proc = HM_HANDLE_INVALID;
    c->sb_koid = 0;
    dm_lock_drop(&sb_lock);
    hm_handle_t sep = c->sb_ep;
    c->sb_ep = HM_HANDLE_INVALID;
    c->sb_fails = 0;
    sb_lost_at[ct] = 0;
    /* a kill from another thread after the last call: the restart thread
     * finds the process gone and restarts the container */
    __atomic_store_n(&sb_killed[ct], 0, __ATOMIC_SEQ_CST);
    dm_ct_took_over(ct, p, sep);
    printf("devmgr: %s: standby activated (booted %lu ms before)\n", c->name, dm_ms_since(c->sb_started));
    return 0;
}
