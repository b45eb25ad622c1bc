/* Client side of a block session (hm/blk.h): every tool that reads or
 * writes a disk uses it. */
#ifndef HM_BLKCLIENT_H
#define HM_BLKCLIENT_H
#include <hm/hm.h>
#include <hm/blk.h>

struct hm_blk_client {
    hm_handle_t ep, mem, notif, doorbell, session;
    struct hm_blk_shared *sh;
    struct hm_blk_req *sq;
    struct hm_blk_cpl *cq;
    uint8_t *data;            /* data area, mapped here */
    uint64_t data_size;
    uint64_t size;            /* device size in bytes */
    uint32_t lbs, entries;
    int ro;
    /* Surviving a driver restart (docs/reliability.md): requests submitted
     * and not yet returned by hm_blk_wait are kept here; when the driver's
     * session endpoint is found closed, reconnect (if set) gives an
     * endpoint of the same node again (the caller opens it through vfs,
     * which hands out the restarted driver's), the session is attached
     * again over the same shared memory, and those requests are submitted
     * again. Completions the old driver posted and nobody read yet are
     * kept in done[]. */
    struct hm_blk_req *inflight;
    struct hm_blk_cpl *done;
    uint32_t ninflight, ndone;
    struct hm_ipc_buf *buf;
    int (*reconnect)(struct hm_blk_client *c, hm_handle_t *ep);
    void *reconnect_arg;
    uint32_t reconnects, reissued;   /* how often, and how many requests */
};

/* INFO + a contiguous shared area with data_size bytes of data + ATTACH.
 * buf: the calling thread's registered IPC buffer, or NULL to register one
 * of the library's. 0 or a negative errno; -EPIPE if the driver's endpoint
 * is closed (its container stopped: it may be restarting). */
int hm_blk_open(struct hm_blk_client *c, hm_handle_t ep, uint32_t entries, size_t data_size, struct hm_ipc_buf *buf);
/* queue one request; -EAGAIN when the ring is full */
int hm_blk_submit(struct hm_blk_client *c, uint32_t op, uint64_t offset, uint64_t data_off, uint32_t len, uint64_t id);
/* next completion: 0, -ETIMEDOUT, or -EIO if the driver stopped the
 * session, or is gone and could not be reached again before the deadline.
 * While requests are in flight it checks every HM_BLK_PROBE_MS that the
 * driver is still there, and recovers as above if not. */
#define HM_BLK_PROBE_MS 10   /* bounds how late a client sees a restart: recovery is ~50 ms */
int hm_blk_wait(struct hm_blk_client *c, struct hm_blk_cpl *out, uint64_t deadline);
/* one synchronous request through the data area at data_off: status of the completion */
int hm_blk_io(struct hm_blk_client *c, uint32_t op, uint64_t offset, uint64_t data_off, uint32_t len);
void hm_blk_close(struct hm_blk_client *c);

/* Byte-granular reads and writes, as read(2)/write(2) on Linux's buffered
 * block device (lib/src/blkbytes.c): ranges inside a logical block are
 * widened to whole blocks, partial blocks of a write are read first
 * (read-modify-write); aligned ranges go to the device as they are. The
 * session's data area is the bounce buffer (HM_BLK_BYTES_WINDOW bytes per
 * request at most). Bytes done (short at the device's end), or a negative
 * errno if nothing was; a write at or past the end: -ENOSPC. */
#define HM_BLK_BYTES_WINDOW (256 * 1024)
long hm_blk_pread(struct hm_blk_client *c, void *buf, uint64_t len, uint64_t off);
long hm_blk_pwrite(struct hm_blk_client *c, const void *buf, uint64_t len, uint64_t off);
#endif
