/* Common kernel definitions: console output, panic, string helpers, sizes. */
#ifndef KERNEL_KERNEL_H
#define KERNEL_KERNEL_H
#include <stdint.h>
#include <stddef.h>
#include <stdbool.h>
#include <stdarg.h>
#include <arch/memlayout.h>
#include <uapi/hm/syscall.h>
#include <uapi/hm/layout.h>

#define ALIGN_UP(x, a)   (((x) + (a) - 1) & ~((uint64_t)(a) - 1))
#define ALIGN_DOWN(x, a) ((x) & ~((uint64_t)(a) - 1))
#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))
#define likely(x)   __builtin_expect(!!(x), 1)
#define unlikely(x) __builtin_expect(!!(x), 0)

static inline void *phys_to_virt(uint64_t pa) { return (void *)(pa + KERNEL_VBASE); }
static inline uint64_t virt_to_phys(const void *va) { return (uint64_t)va - KERNEL_VBASE; }

/* printk.c */
void kputs(const char *s);
void kprintf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void kvprintf(const char *fmt, va_list ap);
int ksnprintf(char *buf, size_t n, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
__attribute__((noreturn)) void panic(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
#define KASSERT(c) do { if (unlikely(!(c))) panic("assertion failed: %s at %s:%d", #c, __FILE__, __LINE__); } while (0)

/* string.c: the kernel is built -mgeneral-regs-only, so it has its own */
void *memcpy(void *d, const void *s, size_t n);
void *memmove(void *d, const void *s, size_t n);
void *memset(void *d, int c, size_t n);
int memcmp(const void *a, const void *b, size_t n);
size_t strlen(const char *s);
size_t strnlen(const char *s, size_t n);
int strcmp(const char *a, const char *b);
int strncmp(const char *a, const char *b, size_t n);
char *strchr(const char *s, int c);
char *strrchr(const char *s, int c);
void *memchr(const void *s, int c, size_t n);

/* kmem.c: kernel heap and pages */
void kmem_init(uint64_t ram_base, uint64_t ram_size);
void kmem_reserve(uint64_t pa, uint64_t size);
uint64_t page_alloc(size_t n, size_t align);   /* zeroed pages; 0 when out of memory */
void page_free(uint64_t pa, size_t n);
size_t page_free_count(void);
void *kmalloc(size_t size);                     /* zeroed */
void arch_zero_pages(void *va, size_t bytes);   /* arch/aarch64/zero.c */
void kfree(void *p);
void *kmalloc_sized(size_t size);               /* for callbacks that pass the size back */
void kfree_sized(void *p, size_t size);
bool ram_contains(uint64_t pa, uint64_t size);

/* time.c */
uint64_t time_now(void);
extern uint64_t time_freq;

/* statistics kept for hm_klog_stats and the tests */
struct kstats {
    uint64_t syscalls, ipc_calls, ipc_fast, switches, irqs, faults, procs_created, procs_destroyed;
    uint64_t as_switches;   /* TTBR0 changes: what an emulator without ASID-tagged TLBs pays for */
    uint64_t msis;          /* interrupts that came as messages (GICv2m SPIs, ITS LPIs) */
    /* the fast paths' (fastpath.c): one count per leg, which kstat adds to
     * ipc_calls, ipc_fast and switches (three counts cost ~6 instructions);
     * fast IPC legs switch the address space unless they stay in one
     * process, which is counted instead (kstat: as_switches) */
    uint64_t fast_calls, fast_replies, fast_handoffs, fast_ipc_same_vspace;
    uint64_t timer_rescues;   /* virtual-timer wake-ups that never came; the backstop ran them (timeout.c) */
    uint64_t pmu_overflows;   /* the PMU's instruction counter wrapping, taken by its interrupt (pmu.c) */
};

/*
 * The CPU's state, in one structure so that the IPC fast paths (fastpath.c)
 * reach every field they read from one base register: as separate globals
 * each cost its own address computation, 12 instructions of a call + reply
 * round trip (docs/benchmarks.md). hm runs on one CPU.
 */
struct thread;
struct kcpu {
    struct thread *current;         /* the running thread */
    struct thread *fp_owner;        /* holds the FP/SIMD registers (sched.c) */
    uint64_t active_ttbr;           /* TTBR0_EL1 as last written (vm.h) */
    uint32_t runq_bitmap;           /* bit p set: run queue p is not empty (sched.c) */
    union {
        struct {
            uint32_t need_resched;          /* schedule before returning to user (0 or 1) */
            uint32_t fault_orphans_pending; /* faulted threads nobody will resume (fault.c) */
        };
        uint64_t work_pending;   /* either of the two, in one load (fastpath.c) */
    };
    struct kstats stats;            /* hm_klog_stats, kstat */
};
/* work_pending covers both flags, and nothing else */
_Static_assert(sizeof(((struct kcpu *)0)->work_pending) ==
                   sizeof(((struct kcpu *)0)->need_resched) + sizeof(((struct kcpu *)0)->fault_orphans_pending),
               "kcpu.work_pending");
extern struct kcpu kcpu;
#define current (kcpu.current)
#endif
