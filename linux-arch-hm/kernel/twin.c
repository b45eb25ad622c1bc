// SPDX-License-Identifier: GPL-2.0
/*
 * DC-twin, the Linux half: a virtio-blk device whose device-tree node says
 * hm,data-plane = "twin" (a UFS controller: twin_ufs.c, dispatched from
 * hm_twin_handoff below) keeps its control plane here (Linux's virtio_blk
 * probed and configured it and handles configuration changes and errors)
 * and gives its data plane to a twin driver outside the container.
 *
 * Hand-off (hm_twin_handoff, at the end of boot, before the device's disks
 * are announced): the request queue is frozen (every request Linux started
 * completes), quiesced (nothing more reaches the driver) and unfrozen, as
 * virtio_blk does before a suspend; the interrupt is disabled; then the
 * request virtqueue must be empty: every descriptor free, the used index
 * equal to the avail index. Its state, read through virtio's and the block
 * layer's public interfaces, goes to DC-base, which has devmgr start the
 * twin on the same rings. The device is then marked broken and the queue
 * unquiesced: a request Linux might still make fails at once instead of
 * touching the twin's ring or waiting for ever. If anything fails before
 * that, Linux takes its queue and interrupt back and serves the disk itself.
 *
 * After it the twin reports (DC_EV_TWIN, the dc-twin thread below):
 * a configuration change goes to virtio_blk (virtio_config_changed), which
 * updates the capacity from a work item; the new size reaches DC-base from
 * blk.c, which compares the disks' sizes with what it announced while this
 * thread has it look every 10 ms for 5 s after the event. An I/O error gets Linux's
 * verdict: the block status virtio_blk would give the device's status byte,
 * and the errno the block layer makes of it.
 */
#include <linux/blk-mq.h>
#include <linux/blkdev.h>
#include <linux/interrupt.h>
#include <linux/irq.h>
#include <linux/kthread.h>
#include <linux/mutex.h>
#include <linux/of.h>
#include <linux/platform_device.h>
#include <linux/virtio.h>
#include <linux/virtio_config.h>
#include <linux/virtio_ring.h>
#include <scsi/scsi_device.h>
#include <uapi/linux/virtio_blk.h>
#include <uapi/linux/virtio_ids.h>
#include <dc_host.h>
#include "hm.h"

#define HM_MAX_TWINS 8

static struct hm_twin {
	struct gendisk *disk;
	struct virtio_device *vdev;	/* a virtio-blk device's, or NULL: */
	struct scsi_device *sdev;	/* a UFS logical unit's (twin_ufs.c) */
	int id;			/* DC-base's twin number; -1: Linux kept the data plane */
} hm_twins[HM_MAX_TWINS * 4];	/* one per disk: a UFS twin serves several */
static int hm_ntwins;
static bool hm_twin_settled;	/* boot's hand-offs are done */
static DEFINE_MUTEX(hm_twin_lock);
static struct task_struct *hm_twin_thread;
static int hm_twin_kicked;

/* the virtio-blk device under disk if its device-tree node asks for a twin */
static struct virtio_device *hm_twin_wanted(struct gendisk *disk)
{
	struct device *dev = disk_to_dev(disk)->parent;
	struct virtio_device *vdev;
	const char *plane;

	if (!dev || !is_virtio_device(dev))
		return NULL;
	vdev = dev_to_virtio(dev);
	if (vdev->id.device != VIRTIO_ID_BLOCK || !vdev->dev.parent || !vdev->dev.parent->of_node)
		return NULL;
	if (of_property_read_string(vdev->dev.parent->of_node, "hm,data-plane", &plane) || strcmp(plane, "twin"))
		return NULL;
	return vdev;
}

int hm_twin_of(struct gendisk *disk)
{
	int i, id = HM_TWIN_PENDING;

	mutex_lock(&hm_twin_lock);
	for (i = 0; i < hm_ntwins; i++)
		if (hm_twins[i].disk == disk)
			id = hm_twins[i].id;
	if (id == HM_TWIN_PENDING && (hm_twin_settled || (!hm_twin_wanted(disk) && !hm_twin_ufs_wanted(disk))))
		id = -1;	/* no twin wanted, or it came after boot's hand-offs: Linux serves it */
	mutex_unlock(&hm_twin_lock);
	return id;
}

