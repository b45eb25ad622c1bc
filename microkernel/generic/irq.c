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
static struct irqobj *bound[MAX_IRQS];
extern void timer_irq(void);

void irq_dispatch(uint32_t intid)
{
    kstats.irqs++;
    if (intid == plat_timer_irq) {
        timer_irq();
    } else if (intid == plat_uart_irq) {
        console_rx_irq();
    } else if (intid < MAX_IRQS && bound[intid]) {
        struct irqobj *q = bound[intid];
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
    if (q->irq < MAX_IRQS && bound[q->irq] == q) {
        gic_disable(q->irq);
        bound[q->irq] = NULL;
    }
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
    obj_init(&q->o, HM_OBJ_IRQ);
    q->irq = irq;
    q->notif = (struct notif *)ns->obj;
    obj_ref(&q->notif->o);
    q->bits = bits;
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
    default:
        tf->x[0] = (uint64_t)-HM_EINVAL;
        return;
    }
    tf->x[0] = 0;
}
