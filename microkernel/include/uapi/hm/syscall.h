/*
 * hm microkernel system-call ABI, shared by the kernel and user space.
 *
 * Calling convention (AArch64, "svc #0"):
 *   x8      system-call number (HM_SYS_*)
 *   x0..x7  arguments
 *   x0      result: >= 0 on success (a value or 0), a negative HM_E* on error
 *   x1..x8  extra results where a call documents them (IPC returns its
 *           message in x1..x7 and the sender's badge in x8)
 * All other registers are preserved. docs/syscalls.md describes every call.
 */
#ifndef HM_UAPI_SYSCALL_H
#define HM_UAPI_SYSCALL_H

#include <stdint.h>

/* ---- error codes (returned negated) ---- */
#define HM_OK        0
#define HM_EINVAL    1   /* malformed argument (flags, sizes, alignment) */
#define HM_EBADH     2   /* handle is not in the caller's table */
#define HM_EPERM     3   /* handle lacks a right the call needs */
#define HM_ETYPE     4   /* handle names an object of the wrong type */
#define HM_EFAULT    5   /* user pointer not mapped with the needed access */
#define HM_ENOMEM    6   /* out of physical memory, or over the caller's quota */
#define HM_ENOSPC    7   /* a table (handles, mappings) is full */
#define HM_ETIMEDOUT 8   /* deadline passed */
#define HM_ECLOSED   9   /* peer died or object was closed */
#define HM_ESTATE    10  /* object is not in a state the call accepts */
#define HM_ERANGE    11  /* address or number outside what the handle covers */
#define HM_ENOSYS    12  /* no such system call */
#define HM_EBUSY     13  /* resource already bound or in use */
#define HM_NERRORS   14

/* ---- object types ---- */
#define HM_OBJ_NONE     0
#define HM_OBJ_PROC     1
#define HM_OBJ_THREAD   2
#define HM_OBJ_EP       3   /* IPC endpoint */
#define HM_OBJ_NOTIF    4   /* notification: a word of signal bits */
#define HM_OBJ_IRQ      5
#define HM_OBJ_MEM      6   /* memory object */
#define HM_OBJ_TIMER    7
#define HM_OBJ_RESOURCE 8   /* authority over device MMIO, IRQ numbers, power */
#define HM_OBJ_CONSOLE  9

/* ---- rights carried by a handle ---- */
#define HM_R_READ    (1u << 0)  /* map readable; wait for a process; read the console */
#define HM_R_WRITE   (1u << 1)  /* map writable; write console */
#define HM_R_EXEC    (1u << 2)  /* map executable */
#define HM_R_MAP     (1u << 3)  /* memory object may be mapped */
#define HM_R_SEND    (1u << 4)  /* call an endpoint */
#define HM_R_RECV    (1u << 5)  /* receive on an endpoint */
#define HM_R_SIGNAL  (1u << 6)  /* signal a notification */
#define HM_R_WAIT    (1u << 7)  /* wait on a notification */
#define HM_R_MANAGE  (1u << 8)  /* control: kill, threads, mappings, irq ack/mask, timer set */
#define HM_R_GRANT   (1u << 9)  /* may be given to another process (IPC or handle_give) */
#define HM_R_DUP     (1u << 10) /* may be duplicated in the same table */
#define HM_R_ALL     0x7ffu

typedef int32_t hm_handle_t;
#define HM_HANDLE_INVALID (-1)
/* Handle a process is created with: itself (all rights). */
#define HM_HANDLE_SELF_PROC 0

/* ---- deadlines: absolute CNTVCT_EL0 ticks ---- */
#define HM_DEADLINE_NEVER UINT64_MAX
#define HM_DEADLINE_POLL  0ull

/* ---- IPC ----
 * A message is a tag, 6 inline words carried in registers (x2..x7) and,
 * optionally, up to HM_IPC_BUF_WORDS extra words and HM_IPC_MAX_HANDLES
 * handles carried in the thread's registered IPC buffer.
 * tag bits  0..31  label (meaning chosen by the protocol)
 *          32..39  extra words in the IPC buffer (0..HM_IPC_BUF_WORDS)
 *          40..42  handles in the IPC buffer (0..HM_IPC_MAX_HANDLES)
 *          43      move handles (the sender loses them) instead of copying
 */
#define HM_IPC_INLINE_WORDS 6
#define HM_IPC_BUF_WORDS    64
#define HM_IPC_MAX_HANDLES  4
#define HM_TAG(label, nwords, nhandles) \
    ((uint64_t)(uint32_t)(label) | ((uint64_t)(nwords) << 32) | ((uint64_t)(nhandles) << 40))
