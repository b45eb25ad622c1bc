/*
 * A driver container's life (docs/reliability.md): started from the boot
 * image with exactly its devices' memory windows, interrupts and device
 * tree; "starting" until it says HM_DM_READY, then "running"; stopped on a
 * fault, an injected kill, an exit or a missed heartbeat, with its devices
 * quiet first; started again by the restart thread (or its standby
 * activated: standby.c).
 *
 * Micro-reboot: a fault before the container said it was ready, or within
 * HM_DM_REPEAT_WINDOW_MS after, counts as a repeat (a crash loop: a driver
 * that cannot probe, a request that crashes it each time it is re-issued):
 * repeats wait longer (50 ms doubling, at most 1 s) and after
 * HM_DM_RESTART_LIMIT of them in a row devmgr gives up. A container that
 * served for longer between faults starts a new count: it is never given
 * up, however many faults it survives.
 */
#include "devmgr.h"
#include <hm/prio.h>
#include <errno.h>
#include <stdio.h>

/* what one container can be given: a spawn carries at most
 * HM_START_MAX_HANDLES - 2 handles (the spawn adds "console" and
 * "thread"), 4 of them ep, dtb, dma and dm */
#define CT_MAX_WINDOWS DM_CT_MAX_WINDOWS
#define CT_MAX_IRQS DM_CT_MAX_IRQS
_Static_assert(CT_MAX_WINDOWS + CT_MAX_IRQS + 4 <= HM_START_MAX_HANDLES - 2, "a cold start's handles fit a spawn");

/* bit ct: container ct was stopped, start it again; KILLS_CHANGED: an
 * injected kill was armed, or a standby faulted (the restart thread waits
 * on it) */
static hm_handle_t restart_notif = HM_HANDLE_INVALID;
#define KILLS_CHANGED (1ull << 63)

long dm_ct_wait_stopped(uint64_t deadline, uint64_t *bits)
{
    return hm_notif_wait(restart_notif, deadline, bits);
}

void dm_ct_kill_later(int ct, uint64_t at)
{
    __atomic_store_n(&dm_cts[ct].kill_at, at, __ATOMIC_SEQ_CST);
    hm_notif_signal(restart_notif, KILLS_CHANGED);
}

void dm_ct_wake_restart(void)
{
    hm_notif_signal(restart_notif, KILLS_CHANGED);
}

int dm_ct_find(const char *name)
{
    for (int ct = 0; ct < dm_ncts; ct++)
        if (!strcmp(dm_cts[ct].name, name))
            return ct;
    return -1;
}

/* add [phys, phys+size) to a container's windows (or interrupt ranges),
 * merged with one it overlaps or touches (virtio slots share pages, their
 * SPIs are consecutive); 0, or -ENOSPC past max */
static int add_window(struct dm_win *w, int *n, int max, uint64_t phys, uint64_t size)
{
    for (int i = 0; i < *n; i++) {
        uint64_t end = phys + size, wend = w[i].phys + w[i].size;
        if (phys <= wend && w[i].phys <= end) {
            uint64_t lo = phys < w[i].phys ? phys : w[i].phys, hi = end > wend ? end : wend;
            w[i] = (struct dm_win){ lo, hi - lo };
            return 0;
        }
    }
    if (*n == max)
        return -ENOSPC;
    w[(*n)++] = (struct dm_win){ phys, size };
    return 0;
}

/* the memory windows and interrupt ranges of container ct's devices, and
 * its first device (PCI functions come with their host's); 0 or -ENOSPC */
static int ct_grants(int ct, struct dm_win *wins, int *nwin, struct dm_win *irqs, int *nirq, struct dm_dev **first)
{
    const char *name = dm_cts[ct].name;
    *first = NULL;
    for (int i = 0; i < dm_ndevs; i++) {
        struct dm_dev *d = &dm_devs[i];
        if (d->ct != ct || d->host >= 0)
            continue;
        *first = *first ? *first : d;
        for (int w = 0; w < d->nwin; w++)
            if (add_window(wins, nwin, CT_MAX_WINDOWS, d->win[w].phys, d->win[w].size)) {
                printf("devmgr: %s: more than %d memory windows\n", name, CT_MAX_WINDOWS);
                return -ENOSPC;
            }
        /* interrupt ranges: [phys, phys + size) as INTIDs */
        if (d->nirq && add_window(irqs, nirq, CT_MAX_IRQS, d->irq, d->nirq)) {
            printf("devmgr: %s: more than %d interrupt ranges\n", name, CT_MAX_IRQS);
            return -ENOSPC;
        }
    }
    return 0;
}

