/*
 * A standby container (docs/reliability.md "Standby containers"). devmgr
 * starts DC-base with "hm.standby" while the container it stands in for
 * still runs. The standby holds no device: no device memory, no interrupt
 * and no "dm" handle (it cannot speak for the container). Its Linux runs
 * its core initialisation (memory, scheduler, workqueues, sysfs, the
 * buses and classes: every initcall before the drivers' own) and then
 * waits in arch/hm's rootfs initcall (dc_host_standby_wait).
 *
 * When the container stops, devmgr resets its devices as for any restart
 * and activates the standby instead of starting a new process: one
 * HM_DC_GRANT per device memory window and interrupt range, then
 * HM_DC_ACTIVATE with the "dm" handle (hm/dc.h). The activation thread
 * maps Linux's memory for the devices' DMA (SMMU) and lets Linux go on;
 * Linux's CPU thread installs the grants and its drivers probe the
 * devices, which devmgr has just reset. What a cold
 * start spends before that (spawn, Linux's region, Linux's core
 * initialisation) was spent while the old container still served.
 */
#include "dcbase.h"
#include <dc_host.h>
#include <hm/dc.h>
#include <errno.h>
#include <stdio.h>

int dc_standby;                 /* started as a standby (main.c) */
static int activated;           /* HM_DC_ACTIVATE taken: no more grants (main thread) */
static hm_handle_t activate_notif = HM_HANDLE_INVALID;   /* main thread -> activation thread */
static hm_handle_t go_notif = HM_HANDLE_INVALID;         /* activation thread -> Linux's CPU thread */
/* what devmgr handed over, kept here until Linux's CPU thread installs it
 * after the activation (dc_host_standby_wait): that thread alone reads
 * the grant tables, and Linux may still be booting when devmgr calls */
#define MAX_PENDING 16
static struct {
    hm_handle_t h;
    uint64_t kind;
} pending[MAX_PENDING];
static int npending;
static uint64_t serving[HM_DM_MAX_TWIN_SERVING];

int dc_standby_setup(void)
{
    long a = hm_notif_create(), g = hm_notif_create();
    if (a < 0 || g < 0)
        return -ENOMEM;
    activate_notif = (hm_handle_t)a;
    go_notif = (hm_handle_t)g;
    return 0;
}

/* HM_DC_GRANT: w0 what, one handle; only before the activation */
int dc_standby_grant(struct hm_srv_req *r)
{
    uint64_t kind = r->m.w[0];
    if (!dc_standby || activated)
        return -EBUSY;
    if (kind != HM_DC_GRANT_MMIO && kind != HM_DC_GRANT_IRQ)
        return -EINVAL;
    if (npending == MAX_PENDING)
        return -ENOSPC;
    /* the rights a cold start's handle has: without GRANT (it came with
     * it only to pass through IPC), so it cannot be passed on */
    long h = hm_handle_dup(r->h[0], kind == HM_DC_GRANT_MMIO ? HM_R_READ | HM_R_WRITE | HM_R_MAP : HM_R_MANAGE, 0);
    if (h < 0)
        return -ENOMEM;
    pending[npending].h = (hm_handle_t)h;
    pending[npending++].kind = kind;
    return 0;   /* the loop closes the one received */
}

/* HM_DC_ACTIVATE: one handle (devmgr, badged as the container's own);
 * the IPC buffer's words: the devices a twin serves on */
int dc_standby_activate(struct hm_srv_req *r)
{
    if (!dc_standby || activated)
        return -EBUSY;
    if (r->nwords > HM_DM_MAX_TWIN_SERVING)
        return -E2BIG;
    for (unsigned i = 0; i < r->nwords; i++)
        serving[i] = r->buf->words[i];
    dc_dm = r->h[0];   /* read by DC-base's other threads only once Linux probes: after go */
    r->h[0] = HM_HANDLE_INVALID;
    activated = 1;
    hm_notif_signal(activate_notif, 1);
    return 0;
}

/* the activation thread (ready_wait in main.c, before it waits for Linux):
 * blocks until HM_DC_ACTIVATE, maps Linux's memory for DMA, then lets
 * Linux go on. 0, or 1 if the container cannot go on. */
int dc_standby_wait_activation(int (*dma_register)(void))
{
    uint64_t bits;
    dc_log_printf("dcbase: standby: Linux stops before its drivers until devmgr hands over the devices\n");
    while (hm_notif_wait(activate_notif, HM_DEADLINE_NEVER, &bits) < 0)
        hm_sleep_until(hm_deadline_ms(10));   /* never spin on an error */
    if (dma_register())
        return 1;
    dc_log_printf("dcbase: standby activated with %d grants: Linux probes its devices\n", npending);
    hm_notif_signal(go_notif, 1);
    return 0;
}

/* Linux's CPU thread, in arch/hm's rootfs initcall (system calls and
 * plain memory only): a standby holds here until it is activated, then
 * installs what devmgr handed over. No Linux thread runs meanwhile (this
 * one holds Linux's CPU), so nothing reaches a device. */
void dc_host_standby_wait(void)
{
    uint64_t bits;
    if (!dc_standby)
        return;
    while (hm_notif_wait(go_notif, HM_DEADLINE_NEVER, &bits) < 0)
        hm_sleep_until(hm_deadline_ms(10));
    for (int i = 0; i < npending; i++)
        if ((pending[i].kind == HM_DC_GRANT_MMIO ? dc_host_grant_mmio(pending[i].h) : dc_irq_grant(pending[i].h)) < 0)
            hm_handle_close(pending[i].h);   /* not device memory, or past the table: Linux's probe says so */
    for (int i = 0; i < HM_DM_MAX_TWIN_SERVING; i++)
        dc_twin_serving[i] = serving[i];
}
