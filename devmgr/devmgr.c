/*
 * devmgr: the device manager. It reads the board from the device tree
 * (libfdt), probes the virtio-mmio slots, reads which container drives
 * which kind of device from devices.conf in the boot image, starts each
 * container with exactly its device's MMIO page and interrupt, supervises
 * it (a fault stops it and is recorded), and answers HM_DM_LSDEV and
 * HM_DM_DMESG (hm/dm.h). Containers publish their /dev nodes through it
 * (HM_DM_REGISTER, forwarded to vfs) and say HM_DM_READY when probed.
 *
 * Handles: "root" (resources), "dtb", "bootimg", "dm" (its endpoint, RECV),
 * "vfs" (optional). Argument: conf=NAME reads NAME instead of devices.conf.
 */
#include <hm/hm.h>
#include <hm/dm.h>
#include <hm/vfs.h>
#include <hm/bootimg.h>
#include <libfdt.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MAX_DEVS 48
#define FAULT_BADGE 0x1000   /* supervisor badges: FAULT_BADGE + device index */
/* Badges of the "dm" handles containers get: CONTAINER_BADGE + device index.
 * Clients (the shell, lsdev) hold badge 0 handles, so only a container can
 * register nodes or say it is ready, and only for its own device. */
#define CONTAINER_BADGE 0x2000

struct dev {
    struct hm_dm_dev info;
    char program[32];       /* what runs its container: kept to start it again */
    int node;               /* its node in the board's device tree */
    uint64_t phys;
    uint32_t irq;
    int state, restarts;    /* state: written by the main and the fault thread */
    int nodes;              /* /dev nodes its container registered; info.node is the first */
    hm_handle_t proc, ep;   /* the container and its endpoint (SEND) */
};

static struct dev devs[MAX_DEVS];
static int ndevs;
static hm_handle_t root, dm_ep, vfs_ep;
/* Faults arrive on an endpoint of their own, served by their own thread:
 * the main thread may be waiting on a container (asking for its log) when
 * that container faults, and must not be the one that has to answer the
 * fault. */
static hm_handle_t fault_ep;
static const void *board_fdt;
#define DMA_BUDGET (256 * 1024)   /* contiguous memory each container gets for DMA rings */
static int nblk;   /* block nodes named so far: vda, vdb, ... as Linux names them */
static struct hm_ipc_buf ipcbuf;

/* bounded copy; names are cut, never overflow */
static void set(char *dst, size_t n, const char *src)
{
    size_t l = strnlen(src, n - 1);
    memcpy(dst, src, l);
    dst[l] = 0;
}

static struct dev *add(const char *name, const char *compat, const char *kind, uint64_t phys, uint32_t irq)
{
    if (ndevs == MAX_DEVS)
        return NULL;
    struct dev *d = &devs[ndevs++];
    set(d->info.name, sizeof d->info.name, name);
    set(d->info.compatible, sizeof d->info.compatible, compat);
    set(d->info.kind, sizeof d->info.kind, kind);
    d->phys = phys;
    d->irq = irq;
    d->proc = d->ep = HM_HANDLE_INVALID;
    return d;
}

static int reg_of(const void *fdt, int node, uint64_t *addr)
{
    int len;
    const fdt32_t *p = fdt_getprop(fdt, node, "reg", &len);
    int ac = fdt_address_cells(fdt, fdt_parent_offset(fdt, node));
    if (!p || ac < 1 || ac > 2 || len < ac * 4)
        return -1;
    *addr = ac == 2 ? ((uint64_t)fdt32_to_cpu(p[0]) << 32) | fdt32_to_cpu(p[1]) : fdt32_to_cpu(p[0]);
    return 0;
}

static uint32_t irq_of(const void *fdt, int node)
{
    int len;
    const fdt32_t *p = fdt_getprop(fdt, node, "interrupts", &len);
    if (!p || len < 12)
        return 0;
    return fdt32_to_cpu(p[1]) + (fdt32_to_cpu(p[0]) == 0 ? 32 : 16);   /* GIC SPI / PPI */
}

