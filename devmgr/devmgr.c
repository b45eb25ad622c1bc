/*
 * devmgr: the device manager. It reads the board from the device tree
 * (libfdt): the virtio-mmio slots (probed), the PCIe ECAM hosts and the PCI
 * functions on their root bus (read from config space). devices.conf in
 * the boot image says which container drives which kind of device; several
 * devices may share one container. devmgr starts each container with
 * exactly its devices' memory windows and interrupts and a device tree that
 * describes only them, supervises it (a fault stops it and is recorded), and
 * answers HM_DM_LSDEV and HM_DM_DMESG (hm/dm.h). Containers publish their
 * /dev nodes through it (HM_DM_REGISTER, forwarded to vfs) and say
 * HM_DM_READY when probed.
 *
 * Handles: "root" (resources), "dtb", "bootimg", "dm" (its endpoint, RECV),
 * "vfs" (optional). Argument: conf=NAME reads NAME instead of devices.conf.
 */
#include <hm/hm.h>
#include <hm/dm.h>
#include <hm/vfs.h>
#include <hm/bootimg.h>
#include <hm/twin.h>
#include <libfdt.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MAX_DEVS 48
#define MAX_CTS 8
/* supervisor badges: FAULT_BADGE + container index */
#define FAULT_BADGE 0x1000
/* Badges of the "dm" handles containers get: CONTAINER_BADGE + container
 * index. Clients (the shell, lsdev) hold badge 0 handles, so only a
 * container can register nodes or say it is ready, and only for itself. */
#define CONTAINER_BADGE 0x2000
/* supervisor badges of twins: TWIN_FAULT_BADGE + device index */
#define TWIN_FAULT_BADGE 0x3000
#define TWIN_DMA (16 * 1024)   /* a twin's DMA memory: request headers, status bytes */
/* what one container can be given: a spawn carries at most
 * HM_START_MAX_HANDLES - 2 handles, 4 of them ep, dtb, dma and dm */
#define CT_MAX_WINDOWS 6
#define PCI_MAX_MEMWIN 3   /* memory windows of a PCIe host given (see pci_ranges) */
#define CT_MAX_IRQS 4

struct win {
    uint64_t phys, size;
};

struct dev {
    struct hm_dm_dev info;
    int node;               /* its node in the board's device tree; -1: a PCI function */
    int host;               /* a PCI function: index of its host; -1 otherwise */
    int ct;                 /* the container driving it, -1: none */
    uint64_t phys;          /* MMIO address; a PCI function: address of its config space */
    uint32_t irq, nirq;     /* interrupts [irq, irq + nirq) */
    uint32_t bdf;           /* a PCI function: bus << 8 | devfn */
    int domain;             /* a PCIe host: its PCI domain number in its container's Linux */
    struct win win[1 + PCI_MAX_MEMWIN];   /* what a container driving it needs mapped */
    int nwin;
    int nodes;              /* /dev nodes its container registered for it; info.node is the first */
    char twin[32];          /* devices.conf: the program that takes its data plane, or "" */
    hm_handle_t twin_proc;  /* that program, once started (HM_DM_TWIN) */
    hm_handle_t twin_ep;    /* its endpoint (devmgr's calls, the LDC's handles) */
    int twin_orphan;        /* it serves on while its LDC restarts (not paused yet) */
    int twin_paused;        /* paused for the new LDC's probe (HM_DM_TWIN_PAUSE) */
    uint64_t twin_since;    /* hm_now() when the LDC stopped, then when the twin paused */
};

struct ct {
    char name[16];
    char program[32];       /* what runs it: kept to start it again */
    int state, restarts;    /* state: written by the main and the fault thread */
    hm_handle_t proc, ep;   /* the container and its endpoint (SEND) */
    uint64_t stopped;       /* hm_now() of its last stop */
    uint64_t ready_at;      /* hm_now() when it last said it was ready, 0: not since its start */
    int repeats;            /* faults in a row, each a repeat (see HM_DM_REPEAT_WINDOW_MS) */
    uint64_t kill_at;       /* an injected kill due then (hm_now()), 0: none */
    uint64_t ping_since;    /* hm_now() when the heartbeat call now waiting began, 0: none */
    int requiesce;          /* stopped while its spawn was under way: quiet its devices again */
};

/* Micro-reboot (docs/reliability.md): a container that faults or is
 * killed is stopped with its devices reset, then started again from the
 * boot image by the restart thread. A fault before the container said it
 * was ready, or within HM_DM_REPEAT_WINDOW_MS after, counts as a repeat (a crash
 * loop: a driver that cannot probe, a request that crashes it each time it
 * is re-issued): repeats wait longer (50 ms doubling, at most 1 s) and
 * after HM_DM_RESTART_LIMIT of them in a row devmgr gives up. A container that
 * served for longer between faults starts a new count: it is never given
 * up, however many faults it survives. */
static hm_handle_t restart_notif;   /* bit ct: start container ct again; KILLS_CHANGED */
#define KILLS_CHANGED (1ull << 63)     /* an injected kill was armed: look at kill_at */
/* Heartbeat: a thread of devmgr's calls each running container's endpoint
 * (HM_DC_PING; any answer will do) every HEARTBEAT_PERIOD_MS; a container
 * that has not answered HEARTBEAT_MS after the call began is taken as hung
 * and stopped (the restart thread watches). DC-base's main thread may
 * legitimately wait up to 1 s (an I/O error's verdict from Linux). */
#define HEARTBEAT_PERIOD_MS 250
#define HEARTBEAT_MS 2000

/* c->ep changes when a container restarts (the restart thread) while the
 * main and heartbeat threads call it: they call a copy taken under this
 * lock (a handle number, once closed, may name something else) */
static int ep_lock;
/* A twin is being handed a device (main thread, start_twin) while its
 * container may be stopped (fault or restart thread, quiesce): the twin
 * fields and the container's state are looked at under this lock, so
 * that either quiesce sees the twin (it serves on) or start_twin sees the
 * container stopping (the twin is stopped: its device was reset) */
static int twin_lock;

static void lock_take(int *l)
{
    while (__atomic_exchange_n(l, 1, __ATOMIC_ACQUIRE))
        hm_sleep_until(hm_deadline_ms(1));
}

static void lock_drop(int *l) { __atomic_store_n(l, 0, __ATOMIC_RELEASE); }

static struct dev devs[MAX_DEVS];
static int ndevs;
static struct ct cts[MAX_CTS];
static int ncts;
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
/* every node registered, and by which container (HM_DM_RESIZE checks it) */
#define MAX_NODES 64
static struct { char name[HM_DM_NAME_MAX]; int ct; } nodes[MAX_NODES];
static int nnodes;

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
    d->nirq = irq ? 1 : 0;
    d->node = d->host = d->ct = -1;
    d->twin_proc = d->twin_ep = HM_HANDLE_INVALID;
    return d;
}

static uint64_t cells(const fdt32_t *p, int n)
{
    uint64_t v = 0;
    for (int i = 0; i < n; i++)
        v = v << 32 | fdt32_to_cpu(p[i]);
    return v;
}

static int reg_of(const void *fdt, int node, uint64_t *addr, uint64_t *size)
{
    int len;
    const fdt32_t *p = fdt_getprop(fdt, node, "reg", &len);
    int parent = fdt_parent_offset(fdt, node);
    int ac = fdt_address_cells(fdt, parent), sc = fdt_size_cells(fdt, parent);
    if (!p || ac < 1 || ac > 2 || sc < 0 || sc > 2 || len < (ac + sc) * 4)
        return -1;
    *addr = cells(p, ac);
    *size = cells(p + ac, sc);
    return 0;
}

/* a GIC interrupt specifier <type number flags> as an INTID (SPI / PPI);
 * 0 for anything else (0 is an SGI: never a device's) */
static uint32_t gic_intid(const fdt32_t *spec)
{
    uint32_t type = fdt32_to_cpu(spec[0]), num = fdt32_to_cpu(spec[1]);
    if (type == 0 && num < 988)
        return num + 32;
    if (type == 1 && num < 16)
        return num + 16;
    return 0;
}

static uint32_t irq_of(const void *fdt, int node)
{
    int len;
    const fdt32_t *p = fdt_getprop(fdt, node, "interrupts", &len);
    if (!p || len < 12)
        return 0;
    return gic_intid(p);
}

/* ---- PCI ---- */

/* The host's interrupt-map: (unit address, pin) -> GIC specifier. With
 * bdf < 0, the range [*lo, *hi] of every INTID it names; otherwise the INTID
 * of function bdf's pin (1 = INTA..4), 0 if it maps to none. Entries must
 * name a parent with 3 interrupt cells (the GIC). */
static uint32_t intx_map(const void *fdt, int host, int bdf, uint32_t pin, uint32_t *lo, uint32_t *hi)
{
    int len, mlen;
    *lo = ~0u;   /* the empty range, whatever goes wrong below */
    *hi = 0;
    const fdt32_t *map = fdt_getprop(fdt, host, "interrupt-map", &len);
    const fdt32_t *mask = fdt_getprop(fdt, host, "interrupt-map-mask", &mlen);
    if (!map || !mask || mlen != 16 || len < 0)
        return 0;
    uint32_t child[4] = { (uint32_t)bdf << 8, 0, 0, pin };
    long left = len / 4;   /* cells from map on */
    while (left >= 5) {
        int parent = fdt_node_offset_by_phandle(fdt, fdt32_to_cpu(map[4]));
        int pac = 0, pic = 0, l;
        const fdt32_t *v = parent < 0 ? NULL : fdt_getprop(fdt, parent, "#address-cells", &l);
        if (v && l == 4)
            pac = (int)fdt32_to_cpu(v[0]);
        v = parent < 0 ? NULL : fdt_getprop(fdt, parent, "#interrupt-cells", &l);
        if (v && l == 4)
            pic = (int)fdt32_to_cpu(v[0]);
        uint32_t intid = 0;
        if (parent >= 0 && pac >= 0 && pac <= 4 && pic == 3 && left >= 5 + pac + 3)
            intid = gic_intid(map + 5 + pac);
        if (!intid) {
            *lo = ~0u;   /* malformed, or not a GIC: not ours to read, none of it */
            *hi = 0;
            return 0;
        }
        if (bdf < 0) {
            *lo = intid < *lo ? intid : *lo;
            *hi = intid > *hi ? intid : *hi;
        } else {
            int match = 1;
            for (int i = 0; i < 4; i++)
                match &= (fdt32_to_cpu(map[i]) & fdt32_to_cpu(mask[i])) == (child[i] & fdt32_to_cpu(mask[i]));
            if (match)
                return intid;
        }
        map += 5 + pac + 3;
        left -= 5 + pac + 3;
    }
    return 0;
}

