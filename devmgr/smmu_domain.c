/*
 * DMA translations: each PCI function behind the SMMU gets its own stage-2
 * table (VMID = its device index + 1), an identity map (device address =
 * physical address, so Linux's dma-direct works unchanged) of exactly:
 *   - the DMA budget devmgr gives its container at each start;
 *   - the memory its container registers (HM_DM_DMA_MAP: DC-base's Linux
 *     region), by handle: the kernel says where that memory is, the
 *     container cannot name memory it does not hold;
 *   - its twin's descriptors and the buffers of the clients the twin
 *     serves (registered by the twin for each session, dropped at detach);
 *   - the MSI controller's doorbell page, write-only (not with msi=off).
 * devmgr keeps a handle on every object mapped: memory stays allocated
 * until its translation is gone (stream table entry, TLB, CMD_SYNC), never
 * the other way round. A container's stop aborts its functions' streams
 * and drops everything, except where its twin serves on: that function
 * keeps the old container's memory (the twin uses its rings) until the
 * new Linux pauses the twin (HM_DM_TWIN_PAUSE).
 *
 * Tables are rebuilt whole at each change (a change is a container's
 * start, a registration, a session: rare) into fresh pages (smmu_pt.c),
 * then swapped in; the old pages are freed after the CMD_SYNC.
 */
#include "devmgr.h"
#include "smmu.h"
#include <libfdt.h>
#include <errno.h>
#include <stdio.h>

#define DOM_MAX_MAPS  24       /* memory objects one function's translation holds */
#define IPA_LIMIT     (1ull << 39)   /* T0SZ 25 */


enum { MAP_CT = 1, MAP_TWIN = 2 };

struct dom_map {
    uint64_t phys, size;
    hm_handle_t mem;        /* devmgr's handle on it: keeps it allocated */
    int owner;              /* MAP_CT, MAP_TWIN */
    uint32_t gen;           /* MAP_CT: the container start that mapped it */
};

struct dom {
    int live;               /* its stream translates through ttb */
    uint32_t gen;           /* its container's starts */
    uint64_t ttb;
    uint16_t pages[SMMU_PT_MAX_PAGES];
    int npages;
    struct dom_map maps[DOM_MAX_MAPS];
    int nmaps;
};

static struct dom doms[DM_MAX_DEVS];
static uint64_t doorbell;   /* the MSI doorbell page, 0: none mapped */
static int on;

/* ---- one function's translation ---- */

static int dev_index(const struct dm_dev *d) { return (int)(d - dm_devs); }
static uint16_t vmid_of(int i) { return (uint16_t)(i + 1); }

/* new tables from dom i's maps, swapped in; the old ones freed after */
static int dom_rebuild(int i)
{
    struct dom *dm = &doms[i];
    struct smmu_pt b;
    smmu_pt_begin(&b);
    if (doorbell)
        smmu_pt_map(&b, doorbell, 4096, SMMU_PT_DOORBELL);
    for (int k = 0; k < dm->nmaps; k++)
        smmu_pt_map(&b, dm->maps[k].phys, dm->maps[k].size, SMMU_PT_RAM);
    if (b.err) {
        smmu_pt_free(b.pages, b.n);
        printf("devmgr: smmu: %s: no table pages for its translation (%s)\n", dm_devs[i].info.name,
               hm_strerror(b.err));
        return b.err;
    }
    __asm__ volatile("dsb ishst" ::: "memory");
    int err = smmu_ste_translate(dm_devs[i].bdf, vmid_of(i), b.l1);
    if (err) {
        /* the entry may point at either table, and may translate now:
         * keep both tables (the new one's pages are never freed) and
         * count it live, so that its memory is never let go */
        dm->live = 1;
        printf("devmgr: smmu: %s: its stream table entry could not be made to take effect: its memory stays "
               "allocated\n", dm_devs[i].info.name);
        return err;
    }
    smmu_pt_free(dm->pages, dm->npages);
    memcpy(dm->pages, b.pages, sizeof b.pages);
    dm->npages = b.n;
    dm->ttb = b.l1;
    dm->live = 1;
    return 0;
}

static void map_drop(struct dom *dm, int k)
{
    hm_handle_close(dm->maps[k].mem);
    dm->maps[k] = dm->maps[--dm->nmaps];
}

/* drop the maps keep() refuses: out of the tables first (rebuild, its
 * CMD_SYNC), only then are their handles closed */
