/*
 * Requests from devmgr's clients (the shell, lsdev, tests): the device
 * list and fault injection (hm/dm.h; the containers' logs: nodes.c). One
 * handler per request; main.c's table says who may ask.
 */
#include "devmgr.h"
#include <hm/dmclient.h>
#include <hm/dc.h>
#include <errno.h>
#include <stdio.h>

/* HM_DM_LSDEV: w0 device index */
int dm_lsdev(struct hm_srv_req *r)
{
    uint64_t i = r->m.w[0];
    if (i >= (uint64_t)dm_ndevs)
        return -ENOENT;
    const struct dm_dev *d = &dm_devs[i];
    struct hm_dm_dev info = d->info;
    dm_lock_take(&dm_twin_lock);   /* dataplane changes with the twin */
    memcpy(info.dataplane, d->info.dataplane, sizeof info.dataplane);
    dm_lock_drop(&dm_twin_lock);
    dm_msi_describe(d, info.vectors, sizeof info.vectors);
    dm_smmu_describe(d, info.dma, sizeof info.dma);
    struct hm_quota q;
    hm_handle_t p = d->ct < 0 ? HM_HANDLE_INVALID : __atomic_load_n(&dm_cts[d->ct].proc, __ATOMIC_SEQ_CST);
    if (p != HM_HANDLE_INVALID && hm_proc_quota(p, &q) == 0) {
        memcpy(info.quota_used, q.used, sizeof q.used);
        memcpy(info.quota_limit, q.limit, sizeof q.limit);
    }
    if (d->ct >= 0 && dm_sb_quota(d->ct, &q) == 0)
        memcpy(info.standby_used, q.used, sizeof q.used);
    memcpy(r->buf->words, &info, sizeof info);
    r->reply_words = HM_DM_DEV_WORDS;
    r->m.w[0] = d->ct < 0 ? HM_DM_UNASSIGNED : (uint64_t)__atomic_load_n(&dm_cts[d->ct].state, __ATOMIC_SEQ_CST);
    r->m.w[1] = d->phys;
    r->m.w[2] = d->irq;
    r->m.w[3] = d->ct < 0 ? 0 : (uint64_t)dm_cts[d->ct].restarts;
    r->m.w[4] = (uint64_t)d->nodes;   /* lsdev shows node+N for the others */
    r->m.w[5] = d->nirq;
    return 0;
}

/* crash, hang, spin, deadlock: armed in the container (HM_DC_FAULT); its
 * fault message or the heartbeat does the rest. A link recovery runs there
 * at once. */
static int arm_in_container(int ct, struct hm_srv_req *r)
{
    struct dm_ct *c = &dm_cts[ct];
    uint64_t kind = r->m.w[0];
    if (__atomic_load_n(&c->state, __ATOMIC_SEQ_CST) != HM_DM_RUNNING)
        return -EAGAIN;
    struct hm_msg q = { .tag = HM_TAG(HM_DC_FAULT, 0, 0), .w = { kind, r->m.w[1], r->m.w[2] } };
    if (dm_ct_call(c, &q, r->buf) < 0)
        return -EAGAIN;    /* it has no endpoint, or went meanwhile */
    if (HM_TAG_LABEL(q.tag))
        return -ENOTSUP;   /* a native driver: it has no injection points */
    if (kind == HM_DM_FAULT_LINKRESET)
        printf("devmgr: %s: fault injected: link recovery\n", c->name);
    else
        printf("devmgr: %s: fault injected: %s (at request %lu, seed %lu)\n", c->name, hm_dm_fault_name(kind),
               (unsigned long)r->m.w[1], (unsigned long)r->m.w[2]);
    return 0;
}

/* a kill, now or after w1 ms (the restart thread keeps the time) */
static int kill_container(int ct, uint64_t delay_ms)
{
    struct dm_ct *c = &dm_cts[ct];
    if (!delay_ms) {
        printf("devmgr: %s: fault injected: kill\n", c->name);
        return dm_ct_stop(ct, "an injected kill");
    }
    int st = __atomic_load_n(&c->state, __ATOMIC_SEQ_CST);
    if (st != HM_DM_RUNNING && st != HM_DM_STARTING)
        return -EAGAIN;
    printf("devmgr: %s: fault injected: kill in %lu ms\n", c->name, (unsigned long)delay_ms);
    dm_ct_kill_later(ct, hm_deadline_ms(delay_ms));
    return 0;
}