static int window_ok(uint64_t phys, uint64_t size)
{
    return size && !((phys | size) & 0xfff) && phys + size > phys && phys + size <= (1ull << 48);
}

/* The entries of a PCIe host's "ranges" a container gets: memory windows
 * (space code 2: 32-bit, 3: 64-bit), page aligned, at most PCI_MAX_MEMWIN
 * of them. I/O space is not given: there is no port I/O on arm64, and
 * arch/hm maps no fixed I/O window. pci_windows grants exactly these and
 * filtered_dtb leaves the others out of the container's tree, so Linux puts
 * no BAR where no grant reaches. Calls fn for each entry, `granted` or not;
 * the entry's cells are e, `step` of them. */
static void pci_ranges(const void *fdt, int node, void (*fn)(const fdt32_t *e, int step, int granted, uint64_t phys,
                                                             uint64_t size, void *arg), void *arg)
{
    int len;
    const fdt32_t *r = fdt_getprop(fdt, node, "ranges", &len);
    int pac = fdt_address_cells(fdt, fdt_parent_offset(fdt, node)), sc = fdt_size_cells(fdt, node);
    if (!r || len < 0 || pac < 1 || pac > 2 || sc < 1 || sc > 2)
        return;
    int step = 3 + pac + sc, n = 0;
    for (int i = 0; i + step <= len / 4; i += step) {
        uint32_t space = (fdt32_to_cpu(r[i]) >> 24) & 3;
        uint64_t phys = cells(r + i + 3, pac), size = cells(r + i + 3 + pac, sc);
        int granted = (space == 2 || space == 3) && window_ok(phys, size) && n < PCI_MAX_MEMWIN;
        n += granted;
        fn(r + i, step, granted, phys, size, arg);
    }
}

static void grant_window(const fdt32_t *e, int step, int granted, uint64_t phys, uint64_t size, void *arg)
{
    struct dev *d = arg;
    (void)step;
    if (granted)
        d->win[d->nwin++] = (struct win){ phys, size };
    else if (((fdt32_to_cpu(e[0]) >> 24) & 3) != 1)
        printf("devmgr: %s: memory window 0x%lx+0x%lx not given to its container\n", d->info.name,
               (unsigned long)phys, (unsigned long)size);
}

static const char *pci_kind(uint32_t class, char *buf, size_t n)
{
    if ((class >> 8) == 0x0805)
        return "sd-host";   /* SD host controller (SDHCI) */
    snprintf(buf, n, "pci-%04x", class >> 8);
    return buf;
}

/* the functions on the host's root bus, read from ECAM: listed so lsdev
 * shows what the container's Linux will find (and which driver takes it) */
static void pci_scan(const void *fdt, int hidx, uint64_t ecam)
{
    long m = hm_mem_device(root, ecam, 1 << 20);   /* bus 0: 32 devices x 8 functions x 4 KiB */
    long va = m < 0 ? m : hm_vm_map(HM_HANDLE_SELF_PROC, (hm_handle_t)m, 0, 1 << 20, 0, HM_MAP_R);
    if (va < 0) {
        printf("devmgr: cannot read PCI config space at 0x%lx: %s\n", (unsigned long)ecam, hm_strerror(va));
        if (m >= 0)
            hm_handle_close((hm_handle_t)m);
        return;
    }
    for (uint32_t devfn = 0; devfn < 256; devfn++) {
        volatile uint32_t *cfg = (volatile uint32_t *)(va + ((uint64_t)devfn << 12));
        uint32_t id = cfg[0];
        if ((id & 0xffff) == 0xffff) {
            if ((devfn & 7) == 0)
                devfn += 7;   /* no function 0: no device in this slot */
            continue;
        }
        uint32_t class = cfg[2] >> 8, pin = (cfg[15] >> 8) & 0xff;
        char name[32], compat[32], kbuf[16];
        snprintf(name, sizeof name, "pci 0000:00:%02x.%u", devfn >> 3, devfn & 7);
        snprintf(compat, sizeof compat, "pci%x,%x", id & 0xffff, id >> 16);
        uint32_t lo, hi;
        uint32_t irq = pin >= 1 && pin <= 4 ? intx_map(fdt, devs[hidx].node, (int)devfn, pin, &lo, &hi) : 0;
        struct dev *d = add(name, compat, pci_kind(class, kbuf, sizeof kbuf), ecam + ((uint64_t)devfn << 12), irq);
        if (!d)
            break;
        d->host = hidx;
        d->bdf = devfn;
        if ((devfn & 7) == 0 && !((cfg[3] >> 16) & 0x80))
            devfn += 7;   /* a single-function device: no functions 1..7 */
    }
    hm_vm_unmap(HM_HANDLE_SELF_PROC, (uint64_t)va);
    hm_handle_close((hm_handle_t)m);
}

