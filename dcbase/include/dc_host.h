/*
 * dc_host.h: the whole interface between the Linux runtime (arch/hm, built
 * into linux.o) and DC-base (the container's host side, the C files in dcbase/).
 *
 * This header is compiled twice: inside Linux's build (no libc, kernel
 * types) and in DC-base (picolibc). It therefore uses only C's own types.
 *
 * Direction host -> Linux: the entry points below named dc_linux_*; they
 * are the only global symbols linux.o defines (scripts/build-linux cuts
 * every other symbol to local with objcopy).
 * Direction Linux -> host: functions named dc_host_*, defined by DC-base.
 *
 * Threading contract: exactly one thread runs Linux code at a time (the
 * thread of Linux's current task; "the CPU"). Linux calls dc_host_* only on
 * that thread. DC-base's own threads never call into Linux: they hand work
 * over through the event bits below, which the CPU thread picks up when
 * Linux idles or enables interrupts.
 */
#ifndef DC_HOST_H
#define DC_HOST_H

/* ---- boot: host -> Linux ---- */
struct dc_boot {
    unsigned long ram_base;   /* linear region: virtual == physical address */
    unsigned long ram_size;
    const void *dtb;          /* the container's device tree (devmgr filtered it) */
    const char *cmdline;      /* Linux command line */
    long idle_thread;         /* handle of the thread that calls dc_linux_start */
};
/* Runs start_kernel() on the calling thread, which must run on a stack inside
 * dc_linux_init_stack() (THREAD_SIZE bytes); never returns: the thread
 * becomes Linux's idle task. */
void dc_linux_start(const struct dc_boot *b);
/* bottom and size of the idle task's stack (Linux's init_stack) */
void *dc_linux_init_stack(unsigned long *size);
/* entry point of every other Linux task's thread (dc_host_thread_create) */
void dc_linux_thread_entry(void *task);

/* ---- events: the one notification word the CPU thread waits on ---- */
#define DC_EV_TIMER   (1ul << 0)   /* the clockevent's deadline passed */
#define DC_EV_KICK    (1ul << 1)   /* DC-base queued block work for Linux */
#define DC_EV_TWIN    (1ul << 2)   /* a twin reported something: dc_host_twin_next */
#define DC_EV_CHR     (1ul << 3)   /* character device work: dc_host_chr_fetch */
#define DC_EV_PING    (1ul << 4)   /* the heartbeat: Linux took its events (dc_host_alive) */
#define DC_EV_IRQ0    5            /* bits 5..63: device interrupts */
#define DC_EV_NIRQ    59

/* Linux delivered a DC_EV_PING: it takes interrupts, so no thread of its
 * holds its one CPU (devmgr's heartbeat asks DC-base for the count) */
void dc_host_alive(void);

/* ---- threads ---- */
/* a parked thread that will run entry(arg) on [stack, stack+size) */
long dc_host_thread_create(void *stack, unsigned long size, void (*entry)(void *), void *arg);
/* park the calling thread and run `to` (a handle from dc_host_thread_create) */
void dc_host_thread_switch(long to);
/* the thread will never run again: reclaim it */
void dc_host_thread_destroy(long t);
/* wait until one of the event bits is signalled; returns them (never 0) */
unsigned long dc_host_idle_wait(void);

/* ---- time ---- */
unsigned long dc_host_time_freq(void);            /* CNTVCT_EL0 ticks per second */
void dc_host_timer_set(unsigned long deadline);   /* absolute CNTVCT; ~0ul cancels */

/* ---- interrupts ---- */
/* bind device interrupt `hwirq` (GIC INTID) to event bit DC_EV_IRQ0 + n;
 * returns n >= 0 or a negative errno (no grant for that interrupt: -EPERM) */
int dc_host_irq_bind(unsigned int hwirq, int level);
void dc_host_irq_mask(int n);
void dc_host_irq_unmask(int n);
void dc_host_irq_eoi(int n);   /* handled: the microkernel may raise it again */
/* an MSI vector: `index` (MSI-X table entry or MSI vector) of the PCI
 * function at `where` (DC_WHERE_PCI | domain << 16 | bus << 8 | devfn);
 * msix: the device uses MSI-X. -> the event bit n as dc_host_irq_bind (its
 * mask, unmask and eoi the same), *addr and *data: the write the device
 * makes to raise it; -ENODEV: no MSI here (the board's "msi off", or no
 * MSI controller), -ERANGE: beyond what devmgr grants the function */
