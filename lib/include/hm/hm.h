/*
 * hm user runtime: system-call wrappers and the helpers every program uses.
 * Built on picolibc; stdout/stderr go to the console handle the parent gave.
 * Wrappers return the kernel's result: >= 0 success, negative -HM_E* error.
 */
#ifndef HM_HM_H
#define HM_HM_H
#include <stdint.h>
#include <stddef.h>
#include <uapi/hm/syscall.h>
#include <uapi/hm/startup.h>

/* ---- raw system calls ---- */
#define HM__ASM_CALL(nr, ...) __asm__ volatile("svc #0" : "+r"(x0) : "r"(x8), ##__VA_ARGS__ : "memory")
static inline long hm_sys0(long nr)
{
    register long x0 __asm__("x0");
    register long x8 __asm__("x8") = nr;
    __asm__ volatile("svc #0" : "=r"(x0) : "r"(x8) : "memory");
    return x0;
}
static inline long hm_sys1(long nr, long a0)
{
    register long x0 __asm__("x0") = a0;
    register long x8 __asm__("x8") = nr;
    HM__ASM_CALL(nr);
    return x0;
}
static inline long hm_sys2(long nr, long a0, long a1)
{
    register long x0 __asm__("x0") = a0;
    register long x1 __asm__("x1") = a1;
    register long x8 __asm__("x8") = nr;
    HM__ASM_CALL(nr, "r"(x1));
    return x0;
}
static inline long hm_sys3(long nr, long a0, long a1, long a2)
{
    register long x0 __asm__("x0") = a0;
    register long x1 __asm__("x1") = a1;
    register long x2 __asm__("x2") = a2;
    register long x8 __asm__("x8") = nr;
    HM__ASM_CALL(nr, "r"(x1), "r"(x2));
    return x0;
}
static inline long hm_sys4(long nr, long a0, long a1, long a2, long a3)
{
    register long x0 __asm__("x0") = a0;
    register long x1 __asm__("x1") = a1;
    register long x2 __asm__("x2") = a2;
    register long x3 __asm__("x3") = a3;
    register long x8 __asm__("x8") = nr;
    HM__ASM_CALL(nr, "r"(x1), "r"(x2), "r"(x3));
    return x0;
}
static inline long hm_sys5(long nr, long a0, long a1, long a2, long a3, long a4)
{
    register long x0 __asm__("x0") = a0;
    register long x1 __asm__("x1") = a1;
    register long x2 __asm__("x2") = a2;
    register long x3 __asm__("x3") = a3;
    register long x4 __asm__("x4") = a4;
    register long x8 __asm__("x8") = nr;
    HM__ASM_CALL(nr, "r"(x1), "r"(x2), "r"(x3), "r"(x4));
    return x0;
}
static inline long hm_sys6(long nr, long a0, long a1, long a2, long a3, long a4, long a5)
{
    register long x0 __asm__("x0") = a0;
    register long x1 __asm__("x1") = a1;
    register long x2 __asm__("x2") = a2;
    register long x3 __asm__("x3") = a3;
    register long x4 __asm__("x4") = a4;
    register long x5 __asm__("x5") = a5;
    register long x8 __asm__("x8") = nr;
    HM__ASM_CALL(nr, "r"(x1), "r"(x2), "r"(x3), "r"(x4), "r"(x5));
    return x0;
}
/* system call returning a second value in x1 */
static inline long hm_sys2r(long nr, long a0, long a1, uint64_t *out1)
{
    register long x0 __asm__("x0") = a0;
    register long x1 __asm__("x1") = a1;
    register long x8 __asm__("x8") = nr;
    __asm__ volatile("svc #0" : "+r"(x0), "+r"(x1) : "r"(x8) : "memory");
    if (out1 && x0 >= 0)
        *out1 = (uint64_t)x1;
    return x0;
}

/* ---- IPC ---- */
struct hm_msg {
    uint64_t tag;
    uint64_t w[HM_IPC_INLINE_WORDS];
    uint64_t badge;   /* filled by recv */
};