/* every populated virtio-mmio slot, the PCIe hosts and their functions */
static void scan(const void *fdt)
{
    for (int node = fdt_node_offset_by_compatible(fdt, -1, "virtio,mmio"); node >= 0;
         node = fdt_node_offset_by_compatible(fdt, node, "virtio,mmio")) {
        uint64_t pa, size;
        if (reg_of(fdt, node, &pa, &size) || (pa & 0xfff) > 4096 - 12)
            continue;   /* its registers (magic, version, ID) must be in one page */
        long m = hm_mem_device(root, pa & ~0xfffull, 4096);
        long va = m < 0 ? m : hm_vm_map(HM_HANDLE_SELF_PROC, (hm_handle_t)m, 0, 4096, 0, HM_MAP_R);
        if (va < 0) {
            printf("devmgr: cannot map %s: %s\n", fdt_get_name(fdt, node, NULL), hm_strerror(va));
            if (m >= 0)
                hm_handle_close((hm_handle_t)m);
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
        if (d) {
            d->node = node;
            d->win[d->nwin++] = (struct win){ pa & ~0xfffull, 4096 };   /* the slot's page */
        }
    }
    for (int node = fdt_node_offset_by_compatible(fdt, -1, "pci-host-ecam-generic"); node >= 0;
         node = fdt_node_offset_by_compatible(fdt, node, "pci-host-ecam-generic")) {
        uint64_t pa, size;
        if (reg_of(fdt, node, &pa, &size) || size < (1 << 20) || !window_ok(pa, size)) {
            printf("devmgr: %s: no usable ECAM window in reg: ignored\n", fdt_get_name(fdt, node, NULL));
            continue;
        }
        char name[32];
        snprintf(name, sizeof name, "pcie@%lx", (unsigned long)pa);
        struct dev *d = add(name, "pci-host-ecam-generic", "pci-host", pa, 0);
        if (!d)
            break;
        d->node = node;
        uint32_t lo, hi;
        intx_map(fdt, node, -1, 0, &lo, &hi);
        if (lo <= hi && hi - lo < 32) {
            d->irq = lo;
            d->nirq = hi - lo + 1;   /* its INTx lines (QEMU virt: 4 SPIs) */
        }
        d->win[d->nwin++] = (struct win){ pa, size };   /* ECAM */
        pci_ranges(fdt, node, grant_window, d);
        pci_scan(fdt, (int)(d - devs), pa);
    }
}

/* ---- containers ---- */

static int keep_node(const void *fdt, int node, int ct)
{
    const char *name = fdt_get_name(fdt, node, NULL);
    for (int i = 0; name && i < ndevs; i++)
        if (devs[i].ct == ct && devs[i].node >= 0 && !strcmp(fdt_get_name(board_fdt, devs[i].node, NULL), name))
            return 1;
    return 0;
}

/* A PCIe host's "ranges" with only the windows its container is granted
 * (pci_ranges): no I/O window, no memory window beyond the grants. */
struct ranges_out {
    fdt32_t cells[64];
    int n, overflow;
};

static void keep_granted(const fdt32_t *e, int step, int granted, uint64_t phys, uint64_t size, void *arg)
{
    struct ranges_out *o = arg;
    (void)phys, (void)size;
    if (!granted)
        return;
    if (o->n + step > 64) {
        o->overflow = 1;
        return;
    }
    memcpy(o->cells + o->n, e, (size_t)step * 4);
    o->n += step;
}

static int granted_ranges_only(void *fdt, int node)
{
    struct ranges_out o = { .n = 0 };
    int len;
    if (!fdt_getprop(fdt, node, "ranges", &len))
        return 0;
    pci_ranges(fdt, node, keep_granted, &o);
    if (o.overflow)
        return -1;
    /* shorter or equal: fits where it was. Everything after this property
     * moves, so callers go on searching from this node's offset, which
     * stays. */
    return o.n * 4 == len ? 0 : fdt_setprop(fdt, node, "ranges", o.cells, o.n * 4);
}

/* A copy of the board's device tree from which every virtio-mmio slot and
 * PCIe host container ct does not drive is deleted, so that a Linux
 * container's own OF code probes only its own (the kernel's UART and GIC
 * and unassigned platform devices stay described), and whose PCIe hosts'
 * "ranges" name only the windows granted. */
static long filtered_dtb(int ct)
{
    int size = (int)fdt_totalsize(board_fdt);
    uint64_t msize = ((uint64_t)size + 4095) & ~4095ull;
    long mem = hm_mem_create(msize, HM_MEM_ANON);
    long va = mem < 0 ? mem : hm_vm_map(HM_HANDLE_SELF_PROC, (hm_handle_t)mem, 0, msize, 0, HM_MAP_R | HM_MAP_W);
    if (va < 0 || fdt_open_into(board_fdt, (void *)va, size)) {
        if (va >= 0)
            hm_vm_unmap(HM_HANDLE_SELF_PROC, (uint64_t)va);
        if (mem >= 0)
            hm_handle_close((hm_handle_t)mem);
        return -ENOMEM;
    }
    void *fdt = (void *)va;
    static const char *const compats[] = { "virtio,mmio", "pci-host-ecam-generic" };
    /* first delete: offsets shift, so each search starts again from the top */
    for (unsigned c = 0; c < 2; c++) {
        int node = fdt_node_offset_by_compatible(fdt, -1, compats[c]);
        while (node >= 0) {
            if (keep_node(fdt, node, ct)) {
                node = fdt_node_offset_by_compatible(fdt, node, compats[c]);
                continue;
            }
            fdt_del_node(fdt, node);
            node = fdt_node_offset_by_compatible(fdt, -1, compats[c]);
        }
    }
    /* devices whose data plane a twin takes: their container's Linux hands
     * them over once probed (hm/twin.h) */
    for (int i = 0; i < ndevs; i++) {
        if (devs[i].ct != ct || devs[i].node < 0 || !devs[i].twin[0])
            continue;
        int node;
        for (node = fdt_node_offset_by_compatible(fdt, -1, "virtio,mmio"); node >= 0;
             node = fdt_node_offset_by_compatible(fdt, node, "virtio,mmio"))
            if (!strcmp(fdt_get_name(fdt, node, NULL), fdt_get_name(board_fdt, devs[i].node, NULL)))
                break;
        if (node < 0 || fdt_setprop_string(fdt, node, "hm,data-plane", "twin"))
            printf("devmgr: %s: cannot mark it for its twin: Linux keeps its data plane\n", devs[i].info.name);
    }
    /* then trim the kept hosts' ranges */
    int err = 0;
    for (int node = fdt_node_offset_by_compatible(fdt, -1, compats[1]); node >= 0 && !err;
         node = fdt_node_offset_by_compatible(fdt, node, compats[1]))
        err = granted_ranges_only(fdt, node);
    fdt_pack(fdt);
    hm_vm_unmap(HM_HANDLE_SELF_PROC, (uint64_t)va);
    if (err) {
        hm_handle_close((hm_handle_t)mem);
        return -EINVAL;
    }
    return mem;
}

/* add [phys, phys+size) to a container's windows (or interrupt ranges),
 * merged with one it overlaps or touches (virtio slots share pages, their
 * SPIs are consecutive); 0, or -ENOSPC past max */
static int add_window(struct win *w, int *n, int max, uint64_t phys, uint64_t size)
{
    for (int i = 0; i < *n; i++) {
        uint64_t end = phys + size, wend = w[i].phys + w[i].size;
        if (phys <= wend && w[i].phys <= end) {
            uint64_t lo = phys < w[i].phys ? phys : w[i].phys, hi = end > wend ? end : wend;
            w[i] = (struct win){ lo, hi - lo };
            return 0;
        }
    }
    if (*n == max)
        return -ENOSPC;
    w[(*n)++] = (struct win){ phys, size };
    return 0;
}

static int start_container(int ct)
{
    struct ct *c = &cts[ct];
    struct hm_spawn_handle hs[HM_START_MAX_HANDLES - 2];
    long got[HM_START_MAX_HANDLES - 2];
    char names[CT_MAX_WINDOWS + CT_MAX_IRQS][12];
    struct win wins[CT_MAX_WINDOWS], irqs[CT_MAX_IRQS];   /* irqs: [phys, phys+size) as INTIDs */
    int n = 0, nwin = 0, nirq = 0, err = 0;
    struct dev *first = NULL;
    for (int i = 0; i < ndevs && !err; i++) {
        struct dev *d = &devs[i];
        if (d->ct != ct || d->host >= 0)
            continue;   /* a PCI function comes with its host's windows */
        first = first ? first : d;
        for (int w = 0; w < d->nwin && !err; w++)
            if (add_window(wins, &nwin, CT_MAX_WINDOWS, d->win[w].phys, d->win[w].size)) {
                printf("devmgr: %s: more than %d memory windows\n", c->name, CT_MAX_WINDOWS);
                err = -ENOSPC;
            }
        /* adjacent interrupt ranges merge too (virtio slots' SPIs are consecutive) */
        if (d->nirq && !err && add_window(irqs, &nirq, CT_MAX_IRQS, d->irq, d->nirq)) {
            printf("devmgr: %s: more than %d interrupt ranges\n", c->name, CT_MAX_IRQS);
            err = -ENOSPC;
        }
    }
    if (!first && !err) {
        printf("devmgr: %s: no device of its own (its lines named only PCI functions): not started\n", c->name);
        return -ENOENT;
    }
    for (int w = 0; w < nwin && !err; w++) {
        snprintf(names[n], sizeof names[n], w ? "mmio%d" : "mmio", w);
        got[n] = hm_mem_device(root, wins[w].phys, wins[w].size);
        hs[n] = (struct hm_spawn_handle){ names[n], (hm_handle_t)got[n], HM_R_READ | HM_R_WRITE | HM_R_MAP };
        err = got[n++] < 0 ? -ENOMEM : 0;
    }
    for (int q = 0; q < nirq && !err; q++) {
        snprintf(names[n], sizeof names[n], q ? "irqres%d" : "irqres", q);
        got[n] = hm_resource_create(root, HM_RES_IRQ, irqs[q].phys, irqs[q].size);
        hs[n] = (struct hm_spawn_handle){ names[n], (hm_handle_t)got[n], HM_R_MANAGE };
        err = got[n++] < 0 ? -ENOMEM : 0;
    }
    long ep = hm_ep_create();
    long sup = hm_handle_dup(fault_ep, HM_R_SEND | HM_R_GRANT, FAULT_BADGE + (uint64_t)ct);
    /* its line back to us: the badge tells us which container calls */
    long dmh = hm_handle_dup(dm_ep, HM_R_SEND | HM_R_GRANT, CONTAINER_BADGE + (uint64_t)ct);
    long dtb = filtered_dtb(ct);
    long dma = hm_mem_create(DMA_BUDGET, HM_MEM_CONTIG);
    int fixed = n;
    got[n] = ep;
    hs[n++] = (struct hm_spawn_handle){ "ep", (hm_handle_t)ep, HM_R_RECV | HM_R_SEND | HM_R_DUP | HM_R_GRANT };
    got[n] = dtb;
    hs[n++] = (struct hm_spawn_handle){ "dtb", (hm_handle_t)dtb, HM_R_READ | HM_R_MAP };
    got[n] = dma;
    hs[n++] = (struct hm_spawn_handle){ "dma", (hm_handle_t)dma, HM_R_READ | HM_R_WRITE | HM_R_MAP };
    got[n] = dmh;
    hs[n++] = (struct hm_spawn_handle){ "dm", (hm_handle_t)dmh, HM_R_SEND | HM_R_GRANT };
    for (int i = fixed; i < n; i++)
        if (got[i] < 0)
            err = -ENOMEM;
    if (sup < 0 || !first)
        err = err ? err : -ENOMEM;
    long p = -1;
    /* a native driver (ndc) drives one device: its slot offset and IRQ; the
     * Linux container ignores these words and reads its device tree */
    char off[16], irq[16];
    snprintf(off, sizeof off, "%lx", first ? (unsigned long)(first->phys & 0xfff) : 0ul);
    snprintf(irq, sizeof irq, "%u", first ? first->irq : 0);
    /* a device whose twin serves on while this container restarts: DC-base
     * asks us to pause the twin before Linux touches it (HM_DM_TWIN_PAUSE) */
    char serving[24 + HM_DM_MAX_TWIN_SERVING * 17] = "";
    for (int i = 0, n = 0, len = 0; i < ndevs && n < HM_DM_MAX_TWIN_SERVING; i++)
        if (devs[i].ct == ct && devs[i].twin_orphan) {
            len += snprintf(serving + len, sizeof serving - (size_t)len, "%s%lx", n++ ? "," : "hm.twin_serving=",
                            (unsigned long)devs[i].phys);
        }
    const char *argv[] = { c->program, off, irq, serving[0] ? serving : NULL, NULL };
    if (!err) {
        p = hm_spawn(c->program, argv, hs, n, (hm_handle_t)sup, HM_PRIO_MAX - 3);
        if (p < 0)
            printf("devmgr: cannot start %s: %s\n", c->program, hm_strerror(p));
    }
    /* the container has its own copies now (or never will): drop ours */
    for (int i = 0; i < n; i++)
        if (got[i] >= 0 && got[i] != ep)
            hm_handle_close((hm_handle_t)got[i]);
    if (sup >= 0)
        hm_handle_close((hm_handle_t)sup);
    if (err || p < 0) {
        if (ep >= 0)
            hm_handle_close((hm_handle_t)ep);
        return err ? err : -EIO;
    }
    __atomic_store_n(&c->proc, (hm_handle_t)p, __ATOMIC_SEQ_CST);
    if (__atomic_load_n(&c->state, __ATOMIC_SEQ_CST) == HM_DM_RESTARTING) {
        /* stopped while we spawned it (stop_container found no process to
         * kill): kill it now; it may have touched its devices meanwhile */
        hm_proc_kill((hm_handle_t)p);
        c->requiesce = 1;
    }
    long sep = hm_handle_dup((hm_handle_t)ep, HM_R_SEND | HM_R_GRANT | HM_R_DUP, 0);
    hm_handle_close((hm_handle_t)ep);   /* only the container receives */
    /* without it we cannot ask for the log; the container still runs */
    lock_take(&ep_lock);
    c->ep = sep < 0 ? HM_HANDLE_INVALID : (hm_handle_t)sep;
    lock_drop(&ep_lock);
    return 0;
}

/* the container named so, made on first mention; -1 if there are too many
 * or the name was given another program */
static int container(const char *name, const char *program)
{
    for (int i = 0; i < ncts; i++) {
        if (strcmp(cts[i].name, name))
            continue;
        if (strcmp(cts[i].program, program)) {
            printf("devmgr: container %s runs %s, not %s: line ignored\n", name, cts[i].program, program);
            return -1;
        }
        return i;
    }
    if (ncts == MAX_CTS) {
        printf("devmgr: more than %d containers: %s not started\n", MAX_CTS, name);
        return -1;
    }
    struct ct *c = &cts[ncts];
    set(c->name, sizeof c->name, name);
    set(c->program, sizeof c->program, program);
    c->proc = c->ep = HM_HANDLE_INVALID;
    return ncts++;
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
        char kind[16], driver[24], name[16], program[32], twin[32] = "";
        if (line[0] == '#' || sscanf(line, "driver %15s %23s %15s %31s %31s", kind, driver, name, program, twin) < 4)
            continue;
        for (int i = 0; i < ndevs; i++) {
            struct dev *d = &devs[i];
            if (strcmp(d->info.kind, kind) || d->info.driver[0])
                continue;
            int ct = container(name, program);
            if (ct < 0)
                break;
            set(d->info.driver, sizeof d->info.driver, driver);
            d->ct = ct;
            if (twin[0] && (strcmp(kind, "block") || d->node < 0))
                printf("devmgr: %s: a twin takes only virtio-blk data planes: %s ignored\n", d->info.name, twin);
            else
                set(d->twin, sizeof d->twin, twin);
        }
    }
    free(text);
    /* a PCI function is driven where its host is: that container's Linux
     * enumerates the whole bus */
    for (int i = 0; i < ndevs; i++) {
        struct dev *d = &devs[i];
        if (d->host < 0)
            continue;
        int hct = devs[d->host].ct;
        if (d->ct >= 0 && d->ct != hct)
            printf("devmgr: %s sits behind %s: it goes where its host goes\n", d->info.name, devs[d->host].info.name);
        d->ct = hct;
        if (hct < 0)
            d->info.driver[0] = 0;   /* no container enumerates its bus */
    }
    for (int i = 0; i < ndevs; i++)
        if (devs[i].ct >= 0)
            set(devs[i].info.container, sizeof devs[i].info.container, cts[devs[i].ct].name);
    /* the domain the container's Linux gives each of its hosts: the tree's
     * "linux,pci-domain", or else the next number in probe (tree) order */
    for (int i = 0; i < ndevs; i++) {
        struct dev *d = &devs[i];
        if (d->node < 0 || strcmp(d->info.kind, "pci-host"))
            continue;
        int len;
        const fdt32_t *v = fdt_getprop(board_fdt, d->node, "linux,pci-domain", &len);
        d->domain = 0;
        for (int j = 0; j < i && !(v && len == 4); j++)
            d->domain += devs[j].ct == d->ct && devs[j].node >= 0 && !strcmp(devs[j].info.kind, "pci-host");
        if (v && len == 4)
            d->domain = (int)fdt32_to_cpu(v[0]);
    }
    for (int ct = 0; ct < ncts; ct++) {
        /* starting until the container says HM_DM_READY: it registers its
         * nodes itself, through our main loop, so we must not wait here.
         * Set before the spawn: a fault right after it must not be
         * overwritten. */
        cts[ct].state = HM_DM_STARTING;
        int err = start_container(ct);
        if (err)
            cts[ct].state = HM_DM_FAILED;
        for (int i = 0; i < ndevs; i++)
            if (devs[i].ct == ct)
                printf("devmgr: %s: %s in %s%s\n", devs[i].info.name, devs[i].info.driver[0] ? devs[i].info.driver : "-",
                       cts[ct].name, err ? ": failed to start" : "");
    }
}

