/*
 * Interrupts for Linux (dc_host.h): event bit DC_EV_IRQ0 + n of the
 * container's notification is the n-th interrupt Linux bound, a line
 * (INTx, a device-tree interrupt: covered by the "irqres" grants devmgr
 * gave at start) or an MSI vector (granted one at a time: HM_DM_MSI). A
 * line keeps its slot for good; a vector's slot is free again once Linux
 * frees the vector (a driver that re-allocates its vectors, as NVMe does
 * after it learnt its queue count). Runs on Linux's CPU thread: only
 * system calls and plain memory here.
 */
#include "dcbase.h"
#include <dc_host.h>
#include <hm/dm.h>
#include <errno.h>
#include <stdio.h>

#define MAX_IRQRES 8
/* "irqres", "irqres1".."irqres7": one interrupt range per granted device */
static hm_handle_t irqres[MAX_IRQRES];
static int nirqres;

#define SLOT_MSI_FREE (~0u)   /* irq_hw of a freed vector's slot */
static hm_handle_t irqs[DC_EV_NIRQ];   /* HM_HANDLE_INVALID: given to a twin, or a freed vector */
static unsigned int irq_hw[DC_EV_NIRQ];   /* a line's INTID; for a vector: 0 or SLOT_MSI_FREE */
static int irq_level[DC_EV_NIRQ];
static int irq_fwd[DC_EV_NIRQ];           /* fed by a twin's forwards (twin.c) */
static hm_handle_t irq_fwd_eoi[DC_EV_NIRQ];   /* and what its eoi signals */
static int nirqs;

/* one interrupt range: a start handle, or a standby's HM_DC_GRANT; 0 or -ENOSPC */
int dc_irq_grant(hm_handle_t h)
{
    if (nirqres == MAX_IRQRES)
        return -ENOSPC;
    irqres[nirqres++] = h;
    return 0;
}

void dc_irq_setup(void)
{
    for (int i = 0; i < MAX_IRQRES; i++) {
        char name[12];
        snprintf(name, sizeof name, i ? "irqres%d" : "irqres", i);
        hm_handle_t h = hm_start_handle(name);
        if (h >= 0)
            dc_irq_grant(h);
    }
}

static long irq_create(int n)
{
    /* the grant that covers it: the others answer ERANGE */
    long q = -HM_ERANGE;
    for (int i = 0; i < nirqres && q == -HM_ERANGE; i++)
        q = hm_irq_create(irqres[i], irq_hw[n], dc_events, 1ull << (DC_EV_IRQ0 + n), irq_level[n] ? HM_IRQ_LEVEL : 0);
    return q;
}

int dc_host_irq_bind(unsigned int hwirq, int level)
{
    for (int n = 0; n < nirqs; n++)
        if (irq_hw[n] == hwirq && hwirq != SLOT_MSI_FREE)
            return n;
    if (nirqs == DC_EV_NIRQ)
        return -ENOSPC;
    irq_hw[nirqs] = hwirq;
    irq_level[nirqs] = level;
    long q = irq_create(nirqs);
    if (q < 0)
        return q == -HM_ERANGE || q == -HM_EPERM ? -EPERM : -EBUSY;
    hm_irq_ctl((hm_handle_t)q, HM_IRQ_MASK);   /* until Linux starts it up */
    irqs[nirqs] = (hm_handle_t)q;
    return nirqs++;
}

/* devmgr's grant of one source: an HM_RES_MSI resource and the device ID.
 * The handle comes in an IPC buffer, which Linux's threads do not have:
 * this thread borrows one for the call (one Linux thread runs at a time). */
static long msi_grant(unsigned long long where, unsigned int index, int msix, uint64_t *devid)
{
    static struct hm_ipc_buf buf;
    struct hm_msg m = { .tag = HM_TAG(HM_DM_MSI, 0, 0), .w = { where, index, msix ? 1 : 0 } };
    if (hm_ipc_buf_set(&buf) < 0)
        return -ENOMEM;
    long r = hm_call(dc_dm, &m);
    hm_ipc_buf_set(NULL);
    if (r < 0)
        return -EIO;
    if (HM_TAG_LABEL(m.tag))
        return -(long)HM_TAG_LABEL(m.tag);   /* devmgr's errno: ENOENT, ERANGE, ENOTSUP */
    if (HM_TAG_NHANDLES(m.tag) != 1)
        return -EIO;
    *devid = m.w[0];
    return buf.handles[0];
}

