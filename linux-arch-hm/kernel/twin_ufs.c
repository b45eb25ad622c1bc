// SPDX-License-Identifier: GPL-2.0
/*
 * DC-twin for UFS, the Linux half. A UFS host controller (PCI function)
 * that /chosen's hm,twin-pci names keeps its control plane here: Linux's
 * ufshcd initialised the controller, started the link, initialised the
 * device and its SCSI host scanned the logical units; from then on
 * Linux keeps UIC commands, device-management requests on the slot it
 * reserves for them, task management and error handling. The twin
 * (twin/utwin.c) takes the data plane: the transfer request slots Linux's
 * SCSI host may use (tags 0 .. can_queue - 1) and the interrupt.
 *
 * Hand-off (hm_twin_ufs_take, at the end of boot, for the controller's
 * first disk): every logical unit's queue is frozen (Linux's requests
 * complete), quiesced (no SCSI command reaches ufshcd again: the hold
 * stays) and unfrozen; the interrupt is
 * disabled (its handler finished); the doorbell must show none of those
 * slots in flight. The register watch (asm/io.h) goes on the controller's
 * register page with a link page (hm/twin.h) the twin maps, and DC-base
 * gives the interrupt up and has devmgr start the twin: the request list's
 * address is the one the controller has (UTRLBA), the slots the SCSI
 * host's. From then on the twin forwards Linux's share of the interrupt
 * (HM_TWIN_EV_IRQ): Linux's own handler runs, on the registers as the
 * watch shows them:
 *   - the interrupt status reads as the hardware's without UTRCS, or'ed
 *     with what the twin raised for Linux; writing it never clears the
 *     hardware's UTRCS (the twin's) but clears what the twin raised;
 *   - ringing the doorbell records the slot in the link page after the
 *     write; if it completed already (the twin may have looked before the
 *     slot was recorded), Linux raises its own interrupt; reading the
 *     doorbell clears the slots Linux now sees done (only Linux clears);
 *   - writing HCE = 0 (a reset) tells the twin to ring nothing until the
 *     recovery is over: the controller operational again and no error
 *     handling in progress (the dc-twin thread watches: hm_twin_ufs_watch).
 * Then a link check runs through it: hibern8 entered and left, UIC
 * commands whose completion interrupts the twin passes on.
 *
 * An I/O error the twin reports gets Linux's verdict (hm_twin_ufs_error):
 * send it again (EAGAIN) where the SCSI midlayer would retry (a unit
 * attention, an aborted command; up to 5 times), else the errno the SCSI
 * midlayer and block layer give for that OCS, SCSI status and sense.
 */
#include <linux/blk-mq.h>
#include <linux/blkdev.h>
#include <linux/interrupt.h>
#include <linux/irq.h>
#include <linux/of.h>
#include <linux/pci.h>
#include <linux/version.h>
#include <scsi/scsi_common.h>
#include <scsi/scsi_device.h>
#include <scsi/scsi_host.h>
#include <scsi/scsi_proto.h>
#include <ufs/ufshcd.h>
#include <ufs/unipro.h>
#include <dc_host.h>
#include "hm.h"

#define HM_UFS_IS	0x20
#define HM_UFS_UTRCS	0x1
#define HM_UFS_HCE	0x34
#define HM_UFS_UTRLBA	0x50
#define HM_UFS_UTRLBAU	0x54
#define HM_UFS_DB	0x58
#define HM_UFS_UTRLRSR	0x60

/* the link page (hm/twin.h's struct hm_twin_ufs_link; dc_host.h has no
 * microkernel headers, so its layout is repeated here) */
struct hm_ufs_link {
	u32 linux_db, vis, resets, forwards, resetting, pad;
};

unsigned long hm_io_watch_page;
static struct hm_ufs_link *hm_ufs_link;
static struct Scsi_Host *hm_ufs_host;	/* the controller whose data plane a twin has */
static int hm_ufs_id = -1;		/* DC-base's twin number */
static unsigned int hm_ufs_virq;

/* ---- the register watch (asm/io.h), on Linux's CPU ---- */
u32 hm_io_watch_readl(const volatile void __iomem *a)
{
	u32 v = __le32_to_cpu((__le32 __force)__raw_readl(a));

	__io_ar(v);
	if (!hm_ufs_link)
		return v;
	if (((unsigned long)a & 0xfff) == HM_UFS_IS)
		v = (v & ~HM_UFS_UTRCS) | READ_ONCE(hm_ufs_link->vis);
	else if (((unsigned long)a & 0xfff) == HM_UFS_DB)
		__atomic_fetch_and(&hm_ufs_link->linux_db, v, __ATOMIC_SEQ_CST);	/* Linux sees these done */
	return v;
}

