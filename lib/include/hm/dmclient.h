/* Client side of the device manager protocol (hm/dm.h): the lsdev program,
 * the shell and tests use these. Each takes the calling thread's IPC buffer
 * and returns 0 or a negative errno (-EIO: devmgr could not be reached). */
#ifndef HM_DMCLIENT_H
#define HM_DMCLIENT_H
#include <hm/hm.h>
#include <hm/dm.h>

/* one row of HM_DM_LSDEV, decoded; its strings are NUL-terminated */
struct hm_dm_row {
    struct hm_dm_dev dev;
    uint64_t state;      /* HM_DM_* (its container's) */
    uint64_t phys;       /* MMIO address; a PCI function: its configuration space */
    uint64_t irq, nirq;  /* interrupts [irq, irq + nirq); irq 0: none */
    uint64_t restarts;   /* its container's restart count */
    uint64_t nodes;      /* /dev nodes registered for it (dev.node is the first) */
};

/* device index's row: 0, -ENOENT past the last device, -EIO */
int hm_dm_lsdev(hm_handle_t dm, struct hm_ipc_buf *buf, uint64_t index, struct hm_dm_row *row);
/* "running", "starting", ...: a state's name ("?" for none of them) */
const char *hm_dm_state_name(uint64_t state);
/* a fault kind's name ("crash", ... "twin"; "?" for none), and back (0: none) */
const char *hm_dm_fault_name(uint64_t kind);
uint64_t hm_dm_fault_kind(const char *name);
/* print the device table, one line per device */
int hm_dm_print(hm_handle_t dm, struct hm_ipc_buf *buf);
/* each running container's kernel quota, in use / limit, as a table */
int hm_dm_print_quotas(hm_handle_t dm, struct hm_ipc_buf *buf);
/* up to HM_DC_LOG_CHUNK bytes of device index's container log from offset
 * off into out: 0 with *n bytes and *next the offset after them (n = 0 at
 * the end), -ENOENT past the last device, -ENOTSUP no log, -EIO */
int hm_dm_dmesg(hm_handle_t dm, struct hm_ipc_buf *buf, uint64_t index, uint64_t off, char *out, uint64_t *n,
                uint64_t *next);
/* inject a fault (HM_DM_FAULT) into the container so named: kind
 * HM_DM_FAULT_KILL (arg: delay in ms), _CRASH or _HANG (arg: at the N-th
 * block request, seed: picks N and the path). 0 with the restart count
 * before the fault in *restarts (if not NULL), or -ENOENT, -EAGAIN (not
 * running), -ENOTSUP (no injection points), -EIO */
int hm_dm_fault(hm_handle_t dm, struct hm_ipc_buf *buf, const char *container, uint64_t kind, uint64_t arg,
                uint64_t seed, uint64_t *restarts);
/* HM_DM_DMA_FAULT: container's device behind disk ("": its first PCI disk;
 * at most 7 characters) is made to write page (contiguous memory of the
 * caller's, copied: devmgr holds it until the container's next stop). 0
 * with the restart count before in *restarts (if not NULL), -ENOENT,
 * -EINVAL, -EAGAIN, -ENOTSUP, -EIO */
int hm_dm_dma_fault(hm_handle_t dm, struct hm_ipc_buf *buf, const char *container, const char *disk, hm_handle_t page,
                    uint64_t *restarts);
/* HM_DM_DMA_MAP from a container or twin ("dm" handle): mem (contiguous,
 * copied: it needs the grant right) becomes reachable by the caller's
 * confined devices; 0 with the functions covered in *covered (if not
 * NULL), -ENOTSUP (no SMMU confines the caller's devices), -EINVAL,
 * -ENOSPC, -ENOMEM, -EPERM, -EIO. buf: the calling thread's IPC buffer. */
int hm_dm_dma_map(hm_handle_t dm, struct hm_ipc_buf *buf, hm_handle_t mem, uint64_t *covered);
/* HM_DM_DMA_UNMAP of the map made at phys: 0, -ENOENT, -ENOTSUP, -EPERM, -EIO */
int hm_dm_dma_unmap(hm_handle_t dm, uint64_t phys);
#endif