#define HM_TAG_LABEL(t)    ((uint32_t)(t))
#define HM_TAG_NWORDS(t)   ((unsigned)(((t) >> 32) & 0xff))
#define HM_TAG_NHANDLES(t) ((unsigned)(((t) >> 40) & 0x7))
#define HM_TAG_MOVE        (1ull << 43)

struct hm_ipc_buf {
    uint64_t words[HM_IPC_BUF_WORDS];
    hm_handle_t handles[HM_IPC_MAX_HANDLES];
};

/* Kernel-generated messages delivered to a process's supervisor endpoint.
 * A fault arrives as a call from the faulting thread; replying resumes it
 * (only useful after the cause was fixed), killing the process ends it. */
#define HM_MSG_FAULT 0xfa170000u
/* words: [0] thread id, [1] pc, [2] fault address, [3] kind, [4] ESR, [5] process id */
#define HM_FAULT_DATA      1  /* data abort (translation or permission) */
#define HM_FAULT_INSN      2  /* instruction abort */
#define HM_FAULT_UNDEF     3  /* undefined or illegal instruction */
#define HM_FAULT_ALIGN     4  /* PC or SP alignment */
#define HM_FAULT_BRK       5  /* brk instruction */
#define HM_FAULT_OTHER     6
/* Reply label to a fault: resume at the pc in word 0 (any other label
 * resumes at the faulting instruction, e.g. after mapping the page). */
#define HM_FAULT_RESUME_AT 0xfa170001u

/* ---- memory objects ---- */
#define HM_MEM_ANON    0  /* zeroed pages, not necessarily contiguous */
#define HM_MEM_CONTIG  1  /* physically contiguous, zeroed: for DMA; phys reported */
#define HM_MEM_DEVICE  2  /* a device MMIO range; created from a resource handle */

struct hm_mem_info {
    uint64_t size;
    uint64_t phys;   /* physical base for CONTIG and DEVICE, 0 for ANON */
    uint32_t kind;
    uint32_t pad;
};

/* ---- quotas (docs/syscalls.md "Quotas") ----
 * What a process may hold at once, counting what it created and what the
 * processes it created hold (a child's charges are its creator's too).
 * Memory: bytes of the anonymous and contiguous memory objects it created
 * and of its page tables; DMA: the contiguous part of that; handles: slots
 * in its table (not its own process handle); threads: its threads;
 * endpoints: the endpoints it created. Over a limit the call fails with
 * HM_ENOMEM and nothing else changes. */
enum { HM_QUOTA_MEM, HM_QUOTA_DMA, HM_QUOTA_HANDLES, HM_QUOTA_THREADS, HM_QUOTA_EPS, HM_QUOTA_N };
#define HM_QUOTA_UNLIMITED (~0ull)

struct hm_quota {
    uint64_t limit[HM_QUOTA_N];
    uint64_t used[HM_QUOTA_N];
    uint64_t refused[HM_QUOTA_N];   /* charges refused by this limit */
};

/* map permissions (subset of the handle's READ/WRITE/EXEC rights; W and X
 * together are refused: W^X) */
#define HM_MAP_R HM_R_READ
#define HM_MAP_W HM_R_WRITE
#define HM_MAP_X HM_R_EXEC

/* ---- resources ---- */
#define HM_RES_MMIO 1   /* physical address range [base, base+size) */
#define HM_RES_IRQ  2   /* interrupt numbers [base, base+size) */
#define HM_RES_ROOT 3   /* all device MMIO and IRQs the kernel does not use, and power-off */
#define HM_RES_MSI  4   /* MSI sources [base, base+size), numbered HM_MSI_SOURCE(devid, event) */
/* an MSI source: a device ID (a PCI function's requester ID, bus << 8 | devfn)
 * and an event (the index of the device's vector) */
#define HM_MSI_SOURCE(devid, event) ((uint64_t)(devid) << 16 | (event))

/* ---- IRQ control ---- */
#define HM_IRQ_ACK    0  /* end of handling: unmask the line again */
#define HM_IRQ_MASK   1
#define HM_IRQ_UNMASK 2
#define HM_IRQ_COUNT  3  /* -> interrupts delivered so far */

/* ---- handle_info result ---- */
struct hm_handle_info {
    uint32_t type;
    uint32_t rights;
    uint64_t badge;
    uint64_t koid;   /* kernel object id, unique for the boot */
    uint32_t handles;   /* handles to the object in all processes' tables, this one included:
                         * 1 = nobody else holds one (a block driver finds a dead client so) */
    uint32_t pad;
};

