// SPDX-License-Identifier: GPL-2.0
/*
 * PCI MSI and MSI-X for the container's Linux, through Linux's own MSI
 * code: an inner irq domain on the device tree's MSI controller node (the
 * GICv2m frame or the ITS; the PCIe host's msi-map points there), and on
 * top Linux's generic PCI/MSI domain (pci_msi_create_irq_domain), found by
 * each PCI device as on any arm64 board. The inner domain's allocation
 * asks DC-base for a vector (dc_host_msi_bind: devmgr grants the source,
 * the microkernel picks the interrupt and says what write raises it), and
 * its hwirq is that vector's event bit: hm_irq_deliver hands the bit to
 * this domain. Masking is done at the device (MSI-X vector control, MSI
 * mask bits) and at the microkernel.
 *
 * With no MSI controller in the tree, Linux's PCI MSI is switched off
 * (pci_no_msi), so drivers take their INTx line without a warning; a board
 * that forces INTx (devices.conf "msi off") gives the host no msi-map.
 */
#include <linux/init.h>
#include <linux/irq.h>
#include <linux/irqdomain.h>
#include <linux/msi.h>
#include <linux/of.h>
#include <linux/pci.h>
#include <dc_host.h>
#include "hm.h"

extern void pci_no_msi(void);	/* drivers/pci/pci.h, not in include/ */

static struct irq_domain *hm_msi_domain;
static struct msi_msg hm_msi_msg[DC_EV_NIRQ];

static void hm_msi_mask(struct irq_data *d)
{
	dc_host_irq_mask(d->hwirq);
}

static void hm_msi_unmask(struct irq_data *d)
{
	dc_host_irq_unmask(d->hwirq);
}

static void hm_msi_eoi(struct irq_data *d)
{
	if (!irqd_irq_masked(d))
		dc_host_irq_eoi(d->hwirq);
}

static void hm_msi_compose(struct irq_data *d, struct msi_msg *msg)
{
	*msg = hm_msi_msg[d->hwirq];
}

static struct irq_chip hm_msi_chip = {
	.name = "hm-msi",
	.irq_mask = hm_msi_mask,
	.irq_unmask = hm_msi_unmask,
	.irq_eoi = hm_msi_eoi,
	.irq_compose_msi_msg = hm_msi_compose,
};

static void hm_msi_free(struct irq_domain *dom, unsigned int virq, unsigned int nr)
{
	unsigned int i;

	for (i = 0; i < nr; i++) {
		struct irq_data *d = irq_domain_get_irq_data(dom, virq + i);

		if (d && d->chip == &hm_msi_chip) {
			hm_irq_bit_clear(d->hwirq);
			dc_host_msi_free(d->hwirq);
		}
	}
	irq_domain_free_irqs_common(dom, virq, nr);
}

/* arg: filled by hm_pci_msi_prepare (where the function sits) and Linux's
 * set_desc (the descriptor: its first vector's index) */
static int hm_msi_alloc(struct irq_domain *dom, unsigned int virq, unsigned int nr, void *data)
{
	msi_alloc_info_t *arg = data;
	int msix = arg->desc->pci.msi_attrib.is_msix;
	unsigned int i;

	for (i = 0; i < nr; i++) {
		unsigned int index = arg->desc->msi_index + i, val;
		unsigned long long addr;
		int n = dc_host_msi_bind(arg->scratchpad[0].ul, index, msix, &addr, &val);

		if (n < 0) {
			pr_warn("hm: %s: no %s vector %u for %s (%d)\n", dev_name(arg->desc->dev),
				msix ? "MSI-X" : "MSI", index, n == -ENODEV ? "MSI is off here" :
				n == -ERANGE ? "devmgr grants fewer" : "the grant failed", n);
			hm_msi_free(dom, virq, i);	/* the core does not free a failed allocation */
			return n;
		}
		hm_msi_msg[n] = (struct msi_msg){ .address_lo = lower_32_bits(addr),
						  .address_hi = upper_32_bits(addr), .data = val };
		irq_domain_set_info(dom, virq + i, n, &hm_msi_chip, NULL, handle_fasteoi_irq, NULL, NULL);
		hm_irq_bit_set(n, dom, n);
		pr_info("hm: %s: %s vector %u -> event %d, message %llx/%x\n", dev_name(arg->desc->dev),
			msix ? "MSI-X" : "MSI", index, n, addr, val);
	}
	return 0;
}

static const struct irq_domain_ops hm_msi_inner_ops = {
	.alloc = hm_msi_alloc,
	.free = hm_msi_free,
};

static void hm_pci_msi_mask(struct irq_data *d)
{
	pci_msi_mask_irq(d);
	irq_chip_mask_parent(d);
}

static void hm_pci_msi_unmask(struct irq_data *d)
{
	pci_msi_unmask_irq(d);
	irq_chip_unmask_parent(d);
}

static struct irq_chip hm_pci_msi_chip = {
	.name = "PCI-MSI",
	.irq_mask = hm_pci_msi_mask,
	.irq_unmask = hm_pci_msi_unmask,
	.irq_eoi = irq_chip_eoi_parent,			/* handle_fasteoi_irq calls it */
	.irq_set_affinity = irq_chip_set_affinity_parent,	/* one CPU: refused, not a NULL call */
};

static int hm_pci_msi_prepare(struct irq_domain *d, struct device *dev, int nvec, msi_alloc_info_t *arg)
{
	arg->scratchpad[0].ul = hm_dev_where(dev);	/* devmgr knows the function by it */
	return 0;
}

static struct msi_domain_ops hm_pci_msi_ops = {
	.msi_prepare = hm_pci_msi_prepare,
};

static struct msi_domain_info hm_pci_msi_info = {
	.flags = MSI_FLAG_USE_DEF_DOM_OPS | MSI_FLAG_USE_DEF_CHIP_OPS | MSI_FLAG_PCI_MSIX,
	.ops = &hm_pci_msi_ops,
	.chip = &hm_pci_msi_chip,
};

/* from init_IRQ */
void __init hm_msi_init(void)
{
	struct device_node *np = of_find_compatible_node(NULL, NULL, "arm,gic-v2m-frame");
	struct fwnode_handle *fw;

	if (!np)
		np = of_find_compatible_node(NULL, NULL, "arm,gic-v3-its");
	if (!np)
		goto intx;
	/* several vectors of plain MSI: the device adds the vector's number to
	 * its one message's data, which the ITS's events 0..N-1 follow; the
	 * GICv2m frame's SPIs are handed out one by one, not as an aligned
	 * block, so there Linux asks for one vector (MSI-X is per vector) */
	if (of_device_is_compatible(np, "arm,gic-v3-its"))
		hm_pci_msi_info.flags |= MSI_FLAG_MULTI_PCI_MSI;
	fw = of_node_to_fwnode(np);
	hm_msi_domain = irq_domain_create_tree(fw, &hm_msi_inner_ops, NULL);
	if (!hm_msi_domain)
		goto intx;
	irq_domain_update_bus_token(hm_msi_domain, DOMAIN_BUS_NEXUS);
	if (pci_msi_create_irq_domain(fw, &hm_pci_msi_info, hm_msi_domain)) {
		pr_info("hm: PCI MSI and MSI-X through %pOF\n", np);
		return;
	}
	irq_domain_remove(hm_msi_domain);
	hm_msi_domain = NULL;
intx:
	pr_info("hm: no MSI controller: PCI devices use INTx\n");
	pci_no_msi();
}
