/*
 * Supervision: three threads find containers that stopped working and
 * have them restarted (docs/reliability.md).
 *   - the fault thread serves the supervisor endpoint every container and
 *     twin was started with: a fault message (the kernel's HM_MSG_FAULT)
 *     stops the container, or the twin. Faults have an endpoint and a
 *     thread of their own: the main thread may be waiting on a container
 *     (asking for its log) when that container faults, and must not be the
 *     one that has to hear it.
 *   - the heartbeat thread calls each running container's endpoint
 *     (HM_DC_PING) every HEARTBEAT_PERIOD_MS (and kills a standby that
 *     does not answer its activation: dm_sb_watchdog); a container that has not
 *     answered HEARTBEAT_MS after the call began is taken as hung. DC-base's
 *     main thread may legitimately wait up to 1 s (an I/O error's verdict
 *     from Linux). An LDC's answer also says whether its Linux makes
 *     progress (linux_progress): a Linux thread that holds the CPU, or a
 *     block request stuck inside Linux, is a hang too.
 *   - the restart thread starts stopped containers again (dm_ct_restart),
 *     carries out delayed injected kills, stops containers that missed
 *     their heartbeat or exited by themselves, and kills twins that
 *     overran a call (dm_twin_watchdog).
 * All three run at the clients' priority: below them, a busy client would
 * starve restarts (copying a container's ~10 MiB image).
 */
#include "devmgr.h"
#include <hm/dc.h>
#include <hm/prio.h>
#include <errno.h>
#include <stdio.h>

#define HEARTBEAT_PERIOD_MS 250
#define HEARTBEAT_MS 2000

/* ---- the fault thread ---- */
#define SUP_CONTAINER 1u   /* DM_FAULT_BADGE + container */
#define SUP_TWIN      2u   /* DM_TWIN_FAULT_BADGE + device */
#define SUP_OTHER     4u
#define SUP_TWIN_DM   8u   /* DM_TWIN_BADGE + device: a twin's "dm" handle */

static uint32_t sup_classify(uint64_t badge)
{
    if (badge >= DM_FAULT_BADGE && badge < DM_FAULT_BADGE + (uint64_t)dm_ncts)
        return SUP_CONTAINER;
    if (badge >= DM_TWIN_FAULT_BADGE && badge < DM_TWIN_FAULT_BADGE + (uint64_t)dm_ndevs)
        return SUP_TWIN;
    if (badge >= DM_TWIN_BADGE && badge < DM_TWIN_BADGE + (uint64_t)dm_ndevs)
        return SUP_TWIN_DM;
    return SUP_OTHER;
}

/* a container faulted: it is stopped (the faulting thread goes with it).
 * Its standby has the same badge: w5, the faulting process's koid, tells
 * them apart; a faulting standby is killed and replaced (standby.c). */
static int ct_faulted(struct hm_srv_req *r)
{
    int ct = (int)(r->m.badge - DM_FAULT_BADGE);
    if (dm_sb_faulted(ct, r->m.w[5])) {
        printf("devmgr: the standby of %s faulted (pc 0x%lx, address 0x%lx)\n", dm_cts[ct].name,
               (unsigned long)r->m.w[1], (unsigned long)r->m.w[2]);
        return HM_SRV_NOREPLY;
    }
    printf("devmgr: container %s faulted (pc 0x%lx, address 0x%lx)\n", dm_cts[ct].name, (unsigned long)r->m.w[1],
           (unsigned long)r->m.w[2]);
    dm_ct_stop(ct, "its fault");
    return HM_SRV_NOREPLY;   /* an answer would resume the faulting thread */
}

static int twin_faulted(struct hm_srv_req *r)
{
    return dm_twin_fault(&dm_devs[r->m.badge - DM_TWIN_FAULT_BADGE], &r->m);
}

/* a badge devmgr never gave out: nothing to stop, and no answer (one would
 * resume a faulting thread) */
