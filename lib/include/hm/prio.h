/*
 * Priority tiers: who runs above whom (the kernel knows only 0..HM_PRIO_MAX,
 * highest first, round robin within one). Every thread and process hm
 * starts takes its priority from here.
 *
 * Drivers run below their clients on purpose: a client that keeps a
 * driver busy must not starve what restarts drivers (devmgr's supervision
 * threads run at the clients' tier), and a busy twin must not starve its
 * LDC's restart (docs/reliability.md, "Priorities").
 */
#ifndef HM_PRIO_H
#define HM_PRIO_H
#include <uapi/hm/syscall.h>

/* init's supervisor thread: hears its programs' faults before anything else */
#define HM_PRIO_SUPERVISOR (HM_PRIO_MAX - 1)
/* services and their clients: what init starts (devmgr, vfs, the shell),
 * devmgr's fault, restart and heartbeat threads */
#define HM_PRIO_SERVICE    (HM_PRIO_MAX - 2)
/* driver containers: ndc, twins, DC-base's own threads */
#define HM_PRIO_DRIVER     (HM_PRIO_MAX - 3)
/* every Linux task's thread inside a Linux driver container */
#define HM_PRIO_LINUX      (HM_PRIO_MAX - 4)
/* load that must not delay drivers (faultstress's workers) */
#define HM_PRIO_BACKGROUND (HM_PRIO_MAX - 4)
#endif
