/* Server side of block sessions: see hm/blksrv.h. */
#include <hm/blksrv.h>
#include <errno.h>

int hm_blk_srv_attach(struct hm_blk_srv_session *tab, int n, hm_handle_t mem, hm_handle_t cn, uint64_t entries,
                      uint64_t bits, int contig)
{
    struct hm_mem_info mi;
    int err = 0, slot = -1;
    if (entries == 0 || entries > HM_BLK_MAX_ENTRIES || (entries & (entries - 1)) || !bits)
        err = -EINVAL;
    else if (hm_mem_info(mem, &mi) < 0 || (contig && mi.kind != HM_MEM_CONTIG) ||
             mi.size <= hm_blk_data_off((uint32_t)entries))
        err = -EINVAL;   /* too small for the rings, or a device could not reach it */
    for (int i = 0; !err && i < n && slot < 0; i++)
        if (!tab[i].active && !tab[i].reserved)
            slot = i;
    if (!err && slot < 0)
        err = -ENOSPC;
    long va = err ? -1 : hm_vm_map(HM_HANDLE_SELF_PROC, mem, 0, mi.size, 0, HM_MAP_R | HM_MAP_W);
    if (!err && va < 0)
        err = -EINVAL;
    hm_handle_close(mem);   /* the mapping keeps the memory */
    if (err) {
        hm_handle_close(cn);
        return err;
    }
    struct hm_blk_srv_session *s = &tab[slot];
    uint64_t doff = hm_blk_data_off((uint32_t)entries);
    s->va = (uint64_t)va;
    s->map_size = mi.size;
    s->sh = (struct hm_blk_shared *)va;
    *s->sh = (struct hm_blk_shared){ .magic = HM_BLK_MAGIC, .entries = (uint32_t)entries };
    s->sq = (struct hm_blk_req *)(va + HM_BLK_SQ_OFF);
    s->cq = (struct hm_blk_cpl *)(va + hm_blk_cq_off((uint32_t)entries));
    s->entries = (uint32_t)entries;
    s->data = (uint8_t *)va + doff;
    s->data_phys = mi.kind == HM_MEM_CONTIG ? mi.phys + doff : 0;
    s->data_size = mi.size - doff;
    s->client = cn;
    s->client_bits = bits;
    s->inflight = 0;
    s->closing = 0;
    s->gen = (s->gen + 1) & 0x3fff;   /* the badge keeps it below bit 30 */
    s->reserved = 1;
    return slot;
}

void hm_blk_srv_publish(struct hm_blk_srv_session *s)
{
    __asm__ volatile("dmb ish" ::: "memory");   /* everything the driver set before the data plane sees it */
    s->reserved = 0;
    s->active = 1;
}

uint64_t hm_blk_srv_badge(const struct hm_blk_srv_session *tab, int i)
{
    return (uint64_t)(i + 1) | (uint64_t)tab[i].gen << 16;
}

int hm_blk_srv_grant(const struct hm_blk_srv_session *tab, int i, hm_handle_t doorbell, hm_handle_t ep,
                     hm_handle_t out[2])
{
    long db = hm_handle_dup(doorbell, HM_R_SIGNAL | HM_R_GRANT, 0);
    long sess = hm_handle_dup(ep, HM_R_SEND | HM_R_GRANT, hm_blk_srv_badge(tab, i));
    if (db < 0 || sess < 0) {
        if (db >= 0)
            hm_handle_close((hm_handle_t)db);
        if (sess >= 0)
            hm_handle_close((hm_handle_t)sess);
        return -ENOMEM;
    }
    out[0] = (hm_handle_t)db;
    out[1] = (hm_handle_t)sess;
    return 0;
}

int hm_blk_srv_lookup(const struct hm_blk_srv_session *tab, int n, uint64_t badge)
{
    uint64_t slot = (badge & 0xffff) - 1;
    if (slot >= (uint64_t)n || !tab[slot].active || tab[slot].closing || tab[slot].gen != (uint32_t)(badge >> 16))
        return -1;
    return (int)slot;
}

void hm_blk_srv_post(struct hm_blk_srv_session *s, uint64_t id, int status, uint32_t len)
{
    struct hm_blk_shared *sh = s->sh;
    if (hm_blk_pending(sh->cq_head, sh->cq_tail, s->entries) < 0) {
        sh->broken = 1;   /* the client corrupted its completion index */
        return;
    }
    s->cq[sh->cq_tail % s->entries] = (struct hm_blk_cpl){ id, status, len };
    __asm__ volatile("dmb ish" ::: "memory");
    sh->cq_tail++;
}

void hm_blk_srv_release(struct hm_blk_srv_session *s)
{
    hm_vm_unmap(HM_HANDLE_SELF_PROC, s->va);
    hm_handle_close(s->client);
    s->closing = 0;
    s->reserved = 0;
    __asm__ volatile("dmb ish" ::: "memory");
    s->active = 0;
}

void hm_blk_srv_info(struct hm_msg *m, uint64_t size, uint32_t lbs, int ro)
{
    m->w[0] = size;
    m->w[1] = lbs;
    m->w[2] = (uint64_t)ro;
}

int hm_blk_srv_ioctl(struct hm_msg *m, uint64_t size, uint32_t lbs, int ro)
{
    switch (m->w[0]) {
    case HM_BLK_IOC_GETSIZE:
        m->w[0] = size;
        return 0;
    case HM_BLK_IOC_GETRO:
        m->w[0] = (uint64_t)ro;
        return 0;
    case HM_BLK_IOC_SSZGET:
        m->w[0] = lbs;
        return 0;
    default:
        return -ENOTTY;
    }
}

int hm_blk_srv_abandoned(struct hm_blk_srv_session *tab, int n)
{
    int found = 0;
    for (int i = 0; i < n; i++) {
        struct hm_handle_info hi;
        if (!tab[i].active || tab[i].closing || hm_handle_info(tab[i].client, &hi) || hi.handles > 1)
            continue;
        tab[i].closing = 1;
        found++;
    }
    return found;
}

int hm_blk_srv_slot_free(const struct hm_blk_srv_session *tab, int n)
{
    for (int i = 0; i < n; i++)
        if (!tab[i].active && !tab[i].reserved)
            return 1;
    return 0;
}

void hm_blk_srv_reclaim(const struct hm_blk_srv_session *tab, int n, hm_handle_t kick, uint64_t bits, int need_slot)
{
    uint64_t until = hm_deadline_ms(50);
    for (;;) {
        int freeable = 0;
        for (int i = 0; i < n; i++)
            freeable |= tab[i].active && tab[i].closing && tab[i].inflight == 0;
        if (!freeable || (need_slot && hm_blk_srv_slot_free(tab, n)) || hm_now() >= until)
            return;
        hm_notif_signal(kick, bits);
        hm_sleep_until(hm_deadline_ms(1));
    }
}
