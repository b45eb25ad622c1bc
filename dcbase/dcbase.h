/*
 * DC-base internals shared by its files (the Linux side sees only
 * include/dc_host.h).
 */
#ifndef DCBASE_H
#define DCBASE_H
#include <hm/hm.h>
#include <hm/dm.h>
#include <hm/prio.h>
#include <hm/server.h>
#include <stdint.h>

/* handles every part uses */
extern hm_handle_t dc_events;   /* the notification the Linux CPU thread waits on */
extern hm_handle_t dc_bell;     /* clients' doorbell: forwarded as DC_EV_KICK */
extern hm_handle_t dc_ep;       /* the container's endpoint */
extern hm_handle_t dc_dm;       /* devmgr, or HM_HANDLE_INVALID */
/* devmgr's "hm.twin_serving=ADDR,...": twins serve those devices on while
 * we restart; before Linux first maps a device's registers (its probe
 * resets it), devmgr pauses its twin (host.c, HM_DM_TWIN_PAUSE). 0: none
 * (or already asked). */
extern uint64_t dc_twin_serving[HM_DM_MAX_TWIN_SERVING];

/* Requests on the container's endpoint (main.c's table says who may ask
 * what) are handled on the main thread, never entering Linux: each handler
 * takes the request and returns 0 or a negative errno (hm/server.h). The
 * callers, told apart by badge: */
#define DC_FROM_DEVMGR  1u   /* badge 0: devmgr's handle (hm/dc.h) */
#define DC_FROM_DISK    2u   /* DC_DISK_BADGE | disk: the handle vfs hands out for a node */
#define DC_FROM_SESSION 4u   /* a block session handle (hm/blksrv.h badges) */
#define DC_FROM_TWIN    8u   /* DC_TWIN_BADGE | twin: a twin's reports */
#define DC_FROM_CHR     16u  /* DC_CHR_BADGE | node: the handle vfs hands out for a char node */
#define DC_FROM_FILE    32u  /* DC_FILE_BADGE | gen << 16 | file: an open char device file */

#define DC_PRIO_SERVICE HM_PRIO_DRIVER  /* DC-base's own threads */
#define DC_PRIO_LINUX   HM_PRIO_LINUX   /* every Linux task's thread */

/* log.c */
void dc_log_printf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* HM_DC_LOG: copies up to max bytes from offset; returns n, sets *next, *oldest */
size_t dc_log_read(uint64_t off, char *buf, size_t max, uint64_t *next, uint64_t *oldest);
extern int dc_log_echo;   /* also write Linux's log to the console */

/* blk.c: HM_BLK_* on a disk's handle (DC-solo; DC-twin's ATTACH goes to the twin) and on sessions */
int dc_blk_info(struct hm_srv_req *r);
int dc_blk_ioctl(struct hm_srv_req *r);
int dc_blk_attach(struct hm_srv_req *r);
int dc_blk_detach(struct hm_srv_req *r);
void dc_blk_publish_start(void);                         /* the thread that registers nodes */
int dc_blk_publish_idle(void);                           /* nothing left to register */
void dc_publish_kick(void);                              /* a node to register: wake the publisher */
/* the publisher registers /dev/name through devmgr (HM_DM_REGISTER, type
 * HM_VFS_*, the handle clients get badged so): 0 or a negative errno */
int dc_publish(struct hm_ipc_buf *buf, const char *name, uint64_t type, uint64_t size, uint64_t where, uint64_t badge);
#define DC_DISK_BADGE 0x40000000ull   /* | disk id: the handle vfs gives clients */

