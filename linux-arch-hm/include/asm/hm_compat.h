/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Every difference between the Linux versions arch/hm is built with (6.1,
 * 6.12) that arch/hm's C code sees, in one place: each is a small wrapper
 * here, so the .c files have no version conditionals. DC-base and the board
 * files have none at all (scripts/linux-versions checks both: make test's
 * "linux versions").
 */
#ifndef _ASM_HM_COMPAT_H
#define _ASM_HM_COMPAT_H
#include <linux/version.h>
#include <linux/blkdev.h>
#include <linux/device.h>
#include <linux/of_fdt.h>

#if LINUX_VERSION_CODE >= KERNEL_VERSION(6, 12, 0)
/* 6.9: block devices are opened as files (bdev_file_open_by_dev) */
typedef struct file *hm_bdev_handle_t;
static inline struct block_device *hm_bdev_open(dev_t devt, bool write, hm_bdev_handle_t *h)
{
	struct file *f = bdev_file_open_by_dev(devt, BLK_OPEN_READ | (write ? BLK_OPEN_WRITE : 0), NULL, NULL);

	if (IS_ERR(f))
		return ERR_CAST(f);
	*h = f;
	return file_bdev(f);
}
static inline void hm_bdev_close(hm_bdev_handle_t h)
{
	bdev_fput(h);
}
/* 6.4: class_interface callbacks lost their interface argument */
#define HM_CLASS_INTF_ARGS(dev) struct device *dev
/* 6.12: the device tree's physical address is recorded at verify time */
#define hm_dt_verify(dt) early_init_dt_verify(dt, __pa(dt))
/* 6.2: a kset's uevent operations take a const kobject */
#define HM_KOBJ_CONST const
/* 6.9: a DMA range is (cpu_start, dma_start, size); no separate offset */
#define HM_DMA_REGION(cpu, dma, len) ((struct bus_dma_region){ .cpu_start = (cpu), .dma_start = (dma), .size = (len) })
#else
typedef struct { struct block_device *bdev; fmode_t mode; } hm_bdev_handle_t;
static inline struct block_device *hm_bdev_open(dev_t devt, bool write, hm_bdev_handle_t *h)
{
	fmode_t mode = FMODE_READ | (write ? FMODE_WRITE : 0);
	struct block_device *b = blkdev_get_by_dev(devt, mode, NULL);

	if (!IS_ERR(b))
		*h = (hm_bdev_handle_t){ b, mode };
	return b;
}
static inline void hm_bdev_close(hm_bdev_handle_t h)
{
	blkdev_put(h.bdev, h.mode);
}
#define HM_CLASS_INTF_ARGS(dev) struct device *dev, struct class_interface *intf
#define hm_dt_verify(dt) early_init_dt_verify(dt)
#define HM_KOBJ_CONST
#define HM_DMA_REGION(cpu, dma, len) \
	((struct bus_dma_region){ .cpu_start = (cpu), .dma_start = (dma), .size = (len), .offset = (cpu) - (dma) })
#endif
#endif
