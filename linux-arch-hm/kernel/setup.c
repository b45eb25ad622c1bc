// SPDX-License-Identifier: GPL-2.0
/*
 * arch/hm boot: memory, the device tree, the end of boot. DC-base calls
 * dc_linux_start() on the thread that becomes Linux's idle task.
 */
#include <linux/binfmts.h>
#include <linux/fs.h>
#include <linux/init.h>
#include <linux/memblock.h>
#include <linux/mm.h>
#include <linux/vmstat.h>
#include <linux/of_fdt.h>
#include <linux/panic_notifier.h>
#include <linux/ptrace.h>
#include <linux/reboot.h>
#include <linux/seq_file.h>
#include <linux/sched/task.h>
#include <linux/sched/task_stack.h>
#include <linux/start_kernel.h>
#include <linux/string.h>
#include <asm/sections.h>
#include <asm/setup.h>
#include <asm/hm_compat.h>
#include <dc_host.h>
#include <linux/sched/debug.h>
#include "hm.h"

unsigned long hm_pfn_offset;
unsigned long memory_start, memory_end;
struct page *hm_zero_page;
static const struct dc_boot *hm_boot;

void __ref dc_linux_start(const struct dc_boot *b)
{
	hm_boot = b;
	hm_pfn_offset = b->ram_base >> PAGE_SHIFT;
	memory_start = b->ram_base;
	memory_end = b->ram_base + b->ram_size;
	init_task.thread.host = b->idle_thread;
	start_kernel();
}

void *dc_linux_init_stack(unsigned long *size)
{
	*size = THREAD_SIZE;
	return init_stack;
}

void __init setup_arch(char **cmdline_p)
{
	unsigned long max_zone_pfn[MAX_NR_ZONES] = { 0 };
	void *zero;

	strscpy(boot_command_line, hm_boot->cmdline, COMMAND_LINE_SIZE);
	*cmdline_p = boot_command_line;
	/*
	 * Linux's memory is the region DC-base gave, not the board's RAM that
	 * the device tree describes: no early_init_dt_scan_memory().
	 */
	memblock_add(memory_start, memory_end - memory_start);
	min_low_pfn = PFN_UP(memory_start);
	max_low_pfn = max_pfn = PFN_DOWN(memory_end);
	max_mapnr = max_pfn - hm_pfn_offset;
	high_memory = (void *)memory_end;
	max_zone_pfn[ZONE_NORMAL] = max_pfn;
	free_area_init(max_zone_pfn);

	zero = memblock_alloc(PAGE_SIZE, PAGE_SIZE);
	if (!zero)
		panic("hm: no memory for the zero page");
	hm_zero_page = virt_to_page(zero);

	if (!hm_dt_verify((void *)hm_boot->dtb))
		panic("hm: the container's device tree is not valid");
	unflatten_device_tree();
}

void __init mem_init(void)
{
	memblock_free_all();
}

/* __init code and data live in the container program's image, not in the
 * linear region the page allocator owns: nothing to give back */
void free_initmem(void)
{
}

void machine_halt(void)
{
	dc_host_panic("Linux halted");
}

void machine_power_off(void)
{
	dc_host_panic("Linux powered off");
}

void machine_restart(char *cmd)
{
	dc_host_panic("Linux restarted");
}

/* frame-pointer walk (scripts/build-linux builds with frame pointers);
 * only the current task's stack: other tasks' threads are parked in the
 * microkernel with their registers out of Linux's reach */
void show_stack(struct task_struct *task, unsigned long *sp, const char *loglvl)
{
	unsigned long fp = (unsigned long)__builtin_frame_address(0);
	unsigned long lo = (unsigned long)task_stack_page(current), hi = lo + THREAD_SIZE;
	int n;

	if (task && task != current)
		return;
	printk("%sCall trace:\n", loglvl);
	for (n = 0; n < 32 && fp >= lo && fp + 16 <= hi && !(fp & 7); n++) {
		unsigned long lr = ((unsigned long *)fp)[1];

		printk("%s %pS\n", loglvl, (void *)lr);
		fp = ((unsigned long *)fp)[0];
	}
}

/* no user mode, so no user registers to trace or show */
long arch_ptrace(struct task_struct *child, long request, unsigned long addr, unsigned long data)
{
	return ptrace_request(child, request, addr, data);
}

void ptrace_disable(struct task_struct *child)
{
}

void show_regs(struct pt_regs *regs)
{
}

static void *hm_c_start(struct seq_file *m, loff_t *pos)
{
	return NULL;
}

static void *hm_c_next(struct seq_file *m, void *v, loff_t *pos)
{
	return NULL;
}

static void hm_c_stop(struct seq_file *m, void *v)
{
}

static int hm_c_show(struct seq_file *m, void *v)
{
	return 0;
}

const struct seq_operations cpuinfo_op = {
	.start = hm_c_start,
	.next = hm_c_next,
	.stop = hm_c_stop,
	.show = hm_c_show,
};

/*
 * A standby container (DC-base's hm.standby, dcbase/standby.c) holds here
 * until devmgr hands it the devices: rootfs is the last initcall level
 * before device_initcall, so Linux's core is up and no driver has been
 * registered, none has probed, no device has been touched. Any other
 * container passes straight on.
 */
static int __init hm_standby_point(void)
{
	dc_host_standby_wait();
	return 0;
}
rootfs_initcall(hm_standby_point);

/*
 * The end of boot. kernel_init() runs every initcall and then executes
 * /init; the container has no user space, so /init is an empty file in the
 * root ramfs and this binary format "executes" it: it tells DC-base that
 * Linux is up and parks pid 1 for good.
 */

static int hm_init_load(struct linux_binprm *bprm)
{
	if (strcmp(bprm->filename, "/init"))
		return -ENOEXEC;
	hm_blk_settle();
	hm_chr_settle();
	pr_info("hm: Linux runtime ready: %lu of %lu KiB of its memory in use\n",
		(totalram_pages() - global_zone_page_state(NR_FREE_PAGES)) << (PAGE_SHIFT - 10),
		totalram_pages() << (PAGE_SHIFT - 10));
	dc_host_ready();
	for (;;) {
		set_current_state(TASK_IDLE);
		schedule();
	}
	return 0;
}

static struct linux_binfmt hm_init_format = {
	.load_binary = hm_init_load,
};

/* a Linux panic stops the container with a fault its supervisor sees,
 * rather than spinning in panic()'s loop */
static int hm_panic(struct notifier_block *nb, unsigned long event, void *msg)
{
	dc_host_panic(msg);
}

static struct notifier_block hm_panic_nb = {
	.notifier_call = hm_panic,
};

static int __init hm_init_file(void)
{
	/* read-only: a writer's file would still be open (fput is deferred)
	 * when kernel_init executes it, and exec refuses busy files */
	struct file *f = filp_open("/init", O_CREAT | O_RDONLY, 0700);

	if (IS_ERR(f))
		panic("hm: cannot create /init: %ld", PTR_ERR(f));
	filp_close(f, NULL);
	register_binfmt(&hm_init_format);
	atomic_notifier_chain_register(&panic_notifier_list, &hm_panic_nb);
	return 0;
}
late_initcall(hm_init_file);
