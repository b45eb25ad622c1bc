/*
 * Fault injection into the Linux driver container (docs/reliability.md).
 * devmgr forwards the shell's `fault CONTAINER crash|hang [--at N] [--seed
 * S]` as HM_DC_FAULT; the fault then fires from inside the Linux runtime,
 * on a thread of Linux's, when it handles its N-th block request from now:
 * in the request path (Linux's block thread taking a client's request,
 * dc_host_blk_fetch) or in the completion path (Linux's end_io, from its
 * interrupt handling, dc_host_blk_complete). A seed picks the path and N
 * (1..64) instead, reproducibly.
 *   crash: a wild write to an unmapped address; the microkernel stops the
 *          thread and sends devmgr a fault message.
 *   hang:  that Linux thread blocks forever (so does all of Linux: it has
 *          one CPU and no preemption) and the main thread stops answering
 *          its endpoint; devmgr's heartbeat finds it.
 * Without --at and --seed a hang starts at once and a crash comes with the
 * next request.
 * linkreset is no fault of the container's: Linux's UFS driver recovers
 * its link on purpose (ufshcd_link_recovery: host reset, link start-up,
 * device re-initialisation), on a controller whose data plane a twin
 * serves (twin.c), to drive the control plane's error path under load.
 * spin and deadlock are Linux's own: its block thread, handed the request
 * the fault was armed for, loops with interrupts off or takes a lock it
 * holds (arch/hm fault_stall.c). DC-base's threads answer on; devmgr's
 * heartbeat finds them by what Linux no longer does (main.c, HM_DC_PING).
 * dma: one of the container's PCI devices is made to write a page outside
 * it (Linux's dc-twin thread reads a disk with a wrong DMA address:
 * arch/hm fault_dma.c); the SMMU stops it and devmgr restarts the
 * container, as for a crash.
 */
#include "dcbase.h"
#include <dc_host.h>
#include <hm/dm.h>
#include <hm/dmclient.h>
#include <hm/server.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>

#define DC_WILD_ADDRESS 0xdead0000ull   /* below every mapping: user space starts higher */

static volatile int armed;              /* HM_DM_FAULT_CRASH, _HANG, _SPIN or _DEADLOCK; 0: none */
static volatile int armed_path;         /* 0: request path, 1: completion path */
static volatile uint64_t countdown;     /* requests on that path until it fires */
volatile int dc_hung;                   /* the main thread stops answering */

static const char *const paths[] = { "request path (Linux's block thread)",
                                     "completion path (Linux's end_io, interrupt handling)" };

/* HM_DC_FAULT from devmgr: w0 kind, w1 N (0: see above), w2 seed (0: none) */
int dc_fault_arm(struct hm_srv_req *r)
{
    uint64_t kind = r->m.w[0], at = r->m.w[1], seed = r->m.w[2];
    if (kind == HM_DM_FAULT_DMA) {
        /* w1: the page to write (devmgr took its address from the
         * caller's memory handle), w2: the disk's name, up to 7 bytes */
        char disk[8];
        memcpy(disk, &r->m.w[2], sizeof disk);
        disk[7] = 0;
        if (!at || (at & 0xfff) || (at < dc_ram_base + dc_ram_size && at + 4096 > dc_ram_base))
            return -EINVAL;   /* not a page outside Linux's memory */
        fprintf(stderr, "ldc: injected DMA outside the container: %s reads into 0x%lx\n", disk[0] ? disk : "a PCI disk",
                (unsigned long)at);
        dc_twin_fault_dma(at, disk);
        return 0;
    }
    if (kind == HM_DM_FAULT_LINKRESET) {
        int err = dc_twin_link_reset();
        if (!err)
            fprintf(stderr, "ldc: injected link recovery: Linux's UFS driver resets the controller's link\n");
        return err;
    }
    int stall = kind == HM_DM_FAULT_SPIN || kind == HM_DM_FAULT_DEADLOCK;
    if ((kind != HM_DM_FAULT_CRASH && kind != HM_DM_FAULT_HANG && !stall) || at > 1000000)
        return -EINVAL;
    int path = 0;
    if (seed) {
        uint64_t x = seed * 0x9e3779b97f4a7c15ull;   /* one xorshift-multiply round: a fixed map */
        x ^= x >> 29;
        x *= 0xbf58476d1ce4e5b9ull;
        x ^= x >> 32;
        path = stall ? 0 : (int)(x & 1);   /* Linux's block thread runs a stall: the request path */
        if (!at)
            at = 1 + (x >> 1) % 64;
    }
    if (kind == HM_DM_FAULT_HANG && !at && !seed) {
        fprintf(stderr, "ldc: injected hang now: the endpoint stops answering\n");
        dc_hung = 1;   /* after this reply */
        return 0;
    }
    countdown = at ? at : 1;
    armed_path = path;
    __atomic_store_n(&armed, (int)kind, __ATOMIC_SEQ_CST);
    fprintf(stderr, "ldc: %s armed: at request %lu from now in the %s\n", hm_dm_fault_name(kind),
            (unsigned long)countdown, paths[path]);
    return 0;
}

/* called by Linux's threads on each request (path 0) and completion (1):
 * a crash or a hang happens here; a spin or a deadlock is Linux's to run
 * (its DC_BLK_FAULT_*: arch/hm fault_stall.c) */
int dc_fault_point(int path)
{
    if (!__atomic_load_n(&armed, __ATOMIC_SEQ_CST) || path != armed_path || --countdown)
        return 0;
    int kind = armed;
    armed = 0;
    fprintf(stderr, "ldc: injected %s now, in the %s\n", hm_dm_fault_name((uint64_t)kind), paths[path]);
    if (kind == HM_DM_FAULT_SPIN || kind == HM_DM_FAULT_DEADLOCK)
        return kind == HM_DM_FAULT_SPIN ? DC_BLK_FAULT_SPIN : DC_BLK_FAULT_DEADLOCK;
    if (kind == HM_DM_FAULT_CRASH)
        *(volatile uint64_t *)DC_WILD_ADDRESS = 0;
    dc_hung = 1;
    for (;;)
        hm_sleep_until(HM_DEADLINE_NEVER);
}
