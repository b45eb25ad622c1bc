/*
 * Twin drivers (hm/twin.h, docs/twin-drivers.md): a device's data plane
 * moves from its Linux driver container to a native twin once Linux has
 * probed it. devmgr starts the twin, hands it the LDC's rings (the first
 * hand-off and every later one are one message, HM_TWIN_ADOPT), lets it
 * serve on while its LDC restarts, pauses it for the new LDC's probe and
 * stops it when it cannot go on.
 *
 * Every call to a twin is watched: one that has not answered after
 * TWIN_CALL_MS (a twin that hangs) is ended by killing the twin (the
 * restart thread, dm_twin_watchdog), so devmgr's main thread never waits
 * on it forever. Twin fields are guarded by dm_twin_lock.
 */
#include "devmgr.h"
#include <hm/prio.h>
#include <hm/twin.h>
#include <errno.h>
#include <stdio.h>

#define TWIN_DMA (16 * 1024)   /* a twin's DMA memory: request headers and status bytes, or UFS command descriptors */
#define TWIN_CALL_MS 5000      /* a twin answers every call within this (a pause takes up to 2 s) */

void dm_twin_stop_locked(struct dm_dev *d)
{
    if (d->twin_proc < 0)
        return;
    hm_proc_kill(d->twin_proc);
    if (d->call_proc == d->twin_proc)
        d->call_proc = HM_HANDLE_INVALID;   /* the call in flight ends with it */
    hm_handle_close(d->twin_proc);
    hm_handle_close(d->twin_ep);
    d->twin_proc = d->twin_ep = HM_HANDLE_INVALID;
    d->twin_orphan = d->twin_paused = 0;
    dm_copy_str(d->info.dataplane, sizeof d->info.dataplane, "");
    dm_smmu_twin_gone(d);   /* lock order: dm_twin_lock, then the SMMU's */
}

static void twin_stop(struct dm_dev *d)
{
    dm_lock_take(&dm_twin_lock);
    dm_twin_stop_locked(d);
    dm_lock_drop(&dm_twin_lock);
}

void dm_twins_stop(int ct, const char *why)
{
    for (int i = 0; i < dm_ndevs; i++) {
        struct dm_dev *d = &dm_devs[i];
        dm_lock_take(&dm_twin_lock);
        int stop = d->ct == ct && d->twin_proc >= 0 && (d->twin_orphan || d->twin_paused);
        if (stop)
            dm_twin_stop_locked(d);
        dm_lock_drop(&dm_twin_lock);
        if (stop)
            printf("devmgr: %s: twin %s stopped: %s\n", d->info.name, d->twin, why);
    }
}

/* A twin faulted: it is stopped; its device's sessions end (their
 * clients see EIO), the LDC keeps the control plane. */
static int twin_call(struct dm_dev *d, hm_handle_t proc, hm_handle_t ep, struct hm_msg *m, struct hm_ipc_buf *buf);

int dm_twin_fault(struct dm_dev *d, const struct hm_msg *m)
{
    printf("devmgr: %s: twin %s faulted (pc 0x%lx, address 0x%lx): stopped\n", d->info.name, d->twin,
           (unsigned long)m->w[1], (unsigned long)m->w[2]);
    dm_lock_take(&dm_twin_lock);
    if (d->twin_proc >= 0)
        hm_proc_kill(d->twin_proc);
    dm_copy_str(d->info.dataplane, sizeof d->info.dataplane, "faulted");
    dm_lock_drop(&dm_twin_lock);
    /* its LDC restarts with it: the device is reset (the faulted twin is
     * stopped, dm_quiesce), the new Linux probes it and hands it to a new
     * twin, and the clients' sessions reconnect to that and re-issue what
     * was in flight: a delay, nothing lost */
    if (d->ct >= 0)
        dm_ct_stop(d->ct, "its twin's fault");
    return HM_SRV_NOREPLY;   /* an answer would resume the faulting thread */
}

/* HM_DM_FAULT_TWIN: the first twin serving one of container ct's devices
 * crashes (HM_TWIN_FAULT) */