/* ---- process info (proc_wait) ---- */
#define HM_PROC_EXIT_KILLED  (-1000) /* exit status of a killed process */
#define HM_PROC_EXIT_FAULTED (-1001) /* unsupervised fault */

/* ---- system-call numbers ---- */
enum {
    HM_SYS_CONSOLE_WRITE = 0, /* (con, buf, len) -> len */
    HM_SYS_CONSOLE_READ,      /* (con, buf, len, deadline) -> n */
    HM_SYS_HANDLE_CLOSE,      /* (h) */
    HM_SYS_HANDLE_DUP,        /* (h, rights, badge) -> h2 */
    HM_SYS_HANDLE_INFO,       /* (h, struct hm_handle_info *) */
    HM_SYS_HANDLE_GIVE,       /* (proc, h, rights) -> handle in proc's table */
    HM_SYS_PROC_CREATE,       /* (name, len, supervisor ep or -1, limits[HM_QUOTA_N] or 0) -> proc */
    HM_SYS_PROC_KILL,         /* (proc) */
    HM_SYS_PROC_WAIT,         /* (proc, deadline) -> exit status in x1 */
    HM_SYS_PROC_EXIT,         /* (status) */
    HM_SYS_THREAD_CREATE,     /* (proc, entry, sp, arg, prio) -> thread (suspended) */
    HM_SYS_THREAD_RESUME,     /* (thread) */
    HM_SYS_THREAD_SWITCH,     /* (thread): run it, park the caller */
    HM_SYS_THREAD_PARK,       /* () park the caller until resumed or switched to */
    HM_SYS_THREAD_EXIT,       /* () */
    HM_SYS_THREAD_YIELD,      /* () */
    HM_SYS_THREAD_SET_PRIO,   /* (thread, prio) */
    HM_SYS_THREAD_KILL,       /* (thread) */
    HM_SYS_IPC_BUF_SET,       /* (va): this thread's struct hm_ipc_buf, 0 to clear */
    HM_SYS_EP_CREATE,         /* () -> ep */
    HM_SYS_CALL,              /* (ep, tag, w0..w5) -> x1 tag, x2..x7 words */
    HM_SYS_RECV,              /* (ep, deadline) -> x1 tag, x2..x7 words, x8 badge */
    HM_SYS_REPLY,             /* (tag, w0..w5) */
    HM_SYS_REPLY_RECV,        /* (ep, tag, w0..w5) -> as RECV (no deadline) */
    HM_SYS_NOTIF_CREATE,      /* () -> notif */
    HM_SYS_NOTIF_SIGNAL,      /* (notif, bits) */
    HM_SYS_NOTIF_WAIT,        /* (notif, deadline) -> 0, bits in x1 */
    HM_SYS_IRQ_CREATE,        /* (resource, irq, notif, bits, flags) -> irq */
    HM_SYS_IRQ_CTL,           /* (irq, op) */
    HM_SYS_MEM_CREATE,        /* (size, kind) -> mem */
    HM_SYS_MEM_DEVICE,        /* (resource, phys, size) -> mem */
    HM_SYS_MEM_INFO,          /* (mem, struct hm_mem_info *) */
    HM_SYS_VM_MAP,            /* (proc, mem, offset, size, va or 0, perms) -> va */
    HM_SYS_VM_UNMAP,          /* (proc, va) */
    HM_SYS_TIMER_CREATE,      /* (notif, bits) -> timer */
    HM_SYS_TIMER_SET,         /* (timer, deadline): one-shot; NEVER cancels */
    HM_SYS_SLEEP_UNTIL,       /* (deadline) */
    HM_SYS_RESOURCE_CREATE,   /* (resource, kind, base, size) -> narrower resource */
    HM_SYS_POWEROFF,          /* (root resource) */
    HM_SYS_KLOG_STATS,        /* (buf, len): kernel counters, text */
    HM_SYS_MSI_CREATE,        /* (resource, source, notif, bits) -> irq; x1 address, x2 data */
    HM_SYS_PROC_QUOTA,        /* (proc, struct hm_quota *) */
    HM_NSYSCALLS
};

/* irq_create flags: trigger mode; 0 keeps the device tree / reset default */
#define HM_IRQ_EDGE  1
#define HM_IRQ_LEVEL 2

#define HM_PRIO_MAX  31
#define HM_PRIO_IDLE 0

#endif