static void fault(struct hm_msg *m);
static void twin_fault(struct dev *d, struct hm_msg *m);
static int stop_container(int ct, const char *why);

/* a name sent in the first nw words of the IPC buffer, NUL-terminated
 * within max bytes and within what was sent (the rest of the buffer holds
 * whatever an earlier message left there); NULL if it is not */
static const char *sent_name(unsigned nw, size_t max)
{
    size_t avail = (size_t)nw * 8 < max ? (size_t)nw * 8 : max;
    const char *name = (const char *)ipcbuf.words;
    return strnlen(name, avail) == avail ? NULL : name;
}

/* after a call (result r) whose answer should carry no handles: close any
 * it carried, so none stay behind */
static void drop_handles(long r, uint64_t tag, const struct hm_ipc_buf *buf)
{
    for (unsigned i = 0; r >= 0 && i < HM_TAG_NHANDLES(tag); i++)
        hm_handle_close(buf->handles[i]);
}

/* one call on container c's endpoint, through a copy of the handle taken
 * under ep_lock; handles in the answer are dropped (no container request
 * passes any). hm_call's result, or -HM_EBADH if it has no endpoint. */
static long ct_call(struct ct *c, struct hm_msg *q, const struct hm_ipc_buf *buf)
{
    lock_take(&ep_lock);
    long h = c->ep >= 0 ? hm_handle_dup(c->ep, HM_R_SEND, 0) : -HM_EBADH;
    lock_drop(&ep_lock);
    if (h < 0)
        return h;
    long r = hm_call((hm_handle_t)h, q);
    hm_handle_close((hm_handle_t)h);
    drop_handles(r, q->tag, buf);
    return r;
}

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
            m.badge < FAULT_BADGE + (uint64_t)ncts)
            fault(&m);   /* kills the container: the faulting caller goes with it */
        else if (HM_TAG_LABEL(m.tag) == HM_MSG_FAULT && m.badge >= TWIN_FAULT_BADGE &&
                 m.badge < TWIN_FAULT_BADGE + (uint64_t)ndevs)
            twin_fault(&devs[m.badge - TWIN_FAULT_BADGE], &m);
    }
    return NULL;
}

static void fault(struct hm_msg *m)
{
    int ct = (int)(m->badge - FAULT_BADGE);
    printf("devmgr: container %s faulted (pc 0x%lx, address 0x%lx)\n", cts[ct].name, (unsigned long)m->w[1],
           (unsigned long)m->w[2]);
    stop_container(ct, "its fault");
}

/* a 4 KiB register page of a device mapped here, at the address of phys;
 * NULL if it cannot be (the caller logs). *mem: unmap_regs's argument. */
static volatile uint8_t *map_regs(uint64_t phys, hm_handle_t *mem)
{
    long h = hm_mem_device(root, phys & ~0xfffull, 4096);
    long va = h < 0 ? h : hm_vm_map(HM_HANDLE_SELF_PROC, (hm_handle_t)h, 0, 4096, 0, HM_MAP_R | HM_MAP_W);
    if (va < 0) {
        if (h >= 0)
            hm_handle_close((hm_handle_t)h);
        return NULL;
    }
    *mem = (hm_handle_t)h;
    return (volatile uint8_t *)va + (phys & 0xfff);
}

static void unmap_regs(volatile uint8_t *p, hm_handle_t mem)
{
    hm_vm_unmap(HM_HANDLE_SELF_PROC, (uint64_t)p & ~0xfffull);
    hm_handle_close(mem);
}

/* an SDHCI controller's "software reset for all" (offset 0x2f, bit 0): it
 * stops its ADMA; the bit clears when done (bounded wait) */
static void sdhci_reset(struct dev *d, volatile uint8_t *cfg)
{
    uint32_t bar = *(volatile uint32_t *)(cfg + 0x10);
    uint64_t base = bar & ~0xfull;
    if (bar & 1)
        return;   /* an I/O BAR: not on this board */
    if (((bar >> 1) & 3) == 2)
        base |= (uint64_t)*(volatile uint32_t *)(cfg + 0x14) << 32;
    hm_handle_t mem;
    volatile uint8_t *regs = base ? map_regs(base, &mem) : NULL;
    if (!regs) {
        printf("devmgr: %s: cannot reach its SDHCI registers: not reset\n", d->info.name);
        return;
    }
    regs[0x2f] = 1;
    uint64_t end = hm_now() + hm_ms(100);
    while ((regs[0x2f] & 1) && hm_now() < end)
        ;
    unmap_regs(regs, mem);
}

/* a device's twin is stopped (it faulted, or cannot go on); the caller
 * holds twin_lock */
static void stop_twin_locked(struct dev *d)
{
    if (d->twin_proc < 0)
        return;
    hm_proc_kill(d->twin_proc);
    hm_handle_close(d->twin_proc);
    hm_handle_close(d->twin_ep);
    d->twin_proc = d->twin_ep = HM_HANDLE_INVALID;
    d->twin_orphan = d->twin_paused = 0;
    set(d->info.dataplane, sizeof d->info.dataplane, "");
}

static void stop_twin(struct dev *d)
{
    lock_take(&twin_lock);
    stop_twin_locked(d);
    lock_drop(&twin_lock);
}