/* its arguments: a native driver (ndc) drives one device: its slot offset
 * and IRQ (the Linux container ignores these words and reads its device
 * tree) */
static void ct_args(const struct dm_dev *first, char off[16], char irq[16])
{
    snprintf(off, 16, "%lx", (unsigned long)(first->phys & 0xfff));
    snprintf(irq, 16, "%u", first->irq);
}

int dm_ct_twins_serving(int ct, uint64_t *serving, int n)
{
    int k = 0;
    for (int i = 0; i < dm_ndevs && k < n; i++)
        if (dm_devs[i].ct == ct && dm_devs[i].twin_orphan)
            serving[k++] = dm_devs[i].phys;
    return k;
}

long dm_ct_spawn(int ct, struct hm_spawn_handle *hs, int n, const char *extra, hm_handle_t *sep)
{
    struct dm_ct *c = &dm_cts[ct];
    struct dm_win wins[CT_MAX_WINDOWS], irqs[CT_MAX_IRQS];
    int nwin = 0, nirq = 0;
    struct dm_dev *first;
    if (ct_grants(ct, wins, &nwin, irqs, &nirq, &first))
        return -ENOSPC;
    if (!first)
        return -ENOENT;
    long ep = hm_ep_create();
    long sup = hm_handle_dup(dm_fault_ep, HM_R_SEND | HM_R_GRANT, DM_FAULT_BADGE + (uint64_t)ct);
    long dtb = dm_dtb_for(ct);
    int ours = n;
    hs[n++] = (struct hm_spawn_handle){ "ep", (hm_handle_t)ep, HM_R_RECV | HM_R_SEND | HM_R_DUP | HM_R_GRANT };
    hs[n++] = (struct hm_spawn_handle){ "dtb", (hm_handle_t)dtb, HM_R_READ | HM_R_MAP };
    char off[16], irq[16], serving[24 + HM_DM_MAX_TWIN_SERVING * 17] = "";
    uint64_t sv[HM_DM_MAX_TWIN_SERVING];
    ct_args(first, off, irq);
    /* the devices whose twin serves on while it restarts (DC-base asks us
     * to pause the twin before Linux touches one: HM_DM_TWIN_PAUSE); a
     * standby (extra) learns them when it is activated */
    int nsv = extra ? 0 : dm_ct_twins_serving(ct, sv, HM_DM_MAX_TWIN_SERVING);
    for (size_t k = 0, len = 0; k < (size_t)nsv; k++)
        len += (size_t)snprintf(serving + len, sizeof serving - len, "%s%lx", k ? "," : "hm.twin_serving=",
                                (unsigned long)sv[k]);
    const char *argv[5 + DM_CT_MAX_ARGS + 1] = { c->program, off, irq };
    int argc = 3;
    if (serving[0])
        argv[argc++] = serving;
    if (extra)
        argv[argc++] = extra;
    for (int a = 0; a < c->nargs; a++)
        argv[argc++] = c->args[a];
    argv[argc] = NULL;
    long p = ep < 0 || sup < 0 || dtb < 0 ? -ENOMEM : 0;
    if (!p) {
        p = hm_spawn_limited(c->program, argv, hs, n, (hm_handle_t)sup, HM_PRIO_DRIVER, c->limited ? c->limit : NULL);
        if (p < 0)
            printf("devmgr: cannot start %s: %s\n", c->program, hm_strerror(p));
        p = p < 0 ? -EIO : p;
    }
    /* the container has its own copies now (or never will): drop ours;
     * we keep a SEND handle to its endpoint (only the container receives) */
    long e = ep < 0 || p < 0 ? -1 : hm_handle_dup((hm_handle_t)ep, HM_R_SEND | HM_R_GRANT | HM_R_DUP, 0);
    *sep = e < 0 ? HM_HANDLE_INVALID : (hm_handle_t)e;
    for (int i = ours; i < n; i++)
        if (hs[i].h >= 0)
            hm_handle_close(hs[i].h);
    if (sup >= 0)
        hm_handle_close((hm_handle_t)sup);
    return p;
}