/* drain, stop and describe the device; hand it over. 0 or a negative errno and *why */
static int hm_twin_take(struct hm_twin *t, const char **why)
{
	struct virtio_device *vdev = t->vdev;
	struct request_queue *q = t->disk->queue;
	struct dc_twin_state st = {};
	struct platform_device *pdev;
	struct virtqueue *vq, *rq = NULL;
	const struct vring *vr;
	struct resource *res;
	int nvq = 0, virq, ret;

	*why = "not a virtio-mmio device with registers and an interrupt";
	if (!dev_is_platform(vdev->dev.parent))
		return -ENODEV;
	pdev = to_platform_device(vdev->dev.parent);
	res = platform_get_resource(pdev, IORESOURCE_MEM, 0);
	virq = platform_get_irq(pdev, 0);
	if (!res || virq < 0)
		return -ENODEV;
	virtio_device_for_each_vq(vdev, vq) {
		rq = vq;
		nvq++;
	}
	*why = "the twin drives one request queue";
	if (nvq != 1)
		return -EOPNOTSUPP;
	*why = "the twin drives split rings only";
	if (virtio_has_feature(vdev, VIRTIO_F_RING_PACKED))
		return -EOPNOTSUPP;
	*why = "the device limits segment sizes (VIRTIO_BLK_F_SIZE_MAX): the twin sends a request in one";
	if (virtio_has_feature(vdev, VIRTIO_BLK_F_SIZE_MAX))
		return -EOPNOTSUPP;

	blk_mq_freeze_queue(q);		/* every request Linux started has completed */
	blk_mq_quiesce_queue(q);	/* none reaches virtio_blk any more */
	blk_mq_unfreeze_queue(q);
	disable_irq(virq);		/* and its handler has finished: Linux is off the ring */

	vr = virtqueue_get_vring(rq);
	st.num = virtqueue_get_vring_size(rq);
	st.idx = virtio16_to_cpu(vdev, READ_ONCE(vr->avail->idx));
	ret = -EBUSY;
	*why = "the request queue still had requests on the ring";
	if (rq->num_free != st.num || virtio16_to_cpu(vdev, READ_ONCE(vr->used->idx)) != st.idx)
		goto undo;
	st.mmio = res->start;
	/* the rings are in the container's linear memory: dma == physical */
	st.desc = virtqueue_get_desc_addr(rq);
	st.avail = virtqueue_get_avail_addr(rq);
	st.used = virtqueue_get_used_addr(rq);
	st.features = vdev->features;
	st.capacity = get_capacity(t->disk) << SECTOR_SHIFT;
	st.irq = irqd_to_hwirq(irq_get_irq_data(virq));
	st.ro = get_disk_ro(t->disk);
	st.lbs = queue_logical_block_size(q);
	ret = dc_host_twin_handoff(&st);
	*why = "DC-base or devmgr could not start the twin";
	if (ret < 0)
		goto undo;
	t->id = ret;
	/*
	 * Should anything here issue I/O on the disk again, it must fail,
	 * not race the twin on the ring nor wait for ever on a quiesced
	 * queue: a broken virtqueue refuses new buffers (virtqueue_add
	 * returns -EIO before touching the ring, virtio_blk fails the request
	 * with BLK_STS_IOERR) and never notifies the device.
	 */
	virtio_break_device(vdev);
	blk_mq_unquiesce_queue(q);
	pr_info("hm: %s: data plane handed to twin %d at ring index %u (%u entries, features 0x%llx)\n",
		t->disk->disk_name, t->id, st.idx, st.num, (unsigned long long)st.features);
	return 0;
undo:
	enable_irq(virq);
	blk_mq_unquiesce_queue(q);
	return ret;
}

int hm_twin_unit(struct gendisk *disk)
{
	int i, unit = 0;

	mutex_lock(&hm_twin_lock);
	for (i = 0; i < hm_ntwins; i++)
		if (hm_twins[i].disk == disk && hm_twins[i].sdev)
			unit = (int)hm_twins[i].sdev->lun;
	mutex_unlock(&hm_twin_lock);
	return unit;
}

