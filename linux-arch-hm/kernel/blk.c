// SPDX-License-Identifier: GPL-2.0
/*
 * DC-solo, the Linux half: every disk and partition Linux registers is
 * opened and announced to DC-base (dc_host_disk_add), and the requests that
 * DC-base takes from clients' block sessions become bios on it (blk_io.c).
 * A kernel thread, dc-blk, woken by the DC_EV_KICK event, opens, announces
 * and closes disks, then fetches and submits requests.
 */
#include <linux/bio.h>
#include <linux/blkdev.h>
#include <linux/delay.h>
#include <linux/device.h>
#include <linux/init.h>
#include <linux/kthread.h>
#include <linux/of_address.h>
#include <linux/pci.h>
#include <linux/workqueue.h>
#include <linux/wait.h>
#include <asm/hm_compat.h>
#include <dc_host.h>
#include "hm.h"

#define HM_MAX_DISKS 32

struct hm_disk {
	dev_t devt;
	struct block_device *bdev;	/* opened by the thread below: read-write, or */
	hm_bdev_handle_t handle;	/* read-only for a read-only disk; closed with this */
	int state;			/* 0 free, 1 added (to open), 2 open, 3 removed (to close),
					 * 4 open, waiting for its device's twin hand-off */
	int used;			/* ever held a disk: its id (a /dev node's badge) is never reused */
	unsigned long long size;	/* what DC-base was told: a change is pushed */
	bool ro;
};

static struct hm_disk hm_disks[HM_MAX_DISKS];
static DEFINE_SPINLOCK(hm_disks_lock);
static struct task_struct *hm_blk_thread;
static int hm_blk_kicked;
void hm_blk_kick(void)
{
	hm_blk_kicked = 1;
	if (hm_blk_thread)
		wake_up_process(hm_blk_thread);
}

/* the open disk with id disk, NULL if it is gone */
struct block_device *hm_disk_bdev(int disk)
{
	struct block_device *bdev = NULL;

	spin_lock_irq(&hm_disks_lock);
	if (disk >= 0 && disk < HM_MAX_DISKS && hm_disks[disk].state == 2)
		bdev = hm_disks[disk].bdev;
	spin_unlock_irq(&hm_disks_lock);
	return bdev;
}

/* the device a disk or char device sits on, as the device manager names
 * it: the first PCI function or device-tree node (its MMIO address) from
 * dev up its parents; 0 if none */
unsigned long long hm_dev_where(struct device *dev)
{
	for (; dev; dev = dev->parent) {
		struct resource r;

		if (dev_is_pci(dev)) {
			struct pci_dev *pdev = to_pci_dev(dev);

			return DC_WHERE_PCI | ((unsigned long long)pci_domain_nr(pdev->bus) << 16) |
			       (pdev->bus->number << 8) | pdev->devfn;
		}
		if (dev->of_node && !of_address_to_resource(dev->of_node, 0, &r))
			return r.start;
	}
	return 0;
}

/* an open whole disk named name (any, if name is ""), on a PCI function if
 * pci_only; NULL if none. For fault injection (fault_dma.c): the disk
 * stays open while the container lives. */
struct block_device *hm_blk_find(const char *name, int pci_only)
{
	struct block_device *found = NULL;
	int i;

	spin_lock_irq(&hm_disks_lock);
	for (i = 0; i < HM_MAX_DISKS && !found; i++) {
		struct block_device *b = hm_disks[i].bdev;

		if ((hm_disks[i].state != 2 && hm_disks[i].state != 4) || !b || bdev_is_partition(b))
			continue;
		if (name[0] && strcmp(b->bd_disk->disk_name, name))
			continue;
		if (pci_only && !(hm_dev_where(disk_to_dev(b->bd_disk)) & DC_WHERE_PCI))
			continue;
		found = b;
	}
	spin_unlock_irq(&hm_disks_lock);
	return found;
}

/* tell DC-base about an open disk: served by Linux, or by its device's twin */
static void hm_disk_announce(int i, int twin)
{
	struct hm_disk *d = &hm_disks[i];
	struct block_device *b = d->bdev;
	int err;

	d->size = bdev_nr_bytes(b);
	d->ro = bdev_read_only(b);
	err = dc_host_disk_add(i, b->bd_device.kobj.name, d->size, bdev_logical_block_size(b), d->ro,
			       hm_dev_where(disk_to_dev(b->bd_disk)->parent), twin,
			       twin >= 0 ? (unsigned long long)get_start_sect(b) << SECTOR_SHIFT : 0,
			       twin >= 0 ? hm_twin_unit(b->bd_disk) : 0);
	if (err)
		pr_err("hm: %pg not published (%d)\n", b, err);
}

/* open what was added, close what was removed, announce both to DC-base;
 * a changed size (a capacity change) is announced too */
