// SPDX-License-Identifier: GPL-2.0
/*
 * PCI IDs the board file adds to Linux drivers (devices.conf "pci-id"):
 * devmgr lists them in /chosen as hm,pci-ids = "DRIVER VENDOR DEVICE", ...
 * and they are added here, after every built-in driver has registered and
 * before the container reports ready (hm_blk_settle waits for the probes
 * this starts). It is what writing "VENDOR DEVICE" to the driver's new_id
 * does: pci_add_dynid with any subsystem and driver_data 0 (the driver's
 * generic behaviour). A driver whose own table already matches the ID is
 * left alone: a dynamic ID is matched first and would take the table's
 * driver_data away (Linux 6.12's ufshcd-pci has QEMU-specific operations
 * there).
 */
#include <linux/init.h>
#include <linux/of.h>
#include <linux/pci.h>
#include <linux/string.h>

/* does the driver's own ID table match vendor:device (any subsystem)? */
static bool hm_table_lists(const struct pci_driver *pdrv, unsigned int vendor, unsigned int device)
{
	const struct pci_device_id *id;

	for (id = pdrv->id_table; id && (id->vendor || id->subvendor || id->class_mask); id++)
		if ((id->vendor == PCI_ANY_ID || id->vendor == vendor) &&
		    (id->device == PCI_ANY_ID || id->device == device) &&
		    id->subvendor == PCI_ANY_ID && id->subdevice == PCI_ANY_ID && !id->class_mask)
			return true;
	return false;
}

static void hm_pci_id_add(const char *entry)
{
	char name[24];
	unsigned int vendor, device;
	struct device_driver *drv;
	struct pci_driver *pdrv;
	int err;

	if (sscanf(entry, "%23s %x %x", name, &vendor, &device) != 3 || vendor > 0xffff || device > 0xffff) {
		pr_err("hm: board PCI ID \"%s\" is not \"DRIVER VENDOR DEVICE\": ignored\n", entry);
		return;
	}
	drv = driver_find(name, &pci_bus_type);
	if (!drv) {
		pr_err("hm: board adds PCI ID %04x:%04x to %s, a PCI driver this Linux does not have (its config?)\n",
		       vendor, device, name);
		return;
	}
	pdrv = to_pci_driver(drv);
	if (hm_table_lists(pdrv, vendor, device)) {
		pr_info("hm: %s lists PCI ID %04x:%04x itself: its own entry is used\n", name, vendor, device);
		return;
	}
	err = pci_add_dynid(pdrv, vendor, device, PCI_ANY_ID, PCI_ANY_ID, 0, 0, 0);
	if (err)
		pr_err("hm: cannot add PCI ID %04x:%04x to %s: %d\n", vendor, device, name, err);
	else
		pr_info("hm: %s takes PCI ID %04x:%04x (board file)\n", name, vendor, device);
}

static int __init hm_pci_ids_init(void)
{
	const char *entry;
	struct property *prop;

	if (!of_chosen)
		return 0;
	of_property_for_each_string(of_chosen, "hm,pci-ids", prop, entry)
		hm_pci_id_add(entry);
	return 0;
}
/* late: every built-in PCI driver registered (device_initcall) */
late_initcall(hm_pci_ids_init);
