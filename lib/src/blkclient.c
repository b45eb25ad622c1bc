/* Block session client (see hm/blkclient.h). */
#include <hm/blkclient.h>
#include <errno.h>
#include <string.h>

static struct hm_ipc_buf own_buf;

int hm_blk_open(struct hm_blk_client *c, hm_handle_t ep, uint32_t entries, size_t data_size, struct hm_ipc_buf *buf)
{
    memset(c, 0, sizeof *c);
    c->ep = ep;
    c->mem = c->notif = c->doorbell = c->session = HM_HANDLE_INVALID;
    struct hm_msg m = { .tag = HM_TAG(HM_BLK_INFO, 0, 0) };
    long r = hm_call(ep, &m);
    if (r < 0)
        return -EIO;
    if (HM_TAG_LABEL(m.tag))
        return -(int)HM_TAG_LABEL(m.tag);
    c->size = m.w[0];
    c->lbs = (uint32_t)m.w[1];
    c->ro = (int)m.w[2];
    c->entries = entries;
    uint64_t off = hm_blk_data_off(entries), total = off + ((data_size + 4095) & ~(size_t)4095);
    long mem = hm_mem_create(total, HM_MEM_CONTIG);
    long va = mem < 0 ? mem : hm_vm_map(HM_HANDLE_SELF_PROC, (hm_handle_t)mem, 0, total, 0, HM_MAP_R | HM_MAP_W);
    long n = hm_notif_create();
    if (mem < 0 || va < 0 || n < 0)
        return -ENOMEM;
    c->mem = (hm_handle_t)mem;
    c->notif = (hm_handle_t)n;
    c->sh = (struct hm_blk_shared *)va;
    c->sq = (struct hm_blk_req *)(va + HM_BLK_SQ_OFF);
    c->cq = (struct hm_blk_cpl *)(va + hm_blk_cq_off(entries));
    c->data = (uint8_t *)va + off;
    c->data_size = total - off;
    if (!buf) {
        buf = &own_buf;
        hm_ipc_buf_set(buf);
    }
    struct hm_ipc_buf *ipcbuf = buf;
    ipcbuf->handles[0] = (hm_handle_t)hm_handle_dup(c->mem, HM_R_READ | HM_R_WRITE | HM_R_MAP | HM_R_GRANT, 0);
    ipcbuf->handles[1] = (hm_handle_t)hm_handle_dup(c->notif, HM_R_SIGNAL | HM_R_GRANT, 0);
    m = (struct hm_msg){ .tag = HM_TAG(HM_BLK_ATTACH, 0, 2) | HM_TAG_MOVE, .w = { entries, 1 } };
    r = hm_call(ep, &m);
    if (r < 0)
        return -EIO;
    if (HM_TAG_LABEL(m.tag))
        return -(int)HM_TAG_LABEL(m.tag);
    if (HM_TAG_NHANDLES(m.tag) != 2)
        return -EIO;
    c->doorbell = ipcbuf->handles[0];
    c->session = ipcbuf->handles[1];
    return 0;
}

int hm_blk_submit(struct hm_blk_client *c, uint32_t op, uint64_t offset, uint64_t data_off, uint32_t len, uint64_t id)
{
    struct hm_blk_shared *sh = c->sh;
    if (sh->sq_tail - sh->sq_head >= c->entries)
        return -EAGAIN;
    c->sq[sh->sq_tail % c->entries] = (struct hm_blk_req){ .id = id, .offset = offset, .data_off = data_off,
                                                           .op = op, .len = len };
    __asm__ volatile("dmb ish" ::: "memory");
    sh->sq_tail++;
    hm_notif_signal(c->doorbell, 2);
    return 0;
}

int hm_blk_wait(struct hm_blk_client *c, struct hm_blk_cpl *out, uint64_t deadline)
{
    struct hm_blk_shared *sh = c->sh;
    while (sh->cq_head == sh->cq_tail) {
        if (sh->broken)
            return -EIO;
        uint64_t bits;
        if (hm_notif_wait(c->notif, deadline, &bits) == -HM_ETIMEDOUT)
            return -ETIMEDOUT;
    }
    __asm__ volatile("dmb ish" ::: "memory");
    *out = c->cq[sh->cq_head % c->entries];
    sh->cq_head++;
    return 0;
}

int hm_blk_io(struct hm_blk_client *c, uint32_t op, uint64_t offset, uint64_t data_off, uint32_t len)
{
    static uint64_t next_id = 1;
    uint64_t id = next_id++;
    int r = hm_blk_submit(c, op, offset, data_off, len, id);
    if (r)
        return r;
    struct hm_blk_cpl cpl;
    do {
        r = hm_blk_wait(c, &cpl, hm_deadline_ms(10000));
        if (r)
            return r;
    } while (cpl.id != id);
    return cpl.status;
}

void hm_blk_close(struct hm_blk_client *c)
{
    if (c->sh && c->session >= 0) {
        /* the driver drains our requests before it lets go of the memory */
        struct hm_msg m = { .tag = HM_TAG(HM_BLK_DETACH, 0, 0) };
        hm_call(c->session, &m);
        hm_handle_close(c->session);
    }
    if (c->sh)
        hm_vm_unmap(HM_HANDLE_SELF_PROC, (uint64_t)c->sh);
    hm_handle_close(c->mem);
    hm_handle_close(c->notif);
    hm_handle_close(c->doorbell);
    memset(c, 0, sizeof *c);
}
