/*
 * devmgr: the device manager. What its files share.
 *
 *   main.c            start-up; its endpoint's table: who may ask what
 *   client_conn.c     requests from clients: LSDEV, FAULT (DMESG: nodes.c)
 *   container_conn.c  requests from driver containers: REGISTER, READY,
 *                     RESIZE, TWIN, TWIN_PAUSE
 *   board.c           the board: device tree and PCI scan
 *   board_conf.c      devices.conf: which container drives which device
 *   dtb_filter.c      the device tree a container is given
 *   container.c       a container's life: start, stop, restart, ready
 *   standby.c         standby containers: booted ahead, activated on a restart
 *   supervise.c       the fault, restart and heartbeat threads (an LDC's
 *                     answer: does its Linux make progress)
 *   quiesce.c         making a stopping container's devices stop DMA
 *   twin.c            twin drivers: start, hand-off, pause, stop
 *   smmu.c            the SMMUv3: stream table, command and event queues
 *   smmu_pt.c         its stage-2 translation tables
 *   smmu_domain.c     each PCI function's DMA translation; DMA_MAP/UNMAP
 *   nodes.c           /dev nodes containers publish, their logs
 *   owner.c           whose device a container's request names; refusals
 *
 * Threads and what guards what:
 *   - the main thread serves devmgr's endpoint (dm_ep); the fault thread
 *     serves the supervisor endpoint (dm_fault_ep: the kernel's fault
 *     messages); the restart thread restarts stopped containers, fires
 *     delayed injected kills and finds missed heartbeats and overdue twin
 *     calls; the heartbeat thread pings running containers.
 *   - dm_devs[], dm_cts[] and their counts, and every field below not named
 *     otherwise, are written at start-up, before the other threads run,
 *     and only read afterwards.
 *   - struct dm_ct: state, proc, ready_at, kill_at, ping_since are atomics
 *     (state changes by compare-and-swap: dm_ct_stop and dm_ct_mark_ready
 *     race with each other); ep is guarded by dm_ep_lock (callers use a copy
 *     taken under it: dm_ct_call); restarts, repeats, stopped, requiesce
 *     belong to the thread that stops the container and then the restart
 *     thread (the stop's write comes before the restart thread is
 *     signalled).
 *   - struct dm_dev: the twin_* fields and info.dataplane are guarded by
 *     dm_twin_lock (a hand-off on the main thread races with the
 *     container's stop on another); info.node and nodes belong to the main
 *     thread, as does the node table in nodes.c.
 */
#ifndef DEVMGR_DEVMGR_H
#define DEVMGR_DEVMGR_H
#include <hm/hm.h>
#include <hm/dm.h>
#include <hm/server.h>
#include <stdint.h>
#include <string.h>

#define DM_MAX_DEVS 48   /* <= 64: smmu_domain.c keeps sets of devices in one word */
#define DM_MAX_CTS 8
#define DM_PCI_MAX_MEMWIN 3   /* memory windows of a PCIe host given (board.c, dm_pci_ranges) */

struct dm_win {
    uint64_t phys, size;
};