int dm_twin_inject(int ct, struct hm_ipc_buf *buf)
{
    for (int i = 0; i < dm_ndevs; i++) {
        struct dm_dev *d = &dm_devs[i];
        dm_lock_take(&dm_twin_lock);
        hm_handle_t proc = d->twin_proc, ep = d->twin_ep;
        int serving = d->ct == ct && proc >= 0 && !strcmp(d->info.dataplane, "twin") && !d->twin_orphan;
        dm_lock_drop(&dm_twin_lock);
        if (!serving)
            continue;
        struct hm_msg m = { .tag = HM_TAG(HM_TWIN_FAULT, 0, 0) };
        int st = twin_call(d, proc, ep, &m, buf);
        if (!st)
            printf("devmgr: %s: fault injected: twin %s crashes\n", d->info.name, d->twin);
        return st;
    }
    return -ENOTSUP;
}

/* Call twin proc on its endpoint ep (a handle of ours) with devmgr's badge,
 * watched (TWIN_CALL_MS). 0, the twin's status negated, or -EIO if it is
 * gone or was killed for overrunning. Handles in its answer are dropped. */
static int twin_call(struct dm_dev *d, hm_handle_t proc, hm_handle_t ep, struct hm_msg *m, struct hm_ipc_buf *buf)
{
    long h = hm_handle_dup(ep, HM_R_SEND, HM_TWIN_BADGE_DM);
    if (h < 0)
        return -ENOMEM;
    dm_lock_take(&dm_twin_lock);
    d->call_proc = proc;
    __atomic_store_n(&d->call_since, hm_now(), __ATOMIC_SEQ_CST);
    dm_lock_drop(&dm_twin_lock);
    long r = hm_call((hm_handle_t)h, m);
    dm_lock_take(&dm_twin_lock);
    __atomic_store_n(&d->call_since, 0, __ATOMIC_SEQ_CST);
    d->call_proc = HM_HANDLE_INVALID;
    dm_lock_drop(&dm_twin_lock);
    hm_handle_close((hm_handle_t)h);
    dm_drop_handles(r, m->tag, buf);
    return r < 0 ? -EIO : -(int)HM_TAG_LABEL(m->tag);
}

uint64_t dm_twin_watchdog_due(void)
{
    uint64_t next = HM_DEADLINE_NEVER;
    for (int i = 0; i < dm_ndevs; i++) {
        uint64_t since = __atomic_load_n(&dm_devs[i].call_since, __ATOMIC_SEQ_CST);
        if (since && since + hm_ms(TWIN_CALL_MS) < next)
            next = since + hm_ms(TWIN_CALL_MS);
    }
    return next;
}

void dm_twin_watchdog(void)
{
    for (int i = 0; i < dm_ndevs; i++) {
        struct dm_dev *d = &dm_devs[i];
        dm_lock_take(&dm_twin_lock);
        uint64_t since = d->call_since;
        int overdue = since && hm_now() - since > hm_ms(TWIN_CALL_MS) && d->call_proc >= 0;
        if (overdue) {
            hm_proc_kill(d->call_proc);   /* the call returns ECLOSED */
            d->call_proc = HM_HANDLE_INVALID;
        }
        dm_lock_drop(&dm_twin_lock);
        if (overdue)
            printf("devmgr: %s: twin %s did not answer devmgr in %d ms: killed\n", d->info.name, d->twin,
                   TWIN_CALL_MS);
    }
}

/* HM_DM_TWIN_PAUSE from container ct: it is about to probe the device at
 * phys. If a twin serves that device on without a control plane (its LDC
 * restarted), the twin pauses first: Linux's probe resets the device. If
 * it cannot, it is stopped and the device reset (its clients reconnect to
 * the new LDC, as on a board without twin). buf: the calling thread's IPC
 * buffer. */
