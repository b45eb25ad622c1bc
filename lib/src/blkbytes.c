/*
 * Byte-granular access to a block session (see hm/blkclient.h): what
 * read(2) and write(2) give on Linux's buffered block device, for every
 * tool. The device takes only whole logical blocks (512 bytes for
 * virtio-blk, 4096 for UFS); a range that starts or ends inside one is
 * widened to whole blocks, and a write first reads the partial blocks at
 * its ends (read-modify-write). Ranges that are already aligned go to the
 * device as they are. The data area of the session is the bounce buffer,
 * HM_BLK_BYTES_WINDOW bytes (at most) per request.
 *
 * Why here: every client of a block node goes through this library, so the
 * rule is written once and each tool gets it; the driver side (DC-base,
 * ndc, the twins) keeps the device's own rule (whole blocks, checked by
 * hm_blk_check) and never writes bytes a client did not send. As on Linux
 * without O_DIRECT, a read-modify-write is not atomic against another
 * client writing the same block at the same moment.
 */
#include <hm/blkclient.h>
#include <errno.h>
#include <string.h>

/* whole blocks [a, a + n) through the data area at data_off */
static int rw_blocks(struct hm_blk_client *c, uint32_t op, uint64_t a, uint64_t data_off, uint32_t n)
{
    int r = hm_blk_io(c, op, a, data_off, n);
    return r < 0 ? r : 0;
}

/* the largest window that is whole blocks and fits the data area */
static uint64_t window(const struct hm_blk_client *c)
{
    uint64_t w = c->data_size < HM_BLK_BYTES_WINDOW ? c->data_size : HM_BLK_BYTES_WINDOW;
    return w - w % c->lbs;
}

static long access_bytes(struct hm_blk_client *c, uint8_t *buf, uint64_t len, uint64_t off, int write)
{
    uint64_t lbs = c->lbs, win = window(c), done = 0;
    if (lbs == 0 || win == 0)
        return -EINVAL;
    while (done < len) {
        uint64_t o = off + done;
        uint64_t a = o - o % lbs;                   /* first block */
        uint64_t end = o + (len - done);
        if (end > a + win)
            end = a + win;
        uint64_t b = end % lbs ? end - end % lbs + lbs : end;   /* past the last block */
        uint32_t n = (uint32_t)(b - a);
        uint64_t chunk = end - o;
        int r = 0;
        if (!write) {
            r = rw_blocks(c, HM_BLK_READ, a, 0, n);
        } else {
            /* the partial blocks at either end: read, to keep their other bytes */
            if (o != a)
                r = rw_blocks(c, HM_BLK_READ, a, 0, (uint32_t)lbs);
            if (!r && end != b && (b - lbs != a || o == a))
                r = rw_blocks(c, HM_BLK_READ, b - lbs, b - lbs - a, (uint32_t)lbs);
        }
        if (r)
            return done ? (long)done : r;
        if (write) {
            memcpy(c->data + (o - a), buf + done, chunk);
            if ((r = rw_blocks(c, HM_BLK_WRITE, a, 0, n)))
                return done ? (long)done : r;
        } else {
            memcpy(buf + done, c->data + (o - a), chunk);
        }
        done += chunk;
    }
    return (long)done;
}

long hm_blk_pread(struct hm_blk_client *c, void *buf, uint64_t len, uint64_t off)
{
    if (off >= c->size)
        return 0;
    if (len > c->size - off)
        len = c->size - off;   /* a short read at the end, as read(2) */
    return access_bytes(c, buf, len, off, 0);
}

long hm_blk_pwrite(struct hm_blk_client *c, const void *buf, uint64_t len, uint64_t off)
{
    if (off >= c->size)
        return len ? -ENOSPC : 0;
    uint64_t n = len > c->size - off ? c->size - off : len;
    long r = access_bytes(c, (uint8_t *)buf, n, off, 1);
    /* a write cut short by the end: what fits, as write(2) on a block device */
    return r >= 0 && (uint64_t)r < len ? (r ? r : -ENOSPC) : r;
}