/* every populated virtio-mmio slot and the PCIe host */
static void scan(const void *fdt)
{
    for (int node = fdt_node_offset_by_compatible(fdt, -1, "virtio,mmio"); node >= 0;
         node = fdt_node_offset_by_compatible(fdt, node, "virtio,mmio")) {
        uint64_t pa;
        if (reg_of(fdt, node, &pa))
            continue;
        long m = hm_mem_device(root, pa & ~0xfffull, 4096);
        long va = m < 0 ? m : hm_vm_map(HM_HANDLE_SELF_PROC, (hm_handle_t)m, 0, 4096, 0, HM_MAP_R);
        if (va < 0) {
            printf("devmgr: cannot map %s: %s\n", fdt_get_name(fdt, node, NULL), hm_strerror(va));
            continue;
        }
        volatile uint32_t *r = (volatile uint32_t *)(va + (pa & 0xfff));
        uint32_t magic = r[0], id = r[2];
        hm_vm_unmap(HM_HANDLE_SELF_PROC, (uint64_t)va);
        hm_handle_close((hm_handle_t)m);
        if (magic != 0x74726976 || id == 0)
            continue;   /* empty slot */
        char name[32], kind[32];
        snprintf(name, sizeof name, "virtio-mmio@%lx", (unsigned long)pa);
        if (id == 2)
            snprintf(kind, sizeof kind, "block");
        else
            snprintf(kind, sizeof kind, "virtio-%u", id);
        struct dev *d = add(name, "virtio,mmio", kind, pa, irq_of(fdt, node));
        if (d)
            d->node = node;
    }
    int node = fdt_node_offset_by_compatible(fdt, -1, "pci-host-ecam-generic");
    uint64_t pa;
    if (node >= 0 && !reg_of(fdt, node, &pa)) {
        char name[32];
        snprintf(name, sizeof name, "pcie@%lx", (unsigned long)pa);
        struct dev *d = add(name, "pci-host-ecam-generic", "pci-host", pa, 0);
        if (d)
            d->node = node;
    }
}

/* A copy of the board's device tree from which every virtio-mmio slot and
 * the PCIe host the container does not drive are deleted, so that a Linux
 * container's own OF code probes only its own among them (the kernel's
 * UART and GIC and unassigned platform devices stay described). */
static long filtered_dtb(const struct dev *d)
{
    int size = (int)fdt_totalsize(board_fdt);
    long mem = hm_mem_create(((uint64_t)size + 4095) & ~4095ull, HM_MEM_ANON);
    long va = mem < 0 ? mem : hm_vm_map(HM_HANDLE_SELF_PROC, (hm_handle_t)mem, 0, ((uint64_t)size + 4095) & ~4095ull, 0,
                                        HM_MAP_R | HM_MAP_W);
    if (va < 0 || fdt_open_into(board_fdt, (void *)va, size)) {
        if (mem >= 0)
            hm_handle_close((hm_handle_t)mem);
        return -ENOMEM;
    }
    void *fdt = (void *)va;
    const char *keep = fdt_get_name(board_fdt, d->node, NULL);
    static const char *const compats[] = { "virtio,mmio", "pci-host-ecam-generic" };
    for (unsigned c = 0; c < 2; c++) {
        int node = fdt_node_offset_by_compatible(fdt, -1, compats[c]);
        while (node >= 0) {
            const char *name = fdt_get_name(fdt, node, NULL);
            if (keep && name && !strcmp(name, keep)) {
                node = fdt_node_offset_by_compatible(fdt, node, compats[c]);
                continue;
            }
            fdt_del_node(fdt, node);   /* offsets shift: search again from the start */
            node = fdt_node_offset_by_compatible(fdt, -1, compats[c]);
            if (node >= 0 && keep && !strcmp(fdt_get_name(fdt, node, NULL), keep))
                node = fdt_node_offset_by_compatible(fdt, node, compats[c]);
        }
    }
    fdt_pack(fdt);
    hm_vm_unmap(HM_HANDLE_SELF_PROC, (uint64_t)va);
    return mem;
}