int dc_host_msi_bind(unsigned long long where, unsigned int index, int msix, unsigned long long *addr,
                     unsigned int *data);
void dc_host_msi_free(int n);   /* the vector is gone: the device's write raises nothing */

/* ---- device memory ---- */
/* map [phys, phys+size) of a device granted to the container, NULL if no
 * grant covers it (or 64 mappings exist) */
void *dc_host_ioremap(unsigned long phys, unsigned long size);
/* undo an ioremap (va as it returned); -EINVAL for anything else */
int dc_host_iounmap(void *va);

/* Linux's core is initialised, its drivers' initcalls come next: a
 * standby container (hm.standby) holds here until devmgr hands it the
 * devices; any other returns at once */
void dc_host_standby_wait(void);
/* Linux has run all its initcalls (every driver built in has probed) */
void dc_host_ready(void);

/* ---- log ---- */
void dc_host_log(const char *s, unsigned long len);   /* printk's console: dmesg */
void dc_host_panic(const char *msg) __attribute__((noreturn));

/* ---- block devices: DC-solo and DC-twin ---- */
/* Linux registered a disk or partition; it is served as disk `id` and its
 * node /dev/NAME is published. `where` is the device it sits on:
 * DC_WHERE_PCI | domain << 16 | bus << 8 | devfn, the MMIO address of its device-tree
 * node, or 0 if neither. twin: -1 (Linux serves its requests: DC-solo), or
 * the twin (dc_host_twin_handoff) that serves them from byte `start` of its
 * device on. Returns 0 or a negative errno. */
int dc_host_disk_add(int id, const char *name, unsigned long long size, unsigned int lbs, int ro,
                     unsigned long long where, int twin, unsigned long long start, int unit);
/* its size or read-only state changed (a capacity change): pushed to its
 * twin and to vfs */
void dc_host_disk_change(int id, unsigned long long size, int ro);
#define DC_WHERE_PCI (1ull << 63)   /* equal to HM_DM_WHERE_PCI of hm/dm.h */
void dc_host_disk_remove(int id);
#define DC_BLK_READ  1   /* equal to HM_BLK_READ/WRITE/FLUSH of hm/blk.h */
#define DC_BLK_WRITE 2
#define DC_BLK_FLUSH 3
struct dc_blk_io {
    void *cookie;             /* host's: given back to dc_host_blk_complete */
    int disk;                 /* id from dc_host_disk_add */
    unsigned int op;          /* DC_BLK_READ / DC_BLK_WRITE / DC_BLK_FLUSH */
    unsigned long long offset;/* bytes, checked against the disk */
    unsigned int len;         /* bytes */
    void *data;               /* the client's buffer, mapped in the container */
    int fault;                /* DC_BLK_FAULT_SPIN or _DEADLOCK: an injected fault the
                               * block thread runs before the request; 0: none */
};
#define DC_BLK_FAULT_SPIN     1   /* loop with interrupts off: Linux's CPU is never let go */
#define DC_BLK_FAULT_DEADLOCK 2   /* take a lock the thread holds: it sleeps forever */
/* next checked request from any session; 0 when none is queued */
int dc_host_blk_fetch(struct dc_blk_io *io);
/* the request finished: status 0 or a negative errno */
void dc_host_blk_complete(void *cookie, int status);

/* ---- character devices (hm/chr.h): Linux's own file operations ---- */
/* Linux created character device node /dev/NAME (devtmpfs's name, e.g.
 * "input/event0"); `where` as for disks (0: it sits on no device). id is
 * Linux's number for it, never reused. 0 or a negative errno. */