void hm_twin_handoff(struct gendisk *disk)
{
	struct virtio_device *vdev = hm_twin_wanted(disk);
	struct scsi_device *sdev = vdev ? NULL : hm_twin_ufs_wanted(disk);
	struct hm_twin *t;
	const char *why;
	int i, err;

	if (!vdev && !sdev)
		return;
	mutex_lock(&hm_twin_lock);
	for (i = 0; i < hm_ntwins; i++)
		if (hm_twins[i].disk == disk) {
			mutex_unlock(&hm_twin_lock);
			return;	/* a partition's disk, already handed over */
		}
	if (hm_ntwins == ARRAY_SIZE(hm_twins)) {
		mutex_unlock(&hm_twin_lock);
		pr_err("hm: %s: more than %zu twin disks: Linux keeps its data plane\n", disk->disk_name,
		       ARRAY_SIZE(hm_twins));
		return;
	}
	t = &hm_twins[hm_ntwins];
	*t = (struct hm_twin){ disk, vdev, sdev, -1 };
	if (sdev) {
		/* the controller's first disk hands it over; the others share the twin */
		err = hm_twin_ufs_take(sdev, &why);
		t->id = err < 0 ? -1 : err;
		err = err < 0 ? err : 0;
	} else {
		err = hm_twin_take(t, &why);
	}
	hm_ntwins++;
	mutex_unlock(&hm_twin_lock);
	if (err)
		pr_err("hm: %s: no twin (%s: %d): Linux keeps the data plane\n", disk->disk_name, why, err);
}

void hm_twin_settle(void)
{
	mutex_lock(&hm_twin_lock);
	hm_twin_settled = true;
	mutex_unlock(&hm_twin_lock);
}

void hm_twin_kick(void)
{
	hm_twin_kicked = 1;
	if (hm_twin_thread)
		wake_up_process(hm_twin_thread);
}

/* Linux's verdict on a failed request: as virtio_blk completes one */
static void hm_twin_error(struct hm_twin *t, const struct dc_twin_event *ev)
{
	blk_status_t st = ev->status == VIRTIO_BLK_S_UNSUPP ? BLK_STS_NOTSUPP : BLK_STS_IOERR;
	enum req_op op = ev->op == DC_BLK_WRITE ? REQ_OP_WRITE : ev->op == DC_BLK_FLUSH ? REQ_OP_FLUSH : REQ_OP_READ;
	int err = blk_status_to_errno(st);

	pr_err_ratelimited("I/O error, dev %s, sector %llu op %s, %u bytes, device status %u (data plane: twin %d): %d\n",
			   t->disk->disk_name, ev->sector, blk_op_str(op), ev->len, ev->status, t->id, err);
	dc_host_twin_verdict(ev->cookie, err);
}

static int hm_twin_main(void *unused)
{
	unsigned long watch_until = jiffies;
	struct dc_twin_event ev;
	int i;

	for (;;) {
		/* a disk's size after a config event; a UFS reset's end */
		bool watching = time_before(jiffies, watch_until) | hm_twin_ufs_watch();

		set_current_state(TASK_IDLE);
		if (!READ_ONCE(hm_twin_kicked))
			schedule_timeout(watching ? HZ / 100 : MAX_SCHEDULE_TIMEOUT);
		__set_current_state(TASK_RUNNING);
		WRITE_ONCE(hm_twin_kicked, 0);
		while (dc_host_twin_next(&ev)) {
			struct hm_twin *t = NULL;

			if (ev.kind == DC_TWIN_LINK_RESET) {
				hm_twin_ufs_link_reset();
				continue;
			}
			if (ev.kind == DC_FAULT_DMA) {	/* this thread runs DC-base's injections too */
				hm_fault_dma(ev.phys, ev.disk);
				continue;
			}
			for (i = 0; i < hm_ntwins; i++)
				if (hm_twins[i].id == ev.twin && (!hm_twins[i].sdev || ev.kind != DC_TWIN_ERROR ||
								  hm_twins[i].sdev->lun == ev.unit))
					t = &hm_twins[i];
			if (!t) {
				if (ev.kind == DC_TWIN_ERROR)
					dc_host_twin_verdict(ev.cookie, -EIO);
				continue;
			}
			if (t->sdev) {
				if (ev.kind == DC_TWIN_ERROR)
					dc_host_twin_verdict(ev.cookie, hm_twin_ufs_error(t->disk, &ev));
			} else if (ev.kind == DC_TWIN_CONFIG) {
				/* the twin took the interrupt; the driver's handler would do this */
				virtio_config_changed(t->vdev);
				watch_until = jiffies + 5 * HZ;
			} else {
				hm_twin_error(t, &ev);
			}
		}
		if (watching)
			hm_blk_kick();	/* blk.c compares the disks' sizes with what it announced */
	}
	return 0;
}

static int __init hm_twin_init(void)
{
	hm_twin_thread = kthread_run(hm_twin_main, NULL, "dc-twin");
	if (IS_ERR(hm_twin_thread))
		panic("hm: cannot start the twin thread");
	return 0;
}
fs_initcall(hm_twin_init);