static void hm_disks_update(void)
{
	int i;

	for (i = 0; i < HM_MAX_DISKS; i++) {
		struct hm_disk *d = &hm_disks[i];
		int twin;

		if (d->state == 1) {
			hm_bdev_handle_t h;
			struct block_device *b = hm_bdev_open(d->devt, true, &h);

			if (IS_ERR(b))
				b = hm_bdev_open(d->devt, false, &h);
			if (IS_ERR(b)) {
				pr_err("hm: cannot open %u:%u: %ld\n", MAJOR(d->devt), MINOR(d->devt), PTR_ERR(b));
				d->state = 0;
				continue;
			}
			spin_lock_irq(&hm_disks_lock);
			d->bdev = b;
			d->handle = h;
			if (d->state == 1)
				d->state = 4;	/* else removed while it was being opened: closed below */
			spin_unlock_irq(&hm_disks_lock);
		}
		if (d->state == 4 && (twin = hm_twin_of(d->bdev->bd_disk)) != HM_TWIN_PENDING) {
			hm_disk_announce(i, twin);
			spin_lock_irq(&hm_disks_lock);
			if (d->state == 4)
				d->state = 2;
			spin_unlock_irq(&hm_disks_lock);
		}
		if (d->state == 2 && (bdev_nr_bytes(d->bdev) != d->size || bdev_read_only(d->bdev) != d->ro)) {
			d->size = bdev_nr_bytes(d->bdev);
			d->ro = bdev_read_only(d->bdev);
			pr_info("hm: %pg is now %llu bytes%s: telling DC-base\n", d->bdev, d->size,
				d->ro ? ", read-only" : "");
			dc_host_disk_change(i, d->size, d->ro);
		}
		if (d->state == 3) {
			dc_host_disk_remove(i);
			if (d->bdev)
				hm_bdev_close(d->handle);
			d->bdev = NULL;
			d->state = 0;
		}
	}
}

/* until no disk is in one of the states in mask (bit per state) */
static void hm_blk_wait(unsigned int mask)
{
	int i, busy;

	do {
		busy = 0;
		for (i = 0; i < HM_MAX_DISKS; i++)
			busy |= !!(mask & (1U << hm_disks[i].state));
		if (busy)
			msleep(1);
	} while (busy);
}

/* boot waits for this before it tells DC-base Linux is ready: every disk
 * Linux has added is open and announced */
void hm_blk_settle(void)
{
	int i;

	/*
	 * Cards are found after the host probed: the MMC core's rescan runs
	 * on the freezable system workqueue (queued, without delay, when the
	 * host starts), and the host itself may probe asynchronously (6.12's
	 * sdhci-pci does). Wait for probes, the rescan, and the probes it
	 * started, so that a card present at boot is announced before the
	 * container says it is ready.
	 */
	wait_for_device_probe();
	__flush_workqueue(system_freezable_wq);
	wait_for_device_probe();
	/*
	 * Every disk is opened (its partitions scanned) before a twin takes
	 * its device's data plane: from then on Linux cannot read it. Then the
	 * hand-offs, then the announcements.
	 */
	hm_blk_wait(1U << 1);
	for (i = 0; i < HM_MAX_DISKS; i++) {
		struct gendisk *disk = NULL;

		spin_lock_irq(&hm_disks_lock);
		if (hm_disks[i].state == 4 && hm_disks[i].bdev)
			disk = hm_disks[i].bdev->bd_disk;
		spin_unlock_irq(&hm_disks_lock);
		if (disk)
			hm_twin_handoff(disk);
	}
	hm_twin_settle();
	hm_blk_kick();
	hm_blk_wait(1U << 1 | 1U << 3 | 1U << 4);
}

static int hm_blk_main(void *unused)
{
	hm_blk_io_setup();
	for (;;) {
		set_current_state(TASK_IDLE);
		if (!READ_ONCE(hm_blk_kicked))
			schedule();
		__set_current_state(TASK_RUNNING);
		WRITE_ONCE(hm_blk_kicked, 0);
		hm_disks_update();
		hm_blk_io_work();
	}
	return 0;
}

static int hm_blk_add_dev(HM_CLASS_INTF_ARGS(dev))
{
	int i;

	spin_lock_irq(&hm_disks_lock);
	for (i = 0; i < HM_MAX_DISKS && (hm_disks[i].state || hm_disks[i].used); i++)
		;
	if (i < HM_MAX_DISKS) {
		hm_disks[i].devt = dev->devt;
		hm_disks[i].state = 1;
		hm_disks[i].used = 1;
	}
	spin_unlock_irq(&hm_disks_lock);
	if (i == HM_MAX_DISKS)
		pr_err("hm: more than %d block devices in this container's life: %s not served\n",
		       HM_MAX_DISKS, dev_name(dev));
	hm_blk_kick();	/* opening waits for the thread: the disk may be mid-scan here */
	return 0;
}

static void hm_blk_remove_dev(HM_CLASS_INTF_ARGS(dev))
{
	int i;

	spin_lock_irq(&hm_disks_lock);
	for (i = 0; i < HM_MAX_DISKS; i++)
		if (hm_disks[i].state && hm_disks[i].devt == dev->devt)
			hm_disks[i].state = 3;
	spin_unlock_irq(&hm_disks_lock);
	hm_blk_kick();
}

static struct class_interface hm_blk_intf = {
	.class = &block_class,
	.add_dev = hm_blk_add_dev,
	.remove_dev = hm_blk_remove_dev,
};

static int __init hm_blk_init(void)
{
	hm_blk_thread = kthread_run(hm_blk_main, NULL, "dc-blk");
	if (IS_ERR(hm_blk_thread))
		panic("hm: cannot start the block thread");
	return class_interface_register(&hm_blk_intf);
}
/* after block_class exists (subsys_initcall), before the drivers' device_initcalls */
fs_initcall(hm_blk_init);
