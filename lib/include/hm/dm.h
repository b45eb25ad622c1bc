/*
 * Device manager protocol: requests on devmgr's endpoint. Reply label 0 or
 * a positive errno (hm/proto.h); a caller the rule does not name gets EPERM,
 * an unknown label EINVAL. Client helpers: hm/dmclient.h.
 *
 * From anyone holding a devmgr handle (clients hold badge 0):
 *   HM_DM_LSDEV  w0 = index -> w0 = state (its container's), w1 = physical
 *                address (a PCI function: of its config space), w2 = first
 *                interrupt (INTID), w3 = its container's restart count,
 *                w4 = /dev nodes registered for it, w5 = how many interrupts
 *                from w2 on, and in the IPC buffer a struct hm_dm_dev
 *                (HM_DM_DEV_WORDS words); ENOENT past the last device.
 *   HM_DM_DMESG  w0 = device index, w1 = byte offset in its container's log
 *                -> as HM_DC_LOG (hm/dc.h; devmgr asks the container);
 *                ENOENT past the last device, ENOTSUP if the container keeps
 *                no log (native drivers print to the console instead).
 * From a holder of the fault right only (a devmgr handle with badge
 * HM_DM_BADGE_FAULT, which init gives the shell and nobody else:
 * boot.conf's "send=dm/0x100:dm-fault"); any other caller gets EPERM:
 *   HM_DM_FAULT  w0 = HM_DM_FAULT_KILL, w1 = delay in ms (0: now, at most
 *                60000); or w0 = HM_DM_FAULT_CRASH / _HANG, w1 = at the
 *                container's N-th block request from now (0: the next; a
 *                hang: now), w2 = seed (0: none; else it picks N and the
 *                path); IPC-buffer words: a container's name
 *                (NUL-terminated, at most 16 bytes) -> w0 = its restart count
 *                before the fault. devmgr stops the container (its devices
 *                reset first) and micro-reboots it (see docs/reliability.md);
 *                crash and hang are armed in the container (HM_DC_FAULT)
 *                and found by its fault message or devmgr's heartbeat;
 *                HM_DM_FAULT_LINKRESET: the container's Linux runs its UFS
 *                driver's link recovery at once (the container goes on);
 *                HM_DM_FAULT_SPIN / _DEADLOCK, w1 = at the N-th block
 *                request (0: the next), w2 = seed: Linux's block thread
 *                loops with interrupts off, or takes a lock it holds,
 *                found by the heartbeat's progress checks (hm/dc.h);
 *                HM_DM_FAULT_TWIN: the twin serving one of the container's
 *                devices crashes (HM_TWIN_FAULT); devmgr stops it and
 *                restarts the container with it (ENOTSUP: no twin serves);
 *                HM_DM_FAULT_STANDBY: devmgr kills the container's standby
 *                (devices.conf "standby"), which starts again (ESRCH: it
 *                has none now).
 *                ENOENT: no such container, EAGAIN: it is not running,
 *                ENOTSUP: the container cannot inject that (native drivers).
 *   HM_DM_DMA_FAULT IPC-buffer words: a container's name (16 bytes, NUL-
 *                terminated), then a disk's name as its Linux has it (8
 *                bytes, e.g. "nvme0n1"; "": its first disk on PCI),
 *                handles[0] = a page of the caller's (contiguous memory,
 *                copied; devmgr holds it until the container's next stop).
 *                The container's Linux reads the disk's first page with
 *                that page's address as the DMA address: with the SMMU,
 *                the write is stopped and logged and the container
 *                restarted; without, the page is overwritten. -> w0 = its
 *                restart count before. ENOENT: no such container; EINVAL:
 *                not contiguous memory, or the page is the container's
 *                own; EAGAIN: it is not running; ENOTSUP: a native driver.
 * From a driver container only (the "dm" handle devmgr gave it; the badge
 * names the container, and every request acts on that container's own
 * devices and nodes: one that names another container's device or node
 * gets EPERM, and devmgr logs it; one that names no device, EINVAL):
 *   HM_DM_REGISTER  IPC-buffer words: the node name (NUL-terminated, at most
 *                HM_DM_NAME_MAX bytes, e.g. "vda2"; empty: devmgr names it
 *                vdX), w0 = node type (HM_VFS_BLK; HM_VFS_CHR: a name
 *                as devtmpfs has it, "input/event0"), w1 = size in bytes,
 *                w2 = the device it sits on: HM_DM_WHERE_PCI | PCI domain
 *                << 16 | bus << 8 | devfn, or the MMIO address of a
 *                device-tree device, or 0 (a disk: the container's first
 *                device; a character device: only one devices.conf names
 *                with "node NAME KIND", else EPERM),
 *                handles[0] = the endpoint vfs hands to clients (moved).
 *                devmgr publishes /dev/NAME in vfs. -> IPC-buffer words: the
 *                name used.
 *   HM_DM_READY  the container has probed its devices and published their
 *                nodes: its devices go from "starting" to "running".
 *   HM_DM_RESIZE IPC-buffer words: a node name it registered, w1 = its new
 *                size in bytes: devmgr tells vfs (HM_VFS_RESIZE).
 *   HM_DM_TWIN   hand a device's data plane to its twin (hm/twin.h): the
 *                words and handles of the hand-off. The device must be the
 *                container's and its devices.conf line must name a twin
 *                program. A twin that served on while the container
 *                restarted takes the new rings instead of a new twin
 *                being started. -> handles[0] = the twin's endpoint.
 *   HM_DM_TWIN_PAUSE  w0 = the MMIO address of one of its devices it is
 *                about to probe (DC-base's ioremap, for the devices devmgr
 *                named in its "hm.twin_serving=ADDR,..." argument): a twin
 *                serving that device without a control plane pauses first
 *                (HM_TWIN_PAUSE), so that Linux's reset does not pull the
 *                ring from under it. No IPC-buffer words either way (the
 *                caller is Linux's CPU thread).
 *   HM_DM_MSI    w0 = one of its PCI functions (HM_DM_WHERE_PCI | domain
 *                << 16 | bus << 8 | devfn), w1 = a vector index (its MSI-X
 *                table entry, or MSI vector), w2 = 1 if MSI-X -> w0 = the
 *                function's device ID (requester ID), handles[0] = an
 *                HM_RES_MSI resource covering that one source, for
 *                hm_msi_create. ENOENT: not its function; ERANGE: the
 *                function has fewer vectors (at most 8 are granted);
 *                ENOTSUP: devmgr runs with msi=off (INTx only). No
 *                IPC-buffer words either way.
 * From a driver container, or a twin (its "dm" handle, on devmgr's
 * supervisor endpoint: the badge names its device), with the SMMU on
 * (docs/reliability.md "DMA"):
 *   HM_DM_DMA_MAP  handles[0] = contiguous memory the caller holds (copied;
 *                with the duplicate right if it covers several functions):
 *                its devices may DMA into it from now on (identity map:
 *                device address = physical address). A container's
 *                registration covers all its PCI functions, a twin's the
 *                one it serves. -> w0 = functions covered. EINVAL: not
 *                contiguous memory (anonymous or device memory);
 *                EPERM: a handle without the right to write (and map);
 *                ENOTSUP: no SMMU, or no function of the caller's is
 *                behind it (its DMA is not confined: nothing to do);
 *                EAGAIN: the caller's container is stopping;
 *                ENOSPC: 24 objects per function already; ENOMEM: no
 *                table pages left.
 *   HM_DM_DMA_UNMAP w0 = the physical address of memory the caller mapped:
 *                out of the translations (TLBs invalidated) before devmgr
 *                lets go of it. ENOENT: the caller mapped nothing there.
 *                A container's maps all go at its stop, a twin's when it
 *                goes.
 * devmgr calls containers with the requests of hm/dc.h.
 */
