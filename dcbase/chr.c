/*
 * Character device files, the host half (hm/chr.h). Clients open the nodes
 * chr_nodes.c published here (HM_CHR_OPEN) and their calls, written into the
 * shared memory they gave, reach Linux through dc_host_chr_fetch; the
 * answers come back through dc_host_chr_complete.
 *
 * A file slot goes: free -> reserved (the main thread fills it) -> active
 * (published: the CPU thread serves it) -> closing (the client closed it,
 * or died: seen by the reaper) -> free again once Linux released it. The
 * main thread writes a slot only while it is free or reserved; the CPU
 * thread frees it; "closing" is the one word others write (atomically).
 * No lock: the CPU thread runs below the main thread's priority, and a
 * yielding spin lock would starve it.
 *
 * Calls are checked here before Linux sees them; an ioctl's argument by
 * the rule of chr_ioctl.c. The nodes and their publishing: chr_nodes.c.
 */
#include "dcbase.h"
#include <dc_host.h>
#include <hm/chr.h>
#include <hm/dm.h>
#include <hm/vfs.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>

_Static_assert(DC_CHR_OPEN == HM_CHR_OP_OPEN && DC_CHR_READ == HM_CHR_OP_READ && DC_CHR_WRITE == HM_CHR_OP_WRITE &&
               DC_CHR_IOCTL == HM_CHR_OP_IOCTL && DC_CHR_POLL == HM_CHR_OP_POLL, "dc_host.h and hm/chr.h agree");

#define MAX_FILES 64
#define REAP_MS 100   /* how often the reaper looks for clients that died */

enum { F_FREE, F_RESERVED, F_ACTIVE };

static struct chr_file {
    volatile int state;
    volatile int closing;       /* the client closed it or died */
    uint32_t gen;               /* part of the file handle's badge */
    int node;
    uint32_t flags;
    uint64_t va, size;          /* the client's shared memory, mapped here */
    struct hm_chr_shared *sh;
    hm_handle_t client, proc;   /* its notification, its process */
    uint64_t done_bits, poll_bits;
    /* CPU thread only */
    int in_linux;               /* Linux opened it (or is opening it) and has not released it */
    int opened;                 /* the open was sent */
    int release_sent;
    int busy;                   /* a call is in Linux */
    uint32_t taken;             /* the last request number taken */
    uint32_t close_req;         /* the client's HM_CHR_OP_CLOSE: answered once Linux released it */
} files[MAX_FILES];
static unsigned next_file;   /* round robin */
static hm_handle_t reap_notif = HM_HANDLE_INVALID;

/* ---- Linux side (CPU thread) ---- */

static void answer(struct chr_file *f, uint32_t req, int64_t result)
{
    f->sh->result = result;
    __asm__ volatile("dmb ish" ::: "memory");   /* the result before the number */
    f->sh->done = req;
    hm_notif_signal(f->client, f->done_bits);
}

/* a closed file Linux holds nothing of: unmap, close, free (a close the
 * client waits for is answered first) */
static void file_free(struct chr_file *f)
{
    if (f->close_req)
        answer(f, f->close_req, 0);
    f->close_req = 0;
    hm_vm_unmap(HM_HANDLE_SELF_PROC, f->va);
    hm_handle_close(f->client);
    hm_handle_close(f->proc);
    f->in_linux = f->opened = f->release_sent = f->busy = 0;
    __asm__ volatile("dmb ish" ::: "memory");
    f->state = F_FREE;
}

/* the call a file's shared memory asks for: 1 and *c, 0 (nothing new, or
 * answered here) */