/* HM_DM_FAULT: w0 the kind, w1 its argument, w2 a seed, the container's
 * name in the IPC buffer's words -> w0 its restart count before the fault */
int dm_fault(struct hm_srv_req *r)
{
    const char *name = dm_sent_name(r->buf, r->nwords, HM_DM_CT_NAME_MAX);
    uint64_t kind = r->m.w[0];
    if (!name)
        return -EINVAL;
    int ct = dm_ct_find(name);
    if (ct < 0)
        return -ENOENT;
    if (kind == HM_DM_FAULT_KILL && r->m.w[1] > 60000)
        return -EINVAL;
    if (kind != HM_DM_FAULT_KILL && kind != HM_DM_FAULT_CRASH && kind != HM_DM_FAULT_HANG &&
        kind != HM_DM_FAULT_LINKRESET && kind != HM_DM_FAULT_SPIN && kind != HM_DM_FAULT_DEADLOCK &&
        kind != HM_DM_FAULT_TWIN && kind != HM_DM_FAULT_STANDBY)
        return -EINVAL;
    uint64_t restarts = (uint64_t)dm_cts[ct].restarts;
    int st = kind == HM_DM_FAULT_KILL ? kill_container(ct, r->m.w[1])
           : kind == HM_DM_FAULT_TWIN ? dm_twin_inject(ct, r->buf)
           : kind == HM_DM_FAULT_STANDBY ? dm_sb_inject_kill(ct) : arm_in_container(ct, r);
    r->m.w[0] = restarts;
    return st;
}

/* HM_DM_DMA_FAULT: the container's name (16 bytes) and a disk's (8 bytes,
 * "": its first PCI disk) in the IPC words, handles[0] = the page the
 * device is to write: a page of the caller's own (contiguous memory), so
 * that without an SMMU the injection harms nobody else. devmgr holds the
 * page until the container's next stop (its devices quiet), so that it is
 * never freed under the DMA. -> w0 the restart count before the fault. */
int dm_dma_fault(struct hm_srv_req *r)
{
    const char *name = dm_sent_name(r->buf, r->nwords, HM_DM_CT_NAME_MAX);
    struct hm_mem_info mi;
    if (!name || r->nwords < (HM_DM_CT_NAME_MAX + 8) / 8)
        return -EINVAL;
    int ct = dm_ct_find(name);
    if (ct < 0)
        return -ENOENT;
    if (hm_mem_info(r->h[0], &mi) < 0 || mi.kind != HM_MEM_CONTIG || mi.size < 4096)
        return -EINVAL;
    struct dm_ct *c = &dm_cts[ct];
    if (__atomic_load_n(&c->state, __ATOMIC_SEQ_CST) != HM_DM_RUNNING)
        return -EAGAIN;
    uint64_t disk;
    memcpy(&disk, (const char *)r->buf->words + HM_DM_CT_NAME_MAX, 8);
    ((char *)&disk)[7] = 0;
    uint64_t restarts = (uint64_t)c->restarts;
    struct hm_msg q = { .tag = HM_TAG(HM_DC_FAULT, 0, 0), .w = { HM_DM_FAULT_DMA, mi.phys, disk } };
    dm_lock_take(&dm_ep_lock);
    hm_handle_t old = c->fault_mem;
    c->fault_mem = r->h[0];   /* kept (see above) */
    dm_lock_drop(&dm_ep_lock);
    r->h[0] = HM_HANDLE_INVALID;
    if (old >= 0)
        hm_handle_close(old);
    if (dm_ct_call(c, &q, r->buf) < 0)
        return -EAGAIN;
    if (HM_TAG_LABEL(q.tag))
        return -(int)HM_TAG_LABEL(q.tag);   /* EINVAL: not outside it; ENOTSUP: a native driver */
    printf("devmgr: %s: fault injected: DMA of %s into 0x%lx, a page of a client's\n", c->name,
           (const char *)&disk, (unsigned long)mi.phys);
    r->m.w[0] = restarts;
    return 0;
}