struct dm_dev {
    struct hm_dm_dev info;
    int node;               /* its node in the board's device tree; -1: a PCI function */
    int host;               /* a PCI function: index of its host; -1 otherwise */
    int ct;                 /* the container driving it, -1: none */
    uint64_t phys;          /* MMIO address; a PCI function: address of its config space */
    uint32_t irq, nirq;     /* interrupts [irq, irq + nirq) */
    uint32_t bdf;           /* a PCI function: bus << 8 | devfn */
    uint32_t pci_id;        /* a PCI function: device << 16 | vendor, as config space has it */
    char id_for[24];        /* devices.conf "pci-id": the Linux driver its container adds pci_id to, or "" */
    uint32_t msi_vecs;      /* a PCI function: MSI(-X) vectors its container may have (msi.c) */
    int msix;               /* it has MSI-X (else MSI, if msi_vecs) */
    uint64_t msi_granted;   /* vectors granted to its container since it started (bit = event) */
    int domain;             /* a PCIe host: its PCI domain number in its container's Linux */
    struct dm_win win[1 + DM_PCI_MAX_MEMWIN];   /* what a container driving it needs mapped */
    int nwin;
    int nodes;              /* /dev nodes its container registered for it; info.node is the first */
    char twin[32];          /* devices.conf: the program that takes its data plane, or "" */
    /* its twin (dm_twin_lock) */
    hm_handle_t twin_proc;  /* that program, once it took the data plane */
    hm_handle_t twin_ep;    /* its endpoint (SEND): devmgr's calls, the LDC's handles */
    int twin_orphan;        /* it serves on while its LDC restarts (not paused yet) */
    int twin_paused;        /* paused for the new LDC's probe (HM_DM_TWIN_PAUSE) */
    uint64_t twin_since;    /* hm_now() when the LDC stopped, then when the twin paused */
    hm_handle_t call_proc;  /* a twin devmgr is calling (killed if it overruns), or invalid */
    uint64_t call_since;    /* hm_now() when that call began, 0: none */
};

#define DM_CT_MAX_ARGS 4
struct dm_ct {
    char name[HM_DM_CT_NAME_MAX];
    char program[32];       /* what runs it: kept to start it again */
    int state;              /* HM_DM_STARTING, _RUNNING, _RESTARTING, _FAILED */
    int restarts;
    hm_handle_t proc, ep;   /* the container and its endpoint (SEND) */
    uint64_t stopped;       /* hm_now() of its last stop */
    uint64_t ready_at;      /* hm_now() when it last said it was ready, 0: not since its start */
    int repeats;            /* faults in a row, each a repeat (see HM_DM_REPEAT_WINDOW_MS) */
    uint64_t kill_at;       /* an injected kill due then (hm_now()), 0: none */
    uint64_t ping_since;    /* hm_now() when the heartbeat call now waiting began, 0: none */
    int refusals;           /* its requests about other containers' devices (the first few are logged) */
    int requiesce;          /* stopped while its spawn was under way: quiet its devices again */
    hm_handle_t fault_mem;  /* the page of the last HM_DM_DMA_FAULT, held until its next stop (dm_ep_lock) */
    int limited;            /* the board file gave it a quota: limit */
    uint64_t limit[HM_QUOTA_N];
    char args[DM_CT_MAX_ARGS][32];   /* the board file's args line: added to its program's arguments */
    int nargs;
    /* its standby (standby.c; devices.conf "standby"): an LDC booted up to
     * its drivers, holding no device, activated at the container's next
     * restart. The restart thread changes them; sb_proc and sb_koid under
     * standby.c's lock (other threads kill it). */
    int standby;            /* the board file asks for one */
    hm_handle_t sb_proc, sb_ep;   /* the standby and its endpoint (SEND), or invalid */
    uint64_t sb_koid;       /* its process's kernel object id: its faults say it */
    uint64_t sb_started;    /* hm_now() of its spawn */
    int sb_fails;           /* standbys in a row lost unused (at DM_SB_MAX_FAILS: a pause) */
};

extern struct dm_dev dm_devs[DM_MAX_DEVS];
extern int dm_ndevs;
extern struct dm_ct dm_cts[DM_MAX_CTS];
extern int dm_ncts;
extern hm_handle_t dm_root;       /* the root resource: device memory and interrupts */
extern hm_handle_t dm_ep;         /* devmgr's endpoint */
extern hm_handle_t dm_fault_ep;   /* the supervisor endpoint of containers and twins */
extern hm_handle_t dm_vfs;        /* vfs, or invalid: nothing is published */
extern const void *dm_board;      /* the board's device tree */
extern int dm_ep_lock, dm_twin_lock;