static int take_call(struct chr_file *f, int id, struct dc_chr_call *c)
{
    uint32_t req = f->sh->req;
    if (req == f->taken)
        return 0;
    f->taken = req;
    __asm__ volatile("dmb ish" ::: "memory");   /* the number before the arguments */
    uint32_t op = f->sh->op;   /* copies: the client may scribble */
    uint64_t a0 = f->sh->arg[0], a1 = f->sh->arg[1];
    *c = (struct dc_chr_call){ .file = id, .op = op, .arg = a0, .data = (uint8_t *)f->va + HM_CHR_DATA_OFF };
    int err = 0;
    if (op == HM_CHR_OP_CLOSE) {
        f->close_req = req;   /* released next (dc_host_chr_fetch), answered then */
        __atomic_store_n(&f->closing, 1, __ATOMIC_SEQ_CST);
        return 0;
    }
    if (op == HM_CHR_OP_MMAP) {
        dc_log_printf("dcbase: mmap of /dev/%s refused: no mapping is offered to clients\n",
                      dc_chr_nodes[f->node].name);
        err = -ENODEV;   /* what Linux answers for a file without mmap */
    } else if (!f->in_linux)
        err = -EBADF;   /* its open failed */
    else if ((op == HM_CHR_OP_READ || op == HM_CHR_OP_WRITE) && a0 > HM_CHR_DATA_MAX)
        err = -EINVAL;
    else if (op == HM_CHR_OP_IOCTL) {
        err = a0 > UINT32_MAX ? -ENOTTY : dc_chr_ioctl_rule((uint32_t)a0, c);
        c->iarg = a1;
    } else if (op != HM_CHR_OP_READ && op != HM_CHR_OP_WRITE && op != HM_CHR_OP_POLL)
        err = -EINVAL;
    if (err) {
        answer(f, req, err);
        return 0;
    }
    f->busy = 1;
    return 1;
}

/* a file of node n being released: opens of n wait for it (as a process's
 * files are closed before its parent hears it died) */
static int releasing(int n)
{
    for (int i = 0; i < MAX_FILES; i++)
        if (files[i].state == F_ACTIVE && files[i].node == n && files[i].closing && files[i].in_linux)
            return 1;
    return 0;
}

int dc_host_chr_fetch(struct dc_chr_call *c)
{
    for (unsigned k = 0; k < MAX_FILES; k++) {
        int id = (int)((next_file + k) % MAX_FILES);
        struct chr_file *f = &files[id];
        if (f->state != F_ACTIVE)
            continue;
        /* the client's next request (a close makes the file closing) */
        if (!f->closing && f->opened && !f->busy && take_call(f, id, c)) {
            next_file = (unsigned)id + 1;
            return 1;
        }
        if (f->closing) {
            if (!f->in_linux) {
                file_free(f);
            } else if (!f->release_sent) {
                f->release_sent = 1;
                *c = (struct dc_chr_call){ .file = id, .op = DC_CHR_RELEASE };
                next_file = (unsigned)id + 1;
                return 1;
            }
            continue;
        }
        if (!f->opened && !releasing(f->node)) {
            f->opened = f->in_linux = f->busy = 1;
            f->taken = 1;
            dc_chr_nodes[f->node].open++;
            *c = (struct dc_chr_call){ .file = id, .node = f->node, .op = DC_CHR_OPEN, .flags = f->flags };
            next_file = (unsigned)id + 1;
            return 1;
        }
    }
    return 0;
}

void dc_host_chr_complete(int id, long long result)
{
    if (id < 0 || id >= MAX_FILES || files[id].state != F_ACTIVE)
        return;
    struct chr_file *f = &files[id];
    f->busy = 0;
    answer(f, f->taken, result);
    hm_notif_signal(dc_events, DC_EV_CHR);   /* a request queued meanwhile goes now */
}

void dc_host_chr_released(int id)
{
    if (id < 0 || id >= MAX_FILES || files[id].state != F_ACTIVE || !files[id].in_linux)
        return;
    struct chr_file *f = &files[id];
    f->in_linux = 0;
    dc_chr_nodes[f->node].open--;
    if (f->closing)
        file_free(f);
    /* else the open failed: the slot is freed once the client closes it */
    hm_notif_signal(dc_events, DC_EV_CHR);   /* an open that waited for this release goes now */
}

