/*
 * Block session protocol: how a client and a block driver move data.
 *
 * Control (IPC on the driver's endpoint; label = operation, reply label =
 * 0 or a positive errno from <errno.h>, hm/proto.h). INFO, IOCTL and ATTACH
 * come on the handle vfs hands out for a node (its badge names the disk);
 * DETACH only on a session handle; any other caller gets EPERM.
 *   HM_BLK_INFO    -> w0 size in bytes, w1 logical block size, w2 read-only
 *   HM_BLK_ATTACH  handles[0] = shared memory object (HM_MEM_CONTIG: the
 *                  driver may point the device at it), handles[1] = the
 *                  client's notification (SIGNAL); w0 = ring entries (power of
 *                  two, <= HM_BLK_MAX_ENTRIES), w1 = notification bits.
 *                  -> handles[0] = the driver's doorbell notification (SIGNAL:
 *                  the client signals HM_BLK_DOORBELL_BIT after queueing),
 *                  handles[1] = the session handle (the driver's endpoint with
 *                  a badge naming the session).
 *   HM_BLK_DETACH  on the session handle: the driver finishes the session's
 *                  requests in flight, then forgets it and unmaps its memory.
 * Data (shared memory, no IPC per request):
 *   offset 0                     struct hm_blk_shared (ring indexes)
 *   offset HM_BLK_SQ_OFF         submission ring: entries x struct hm_blk_req
 *   hm_blk_cq_off(entries)       completion ring: entries x struct hm_blk_cpl
 *   hm_blk_data_off(entries)     data area (page aligned) up to the object's end
 * The client fills sq[sq_tail % entries], advances sq_tail and signals the
 * doorbell; the driver completes into cq[cq_tail % entries], advances
 * cq_tail and signals the client. Indexes are free-running 32-bit counters.
 * The driver checks every request (operation, range, alignment, length,
 * data window) and every index it reads; a bad one gets an error completion
 * (or, for a corrupt index, the session is refused further work), never a
 * driver crash.
 */
#ifndef HM_BLK_H
#define HM_BLK_H
#include <stdint.h>
#include <hm/proto.h>

#define HM_BLK_INFO   HM_LABEL(HM_PROTO_BLK, 1)
#define HM_BLK_ATTACH HM_LABEL(HM_PROTO_BLK, 2)
#define HM_BLK_DETACH HM_LABEL(HM_PROTO_BLK, 3)
/* HM_BLK_IOCTL: w0 command, w1 argument -> w0.. results, or ENOTTY */
#define HM_BLK_IOCTL  HM_LABEL(HM_PROTO_BLK, 4)
#define HM_BLK_IOC_GETSIZE 1   /* -> w0 size in bytes (as Linux BLKGETSIZE64) */
#define HM_BLK_IOC_GETRO   2   /* -> w0 1 if read-only (as Linux BLKROGET) */
#define HM_BLK_IOC_SSZGET  3   /* -> w0 logical block size (as Linux BLKSSZGET) */

#define HM_BLK_READ  1
#define HM_BLK_WRITE 2
#define HM_BLK_FLUSH 3

#define HM_BLK_MAX_ENTRIES 256
/* what a client signals on the driver's doorbell once it queued requests;
 * a driver whose data plane waits on one notification for its device's
 * interrupt and the doorbell keeps this bit for the doorbell */
#define HM_BLK_DOORBELL_BIT (1ull << 1)
#define HM_BLK_MAGIC 0x6b6c626du   /* "mblk" */

struct hm_blk_req {
    uint64_t id;        /* echoed in the completion */
    uint64_t offset;    /* byte offset on the device, block aligned */
    uint64_t data_off;  /* byte offset in the data area, block aligned */
    uint32_t op;        /* HM_BLK_READ / WRITE / FLUSH */
    uint32_t len;       /* bytes, block multiple, > 0 except for FLUSH */
};

struct hm_blk_cpl {
    uint64_t id;
    int32_t status;     /* 0 or a negative errno */
    uint32_t len;       /* bytes transferred */
};

struct hm_blk_shared {
    uint32_t magic;
    uint32_t entries;
    volatile uint32_t sq_head, sq_tail;   /* driver consumes, client produces */
    volatile uint32_t cq_head, cq_tail;   /* client consumes, driver produces */
    uint32_t broken;                      /* set by the driver on a corrupt index */
    uint32_t pad[9];
};

#define HM_BLK_SQ_OFF 64
static inline uint64_t hm_blk_cq_off(uint32_t entries) { return HM_BLK_SQ_OFF + (uint64_t)entries * sizeof(struct hm_blk_req); }
static inline uint64_t hm_blk_data_off(uint32_t entries)
{
    return (hm_blk_cq_off(entries) + (uint64_t)entries * sizeof(struct hm_blk_cpl) + 4095) & ~4095ull;
}

/* Check one request against the device and the session: 0 or a negative
 * errno (EINVAL malformed, EROFS write to read-only, ENOSPC past the end). */
int hm_blk_check(const struct hm_blk_req *r, uint64_t dev_size, uint32_t lbs, int ro, uint64_t data_size);
/* Number of pending submissions, or -1 if the indexes are impossible. */
int hm_blk_pending(uint32_t head, uint32_t tail, uint32_t entries);
#endif
