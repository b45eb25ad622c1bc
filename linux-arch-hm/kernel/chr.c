// SPDX-License-Identifier: GPL-2.0
/*
 * Character devices, the Linux half: every char device node Linux creates
 * is announced to DC-base (which publishes it as /dev/NAME), and the calls
 * clients make on it run Linux's own file operations on a real file.
 *
 * Finding nodes: where udev finds them, in the device's uevent. arch/hm
 * wraps the uevent operations of devices_kset (the kset of every struct
 * device): after the driver core's own (which adds MAJOR, MINOR and
 * DEVNAME, devtmpfs's name), an "add" of a device with a char dev_t is
 * recorded, a "remove" too. devtmpfs has made the node by then
 * (device_add creates it before the uevent), and it is mounted at /dev, so
 * a client's open is filp_open("/dev/NAME"): chrdev_open, the cdev's or
 * misc device's open, a struct file and inode as for a process.
 *
 * Calls: the dc-chr thread publishes nodes and takes clients' calls from
 * DC-base (dc_host_chr_fetch, after DC_EV_CHR). Each open file has a
 * kernel thread of its own that runs its calls in order, so a read that
 * sleeps in the driver's wait queue blocks only that file. Data is copied
 * between the client's shared data area and a page of Linux's; the driver
 * sees that page as the user buffer (arch/hm's uaccess is memcpy). A
 * release interrupts a call still sleeping (SIGKILL, which the file's
 * thread allows), then closes the file synchronously, so the driver's
 * release has run when DC-base hears dc_host_chr_released. poll registers
 * a wait entry on each queue the driver names (as select does); its wake
 * signals the client (dc_host_chr_wake) until the file is released.
 */
#include <linux/delay.h>
#include <linux/device.h>
#include <linux/file.h>
#include <linux/fs.h>
#include <linux/init.h>
#include <linux/init_syscalls.h>
#include <linux/kthread.h>
#include <linux/kobject.h>
#include <linux/poll.h>
#include <linux/sched/signal.h>
#include <linux/slab.h>
#include <linux/spinlock.h>
#include <asm/hm_compat.h>
#include <dc_host.h>
#include "hm.h"

/* the kset of every struct device (drivers/base/core.c; its header is private) */
extern struct kset *devices_kset;

#define HM_CHR_MAX_NODES 256	/* Linux makes many of its own: tty0..63, vcs... */
#define HM_CHR_MAX_FILES 64	/* DC-base's file numbers are below this */
#define HM_CHR_NAME_MAX 48
#define HM_CHR_POLL_QUEUES 4	/* wait queues one file may poll (evdev: 1) */
#define HM_CHR_DATA_MAX 4096

static struct hm_chr_node {
	int state;		/* 0 free, 1 added (to announce), 2 announced, 3 removed (to say) */
	dev_t devt;
	unsigned long long where;
	char name[HM_CHR_NAME_MAX];
} hm_chr_nodes[HM_CHR_MAX_NODES];
static int hm_chr_nnodes;	/* ids are never reused: a restart of the device is a new node */
static DEFINE_SPINLOCK(hm_chr_lock);

struct hm_chr_pollent {
	wait_queue_entry_t wait;
	wait_queue_head_t *head;
	struct hm_chr_file *f;
};

static struct hm_chr_file {
	int id;
	struct task_struct *thread;
	struct file *filp;
	void *bounce;			/* HM_CHR_DATA_MAX bytes of Linux's */
	struct dc_chr_call call;	/* the call to run */
	bool pending, busy, release;
	__poll_t poll_events;		/* what the client polls for */
	poll_table pt;
	int npoll;
	struct hm_chr_pollent poll[HM_CHR_POLL_QUEUES];
} *hm_chr_files[HM_CHR_MAX_FILES];

static struct task_struct *hm_chr_thread;
static int hm_chr_kicked;

void hm_chr_kick(void)
{
	hm_chr_kicked = 1;
	if (hm_chr_thread)
		wake_up_process(hm_chr_thread);
}

/* ---- finding nodes: the devices kset's uevent operations, wrapped ---- */
static const struct kset_uevent_ops *hm_dev_uevent_core;

static const char *hm_env_get(struct kobj_uevent_env *env, const char *key)
{
	size_t n = strlen(key);
	int i;

	for (i = 0; i < env->envp_idx; i++)
		if (!strncmp(env->envp[i], key, n) && env->envp[i][n] == '=')
			return env->envp[i] + n + 1;
	return NULL;
}

