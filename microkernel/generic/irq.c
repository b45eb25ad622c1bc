/* Interrupts: the kernel's own (timer, UART) and those bound to user space.
 * A user-bound level-triggered line is masked when it fires and its
 * notification signalled; the driver acks (unmasks) it once it has handled
 * the device, so the line cannot storm. An edge-triggered line is not
 * masked: it fires once per edge, and an edge that comes while the driver
 * is busy sets the notification bit again (bits are sticky), so nothing is
 * lost; its ack has nothing to do. That spares two writes to the GIC
 * distributor per interrupt, each a trap into QEMU's GIC model (a
 * virtio-mmio line is edge-triggered on the virt board). */
#include <kernel/object.h>
#include <kernel/plat.h>

#define MAX_IRQS 1020
#define MAX_LPIS 1024   /* as many as gic_its.c hands out */
static struct irqobj *bound[MAX_IRQS];
static struct irqobj *bound_lpi[MAX_LPIS];
extern void timer_irq(void);

/* where the object bound to intid is kept, or NULL for a number none can be */
static struct irqobj **slot(uint32_t intid)
{
    if (intid < MAX_IRQS)
        return &bound[intid];
    if (intid >= GIC_LPI_BASE && intid - GIC_LPI_BASE < MAX_LPIS)
        return &bound_lpi[intid - GIC_LPI_BASE];
    return NULL;
}

void irq_dispatch(uint32_t intid)
{
    kcpu.stats.irqs++;
    if (intid == plat_timer_irq) {
        timer_irq();
    } else if (intid == plat_backstop_irq) {
        timer_backstop();
    } else if (intid == plat_uart_irq) {
        console_rx_irq();
    } else if (intid == plat_pmu_irq) {
        pmu_irq();
    } else if (slot(intid) && *slot(intid)) {
        struct irqobj *q = *slot(intid);
        q->count++;
        if (q->msi)
            kcpu.stats.msis++;
        if (!q->edge) {
            gic_disable(intid);
            q->masked = true;
        }
        notif_signal(q->notif, q->bits);
    } else {
        gic_disable(intid);   /* nobody wants it: keep it quiet */
    }
}

void irq_unbind(struct irqobj *q)
{
    struct irqobj **s = slot(q->irq);
    if (s && *s == q) {
        gic_disable(q->irq);
        *s = NULL;
        if (q->msi)
            msi_unmap(q->irq);   /* the source raises nothing from here on */
    }
}

/* a new IRQ object for intid, signalling bits on the notification in ns
 * (referenced); an MSI is an edge from the start, a line's trigger is read
 * once it is bound */
static void irqobj_init(struct irqobj *q, uint32_t intid, struct hslot *ns, uint64_t bits, bool msi)
{
    obj_init(&q->o, HM_OBJ_IRQ);
    q->irq = intid;
    q->notif = (struct notif *)ns->obj;
    obj_ref(&q->notif->o);
    q->bits = bits;
    q->msi = msi;
    q->edge = msi;
    q->masked = false;
    q->count = 0;
}

extern bool resource_covers(struct hslot *s, uint32_t kind, uint64_t base, uint64_t size);

/* (resource, irq, notif, bits, flags) */
void sys_irq_create(struct trapframe *tf)
{
    struct hslot *rs, *ns;
    uint32_t irq = (uint32_t)tf->x[1];
    uint64_t bits = tf->x[3], flags = tf->x[4];
    int err = handle_get(current->proc, (int32_t)tf->x[0], HM_OBJ_RESOURCE, HM_R_MANAGE, &rs);
    if (!err)
        err = handle_get(current->proc, (int32_t)tf->x[2], HM_OBJ_NOTIF, HM_R_SIGNAL, &ns);
    if (!err && (!bits || (flags & ~3ull) || flags == 3))
        err = -HM_EINVAL;
    if (!err && (irq >= gic_max_irq() || plat_kernel_owns_irq(irq) || !resource_covers(rs, HM_RES_IRQ, irq, 1)))
        err = -HM_ERANGE;
    if (!err && bound[irq])
        err = -HM_EBUSY;
    struct irqobj *q = NULL;
    if (!err && !(q = kmalloc(sizeof *q)))
        err = -HM_ENOMEM;
    if (err) {
        tf->x[0] = (uint64_t)err;
        return;
    }
    irqobj_init(q, irq, ns, bits, false);
    int32_t h = handle_install(current->proc, &q->o, HM_R_MANAGE | HM_R_GRANT | HM_R_DUP, 0);
    obj_unref(&q->o);
    if (h < 0) {
        tf->x[0] = (uint64_t)(int64_t)h;   /* the unref above freed q */
        return;
    }
    bound[irq] = q;
    if (flags)
        gic_set_edge(irq, flags == HM_IRQ_EDGE);
    q->edge = gic_is_edge(irq);
    q->masked = false;
    gic_enable(irq);
    tf->x[0] = (uint64_t)(int64_t)h;
}