/* stop the twins of container ct's devices that serve on or wait paused
 * (why: for the log) */
static void stop_twins(int ct, const char *why)
{
    for (int i = 0; i < ndevs; i++)
        if (devs[i].ct == ct && devs[i].twin_proc >= 0 && (devs[i].twin_orphan || devs[i].twin_paused)) {
            printf("devmgr: %s: twin %s stopped: %s\n", devs[i].info.name, devs[i].twin, why);
            stop_twin(&devs[i]);
        }
}

/* virtio-mmio: writing 0 to Status resets the device (it forgets its queues) */
static void virtio_reset(struct dev *d)
{
    hm_handle_t mem;
    volatile uint8_t *r = map_regs(d->phys, &mem);
    if (!r) {
        printf("devmgr: %s: cannot reach its registers: not reset\n", d->info.name);
        return;
    }
    *(volatile uint32_t *)(r + 0x70) = 0;
    unmap_regs(r, mem);
}

/* Make the devices of a stopping container do no more DMA, before its
 * memory is freed and before anything is started again: virtio-mmio:
 * status 0 (device reset); a PCI function: an SDHCI controller is reset,
 * then memory decoding and bus mastering go off (Linux's next probe turns
 * them on again). Returns how many devices twins serve on. A device whose data plane a twin serves is left alone:
 * the twin serves on (docs/reliability.md); the LDC's Linux no longer
 * touched its queue (it handed it over), so nothing of the dying LDC's is
 * in flight there. A twin that faulted is stopped and its device reset. */
static int quiesce(int ct)
{
    int kept = 0;
    lock_take(&twin_lock);
    for (int i = 0; i < ndevs; i++) {
        struct dev *d = &devs[i];
        if (d->ct != ct)
            continue;
        if (d->twin_proc >= 0 && !strcmp(d->info.dataplane, "twin") && !d->twin_paused) {
            if (!d->twin_orphan) {
                d->twin_orphan = 1;
                d->twin_since = hm_now();
                printf("devmgr: %s: twin %s serves on while %s restarts (device not reset)\n", d->info.name,
                       d->twin, cts[ct].name);
            }
            kept++;
            continue;
        }
        if (d->twin_proc >= 0) {
            /* it faulted; or it is paused and the new LDC died after it may
             * have reset the device, before the hand-back: start clean */
            printf("devmgr: %s: twin %s stopped with its control plane\n", d->info.name, d->twin);
            stop_twin_locked(d);
        }
        hm_handle_t mem;
        if (d->host < 0 && !strcmp(d->info.compatible, "virtio,mmio")) {
            virtio_reset(d);
        } else if (d->host >= 0) {
            volatile uint8_t *cfg = map_regs(d->phys, &mem);
            if (!cfg) {
                printf("devmgr: %s: cannot reach its configuration space: not stopped\n", d->info.name);
                continue;
            }
            uint16_t cmd = *(volatile uint16_t *)(cfg + 4);
            if (!strcmp(d->info.kind, "sd-host") && (cmd & 2))
                sdhci_reset(d, cfg);
            *(volatile uint16_t *)(cfg + 4) = (uint16_t)(cmd & ~6u);   /* memory space, bus master off */
            unmap_regs(cfg, mem);
        }
    }
    lock_drop(&twin_lock);
    return kept;
}

/* Stop container ct (a fault, or HM_DM_FAULT): its devices quiet first,
 * then the process; the restart thread starts it again. Only a running or
 * starting container is stopped (a second report of the same death is
 * not): 0, or EAGAIN. Called by the fault and the main thread. */
static int stop_container(int ct, const char *why)
{
    struct ct *c = &cts[ct];
    int st = __atomic_load_n(&c->state, __ATOMIC_SEQ_CST);
    do {
        if (st != HM_DM_RUNNING && st != HM_DM_STARTING)
            return EAGAIN;
    } while (!__atomic_compare_exchange_n(&c->state, &st, HM_DM_RESTARTING, 0, __ATOMIC_SEQ_CST, __ATOMIC_SEQ_CST));
    c->stopped = hm_now();
    int kept = quiesce(ct);
    hm_handle_t proc = __atomic_load_n(&c->proc, __ATOMIC_SEQ_CST);
    if (proc >= 0)
        hm_proc_kill(proc);   /* else it is being spawned: start_container kills it */
    printf("devmgr: %s stopped after %s, devices reset%s\n", c->name, why, kept ? " but those its twins serve" : "");
    hm_notif_signal(restart_notif, 1ull << ct);
    return 0;
}

/* the restart thread: containers stopped by stop_container start again */
static void restart(int ct)
{
    struct ct *c = &cts[ct];
    int64_t status;
    hm_proc_kill(c->proc);   /* stop_container did; again for one spawned meanwhile */
    if (hm_proc_wait(c->proc, hm_deadline_ms(2000), &status) < 0)
        printf("devmgr: %s: not gone 2 s after its kill; started again anyway\n", c->name);
    hm_handle_close(c->proc);
    lock_take(&ep_lock);
    if (c->ep >= 0)
        hm_handle_close(c->ep);
    c->proc = c->ep = HM_HANDLE_INVALID;
    lock_drop(&ep_lock);
    if (c->requiesce) {
        c->requiesce = 0;
        quiesce(ct);
    }
    uint64_t ready_at = __atomic_load_n(&c->ready_at, __ATOMIC_SEQ_CST);
    int repeat = !ready_at || ready_at > c->stopped || c->stopped - ready_at < hm_ms(HM_DM_REPEAT_WINDOW_MS);
    c->repeats = repeat ? c->repeats + 1 : 1;
    if (c->repeats > HM_DM_RESTART_LIMIT) {
        __atomic_store_n(&c->state, HM_DM_FAILED, __ATOMIC_SEQ_CST);
        printf("devmgr: %s: %d faults in a row, each before it was ready or within %d ms after: "
               "given up (its nodes answer EIO)\n", c->name, c->repeats, HM_DM_REPEAT_WINDOW_MS);
        stop_twins(ct, "devmgr gave its container up");   /* no control plane will come back */
        return;
    }
    if (c->repeats > 1) {
        uint64_t ms = 50ull << (c->repeats - 2);
        hm_sleep_until(hm_deadline_ms(ms > 1000 ? 1000 : ms));
    }
    c->restarts++;
    __atomic_store_n(&c->ready_at, 0, __ATOMIC_SEQ_CST);
    __atomic_store_n(&c->state, HM_DM_STARTING, __ATOMIC_SEQ_CST);
    int err = start_container(ct);
    if (err) {
        __atomic_store_n(&c->state, HM_DM_FAILED, __ATOMIC_SEQ_CST);
        printf("devmgr: %s: cannot start it again: %s\n", c->name, strerror(err < 0 ? -err : err));
    } else {
        printf("devmgr: %s started again (restart %d)\n", c->name, c->restarts);
    }
}

/* the heartbeat thread (see HEARTBEAT_MS) */
static void *heartbeat_loop(void *arg)
{
    (void)arg;
    static struct hm_ipc_buf buf;
    hm_ipc_buf_set(&buf);
    for (;;) {
        for (int ct = 0; ct < ncts; ct++) {
            struct ct *c = &cts[ct];
            if (__atomic_load_n(&c->state, __ATOMIC_SEQ_CST) != HM_DM_RUNNING)
                continue;
            __atomic_store_n(&c->ping_since, hm_now(), __ATOMIC_SEQ_CST);
            struct hm_msg m = { .tag = HM_TAG(HM_DC_PING, 0, 0) };
            ct_call(c, &m, &buf);
            __atomic_store_n(&c->ping_since, 0, __ATOMIC_SEQ_CST);
        }
        hm_sleep_until(hm_deadline_ms(HEARTBEAT_PERIOD_MS));
    }
    return NULL;
}

/* the restart thread also carries out delayed injected kills (kill_at) and
 * stops containers that miss their heartbeat */
static void *restart_loop(void *arg)
{
    (void)arg;
    for (;;) {
        uint64_t bits = 0, next = HM_DEADLINE_NEVER;
        for (int ct = 0; ct < ncts; ct++) {
            uint64_t at = __atomic_load_n(&cts[ct].kill_at, __ATOMIC_SEQ_CST);
            uint64_t ping = __atomic_load_n(&cts[ct].ping_since, __ATOMIC_SEQ_CST);
            if (at && at < next)
                next = at;
            if (ping && ping + hm_ms(HEARTBEAT_MS) < next)
                next = ping + hm_ms(HEARTBEAT_MS);
        }
        if (next > hm_deadline_ms(HEARTBEAT_PERIOD_MS))
            next = hm_deadline_ms(HEARTBEAT_PERIOD_MS);   /* a ping may begin, a container exit, meanwhile */
        long r = hm_notif_wait(restart_notif, next, &bits);
        if (r < 0 && r != -HM_ETIMEDOUT) {
            hm_sleep_until(hm_deadline_ms(10));   /* never spin on an error */
            continue;
        }
        for (int ct = 0; ct < ncts; ct++) {
            uint64_t at = __atomic_load_n(&cts[ct].kill_at, __ATOMIC_SEQ_CST);
            if (at && at <= hm_now() && __atomic_compare_exchange_n(&cts[ct].kill_at, &at, 0, 0, __ATOMIC_SEQ_CST,
                                                                     __ATOMIC_SEQ_CST))
                stop_container(ct, "an injected kill");   /* signals its restart bit: the next round */
            uint64_t ping = __atomic_load_n(&cts[ct].ping_since, __ATOMIC_SEQ_CST);
            if (ping && hm_now() - ping > hm_ms(HEARTBEAT_MS) &&
                __atomic_compare_exchange_n(&cts[ct].ping_since, &ping, 0, 0, __ATOMIC_SEQ_CST, __ATOMIC_SEQ_CST)) {
                printf("devmgr: %s: no answer to its heartbeat in %d ms: hung\n", cts[ct].name, HEARTBEAT_MS);
                stop_container(ct, "a missed heartbeat");
            }
            /* a container that exits by itself (no fault) is stopped and
             * restarted like one that faulted; c->proc changes only here */
            int st = __atomic_load_n(&cts[ct].state, __ATOMIC_SEQ_CST);
            int64_t status;
            if ((st == HM_DM_RUNNING || st == HM_DM_STARTING) && cts[ct].proc >= 0 &&
                hm_proc_wait(cts[ct].proc, hm_now(), &status) >= 0) {
                char why[48];
                snprintf(why, sizeof why, "its exit (status %ld)", (long)status);
                stop_container(ct, why);
            }
            if (bits & (1ull << ct))
                restart(ct);
        }
    }
    return NULL;
}

