// SPDX-License-Identifier: GPL-2.0
/*
 * DC-solo, the Linux half: every disk and partition Linux registers is
 * opened and announced to DC-base (dc_host_disk_add), and the requests that
 * DC-base takes from clients' block sessions become bios on it. A kernel
 * thread, woken by the DC_EV_KICK event, fetches requests and submits bios;
 * their completion (Linux's end_io, in interrupt context) copies read data
 * to the client and completes the request to DC-base.
 *
 * Data is copied through pages of Linux's own: the clients' shared memory
 * is not in Linux's linear region and has no struct page.
 */
#include <linux/bio.h>
#include <linux/blkdev.h>
#include <linux/delay.h>
#include <linux/device.h>
#include <linux/init.h>
#include <linux/kthread.h>
#include <linux/of_address.h>
#include <linux/pci.h>
#include <linux/slab.h>
#include <linux/vmstat.h>
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
/*
 * Bytes of bounce pages in flight: past the budget, dc-blk stops fetching
 * until completions free some (a client cannot make Linux's allocator spin
 * with the idle task, which collects completions, never running). 8 MiB,
 * or half of what is free when dc-blk starts if that is less: a small
 * region (DC-base's ram=, the board's args line) must not fail requests
 * for want of pages.
 *
 * A request goes to Linux in pieces of at most half the budget, one after
 * the other through the same pages: a client's 8 MiB read needs 8 MiB of
 * the client's memory, not 8 MiB of the container's.
 */
#define HM_BLK_BUDGET_MAX (8L << 20)
static long hm_blk_budget = HM_BLK_BUDGET_MAX;
static unsigned int hm_blk_piece = HM_BLK_BUDGET_MAX / 2;
static atomic_long_t hm_blk_inflight;	/* less on completion, in interrupt context */
static unsigned int hm_blk_parked;	/* requests waiting for pages: the thread's */

struct hm_io {
	void *cookie;
	void *data;
	int disk;
	unsigned int op, len;
	unsigned long long offset;
	unsigned int done;		/* bytes of the request finished before this piece */
	unsigned int piece;		/* bytes of the piece in flight */
	atomic_t bios;
	int status;
	struct list_head next;		/* on hm_io_next: its next piece is the thread's */
	unsigned int npages;		/* bounce pages held: the largest piece */
	struct page *pages[];
};

/* requests whose next piece the thread submits (end_io runs in interrupt
 * context and cannot allocate bios), and requests that found no pages
 * while others held them, to retry when those complete */
static LIST_HEAD(hm_io_next);
static DEFINE_SPINLOCK(hm_io_next_lock);

void hm_blk_kick(void)
{
	hm_blk_kicked = 1;
	if (hm_blk_thread)
		wake_up_process(hm_blk_thread);
}

static void hm_io_free_pages(struct hm_io *io)
{
	unsigned int i;

	for (i = 0; i < io->npages; i++)
		if (io->pages[i]) {
			__free_page(io->pages[i]);
			io->pages[i] = NULL;
		}
}

/* the request is over: give its pages back and complete it to DC-base */
static void hm_io_complete(struct hm_io *io, int status)
{
	hm_io_free_pages(io);
	atomic_long_sub((long)io->npages << PAGE_SHIFT, &hm_blk_inflight);
	dc_host_blk_complete(io->cookie, status);
	kfree(io);
	hm_blk_kick();	/* requests held back by the budget or a full ring may go now */
}

/* a piece finished (any context): copy read data out, then the request is
 * over or its next piece is queued for the thread */