int dm_twin_pause(int ct, uint64_t phys, struct hm_ipc_buf *buf)
{
    struct dm_dev *d = NULL;
    for (int i = 0; i < dm_ndevs && !d; i++)
        if (dm_devs[i].ct == ct && dm_devs[i].phys == phys)
            d = &dm_devs[i];
    if (!d)
        return phys && dm_not_mine(ct, phys, "a twin pause") == -EPERM ? -EPERM : -ENOENT;
    dm_lock_take(&dm_twin_lock);
    hm_handle_t proc = d->twin_proc, ep = d->twin_ep;
    int serving = proc >= 0 && d->twin_orphan, faulted = strcmp(d->info.dataplane, "twin");
    uint64_t since = d->twin_since;
    dm_lock_drop(&dm_twin_lock);
    if (!serving)
        return 0;   /* nothing serves it: Linux may go on */
    struct hm_msg m = { .tag = HM_TAG(HM_TWIN_PAUSE, 0, 0) };
    int st = faulted ? -ESRCH : twin_call(d, proc, ep, &m, buf);
    if (st) {
        printf("devmgr: %s: twin %s cannot pause (%s): stopped, device reset for %s's probe\n", d->info.name,
               d->twin, strerror(-st), dm_cts[ct].name);
        dm_dev_reset(d);   /* first: its requests in flight stop before the twin's memory leaves the translation */
        twin_stop(d);
        dm_smmu_twin_paused(d);
        return 0;
    }
    dm_lock_take(&dm_twin_lock);
    d->twin_orphan = 0;
    d->twin_paused = 1;
    d->twin_since = hm_now();
    dm_lock_drop(&dm_twin_lock);
    dm_smmu_twin_paused(d);   /* the old Linux's rings are not the twin's any more */
    printf("devmgr: %s: twin %s served %lu ms without a control plane; paused for %s's probe\n", d->info.name,
           d->twin, dm_ms_since(since), dm_cts[ct].name);
    return 0;
}

/* The hand-off an LDC sends (HM_DM_TWIN), checked: the device must be one
 * of container ct's with a twin in devices.conf, and the words must
 * describe what its kind of twin drives inside the memory sent (h[0]),
 * where the LDC says it lies: a virtio-blk device's split ring, or a UFS
 * controller's (PCI function: its BAR 0 as the hardware decodes it)
 * transfer request list and link page. 0 and *dev, or a negative errno. */
static int handoff_check(int ct, struct hm_srv_req *r, struct dm_dev **dev)
{
    struct hm_mem_info mi;
    uint64_t lo, hi, mmio, base;
    if (r->nwords != HM_TWIN_STATE_WORDS && r->nwords != HM_TWIN_UFS_STATE_WORDS)
        return -EINVAL;
    memcpy(&mmio, &r->buf->words[0], 8);   /* both start with the registers, then the memory's base */
    memcpy(&base, &r->buf->words[1], 8);
    struct dm_dev *d = NULL, *other = NULL;
    for (int i = 0; i < dm_ndevs && !d; i++) {
        struct dm_dev *c = &dm_devs[i];
        uint64_t bar;
        if ((c->host < 0 && c->phys == mmio) || (c->host >= 0 && !dm_pci_bar0(c, &bar) && bar == mmio)) {
            if (c->ct == ct)
                d = c;
            else if (c->ct >= 0 && !other)
                other = c;
        }
    }
    if (!d && other) {
        dm_refusal_log(ct, "a twin hand-off", other);
        return -EPERM;
    }
    if (!d)
        return -EINVAL;   /* no device there */
    if (!d->twin[0])
        return -EPERM;    /* its line in devices.conf names no twin */
    if (hm_mem_info(r->h[0], &mi) < 0 || mi.kind != HM_MEM_CONTIG || base != mi.phys)
        return -EINVAL;   /* the state must be in the memory sent, where the LDC says */
    if (!strcmp(d->info.kind, "ufs-host")) {
        struct hm_twin_ufs_state st;
        if (r->nwords != HM_TWIN_UFS_STATE_WORDS)
            return -EINVAL;
        memcpy(&st, r->buf->words, sizeof st);
        if (st.irq != d->irq || !st.nutrs || st.nutrs > 32 || !st.slots || st.slots >= st.nutrs ||
            (st.utrl & 1023) || (st.link & 0xfff) || st.utrl < mi.phys || st.utrl - mi.phys + 32ull * st.nutrs > mi.size ||
            st.link < mi.phys || st.link - mi.phys + 4096 > mi.size)
            return -EINVAL;   /* not its interrupt, or a list or link page the twin cannot use */
    } else {
        struct hm_twin_state st;
        if (r->nwords != HM_TWIN_STATE_WORDS)
            return -EINVAL;
        memcpy(&st, r->buf->words, sizeof st);
        if (st.irq != d->irq)
            return -EINVAL;   /* not its interrupt */
        if (st.num < 4 || st.num > 1024 || (st.num & (st.num - 1)) || (st.desc & 15) || (st.avail & 1) ||
            (st.used & 3))
            return -EINVAL;   /* not a split ring the twin can drive */
        if (!hm_twin_rings_inside(&st, mi.phys, mi.size, &lo, &hi))
            return -EINVAL;   /* a ring part outside the memory sent */
    }
    *dev = d;
    return 0;
}