/* HM_DM_FAULT: w0 the kind, w1 a delay in ms (0: now), the container's
 * name in the IPC buffer's words (nw of them); the restart count before it
 * in m->w[0] */
static int inject_fault(struct hm_msg *m, unsigned nw)
{
    const char *name = sent_name(nw, sizeof cts[0].name);
    if (!name)
        return EINVAL;
    int ct = 0;
    while (ct < ncts && strcmp(cts[ct].name, name))
        ct++;
    if (ct == ncts)
        return ENOENT;
    struct ct *c = &cts[ct];
    if (m->w[0] == HM_DM_FAULT_CRASH || m->w[0] == HM_DM_FAULT_HANG) {
        /* armed in the container; its fault message or the heartbeat does the rest */
        if (__atomic_load_n(&c->state, __ATOMIC_SEQ_CST) != HM_DM_RUNNING)
            return EAGAIN;
        struct hm_msg q = { .tag = HM_TAG(HM_DC_FAULT, 0, 0), .w = { m->w[0], m->w[1], m->w[2] } };
        if (ct_call(c, &q, &ipcbuf) < 0)
            return EAGAIN;   /* it has no endpoint, or went meanwhile */
        if (HM_TAG_LABEL(q.tag))
            return ENOTSUP;   /* a native driver: it has no injection points */
        printf("devmgr: %s: fault injected: %s (at request %lu, seed %lu)\n", c->name,
               m->w[0] == HM_DM_FAULT_CRASH ? "crash" : "hang", (unsigned long)m->w[1], (unsigned long)m->w[2]);
        m->w[0] = (uint64_t)c->restarts;
        return 0;
    }
    if (m->w[0] != HM_DM_FAULT_KILL)
        return EINVAL;
    if (m->w[1] > 60000)
        return EINVAL;
    m->w[0] = (uint64_t)cts[ct].restarts;
    if (m->w[1]) {
        int st = __atomic_load_n(&cts[ct].state, __ATOMIC_SEQ_CST);
        if (st != HM_DM_RUNNING && st != HM_DM_STARTING)
            return EAGAIN;
        printf("devmgr: %s: fault injected: kill in %lu ms\n", cts[ct].name, (unsigned long)m->w[1]);
        __atomic_store_n(&cts[ct].kill_at, hm_deadline_ms(m->w[1]), __ATOMIC_SEQ_CST);
        hm_notif_signal(restart_notif, KILLS_CHANGED);
        return 0;
    }
    printf("devmgr: %s: fault injected: kill\n", cts[ct].name);
    return stop_container(ct, "an injected kill");
}

/* the container holding the "dm" handle with this badge, or -1 */
static int container_of_badge(uint64_t badge)
{
    if (badge < CONTAINER_BADGE || badge >= CONTAINER_BADGE + (uint64_t)ncts)
        return -1;
    return (int)(badge - CONTAINER_BADGE);
}

/* The device of container ct a node belongs to: `where` is what the
 * container says it sits on (HM_DM_WHERE_PCI | bus << 8 | devfn, or the
 * MMIO address of a device-tree device); 0 or no match: its first device. */
static struct dev *device_of(int ct, uint64_t where)
{
    struct dev *first = NULL;
    for (int i = 0; i < ndevs; i++) {
        struct dev *d = &devs[i];
        if (d->ct != ct)
            continue;
        if (where & HM_DM_WHERE_PCI) {
            if (d->host >= 0 && d->bdf == (where & 0xffff) && devs[d->host].domain == (int)((where >> 16) & 0xffff))
                return d;
        } else if (where && d->host < 0 && d->phys == where) {
            return d;
        }
        if (!first && d->host < 0)
            first = d;
    }
    return first;
}

/* A twin faulted: it is stopped; its device's sessions end (their
 * clients see EIO), the LDC keeps the control plane. */
static void twin_fault(struct dev *d, struct hm_msg *m)
{
    printf("devmgr: %s: twin %s faulted (pc 0x%lx, address 0x%lx): stopped\n", d->info.name, d->twin,
           (unsigned long)m->w[1], (unsigned long)m->w[2]);
    lock_take(&twin_lock);
    if (d->twin_proc >= 0)
        hm_proc_kill(d->twin_proc);
    set(d->info.dataplane, sizeof d->info.dataplane, "faulted");
    lock_drop(&twin_lock);
}

/* call device d's twin (devmgr's badge): the reply label, or EIO */
static int twin_call(struct dev *d, struct hm_msg *m)
{
    lock_take(&twin_lock);
    long h = d->twin_ep < 0 ? -HM_EBADH : hm_handle_dup(d->twin_ep, HM_R_SEND, HM_TWIN_BADGE_DM);
    lock_drop(&twin_lock);
    long r = h < 0 ? h : hm_call((hm_handle_t)h, m);
    if (h >= 0)
        hm_handle_close((hm_handle_t)h);
    drop_handles(r, m->tag, &ipcbuf);
    return r < 0 ? EIO : (int)HM_TAG_LABEL(m->tag);
}

/* HM_DM_TWIN_PAUSE from container ct: it is about to probe the device at
 * w0. If a twin serves that device on without a control plane (its LDC
 * restarted), the twin pauses first: Linux's probe resets the device. If
 * it cannot, it is stopped and the device reset (its clients reconnect to
 * the new LDC, as on a board without twin). 0, or a positive errno. */
static int twin_pause(int ct, uint64_t phys)
{
    struct dev *d = NULL;
    for (int i = 0; i < ndevs && !d; i++)
        if (devs[i].ct == ct && devs[i].host < 0 && devs[i].phys == phys)
            d = &devs[i];
    if (!d)
        return ENOENT;
    if (d->twin_proc < 0 || !d->twin_orphan)
        return 0;   /* nothing serves it: Linux may go on */
    uint64_t served = (hm_now() - d->twin_since) * 1000 / hm_time_freq();
    struct hm_msg m = { .tag = HM_TAG(HM_TWIN_PAUSE, 0, 0) };
    int st = strcmp(d->info.dataplane, "twin") ? ESRCH : twin_call(d, &m);
    if (st) {
        printf("devmgr: %s: twin %s cannot pause (%s): stopped, device reset for %s's probe\n", d->info.name,
               d->twin, strerror(st), cts[ct].name);
        stop_twin(d);
        virtio_reset(d);
        return 0;
    }
    d->twin_orphan = 0;
    d->twin_paused = 1;
    d->twin_since = hm_now();
    printf("devmgr: %s: twin %s served %lu ms without a control plane; paused for %s's probe\n", d->info.name,
           d->twin, (unsigned long)served, cts[ct].name);
    return 0;
}

/* start_twin for a device whose paused twin serves on: it adopts the new
 * LDC's rings (HM_TWIN_ADOPT, handles h copied); *out as start_twin. If it
 * cannot, it is stopped, and the LDC keeps the data plane (EIO). */
static int twin_adopt_again(int ct, struct dev *d, const hm_handle_t h[2], hm_handle_t *out)
{
    /* the LDC's handle first: once the twin serves the new ring, Linux
     * must not take it back */
    lock_take(&twin_lock);
    long sep = d->twin_ep < 0 ? -HM_EBADH : hm_handle_dup(d->twin_ep, HM_R_SEND | HM_R_GRANT, HM_TWIN_BADGE_LDC);
    lock_drop(&twin_lock);
    int st = sep < 0 ? ENOMEM : 0;
    if (!st) {
        ipcbuf.handles[0] = h[0];
        ipcbuf.handles[1] = h[1];
        struct hm_msg m = { .tag = HM_TAG(HM_TWIN_ADOPT, HM_TWIN_STATE_WORDS, 2) };   /* the state is in the words */
        st = twin_call(d, &m);
    }
    if (st) {
        printf("devmgr: %s: twin %s cannot serve on (%s): stopped, %s keeps the data plane\n", d->info.name,
               d->twin, strerror(st), cts[ct].name);
        if (sep >= 0)
            hm_handle_close((hm_handle_t)sep);
        stop_twin(d);
        return EIO;
    }
    lock_take(&twin_lock);
    int now = __atomic_load_n(&cts[ct].state, __ATOMIC_SEQ_CST);
    int stopping = d->twin_proc < 0 || (now != HM_DM_RUNNING && now != HM_DM_STARTING);
    if (!stopping)
        d->twin_paused = 0;
    lock_drop(&twin_lock);
    if (stopping) {
        /* the LDC stopped during the call: its new rings are gone with it */
        printf("devmgr: %s: %s stopped during the hand-back: twin %s stopped\n", d->info.name, cts[ct].name,
               d->twin);
        hm_handle_close((hm_handle_t)sep);
        stop_twin(d);
        return EIO;
    }
    *out = (hm_handle_t)sep;
    printf("devmgr: %s: data plane handed back from %s to the same %s after a pause of %lu ms; its sessions go on\n",
           d->info.name, cts[ct].name, d->twin, (unsigned long)((hm_now() - d->twin_since) * 1000 / hm_time_freq()));
    return 0;
}