static int unknown_fault(struct hm_srv_req *r)
{
    printf("devmgr: a fault message with badge 0x%lx, which devmgr never gave out: ignored\n",
           (unsigned long)r->m.badge);
    return HM_SRV_NOREPLY;
}

static const struct hm_srv_op sup_ops[] = {
    /* label         who may send    handles  handler */
    { HM_MSG_FAULT,  SUP_CONTAINER,  0,       ct_faulted },
    { HM_MSG_FAULT,  SUP_TWIN,       0,       twin_faulted },
    { HM_MSG_FAULT,  SUP_OTHER,      0,       unknown_fault },
    /* a twin's DMA registrations come here, not to the main thread, which
     * calls twins (HM_TWIN_PAUSE, _ADOPT) and would wait on a twin waiting
     * on it; this thread never calls a twin */
    { HM_DM_DMA_MAP,   SUP_TWIN_DM,  1,       dm_dma_map },
    { HM_DM_DMA_UNMAP, SUP_TWIN_DM,  0,       dm_dma_unmap },
};

static void *fault_loop(void *arg)
{
    (void)arg;
    static struct hm_ipc_buf buf;
    struct hm_srv srv = { .ep = dm_fault_ep, .ops = sup_ops,
                          .nops = sizeof sup_ops / sizeof sup_ops[0], .classify = sup_classify, .buf = &buf };
    long r = hm_srv_run(&srv);
    printf("devmgr: its supervisor endpoint failed (%s): faults go unheard\n", hm_strerror(r));
    return NULL;
}

/* ---- the heartbeat thread ---- */

/* An LDC's answer says what its Linux did, not only that DC-base's thread
 * answers (hm/dc.h, dcbase/alive.c): how long Linux could have run with a
 * heartbeat event untaken (a thread holds its one CPU: a loop, interrupts
 * off or on) and with a block request stuck inside it (a thread asleep on
 * a lock it holds), both counted only while Linux's priority got the CPU.
 * Either past its limit: hung, stopped and restarted. */
static void linux_progress(int ct, uint64_t stuck_ms, uint64_t stall_ms)
{
    struct dm_ct *c = &dm_cts[ct];
    if (stuck_ms >= HM_DC_ALIVE_MS) {
        printf("devmgr: %s: its Linux took no event in %lu ms it could run (a thread holds its CPU): hung\n", c->name,
               (unsigned long)stuck_ms);
        dm_ct_stop(ct, "Linux holding its CPU");
    } else if (stall_ms >= HM_DC_STALL_MS) {
        printf("devmgr: %s: a block request waited %lu ms in its Linux with none completed: hung\n", c->name,
               (unsigned long)stall_ms);
        dm_ct_stop(ct, "a block request stuck in Linux");
    }
}

static void *heartbeat_loop(void *arg)
{
    (void)arg;
    static struct hm_ipc_buf buf;
    hm_ipc_buf_set(&buf);
    for (;;) {
        for (int ct = 0; ct < dm_ncts; ct++) {
            struct dm_ct *c = &dm_cts[ct];
            if (__atomic_load_n(&c->state, __ATOMIC_SEQ_CST) != HM_DM_RUNNING)
                continue;
            __atomic_store_n(&c->ping_since, hm_now(), __ATOMIC_SEQ_CST);
            struct hm_msg m = { .tag = HM_TAG(HM_DC_PING, 0, 0) };
            long r = dm_ct_call(c, &m, &buf);
            __atomic_store_n(&c->ping_since, 0, __ATOMIC_SEQ_CST);
            if (r >= 0 && !HM_TAG_LABEL(m.tag))
                linux_progress(ct, m.w[0], m.w[1]);   /* an LDC: its Linux too */
        }
        dm_sb_watchdog();   /* the restart thread may be the one waiting on a standby */
        hm_sleep_until(hm_deadline_ms(HEARTBEAT_PERIOD_MS));
    }
    return NULL;
}