/* container ct's device memory windows and interrupt ranges, as new
 * handles: wins[0..*nwin) and irqres[0..*nirq); 0 or a negative errno
 * (none left open) */
int dm_ct_device_handles(int ct, long *wins_h, int *nwin, long *irqs_h, int *nirq)
{
    struct dm_win wins[CT_MAX_WINDOWS], irqs[CT_MAX_IRQS];
    struct dm_dev *first;
    *nwin = *nirq = 0;
    for (int i = 0; i < CT_MAX_WINDOWS; i++)
        wins_h[i] = -1;   /* the clean-up below closes only what was made */
    for (int i = 0; i < CT_MAX_IRQS; i++)
        irqs_h[i] = -1;
    int err = ct_grants(ct, wins, nwin, irqs, nirq, &first);
    if (!err && !first) {
        printf("devmgr: %s: no device of its own (its lines named only PCI functions): not started\n", dm_cts[ct].name);
        err = -ENOENT;
    }
    for (int w = 0; w < *nwin && !err; w++)
        if ((wins_h[w] = hm_mem_device(dm_root, wins[w].phys, wins[w].size)) < 0)
            err = -ENOMEM;
    for (int q = 0; q < *nirq && !err; q++)
        if ((irqs_h[q] = hm_resource_create(dm_root, HM_RES_IRQ, irqs[q].phys, irqs[q].size)) < 0)
            err = -ENOMEM;
    if (err) {
        for (int w = 0; w < *nwin; w++)
            if (wins_h[w] >= 0)
                hm_handle_close((hm_handle_t)wins_h[w]);
        for (int q = 0; q < *nirq; q++)
            if (irqs_h[q] >= 0)
                hm_handle_close((hm_handle_t)irqs_h[q]);
        *nwin = *nirq = 0;
    }
    return err;
}

/* the new process runs container ct now (a cold start or an activated
 * standby): stopped meanwhile (dm_ct_stop found no process to kill)? kill
 * it; it may have touched its devices */
void dm_ct_took_over(int ct, hm_handle_t p, hm_handle_t sep)
{
    struct dm_ct *c = &dm_cts[ct];
    __atomic_store_n(&c->proc, p, __ATOMIC_SEQ_CST);
    if (__atomic_load_n(&c->state, __ATOMIC_SEQ_CST) == HM_DM_RESTARTING) {
        hm_proc_kill(p);
        c->requiesce = 1;
    }
    /* without an endpoint we cannot ask for the log; the container still runs */
    dm_lock_take(&dm_ep_lock);
    c->ep = sep;
    dm_lock_drop(&dm_ep_lock);
}

int dm_ct_start(int ct)
{
    struct hm_spawn_handle hs[HM_START_MAX_HANDLES];
    char names[CT_MAX_WINDOWS + CT_MAX_IRQS][12];
    long wins[CT_MAX_WINDOWS], irqs[CT_MAX_IRQS];
    int nwin, nirq, n = 0;
    dm_msi_forget(ct);
    int err = dm_ct_device_handles(ct, wins, &nwin, irqs, &nirq);
    if (err)
        return err;
    for (int w = 0; w < nwin; w++) {
        snprintf(names[n], sizeof names[n], w ? "mmio%d" : "mmio", w);
        hs[n] = (struct hm_spawn_handle){ names[n], (hm_handle_t)wins[w], HM_R_READ | HM_R_WRITE | HM_R_MAP };
        n++;
    }
    for (int q = 0; q < nirq; q++) {
        snprintf(names[n], sizeof names[n], q ? "irqres%d" : "irqres", q);
        hs[n] = (struct hm_spawn_handle){ names[n], (hm_handle_t)irqs[q], HM_R_MANAGE };
        n++;
    }
    /* its line back to us: the badge tells us which container calls */
    long dmh = hm_handle_dup(dm_ep, HM_R_SEND | HM_R_GRANT, DM_CONTAINER_BADGE + (uint64_t)ct);
    long dma = hm_mem_create(DM_DMA_BUDGET, HM_MEM_CONTIG);
    hs[n++] = (struct hm_spawn_handle){ "dma", (hm_handle_t)dma, HM_R_READ | HM_R_WRITE | HM_R_MAP };
    hs[n++] = (struct hm_spawn_handle){ "dm", (hm_handle_t)dmh, HM_R_SEND | HM_R_GRANT };
    long p = dmh < 0 || dma < 0 ? -ENOMEM : 0;
    hm_handle_t sep = HM_HANDLE_INVALID;
    /* its PCI functions' DMA reaches its DMA budget, nothing else, until
     * it registers more (HM_DM_DMA_MAP) */
    if (!p) {
        dm_smmu_ct_start(ct, (hm_handle_t)dma);
        p = dm_ct_spawn(ct, hs, n, NULL, &sep);
    }
    for (int i = 0; i < n; i++)
        if (hs[i].h >= 0)
            hm_handle_close(hs[i].h);
    if (p < 0) {
        dm_smmu_ct_stop(ct);
        return (int)p;
    }
    dm_ct_took_over(ct, (hm_handle_t)p, sep);
    return 0;
}