#ifndef HM_DM_H
#define HM_DM_H
#include <stdint.h>
#include <hm/proto.h>
#include <uapi/hm/syscall.h>   /* HM_QUOTA_N */

#define HM_DM_LSDEV      HM_LABEL(HM_PROTO_DM, 1)
#define HM_DM_REGISTER   HM_LABEL(HM_PROTO_DM, 2)
#define HM_DM_READY      HM_LABEL(HM_PROTO_DM, 3)
#define HM_DM_DMESG      HM_LABEL(HM_PROTO_DM, 4)
#define HM_DM_RESIZE     HM_LABEL(HM_PROTO_DM, 5)
#define HM_DM_TWIN       HM_LABEL(HM_PROTO_DM, 6)
#define HM_DM_FAULT      HM_LABEL(HM_PROTO_DM, 7)
#define HM_DM_TWIN_PAUSE HM_LABEL(HM_PROTO_DM, 8)
#define HM_DM_MSI        HM_LABEL(HM_PROTO_DM, 9)
#define HM_DM_DMA_MAP    HM_LABEL(HM_PROTO_DM, 10)
#define HM_DM_DMA_UNMAP  HM_LABEL(HM_PROTO_DM, 11)
#define HM_DM_DMA_FAULT  HM_LABEL(HM_PROTO_DM, 12)