void hm_io_watch_writel(u32 v, volatile void __iomem *a)
{
	unsigned long off = (unsigned long)a & 0xfff;
	struct hm_ufs_link *l = hm_ufs_link;

	if (!l) {
		__raw_writel((u32 __force)__cpu_to_le32(v), a);
		return;
	}
	if (off == HM_UFS_IS) {
		__atomic_fetch_and(&l->vis, ~v, __ATOMIC_SEQ_CST);
		v &= ~HM_UFS_UTRCS;	/* the twin's completions are the twin's to clear */
		if (v)
			__raw_writel((u32 __force)__cpu_to_le32(v), a);
		return;
	}
	if (off == HM_UFS_HCE && !(v & 1)) {
		/* before the reset: the twin rings nothing until the recovery is
		 * over (the dc-twin thread watches for it: hm_twin_ufs_watch) */
		__atomic_store_n(&l->resetting, 1, __ATOMIC_SEQ_CST);
		__atomic_fetch_add(&l->resets, 1, __ATOMIC_SEQ_CST);
		hm_twin_kick();
	}
	__raw_writel((u32 __force)__cpu_to_le32(v), a);
	if (off == HM_UFS_DB) {
		u32 done;

		__atomic_fetch_or(&l->linux_db, v, __ATOMIC_SEQ_CST);
		mb();	/* the bit is visible to the twin before we look at the doorbell */
		done = v & ~__le32_to_cpu((__le32 __force)__raw_readl(a));
		if (done && (__atomic_fetch_and(&l->linux_db, ~done, __ATOMIC_SEQ_CST) & done)) {
			/* it completed before the twin could know it was ours:
			 * our own interrupt, delivered when Linux enables them */
			__atomic_fetch_or(&l->vis, HM_UFS_UTRCS, __ATOMIC_SEQ_CST);
			hm_irq_pending |= 1UL << (DC_EV_IRQ0 + (long)irq_get_chip_data(hm_ufs_virq));
		}
	}
}

/* ---- which disks ---- */
/* the SCSI device under disk if it is a logical unit of a UFS host
 * controller that /chosen's hm,twin-pci names */
struct scsi_device *hm_twin_ufs_wanted(struct gendisk *disk)
{
	struct device *dev = disk_to_dev(disk)->parent, *host;
	struct device_node *chosen;
	struct scsi_device *sdev;
	struct pci_dev *pdev;
	u32 where, v;
	int i, n;

	if (!dev || !scsi_is_sdev_device(dev))
		return NULL;
	sdev = to_scsi_device(dev);
	host = sdev->host->shost_gendev.parent;
	if (!host || !dev_is_pci(host) || !host->driver || strcmp(host->driver->name, "ufshcd"))
		return NULL;
	pdev = to_pci_dev(host);
	where = (u32)pci_domain_nr(pdev->bus) << 16 | pdev->bus->number << 8 | pdev->devfn;
	chosen = of_find_node_by_path("/chosen");
	n = chosen ? of_property_count_u32_elems(chosen, "hm,twin-pci") : 0;
	for (i = 0; i < n; i++)
		if (!of_property_read_u32_index(chosen, "hm,twin-pci", i, &v) && v == where)
			break;
	of_node_put(chosen);
	return i < n ? sdev : NULL;
}

/* ---- hand-off ---- */
/* multi-circular-queue mode (6.3 on): the twin drives the single doorbell only */
static bool hm_ufs_mcq(struct ufs_hba *hba)
{
#if LINUX_VERSION_CODE >= KERNEL_VERSION(6, 3, 0)
	return hba->mcq_enabled;
#else
	return false;
#endif
}

/* every logical unit's queue: hold (freeze: Linux's requests complete;
 * quiesce: none reaches ufshcd again; unfreeze) or let go. (Linux 6.2's
 * blk_mq_quiesce_tagset would do the second step at once; 6.1 has none.) */
static void hm_ufs_hold(struct Scsi_Host *shost, bool hold)
{
	struct scsi_device *sdev;

	shost_for_each_device(sdev, shost) {
		if (hold) {
			blk_mq_freeze_queue(sdev->request_queue);
			blk_mq_quiesce_queue(sdev->request_queue);
			blk_mq_unfreeze_queue(sdev->request_queue);
		} else {
			blk_mq_unquiesce_queue(sdev->request_queue);
		}
	}
}

/* the link through the twin's interrupt: Linux puts it into hibern8 and
 * back (UIC power-mode changes, whose completions raise UCCS, UHES and
 * UHXS: causes only Linux's handler clears); nothing is in flight yet */