/* A new twin for device d, paused until its first HM_TWIN_ADOPT: its
 * process and a SEND handle to its endpoint (devmgr keeps no receive
 * right, so the endpoint closes when the twin dies and a call on it fails
 * instead of waiting). 0 or a negative errno. */
static int twin_spawn(struct dm_dev *d, hm_handle_t *proc, hm_handle_t *tep)
{
    /* the register page: a PCI function's BAR 0, where its container's
     * Linux put it (handoff_check compared it with what the LDC says) */
    uint64_t regs = d->phys;
    long mmio = d->host >= 0 && dm_pci_bar0(d, &regs) ? -HM_EINVAL : hm_mem_device(dm_root, regs & ~0xfffull, 4096);
    long irqres = hm_resource_create(dm_root, HM_RES_IRQ, d->irq, 1);
    long ep = hm_ep_create();
    long dma = hm_mem_create(TWIN_DMA, HM_MEM_CONTIG);
    long sup = hm_handle_dup(dm_fault_ep, HM_R_SEND | HM_R_GRANT, DM_TWIN_FAULT_BADGE + (uint64_t)(d - dm_devs));
    long sep = ep < 0 ? ep : hm_handle_dup((hm_handle_t)ep, HM_R_SEND | HM_R_GRANT | HM_R_DUP, 0);
    /* its line to us: DMA registrations of its clients' buffers */
    long dmh = hm_handle_dup(dm_fault_ep, HM_R_SEND | HM_R_GRANT, DM_TWIN_BADGE + (uint64_t)(d - dm_devs));
    long p = -HM_ENOMEM;
    /* its descriptors are reachable by the device before it runs */
    int mapped = dma >= 0 ? dm_smmu_twin_map(d, (hm_handle_t)dma) : -ENOMEM;
    if (mmio >= 0 && irqres >= 0 && ep >= 0 && dma >= 0 && sup >= 0 && sep >= 0 && dmh >= 0 && !mapped) {
        struct hm_spawn_handle hs[] = {
            { "mmio", (hm_handle_t)mmio, HM_R_READ | HM_R_WRITE | HM_R_MAP },
            { "irqres", (hm_handle_t)irqres, HM_R_MANAGE },
            { "ep", (hm_handle_t)ep, HM_R_RECV | HM_R_SEND | HM_R_DUP | HM_R_GRANT },
            { "dma", (hm_handle_t)dma, HM_R_READ | HM_R_WRITE | HM_R_MAP },
            { "dm", (hm_handle_t)dmh, HM_R_SEND | HM_R_GRANT },
        };
        const char *argv[] = { d->twin, d->info.name, NULL };
        /* the LDCs' priority, not above: a client that keeps a twin busy
         * would otherwise starve the LDC's restart */
        p = hm_spawn(d->twin, argv, hs, (int)(sizeof hs / sizeof hs[0]), (hm_handle_t)sup, HM_PRIO_DRIVER);
    }
    /* the twin has its own copies now (or never will) */
    long mine[] = { mmio, irqres, ep, dma, sup, dmh };
    for (unsigned i = 0; i < sizeof mine / sizeof mine[0]; i++)
        if (mine[i] >= 0)
            hm_handle_close((hm_handle_t)mine[i]);
    if (p < 0) {
        if (!mapped)
            dm_smmu_twin_gone(d);
        printf("devmgr: %s: cannot start its twin %s: %s\n", d->info.name, d->twin,
               mapped ? "no DMA translation for its descriptors" : hm_strerror(p));
        if (sep >= 0)
            hm_handle_close((hm_handle_t)sep);
        return -EIO;
    }
    *proc = (hm_handle_t)p;
    *tep = (hm_handle_t)sep;
    return 0;
}

/* HM_DM_TWIN from container ct (r: the words and handles of hm/twin.h):
 * the device's twin takes the data plane from the rings sent: a new twin
 * at the first hand-off, the paused one after its LDC restarted. *out =
 * the LDC's handle to the twin's endpoint. If the twin cannot take it, it
 * is stopped and the LDC keeps the data plane (-EIO). */
