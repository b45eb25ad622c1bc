// SPDX-License-Identifier: GPL-2.0
/*
 * DC-solo's requests (blk.c has the disks): each request DC-base fetched
 * from a client's session becomes bios on its disk, its data copied
 * through bounce pages of Linux's own (the client's shared memory is not
 * in Linux's linear region and has no struct page). Read data is copied to
 * the client when a piece completes (Linux's end_io, in interrupt context);
 * the request is completed to DC-base when its last piece has.
 */
#include <linux/bio.h>
#include <linux/blkdev.h>
#include <linux/kernel.h>
#include <linux/list.h>
#include <linux/mm.h>
#include <linux/slab.h>
#include <linux/spinlock.h>
#include <linux/vmstat.h>
#include <dc_host.h>
#include "hm.h"

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

/* the bounce pages a request of len bytes asks for: its largest piece */
static unsigned int hm_io_want(unsigned int len)
{
	return DIV_ROUND_UP(min(len, hm_blk_piece), PAGE_SIZE);
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
	unsigned int npages = hm_io_want(r->len);
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
			hm_io_start(io, hm_io_want(io->len));	/* what hm_submit sized it for */
		}
	}
}

/* dc-blk's start: the budget from what is free now */
void hm_blk_io_setup(void)
{
	long half_free = (global_zone_page_state(NR_FREE_PAGES) << PAGE_SHIFT) / 2;

	hm_blk_budget = min(HM_BLK_BUDGET_MAX, max(half_free, 1L << 20));
	hm_blk_piece = hm_blk_budget / 2 & PAGE_MASK;
	pr_info("hm: block requests: %ld KiB of bounce pages in flight, pieces of %u KiB\n",
		hm_blk_budget >> 10, hm_blk_piece >> 10);
}

/* dc-blk's turn: next pieces and waiting requests first, then new
 * requests while the budget allows and none waits for pages */
void hm_blk_io_work(void)
{
	struct dc_blk_io r;

	hm_io_continue();
	while (!hm_blk_parked && atomic_long_read(&hm_blk_inflight) < hm_blk_budget &&
	       dc_host_blk_fetch(&r)) {
		if (r.fault)
			hm_fault_stall(r.fault);	/* injected: never returns */
		hm_submit(&r);
	}
}
