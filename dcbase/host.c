/*
 * DC-base's host operations for Linux (dc_host.h): threads, time,
 * device memory, panic (interrupts: irq.c). They run on Linux's CPU thread, which
 * has no picolibc TLS: only system calls and plain memory here.
 */
#include "dcbase.h"
#include <dc_host.h>
#include <hm/blk.h>
#include <hm/dm.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>

_Static_assert(DC_BLK_READ == HM_BLK_READ && DC_BLK_WRITE == HM_BLK_WRITE && DC_BLK_FLUSH == HM_BLK_FLUSH,
               "dc_host.h and hm/blk.h agree");

/* ---- device memory: the "mmio", "mmio1".."mmio7" handles devmgr granted ----
 * A grant can be large (a PCI host's 256 MiB ECAM window, its memory
 * window for BARs): each ioremap maps only the pages asked for, and
 * iounmap unmaps them again. */
#define MAX_GRANTS 8
static struct grant {
    hm_handle_t h;
    uint64_t phys, size;
} grants[MAX_GRANTS];
static int ngrants;
static hm_handle_t timer;
/* ioremap's mappings (their first page), so iounmap unmaps only those:
 * Linux's CPU thread is the only user, no lock */
#define MAX_IOMAPS 64
static uint64_t iomaps[MAX_IOMAPS];
uint64_t dc_twin_serving[HM_DM_MAX_TWIN_SERVING];

/* one device memory window: a start handle, or a standby's HM_DC_GRANT;
 * 0, -EINVAL (not device memory) or -ENOSPC */
int dc_host_grant_mmio(hm_handle_t h)
{
    struct hm_mem_info mi;
    if (hm_mem_info(h, &mi) < 0 || mi.kind != HM_MEM_DEVICE)
        return -EINVAL;
    if (ngrants == MAX_GRANTS)
        return -ENOSPC;
    grants[ngrants++] = (struct grant){ h, mi.phys, mi.size };
    return 0;
}

int dc_host_setup(void)
{
    for (int i = 0; i < MAX_GRANTS; i++) {
        char name[12];
        snprintf(name, sizeof name, i ? "mmio%d" : "mmio", i);
        hm_handle_t h = hm_start_handle(name);
        if (h >= 0 && dc_host_grant_mmio(h))
            dc_log_printf("dcbase: handle %s is not device memory: ignored\n", name);
    }
    dc_irq_setup();
    long t = hm_timer_create(dc_events, DC_EV_TIMER);
    if (t < 0)
        return -ENOMEM;
    timer = (hm_handle_t)t;
    return 0;
}

void *dc_host_ioremap(unsigned long phys, unsigned long size)
{
    if (!size || phys + size < phys)
        return NULL;
    uint64_t start = phys & ~0xfffull, end = (phys + size + 0xfff) & ~0xfffull;
    for (int i = 0; i < HM_DM_MAX_TWIN_SERVING && dc_dm >= 0; i++) {
        uint64_t dev = dc_twin_serving[i];
        if (!dev || dev < start || dev >= end)
            continue;
        /* the first touch of a device a twin still serves: devmgr pauses
         * the twin before we go on (a call without IPC-buffer words: this
         * thread has none). Whatever it answers, Linux probes next. */
        struct hm_msg m = { .tag = HM_TAG(HM_DM_TWIN_PAUSE, 0, 0), .w = { dev } };
        dc_twin_serving[i] = 0;
        hm_call(dc_dm, &m);
    }
    for (int i = 0; i < ngrants; i++) {
        struct grant *g = &grants[i];
        if (start < g->phys || end - g->phys > g->size)
            continue;
        int slot = 0;
        while (slot < MAX_IOMAPS && iomaps[slot])
            slot++;
        if (slot == MAX_IOMAPS)
            return NULL;   /* on Linux's CPU thread (no picolibc here): Linux's ioremap logs it */
        long va = hm_vm_map(HM_HANDLE_SELF_PROC, g->h, start - g->phys, end - start, 0, HM_MAP_R | HM_MAP_W);
        if (va < 0)
            return NULL;
        iomaps[slot] = (uint64_t)va;
        return (void *)(va + (phys - start));
    }
    return NULL;
}

int dc_host_iounmap(void *va)
{
    /* ioremap's mapping starts at the page the address is in; anything
     * else (Linux's memory, the device tree) is not ours to unmap here */
    uint64_t page = (uint64_t)va & ~0xfffull;
    for (int i = 0; i < MAX_IOMAPS; i++)
        if (page && iomaps[i] == page) {
            iomaps[i] = 0;
            hm_vm_unmap(HM_HANDLE_SELF_PROC, page);
            return 0;
        }
    return -EINVAL;
}

/* ---- threads ---- */
long dc_host_thread_create(void *stack, unsigned long size, void (*entry)(void *), void *arg)
{
    long t = hm_thread_create(HM_HANDLE_SELF_PROC, (void *)entry, (char *)stack + size, (long)arg, DC_PRIO_LINUX);
    return t < 0 ? -ENOMEM : t;
}

void dc_host_thread_switch(long to)
{
    long r = hm_thread_switch((hm_handle_t)to);
    if (r < 0)
        dc_host_panic("dcbase: thread_switch to a Linux task failed");
}

void dc_host_thread_destroy(long t)
{
    hm_thread_kill((hm_handle_t)t);
    hm_handle_close((hm_handle_t)t);
}

unsigned long dc_host_idle_wait(void)
{
    for (;;) {
        uint64_t bits = 0;
        if (hm_notif_wait(dc_events, HM_DEADLINE_NEVER, &bits) >= 0 && bits)
            return bits;
    }
}

/* ---- time ---- */
unsigned long dc_host_time_freq(void)
{
    return hm_time_freq();
}

void dc_host_timer_set(unsigned long deadline)
{
    hm_timer_set(timer, deadline == ~0ul ? HM_DEADLINE_NEVER : deadline);
}

/* ---- the end ---- */
void dc_host_panic(const char *msg)
{
    static const char pre[] = "dcbase: Linux runtime stopped: ";
    hm_console_write(hm_console, pre, sizeof pre - 1);
    hm_console_write(hm_console, msg, strlen(msg));
    hm_console_write(hm_console, "\n", 1);
    /* a fault, so that the supervisor (devmgr) sees the container fail */
    __builtin_trap();
}