/* badges of the handles devmgr gives out (+ a container's or device's index) */
#define DM_FAULT_BADGE      0x1000   /* a container's supervisor handle, and its standby's */
#define DM_CONTAINER_BADGE  0x2000   /* a container's "dm" handle */
#define DM_TWIN_FAULT_BADGE 0x3000   /* a twin's supervisor handle */
#define DM_TWIN_BADGE       0x4000   /* a twin's "dm" handle, on the supervisor endpoint (+ its device's index) */

/* caller classes on devmgr's endpoint (main.c's table says who may ask what) */
#define DM_FROM_CLIENT     1u   /* badge 0: init's handles (the shell, lsdev) */
#define DM_FROM_CONTAINER  2u   /* DM_CONTAINER_BADGE + container: a container's own "dm" handle */
#define DM_FROM_OTHER      4u   /* a badge devmgr never gave out */
#define DM_FROM_FAULTER    8u   /* HM_DM_BADGE_FAULT: init's handle with the fault right (the shell's) */

/* a spin-then-sleep lock: held only for a few loads and stores */
static inline void dm_lock_take(int *l)
{
    while (__atomic_exchange_n(l, 1, __ATOMIC_ACQUIRE))
        hm_sleep_until(hm_deadline_ms(1));
}
static inline void dm_lock_drop(int *l) { __atomic_store_n(l, 0, __ATOMIC_RELEASE); }

/* a bounded copy: names are cut, never overflow */
static inline void dm_copy_str(char *dst, size_t n, const char *src)
{
    size_t l = strnlen(src, n - 1);
    memcpy(dst, src, l);
    dst[l] = 0;
}

/* ms from then to now */
static inline unsigned long dm_ms_since(uint64_t then)
{
    return (unsigned long)((hm_now() - then) * 1000 / hm_time_freq());
}

/* after a call (result r) whose answer should carry no handles: close any
 * it carried, so none stays behind */
static inline void dm_drop_handles(long r, uint64_t tag, const struct hm_ipc_buf *buf)
{
    for (unsigned i = 0; r >= 0 && i < HM_TAG_NHANDLES(tag); i++)
        hm_handle_close(buf->handles[i]);
}

/* client_conn.c: handlers of clients' requests */
int dm_lsdev(struct hm_srv_req *r);
int dm_fault(struct hm_srv_req *r);
int dm_dma_fault(struct hm_srv_req *r);

/* container_conn.c: handlers of containers' requests */
int dm_register(struct hm_srv_req *r);
int dm_ready(struct hm_srv_req *r);
int dm_resize(struct hm_srv_req *r);
int dm_twin(struct hm_srv_req *r);
int dm_twin_pause_req(struct hm_srv_req *r);
int dm_msi(struct hm_srv_req *r);

/* msi.c */
extern int dm_msi_off;                          /* devmgr's argument msi=off: INTx only */
#define DM_MSI_MAX_VECTORS 8                    /* per PCI function */
void dm_msi_describe(const struct dm_dev *d, char *out, size_t n);
void dm_msi_forget(int ct);
struct dm_dev *dm_pci_function_of(int ct, uint64_t where);   /* nodes.c */
/* owner.c: whose device a request names */
int dm_dev_is_at(const struct dm_dev *d, uint64_t where);
int dm_not_mine(int ct, uint64_t where, const char *what);
#define DM_REFUSALS_LOGGED 8
void dm_refusal_log(int ct, const char *what, const struct dm_dev *d);

