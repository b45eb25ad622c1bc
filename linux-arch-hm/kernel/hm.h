/* SPDX-License-Identifier: GPL-2.0 */
/* arch/hm's own functions shared between its files */
#ifndef _HM_KERNEL_HM_H
#define _HM_KERNEL_HM_H
void hm_timer_interrupt(void);	/* time.c: the clockevent fired */
void hm_blk_kick(void);		/* blk.c: block work (DC-base's kick bit) */
void hm_blk_settle(void);	/* blk.c: every disk Linux found is announced */
struct block_device *hm_disk_bdev(int disk);	/* blk.c: the open disk with DC-base's id disk, or NULL */
void hm_blk_io_setup(void);	/* blk_io.c: the bounce budget, at dc-blk's start */
void hm_blk_io_work(void);	/* blk_io.c: submit what DC-base has, continue what is split */
struct device;
unsigned long long hm_dev_where(struct device *dev);	/* blk.c: the PCI function or DT node it sits on */
/* chr.c: character devices */
void hm_chr_kick(void);		/* DC-base's char bit */
void hm_chr_settle(void);	/* every char node Linux made is announced */
/* twin.c: DC-twin's Linux half */
struct gendisk;
#define HM_TWIN_PENDING (-2)
int hm_twin_of(struct gendisk *disk);		/* twin number, -1 (Linux serves it) or pending */
void hm_twin_handoff(struct gendisk *disk);	/* hand its device's data plane over (once) */
void hm_twin_settle(void);			/* boot's hand-offs are done */
void hm_twin_kick(void);			/* DC-base's twin bit */
int hm_twin_unit(struct gendisk *disk);		/* the logical unit its twin addresses (UFS LUN), else 0 */
/* twin_ufs.c: a UFS controller's data plane */
struct scsi_device;
struct dc_twin_event;
struct scsi_device *hm_twin_ufs_wanted(struct gendisk *disk);
int hm_twin_ufs_take(struct scsi_device *sdev, const char **why);	/* twin number or -errno */
int hm_twin_ufs_error(struct gendisk *disk, const struct dc_twin_event *ev);	/* Linux's verdict */
void hm_twin_ufs_link_reset(void);		/* ufshcd's link recovery, on purpose */
bool hm_twin_ufs_watch(void);			/* a reset under way: true until the recovery is over */
/* fault_dma.c: fault CONTAINER dma: one read of disk name (its first PCI
 * disk if "") whose DMA address is phys, memory outside the container */
void hm_fault_dma(unsigned long long phys, const char *name);
/* fault_stall.c: fault CONTAINER spin|deadlock, on the block thread: never returns */
void hm_fault_stall(int kind);
struct block_device *hm_blk_find(const char *name, int pci_only);	/* blk.c: an open whole disk, or NULL */
struct irq_domain;
void hm_irq_bit_set(int n, struct irq_domain *d, unsigned long hw);	/* irq.c: event bit n raises hw in d */
void hm_irq_bit_clear(int n);
#ifdef CONFIG_PCI_MSI
void hm_msi_init(void);		/* msi.c */
#else
static inline void hm_msi_init(void) { }
#endif
#endif