static int dom_filter(int i, int (*keep)(const struct dom_map *m, uint32_t gen))
{
    struct dom *dm = &doms[i];
    struct dom_map gone[DOM_MAX_MAPS];
    int ng = 0;
    for (int k = dm->nmaps - 1; k >= 0; k--)
        if (!keep(&dm->maps[k], dm->gen)) {
            gone[ng++] = dm->maps[k];
            dm->maps[k] = dm->maps[--dm->nmaps];
        }
    int err = ng && dm->live ? dom_rebuild(i) : 0;
    for (int k = 0; k < ng; k++) {
        if (err && dm->nmaps < DOM_MAX_MAPS) {
            gone[k].owner = gone[k].owner < 0 ? -gone[k].owner : gone[k].owner;   /* unmarked (DMA_UNMAP) */
            dm->maps[dm->nmaps++] = gone[k];   /* maybe still reachable: stays allocated */
        } else if (err) {
            continue;   /* no room to keep it: the handle leaks, the memory stays allocated */
        } else {
            hm_handle_close(gone[k].mem);
        }
    }
    return err;
}

/* abort the stream, then free everything it could reach */
static void dom_destroy(int i)
{
    struct dom *dm = &doms[i];
    if (dm->live && smmu_ste_abort(dm_devs[i].bdf, vmid_of(i))) {
        printf("devmgr: smmu: %s: its stream could not be stopped: its memory stays allocated\n",
               dm_devs[i].info.name);
        return;
    }
    smmu_pt_free(dm->pages, dm->npages);
    dm->npages = 0;
    dm->live = 0;
    while (dm->nmaps)
        map_drop(dm, dm->nmaps - 1);
}

/* add mem (devmgr's own handle, taken) to dom i; only a container's start
 * makes a translation that is not live (create): a registration racing
 * with its container's stop must not bring the stream back */
static int dom_add(int i, hm_handle_t mem, uint64_t phys, uint64_t size, int owner, int create)
{
    struct dom *dm = &doms[i];
    if (dm->nmaps == DOM_MAX_MAPS || (!create && !dm->live)) {
        hm_handle_close(mem);
        return dm->live || create ? -ENOSPC : -EAGAIN;
    }
    dm->maps[dm->nmaps++] = (struct dom_map){ phys, size, mem, owner, dm->gen };
    int err = dom_rebuild(i);
    if (err && err != -EIO)
        map_drop(dm, dm->nmaps - 1);
    return err;
}

/* ---- what devmgr calls ---- */

int dm_smmu_confines(const struct dm_dev *d)
{
    return on && d->host >= 0 && d->bdf < 256 &&
           fdt_getprop(dm_board, dm_devs[d->host].node, "iommu-map", NULL) != NULL;
}

const struct dm_dev *smmu_dev_of_sid(uint32_t sid)
{
    for (int i = 0; i < dm_ndevs; i++)
        if (dm_devs[i].host >= 0 && dm_devs[i].bdf == sid && dm_smmu_confines(&dm_devs[i]))
            return &dm_devs[i];
    return NULL;
}

/* lsdev: a device that can DMA (a PCI function, a virtio-mmio slot) is
 * "smmu" if its DMA is confined, else "unconfined"; others say nothing */
void dm_smmu_describe(const struct dm_dev *d, char *out, size_t n)
{
    const char *s = "";
    if (d->host >= 0 || (!strcmp(d->info.compatible, "virtio,mmio") && strcmp(d->info.kind, "empty")))
        s = dm_smmu_confines(d) ? "smmu" : "unconfined";
    snprintf(out, n, "%s", s);
}

/* the MSI doorbell of the PCIe hosts' controller: a GICv2m frame's
 * MSI_SETSPI_NS page, or the ITS's GITS_TRANSLATER page */
static uint64_t doorbell_of(const void *fdt)
{
    int node = fdt_node_offset_by_compatible(fdt, -1, "arm,gic-v2m-frame");
    uint64_t off = 0;
    if (node < 0) {
        node = fdt_node_offset_by_compatible(fdt, -1, "arm,gic-v3-its");
        off = 0x10000;
    }
    int len;
    const fdt32_t *reg = node < 0 ? NULL : fdt_getprop(fdt, node, "reg", &len);
    if (!reg || len < 16)
        return 0;
    return ((uint64_t)fdt32_to_cpu(reg[0]) << 32 | fdt32_to_cpu(reg[1])) + off;
}

void dm_smmu_start(const void *fdt)
{
    if (smmu_init(fdt))
        return;
    if (smmu_pt_pool_init() || dm_ndevs >= smmu_max_vmid()) {
        printf("devmgr: smmu: no memory for translation tables: PCI devices cannot DMA\n");
        return;
    }
    doorbell = dm_msi_off ? 0 : doorbell_of(fdt);
    on = 1;
}

/* container ct starts (before its spawn): fresh translations for its
 * functions holding dma, its DMA budget (a function its twin serves on
 * keeps what it had until HM_DM_TWIN_PAUSE) */