/* one IPC system call: message in and out of x1..x8 */
static inline long hm_ipc(long nr, long a0, struct hm_msg *m)
{
    register long x0 __asm__("x0") = a0;
    register uint64_t x1 __asm__("x1") = m->tag;
    register uint64_t x2 __asm__("x2") = m->w[0];
    register uint64_t x3 __asm__("x3") = m->w[1];
    register uint64_t x4 __asm__("x4") = m->w[2];
    register uint64_t x5 __asm__("x5") = m->w[3];
    register uint64_t x6 __asm__("x6") = m->w[4];
    register uint64_t x7 __asm__("x7") = m->w[5];
    register uint64_t x8 __asm__("x8") = (uint64_t)nr;
    __asm__ volatile("svc #0"
                     : "+r"(x0), "+r"(x1), "+r"(x2), "+r"(x3), "+r"(x4), "+r"(x5), "+r"(x6), "+r"(x7), "+r"(x8)
                     :
                     : "memory");
    if (x0 >= 0) {
        m->tag = x1;
        m->w[0] = x2; m->w[1] = x3; m->w[2] = x4; m->w[3] = x5; m->w[4] = x6; m->w[5] = x7;
        m->badge = x8;
    }
    return x0;
}
static inline long hm_call(hm_handle_t ep, struct hm_msg *m) { return hm_ipc(HM_SYS_CALL, ep, m); }
static inline long hm_reply(struct hm_msg *m) { return hm_ipc(HM_SYS_REPLY, 0, m); }
static inline long hm_reply_recv(hm_handle_t ep, struct hm_msg *m) { return hm_ipc(HM_SYS_REPLY_RECV, ep, m); }
/* recv: (ep, deadline) in, message out */
static inline long hm_recv(hm_handle_t ep, struct hm_msg *m, uint64_t deadline)
{
    register long x0 __asm__("x0") = ep;
    register uint64_t x1 __asm__("x1") = deadline;
    register uint64_t x2 __asm__("x2"), x3 __asm__("x3"), x4 __asm__("x4"), x5 __asm__("x5"),
        x6 __asm__("x6"), x7 __asm__("x7");
    register uint64_t x8 __asm__("x8") = HM_SYS_RECV;
    __asm__ volatile("svc #0"
                     : "+r"(x0), "+r"(x1), "=r"(x2), "=r"(x3), "=r"(x4), "=r"(x5), "=r"(x6), "=r"(x7), "+r"(x8)
                     :
                     : "memory");
    if (x0 >= 0) {
        m->tag = x1;
        m->w[0] = x2; m->w[1] = x3; m->w[2] = x4; m->w[3] = x5; m->w[4] = x6; m->w[5] = x7;
        m->badge = x8;
    }
    return x0;
}
static inline long hm_ipc_buf_set(struct hm_ipc_buf *b) { return hm_sys1(HM_SYS_IPC_BUF_SET, (long)b); }
static inline long hm_ep_create(void) { return hm_sys0(HM_SYS_EP_CREATE); }

/* ---- handles ---- */
static inline long hm_handle_close(hm_handle_t h) { return hm_sys1(HM_SYS_HANDLE_CLOSE, h); }
static inline long hm_handle_dup(hm_handle_t h, uint32_t rights, uint64_t badge) { return hm_sys3(HM_SYS_HANDLE_DUP, h, rights, (long)badge); }
static inline long hm_handle_info(hm_handle_t h, struct hm_handle_info *i) { return hm_sys2(HM_SYS_HANDLE_INFO, h, (long)i); }
static inline long hm_handle_give(hm_handle_t proc, hm_handle_t h, uint32_t rights) { return hm_sys3(HM_SYS_HANDLE_GIVE, proc, h, rights); }