int dm_twin_take(int ct, struct hm_srv_req *r, hm_handle_t *out)
{
    struct dm_dev *d;
    int err = handoff_check(ct, r, &d);
    if (err)
        return err;
    dm_lock_take(&dm_twin_lock);
    if (d->twin_proc >= 0 && (strcmp(d->info.dataplane, "twin") || d->twin_orphan)) {
        /* it faulted meanwhile, or it was never paused (the device was
         * reset under it): a new one */
        printf("devmgr: %s: twin %s %s: a new one takes the data plane\n", d->info.name, d->twin,
               d->twin_orphan ? "was not paused before the probe" : "faulted");
        dm_twin_stop_locked(d);
    }
    int busy = d->twin_proc >= 0 && !d->twin_paused, again = d->twin_proc >= 0;
    hm_handle_t proc = d->twin_proc, tep = HM_HANDLE_INVALID;   /* tep: our copy of its endpoint, for the call */
    long copy = again && !busy ? hm_handle_dup(d->twin_ep, HM_R_SEND | HM_R_GRANT | HM_R_DUP, 0) : 0;
    uint64_t paused_at = d->twin_since;
    dm_lock_drop(&dm_twin_lock);
    if (busy)
        return -EBUSY;
    if (copy < 0)
        return -ENOMEM;
    if (again)
        tep = (hm_handle_t)copy;
    else if ((err = twin_spawn(d, &proc, &tep)))
        return err;
    /* the LDC's handle first: once the twin serves the new ring, Linux
     * must not take it back */
    long sep = hm_handle_dup(tep, HM_R_SEND | HM_R_GRANT, HM_TWIN_BADGE_LDC);
    err = sep < 0 ? -ENOMEM : 0;
    if (!err) {
        /* the LDC's words are still in the buffer: passed on unchanged, its
         * two handles copied (the server loop closes ours) */
        r->buf->handles[0] = r->h[0];
        r->buf->handles[1] = r->h[1];
        struct hm_msg m = { .tag = HM_TAG(HM_TWIN_ADOPT, (uint64_t)r->nwords, 2) };
        err = twin_call(d, proc, tep, &m, r->buf);
    }
    dm_lock_take(&dm_twin_lock);
    int now = __atomic_load_n(&dm_cts[ct].state, __ATOMIC_SEQ_CST);
    int stopping = (again && d->twin_proc != proc) || (now != HM_DM_RUNNING && now != HM_DM_STARTING);
    if (!err && !stopping) {
        if (!again) {
            d->twin_proc = proc;
            d->twin_ep = tep;
            tep = HM_HANDLE_INVALID;   /* d's now */
        }
        d->twin_paused = 0;
        dm_copy_str(d->info.dataplane, sizeof d->info.dataplane, "twin");
    }
    dm_lock_drop(&dm_twin_lock);
    if (err || stopping) {
        if (err)
            printf("devmgr: %s: twin %s %s (%s): stopped, %s keeps the data plane\n", d->info.name, d->twin,
                   again ? "cannot serve on" : "did not take the data plane over", strerror(-err), dm_cts[ct].name);
        else   /* the LDC stopped during the call: its rings are gone with it, its devices were reset */
            printf("devmgr: %s: %s stopped during the hand-%s: twin %s stopped\n", d->info.name, dm_cts[ct].name,
                   again ? "back" : "off", d->twin);
        if (sep >= 0)
            hm_handle_close((hm_handle_t)sep);
        if (again) {
            twin_stop(d);
        } else {
            hm_proc_kill(proc);
            hm_handle_close(proc);
        }
        if (tep >= 0)
            hm_handle_close(tep);
        return -EIO;
    }
    if (tep >= 0)
        hm_handle_close(tep);   /* the copy taken for the call */
    *out = (hm_handle_t)sep;
    if (again)
        printf("devmgr: %s: data plane handed back from %s to the same %s after a pause of %lu ms; its sessions go "
               "on\n", d->info.name, dm_cts[ct].name, d->twin, dm_ms_since(paused_at));
    else
        printf("devmgr: %s: data plane handed from %s to %s\n", d->info.name, dm_cts[ct].name, d->twin);
    return 0;
}