void dm_smmu_ct_start(int ct, hm_handle_t dma)
{
    struct hm_mem_info mi;
    if (!on || hm_mem_info(dma, &mi) < 0)
        return;
    dm_lock_take(&smmu_lock);
    for (int i = 0; i < dm_ndevs; i++) {
        if (dm_devs[i].ct != ct || !dm_smmu_confines(&dm_devs[i]))
            continue;
        doms[i].gen++;
        long h = hm_handle_dup(dma, HM_R_READ, 0);
        int err = h < 0 ? -ENOMEM : dom_add(i, (hm_handle_t)h, mi.phys, mi.size, MAP_CT, 1);
        if (err)
            printf("devmgr: smmu: %s: no translation for %s (%s): its DMA aborts\n", dm_devs[i].info.name,
                   dm_cts[ct].name, hm_strerror(err));
    }
    dm_lock_drop(&smmu_lock);
}

/* container ct stopped, its devices reset: streams abort, TLBs clean,
 * then its memory may go */
void dm_smmu_ct_stop(int ct)
{
    if (!on)
        return;
    /* lock order: dm_twin_lock before the SMMU's (a twin's stop holds it) */
    uint64_t serving = 0;
    dm_lock_take(&dm_twin_lock);
    for (int i = 0; i < dm_ndevs; i++)
        serving |= (uint64_t)(dm_devs[i].ct == ct && dm_devs[i].twin_orphan) << i;
    dm_lock_drop(&dm_twin_lock);
    dm_lock_take(&smmu_lock);
    for (int i = 0; i < dm_ndevs; i++)
        if (dm_devs[i].ct == ct && dm_smmu_confines(&dm_devs[i]) && !(serving >> i & 1))
            dom_destroy(i);
    dm_lock_drop(&smmu_lock);
}

/* d's device made a DMA outside its translation: its stream aborts now and
 * the device is reset, before its container's stop resets its devices one
 * by one (an aborted access records no event: a device that retries stops
 * flooding the event queue). Not a function a twin serves: the twin's
 * requests would fail with it; the translation still stops the stray
 * access there. */
uint32_t smmu_dom_gen(const struct dm_dev *d)
{
    return doms[dev_index(d)].gen;
}

int dm_smmu_fault_stop(struct dm_dev *d, uint32_t gen)
{
    dm_lock_take(&dm_twin_lock);
    int twin = d->twin_proc >= 0;
    dm_lock_drop(&dm_twin_lock);
    if (!dm_smmu_confines(d))
        return 0;
    dm_lock_take(&smmu_lock);
    struct dom *dm = &doms[dev_index(d)];
    int stale = dm->gen != gen || !dm->live;
    if (!stale && !twin)
        smmu_ste_abort(d->bdf, vmid_of(dev_index(d)));   /* dom_destroy at the stop frees the rest */
    dm_lock_drop(&smmu_lock);
    if (stale)
        return -ESTALE;   /* its container was stopped, or started again, since */
    if (twin)
        return 0;
    /* and the device itself stops (the stop resets it again, after its
     * container's other devices): a device that retries a refused
     * transfer keeps QEMU busy until then */
    dm_dev_reset(d);
    return 0;
}

static int keep_current(const struct dom_map *m, uint32_t gen) { return m->owner != MAP_CT || m->gen == gen; }
/* a twin is gone: its memory, and the old containers' it served on from */
static int keep_ct(const struct dom_map *m, uint32_t gen) { return m->owner == MAP_CT && m->gen == gen; }

/* d's translation loses the maps keep() refuses */
static void twin_filter(struct dm_dev *d, int (*keep)(const struct dom_map *m, uint32_t gen))
{
    if (!dm_smmu_confines(d))
        return;
    dm_lock_take(&smmu_lock);
    dom_filter(dev_index(d), keep);
    dm_lock_drop(&smmu_lock);
}

/* the new Linux is about to reset a function its twin served on: the old
 * container's memory leaves its translation */
void dm_smmu_twin_paused(struct dm_dev *d) { twin_filter(d, keep_current); }

/* a twin is gone (stopped or faulted): its memory leaves the translation */
void dm_smmu_twin_gone(struct dm_dev *d) { twin_filter(d, keep_ct); }

/* twin start: its descriptor memory (devmgr's handle, not taken) */
int dm_smmu_twin_map(struct dm_dev *d, hm_handle_t mem)
{
    struct hm_mem_info mi;
    if (!dm_smmu_confines(d))
        return 0;
    long h = hm_mem_info(mem, &mi) < 0 ? -EINVAL : hm_handle_dup(mem, HM_R_READ, 0);
    if (h < 0)
        return (int)h;
    dm_lock_take(&smmu_lock);
    int err = dom_add(dev_index(d), (hm_handle_t)h, mi.phys, mi.size, MAP_TWIN, 0);
    dm_lock_drop(&smmu_lock);
    return err;
}