/* ---- processes and threads ---- */
static inline long hm_proc_create(const char *name, size_t len, hm_handle_t sup) { return hm_sys4(HM_SYS_PROC_CREATE, (long)name, (long)len, sup, 0); }
/* limit: HM_QUOTA_N limits of the child's own (syscall.h "quotas"), NULL for none */
static inline long hm_proc_create_limited(const char *name, size_t len, hm_handle_t sup, const uint64_t *limit) { return hm_sys4(HM_SYS_PROC_CREATE, (long)name, (long)len, sup, (long)limit); }
static inline long hm_proc_quota(hm_handle_t p, struct hm_quota *q) { return hm_sys2(HM_SYS_PROC_QUOTA, p, (long)q); }
static inline long hm_proc_kill(hm_handle_t p) { return hm_sys1(HM_SYS_PROC_KILL, p); }
static inline long hm_proc_wait(hm_handle_t p, uint64_t deadline, int64_t *status) { return hm_sys2r(HM_SYS_PROC_WAIT, p, (long)deadline, (uint64_t *)status); }
__attribute__((noreturn)) static inline void hm_proc_exit(long status) { hm_sys1(HM_SYS_PROC_EXIT, status); __builtin_unreachable(); }
static inline long hm_thread_create(hm_handle_t p, void *entry, void *sp, long arg, int prio) { return hm_sys5(HM_SYS_THREAD_CREATE, p, (long)entry, (long)sp, arg, prio); }
static inline long hm_thread_resume(hm_handle_t t) { return hm_sys1(HM_SYS_THREAD_RESUME, t); }
static inline long hm_thread_switch(hm_handle_t t) { return hm_sys1(HM_SYS_THREAD_SWITCH, t); }
static inline long hm_thread_park(void) { return hm_sys0(HM_SYS_THREAD_PARK); }
__attribute__((noreturn)) static inline void hm_thread_exit(void) { hm_sys0(HM_SYS_THREAD_EXIT); __builtin_unreachable(); }
static inline long hm_thread_yield(void) { return hm_sys0(HM_SYS_THREAD_YIELD); }
static inline long hm_thread_set_prio(hm_handle_t t, int prio) { return hm_sys2(HM_SYS_THREAD_SET_PRIO, t, prio); }
static inline long hm_thread_kill(hm_handle_t t) { return hm_sys1(HM_SYS_THREAD_KILL, t); }

/* ---- notifications, IRQs, timers ---- */
static inline long hm_notif_create(void) { return hm_sys0(HM_SYS_NOTIF_CREATE); }
static inline long hm_notif_signal(hm_handle_t n, uint64_t bits) { return hm_sys2(HM_SYS_NOTIF_SIGNAL, n, (long)bits); }
/* waits for any bit; returns 0 and the bits in *bits, or an error */
static inline long hm_notif_wait(hm_handle_t n, uint64_t deadline, uint64_t *bits) { return hm_sys2r(HM_SYS_NOTIF_WAIT, n, (long)deadline, bits); }
static inline long hm_irq_create(hm_handle_t res, uint32_t irq, hm_handle_t notif, uint64_t bits, uint32_t flags) { return hm_sys5(HM_SYS_IRQ_CREATE, res, irq, notif, (long)bits, flags); }
static inline long hm_irq_ctl(hm_handle_t irq, int op) { return hm_sys2(HM_SYS_IRQ_CTL, irq, op); }
/* a vector for MSI source HM_MSI_SOURCE(devid, event); *addr and *data
 * receive the write that raises it */
static inline long hm_msi_create(hm_handle_t res, uint64_t source, hm_handle_t notif, uint64_t bits,
                                 uint64_t *addr, uint32_t *data)
{
    register long x0 __asm__("x0") = res;
    register long x1 __asm__("x1") = (long)source;
    register long x2 __asm__("x2") = notif;
    register long x3 __asm__("x3") = (long)bits;
    register long x8 __asm__("x8") = HM_SYS_MSI_CREATE;
    __asm__ volatile("svc #0" : "+r"(x0), "+r"(x1), "+r"(x2) : "r"(x3), "r"(x8) : "memory");
    if (x0 >= 0) {
        *addr = (uint64_t)x1;
        *data = (uint32_t)x2;
    }
    return x0;
}
static inline long hm_timer_create(hm_handle_t notif, uint64_t bits) { return hm_sys2(HM_SYS_TIMER_CREATE, notif, (long)bits); }
static inline long hm_timer_set(hm_handle_t t, uint64_t deadline) { return hm_sys2(HM_SYS_TIMER_SET, t, (long)deadline); }
static inline long hm_sleep_until(uint64_t deadline) { return hm_sys1(HM_SYS_SLEEP_UNTIL, (long)deadline); }