static void hm_chr_seen(struct device *dev, struct kobj_uevent_env *env)
{
	const char *action = hm_env_get(env, "ACTION"), *name = hm_env_get(env, "DEVNAME");
	const char *subsystem = hm_env_get(env, "SUBSYSTEM");
	unsigned long flags;
	int i;

	if (!action || !name || !MAJOR(dev->devt) || (subsystem && !strcmp(subsystem, "block")))
		return;
	spin_lock_irqsave(&hm_chr_lock, flags);
	if (!strcmp(action, "add")) {
		if (hm_chr_nnodes < HM_CHR_MAX_NODES && strlen(name) < HM_CHR_NAME_MAX) {
			struct hm_chr_node *n = &hm_chr_nodes[hm_chr_nnodes++];

			n->devt = dev->devt;
			n->where = hm_dev_where(dev);
			strscpy(n->name, name, sizeof n->name);
			n->state = 1;
		} else {
			pr_err("hm: char device %s not published: more than %d, or a name too long\n", name,
			       HM_CHR_MAX_NODES);
		}
	} else if (!strcmp(action, "remove")) {
		for (i = 0; i < hm_chr_nnodes; i++)
			if (hm_chr_nodes[i].state && hm_chr_nodes[i].devt == dev->devt)
				hm_chr_nodes[i].state = 3;
	}
	spin_unlock_irqrestore(&hm_chr_lock, flags);
	hm_chr_kick();
}

static int hm_dev_uevent_filter(HM_KOBJ_CONST struct kobject *kobj)
{
	return hm_dev_uevent_core->filter ? hm_dev_uevent_core->filter(kobj) : 1;
}

static const char *hm_dev_uevent_name(HM_KOBJ_CONST struct kobject *kobj)
{
	return hm_dev_uevent_core->name ? hm_dev_uevent_core->name(kobj) : NULL;
}

static int hm_dev_uevent(HM_KOBJ_CONST struct kobject *kobj, struct kobj_uevent_env *env)
{
	int err = hm_dev_uevent_core->uevent ? hm_dev_uevent_core->uevent(kobj, env) : 0;

	/* the core's filter passed it: a struct device */
	if (!err)
		hm_chr_seen(container_of((struct kobject *)kobj, struct device, kobj), env);
	return err;
}

static const struct kset_uevent_ops hm_dev_uevent_ops = {
	.filter = hm_dev_uevent_filter,
	.name = hm_dev_uevent_name,
	.uevent = hm_dev_uevent,
};

/* ---- one open file's calls, on its own thread ---- */

/* a wait queue the file polled woke: the client hears it (any context) */
static int hm_chr_woken(wait_queue_entry_t *wait, unsigned int mode, int sync, void *key)
{
	struct hm_chr_pollent *e = container_of(wait, struct hm_chr_pollent, wait);

	if (!key || (key_to_poll(key) & e->f->poll_events))
		dc_host_chr_wake(e->f->id);
	return 0;	/* stays queued: later wake-ups are heard too */
}

static void hm_chr_queue(struct file *filp, wait_queue_head_t *head, poll_table *pt)
{
	struct hm_chr_file *f = container_of(pt, struct hm_chr_file, pt);
	struct hm_chr_pollent *e;
	int i;

	for (i = 0; i < f->npoll; i++)
		if (f->poll[i].head == head)
			return;	/* queued by an earlier poll */
	if (f->npoll == HM_CHR_POLL_QUEUES) {
		pr_warn_once("hm: a char device polls more than %d wait queues: the rest are not heard\n",
			     HM_CHR_POLL_QUEUES);
		return;
	}
	e = &f->poll[f->npoll++];
	e->head = head;
	e->f = f;
	init_waitqueue_func_entry(&e->wait, hm_chr_woken);
	add_wait_queue(head, &e->wait);
}

/* the file position as read(2) uses it: none for stream files */
static loff_t *hm_chr_ppos(struct file *filp, loff_t *pos)
{
	if (filp->f_mode & FMODE_STREAM)
		return NULL;
	*pos = filp->f_pos;
	return pos;
}