int dc_host_chr_add(int id, const char *name, unsigned long long where);
void dc_host_chr_remove(int id);   /* its device went away: opens fail */
#define DC_CHR_OPEN    1   /* equal to HM_CHR_OP_* of hm/chr.h */
#define DC_CHR_READ    2
#define DC_CHR_WRITE   3
#define DC_CHR_IOCTL   4
#define DC_CHR_POLL    5
#define DC_CHR_RELEASE 6   /* the client closed the file or died: release it */
#define DC_CHR_ARG_NONE 0  /* ioctl: the driver gets 0 */
#define DC_CHR_ARG_INT  1  /* the driver gets `iarg` */
#define DC_CHR_ARG_BUF  2  /* a pointer to a copy of `size` bytes of data (copied back if `out`) */
struct dc_chr_call {
    int file;                   /* DC-base's number for the open file */
    int node;                   /* DC_CHR_OPEN: the node's id */
    unsigned int op;            /* DC_CHR_* */
    unsigned int flags;         /* DC_CHR_OPEN: open flags (O_ACCMODE, O_NONBLOCK) */
    unsigned long long arg;     /* READ/WRITE: bytes; IOCTL: command; POLL: events */
    unsigned long long iarg;    /* IOCTL with DC_CHR_ARG_INT: the integer */
    unsigned int argmode, size; /* IOCTL: DC_CHR_ARG_*; DC_CHR_ARG_BUF's bytes */
    int out;                    /* DC_CHR_ARG_BUF: copied back on success */
    void *data;                 /* the file's data area (the client's shared memory) */
};
/* the next call a client asked for (checked: sizes within the data area,
 * the ioctl rule applied): 1 and *c, or 0. One call per file at a time. */
int dc_host_chr_fetch(struct dc_chr_call *c);
void dc_host_chr_complete(int file, long long result);   /* the call's answer */
void dc_host_chr_released(int file);   /* Linux released the file (or never opened it) */
void dc_host_chr_wake(int file);       /* a wait queue the file polled woke */

/* ---- twin drivers (hm/twin.h): a virtio-blk data plane moves out ---- */
struct dc_twin_state {
    unsigned long long mmio;              /* the device's registers (physical) */
    unsigned long long desc, avail, used; /* the split ring's parts (physical) */
    unsigned long long features;          /* negotiated */
    unsigned long long capacity;          /* bytes */
    unsigned int irq;                     /* GIC INTID */
    unsigned int num, idx;                /* ring entries; avail == used index */
    unsigned int ro, lbs;
};
/* Linux drained and quiesced the device's queue and stopped handling its
 * interrupt: give the interrupt up and have devmgr start the twin. Blocks
 * until that is done. Returns the twin's number (>= 0), or a negative errno
 * with the interrupt Linux's again. */
int dc_host_twin_handoff(const struct dc_twin_state *st);
/* a UFS controller's data plane (twin_ufs.c; hm/twin.h's struct
 * hm_twin_ufs_state): the same, and the interrupt is forwarded by the
 * twin from then on (its eoi answers the twin) */
struct dc_twin_ufs_state {
    unsigned long long mmio;              /* BAR 0 (physical) */
    unsigned long long utrl;              /* the transfer request list (physical) */
    unsigned long long link;              /* the link page (physical) */
    unsigned int irq;                     /* GIC INTID */
    unsigned int nutrs, slots;            /* the controller's slots; the twin's: 0 .. slots - 1 */
};
int dc_host_twin_ufs_handoff(const struct dc_twin_ufs_state *st);
#define DC_TWIN_CONFIG 1   /* the device raised a configuration change */
#define DC_TWIN_ERROR  2   /* a request failed on the device */
#define DC_TWIN_LINK_RESET 3   /* an injected link recovery (UFS; dcbase/fault.c) */
#define DC_FAULT_DMA       4   /* an injected DMA outside the container (dcbase/fault.c): phys, disk */
struct dc_twin_event {
    int twin, kind;
    unsigned int op, len, status;   /* DC_TWIN_ERROR: DC_BLK_*, bytes, the device's failure code (hm/dc.h) */
    unsigned int unit;              /* DC_TWIN_ERROR: the logical unit */
    unsigned int tries;             /* DC_TWIN_ERROR: times the twin sent it again already */
    unsigned long long sector;
    void *cookie;                   /* DC_TWIN_ERROR: for dc_host_twin_verdict */
    unsigned long long phys;        /* DC_FAULT_DMA: where the device is to write */
    char disk[8];                   /* DC_FAULT_DMA: which disk ("": the first on PCI) */
};
/* the next thing twins reported (after DC_EV_TWIN): 1 and *ev, or 0 */
int dc_host_twin_next(struct dc_twin_event *ev);
/* the status the failed request's client gets: a negative errno */
void dc_host_twin_verdict(void *cookie, int status);
#endif