/* the badge of a devmgr handle that carries the fault right (HM_DM_FAULT,
 * HM_DM_DMA_FAULT); devmgr itself mints badges from 0x1000 up */
#define HM_DM_BADGE_FAULT 0x100

#define HM_DM_MAX_TWIN_SERVING 8   /* addresses in "hm.twin_serving=A,B,..." */
#define HM_DM_FAULT_CRASH 1  /* a wild access from inside the container (LDC) */
#define HM_DM_FAULT_HANG  2  /* the container stops answering (LDC) */
#define HM_DM_FAULT_KILL  3  /* devmgr kills the container */
#define HM_DM_FAULT_LINKRESET 4   /* the container's Linux recovers its UFS link on purpose (a twin shares it) */
#define HM_DM_FAULT_DMA   5  /* one of the container's PCI devices writes outside it (HM_DM_DMA_FAULT) */
#define HM_DM_FAULT_SPIN  6  /* a Linux thread loops with interrupts off (LDC) */
#define HM_DM_FAULT_DEADLOCK 7   /* a Linux thread takes a lock it holds (LDC) */
#define HM_DM_FAULT_TWIN  8  /* the container's twin crashes (HM_TWIN_FAULT): twin and LDC restart */
#define HM_DM_FAULT_STANDBY 9   /* devmgr kills the container's standby (it died unused: another starts) */
/* devmgr counts a fault before a container is ready, or within this long
 * after, as a repeat (a crash loop), and gives up after HM_DM_RESTART_LIMIT
 * repeats in a row (docs/reliability.md) */
#define HM_DM_REPEAT_WINDOW_MS 1000
#define HM_DM_RESTART_LIMIT 5
#define HM_DM_NAME_MAX 32
#define HM_DM_CT_NAME_MAX 16   /* a container's name, with its NUL */
#define HM_DM_WHERE_PCI (1ull << 63)

/* a device's state: its container's (HM_DM_LSDEV w0) */
#define HM_DM_UNASSIGNED 0   /* no container drives it */
#define HM_DM_RUNNING    1   /* its container runs */
#define HM_DM_FAULTED    2   /* its container faulted and was stopped */
#define HM_DM_FAILED     3   /* its container could not start, or was given up */
#define HM_DM_STARTING   4   /* its container runs but has not said HM_DM_READY */
#define HM_DM_RESTARTING 5   /* its container was stopped and is being started again */

struct hm_dm_dev {
    char name[32];          /* e.g. virtio-mmio@a003e00 */
    char compatible[32];    /* e.g. virtio,mmio */
    char kind[16];          /* e.g. block, empty, pci-host */
    char driver[24];        /* e.g. virtio_blk */
    char container[HM_DM_CT_NAME_MAX];   /* e.g. ndc0 */
    char node[16];          /* its node in /dev, e.g. vda; empty if none */
    char dataplane[8];      /* "twin" once a twin serves its data plane */
    char vectors[16];       /* MSI vectors its container holds: "msix:2", "msi:1", or "" */
    char dma[16];           /* "smmu": its DMA confined; "unconfined"; "": it does no DMA */
    /* its container's kernel quota (syscall.h HM_QUOTA_*): in use and the
     * limits (HM_QUOTA_UNLIMITED: none); all 0 when no container runs it */
    uint64_t quota_used[HM_QUOTA_N];
    uint64_t quota_limit[HM_QUOTA_N];
    /* its container's standby (devices.conf "standby"): what it holds
     * (same limits); all 0 when it has none */
    uint64_t standby_used[HM_QUOTA_N];
};
#define HM_DM_DEV_WORDS (sizeof(struct hm_dm_dev) / 8)
_Static_assert(sizeof(struct hm_dm_dev) % 8 == 0 && sizeof(struct hm_dm_dev) / 8 <= 64, "fits the IPC buffer");
#endif