static long long hm_chr_run(struct hm_chr_file *f, const struct dc_chr_call *c)
{
	struct file *filp = f->filp;
	loff_t pos, *ppos;
	long long r;
	size_t n;

	switch (c->op) {
	case DC_CHR_READ:
		n = min_t(size_t, c->arg, HM_CHR_DATA_MAX);
		ppos = hm_chr_ppos(filp, &pos);
		r = vfs_read(filp, (char __user *)f->bounce, n, ppos);
		if (r > 0)
			memcpy(c->data, f->bounce, r);
		if (r >= 0 && ppos)
			filp->f_pos = pos;
		return r;
	case DC_CHR_WRITE:
		n = min_t(size_t, c->arg, HM_CHR_DATA_MAX);
		memcpy(f->bounce, c->data, n);	/* once: the client cannot change it under the driver */
		ppos = hm_chr_ppos(filp, &pos);
		r = vfs_write(filp, (const char __user *)f->bounce, n, ppos);
		if (r >= 0 && ppos)
			filp->f_pos = pos;
		return r;
	case DC_CHR_IOCTL:
		if (c->argmode == DC_CHR_ARG_INT)
			return vfs_ioctl(filp, (unsigned int)c->arg, (unsigned long)c->iarg);
		if (c->argmode == DC_CHR_ARG_NONE)
			return vfs_ioctl(filp, (unsigned int)c->arg, 0);
		n = min_t(size_t, c->size, HM_CHR_DATA_MAX);
		/* in whatever the direction: _IOR commands that read their
		 * argument exist (WDIOC_SETOPTIONS) */
		memcpy(f->bounce, c->data, n);
		r = vfs_ioctl(filp, (unsigned int)c->arg, (unsigned long)f->bounce);
		if (r >= 0 && c->out)
			memcpy(c->data, f->bounce, n);
		return r;
	case DC_CHR_POLL:
		f->poll_events = (__poll_t)c->arg | EPOLLERR | EPOLLHUP;
		f->pt._key = f->poll_events;
		return vfs_poll(filp, &f->pt) & f->poll_events;
	}
	return -EINVAL;
}

static void hm_chr_release(struct hm_chr_file *f)
{
	int i;

	for (i = 0; i < f->npoll; i++)
		remove_wait_queue(f->poll[i].head, &f->poll[i].wait);
	if (f->filp) {
		filp_close(f->filp, NULL);
		flush_delayed_fput();	/* the driver's release has run when DC-base hears it */
	}
}

static int hm_chr_file_main(void *arg)
{
	struct hm_chr_file *f = arg;
	const struct dc_chr_call *open = &f->call;
	struct hm_chr_node *n = &hm_chr_nodes[open->node];
	char path[HM_CHR_NAME_MAX + 8];

	allow_signal(SIGKILL);	/* a release interrupts a call that sleeps */
	snprintf(path, sizeof path, "/dev/%s", n->name);
	f->filp = READ_ONCE(n->state) == 2 ? filp_open(path, open->flags | O_LARGEFILE, 0) : ERR_PTR(-ENODEV);
	if (IS_ERR(f->filp)) {
		dc_host_chr_complete(f->id, PTR_ERR(f->filp));
		f->filp = NULL;
	} else {
		dc_host_chr_complete(f->id, 0);
	}
	f->busy = false;
	for (;;) {
		struct dc_chr_call c;
		long long r;

		set_current_state(TASK_INTERRUPTIBLE);
		if (!READ_ONCE(f->pending) && !READ_ONCE(f->release)) {
			schedule();
			continue;
		}
		__set_current_state(TASK_RUNNING);
		flush_signals(current);
		if (READ_ONCE(f->release))
			break;
		c = f->call;
		WRITE_ONCE(f->pending, false);
		r = f->filp ? hm_chr_run(f, &c) : -EBADF;
		if (r == -ERESTARTSYS || r == -ERESTARTNOINTR || r == -ERESTARTNOHAND)
			r = -EINTR;	/* interrupted by a release: the client has gone */
		WRITE_ONCE(f->busy, false);
		dc_host_chr_complete(f->id, r);
	}
	flush_signals(current);
	hm_chr_release(f);
	hm_chr_files[f->id] = NULL;
	dc_host_chr_released(f->id);
	kfree(f->bounce);
	kfree(f);
	return 0;
}

/* ---- the dc-chr thread: nodes and calls ---- */