/* smmu_domain.c: DMA confinement (no SMMU: each a no-op, nothing confined) */
void dm_smmu_start(const void *fdt);            /* at start, before any container */
int dm_smmu_confines(const struct dm_dev *d);   /* its DMA goes through the SMMU */
void dm_smmu_describe(const struct dm_dev *d, char *out, size_t n);   /* lsdev: "smmu", "unconfined", "" */
void dm_smmu_ct_start(int ct, hm_handle_t dma); /* before its spawn: fresh translations holding its DMA budget */
void dm_smmu_ct_stop(int ct);                   /* its devices quiet: streams abort, then its memory may go */
void dm_smmu_twin_paused(struct dm_dev *d);     /* the old container's memory leaves d's translation */
void dm_smmu_twin_gone(struct dm_dev *d);       /* the twin's memory leaves d's translation */
int dm_smmu_twin_map(struct dm_dev *d, hm_handle_t mem);   /* the twin's descriptors (handle not taken) */
/* d's DMA faulted (its container's start gen, as the event was read): its
 * stream aborts now (not a twin's); -ESTALE if the container started again */
int dm_smmu_fault_stop(struct dm_dev *d, uint32_t gen);
int dm_dma_map(struct hm_srv_req *r);
int dm_dma_unmap(struct hm_srv_req *r);

/* board.c */
void dm_board_scan(const void *fdt);
/* each entry of a PCIe host's "ranges", and whether it is granted */
typedef void dm_range_fn(const uint32_t *entry, int cells, int granted, uint64_t phys, uint64_t size, void *arg);
void dm_pci_ranges(const void *fdt, int node, dm_range_fn *fn, void *arg);

/* board.c: the device-tree devices it looks for besides virtio-mmio and
 * PCIe hosts, as { compatible, kind } */
extern const char *const dm_dt_compats[][2];
extern const int dm_ndt_compats;

/* board_conf.c */
void dm_conf_load(const char *file);
extern int dm_standby_off;   /* devmgr's argument standby=off */
/* devices.conf "node NAME KIND": the node of Linux's own (a char device on
 * no device, e.g. hwrng) that the container driving a KIND device
 * publishes; the device of container ct it belongs to, or NULL */
struct dm_dev *dm_conf_virtual_node(int ct, const char *name);
/* container ct's such nodes, as /chosen hm,nodes of its device tree (fdt,
 * opened for writing): 0 or libfdt's error */
int dm_conf_list_nodes(void *fdt, int ct);

/* dtb_filter.c: a read-only handle to the memory holding container ct's
 * device tree (built at its first start, kept), or a negative errno */
long dm_dtb_for(int ct);

/* container.c */
int dm_ct_start_all(void);                      /* 0, or -ENOMEM: nothing started */
int dm_ct_start(int ct);                        /* 0 or a negative errno */
int dm_ct_stop(int ct, const char *why);        /* 0, or -EAGAIN if it was not running or starting */
void dm_ct_restart(int ct);                     /* the restart thread */
void dm_ct_mark_ready(int ct);
/* one call on container c's endpoint; its handles dropped: hm_call's result, or -HM_EBADH without one */
long dm_ct_call(struct dm_ct *c, struct hm_msg *q, const struct hm_ipc_buf *buf);
/* the index of the container with this name, or -1 */
int dm_ct_find(const char *name);
/* the restart thread: wait until a container was stopped (bit ct in *bits)
 * or an injected kill armed, or the deadline: hm_notif_wait's result */
long dm_ct_wait_stopped(uint64_t deadline, uint64_t *bits);
void dm_ct_kill_later(int ct, uint64_t at);    /* an injected kill at hm_now() tick `at` */
void dm_ct_wake_restart(void);                 /* the restart thread looks at every container again */
#define DM_DMA_BUDGET (256 * 1024)   /* contiguous memory each container gets for DMA rings */

/* container.c, for standby.c: what a spawn and an activation share */
/* spawn container ct's program with hs[0..n) (hs has room for 2 more: "ep"
 * and "dtb" are added) and the argument extra (or NULL): its process, or a
 * negative errno; *sep: its endpoint (SEND), or invalid. The caller keeps
 * and closes hs[0..n). */