static int start_container(struct dev *d, int idx, const char *program)
{
    set(d->program, sizeof d->program, program);
    uint64_t page = d->phys & ~0xfffull;
    long mmio = hm_mem_device(root, page, 4096);
    long irqres = hm_resource_create(root, HM_RES_IRQ, d->irq, 1);
    long ep = hm_ep_create();
    long sup = hm_handle_dup(fault_ep, HM_R_SEND | HM_R_GRANT, FAULT_BADGE + (uint64_t)idx);
    /* its line back to us: the badge tells us which device's container calls */
    long dmh = hm_handle_dup(dm_ep, HM_R_SEND | HM_R_GRANT, CONTAINER_BADGE + (uint64_t)idx);
    long dtb = filtered_dtb(d);
    long dma = hm_mem_create(DMA_BUDGET, HM_MEM_CONTIG);
    const long got[] = { mmio, irqres, ep, sup, dmh, dtb, dma };
    int err = 0;
    for (unsigned i = 0; i < sizeof got / sizeof got[0]; i++)
        if (got[i] < 0)
            err = -ENOMEM;
    long p = -1;
    char off[16], irq[16];
    snprintf(off, sizeof off, "%lx", (unsigned long)(d->phys & 0xfff));
    snprintf(irq, sizeof irq, "%u", d->irq);
    const char *argv[] = { program, off, irq, NULL };
    struct hm_spawn_handle hs[6] = { { "mmio", (hm_handle_t)mmio, HM_R_READ | HM_R_WRITE | HM_R_MAP },
                                     { "irqres", (hm_handle_t)irqres, HM_R_MANAGE },
                                     { "ep", (hm_handle_t)ep, HM_R_RECV | HM_R_SEND | HM_R_DUP | HM_R_GRANT },
                                     { "dtb", (hm_handle_t)dtb, HM_R_READ | HM_R_MAP },
                                     { "dma", (hm_handle_t)dma, HM_R_READ | HM_R_WRITE | HM_R_MAP },
                                     { "dm", (hm_handle_t)dmh, HM_R_SEND | HM_R_GRANT } };
    if (!err) {
        p = hm_spawn(program, argv, hs, 6, (hm_handle_t)sup, HM_PRIO_MAX - 3);
        if (p < 0)
            printf("devmgr: cannot start %s: %s\n", program, hm_strerror(p));
    }
    /* the container has its own copies now (or never will): drop ours */
    for (unsigned i = 0; i < sizeof got / sizeof got[0]; i++)
        if (got[i] >= 0 && got[i] != ep)
            hm_handle_close((hm_handle_t)got[i]);
    if (err || p < 0) {
        if (ep >= 0)
            hm_handle_close((hm_handle_t)ep);
        return err ? err : -EIO;
    }
    d->proc = (hm_handle_t)p;
    long sep = hm_handle_dup((hm_handle_t)ep, HM_R_SEND | HM_R_GRANT | HM_R_DUP, 0);
    hm_handle_close((hm_handle_t)ep);   /* only the container receives */
    /* without it we cannot ask for the log; the container still runs */
    d->ep = sep < 0 ? HM_HANDLE_INVALID : (hm_handle_t)sep;
    return 0;
}