void sys_irq_ctl(struct trapframe *tf)
{
    struct hslot *s;
    int err = handle_get(current->proc, (int32_t)tf->x[0], HM_OBJ_IRQ, HM_R_MANAGE, &s);
    if (err) {
        tf->x[0] = (uint64_t)err;
        return;
    }
    struct irqobj *q = (struct irqobj *)s->obj;
    switch (tf->x[1]) {
    case HM_IRQ_ACK:
        if (!q->masked)
            break;   /* an edge line (never masked when it fires), or an ack without an interrupt */
        /* fall through */
    case HM_IRQ_UNMASK:
        q->masked = false;
        gic_enable(q->irq);
        break;
    case HM_IRQ_MASK:
        q->masked = true;
        gic_disable(q->irq);
        break;
    case HM_IRQ_COUNT:
        tf->x[0] = q->count;
        return;
    default:
        tf->x[0] = (uint64_t)-HM_EINVAL;
        return;
    }
    tf->x[0] = 0;
}

/* (resource, source, notif, bits) -> irq; x1 = address, x2 = data: the
 * write the device must make to raise it. The kernel picks the INTID (an
 * SPI of the GICv2m frame or an LPI of the ITS); the resource (HM_RES_MSI)
 * says which sources the caller may ask for. Always edge: never masked when
 * it fires, its ack has nothing to do. */
void sys_msi_create(struct trapframe *tf)
{
    struct hslot *rs, *ns;
    uint64_t source = tf->x[1], bits = tf->x[3];
    uint32_t devid = (uint32_t)(source >> 16), event = (uint32_t)(source & 0xffff), intid = 0, data = 0;
    uint64_t addr = 0;
    int err = handle_get(current->proc, (int32_t)tf->x[0], HM_OBJ_RESOURCE, HM_R_MANAGE, &rs);
    if (!err)
        err = handle_get(current->proc, (int32_t)tf->x[2], HM_OBJ_NOTIF, HM_R_SIGNAL, &ns);
    if (!err && (!bits || source >> 32))
        err = -HM_EINVAL;
    if (!err && !resource_covers(rs, HM_RES_MSI, source, 1))
        err = -HM_ERANGE;
    struct irqobj *q = NULL;
    if (!err && !(q = kmalloc(sizeof *q)))
        err = -HM_ENOMEM;
    if (!err && (err = msi_map(devid, event, &intid, &addr, &data)) == 0 && (!slot(intid) || *slot(intid))) {
        msi_unmap(intid);   /* the controller gave a number this table cannot hold or holds: a kernel bug */
        err = -HM_ESTATE;
    }
    if (err) {
        if (q)
            kfree(q);
        tf->x[0] = (uint64_t)err;
        return;
    }
    irqobj_init(q, intid, ns, bits, true);
    *slot(intid) = q;   /* before the install: the unref of a failed install unbinds and unmaps */
    int32_t h = handle_install(current->proc, &q->o, HM_R_MANAGE | HM_R_GRANT | HM_R_DUP, 0);
    obj_unref(&q->o);
    if (h < 0) {
        tf->x[0] = (uint64_t)(int64_t)h;
        return;
    }
    gic_enable(intid);
    tf->x[0] = (uint64_t)(int64_t)h;
    tf->x[1] = addr;
    tf->x[2] = data;
}