static void hm_piece_finish(struct hm_io *io)
{
	unsigned int i, off;
	unsigned long flags;

	if (io->op == DC_BLK_READ && !io->status)
		for (i = 0, off = 0; off < io->piece; i++, off += PAGE_SIZE)
			memcpy(io->data + io->done + off, page_address(io->pages[i]),
			       min_t(unsigned int, PAGE_SIZE, io->piece - off));
	io->done += io->piece;
	if (io->status || io->done >= io->len) {
		hm_io_complete(io, io->status);
		return;
	}
	spin_lock_irqsave(&hm_io_next_lock, flags);
	list_add_tail(&io->next, &hm_io_next);
	spin_unlock_irqrestore(&hm_io_next_lock, flags);
	hm_blk_kick();
}

static void hm_end_io(struct bio *bio)
{
	struct hm_io *io = bio->bi_private;

	if (bio->bi_status && !io->status)
		io->status = blk_status_to_errno(bio->bi_status);
	bio_put(bio);
	if (atomic_dec_and_test(&io->bios))
		hm_piece_finish(io);
}

/* the open disk with id disk, NULL if it is gone */
static struct block_device *hm_disk_bdev(int disk)
{
	struct block_device *bdev = NULL;

	spin_lock_irq(&hm_disks_lock);
	if (disk >= 0 && disk < HM_MAX_DISKS && hm_disks[disk].state == 2)
		bdev = hm_disks[disk].bdev;
	spin_unlock_irq(&hm_disks_lock);
	return bdev;
}

/*
 * Bounce pages for the request's pieces, as many as it asked for or as
 * Linux has now: with fewer, its pieces are smaller (io->npages shrinks).
 * The number got. No retrying in the allocator: out of memory is an
 * answer, not a hang.
 */
static unsigned int hm_io_get_pages(struct hm_io *io)
{
	unsigned int i;

	for (i = 0; i < io->npages; i++)
		if (!(io->pages[i] = alloc_page(GFP_NOIO | __GFP_NORETRY | __GFP_NOWARN)))
			break;
	return i;
}

/* submit the request's piece at io->done: the thread's context */
static void hm_piece_submit(struct hm_io *io)
{
	struct block_device *bdev = hm_disk_bdev(io->disk);
	unsigned int n, i, off, pages;
	struct bio *bio;
	blk_opf_t opf;

	io->piece = min_t(unsigned int, io->len - io->done, io->npages << PAGE_SHIFT);
	io->status = 0;
	atomic_set(&io->bios, 1);	/* the submitter's reference */
	if (!bdev) {
		io->status = -ENODEV;
		goto out;
	}
	if (io->op == DC_BLK_FLUSH) {
		bio = bio_alloc(bdev, 0, REQ_OP_WRITE | REQ_PREFLUSH, GFP_NOIO);
		bio->bi_end_io = hm_end_io;
		bio->bi_private = io;
		atomic_inc(&io->bios);
		submit_bio(bio);
		goto out;
	}
	pages = DIV_ROUND_UP(io->piece, PAGE_SIZE);
	if (io->op == DC_BLK_WRITE)
		for (i = 0, off = 0; off < io->piece; i++, off += PAGE_SIZE)
			memcpy(page_address(io->pages[i]), io->data + io->done + off,
			       min_t(unsigned int, PAGE_SIZE, io->piece - off));
	opf = io->op == DC_BLK_WRITE ? REQ_OP_WRITE : REQ_OP_READ;
	for (i = 0, off = 0; i < pages;) {
		n = min_t(unsigned int, pages - i, BIO_MAX_VECS);
		bio = bio_alloc(bdev, n, opf, GFP_NOIO);
		bio->bi_iter.bi_sector = (io->offset + io->done + off) >> SECTOR_SHIFT;
		bio->bi_end_io = hm_end_io;
		bio->bi_private = io;
		for (; n; n--, i++) {
			unsigned int len = min_t(unsigned int, PAGE_SIZE, io->piece - off);

			/* the bio was allocated with a vec for each page */
			__bio_add_page(bio, io->pages[i], len, 0);
			off += len;
		}
		atomic_inc(&io->bios);
		submit_bio(bio);
	}
out:
	if (atomic_dec_and_test(&io->bios))
		hm_piece_finish(io);
}