/* devices.conf (or the file named by "conf=NAME"): "driver KIND DRIVER CONTAINER PROGRAM" */
static void assign(const char *file)
{
    const void *conf;
    size_t len;
    if (hm_bootimg_find(hm_bootimg(NULL), file, &conf, &len)) {
        printf("devmgr: no %s in the boot image: no drivers started\n", file);
        return;
    }
    char *text = malloc(len + 1);
    if (!text)
        return;
    memcpy(text, conf, len);
    text[len] = 0;
    for (char *save, *line = strtok_r(text, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
        char kind[16], driver[24], container[16], program[32];
        if (line[0] == '#' || sscanf(line, "driver %15s %23s %15s %31s", kind, driver, container, program) != 4)
            continue;
        for (int i = 0; i < ndevs; i++) {
            struct dev *d = &devs[i];
            if (strcmp(d->info.kind, kind) || d->info.driver[0])
                continue;
            set(d->info.driver, sizeof d->info.driver, driver);
            set(d->info.container, sizeof d->info.container, container);
            /* starting until the container says HM_DM_READY: it registers its
             * nodes itself, through our main loop, so we must not wait here.
             * Set before the spawn: a fault right after it must not be
             * overwritten. */
            d->state = HM_DM_STARTING;
            int err = start_container(d, i, program);
            if (err)
                d->state = HM_DM_FAILED;
            printf("devmgr: %s: %s in %s%s\n", d->info.name, driver, container, err ? ": failed to start" : "");
        }
    }
    free(text);
}

static void fault(struct hm_msg *m);

static void *fault_loop(void *arg)
{
    (void)arg;
    for (;;) {
        struct hm_msg m;
        if (hm_recv(fault_ep, &m, HM_DEADLINE_NEVER) < 0) {
            hm_sleep_until(hm_deadline_ms(10));   /* never spin on an error */
            continue;
        }
        if (HM_TAG_LABEL(m.tag) == HM_MSG_FAULT && m.badge >= FAULT_BADGE &&
            m.badge < FAULT_BADGE + (uint64_t)ndevs)
            fault(&m);   /* kills the container: the faulting caller goes with it */
    }
    return NULL;
}

static void fault(struct hm_msg *m)
{
    int idx = (int)(m->badge - FAULT_BADGE);
    struct dev *d = &devs[idx];
    printf("devmgr: container %s faulted (pc 0x%lx, address 0x%lx): stopped\n", d->info.container,
           (unsigned long)m->w[1], (unsigned long)m->w[2]);
    hm_proc_kill(d->proc);
    __atomic_store_n(&d->state, HM_DM_FAULTED, __ATOMIC_SEQ_CST);   /* races with READY: see ready() */
}

/* the device whose container holds the "dm" handle with this badge, or NULL */
static struct dev *container_of_badge(uint64_t badge)
{
    if (badge < CONTAINER_BADGE || badge >= CONTAINER_BADGE + (uint64_t)ndevs)
        return NULL;
    return &devs[badge - CONTAINER_BADGE];
}

/* HM_DM_REGISTER from d's container: the name in the IPC buffer's words (nw
 * of them), w0 type, w1 size, h the driver endpoint (ours to close). Publishes
 * /dev/NAME in vfs; on success the name used is in the buffer's words and
 * *nw_out says how many. Returns 0 or a positive errno. */
static int register_node(struct dev *d, struct hm_msg *m, unsigned nw, hm_handle_t h, unsigned *nw_out)
{
    /* the name must end inside what was sent: the rest of the buffer holds
     * whatever an earlier message left there */
    size_t avail = (size_t)nw * 8 < HM_DM_NAME_MAX ? (size_t)nw * 8 : HM_DM_NAME_MAX;
    const char *sent = (const char *)ipcbuf.words;
    size_t len = strnlen(sent, avail);
    if (len == avail)
        return EINVAL;   /* no NUL within HM_DM_NAME_MAX bytes of what was sent */
    char name[HM_DM_NAME_MAX];
    memcpy(name, sent, len + 1);
    for (size_t i = 0; i < len; i++)
        if (!((name[i] >= 'a' && name[i] <= 'z') || (name[i] >= '0' && name[i] <= '9')))
            return EINVAL;   /* a name in /dev, not a path: no '/', no "..", nothing odd */
    if (m->w[0] != HM_VFS_BLK)
        return EINVAL;   /* the only kind of node drivers publish; vfs would take any type */
    if (h < 0)
        return EINVAL;
    if (vfs_ep < 0)
        return ENOTSUP;   /* started without vfs: there is nowhere to publish */
    int named = !len;
    if (named) {
        if (nblk >= 26)
            return ENOSPC;
        snprintf(name, sizeof name, "vd%c", 'a' + nblk);
        len = strlen(name);
    }
    char path[HM_VFS_PATH_MAX] = {0};
    snprintf(path, sizeof path, "/dev/%s", name);
    memcpy(ipcbuf.words, path, sizeof path);
    ipcbuf.handles[0] = h;
    /* copied, not moved, and closed by the caller whatever happens: a call
     * that fails may or may not have taken a moved handle */
    uint64_t size = m->w[1];
    struct hm_msg v = { .tag = HM_TAG(HM_VFS_REGISTER, HM_VFS_PATH_WORDS, 1), .w = { HM_VFS_BLK, size } };
    long r = hm_call(vfs_ep, &v);
    for (unsigned i = 0; r >= 0 && i < HM_TAG_NHANDLES(v.tag); i++)
        hm_handle_close(ipcbuf.handles[i]);   /* vfs sends none; do not keep strays */
    if (r < 0) {
        printf("devmgr: cannot register %s in vfs: %s\n", path, hm_strerror(r));
        return EIO;
    }
    if (HM_TAG_LABEL(v.tag))
        return (int)HM_TAG_LABEL(v.tag);   /* vfs's answer: EEXIST, ENOSPC, EINVAL... */
    if (named)
        nblk++;   /* only a name vfs took is used up */
    if (d->nodes++ == 0)
        set(d->info.node, sizeof d->info.node, name);
    memset(ipcbuf.words, 0, HM_DM_NAME_MAX);
    memcpy(ipcbuf.words, name, len + 1);
    *nw_out = (unsigned)(len + 1 + 7) / 8;
    return 0;
}

/* HM_DM_READY from d's container: starting -> running. A compare-and-swap,
 * because the fault thread may have set "faulted" meanwhile, and that must
 * stay. Saying it again, or after a fault, changes nothing. */
static void ready(struct dev *d)
{
    int expect = HM_DM_STARTING;
    if (__atomic_compare_exchange_n(&d->state, &expect, HM_DM_RUNNING, 0, __ATOMIC_SEQ_CST, __ATOMIC_SEQ_CST))
        printf("devmgr: %s ready\n", d->info.container);
}

/* HM_DM_DMESG: w0 device index, w1 offset. Asks the device's container for
 * that part of its log (HM_DC_LOG) and passes the answer on: w0..w2 in *m,
 * the bytes in the buffer's words, *nw_out words of them. 0 or a positive
 * errno. The call has no time limit (calls cannot have one): a container that
 * never answers would stop devmgr, as it would stop any of its clients. */
static int dmesg(struct hm_msg *m, unsigned *nw_out)
{
    if (m->w[0] >= (uint64_t)ndevs)
        return ENOENT;
    struct dev *d = &devs[m->w[0]];
    int st = __atomic_load_n(&d->state, __ATOMIC_SEQ_CST);
    if ((st != HM_DM_STARTING && st != HM_DM_RUNNING) || d->ep < 0)
        return ENOTSUP;   /* no container runs for it */
    struct hm_msg c = { .tag = HM_TAG(HM_DC_LOG, 0, 0), .w = { m->w[1] } };
    long r = hm_call(d->ep, &c);
    if (r < 0)
        return EIO;   /* the container is gone (it exited, or faulted meanwhile) */
    for (unsigned i = 0; i < HM_TAG_NHANDLES(c.tag); i++)
        hm_handle_close(ipcbuf.handles[i]);   /* a log answer carries none */
    if (HM_TAG_LABEL(c.tag))
        return ENOTSUP;   /* it keeps no log (ndc answers EINVAL) */
    uint64_t n = c.w[0];
    if (n > HM_DC_LOG_CHUNK || n > (uint64_t)HM_TAG_NWORDS(c.tag) * 8)
        return EIO;   /* more than it sent: do not pass on stale buffer contents */
    m->w[0] = n;
    m->w[1] = c.w[1];
    m->w[2] = c.w[2];
    *nw_out = (unsigned)(n + 7) / 8;
    return 0;
}

int main(int argc, char **argv)
{
    const char *conf = "devices.conf";
    for (int i = 1; i < argc; i++)
        if (!strncmp(argv[i], "conf=", 5))
            conf = argv[i] + 5;
    root = hm_start_handle("root");
    dm_ep = hm_start_handle("dm");
    vfs_ep = hm_start_handle("vfs");   /* optional: without it no nodes are published */
    hm_handle_t dtb = hm_start_handle("dtb");
    struct hm_mem_info mi;
    long va = dtb < 0 || hm_mem_info(dtb, &mi) < 0 ? -1 : hm_vm_map(HM_HANDLE_SELF_PROC, dtb, 0, mi.size, 0, HM_MAP_R);
    if (root < 0 || dm_ep < 0 || va < 0 || fdt_check_header((const void *)va)) {
        printf("devmgr: needs handles root, dm and a valid dtb\n");
        return 1;
    }
    long fe = hm_ep_create();
    fault_ep = (hm_handle_t)fe;   /* before the thread that serves it starts */
    static struct hm_thread ft;
    if (fe < 0 || hm_thread_start(&ft, fault_loop, NULL, HM_PRIO_MAX - 2, 1) < 0) {
        printf("devmgr: cannot set up fault handling\n");
        return 1;
    }
    board_fdt = (const void *)va;
    scan((const void *)va);
    hm_ipc_buf_set(&ipcbuf);
    assign(conf);
    struct hm_msg m = {0};
    long r = hm_recv(dm_ep, &m, HM_DEADLINE_NEVER);
    for (;;) {
        if (r < 0) {
            r = hm_recv(dm_ep, &m, HM_DEADLINE_NEVER);
            continue;
        }
        uint32_t label = HM_TAG_LABEL(m.tag);
        struct dev *from = container_of_badge(m.badge);
        /* only REGISTER takes a handle (its first); close everything else sent */
        hm_handle_t h = HM_HANDLE_INVALID;
        for (unsigned i = 0; i < HM_TAG_NHANDLES(m.tag); i++) {
            if (i == 0 && label == HM_DM_REGISTER && from)
                h = ipcbuf.handles[0];
            else
                hm_handle_close(ipcbuf.handles[i]);
        }
        int status = 0;
        unsigned nw = 0;
        if (label == HM_DM_LSDEV) {
            uint64_t i = m.w[0];
            if (i >= (uint64_t)ndevs) {
                status = ENOENT;
            } else {
                memcpy(ipcbuf.words, &devs[i].info, sizeof devs[i].info);
                m.w[0] = (uint64_t)__atomic_load_n(&devs[i].state, __ATOMIC_SEQ_CST);
                m.w[1] = devs[i].phys;
                m.w[2] = devs[i].irq;
                m.w[3] = (uint64_t)devs[i].restarts;
                m.w[4] = (uint64_t)devs[i].nodes;   /* lsdev shows node+N for the others */
                nw = HM_DM_DEV_WORDS;
            }
        } else if (label == HM_DM_REGISTER || label == HM_DM_READY) {
            if (!from)
                status = EPERM;   /* not a container's handle */
            else if (label == HM_DM_READY)
                ready(from);
            else
                status = register_node(from, &m, HM_TAG_NWORDS(m.tag), h, &nw);
        } else if (label == HM_DM_DMESG) {
            status = dmesg(&m, &nw);
        } else {
            status = EINVAL;   /* malformed or unknown: an error, and on to the next */
        }
        if (h >= 0)
            hm_handle_close(h);   /* vfs has its own copy if it took the node */
        m.tag = HM_TAG((uint32_t)status, status ? 0 : nw, 0);
        r = hm_reply_recv(dm_ep, &m);
    }
}