long dm_ct_spawn(int ct, struct hm_spawn_handle *hs, int n, const char *extra, hm_handle_t *sep);
/* new handles for its device memory windows and interrupt ranges: 0 or a negative errno */
int dm_ct_device_handles(int ct, long *wins, int *nwin, long *irqs, int *nirq);
#define DM_CT_MAX_WINDOWS 6
#define DM_CT_MAX_IRQS 4
/* the devices of ct whose twin serves on (their addresses): how many */
int dm_ct_twins_serving(int ct, uint64_t *serving, int n);
/* process p (endpoint sep) runs container ct from now on */
void dm_ct_took_over(int ct, hm_handle_t p, hm_handle_t sep);

/* standby.c: standby containers */
#define DM_SB_DELAY_MS 500     /* a new standby starts this long after its container is ready, or the last was lost */
#define DM_SB_MAX_FAILS 3      /* lost in a row: the next waits DM_SB_RETRY_MS */
#define DM_SB_RETRY_MS 10000   /* and one that lives this long resets the count */
int dm_sb_activate(int ct);          /* the restart thread: 0, or a negative errno (start cold) */
void dm_sb_check(int ct);            /* the restart thread: start one that is due, reap one that died */
uint64_t dm_sb_due(int ct);          /* when dm_sb_check has work for ct: hm_now() ticks, or UINT64_MAX */
int dm_sb_faulted(int ct, uint64_t koid);   /* the fault thread: process koid faulted; 1 if it was ct's standby (killed) */
int dm_sb_inject_kill(int ct);       /* HM_DM_FAULT_STANDBY: 0, or -ESRCH (none) */
void dm_sb_drop(int ct, const char *why);   /* the restart thread: kill it (its container was given up) */
int dm_sb_quota(int ct, struct hm_quota *q);   /* lsdev: what the standby holds; 0, or -ESRCH (none) */
void dm_sb_watchdog(void);           /* the heartbeat thread: kill a standby overrunning an activation call */

/* quiesce.c: stop container ct's devices' DMA; returns how many its twins serve on */
int dm_quiesce(int ct);
void dm_virtio_reset(struct dm_dev *d);
void dm_dev_reset(struct dm_dev *d);            /* a virtio-mmio device reset, or a PCI function stopped */
/* the address a PCI function's BAR 0 decodes: 0, or -ENODEV (memory
 * decoding off, unassigned, not a PCI function) */
int dm_pci_bar0(const struct dm_dev *d, uint64_t *phys);

/* supervise.c */
int dm_supervise_start(void);                   /* its threads; 0 or a negative errno */

/* twin.c */
/* HM_DM_TWIN from container ct: r's words and two handles; *out the LDC's handle to the twin */
int dm_twin_take(int ct, struct hm_srv_req *r, hm_handle_t *out);
int dm_twin_pause(int ct, uint64_t phys, struct hm_ipc_buf *buf);   /* HM_DM_TWIN_PAUSE */
int dm_twin_fault(struct dm_dev *d, const struct hm_msg *m);
int dm_twin_inject(int ct, struct hm_ipc_buf *buf);   /* HM_DM_FAULT_TWIN: 0 or -errno */
void dm_twin_stop_locked(struct dm_dev *d);     /* the caller holds dm_twin_lock */
void dm_twins_stop(int ct, const char *why);    /* those that serve on or wait paused */
void dm_twin_watchdog(void);                    /* the restart thread: kill a twin that overran a call */
uint64_t dm_twin_watchdog_due(void);            /* when the next overrun would be due, or never */

/* nodes.c */
int dm_node_register(int ct, struct hm_srv_req *r);
int dm_node_resize(int ct, struct hm_srv_req *r);
int dm_log_read(struct hm_srv_req *r);          /* HM_DM_DMESG (a client's request) */
/* a name in the first nwords words of buf, NUL-terminated within max bytes and within what was sent, or NULL */
const char *dm_sent_name(const struct hm_ipc_buf *buf, unsigned nwords, size_t max);
#endif