/*
 * Pages for the request, then its first piece. With fewer pages than it
 * asked for, its pieces are smaller. With none while other requests hold
 * some, it waits on hm_io_next for their completions (and dc-blk fetches
 * nothing new meanwhile); with none held by anyone, the request fails with
 * ENOMEM.
 */
static void hm_io_start(struct hm_io *io, unsigned int want)
{
	long held = atomic_long_read(&hm_blk_inflight);
	unsigned int got;

	io->npages = want;
	got = io->len ? hm_io_get_pages(io) : 0;
	if (io->len && !got) {
		if (!held) {
			pr_warn_ratelimited("hm: no bounce page for a %u-byte request: ENOMEM\n", io->len);
			io->npages = 0;
			hm_io_complete(io, -ENOMEM);
			return;
		}
		hm_blk_parked++;
		spin_lock_irq(&hm_io_next_lock);
		list_add_tail(&io->next, &hm_io_next);
		spin_unlock_irq(&hm_io_next_lock);
		return;
	}
	if (got < want)
		pr_info_ratelimited("hm: %u of %u bounce pages for a %u-byte request: smaller pieces\n",
				    got, want, io->len);
	io->npages = got;
	atomic_long_add((long)got << PAGE_SHIFT, &hm_blk_inflight);
	hm_piece_submit(io);
}

static void hm_submit(struct dc_blk_io *r)
{
	unsigned int npages = DIV_ROUND_UP(min(r->len, hm_blk_piece), PAGE_SIZE);
	struct hm_io *io;

	io = kzalloc(struct_size(io, pages, npages), GFP_NOIO | __GFP_NORETRY | __GFP_NOWARN);
	if (!io) {
		dc_host_blk_complete(r->cookie, -ENOMEM);
		return;
	}
	io->cookie = r->cookie;
	io->data = r->data;
	io->disk = r->disk;
	io->op = r->op;
	io->len = r->len;
	io->offset = r->offset;
	hm_io_start(io, npages);
}

/* next pieces, and requests waiting for pages: the thread's, before new
 * requests (a request once started finishes before others take its pages) */
static void hm_io_continue(void)
{
	LIST_HEAD(todo);
	struct hm_io *io, *tmp;

	spin_lock_irq(&hm_io_next_lock);
	list_splice_init(&hm_io_next, &todo);
	spin_unlock_irq(&hm_io_next_lock);
	list_for_each_entry_safe(io, tmp, &todo, next) {
		list_del(&io->next);
		if (io->done) {
			hm_piece_submit(io);	/* holds its pages */
		} else {
			hm_blk_parked--;
			hm_io_start(io, DIV_ROUND_UP(min(io->len, hm_blk_piece), PAGE_SIZE));
		}
	}
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
	struct dc_blk_io r;
	long half_free = (global_zone_page_state(NR_FREE_PAGES) << PAGE_SHIFT) / 2;

	hm_blk_budget = min(HM_BLK_BUDGET_MAX, max(half_free, 1L << 20));
	hm_blk_piece = hm_blk_budget / 2 & PAGE_MASK;
	pr_info("hm: block requests: %ld KiB of bounce pages in flight, pieces of %u KiB\n",
		hm_blk_budget >> 10, hm_blk_piece >> 10);
	for (;;) {
		set_current_state(TASK_IDLE);
		if (!READ_ONCE(hm_blk_kicked))
			schedule();
		__set_current_state(TASK_RUNNING);
		WRITE_ONCE(hm_blk_kicked, 0);
		hm_disks_update();
		hm_io_continue();
		while (!hm_blk_parked && atomic_long_read(&hm_blk_inflight) < hm_blk_budget &&
		       dc_host_blk_fetch(&r)) {
			if (r.fault)
				hm_fault_stall(r.fault);	/* injected: never returns */
			hm_submit(&r);
		}
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
