/*
 * Driver container protocol: requests on a driver container's endpoint
 * other than block sessions (hm/blk.h) and character device files
 * (hm/chr.h). Reply label 0 or a positive errno.
 *
 * From devmgr (its handle is unbadged: badge 0):
 *   HM_DC_LOG    w0 = offset -> w0 = n bytes (<= HM_DC_LOG_CHUNK) in the IPC
 *                buffer's words, w1 = offset after them, w2 = oldest offset
 *                still kept (an older w0 starts there); n = 0 at the end.
 *   HM_DC_FAULT  w0 = HM_DM_FAULT_CRASH / _HANG / _SPIN / _DEADLOCK, w1 = N,
 *                w2 = seed: arm an
 *                injected fault (dcbase/fault.c). ndc answers EINVAL (it has
 *                no injection points).
 *   HM_DC_PING   the heartbeat: any answer (even EINVAL) says its endpoint
 *                is served. An LDC answers 0 with w0 = ms its Linux could
 *                have run (its priority had the CPU) with a heartbeat
 *                event untaken (Linux takes events only when no thread of
 *                its holds its one CPU), w1 = ms it could have run with a
 *                block request it took stuck, none completed (dcbase/
 *                alive.c). devmgr stops a container whose w0 reaches
 *                HM_DC_ALIVE_MS or whose w1 reaches HM_DC_STALL_MS.
 * From devmgr, to a standby LDC (DC-base started with "hm.standby": its
 * Linux waits before its drivers' initcalls, holding no device; see
 * docs/reliability.md "Standby containers"):
 *   HM_DC_GRANT  w0 = HM_DC_GRANT_MMIO (a device memory window) or
 *                HM_DC_GRANT_IRQ (an interrupt range), one handle: what a
 *                cold start would have been given as "mmio*" / "irqres*".
 *                EBUSY once activated, ENOSPC past DC-base's table.
 *   HM_DC_ACTIVATE  one handle: its "dm" handle (it had none: a standby
 *                cannot speak for the container); the IPC buffer's words:
 *                the devices a twin serves on (as hm.twin_serving, at most
 *                HM_DM_MAX_TWIN_SERVING). Linux goes on with its drivers'
 *                initcalls. EBUSY if already activated.
 * From a twin, to the LDC that handed it a data plane (hm/twin.h; the
 * handle's badge names the twin):
 *   HM_DC_TWIN_EVENT  w0 = HM_TWIN_EV_CONFIG: the device raised a
 *                configuration-change interrupt: Linux's driver handles it
 *                (HM_TWIN_RESIZE follows if the capacity changed).
 *                w0 = HM_TWIN_EV_IRQ: the shared interrupt has a cause for
 *                Linux's driver (the UFS twin, hm/twin.h's link page): the
 *                answer comes once Linux's handler has run (its eoi), or
 *                ETIMEDOUT after 1 s.
 *   HM_DC_TWIN_ERROR  w0 = operation (HM_BLK_*), w1 = sector (512 bytes,
 *                from the start of the unit), w2 = bytes, w3 = the device's
 *                failure code (virtio-blk: its status byte; UFS: OCS in
 *                bits 3:0, SCSI status 11:4, sense key 15:12, ASC 23:16,
 *                ASCQ 31:24), w4 = the unit, w5 = times the twin sent it
 *                again -> w0 = the status the client's request completes
 *                with: a negative errno (Linux's block layer decides), or
 *                -EAGAIN: send it again (the SCSI midlayer retries a unit
 *                attention or an aborted command, up to 5 times).
 */
#ifndef HM_DC_H
#define HM_DC_H
#include <hm/proto.h>

#define HM_DC_LOG        HM_LABEL(HM_PROTO_DC, 1)
#define HM_DC_TWIN_EVENT HM_LABEL(HM_PROTO_DC, 2)
#define HM_DC_TWIN_ERROR HM_LABEL(HM_PROTO_DC, 3)
#define HM_DC_FAULT      HM_LABEL(HM_PROTO_DC, 4)
#define HM_DC_PING       HM_LABEL(HM_PROTO_DC, 5)
#define HM_DC_GRANT      HM_LABEL(HM_PROTO_DC, 6)
#define HM_DC_ACTIVATE   HM_LABEL(HM_PROTO_DC, 7)

#define HM_DC_GRANT_MMIO 0
#define HM_DC_GRANT_IRQ  1

#define HM_DC_LOG_CHUNK 512
#define HM_DC_ALIVE_MS 2000    /* Linux took no heartbeat event this long: hung */
#define HM_DC_STALL_MS 5000    /* a block request waited this long with none completed: hung (under a client's 10 s) */
#endif
