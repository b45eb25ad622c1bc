/* Block session checks shared by drivers (see hm/blk.h). Pure logic. */
#include <hm/blk.h>
#include <errno.h>

int hm_blk_check(const struct hm_blk_req *r, uint64_t dev_size, uint32_t lbs, int ro, uint64_t data_size)
{
    if (r->op == HM_BLK_FLUSH)
        return r->len == 0 ? 0 : -EINVAL;
    if (r->op != HM_BLK_READ && r->op != HM_BLK_WRITE)
        return -EINVAL;
    if (lbs == 0 || r->len == 0 || r->len % lbs || r->offset % lbs || r->data_off % lbs)
        return -EINVAL;
    if (r->data_off > data_size || r->len > data_size - r->data_off)
        return -EINVAL;
    if (r->offset >= dev_size || r->len > dev_size - r->offset)
        return -ENOSPC;
    if (r->op == HM_BLK_WRITE && ro)
        return -EROFS;
    return 0;
}

int hm_blk_pending(uint32_t head, uint32_t tail, uint32_t entries)
{
    uint32_t n = tail - head;   /* free-running counters */
    return n > entries ? -1 : (int)n;
}