/* chr.c, chr_nodes.c, chr_ioctl.c: character devices (hm/chr.h) */
#define DC_CHR_MAX_NODES 256   /* Linux makes many of its own: tty0..63, vcs... */
struct dc_chr_node {
    volatile int state;   /* 0 none, 1 to publish, 2 published, 3 gone */
    char name[HM_DM_NAME_MAX];
    uint64_t where;       /* the device it sits on (hm/dm.h HM_DM_REGISTER w2) */
    volatile int open;    /* files whose release has not run (CPU thread writes) */
};
extern struct dc_chr_node dc_chr_nodes[DC_CHR_MAX_NODES];   /* by Linux's node id */
struct dc_chr_call;
/* an ioctl call's argument mode and size for command cmd: 0, -ENOTTY or -EINVAL */
int dc_chr_ioctl_rule(uint32_t cmd, struct dc_chr_call *c);
int dc_chr_open(struct hm_srv_req *r);    /* HM_CHR_OPEN */
int dc_chr_close(struct hm_srv_req *r);   /* HM_CHR_CLOSE */
int dc_chr_stat(struct hm_srv_req *r);    /* HM_CHR_STAT */
void dc_chr_start(void);                  /* the reaper thread (clients that die) */
void dc_chr_publish(struct hm_ipc_buf *buf);   /* the publisher registers new char nodes */
int dc_chr_publish_pending(void);
void dc_chr_report(void);                 /* the ready line: what stays inside */
void dc_chr_named(const void *fdt);      /* /chosen hm,nodes: what of Linux's own we publish */
#define DC_CHR_BADGE  (1ull << 33)   /* | node: the handle vfs gives clients */
#define DC_FILE_BADGE (1ull << 34)   /* | gen << 16 | file: an open file's handle */

/* host.c */
int dc_host_setup(void);   /* grants: device memory, the interrupt resource */
int dc_host_grant_mmio(hm_handle_t h);   /* a device memory window: 0, -EINVAL or -ENOSPC */
void dc_irq_setup(void);                 /* the interrupt grants devmgr gave (irq.c) */
int dc_irq_grant(hm_handle_t h);         /* an interrupt range: 0 or -ENOSPC */
int dc_irq_release(unsigned int hwirq);   /* unbind it for a twin: its slot, or -1 */
int dc_irq_restore(int n);                /* bind slot n again */
void dc_irq_forwarded(int n, hm_handle_t eoi);   /* slot n is fed by its twin's forwards: its eoi signals eoi */
extern hm_handle_t dc_ram;        /* Linux's memory (contiguous) */
extern uint64_t dc_ram_base;      /* its physical address */
extern uint64_t dc_ram_size;      /* and size */

/* fault.c */
int dc_fault_arm(struct hm_srv_req *r);   /* HM_DC_FAULT */
int dc_fault_point(int path);          /* 0: a request taken, 1: a completion; -> DC_BLK_FAULT_* for Linux, or 0 */
/* blk.c, for the heartbeat: a count that moves whenever Linux takes or
 * completes a block request; *waiting: requests it holds */
uint64_t dc_blk_progress(uint64_t *waiting);
/* alive.c: the heartbeat's view of Linux (HM_DC_PING) */
int dc_alive_start(void);
void dc_alive_ping(uint64_t *stuck_ms, uint64_t *stall_ms);
extern volatile int dc_hung;           /* an injected hang: the main thread stops answering */

/* standby.c: a container kept booted up to its drivers (hm.standby) */
extern int dc_standby;
int dc_standby_setup(void);
int dc_standby_grant(struct hm_srv_req *r);      /* HM_DC_GRANT */
int dc_standby_activate(struct hm_srv_req *r);   /* HM_DC_ACTIVATE */
int dc_standby_wait_activation(int (*dma_register)(void));   /* 0, or 1: cannot go on */

/* twin.c */
void dc_twin_start(void);                                   /* its thread */
int dc_twin_event(struct hm_srv_req *r);                    /* HM_DC_TWIN_EVENT */
int dc_twin_error(struct hm_srv_req *r);                    /* HM_DC_TWIN_ERROR */
/* a client's ATTACH on a disk twin serves: passed on with the disk's bytes */
int dc_twin_attach(int twin, struct hm_srv_req *r, uint64_t start, uint64_t size, int ro, uint32_t lbs, int disk,
                   int unit);
void dc_twin_fault_dma(uint64_t phys, const char disk[8]);   /* Linux's dc-twin thread reads disk into phys */
int dc_twin_link_reset(void);                               /* an injected link recovery: 0 or -ENOTSUP */
int dc_twin_resize(int twin, int disk, uint64_t size, int ro);   /* 0 or a negative errno */
#define DC_TWIN_BADGE (1ull << 32)   /* | twin: the twins' handles to our endpoint */
#endif
