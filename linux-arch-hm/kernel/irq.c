// SPDX-License-Identifier: GPL-2.0
/*
 * The virtual interrupt controller of the container.
 *
 * Device interrupts are microkernel IRQ objects bound to bits of the
 * container's event notification (dc_host_irq_bind). The idle task collects
 * the bits (time.c, arch_cpu_idle) into hm_irq_pending; hm_irq_deliver runs
 * them through irq_enter/generic_handle_domain_irq/irq_exit when Linux
 * enables interrupts. The chip's mask/unmask/eoi go to the microkernel,
 * which masks a level-triggered line when it fires until eoi, so it is
 * neither lost nor repeated (an edge-triggered line is not masked: an edge
 * during handling sets its event bit again). The irq domain takes the device tree's GIC
 * interrupt specifiers (SPI/PPI, number, flags), so Linux's own OF code
 * wires platform devices and a PCI host's interrupt-map.
 */
#include <linux/init.h>
#include <linux/interrupt.h>
#include <linux/irq.h>
#include <linux/irqdomain.h>
#include <linux/hardirq.h>
#include <linux/of.h>
#include <linux/of_irq.h>
#include <dc_host.h>
#include <linux/cpu.h>
#include <asm/irq_regs.h>
#include "hm.h"

unsigned long hm_irq_flags = ARCH_IRQ_DISABLED;
unsigned long hm_irq_pending;
static struct irq_domain *hm_domain;
/* the domain and hwirq each event bit raises: hm_domain's lines, or an
 * MSI vector of msi.c's domain */
static struct irq_domain *hm_bit_domain[DC_EV_NIRQ];
static irq_hw_number_t hm_bit_hwirq[DC_EV_NIRQ];
/*
 * The registers "interrupted" by a delivery: Linux in the container takes
 * no exceptions, so there are none to save, but Linux's tick needs a
 * non-NULL get_irq_regs() to know it runs in interrupt context: 6.12's
 * tick_nohz_handler (low-res and high-res in one, unlike 6.1's) skips
 * tick_sched_handle (the timer wheel, the scheduler's tick) when it is
 * NULL, so with the tickless idle (CONFIG_NO_HZ_IDLE) no timer_list timer
 * ever ran on Linux 6.12 (msleep never returned: no SD card).
 * Kernel mode (user_mode() is 0), pc 0: nothing reads more.
 */
static struct pt_regs hm_irq_regs;
/* INTIDs the device tree calls level-triggered (PCI INTx): the binding
 * asks the microkernel to configure them so (a level line that stays high
 * after eoi fires again; an edge setting would lose it) */
#define HM_MAX_HWIRQ 1024
static DECLARE_BITMAP(hm_level_hw, HM_MAX_HWIRQ);


void hm_irq_deliver(void)
{
	static int delivering;
	struct pt_regs *old_regs;
	unsigned long p;
	int n;

	if (delivering)
		return;	/* irq_exit's softirqs enable interrupts: the loop below goes on */
	delivering = 1;
	old_regs = set_irq_regs(&hm_irq_regs);
	while ((p = hm_irq_pending)) {
		hm_irq_pending = 0;
		hm_irq_flags = ARCH_IRQ_DISABLED;
		irq_enter();
		if (p & DC_EV_TIMER)
			hm_timer_interrupt();
		if (p & DC_EV_KICK)
			hm_blk_kick();
		if (p & DC_EV_TWIN)
			hm_twin_kick();
		if (p & DC_EV_CHR)
			hm_chr_kick();
		if (p & DC_EV_PING)
			dc_host_alive();	/* the heartbeat: Linux takes its events */
		for (n = 0; n < DC_EV_NIRQ; n++)
			if ((p & (1UL << (DC_EV_IRQ0 + n))) && hm_bit_domain[n])
				generic_handle_domain_irq(hm_bit_domain[n], hm_bit_hwirq[n]);
		irq_exit();
		hm_irq_flags = ARCH_IRQ_ENABLED;
	}
	set_irq_regs(old_regs);
	delivering = 0;
}

void hm_irq_bit_set(int n, struct irq_domain *d, irq_hw_number_t hw)
{
	hm_bit_hwirq[n] = hw;
	hm_bit_domain[n] = d;
}

