/*
 * The board, as devmgr finds it at start: every populated virtio-mmio slot
 * (probed through its registers), the PCIe ECAM hosts of the device tree,
 * and the functions on their root bus (read from configuration space).
 * Each becomes a struct dm_dev with the memory windows and interrupts a
 * container driving it needs; lsdev lists them.
 */
#include "devmgr.h"
#include <hm/hw/pci.h>
#include <hm/hw/virtio_mmio.h>
#include <libfdt.h>
#include <stdio.h>

static struct dm_dev *dev_add(const char *name, const char *compat, const char *kind, uint64_t phys, uint32_t irq)
{
    if (dm_ndevs == DM_MAX_DEVS)
        return NULL;
    struct dm_dev *d = &dm_devs[dm_ndevs++];
    dm_copy_str(d->info.name, sizeof d->info.name, name);
    dm_copy_str(d->info.compatible, sizeof d->info.compatible, compat);
    dm_copy_str(d->info.kind, sizeof d->info.kind, kind);
    d->phys = phys;
    d->irq = irq;
    d->nirq = irq ? 1 : 0;
    d->node = d->host = d->ct = -1;
    d->twin_proc = d->twin_ep = d->call_proc = HM_HANDLE_INVALID;
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
 * (space code 2: 32-bit, 3: 64-bit), page aligned, at most DM_PCI_MAX_MEMWIN
 * of them. I/O space is not given: there is no port I/O on arm64, and
 * arch/hm maps no fixed I/O window. pci_windows grants exactly these and
 * filtered_dtb leaves the others out of the container's tree, so Linux puts
 * no BAR where no grant reaches. Calls fn for each entry, `granted` or not;
 * the entry's cells are e, `step` of them. */
void dm_pci_ranges(const void *fdt, int node, dm_range_fn *fn, void *arg)
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
        int granted = (space == 2 || space == 3) && window_ok(phys, size) && n < DM_PCI_MAX_MEMWIN;
        n += granted;
        fn((const uint32_t *)(r + i), step, granted, phys, size, arg);
    }
}

static void grant_window(const uint32_t *e, int step, int granted, uint64_t phys, uint64_t size, void *arg)
{
    struct dm_dev *d = arg;
    (void)step;
    if (granted)
        d->win[d->nwin++] = (struct dm_win){ phys, size };
    else if (((fdt32_to_cpu((fdt32_t)e[0]) >> 24) & 3) != 1)
        printf("devmgr: %s: memory window 0x%lx+0x%lx not given to its container\n", d->info.name,
               (unsigned long)phys, (unsigned long)size);
}

static const char *pci_kind(uint32_t id, uint32_t class, char *buf, size_t n)
{
    if (id == PCI_ID_I6300ESB)
        return "watchdog";  /* Intel 6300ESB watchdog timer (its class says only "other") */
    if (id == PCI_ID_VIRTIO_BLK || id == PCI_ID_VIRTIO_BLK_T)
        return "virtio-blk-pci";   /* virtio-blk over PCI (its class is SCSI's or "other") */
    if ((class >> 8) == PCI_CLASS_SD_HOST)
        return "sd-host";   /* SD host controller (SDHCI) */
    if ((class >> 8) == PCI_CLASS_UFS_HOST)
        return "ufs-host";  /* UFS host controller (UFSHCI) */
    if ((class >> 8) == PCI_CLASS_NVME)
        return "nvme";      /* NVM Express controller */
    snprintf(buf, n, "pci-%04x", class >> 8);
    return buf;
}

/* the MSI and MSI-X vectors a function can use (its capabilities; 0: it
 * has none), and whether it has MSI-X */