static void hm_ufs_link_check(struct ufs_hba *hba, int id)
{
	int err = ufshcd_uic_hibern8_enter(hba);

	if (!err)
		err = ufshcd_uic_hibern8_exit(hba);
	if (err)
		pr_err("hm: %s: link check through twin %d's interrupt failed (%d)\n", dev_name(hba->dev), id, err);
	else
		pr_info("hm: %s: link check through twin %d's interrupt: hibern8 entered and left (%u interrupts passed on)\n",
			dev_name(hba->dev), id, READ_ONCE(hm_ufs_link->forwards));
}

/* the twin's number for the controller sdev sits on (handed over at the
 * first call), or a negative errno and *why */
int hm_twin_ufs_take(struct scsi_device *sdev, const char **why)
{
	struct Scsi_Host *shost = sdev->host;
	struct ufs_hba *hba = shost_priv(shost);
	struct pci_dev *pdev = to_pci_dev(shost->shost_gendev.parent);
	struct dc_twin_ufs_state st = {};
	struct page *link;
	u32 mine;
	int id;

	if (hm_ufs_host == shost)
		return hm_ufs_id;
	*why = "a twin serves another UFS controller of this container";
	if (hm_ufs_host)
		return -EBUSY;
	*why = "its slots are not those of a single-doorbell controller with a slot Linux keeps";
	if (hba->nutrs < 2 || hba->nutrs > 32 || shost->can_queue < 1 || shost->can_queue >= hba->nutrs ||
	    pdev->irq <= 0 || hm_ufs_mcq(hba))
		return -EOPNOTSUPP;
	link = alloc_page(GFP_KERNEL | __GFP_ZERO);
	*why = "no memory for the link page";
	if (!link)
		return -ENOMEM;

	hm_ufs_hold(shost, true);	/* Linux's requests completed, no new one reaches ufshcd */
	disable_irq(pdev->irq);		/* and its handler has finished */

	mine = shost->can_queue == 32 ? ~0u : (1u << shost->can_queue) - 1;
	id = -EBUSY;
	*why = "requests were still on its slots";
	if (readl(hba->mmio_base + HM_UFS_DB) & mine)
		goto undo;
	st.mmio = pci_resource_start(pdev, 0);
	st.utrl = (u64)readl(hba->mmio_base + HM_UFS_UTRLBAU) << 32 | readl(hba->mmio_base + HM_UFS_UTRLBA);
	st.link = page_to_phys(link);	/* the container's memory: physical == DMA address */
	st.irq = irqd_to_hwirq(irq_get_irq_data(pdev->irq));
	st.nutrs = hba->nutrs;
	st.slots = shost->can_queue;
	hm_ufs_link = page_address(link);
	hm_ufs_virq = pdev->irq;
	WRITE_ONCE(hm_io_watch_page, (unsigned long)hba->mmio_base & ~0xfffUL);
	id = dc_host_twin_ufs_handoff(&st);
	*why = "DC-base, devmgr or the twin could not take it";
	if (id < 0) {
		WRITE_ONCE(hm_io_watch_page, 0);
		hm_ufs_link = NULL;
		goto undo;
	}
	hm_ufs_host = shost;
	hm_ufs_id = id;
	enable_irq(pdev->irq);	/* now fed by the twin's forwards */
	pr_info("hm: %s: data plane handed to twin %d: slots 0-%d of %d (Linux keeps the rest), request list at %#llx\n",
		dev_name(hba->dev), id, shost->can_queue - 1, hba->nutrs, (unsigned long long)st.utrl);
	hm_ufs_link_check(hba, id);
	return id;
undo:
	enable_irq(pdev->irq);
	hm_ufs_hold(shost, false);
	__free_page(link);
	return id;
}

/* while a reset is under way, whether Linux's recovery is over: then the
 * twin may ring again. dc-twin thread; true while it still has to look. */
bool hm_twin_ufs_watch(void)
{
	struct ufs_hba *hba;

	if (!hm_ufs_link || !hm_ufs_host || !READ_ONCE(hm_ufs_link->resetting))
		return false;
	hba = shost_priv(hm_ufs_host);
	if (READ_ONCE(hba->ufshcd_state) != UFSHCD_STATE_OPERATIONAL || READ_ONCE(hba->eh_flags))
		return true;
	__atomic_store_n(&hm_ufs_link->resetting, 0, __ATOMIC_SEQ_CST);
	pr_info("hm: %s: recovery over: twin %d rings again\n", dev_name(hba->dev), hm_ufs_id);
	return false;
}