/* ---- memory ---- */
static inline long hm_mem_create(uint64_t size, uint32_t kind) { return hm_sys2(HM_SYS_MEM_CREATE, (long)size, kind); }
static inline long hm_mem_device(hm_handle_t res, uint64_t phys, uint64_t size) { return hm_sys3(HM_SYS_MEM_DEVICE, res, (long)phys, (long)size); }
static inline long hm_mem_info(hm_handle_t m, struct hm_mem_info *i) { return hm_sys2(HM_SYS_MEM_INFO, m, (long)i); }
static inline long hm_vm_map(hm_handle_t p, hm_handle_t m, uint64_t off, uint64_t size, uint64_t va, uint32_t perms) { return hm_sys6(HM_SYS_VM_MAP, p, m, (long)off, (long)size, (long)va, perms); }
static inline long hm_vm_unmap(hm_handle_t p, uint64_t va) { return hm_sys2(HM_SYS_VM_UNMAP, p, (long)va); }

/* ---- system ---- */
static inline long hm_resource_create(hm_handle_t res, uint32_t kind, uint64_t base, uint64_t size) { return hm_sys4(HM_SYS_RESOURCE_CREATE, res, kind, (long)base, (long)size); }
static inline long hm_poweroff(hm_handle_t root) { return hm_sys1(HM_SYS_POWEROFF, root); }
static inline long hm_console_write(hm_handle_t c, const void *buf, size_t len) { return hm_sys3(HM_SYS_CONSOLE_WRITE, c, (long)buf, (long)len); }
static inline long hm_console_read(hm_handle_t c, void *buf, size_t len, uint64_t deadline) { return hm_sys4(HM_SYS_CONSOLE_READ, c, (long)buf, (long)len, (long)deadline); }
static inline long hm_klog_stats(char *buf, size_t len) { return hm_sys2(HM_SYS_KLOG_STATS, (long)buf, (long)len); }

/* ---- time ---- */
static inline uint64_t hm_now(void) { uint64_t v; __asm__ volatile("isb; mrs %0, cntvct_el0" : "=r"(v)); return v; }
static inline uint64_t hm_time_freq(void) { uint64_t v; __asm__ volatile("mrs %0, cntfrq_el0" : "=r"(v)); return v; }
static inline uint64_t hm_ms(uint64_t ms) { return ms * hm_time_freq() / 1000; }
static inline uint64_t hm_deadline_ms(uint64_t ms) { return hm_now() + hm_ms(ms); }

/* ---- runtime helpers (lib/src) ---- */
const char *hm_strerror(long err);
/* handle the parent gave under this name, or HM_HANDLE_INVALID */
hm_handle_t hm_start_handle(const char *name);
const struct hm_startup *hm_startup(void);
extern hm_handle_t hm_console;

/* map a fresh anonymous object of size bytes, read-write, in this process */
void *hm_alloc_pages(size_t size, hm_handle_t *mem_out);

/* threads in this process: a stack, TLS for picolibc, a kernel thread */
struct hm_thread {
    hm_handle_t h;
    hm_handle_t stack_mem;
    void *stack;
    size_t stack_size;
    void *(*fn)(void *);
    void *arg;
};
/* created parked when start == 0 (then hm_thread_resume or hm_thread_switch it) */
int hm_thread_start(struct hm_thread *t, void *(*fn)(void *), void *arg, int prio, int start);
/* the value of counter `name` in a hm_klog_stats line: 0, or -ENOENT if the
 * line has none or says "-" (not counted here) */
int hm_kstat_field(const char *stats, const char *name, uint64_t *value);
/* stop a thread that has said it is done and give back its stack and
 * handles: 0 or the first error */
int hm_thread_reap(struct hm_thread *t);

/* processes from the boot image */
struct hm_spawn_handle { const char *name; hm_handle_t h; uint32_t rights; };
/* loads the ELF named name from the boot image into a new process supervised
 * by sup (or none), gives it the handles, starts its first thread; returns the
 * process handle or a negative error */
long hm_spawn(const char *name, const char *const *argv, const struct hm_spawn_handle *hs, int nh,
              hm_handle_t sup, int prio);
/* the same, the process's quota limited to limit[HM_QUOTA_N] (NULL: none of
 * its own). Its image and stack are the caller's memory, not the child's. */
long hm_spawn_limited(const char *name, const char *const *argv, const struct hm_spawn_handle *hs, int nh,
                      hm_handle_t sup, int prio, const uint64_t *limit);
/* the boot image: a pointer to it mapped read-only (mapped on first use) */
const void *hm_bootimg(size_t *size);
#endif
