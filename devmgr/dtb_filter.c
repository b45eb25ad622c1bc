/*
 * The device tree a container is given: a copy of the board's from which
 * every virtio-mmio slot, PCIe host and other device devmgr hands out
 * (board.c's dm_dt_compats: the PL031) the container does not drive is
 * deleted, and every AMBA primecell it does not drive (the UART, the
 * GPIO: Linux's AMBA bus would probe them) disabled, so that a Linux
 * container's own OF code probes only its own (the GIC and other
 * unassigned platform devices stay described). Its PCIe hosts' "ranges"
 * name only the windows granted, and its devices with a twin say so
 * (hm,data-plane = "twin"; a PCI function: /chosen hm,twin-pci). IDs the
 * board file adds to Linux drivers (devices.conf "pci-id") are listed in
 * /chosen as hm,pci-ids = "DRIVER VENDOR DEVICE", ... for the container
 * that enumerates such a function; the nodes of Linux's own it publishes
 * (devices.conf "node") as hm,nodes. With devmgr's argument msi=off its PCIe
 * hosts lose msi-parent / msi-map (INTx only). Its PCIe hosts never name
 * the SMMU (iommu-map): devmgr drives it, Linux's DMA stays direct.
 */
#include "devmgr.h"
#include <libfdt.h>
#include <errno.h>
#include <stdio.h>

static int keep_node(const void *fdt, int node, int ct)
{
    const char *name = fdt_get_name(fdt, node, NULL);
    for (int i = 0; name && i < dm_ndevs; i++)
        if (dm_devs[i].ct == ct && dm_devs[i].node >= 0 && !strcmp(fdt_get_name(dm_board, dm_devs[i].node, NULL), name))
            return 1;
    return 0;
}

/* A PCIe host's "ranges" with only the windows its container is granted
 * (dm_pci_ranges): no I/O window, no memory window beyond the grants. */
struct ranges_out {
    fdt32_t cells[64];
    int n, overflow;
};

static void keep_granted(const uint32_t *e, int step, int granted, uint64_t phys, uint64_t size, void *arg)
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
    dm_pci_ranges(fdt, node, keep_granted, &o);
    if (o.overflow)
        return -1;
    /* shorter or equal: fits where it was. Everything after this property
     * moves, so callers go on searching from this node's offset, which
     * stays. */
    return o.n * 4 == len ? 0 : fdt_setprop(fdt, node, "ranges", o.cells, o.n * 4);
}

/* delete the properties named (those present) from node: 0 or libfdt's
 * error. Deleting moves what follows, not the node itself. */
static int props_deleted(void *fdt, int node, const char *const *names, int n)
{
    int err = 0;
    for (int i = 0; i < n && !err; i++)
        if (fdt_getprop(fdt, node, names[i], NULL))
            err = fdt_delprop(fdt, node, names[i]);
    return err;
}

/* devmgr's argument msi=off: a host without msi-parent / msi-map has no MSI
 * domain in Linux, whose drivers then take their INTx line. */
static int msi_off(void *fdt, int node)
{
    static const char *const names[] = { "msi-parent", "msi-map" };
    return props_deleted(fdt, node, names, 2);
}

/* A container's Linux has no IOMMU driver: devmgr's SMMU driver gives
 * its functions an identity translation of its memory, so dma-direct is
 * right. Without this, Linux would wait for a driver of the SMMU the
 * host's iommu-map names (deferred probe) and never probe a function. */
static int iommu_hidden(void *fdt, int node)
{
    static const char *const names[] = { "iommu-map", "iommu-map-mask" };
    return props_deleted(fdt, node, names, 2);
}

