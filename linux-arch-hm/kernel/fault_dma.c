// SPDX-License-Identifier: GPL-2.0
/*
 * fault CONTAINER dma (dcbase/fault.c, docs/reliability.md "DMA"): one of
 * this container's devices is made to DMA outside the container. A read
 * of a disk's first page is sent through the block layer as any read is;
 * the unmodified driver maps its buffer with the DMA API and programs the
 * device (an NVMe PRP, a UFS PRDT entry, an SDHCI ADMA descriptor, a
 * virtqueue descriptor). Only the address the DMA API hands out is wrong:
 * for the duration of that one read, the device's dma_range_map sends our
 * page to `phys` (a page of another process's: the shell's canary) and
 * every other address to itself, as without a map. With the SMMU, the
 * device's write is stopped and devmgr stops this container; without it,
 * the canary is overwritten (the test sees that).
 */
#include <linux/bio.h>
#include <linux/blkdev.h>
#include <linux/dma-direct.h>
#include <linux/pci.h>
#include <linux/slab.h>
#include <asm/hm_compat.h>
#include "hm.h"

/* the first PCI device from dev up: the one that does the DMA */
static struct device *hm_dma_device(struct device *dev)
{
	for (; dev; dev = dev->parent)
		if (dev_is_pci(dev))
			return dev;
	return NULL;
}

void hm_fault_dma(unsigned long long phys, const char *name)
{
	struct block_device *b = hm_blk_find(name, 1);
	const struct bus_dma_region *old;
	struct bus_dma_region *map;
	struct device *dma_dev;
	struct page *page;
	struct bio *bio;
	int err;

	dma_dev = b ? hm_dma_device(disk_to_dev(b->bd_disk)) : NULL;
	if (!dma_dev) {
		pr_err("hm: fault dma: no disk %s on a PCI function here\n", name[0] ? name : "at all");
		return;
	}
	page = alloc_page(GFP_KERNEL);
	map = kcalloc(3, sizeof(*map), GFP_KERNEL);
	bio = bio_alloc(b, 1, REQ_OP_READ, GFP_KERNEL);
	if (!page || !map || !bio || !bio_add_page(bio, page, PAGE_SIZE, 0)) {
		pr_err("hm: fault dma: out of memory\n");
		goto out;
	}
	bio->bi_iter.bi_sector = 0;
	map[0] = HM_DMA_REGION(page_to_phys(page), phys, PAGE_SIZE);
	map[1] = HM_DMA_REGION(0, 0, 1ULL << 48);	/* everything else: as without a map */
	old = dma_dev->dma_range_map;
	dma_dev->dma_range_map = map;
	pr_err("hm: fault dma: %s (%s) reads its first page with DMA address %llx: memory outside this container\n",
	       b->bd_disk->disk_name, dev_name(dma_dev), phys);
	err = submit_bio_wait(bio);
	dma_dev->dma_range_map = old;
	pr_err("hm: fault dma: %s: the read ended with %d: %s\n", b->bd_disk->disk_name, err,
	       err ? "the device's DMA was refused" : "the DMA went through, nothing stopped it");
out:
	if (bio)
		bio_put(bio);
	if (page)
		__free_page(page);
	kfree(map);	/* put back before: the read's unmap has used it */
}