/* HM_DM_TWIN from container ct: the hand-off state in the IPC buffer's
 * words (nw of them), h[0] the memory holding the rings, h[1] the LDC's
 * endpoint for the twin (both ours to close). Starts the device's twin
 * program; *out = the LDC's handle to the twin's endpoint. 0 or a positive
 * errno. */
static int start_twin(int ct, unsigned nw, const hm_handle_t h[2], hm_handle_t *out)
{
    struct hm_twin_state st;
    struct hm_mem_info mi;
    if (nw != HM_TWIN_STATE_WORDS || h[0] < 0 || h[1] < 0)
        return EINVAL;
    memcpy(&st, ipcbuf.words, sizeof st);
    struct dev *d = NULL;
    for (int i = 0; i < ndevs && !d; i++)
        if (devs[i].ct == ct && devs[i].host < 0 && devs[i].phys == st.mmio)
            d = &devs[i];
    if (!d || d->irq != st.irq)
        return EINVAL;   /* not a device of this container, or not its interrupt */
    if (!d->twin[0])
        return EPERM;    /* its line in devices.conf names no twin */
    if (d->twin_proc >= 0 && (strcmp(d->info.dataplane, "twin") || d->twin_orphan)) {
        /* it faulted meanwhile, or it was never paused (the device was
         * reset under it): a new one */
        printf("devmgr: %s: twin %s %s: a new one takes the data plane\n", d->info.name, d->twin,
               d->twin_orphan ? "was not paused before the probe" : "faulted");
        stop_twin(d);
    }
    if (d->twin_proc >= 0 && !d->twin_paused)
        return EBUSY;
    if (hm_mem_info(h[0], &mi) < 0 || mi.kind != HM_MEM_CONTIG || st.ram_base != mi.phys)
        return EINVAL;   /* the rings must be in the memory sent, where the LDC says */
    if (st.num < 4 || st.num > 1024 || (st.num & (st.num - 1)) || (st.desc & 15) || (st.avail & 1) || (st.used & 3))
        return EINVAL;   /* not a split ring the twin can drive */
    uint64_t lo, hi;
    if (!hm_twin_rings_inside(&st, mi.phys, mi.size, &lo, &hi))
        return EINVAL;   /* a ring part outside the memory sent */
    if (d->twin_paused)
        return twin_adopt_again(ct, d, h, out);
    long mmio = hm_mem_device(root, d->phys & ~0xfffull, 4096);
    long irqres = hm_resource_create(root, HM_RES_IRQ, d->irq, 1);
    long ep = hm_ep_create();
    long dma = hm_mem_create(TWIN_DMA, HM_MEM_CONTIG);
    long sup = hm_handle_dup(fault_ep, HM_R_SEND | HM_R_GRANT, TWIN_FAULT_BADGE + (uint64_t)(d - devs));
    long sep = ep < 0 ? ep : hm_handle_dup((hm_handle_t)ep, HM_R_SEND | HM_R_GRANT, HM_TWIN_BADGE_LDC);
    long ready = hm_notif_create();
    long p = -HM_ENOMEM;
    if (mmio >= 0 && irqres >= 0 && ep >= 0 && dma >= 0 && sup >= 0 && sep >= 0 && ready >= 0) {
        struct hm_spawn_handle hs[] = {
            { "mmio", (hm_handle_t)mmio, HM_R_READ | HM_R_WRITE | HM_R_MAP },
            { "irqres", (hm_handle_t)irqres, HM_R_MANAGE },
            { "ep", (hm_handle_t)ep, HM_R_RECV | HM_R_SEND | HM_R_DUP | HM_R_GRANT },
            { "dma", (hm_handle_t)dma, HM_R_READ | HM_R_WRITE | HM_R_MAP },
            { "ram", h[0], HM_R_READ | HM_R_WRITE | HM_R_MAP },
            { "ldc", h[1], HM_R_SEND },
            { "ready", (hm_handle_t)ready, HM_R_SIGNAL },
        };
        char a[10][40];
        snprintf(a[0], sizeof a[0], "mmio=%lx", (unsigned long)st.mmio);
        snprintf(a[1], sizeof a[1], "ram=%lx", (unsigned long)st.ram_base);
        snprintf(a[2], sizeof a[2], "desc=%lx", (unsigned long)st.desc);
        snprintf(a[3], sizeof a[3], "avail=%lx", (unsigned long)st.avail);
        snprintf(a[4], sizeof a[4], "used=%lx", (unsigned long)st.used);
        snprintf(a[5], sizeof a[5], "feat=%lx", (unsigned long)st.features);
        snprintf(a[6], sizeof a[6], "irq=%x", st.irq);
        snprintf(a[7], sizeof a[7], "num=%x", st.num);
        snprintf(a[8], sizeof a[8], "idx=%x", st.idx);
        snprintf(a[9], sizeof a[9], "lbs=%x", st.lbs);
        const char *argv[] = { d->twin, d->info.name, a[0], a[1], a[2], a[3], a[4], a[5], a[6], a[7], a[8], a[9], NULL };
        /* the LDCs' priority, not above: a client that keeps a twin busy
         * would otherwise starve the LDC's restart (its Linux boots at
         * HM_PRIO_MAX - 3) */
        p = hm_spawn(d->twin, argv, hs, (int)(sizeof hs / sizeof hs[0]), (hm_handle_t)sup, HM_PRIO_MAX - 3);
    }
    /* The LDC hears "started" only once the twin has taken the ring: if it
     * cannot (it exits, or says nothing in 5 s), it is stopped and the LDC
     * takes its queue back. Polled in steps: a wait on the notification
     * cannot also see the process end. */
    int adopted = 0;
    for (int i = 0; p >= 0 && !adopted && i < 100; i++) {
        uint64_t bits;
        int64_t status;
        adopted = hm_notif_wait((hm_handle_t)ready, hm_deadline_ms(50), &bits) >= 0;
        if (!adopted && hm_proc_wait((hm_handle_t)p, hm_now(), &status) >= 0)
            break;   /* it exited: it said why on the console */
    }
    if (p >= 0 && !adopted) {
        hm_proc_kill((hm_handle_t)p);
        hm_handle_close((hm_handle_t)p);
        printf("devmgr: %s: twin %s did not take the data plane over: the LDC keeps it\n", d->info.name, d->twin);
        p = -HM_ECLOSED;   /* it is gone */
    }
    /* the twin has its own copies now (or never will); we keep its
     * endpoint to call it and to give later LDCs handles to it */
    long mine[] = { mmio, irqres, dma, sup, ready, p < 0 ? ep : -1 };
    for (unsigned i = 0; i < sizeof mine / sizeof mine[0]; i++)
        if (mine[i] >= 0)
            hm_handle_close((hm_handle_t)mine[i]);
    if (p < 0) {
        printf("devmgr: %s: cannot start its twin %s: %s\n", d->info.name, d->twin, hm_strerror(p));
        if (sep >= 0)
            hm_handle_close((hm_handle_t)sep);
        return EIO;
    }
    lock_take(&twin_lock);
    int now = __atomic_load_n(&cts[ct].state, __ATOMIC_SEQ_CST);
    int stopping = now != HM_DM_RUNNING && now != HM_DM_STARTING;
    if (!stopping) {
        d->twin_proc = (hm_handle_t)p;
        d->twin_ep = (hm_handle_t)ep;
        set(d->info.dataplane, sizeof d->info.dataplane, "twin");
    }
    lock_drop(&twin_lock);
    if (stopping) {
        /* stopped during the hand-off: its devices were reset without
         * this twin; the next instance hands the device over again */
        printf("devmgr: %s: %s stopped during the hand-off: twin %s stopped too\n", d->info.name, cts[ct].name,
               d->twin);
        hm_proc_kill((hm_handle_t)p);
        hm_handle_close((hm_handle_t)p);
        hm_handle_close((hm_handle_t)ep);
        hm_handle_close((hm_handle_t)sep);
        return EIO;
    }
    *out = (hm_handle_t)sep;
    printf("devmgr: %s: data plane handed from %s to %s\n", d->info.name, cts[ct].name, d->twin);
    return 0;
}

/* HM_DM_RESIZE from container ct: a node of its own has a new size */
static int resize_node(int ct, struct hm_msg *m, unsigned nw)
{
    const char *name = sent_name(nw, HM_DM_NAME_MAX);
    if (!name)
        return EINVAL;
    int i = 0;
    while (i < nnodes && (nodes[i].ct != ct || strcmp(nodes[i].name, name)))
        i++;
    if (i == nnodes)
        return EPERM;   /* not a node this container registered */
    char path[HM_VFS_PATH_MAX] = {0};
    snprintf(path, sizeof path, "/dev/%s", name);
    memcpy(ipcbuf.words, path, sizeof path);
    struct hm_msg v = { .tag = HM_TAG(HM_VFS_RESIZE, HM_VFS_PATH_WORDS, 0), .w = { 0, m->w[1] } };
    long r = hm_call(vfs_ep, &v);
    drop_handles(r, v.tag, &ipcbuf);
    if (r < 0)
        return EIO;
    return (int)HM_TAG_LABEL(v.tag);
}

/* HM_DM_REGISTER from container ct: the name in the IPC buffer's words (nw
 * of them), w0 type, w1 size, w2 where, h the driver endpoint (ours to
 * close). Publishes /dev/NAME in vfs; on success the name used is in the
 * buffer's words and *nw_out says how many. Returns 0 or a positive errno. */