void dc_host_chr_wake(int id)
{
    if (id >= 0 && id < MAX_FILES && files[id].state == F_ACTIVE && !files[id].closing)
        hm_notif_signal(files[id].client, files[id].poll_bits);
}

/* ---- control requests (main thread; main.c's table) ---- */

static struct dc_chr_node *node_of(uint64_t badge, int *id)
{
    uint64_t i = badge & ~DC_CHR_BADGE;
    if (i >= DC_CHR_MAX_NODES || dc_chr_nodes[i].state != 2)
        return NULL;
    *id = (int)i;
    return &dc_chr_nodes[i];
}

static int file_of(uint64_t badge)
{
    uint64_t i = badge & 0xffff;
    if (i >= MAX_FILES || files[i].state != F_ACTIVE || files[i].gen != ((badge >> 16) & 0x3fff))
        return -1;
    return (int)i;
}

/* the files of clients that died are closed (reaper thread and OPEN) */
static void reap(void)
{
    int dead = 0;
    for (int i = 0; i < MAX_FILES; i++) {
        struct chr_file *f = &files[i];
        uint32_t gen = f->gen;
        hm_handle_t p = f->proc;
        int64_t status;
        if (f->state != F_ACTIVE || f->closing)
            continue;
        if (hm_proc_wait(p, HM_DEADLINE_POLL, &status) != 0)
            continue;   /* alive (ETIMEDOUT), or the slot changed under us */
        if (f->gen == gen && f->state == F_ACTIVE && !__atomic_exchange_n(&f->closing, 1, __ATOMIC_SEQ_CST)) {
            dc_log_printf("dcbase: a client with /dev/%s open ended: its file is released\n",
                          dc_chr_nodes[f->node].name);
            dead = 1;
        }
    }
    if (dead)
        hm_notif_signal(dc_events, DC_EV_CHR);
}

static void *reaper(void *arg)
{
    (void)arg;
    for (;;) {
        uint64_t bits;
        int any = 0;
        for (int i = 0; i < MAX_FILES && !any; i++)
            any = files[i].state == F_ACTIVE && !files[i].closing;
        /* no file open: sleep until an open wakes us */
        hm_notif_wait(reap_notif, any ? hm_deadline_ms(REAP_MS) : HM_DEADLINE_NEVER, &bits);
        reap();
    }
    return NULL;
}

void dc_chr_start(void)
{
    static struct hm_thread t;
    long n = hm_notif_create();
    reap_notif = n < 0 ? HM_HANDLE_INVALID : (hm_handle_t)n;
    if (n < 0 || hm_thread_start(&t, reaper, NULL, DC_PRIO_SERVICE, 1) < 0)
        dc_log_printf("dcbase: cannot start the reaper: files of clients that die stay open\n");
}