int dm_ct_start_all(void)
{
    long rn = hm_notif_create();
    if (rn < 0)
        return -ENOMEM;
    restart_notif = (hm_handle_t)rn;
    for (int ct = 0; ct < dm_ncts; ct++) {
        /* starting until the container says HM_DM_READY: it registers its
         * nodes itself, through our main loop, so we must not wait here.
         * Set before the spawn: a fault right after it must not be
         * overwritten. */
        dm_cts[ct].state = HM_DM_STARTING;
        int err = dm_ct_start(ct);
        if (err)
            dm_cts[ct].state = HM_DM_FAILED;
        for (int i = 0; i < dm_ndevs; i++)
            if (dm_devs[i].ct == ct)
                printf("devmgr: %s: %s in %s%s\n", dm_devs[i].info.name,
                       dm_devs[i].info.driver[0] ? dm_devs[i].info.driver : "-", dm_cts[ct].name,
                       err ? ": failed to start" : "");
    }
    return 0;
}

/* Stop container ct (a fault, a kill, an exit, a missed heartbeat): its
 * devices quiet first, then the process; the restart thread starts it
 * again. Only a running or starting container is stopped (a second report
 * of the same death is not). Called by the fault, main and restart threads. */
int dm_ct_stop(int ct, const char *why)
{
    struct dm_ct *c = &dm_cts[ct];
    int st = __atomic_load_n(&c->state, __ATOMIC_SEQ_CST);
    do {
        if (st != HM_DM_RUNNING && st != HM_DM_STARTING)
            return -EAGAIN;
    } while (!__atomic_compare_exchange_n(&c->state, &st, HM_DM_RESTARTING, 0, __ATOMIC_SEQ_CST, __ATOMIC_SEQ_CST));
    c->stopped = hm_now();
    int kept = dm_quiesce(ct);
    dm_smmu_ct_stop(ct);   /* devices quiet: their streams abort before the memory can go */
    dm_lock_take(&dm_ep_lock);
    hm_handle_t fm = c->fault_mem;   /* an injected DMA's target page: the devices are quiet now */
    c->fault_mem = HM_HANDLE_INVALID;
    dm_lock_drop(&dm_ep_lock);
    if (fm >= 0)
        hm_handle_close(fm);
    hm_handle_t proc = __atomic_load_n(&c->proc, __ATOMIC_SEQ_CST);
    if (proc >= 0)
        hm_proc_kill(proc);   /* else it is being spawned: dm_ct_start kills it */
    printf("devmgr: %s stopped after %s, devices reset%s\n", c->name, why, kept ? " but those its twins serve" : "");
    hm_notif_signal(restart_notif, 1ull << ct);   /* the restart thread: dm_ct_restart */
    return 0;
}