int dc_host_msi_bind(unsigned long long where, unsigned int index, int msix, unsigned long long *addr,
                     unsigned int *data)
{
    /* a slot never used, else a freed vector's (its event bit may still be
     * set once: a spurious interrupt for the new owner, which Linux's
     * handler answers IRQ_NONE) */
    int n = nirqs;
    for (int i = 0; n == DC_EV_NIRQ && i < nirqs; i++)
        if (irq_hw[i] == SLOT_MSI_FREE && irqs[i] < 0)
            n = i;
    if (n == DC_EV_NIRQ)
        return -ENOSPC;
    uint64_t devid = 0, a = 0;
    uint32_t d = 0;
    long res = msi_grant(where, index, msix, &devid);
    if (res == -ENOTSUP)
        return -ENODEV;   /* dc_host.h's word for it: Linux's ENOTSUP is not picolibc's */
    if (res < 0)
        return (int)res;
    long q = hm_msi_create((hm_handle_t)res, HM_MSI_SOURCE(devid, index), dc_events, 1ull << (DC_EV_IRQ0 + n), &a, &d);
    hm_handle_close((hm_handle_t)res);   /* the vector holds what it needs */
    if (q < 0)
        return q == -HM_ENOSYS ? -ENODEV : q == -HM_EBUSY ? -EBUSY : q == -HM_ENOSPC ? -ENOSPC : -EPERM;
    hm_irq_ctl((hm_handle_t)q, HM_IRQ_MASK);   /* until Linux starts it up */
    irqs[n] = (hm_handle_t)q;
    irq_hw[n] = 0;
    irq_level[n] = 0;
    irq_fwd[n] = 0;
    if (n == nirqs)
        nirqs++;
    *addr = a;
    *data = d;
    return n;
}

void dc_host_msi_free(int n)
{
    if (n < 0 || n >= nirqs || irq_hw[n] != 0 || irqs[n] < 0)
        return;
    hm_handle_close(irqs[n]);   /* the kernel unmaps the source: the device's write raises nothing */
    irqs[n] = HM_HANDLE_INVALID;
    irq_hw[n] = SLOT_MSI_FREE;
}

int dc_irq_release(unsigned int hwirq)
{
    for (int n = 0; n < nirqs; n++)
        if (irq_hw[n] == hwirq && irqs[n] >= 0) {
            hm_handle_close(irqs[n]);   /* unbinds it: the INTID is free for the twin */
            irqs[n] = HM_HANDLE_INVALID;
            return n;
        }
    return -1;
}

int dc_irq_restore(int n)
{
    if (n < 0 || n >= nirqs || irqs[n] >= 0)
        return -EINVAL;
    long q = irq_create(n);
    if (q < 0)
        return -EBUSY;
    irqs[n] = (hm_handle_t)q;   /* unmasked: Linux's handler is still installed */
    irq_fwd[n] = 0;
    return 0;
}

void dc_irq_forwarded(int n, hm_handle_t eoi)
{
    if (n >= 0 && n < nirqs && irqs[n] < 0) {
        irq_fwd_eoi[n] = eoi;
        irq_fwd[n] = 1;
    }
}

void dc_host_irq_mask(int n)
{
    if (n >= 0 && n < nirqs && irqs[n] >= 0)
        hm_irq_ctl(irqs[n], HM_IRQ_MASK);
}

void dc_host_irq_unmask(int n)
{
    if (n >= 0 && n < nirqs && irqs[n] >= 0)
        hm_irq_ctl(irqs[n], HM_IRQ_UNMASK);
}

void dc_host_irq_eoi(int n)
{
    if (n >= 0 && n < nirqs && irqs[n] >= 0)
        hm_irq_ctl(irqs[n], HM_IRQ_ACK);
    else if (n >= 0 && n < nirqs && irq_fwd[n])
        hm_notif_signal(irq_fwd_eoi[n], 1);   /* the twin holds the line until Linux handled it */
}
