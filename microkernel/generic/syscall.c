/* System-call dispatch. Handlers take the caller's trap frame, read their
 * arguments from x0..x7 and leave results in x0 (and x1..x8 where
 * documented). A handler that blocks returns when the thread is woken; the
 * waker has written the result. */
#include <kernel/object.h>

#define SYS(name) void sys_##name(struct trapframe *tf);
SYS(console_write) SYS(console_read) SYS(handle_close) SYS(handle_dup) SYS(handle_info) SYS(handle_give)
SYS(proc_create) SYS(proc_kill) SYS(proc_wait) SYS(proc_exit) SYS(thread_create) SYS(thread_resume)
SYS(thread_switch) SYS(thread_park) SYS(thread_exit) SYS(thread_yield) SYS(thread_set_prio) SYS(thread_kill)
SYS(ipc_buf_set) SYS(ep_create) SYS(call) SYS(recv) SYS(reply) SYS(reply_recv) SYS(notif_create)
SYS(notif_signal) SYS(notif_wait) SYS(irq_create) SYS(irq_ctl) SYS(mem_create) SYS(mem_device) SYS(mem_info)
SYS(vm_map) SYS(vm_unmap) SYS(timer_create) SYS(timer_set) SYS(sleep_until) SYS(resource_create)
SYS(poweroff) SYS(klog_stats) SYS(msi_create) SYS(proc_quota)

typedef void (*syscall_fn)(struct trapframe *);
static const syscall_fn table[HM_NSYSCALLS] = {
    [HM_SYS_CONSOLE_WRITE] = sys_console_write, [HM_SYS_CONSOLE_READ] = sys_console_read,
    [HM_SYS_HANDLE_CLOSE] = sys_handle_close, [HM_SYS_HANDLE_DUP] = sys_handle_dup,
    [HM_SYS_HANDLE_INFO] = sys_handle_info, [HM_SYS_HANDLE_GIVE] = sys_handle_give,
    [HM_SYS_PROC_CREATE] = sys_proc_create, [HM_SYS_PROC_KILL] = sys_proc_kill,
    [HM_SYS_PROC_WAIT] = sys_proc_wait, [HM_SYS_PROC_EXIT] = sys_proc_exit,
    [HM_SYS_THREAD_CREATE] = sys_thread_create, [HM_SYS_THREAD_RESUME] = sys_thread_resume,
    [HM_SYS_THREAD_SWITCH] = sys_thread_switch, [HM_SYS_THREAD_PARK] = sys_thread_park,
    [HM_SYS_THREAD_EXIT] = sys_thread_exit, [HM_SYS_THREAD_YIELD] = sys_thread_yield,
    [HM_SYS_THREAD_SET_PRIO] = sys_thread_set_prio, [HM_SYS_THREAD_KILL] = sys_thread_kill,
    [HM_SYS_IPC_BUF_SET] = sys_ipc_buf_set, [HM_SYS_EP_CREATE] = sys_ep_create,
    [HM_SYS_CALL] = sys_call, [HM_SYS_RECV] = sys_recv, [HM_SYS_REPLY] = sys_reply,
    [HM_SYS_REPLY_RECV] = sys_reply_recv, [HM_SYS_NOTIF_CREATE] = sys_notif_create,
    [HM_SYS_NOTIF_SIGNAL] = sys_notif_signal, [HM_SYS_NOTIF_WAIT] = sys_notif_wait,
    [HM_SYS_IRQ_CREATE] = sys_irq_create, [HM_SYS_IRQ_CTL] = sys_irq_ctl,
    [HM_SYS_MEM_CREATE] = sys_mem_create, [HM_SYS_MEM_DEVICE] = sys_mem_device,
    [HM_SYS_MEM_INFO] = sys_mem_info, [HM_SYS_VM_MAP] = sys_vm_map, [HM_SYS_VM_UNMAP] = sys_vm_unmap,
    [HM_SYS_TIMER_CREATE] = sys_timer_create, [HM_SYS_TIMER_SET] = sys_timer_set,
    [HM_SYS_SLEEP_UNTIL] = sys_sleep_until, [HM_SYS_RESOURCE_CREATE] = sys_resource_create,
    [HM_SYS_POWEROFF] = sys_poweroff, [HM_SYS_KLOG_STATS] = sys_klog_stats,
    [HM_SYS_MSI_CREATE] = sys_msi_create, [HM_SYS_PROC_QUOTA] = sys_proc_quota,
};

/* general system-call path (entry.S tries ipc_fastpath first for call and
 * reply_recv); returns the trap frame to return to user space from */
struct trapframe *syscall_entry(struct trapframe *tf)
{
    uint64_t nr = tf->x[8];
    kcpu.stats.syscalls++;

    if (likely(nr < HM_NSYSCALLS))
        table[nr](tf);
    else
        tf->x[0] = (uint64_t)-HM_ENOSYS;
    if (unlikely(kcpu.fault_orphans_pending))
        fault_reap_orphans();
    if (unlikely(kcpu.need_resched))
        schedule();
    return tf;
}