/* Linux's link recovery on purpose (fault CONTAINER linkreset, dcbase/fault.c):
 * ufshcd_link_recovery resets the host, starts the link, re-initialises
 * the device (NOP OUT and queries on Linux's slot, UIC commands: all of
 * it through the twin's forwarding) while the twin's requests wait */
void hm_twin_ufs_link_reset(void)
{
	struct ufs_hba *hba;
	u32 fwd, resets;
	int err;

	if (!hm_ufs_host) {
		pr_err("hm: link reset: no UFS controller here hands its data plane to a twin\n");
		return;
	}
	hba = shost_priv(hm_ufs_host);
	fwd = READ_ONCE(hm_ufs_link->forwards);
	resets = READ_ONCE(hm_ufs_link->resets);
	pr_info("hm: %s: link recovery (injected) starts\n", dev_name(hba->dev));
	err = ufshcd_link_recovery(hba);
	pr_info("hm: %s: link recovery (injected) %s (%d): %u reset(s), %u interrupts passed on by twin %d\n",
		dev_name(hba->dev), err ? "failed" : "done", err, READ_ONCE(hm_ufs_link->resets) - resets,
		READ_ONCE(hm_ufs_link->forwards) - fwd, hm_ufs_id);
}

/* ---- Linux's verdict on a failed request ---- */
/* the block status the SCSI midlayer gives a command that ended so
 * (scsi_check_sense, scsi_result_to_blk_status): failure code as in
 * hm/dc.h (OCS 3:0, status 11:4, key 15:12, ASC 23:16, ASCQ 31:24) */
static blk_status_t hm_ufs_blk_status(u32 code)
{
	u32 ocs = code & 0xf, status = (code >> 4) & 0xff, key = (code >> 12) & 0xf, asc = (code >> 16) & 0xff;

	if (ocs || status != SAM_STAT_CHECK_CONDITION)
		return BLK_STS_IOERR;	/* ufshcd: an OCS error is DID_ERROR; other statuses fail after retries */
	switch (key) {
	case MEDIUM_ERROR:
		return asc == 0x11 || asc == 0x13 || asc == 0x14 ? BLK_STS_MEDIUM : BLK_STS_IOERR;
	case DATA_PROTECT:
	case COPY_ABORTED:
	case VOLUME_OVERFLOW:
	case MISCOMPARE:
	case BLANK_CHECK:
		return BLK_STS_TARGET;
	case ILLEGAL_REQUEST:
		return asc == 0x20 || asc == 0x21 || asc == 0x22 || asc == 0x24 || asc == 0x26 || asc == 0x27 ?
			       BLK_STS_TARGET : BLK_STS_IOERR;
	default:
		return BLK_STS_IOERR;	/* aborted, not ready, hardware: what is left after the retries */
	}
}

/* what the SCSI midlayer sends again (scsi_check_sense: NEEDS_RETRY), up
 * to its retries (sd: SD_MAX_RETRIES, 5) */
#define HM_UFS_RETRIES 5
static bool hm_ufs_retryable(u32 code)
{
	u32 ocs = code & 0xf, status = (code >> 4) & 0xff, key = (code >> 12) & 0xf;

	return !ocs && status == SAM_STAT_CHECK_CONDITION && (key == UNIT_ATTENTION || key == ABORTED_COMMAND);
}

int hm_twin_ufs_error(struct gendisk *disk, const struct dc_twin_event *ev)
{
	enum req_op op = ev->op == DC_BLK_WRITE ? REQ_OP_WRITE : ev->op == DC_BLK_FLUSH ? REQ_OP_FLUSH : REQ_OP_READ;
	u32 c = ev->status;
	int err = blk_status_to_errno(hm_ufs_blk_status(c));

	if (hm_ufs_retryable(c) && ev->tries < HM_UFS_RETRIES) {
		pr_info_ratelimited("hm: %s: sector %llu op %s: sense %x/%02x/%02x: sent again (%u of %d), as the SCSI midlayer does\n",
				    disk->disk_name, ev->sector, blk_op_str(op), (c >> 12) & 0xf, (c >> 16) & 0xff, c >> 24,
				    ev->tries + 1, HM_UFS_RETRIES);
		return -EAGAIN;
	}

	pr_err_ratelimited("I/O error, dev %s, sector %llu op %s, %u bytes, OCS %u, SCSI status %#x, sense %x/%02x/%02x (data plane: twin %d): %d\n",
			   disk->disk_name, ev->sector, blk_op_str(op), ev->len, c & 0xf, (c >> 4) & 0xff,
			   (c >> 12) & 0xf, (c >> 16) & 0xff, c >> 24, ev->twin, err);
	return err;
}
