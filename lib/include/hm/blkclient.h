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
};

/* INFO + a contiguous shared area with data_size bytes of data + ATTACH.
 * buf: the calling thread's registered IPC buffer, or NULL to register one
 * of the library's. 0 or a negative errno. */
int hm_blk_open(struct hm_blk_client *c, hm_handle_t ep, uint32_t entries, size_t data_size, struct hm_ipc_buf *buf);
/* queue one request; -EAGAIN when the ring is full */
int hm_blk_submit(struct hm_blk_client *c, uint32_t op, uint64_t offset, uint64_t data_off, uint32_t len, uint64_t id);
/* next completion: 0, -ETIMEDOUT, or -EIO if the driver stopped the session */
int hm_blk_wait(struct hm_blk_client *c, struct hm_blk_cpl *out, uint64_t deadline);
/* one synchronous request through the data area at data_off: status of the completion */
int hm_blk_io(struct hm_blk_client *c, uint32_t op, uint64_t offset, uint64_t data_off, uint32_t len);
void hm_blk_close(struct hm_blk_client *c);
#endif
