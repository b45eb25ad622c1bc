/*
 * Kernel objects. Every object starts with struct kobj: its type, a
 * reference count (handles, mappings, bindings and blocked threads each hold
 * one) and a boot-unique id. When the count drops to zero the type's
 * destructor frees it.
 */
#ifndef KERNEL_OBJECT_H
#define KERNEL_OBJECT_H
#include <kernel/kernel.h>
#include <kernel/list.h>
#include <kernel/htab.h>
#include <kernel/vm.h>
#include <arch/frame.h>

struct kobj {
    uint32_t type;
    uint32_t refs;
    uint64_t koid;
    uint32_t handles;   /* handles to it in all tables (a process's own handle 0 not counted) */
};

void obj_init(struct kobj *o, uint32_t type);
static inline void obj_ref(struct kobj *o) { o->refs++; }
void obj_unref(struct kobj *o);

/* ---- quotas (quota.c): a process's limits and what it holds against them.
 * Each process has one; a child's quota is charged along with its
 * creator's, up to the root (init's, unlimited). Objects that outlive
 * their creator hold a reference to the quota they were charged to. */
struct quota {
    uint32_t refs;
    struct quota *parent;
    uint64_t limit[HM_QUOTA_N];
    uint64_t used[HM_QUOTA_N];
    uint64_t refused[HM_QUOTA_N];
    char name[16];       /* its process's, for the log */
};
struct quota *quota_create(struct quota *parent, const uint64_t *limit, const char *name);
static inline void quota_ref(struct quota *q) { q->refs++; }
void quota_put(struct quota *q);
int quota_charge(struct quota *q, unsigned kind, uint64_t n);   /* 0 or -HM_ENOMEM */
void quota_uncharge(struct quota *q, unsigned kind, uint64_t n);
extern struct quota quota_root;

/* ---- timeouts: sorted list of absolute deadlines ---- */
struct timeout {
    struct list link;
    uint64_t deadline;
    void (*fire)(struct timeout *);
    bool armed;
};
void timeout_arm(struct timeout *t, uint64_t deadline);
void timeout_cancel(struct timeout *t);
void timeouts_run(uint64_t now);
void timer_reprogram(void);

/* ---- memory objects ---- */
struct memobj {
    struct kobj o;
    uint32_t kind;        /* HM_MEM_* */
    uint64_t size;        /* bytes, page multiple */
    uint64_t phys;        /* CONTIG / DEVICE base */
    uint64_t *pages;      /* ANON: physical page of each page */
    bool borrowed;        /* CONTIG over memory the kernel does not own (boot image) */
    struct quota *quota;  /* charged for its pages; NULL = not charged (device, borrowed) */
};
/* charged to q (NULL: not charged) for ANON and CONTIG pages */
struct memobj *memobj_create(uint32_t kind, uint64_t size, uint64_t phys, struct quota *q, int *err);
uint64_t memobj_page(struct memobj *m, uint64_t off);   /* physical address of a page */

/* ---- IPC ---- */
struct xfer_handle {            /* a handle in flight; it holds a reference */
    struct kobj *obj;
    uint32_t rights;
    uint64_t badge;
};

struct ipc_msg {
    uint64_t tag;
    uint64_t w[HM_IPC_INLINE_WORDS];
    uint64_t extra[HM_IPC_BUF_WORDS];
    struct xfer_handle h[HM_IPC_MAX_HANDLES];
    uint64_t badge;
};

struct endpoint {
    struct kobj o;
    struct list senders;     /* threads blocked in call, FIFO */
    struct list receivers;   /* threads blocked in recv */
    uint32_t recv_handles;   /* live handles with RECV right; 0 = closed */
    bool closed;
    struct list close_link;  /* closed, queues not yet emptied (ipc.c) */
    struct quota *quota;     /* its creator's, charged one endpoint */
};

struct notif {
    struct kobj o;
    uint64_t bits;
    struct list waiters;
};
void notif_signal(struct notif *n, uint64_t bits);

/* ---- processes and threads ---- */
enum tstate {
    T_NEW, T_READY, T_RUNNING, T_PARKED,
    T_SEND, T_REPLY, T_RECV, T_NOTIF, T_SLEEP, T_PROCWAIT, T_CONSOLE,
    T_DEAD
};

struct proc;

struct thread {
    struct kobj o;
    struct arch_ctx ctx;
    /* resume from the trap frame, whatever ctx holds: set by the fast paths,
     * which block a thread without saving a kernel context (fastpath.c) */
    bool ctx_from_frame;
    struct trapframe *tf;
    void *kstack;
    struct proc *proc;           /* NULL for the idle thread */
    struct list proc_link;
    struct list qlink;           /* run queue or a wait queue */
    struct list *queue;          /* which one, NULL if none */
    struct timeout to;
    enum tstate state;
    int prio;
    uint64_t tpidr;
    uint64_t tid;
    /* IPC */
    struct thread *reply_to;     /* caller waiting for this thread's reply */
    struct thread *reply_from;   /* server this thread waits on */
    struct kobj *wait_obj;       /* object ref held while blocked on it */
    uint64_t ipc_buf;            /* user va of struct hm_ipc_buf, 0 = none */
    bool in_fault;               /* blocked on its supervisor for a fault */
    bool msg_staged;             /* msg.tag/w hold the outgoing inline words (kernel message) */
    uint32_t nstaged_h;          /* handles in msg.h taken from the sender, not yet delivered */
    struct ipc_msg msg;
    struct fpstate fp;
    bool fp_used;
    struct list zombie_link;
    struct list live_link;       /* thread_live: for a debugger (scripts/gdb-threads.py) */
    struct quota *quota;         /* its process's, charged one thread; NULL for kernel threads */
};
/* every thread not yet dead, for a debugger to walk (nothing in the kernel reads it) */
extern struct list thread_live;