/* the restart thread: a container dm_ct_stop stopped starts again */
void dm_ct_restart(int ct)
{
    struct dm_ct *c = &dm_cts[ct];
    int64_t status;
    hm_proc_kill(c->proc);   /* dm_ct_stop did; again for one spawned meanwhile */
    if (hm_proc_wait(c->proc, hm_deadline_ms(2000), &status) < 0)
        printf("devmgr: %s: not gone 2 s after its kill; started again anyway\n", c->name);
    hm_handle_close(c->proc);
    dm_lock_take(&dm_ep_lock);
    if (c->ep >= 0)
        hm_handle_close(c->ep);
    c->proc = c->ep = HM_HANDLE_INVALID;
    dm_lock_drop(&dm_ep_lock);
    if (c->requiesce) {
        c->requiesce = 0;
        dm_quiesce(ct);
        dm_smmu_ct_stop(ct);
    }
    uint64_t ready_at = __atomic_load_n(&c->ready_at, __ATOMIC_SEQ_CST);
    int repeat = !ready_at || ready_at > c->stopped || c->stopped - ready_at < hm_ms(HM_DM_REPEAT_WINDOW_MS);
    c->repeats = repeat ? c->repeats + 1 : 1;
    if (c->repeats > HM_DM_RESTART_LIMIT) {
        __atomic_store_n(&c->state, HM_DM_FAILED, __ATOMIC_SEQ_CST);
        printf("devmgr: %s: %d faults in a row, each before it was ready or within %d ms after: "
               "given up (its nodes answer EIO)\n", c->name, c->repeats, HM_DM_REPEAT_WINDOW_MS);
        dm_twins_stop(ct, "devmgr gave its container up");   /* no control plane will come back */
        dm_sb_drop(ct, "its container was given up");
        return;
    }
    if (c->repeats > 1) {
        uint64_t ms = 50ull << (c->repeats - 2);
        hm_sleep_until(hm_deadline_ms(ms > 1000 ? 1000 : ms));
    }
    c->restarts++;
    __atomic_store_n(&c->ready_at, 0, __ATOMIC_SEQ_CST);
    __atomic_store_n(&c->state, HM_DM_STARTING, __ATOMIC_SEQ_CST);
    /* a standby, if it has one, else a new process */
    int err = c->sb_proc >= 0 && !dm_sb_activate(ct) ? 0 : dm_ct_start(ct);
    if (err) {
        __atomic_store_n(&c->state, HM_DM_FAILED, __ATOMIC_SEQ_CST);
        printf("devmgr: %s: cannot start it again: %s\n", c->name, strerror(-err));
        dm_sb_drop(ct, "its container failed");
    } else {
        printf("devmgr: %s started again (restart %d)\n", c->name, c->restarts);
    }
}

/* HM_DM_READY from container ct: starting -> running. A compare-and-swap,
 * because another thread may have stopped it meanwhile, and that must
 * stay. Saying it again, or after a stop, changes nothing. */
void dm_ct_mark_ready(int ct)
{
    int expect = HM_DM_STARTING;
    struct dm_ct *c = &dm_cts[ct];
    if (!__atomic_compare_exchange_n(&c->state, &expect, HM_DM_RUNNING, 0, __ATOMIC_SEQ_CST, __ATOMIC_SEQ_CST))
        return;
    __atomic_store_n(&c->ready_at, hm_now(), __ATOMIC_SEQ_CST);
    /* a twin still paused or serving on: the new instance kept the data
     * plane (its hand-off failed) or never took the device; the twin's
     * clients reconnect to it */
    dm_twins_stop(ct, "its container is ready without handing the device back");
    if (c->restarts)
        printf("devmgr: %s ready again, %lu ms after it was stopped\n", c->name, dm_ms_since(c->stopped));
    else
        printf("devmgr: %s ready\n", c->name);
}

/* one call on container c's endpoint, through a copy of the handle taken
 * under dm_ep_lock (a restart closes the old one, whose number may then
 * name something else); handles in the answer are dropped (no container
 * request passes any) */
long dm_ct_call(struct dm_ct *c, struct hm_msg *q, const struct hm_ipc_buf *buf)
{
    dm_lock_take(&dm_ep_lock);
    long h = c->ep >= 0 ? hm_handle_dup(c->ep, HM_R_SEND, 0) : -HM_EBADH;
    dm_lock_drop(&dm_ep_lock);
    if (h < 0)
        return h;
    long r = hm_call((hm_handle_t)h, q);
    hm_handle_close((hm_handle_t)h);
    dm_drop_handles(r, q->tag, buf);
    return r;
}