/* HM_CHR_OPEN on a node's handle: h[0] memory, h[1] notification, h[2] process */
int dc_chr_open(struct hm_srv_req *r)
{
    int nid, id = -1;
    struct dc_chr_node *n = node_of(r->m.badge, &nid);
    struct hm_mem_info mi;
    struct hm_handle_info ni, pi;
    uint64_t flags = r->m.w[0], done_bits = r->m.w[1], poll_bits = r->m.w[2];
    if (!n)
        return -ENODEV;
    if ((flags & ~(uint64_t)HM_CHR_O_ALLOWED) || (flags & HM_CHR_O_ACCMODE) == HM_CHR_O_ACCMODE || !done_bits ||
        !poll_bits)
        return -EINVAL;
    if (hm_handle_info(r->h[1], &ni) < 0 || ni.type != HM_OBJ_NOTIF || !(ni.rights & HM_R_SIGNAL) ||
        hm_handle_info(r->h[2], &pi) < 0 || pi.type != HM_OBJ_PROC || !(pi.rights & HM_R_READ) ||
        (pi.rights & HM_R_MANAGE))
        return -EINVAL;   /* we signal the one, wait for the other's end, and may do nothing more */
    if (hm_mem_info(r->h[0], &mi) < 0 || mi.size < HM_CHR_SHM_SIZE || mi.kind == HM_MEM_DEVICE)
        return -EFAULT;   /* no memory to hold the calls */
    reap();   /* a client that died with the node open: its release runs first */
    for (int i = 0; i < MAX_FILES && id < 0; i++)
        if (files[i].state == F_FREE)
            id = i;
    if (id < 0)
        return -ENFILE;
    long va = hm_vm_map(HM_HANDLE_SELF_PROC, r->h[0], 0, HM_CHR_SHM_SIZE, 0, HM_MAP_R | HM_MAP_W);
    if (va < 0)
        return -EFAULT;
    struct chr_file *f = &files[id];
    f->state = F_RESERVED;
    f->closing = 0;
    f->gen = (f->gen + 1) & 0x3fff;
    f->node = nid;
    f->flags = (uint32_t)flags;
    f->va = (uint64_t)va;
    f->size = HM_CHR_SHM_SIZE;
    f->sh = (struct hm_chr_shared *)va;
    *f->sh = (struct hm_chr_shared){ .magic = HM_CHR_MAGIC, .req = 1, .op = HM_CHR_OP_OPEN };
    f->done_bits = done_bits;
    f->poll_bits = poll_bits;
    long db = hm_handle_dup(dc_bell, HM_R_SIGNAL | HM_R_GRANT, 0);
    long fh = hm_handle_dup(dc_ep, HM_R_SEND | HM_R_GRANT, DC_FILE_BADGE | (uint64_t)f->gen << 16 | (uint64_t)id);
    if (db < 0 || fh < 0) {
        if (db >= 0)
            hm_handle_close((hm_handle_t)db);
        if (fh >= 0)
            hm_handle_close((hm_handle_t)fh);
        hm_vm_unmap(HM_HANDLE_SELF_PROC, (uint64_t)va);
        f->state = F_FREE;
        return -ENOMEM;
    }
    f->client = r->h[1];
    f->proc = r->h[2];
    r->h[1] = r->h[2] = HM_HANDLE_INVALID;   /* kept; the memory's handle is closed: the mapping keeps it */
    __asm__ volatile("dmb ish" ::: "memory");
    f->state = F_ACTIVE;
    hm_notif_signal(dc_events, DC_EV_CHR);
    hm_notif_signal(reap_notif, 1);
    r->buf->handles[0] = (hm_handle_t)db;
    r->buf->handles[1] = (hm_handle_t)fh;
    r->reply_handles = 2;
    r->reply_move = 1;
    return 0;
}

/* HM_CHR_CLOSE on a file handle */
int dc_chr_close(struct hm_srv_req *r)
{
    int id = file_of(r->m.badge);
    if (id < 0 || __atomic_exchange_n(&files[id].closing, 1, __ATOMIC_SEQ_CST))
        return -EBADF;
    hm_notif_signal(dc_events, DC_EV_CHR);
    return 0;
}

/* HM_CHR_STAT on a node's handle, or on a file's (its node) */
int dc_chr_stat(struct hm_srv_req *r)
{
    int nid = -1;
    if (r->caller == DC_FROM_FILE) {
        int id = file_of(r->m.badge);
        if (id < 0)
            return -EBADF;
        nid = files[id].node;
    } else if (!node_of(r->m.badge, &nid) && !((r->m.badge & ~DC_CHR_BADGE) < DC_CHR_MAX_NODES &&
                                                dc_chr_nodes[nid = (int)(r->m.badge & ~DC_CHR_BADGE)].state == 3)) {
        return -ENODEV;
    }
    r->m.w[0] = (uint64_t)dc_chr_nodes[nid].open;
    r->m.w[1] = dc_chr_nodes[nid].state == 3;
    return 0;
}