/* /chosen's hm,pci-ids for container ct's functions: 0 or libfdt's error */
static int list_pci_ids(void *fdt, int ct)
{
    for (int i = 0; i < dm_ndevs; i++) {
        const struct dm_dev *d = &dm_devs[i];
        if (d->ct != ct || d->host < 0 || !d->id_for[0])
            continue;
        char entry[48];
        snprintf(entry, sizeof entry, "%s %04x %04x", d->id_for, d->pci_id & 0xffff, d->pci_id >> 16);
        int chosen = fdt_path_offset(fdt, "/chosen");
        if (chosen < 0)
            chosen = fdt_add_subnode(fdt, 0, "chosen");
        if (chosen >= 0 && fdt_stringlist_search(fdt, chosen, "hm,pci-ids", entry) >= 0)
            continue;   /* two functions with one ID: listed once */
        int err = chosen < 0 ? chosen : fdt_appendprop_string(fdt, chosen, "hm,pci-ids", entry);
        if (err)
            return err;
    }
    return 0;
}

/* the packed tree fdt (in mem, msize bytes) in a memory object of its
 * own size: QEMU pads the board's tree to 1 MiB, the filtered one packs
 * to a few pages, and devmgr keeps one per container. mem itself if the
 * copy cannot be made (it still holds the tree) or would not be smaller. */
static long dtb_fit(long mem, const void *fdt, uint64_t msize)
{
    uint64_t need = ((uint64_t)fdt_totalsize(fdt) + 4095) & ~4095ull;
    if (need >= msize)
        return mem;
    long fit = hm_mem_create(need, HM_MEM_ANON);
    long va = fit < 0 ? fit : hm_vm_map(HM_HANDLE_SELF_PROC, (hm_handle_t)fit, 0, need, 0, HM_MAP_R | HM_MAP_W);
    if (va < 0) {
        if (fit >= 0)
            hm_handle_close((hm_handle_t)fit);
        return mem;
    }
    memcpy((void *)va, fdt, fdt_totalsize(fdt));
    hm_vm_unmap(HM_HANDLE_SELF_PROC, (uint64_t)va);
    hm_handle_close((hm_handle_t)mem);
    return fit;
}

/* container ct's device tree (see above) in a new memory object, or a
 * negative errno */