static uint32_t pci_msi_vectors(volatile uint8_t *cfg, int *msix)
{
    uint32_t msi = 0, x = 0;
    *msix = 0;
    if (!(*(volatile uint16_t *)(cfg + PCI_STATUS) & PCI_STATUS_CAP_LIST))
        return 0;
    uint32_t at = cfg[PCI_CAP_PTR] & 0xfc;
    for (int guard = 0; at >= 0x40 && at < 0x100 && guard < 48; guard++) {
        uint16_t ctl = *(volatile uint16_t *)(cfg + at + 2);
        if (cfg[at] == PCI_CAP_ID_MSI)
            msi = 1u << ((ctl >> 1) & 7);
        else if (cfg[at] == PCI_CAP_ID_MSIX)
            x = (ctl & 0x7ffu) + 1;
        at = cfg[at + 1] & 0xfc;
    }
    *msix = x != 0;
    return x > msi ? x : msi;
}

/* the functions on the host's dm_root bus, read from ECAM: listed so lsdev
 * shows what the container's Linux will find (and which driver takes it) */
static void pci_scan(const void *fdt, int hidx, uint64_t ecam)
{
    long m = hm_mem_device(dm_root, ecam, PCI_ECAM_BUS_SIZE);   /* bus 0: 32 devices x 8 functions */
    long va = m < 0 ? m : hm_vm_map(HM_HANDLE_SELF_PROC, (hm_handle_t)m, 0, PCI_ECAM_BUS_SIZE, 0, HM_MAP_R);
    if (va < 0) {
        printf("devmgr: cannot read PCI config space at 0x%lx: %s\n", (unsigned long)ecam, hm_strerror(va));
        if (m >= 0)
            hm_handle_close((hm_handle_t)m);
        return;
    }
    for (uint32_t devfn = 0; devfn < 256; devfn++) {
        volatile uint8_t *cfg = (volatile uint8_t *)va + (uint64_t)devfn * PCI_ECAM_FN_SIZE;
        uint32_t id = *(volatile uint32_t *)(cfg + PCI_VENDOR_ID);
        if ((id & 0xffff) == 0xffff) {
            if ((devfn & 7) == 0)
                devfn += 7;   /* no function 0: no device in this slot */
            continue;
        }
        uint32_t class = *(volatile uint32_t *)(cfg + PCI_CLASS_REVISION) >> 8, pin = cfg[PCI_INTERRUPT_PIN];
        char name[32], compat[32], kbuf[16];
        snprintf(name, sizeof name, "pci 0000:00:%02x.%u", devfn >> 3, devfn & 7);
        snprintf(compat, sizeof compat, "pci%x,%x", id & 0xffff, id >> 16);
        uint32_t lo, hi;
        uint32_t irq = pin >= 1 && pin <= 4 ? intx_map(fdt, dm_devs[hidx].node, (int)devfn, pin, &lo, &hi) : 0;
        struct dm_dev *d = dev_add(name, compat, pci_kind(id, class, kbuf, sizeof kbuf), ecam + (uint64_t)devfn * PCI_ECAM_FN_SIZE,
                                   irq);
        if (!d)
            break;
        d->host = hidx;
        d->bdf = devfn;
        d->pci_id = id;
        uint32_t nvec = pci_msi_vectors(cfg, &d->msix);
        d->msi_vecs = nvec < DM_MSI_MAX_VECTORS ? nvec : DM_MSI_MAX_VECTORS;
        if ((devfn & 7) == 0 && !(cfg[PCI_HEADER_TYPE] & PCI_HEADER_MULTI_FN))
            devfn += 7;   /* a single-function device: no functions 1..7 */
    }
    hm_vm_unmap(HM_HANDLE_SELF_PROC, (uint64_t)va);
    hm_handle_close((hm_handle_t)m);
}

/* device-tree devices a container may drive besides virtio-mmio and PCI:
 * compatible and the kind lsdev shows (devices.conf names it) */
const char *const dm_dt_compats[][2] = {
    { "arm,pl031", "rtc" },   /* the PL031 real-time clock every virt board has */
};
const int dm_ndt_compats = sizeof dm_dt_compats / sizeof dm_dt_compats[0];

/* every populated virtio-mmio slot, the PCIe hosts and their functions,
 * then the devices of dm_dt_compats */