static int register_node(int ct, struct hm_msg *m, unsigned nw, hm_handle_t h, unsigned *nw_out)
{
    const char *sent = sent_name(nw, HM_DM_NAME_MAX);
    if (!sent)
        return EINVAL;   /* no NUL within HM_DM_NAME_MAX bytes of what was sent */
    size_t len = strlen(sent);
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
    struct dev *d = device_of(ct, m->w[2]);
    if (!d)
        return EINVAL;
    int named = !len;
    if (named && d->info.node[0]) {
        /* an earlier life of the container had this device: the same name */
        snprintf(name, sizeof name, "%.*s", (int)sizeof d->info.node - 1, d->info.node);
        len = strlen(name);
        named = 0;
    } else if (named) {
        if (nblk >= 26)
            return ENOSPC;
        snprintf(name, sizeof name, "vd%c", 'a' + nblk);
        len = strlen(name);
    }
    /* a node an earlier life of this container registered: vfs gives it the
     * new endpoint (clients that open it from now on reach the new driver) */
    int again = 0;
    for (int i = 0; i < nnodes && !again; i++)
        again = nodes[i].ct == ct && !strcmp(nodes[i].name, name);
    char path[HM_VFS_PATH_MAX] = {0};
    snprintf(path, sizeof path, "/dev/%s", name);
    memcpy(ipcbuf.words, path, sizeof path);
    ipcbuf.handles[0] = h;
    /* copied, not moved, and closed by the caller whatever happens: a call
     * that fails may or may not have taken a moved handle */
    uint64_t size = m->w[1];
    struct hm_msg v = { .tag = HM_TAG(HM_VFS_REGISTER, HM_VFS_PATH_WORDS, 1),
                        .w = { HM_VFS_BLK, size, again ? HM_VFS_REPLACE : 0 } };
    long r = hm_call(vfs_ep, &v);
    drop_handles(r, v.tag, &ipcbuf);   /* vfs sends none; do not keep strays */
    if (r < 0) {
        printf("devmgr: cannot register %s in vfs: %s\n", path, hm_strerror(r));
        return EIO;
    }
    if (HM_TAG_LABEL(v.tag))
        return (int)HM_TAG_LABEL(v.tag);   /* vfs's answer: EEXIST, ENOSPC, EINVAL... */
    if (named)
        nblk++;   /* only a name vfs took is used up */
    if (!again && nnodes < MAX_NODES) {
        set(nodes[nnodes].name, sizeof nodes[nnodes].name, name);
        nodes[nnodes++].ct = ct;
    }
    if (!again && d->nodes++ == 0)
        set(d->info.node, sizeof d->info.node, name);
    memset(ipcbuf.words, 0, HM_DM_NAME_MAX);
    memcpy(ipcbuf.words, name, len + 1);
    *nw_out = (unsigned)(len + 1 + 7) / 8;
    return 0;
}

/* HM_DM_READY from container ct: starting -> running. A compare-and-swap,
 * because the fault thread may have set "faulted" meanwhile, and that must
 * stay. Saying it again, or after a fault, changes nothing. */
static void ready(int ct)
{
    int expect = HM_DM_STARTING;
    struct ct *c = &cts[ct];
    if (!__atomic_compare_exchange_n(&c->state, &expect, HM_DM_RUNNING, 0, __ATOMIC_SEQ_CST, __ATOMIC_SEQ_CST))
        return;
    __atomic_store_n(&c->ready_at, hm_now(), __ATOMIC_SEQ_CST);
    /* a twin still paused or serving on: the new instance kept the data
     * plane (its hand-off failed) or never took the device; the twin's
     * clients reconnect to it */
    stop_twins(ct, "its container is ready without handing the device back");
    if (c->restarts)
        printf("devmgr: %s ready again, %lu ms after it was stopped\n", c->name,
               (unsigned long)((hm_now() - c->stopped) * 1000 / hm_time_freq()));
    else
        printf("devmgr: %s ready\n", c->name);
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
    if (d->ct < 0)
        return ENOTSUP;   /* no container drives it */
    struct ct *c = &cts[d->ct];
    int st = __atomic_load_n(&c->state, __ATOMIC_SEQ_CST);
    if (st != HM_DM_STARTING && st != HM_DM_RUNNING)
        return ENOTSUP;   /* no container runs for it */
    struct hm_msg q = { .tag = HM_TAG(HM_DC_LOG, 0, 0), .w = { m->w[1] } };
    long r = ct_call(c, &q, &ipcbuf);
    if (r == -HM_EBADH)
        return ENOTSUP;   /* it has no endpoint */
    if (r < 0)
        return EIO;   /* the container is gone (it exited, or faulted meanwhile) */
    if (HM_TAG_LABEL(q.tag))
        return ENOTSUP;   /* it keeps no log (ndc answers EINVAL) */
    uint64_t n = q.w[0];
    if (n > HM_DC_LOG_CHUNK || n > (uint64_t)HM_TAG_NWORDS(q.tag) * 8)
        return EIO;   /* more than it sent: do not pass on stale buffer contents */
    m->w[0] = n;
    m->w[1] = q.w[1];
    m->w[2] = q.w[2];
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
    board_fdt = (const void *)va;
    scan((const void *)va);
    hm_ipc_buf_set(&ipcbuf);
    /* the containers are known before the fault thread looks at them */
    if (fe < 0) {
        printf("devmgr: cannot set up fault handling\n");
        return 1;
    }
    long rn = hm_notif_create();
    if (rn < 0) {
        printf("devmgr: cannot set up fault handling\n");
        return 1;
    }
    restart_notif = (hm_handle_t)rn;
    assign(conf);
    static struct hm_thread rt, ht;
    if (hm_thread_start(&ft, fault_loop, NULL, HM_PRIO_MAX - 2, 1) < 0 ||
        /* the clients' priority: below them, a busy client would starve
         * restarts (copying a container's ~10 MiB image) */
        hm_thread_start(&rt, restart_loop, NULL, HM_PRIO_MAX - 2, 1) < 0 ||
        hm_thread_start(&ht, heartbeat_loop, NULL, HM_PRIO_MAX - 2, 1) < 0) {
        printf("devmgr: cannot set up fault handling\n");
        return 1;
    }
    struct hm_msg m = {0};
    long r = hm_recv(dm_ep, &m, HM_DEADLINE_NEVER);
    for (;;) {
        if (r < 0) {
            r = hm_recv(dm_ep, &m, HM_DEADLINE_NEVER);
            continue;
        }
        uint32_t label = HM_TAG_LABEL(m.tag);
        int from = container_of_badge(m.badge);
        /* only REGISTER takes a handle (its first), TWIN two; close everything else sent */
        hm_handle_t h = HM_HANDLE_INVALID, th[2] = { HM_HANDLE_INVALID, HM_HANDLE_INVALID };
        for (unsigned i = 0; i < HM_TAG_NHANDLES(m.tag); i++) {
            if (i == 0 && label == HM_DM_REGISTER && from >= 0)
                h = ipcbuf.handles[0];
            else if (i < 2 && label == HM_DM_TWIN && from >= 0)
                th[i] = ipcbuf.handles[i];
            else
                hm_handle_close(ipcbuf.handles[i]);
        }
        int status = 0;
        unsigned nw = 0, nh = 0;
        if (label == HM_DM_LSDEV) {
            uint64_t i = m.w[0];
            if (i >= (uint64_t)ndevs) {
                status = ENOENT;
            } else {
                const struct dev *d = &devs[i];
                memcpy(ipcbuf.words, &d->info, sizeof d->info);
                m.w[0] = d->ct < 0 ? HM_DM_UNASSIGNED : (uint64_t)__atomic_load_n(&cts[d->ct].state, __ATOMIC_SEQ_CST);
                m.w[1] = d->phys;
                m.w[2] = d->irq;
                m.w[3] = d->ct < 0 ? 0 : (uint64_t)cts[d->ct].restarts;
                m.w[4] = (uint64_t)d->nodes;   /* lsdev shows node+N for the others */
                m.w[5] = d->nirq;
                nw = HM_DM_DEV_WORDS;
            }
        } else if (label == HM_DM_REGISTER || label == HM_DM_READY) {
            if (from < 0)
                status = EPERM;   /* not a container's handle */
            else if (label == HM_DM_READY)
                ready(from);
            else
                status = register_node(from, &m, HM_TAG_NWORDS(m.tag), h, &nw);
        } else if (label == HM_DM_DMESG) {
            status = dmesg(&m, &nw);
        } else if (label == HM_DM_FAULT) {
            status = inject_fault(&m, HM_TAG_NWORDS(m.tag));
            nw = 0;   /* the answer is in w0 */
        } else if (label == HM_DM_RESIZE) {
            status = from < 0 ? EPERM : resize_node(from, &m, HM_TAG_NWORDS(m.tag));
        } else if (label == HM_DM_TWIN_PAUSE) {
            status = from < 0 ? EPERM : twin_pause(from, m.w[0]);
        } else if (label == HM_DM_TWIN) {
            hm_handle_t tep;
            status = from < 0 ? EPERM : start_twin(from, HM_TAG_NWORDS(m.tag), th, &tep);
            if (!status) {
                ipcbuf.handles[0] = tep;
                nh = 1;
            }
        } else {
            status = EINVAL;   /* malformed or unknown: an error, and on to the next */
        }
        if (h >= 0)
            hm_handle_close(h);   /* vfs has its own copy if it took the node */
        for (int i = 0; i < 2; i++)
            if (th[i] >= 0)
                hm_handle_close(th[i]);   /* the twin has its own copies */
        m.tag = HM_TAG((uint32_t)status, status ? 0 : nw, nh) | (nh ? HM_TAG_MOVE : 0);
        r = hm_reply_recv(dm_ep, &m);
    }
}
