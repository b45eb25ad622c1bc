/* Block session request and ring-index checks. */
#define TAP_MODULE "blk"
#include "tap.h"
#include <hm/blk.h>
#include <errno.h>

#define MiB (1024ull * 1024)
static struct hm_blk_req rq(uint32_t op, uint64_t off, uint32_t len, uint64_t doff)
{
    return (struct hm_blk_req){ .id = 1, .op = op, .offset = off, .len = len, .data_off = doff };
}
static int chk(struct hm_blk_req r) { return hm_blk_check(&r, 8 * MiB, 512, 0, 1 * MiB); }

static void t_valid(void)
{
    CHECK_EQ(chk(rq(HM_BLK_READ, 0, 4096, 0)), 0);
    CHECK_EQ(chk(rq(HM_BLK_WRITE, 8 * MiB - 512, 512, 1 * MiB - 512)), 0);
    CHECK_EQ(chk(rq(HM_BLK_FLUSH, 0, 0, 0)), 0);
}
static void t_bad_op(void)
{
    CHECK_EQ(chk(rq(0, 0, 512, 0)), -EINVAL);
    CHECK_EQ(chk(rq(9, 0, 512, 0)), -EINVAL);
    CHECK_EQ(chk(rq(HM_BLK_FLUSH, 0, 512, 0)), -EINVAL);
}
static void t_alignment(void)
{
    CHECK_EQ(chk(rq(HM_BLK_READ, 1, 512, 0)), -EINVAL);
    CHECK_EQ(chk(rq(HM_BLK_READ, 0, 100, 0)), -EINVAL);
    CHECK_EQ(chk(rq(HM_BLK_READ, 0, 512, 3)), -EINVAL);
    CHECK_EQ(chk(rq(HM_BLK_READ, 0, 0, 0)), -EINVAL);
}
static void t_past_end(void)
{
    CHECK_EQ(chk(rq(HM_BLK_READ, 8 * MiB, 512, 0)), -ENOSPC);
    CHECK_EQ(chk(rq(HM_BLK_READ, 8 * MiB - 512, 1024, 0)), -ENOSPC);
    CHECK_EQ(chk(rq(HM_BLK_READ, UINT64_MAX - 511, 512, 0)), -ENOSPC);
}
static void t_data_window(void)
{
    CHECK_EQ(chk(rq(HM_BLK_READ, 0, 1024, 1 * MiB - 512)), -EINVAL);
    CHECK_EQ(chk(rq(HM_BLK_READ, 0, 512, 2 * MiB)), -EINVAL);
    CHECK_EQ(chk(rq(HM_BLK_READ, 0, 512, UINT64_MAX - 511)), -EINVAL);
}
static void t_read_only(void)
{
    struct hm_blk_req w = rq(HM_BLK_WRITE, 0, 512, 0), r = rq(HM_BLK_READ, 0, 512, 0);
    CHECK_EQ(hm_blk_check(&w, 8 * MiB, 512, 1, MiB), -EROFS);
    CHECK_EQ(hm_blk_check(&r, 8 * MiB, 512, 1, MiB), 0);
}
static void t_indexes(void)
{
    CHECK_EQ(hm_blk_pending(0, 0, 64), 0);
    CHECK_EQ(hm_blk_pending(10, 74, 64), 64);
    CHECK_EQ(hm_blk_pending(10, 75, 64), -1);
    CHECK_EQ(hm_blk_pending(0xfffffff0u, 0x10, 64), 32);   /* wrapped counters */
    CHECK_EQ(hm_blk_pending(20, 10, 64), -1);              /* tail behind head */
}
static void t_layout(void)
{
    CHECK_EQ(sizeof(struct hm_blk_shared), 64);
    CHECK_EQ(sizeof(struct hm_blk_req), 32);
    CHECK_EQ(sizeof(struct hm_blk_cpl), 16);
    CHECK_EQ(hm_blk_data_off(64) % 4096, 0);
    CHECK(hm_blk_data_off(256) >= hm_blk_cq_off(256) + 256 * 16);
}

int main(void)
{
    TAP_RUN("valid requests", t_valid);
    TAP_RUN("unknown operations", t_bad_op);
    TAP_RUN("unaligned offset, length, data offset", t_alignment);
    TAP_RUN("past the end of the device", t_past_end);
    TAP_RUN("outside the data area", t_data_window);
    TAP_RUN("writes to a read-only device", t_read_only);
    TAP_RUN("ring indexes, wrapped and corrupt", t_indexes);
    TAP_RUN("shared-area layout", t_layout);
    return tap_done();
}