void dm_board_scan(const void *fdt)
{
    for (int node = fdt_node_offset_by_compatible(fdt, -1, "virtio,mmio"); node >= 0;
         node = fdt_node_offset_by_compatible(fdt, node, "virtio,mmio")) {
        uint64_t pa, size;
        if (reg_of(fdt, node, &pa, &size) || (pa & 0xfff) > 4096 - VIRTIO_MMIO_REGS_END)
            continue;   /* its registers (magic, version, ID) must be in one page */
        long m = hm_mem_device(dm_root, pa & ~0xfffull, 4096);
        long va = m < 0 ? m : hm_vm_map(HM_HANDLE_SELF_PROC, (hm_handle_t)m, 0, 4096, 0, HM_MAP_R);
        if (va < 0) {
            printf("devmgr: cannot map %s: %s\n", fdt_get_name(fdt, node, NULL), hm_strerror(va));
            if (m >= 0)
                hm_handle_close((hm_handle_t)m);
            continue;
        }
        volatile uint8_t *r = (volatile uint8_t *)va + (pa & 0xfff);
        uint32_t magic = *(volatile uint32_t *)(r + VIRTIO_MMIO_MAGIC_VALUE), id = *(volatile uint32_t *)(r + VIRTIO_MMIO_DEVICE_ID);
        hm_vm_unmap(HM_HANDLE_SELF_PROC, (uint64_t)va);
        hm_handle_close((hm_handle_t)m);
        if (magic != VIRTIO_MMIO_MAGIC || id == 0)
            continue;   /* empty slot */
        char name[32], kind[32];
        snprintf(name, sizeof name, "virtio-mmio@%lx", (unsigned long)pa);
        if (id == VIRTIO_ID_BLOCK)
            snprintf(kind, sizeof kind, "block");
        else if (id == VIRTIO_ID_RNG)
            snprintf(kind, sizeof kind, "rng");
        else if (id == VIRTIO_ID_INPUT)
            snprintf(kind, sizeof kind, "input");
        else
            snprintf(kind, sizeof kind, "virtio-%u", id);
        struct dm_dev *d = dev_add(name, "virtio,mmio", kind, pa, irq_of(fdt, node));
        if (d) {
            d->node = node;
            d->win[d->nwin++] = (struct dm_win){ pa & ~0xfffull, 4096 };   /* the slot's page */
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
        struct dm_dev *d = dev_add(name, "pci-host-ecam-generic", "pci-host", pa, 0);
        if (!d)
            break;
        d->node = node;
        uint32_t lo, hi;
        intx_map(fdt, node, -1, 0, &lo, &hi);
        if (lo <= hi && hi - lo < 32) {
            d->irq = lo;
            d->nirq = hi - lo + 1;   /* its INTx lines (QEMU virt: 4 SPIs) */
        }
        d->win[d->nwin++] = (struct dm_win){ pa, size };   /* ECAM */
        dm_pci_ranges(fdt, node, grant_window, d);
        pci_scan(fdt, (int)(d - dm_devs), pa);
    }
    /* last: the devices above keep the indexes they had before these were added */
    for (int c = 0; c < dm_ndt_compats; c++)
        for (int node = fdt_node_offset_by_compatible(fdt, -1, dm_dt_compats[c][0]); node >= 0;
             node = fdt_node_offset_by_compatible(fdt, node, dm_dt_compats[c][0])) {
            uint64_t pa, size;
            if (reg_of(fdt, node, &pa, &size) || !window_ok(pa & ~0xfffull, 4096) || size > 4096 ||
                (pa & 0xfff) + size > 4096)
                continue;   /* its registers must be in one page */
            char name[32];
            snprintf(name, sizeof name, "%s", fdt_get_name(fdt, node, NULL));
            struct dm_dev *d = dev_add(name, dm_dt_compats[c][0], dm_dt_compats[c][1], pa, irq_of(fdt, node));
            if (d) {
                d->node = node;
                d->win[d->nwin++] = (struct dm_win){ pa & ~0xfffull, 4096 };
            }
        }
}