struct proc {
    struct kobj o;
    char name[32];
    struct htab handles;
    struct vspace vs;
    struct quota *quota;         /* what it and the processes it creates may hold */
    struct list threads;
    uint32_t nthreads;
    struct endpoint *sup;        /* supervisor endpoint for faults, may be NULL */
    uint64_t sup_badge;
    bool dead;
    int64_t exit_status;
    struct list waiters;         /* threads in proc_wait */
    struct list orphan_link;     /* on the list of processes to terminate (fault.c) */
    bool orphaned;
    struct list dying_link;      /* unreferenced, waiting to be terminated (object.c) */
};

struct irqobj {
    struct kobj o;
    uint32_t irq;
    struct notif *notif;
    uint64_t bits;
    bool masked;
    bool edge;      /* edge-triggered: not masked when it fires (see irq.c) */
    bool msi;       /* made by msi_create: its INTID goes back to the MSI controller */
    uint64_t count; /* interrupts delivered */
};

struct timerobj {
    struct kobj o;
    struct notif *notif;
    uint64_t bits;
    struct timeout to;
};

struct resource {
    struct kobj o;
    uint32_t kind;   /* HM_RES_* */
    uint64_t base, size;
};

struct console {
    struct kobj o;
    char rx[4096];   /* typed or pasted input not yet read: a scripted console (tests, `printf ... | make run`) sends a whole script at once */
    uint32_t head, tail;
    struct list readers;
};
extern struct console the_console;

/* handles (handle.c) */
int32_t handle_install(struct proc *p, struct kobj *o, uint32_t rights, uint64_t badge);
int handle_get(struct proc *p, int32_t h, uint32_t type, uint32_t rights, struct hslot **out);
int handle_close(struct proc *p, int32_t h);
void handle_table_clear(struct proc *p);

/* processes (proc.c) */
struct proc *proc_create(const char *name, size_t len, struct endpoint *sup, uint64_t badge,
                         struct quota *parent, const uint64_t *limit, int *err);
void proc_terminate(struct proc *p, int64_t status);

/* threads (thread.c) */
struct thread *thread_create(struct proc *p, uint64_t entry, uint64_t sp, uint64_t arg, int prio, int *err);
struct thread *thread_create_kernel(void (*fn)(void *), void *arg, int prio);
void thread_kill(struct thread *t);
void thread_reap_zombies(void);
void thread_unblock(struct thread *t, int64_t result);   /* leave a wait, set x0, make ready */
void thread_block(enum tstate st, struct list *q, struct kobj *obj, uint64_t deadline);
/* a kernel context that returns to user from the trap frame: thread_entry
 * with x19 = 0 (a user thread) and sp at the frame */
static inline void thread_ctx_from_frame(struct thread *t)
{
    t->ctx.sp = (uint64_t)t->tf;
    t->ctx.x19_x30[0] = 0;                       /* x19 = 0: a user thread */
    t->ctx.x19_x30[11] = (uint64_t)thread_entry; /* x30 */
}

/* scheduler (sched.c) */
void sched_init(void);
void sched_ready(struct thread *t);
void sched_dequeue(struct thread *t);
void schedule(void);
void sched_yield(void);
void sched_switch_to(struct thread *t);   /* current is already not runnable */
/* fast paths entered from the exception vector (fastpath.c); NULL: take
 * the general path */
struct trapframe *ipc_call_fastpath(struct trapframe *tf);
struct trapframe *ipc_reply_recv_fastpath(struct trapframe *tf);
struct trapframe *thread_switch_fastpath(struct trapframe *tf);
/* FP/SIMD registers switch lazily: EL0 traps on first use (CPACR_EL1.FPEN
 * = 01) unless the incoming thread already owns the register file. */
static inline void fp_trap_set_nosync(bool trap)
{
    uint64_t v = trap ? (1ull << 20) : (3ull << 20);
    __asm__ volatile("msr cpacr_el1, %0" :: "r"(v));
}
static inline void fp_trap_set(bool trap)
{
    fp_trap_set_nosync(trap);
    __asm__ volatile("isb");
}
/* no ready thread outranks t (equal priority is fine): t may run at once */
static inline bool sched_can_direct(const struct thread *t) { return (kcpu.runq_bitmap >> t->prio) <= 1; }
void sched_tick(uint64_t now);
void sched_start(void) __attribute__((noreturn));

/* IPC (ipc.c) */
void ipc_cancel(struct thread *t);          /* unlink t from IPC partners, for kill */
void ipc_endpoint_close(struct endpoint *ep);
int ipc_fault_send(struct thread *t, uint64_t kind, uint64_t addr, uint64_t esr);
void ipc_release_staged(struct thread *t);

/* IRQs (irq.c) */
void irq_dispatch(uint32_t intid);

/* console (console.c) */
void console_rx_irq(void);

/* fault kinds raised by traps (fault.c) */
void fault_user(struct thread *t, uint32_t kind, uint64_t addr, uint64_t esr);
void fault_orphaned(struct thread *t);
void fault_reap_orphans(void);
#endif
