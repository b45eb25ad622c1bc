/*
 * Device manager protocol (IPC on devmgr's endpoint; reply label 0 or a
 * positive errno).
 *   HM_DM_LSDEV  w0 = index -> w0 = state, w1 = physical address,
 *                w2 = interrupt (INTID), w3 = restart count, and in the IPC
 *                buffer a struct hm_dm_dev (HM_DM_DEV_WORDS words);
 *                ENOENT past the last device.
 */
#ifndef HM_DM_H
#define HM_DM_H
#include <stdint.h>

#define HM_DM_LSDEV 0x444d0001u

#define HM_DM_UNASSIGNED 0   /* no container drives it */
#define HM_DM_RUNNING    1   /* its container runs */
#define HM_DM_FAULTED    2   /* its container faulted and was stopped */
#define HM_DM_FAILED     3   /* its container could not start */

struct hm_dm_dev {
    char name[32];          /* e.g. virtio-mmio@a003e00 */
    char compatible[32];    /* e.g. virtio,mmio */
    char kind[16];          /* e.g. block, empty, pci-host */
    char driver[24];        /* e.g. virtio_blk */
    char container[16];     /* e.g. ndc0 */
    char node[16];          /* its node in /dev, e.g. vda; empty if none */
};
#define HM_DM_DEV_WORDS (sizeof(struct hm_dm_dev) / 8)
_Static_assert(sizeof(struct hm_dm_dev) % 8 == 0 && sizeof(struct hm_dm_dev) / 8 <= 64, "fits the IPC buffer");

#include <hm/hm.h>
/* print the device table (the buffer must be this thread's IPC buffer); 0 or a kernel error */
int hm_dm_print(hm_handle_t dm, struct hm_ipc_buf *buf);
#endif