void hm_irq_bit_clear(int n)
{
	hm_bit_domain[n] = NULL;
	hm_irq_pending &= ~(1UL << (DC_EV_IRQ0 + n));	/* collected, not delivered: nobody's now */
}

static int hm_irq_bit(struct irq_data *d)
{
	return (int)(long)irq_data_get_irq_chip_data(d);
}

static void hm_irq_mask(struct irq_data *d)
{
	dc_host_irq_mask(hm_irq_bit(d));
}

static void hm_irq_unmask(struct irq_data *d)
{
	dc_host_irq_unmask(hm_irq_bit(d));
}

/* the microkernel's eoi also unmasks: leave a line Linux masked (a
 * disabled interrupt, or one without a handler) masked until it unmasks */
static void hm_irq_eoi(struct irq_data *d)
{
	if (!irqd_irq_masked(d))
		dc_host_irq_eoi(hm_irq_bit(d));
}

static int hm_irq_set_type(struct irq_data *d, unsigned int type)
{
	/* the microkernel keeps the trigger the board configured */
	return IRQ_SET_MASK_OK;
}

static struct irq_chip hm_irq_chip = {
	.name = "hm-vic",
	.irq_mask = hm_irq_mask,
	.irq_unmask = hm_irq_unmask,
	.irq_eoi = hm_irq_eoi,
	.irq_set_type = hm_irq_set_type,
};

static int hm_irq_map(struct irq_domain *d, unsigned int virq, irq_hw_number_t hw)
{
	int n = dc_host_irq_bind(hw, hw < HM_MAX_HWIRQ && test_bit(hw, hm_level_hw));

	if (n < 0) {
		pr_err("hm: interrupt %lu not granted to this container (%d)\n", hw, n);
		return n;
	}
	hm_irq_bit_set(n, d, hw);
	irq_set_chip_data(virq, (void *)(long)n);
	irq_set_chip_and_handler(virq, &hm_irq_chip, handle_fasteoi_irq);
	return 0;
}

/* GIC specifiers: <type number flags>, type 0 = SPI (INTID 32+), 1 = PPI (16+);
 * called before map for every device-tree mapping */
static int hm_irq_xlate(struct irq_domain *d, struct device_node *node, const u32 *spec,
			unsigned int size, unsigned long *hw, unsigned int *type)
{
	if (size < 3 || spec[0] > 1)
		return -EINVAL;
	*hw = spec[1] + (spec[0] == 0 ? 32 : 16);
	*type = spec[2] & IRQ_TYPE_SENSE_MASK;
	if (*hw < HM_MAX_HWIRQ)
		assign_bit(*hw, hm_level_hw, *type & IRQ_TYPE_LEVEL_MASK);
	return 0;
}

static const struct irq_domain_ops hm_irq_ops = {
	.map = hm_irq_map,
	.xlate = hm_irq_xlate,
};

void __init init_IRQ(void)
{
	struct device_node *np;

	for_each_node_with_property(np, "interrupt-controller") {
		if (of_property_match_string(np, "compatible", "arm,cortex-a15-gic") >= 0 ||
		    of_property_match_string(np, "compatible", "arm,gic-400") >= 0 ||
		    of_property_match_string(np, "compatible", "arm,gic-v3") >= 0)
			break;
	}
	if (!np)
		panic("hm: no GIC node in the container's device tree");
	hm_domain = irq_domain_add_tree(np, &hm_irq_ops, NULL);
	if (!hm_domain)
		panic("hm: cannot create the irq domain");
	irq_set_default_host(hm_domain);
	pr_info("hm: virtual irq chip for %pOF\n", np);
	if (IS_ENABLED(CONFIG_PCI_MSI))
		hm_msi_init();
}

/*
 * Called with interrupts disabled. Waits for an event if none is pending,
 * then delivers what is (enabling interrupts runs hm_irq_deliver) and
 * returns with interrupts disabled again: 6.12 requires that (since 6.3),
 * and 6.1's caller disables them right after anyway, so one body fits both.
 */
void arch_cpu_idle(void)
{
	if (!hm_irq_pending)
		hm_irq_pending |= dc_host_idle_wait();
	raw_local_irq_enable();
	raw_local_irq_disable();
}