static void hm_chr_open(const struct dc_chr_call *c)
{
	struct hm_chr_file *f = NULL;

	if (c->file >= 0 && c->file < HM_CHR_MAX_FILES && !hm_chr_files[c->file] && c->node >= 0 &&
	    c->node < hm_chr_nnodes)
		f = kzalloc(sizeof *f, GFP_KERNEL);
	if (f)
		f->bounce = kmalloc(HM_CHR_DATA_MAX, GFP_KERNEL);
	if (!f || !f->bounce) {
		if (f)
			kfree(f);
		dc_host_chr_complete(c->file, -ENOMEM);
		dc_host_chr_released(c->file);
		return;
	}
	f->id = c->file;
	f->call = *c;
	f->busy = true;
	init_poll_funcptr(&f->pt, hm_chr_queue);
	f->thread = kthread_create(hm_chr_file_main, f, "dc-chr/%d", c->file);
	if (IS_ERR(f->thread)) {
		dc_host_chr_complete(c->file, PTR_ERR(f->thread));
		dc_host_chr_released(c->file);
		kfree(f->bounce);
		kfree(f);
		return;
	}
	hm_chr_files[c->file] = f;
	wake_up_process(f->thread);
}

static void hm_chr_dispatch(const struct dc_chr_call *c)
{
	struct hm_chr_file *f = c->file >= 0 && c->file < HM_CHR_MAX_FILES ? hm_chr_files[c->file] : NULL;

	if (c->op == DC_CHR_OPEN) {
		hm_chr_open(c);
		return;
	}
	if (!f) {
		/* DC-base only asks about files it opened here: a release of one
		 * whose open failed has nothing to do */
		if (c->op == DC_CHR_RELEASE)
			dc_host_chr_released(c->file);
		else
			dc_host_chr_complete(c->file, -EBADF);
		return;
	}
	if (c->op == DC_CHR_RELEASE) {
		WRITE_ONCE(f->release, true);
		if (READ_ONCE(f->busy))
			send_sig(SIGKILL, f->thread, 1);	/* a sleeping read or write ends */
		else
			wake_up_process(f->thread);
		return;
	}
	f->call = *c;
	WRITE_ONCE(f->busy, true);
	WRITE_ONCE(f->pending, true);
	wake_up_process(f->thread);
}

static void hm_chr_nodes_update(void)
{
	int i;

	for (i = 0; i < hm_chr_nnodes; i++) {
		struct hm_chr_node *n = &hm_chr_nodes[i];
		int st = READ_ONCE(n->state);

		if (st == 1) {
			int err = dc_host_chr_add(i, n->name, n->where);

			if (err)
				pr_err("hm: char device %s not announced (%d)\n", n->name, err);
			cmpxchg(&n->state, 1, 2);
		} else if (st == 3) {
			dc_host_chr_remove(i);
			WRITE_ONCE(n->state, 4);
		}
	}
}

static int hm_chr_main(void *unused)
{
	struct dc_chr_call c;

	for (;;) {
		set_current_state(TASK_IDLE);
		if (!READ_ONCE(hm_chr_kicked))
			schedule();
		__set_current_state(TASK_RUNNING);
		WRITE_ONCE(hm_chr_kicked, 0);
		hm_chr_nodes_update();
		while (dc_host_chr_fetch(&c))
			hm_chr_dispatch(&c);
	}
	return 0;
}

/* every char node added so far has been announced (boot waits for it) */
void hm_chr_settle(void)
{
	int i, busy;

	do {
		busy = 0;
		for (i = 0; i < hm_chr_nnodes; i++)
			busy |= READ_ONCE(hm_chr_nodes[i].state) == 1;
		if (busy)
			msleep(1);
	} while (busy);
}

static int __init hm_chr_init(void)
{
	/* before the first char device: misc and input register at subsys_initcall */
	hm_dev_uevent_core = devices_kset->uevent_ops;
	devices_kset->uevent_ops = &hm_dev_uevent_ops;
	hm_chr_thread = kthread_run(hm_chr_main, NULL, "dc-chr");
	if (IS_ERR(hm_chr_thread))
		panic("hm: cannot start the char device thread");
	return 0;
}
arch_initcall(hm_chr_init);

/* devtmpfs, where the nodes are, mounted at /dev for filp_open */
static int __init hm_chr_mount(void)
{
	int err = init_mkdir("/dev", 0755);

	if (!err || err == -EEXIST)
		err = init_mount("devtmpfs", "/dev", "devtmpfs", 0, NULL);
	if (err)
		pr_err("hm: cannot mount devtmpfs at /dev (%d): char devices cannot be opened\n", err);
	return 0;
}
late_initcall(hm_chr_mount);