/* ---- HM_DM_DMA_MAP / HM_DM_DMA_UNMAP ---- */

/* the functions a caller's registration covers: a container's confined
 * functions, or the one a twin serves (bit = device index) */
static int targets_of(const struct hm_srv_req *r, uint64_t *set, int *owner)
{
    *set = 0;
    if (r->m.badge >= DM_TWIN_BADGE && r->m.badge < DM_TWIN_BADGE + (uint64_t)dm_ndevs) {
        int i = (int)(r->m.badge - DM_TWIN_BADGE);
        if (dm_smmu_confines(&dm_devs[i]))
            *set = 1ull << i;
        *owner = MAP_TWIN;
    } else {
        int ct = (int)(r->m.badge - DM_CONTAINER_BADGE);
        for (int i = 0; i < dm_ndevs; i++)
            if (dm_devs[i].ct == ct && dm_smmu_confines(&dm_devs[i]))
                *set |= 1ull << i;
        *owner = MAP_CT;
    }
    return *set ? 0 : -ENOTSUP;
}

int dm_dma_map(struct hm_srv_req *r)
{
    struct hm_mem_info mi;
    uint64_t set;
    int owner;
    int err = targets_of(r, &set, &owner);
    /* only memory the kernel keeps contiguous: its address is known and
     * stays; never device memory (no peer-to-peer DMA into BARs) */
    if (!err && (hm_mem_info(r->h[0], &mi) < 0 || mi.kind != HM_MEM_CONTIG || !mi.size ||
                 mi.phys + mi.size > IPA_LIMIT || mi.phys + mi.size < mi.phys))
        err = -EINVAL;
    if (!err) {
        /* the device will write it: the caller must be allowed to (a
         * read-only handle it may pass on is not enough) */
        long va = hm_vm_map(HM_HANDLE_SELF_PROC, r->h[0], 0, 4096, 0, HM_MAP_R | HM_MAP_W);
        err = va < 0 ? -EPERM : 0;
        if (va >= 0)
            hm_vm_unmap(HM_HANDLE_SELF_PROC, (uint64_t)va);
    }
    if (!err && (set & (set - 1))) {
        /* several functions: one duplicate each; checked before any is mapped */
        long probe = hm_handle_dup(r->h[0], HM_R_READ, 0);
        err = probe < 0 ? -EINVAL : 0;
        if (probe >= 0)
            hm_handle_close((hm_handle_t)probe);
    }
    if (err)
        return err;
    int covered = 0;
    dm_lock_take(&smmu_lock);
    for (int i = 0; i < dm_ndevs && !err; i++) {
        if (!(set >> i & 1))
            continue;
        /* the handle sent for the last function, a duplicate for the
         * others (a handle without the duplicate right covers one) */
        long h = set >> (i + 1) ? hm_handle_dup(r->h[0], HM_R_READ, 0) : r->h[0];
        if (h == r->h[0])
            r->h[0] = HM_HANDLE_INVALID;   /* kept */
        err = h < 0 ? -EINVAL : dom_add(i, (hm_handle_t)h, mi.phys, mi.size, owner, 0);
        covered += !err;
    }
    dm_lock_drop(&smmu_lock);
    r->m.w[0] = (uint64_t)covered;
    return err;
}

/* mark the caller's map at phys (owner negated): dom_filter drops it */
static int mark_map(struct dom *dm, uint64_t phys, int owner)
{
    for (int k = 0; k < dm->nmaps; k++)
        if (dm->maps[k].phys == phys && dm->maps[k].owner == owner && (owner != MAP_CT || dm->maps[k].gen == dm->gen)) {
            dm->maps[k].owner = -owner;
            return 1;
        }
    return 0;
}

static int keep_unmarked(const struct dom_map *m, uint32_t gen) { (void)gen; return m->owner > 0; }

int dm_dma_unmap(struct hm_srv_req *r)
{
    uint64_t set;
    int owner, found = 0, err = targets_of(r, &set, &owner);
    if (err)
        return err;
    dm_lock_take(&smmu_lock);
    for (int i = 0; i < dm_ndevs && !err; i++)
        if (set >> i & 1 && mark_map(&doms[i], r->m.w[0], owner)) {
            found++;
            err = dom_filter(i, keep_unmarked);
        }
    dm_lock_drop(&smmu_lock);
    return found ? err : -ENOENT;
}