/* ---- the restart thread ---- */

/* the earliest of: an injected kill, a heartbeat's limit, a twin call's
 * limit; at most one heartbeat period away (a ping may begin, or a
 * container exit, meanwhile) */
static uint64_t next_due(void)
{
    uint64_t next = dm_twin_watchdog_due();
    for (int ct = 0; ct < dm_ncts; ct++) {
        uint64_t at = __atomic_load_n(&dm_cts[ct].kill_at, __ATOMIC_SEQ_CST);
        uint64_t ping = __atomic_load_n(&dm_cts[ct].ping_since, __ATOMIC_SEQ_CST);
        if (at && at < next)
            next = at;
        uint64_t sb = dm_sb_due(ct);
        if (sb < next)
            next = sb;
        if (ping && ping + hm_ms(HEARTBEAT_MS) < next)
            next = ping + hm_ms(HEARTBEAT_MS);
    }
    uint64_t period = hm_deadline_ms(HEARTBEAT_PERIOD_MS);
    return next < period ? next : period;
}

/* what is due for container ct now: a kill, a missed heartbeat, an exit */
static void check_container(int ct)
{
    struct dm_ct *c = &dm_cts[ct];
    uint64_t at = __atomic_load_n(&c->kill_at, __ATOMIC_SEQ_CST);
    if (at && at <= hm_now() && __atomic_compare_exchange_n(&c->kill_at, &at, 0, 0, __ATOMIC_SEQ_CST, __ATOMIC_SEQ_CST))
        dm_ct_stop(ct, "an injected kill");   /* signals its restart bit: the next round */
    uint64_t ping = __atomic_load_n(&c->ping_since, __ATOMIC_SEQ_CST);
    if (ping && hm_now() - ping > hm_ms(HEARTBEAT_MS) &&
        __atomic_compare_exchange_n(&c->ping_since, &ping, 0, 0, __ATOMIC_SEQ_CST, __ATOMIC_SEQ_CST)) {
        printf("devmgr: %s: no answer to its heartbeat in %d ms: hung\n", c->name, HEARTBEAT_MS);
        dm_ct_stop(ct, "a missed heartbeat");
    }
    /* a container that exits by itself (no fault) is stopped and restarted
     * like one that faulted; c->proc changes only on this thread */
    int st = __atomic_load_n(&c->state, __ATOMIC_SEQ_CST);
    int64_t status;
    if ((st == HM_DM_RUNNING || st == HM_DM_STARTING) && c->proc >= 0 && hm_proc_wait(c->proc, hm_now(), &status) >= 0) {
        char why[48];
        snprintf(why, sizeof why, "its exit (status %ld)", (long)status);
        dm_ct_stop(ct, why);
    }
}

static void *restart_loop(void *arg)
{
    (void)arg;
    for (;;) {
        uint64_t bits = 0;
        long r = dm_ct_wait_stopped(next_due(), &bits);
        if (r < 0 && r != -HM_ETIMEDOUT) {
            hm_sleep_until(hm_deadline_ms(10));   /* never spin on an error */
            continue;
        }
        dm_twin_watchdog();
        for (int ct = 0; ct < dm_ncts; ct++) {
            check_container(ct);
            if (bits & (1ull << ct))
                dm_ct_restart(ct);
            dm_sb_check(ct);
        }
    }
    return NULL;
}

int dm_supervise_start(void)
{
    static struct hm_thread ft, rt, ht;
    if (hm_thread_start(&ft, fault_loop, NULL, HM_PRIO_SERVICE, 1) < 0 ||
        hm_thread_start(&rt, restart_loop, NULL, HM_PRIO_SERVICE, 1) < 0 ||
        hm_thread_start(&ht, heartbeat_loop, NULL, HM_PRIO_SERVICE, 1) < 0)
        return -ENOMEM;
    return 0;
}