static long dtb_build(int ct)
{
    /* room for what is added (hm,data-plane, hm,pci-ids) */
    int size = (int)fdt_totalsize(dm_board) + 4096;
    uint64_t msize = ((uint64_t)size + 4095) & ~4095ull;
    long mem = hm_mem_create(msize, HM_MEM_ANON);
    long va = mem < 0 ? mem : hm_vm_map(HM_HANDLE_SELF_PROC, (hm_handle_t)mem, 0, msize, 0, HM_MAP_R | HM_MAP_W);
    if (va < 0 || fdt_open_into(dm_board, (void *)va, size)) {
        if (va >= 0)
            hm_vm_unmap(HM_HANDLE_SELF_PROC, (uint64_t)va);
        if (mem >= 0)
            hm_handle_close((hm_handle_t)mem);
        return -ENOMEM;
    }
    void *fdt = (void *)va;
    const char *compats[2 + 8] = { "virtio,mmio", "pci-host-ecam-generic" };
    unsigned ncompats = 2;
    for (int c = 0; c < dm_ndt_compats && ncompats < sizeof compats / sizeof compats[0]; c++)
        compats[ncompats++] = dm_dt_compats[c][0];
    /* first delete: offsets shift, so each search starts again from the top */
    for (unsigned c = 0; c < ncompats; c++) {
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
    /* AMBA devices it does not drive (the UART, the GPIO): disabled, since
     * Linux's AMBA bus would read every one's ID registers, which only a
     * container driving it may map; kept in the tree, so that what refers
     * to them (gpio-keys to the GPIO) still finds them. Setting a property
     * moves what follows: each search starts again from the top. */
    for (int node = fdt_node_offset_by_compatible(fdt, -1, "arm,primecell"); node >= 0;) {
        const char *status = fdt_getprop(fdt, node, "status", NULL);
        if (keep_node(fdt, node, ct) || (status && !strcmp(status, "disabled"))) {
            node = fdt_node_offset_by_compatible(fdt, node, "arm,primecell");
            continue;
        }
        if (fdt_setprop_string(fdt, node, "status", "disabled")) {
            printf("devmgr: %s: cannot disable %s in its tree\n", dm_cts[ct].name, fdt_get_name(fdt, node, NULL));
            break;
        }
        node = fdt_node_offset_by_compatible(fdt, -1, "arm,primecell");
    }
    /* devices whose data plane a twin takes: their container's Linux hands
     * them over once probed (hm/twin.h); a PCI function is named in
     * /chosen's hm,twin-pci as domain << 16 | bus << 8 | devfn */
    for (int i = 0; i < dm_ndevs; i++) {
        if (dm_devs[i].ct != ct || !dm_devs[i].twin[0])
            continue;
        if (dm_devs[i].host >= 0) {
            int chosen = fdt_path_offset(fdt, "/chosen");
            uint32_t where = (uint32_t)dm_devs[dm_devs[i].host].domain << 16 | dm_devs[i].bdf;
            if (chosen < 0 || fdt_appendprop_u32(fdt, chosen, "hm,twin-pci", where))
                printf("devmgr: %s: cannot mark it for its twin: Linux keeps its data plane\n", dm_devs[i].info.name);
            continue;
        }
        int node;
        for (node = fdt_node_offset_by_compatible(fdt, -1, "virtio,mmio"); node >= 0;
             node = fdt_node_offset_by_compatible(fdt, node, "virtio,mmio"))
            if (!strcmp(fdt_get_name(fdt, node, NULL), fdt_get_name(dm_board, dm_devs[i].node, NULL)))
                break;
        if (node < 0 || fdt_setprop_string(fdt, node, "hm,data-plane", "twin"))
            printf("devmgr: %s: cannot mark it for its twin: Linux keeps its data plane\n", dm_devs[i].info.name);
    }
    int err = list_pci_ids(fdt, ct);
    if (err)
        printf("devmgr: %s: cannot list the board's PCI IDs for it: %s\n", dm_cts[ct].name, fdt_strerror(err));
    err = dm_conf_list_nodes(fdt, ct);
    if (err)
        printf("devmgr: %s: cannot name its nodes of Linux's own: %s\n", dm_cts[ct].name, fdt_strerror(err));
    /* then trim the kept hosts' ranges */
    err = 0;
    for (int node = fdt_node_offset_by_compatible(fdt, -1, compats[1]); node >= 0 && !err;
         node = fdt_node_offset_by_compatible(fdt, node, compats[1]))
        err = granted_ranges_only(fdt, node) || (dm_msi_off && msi_off(fdt, node)) || iommu_hidden(fdt, node);
    fdt_pack(fdt);
    if (!err)
        mem = dtb_fit(mem, fdt, msize);
    hm_vm_unmap(HM_HANDLE_SELF_PROC, (uint64_t)va);
    if (err) {
        hm_handle_close((hm_handle_t)mem);
        return -EINVAL;
    }
    return mem;
}

/* Built once per container and kept: the tree depends only on the board
 * file (who drives what, the twins, the IDs, msi=off), and filtering it
 * takes ~6 ms of a restart under TCG (each deletion moves the blob's
 * tail). Every start gets its own handle to the same memory, without
 * the right to write (DC-base maps it read-only; Linux's unflattened tree
 * points into it, so no instance could change what the next one reads
 * even if it wanted to). Built by the main thread at the first start and by the
 * restart thread for a container that failed its first: never both for
 * one container, and the exchange keeps one if they ever were. */
long dm_dtb_for(int ct)
{
    static long built[DM_MAX_CTS];   /* handle + 1; 0: not built */
    long have = __atomic_load_n(&built[ct], __ATOMIC_ACQUIRE);
    if (!have) {
        long mem = dtb_build(ct);
        if (mem < 0)
            return mem;
        long expect = 0;
        if (__atomic_compare_exchange_n(&built[ct], &expect, mem + 1, 0, __ATOMIC_ACQ_REL, __ATOMIC_ACQUIRE))
            have = mem + 1;
        else {
            hm_handle_close((hm_handle_t)mem);
            have = expect;
        }
    }
    long dup = hm_handle_dup((hm_handle_t)(have - 1), HM_R_READ | HM_R_MAP | HM_R_GRANT, 0);
    return dup < 0 ? -ENOMEM : dup;
}
