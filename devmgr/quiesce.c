/*
 * Quieting a stopping container's devices: before its memory is freed and
 * before anything is started again, none of its devices may go on with
 * DMA into it. virtio-mmio: Status 0 (a device reset: it forgets its
 * queues). A PCI function: an SDHCI controller is reset (its ADMA engine
 * stops), a UFS controller drained and disabled, an NVMe controller
 * disabled (CC.EN = 0, then CSTS.RDY = 0: its queues are gone), then memory decoding and bus mastering go off (Linux's next
 * probe turns them on again). Register knowledge lives in hm/hw/.
 */
#include "devmgr.h"
#include <hm/hw/pci.h>
#include <hm/hw/nvme.h>
#include <hm/hw/sdhci.h>
#include <hm/hw/ufs.h>
#include <hm/hw/virtio_mmio.h>
#include <errno.h>
#include <stdio.h>

/* a 4 KiB register page of a device mapped here, at the address of phys;
 * NULL if it cannot be (the caller logs). *mem: unmap_regs's argument. */
static volatile uint8_t *map_regs(uint64_t phys, hm_handle_t *mem)
{
    long h = hm_mem_device(dm_root, phys & ~0xfffull, 4096);
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

/* the address BAR 0 of the function whose configuration space is cfg
 * decodes, or 0 if it is an I/O BAR (not on this board) or unassigned */
static uint64_t bar0_of(volatile uint8_t *cfg)
{
    uint32_t bar = *(volatile uint32_t *)(cfg + PCI_BAR0);
    uint64_t base = bar & PCI_BAR_ADDR_MASK;
    if (bar & PCI_BAR_IO)
        return 0;
    if ((bar & PCI_BAR_TYPE_MASK) == PCI_BAR_TYPE_64)
        base |= (uint64_t)*(volatile uint32_t *)(cfg + PCI_BAR0 + 4) << 32;
    return base;
}

/* BAR 0 of the function whose configuration space is cfg, mapped (one
 * page) here; NULL if it has none this code can reach (the caller logs) */
static volatile uint8_t *map_bar0(volatile uint8_t *cfg, hm_handle_t *mem)
{
    uint64_t base = bar0_of(cfg);
    return base ? map_regs(base, mem) : NULL;
}

int dm_pci_bar0(const struct dm_dev *d, uint64_t *phys)
{
    hm_handle_t mem;
    volatile uint8_t *cfg = d->host >= 0 ? map_regs(d->phys, &mem) : NULL;
    if (!cfg)
        return -ENODEV;
    int on = *(volatile uint16_t *)(cfg + PCI_COMMAND) & PCI_COMMAND_MEMORY;
    *phys = bar0_of(cfg);
    unmap_regs(cfg, mem);
    return on && *phys ? 0 : -ENODEV;
}

/* An SDHCI controller's "software reset for all": it stops its ADMA; the
 * bit clears when done (bounded wait). */
static void sdhci_reset(struct dm_dev *d, volatile uint8_t *regs)
{
    uint64_t end = hm_now() + hm_ms(100);
    regs[SDHCI_SOFTWARE_RESET] = SDHCI_RESET_ALL;
    while ((regs[SDHCI_SOFTWARE_RESET] & SDHCI_RESET_ALL) && hm_now() < end)
        ;
    if (regs[SDHCI_SOFTWARE_RESET] & SDHCI_RESET_ALL)
        printf("devmgr: %s: its reset did not complete in 100 ms (bus mastering goes off anyway)\n", d->info.name);
}

/*
 * A UFS host controller: first the requests in flight finish (both
 * doorbell registers drain), while bus mastering is still on, so their
 * DMA lands in the stopped container's memory, which is not freed yet;
 * then HCE = 0. Why wait: QEMU's UFS model does not abort requests on
 * HCE = 0, and a request that completes after bus mastering went off
 * cannot write its response: QEMU then marks the slot as failed for good
 * (UTRLCLR is not implemented), and the next Linux's request on that slot
 * never starts (seen in faultstress: ldc1's UFS probe stuck after a
 * restart). A real controller aborts them at HCE = 0; waiting is harmless
 * there. The wait spins: devmgr's threads outrank the container's on the
 * one CPU, so the stopping container cannot ring the doorbell meanwhile,
 * and QEMU completes requests on its own I/O thread. Bounded: slots that do
 * not drain in 1 s are logged.
 */
static void ufs_disable(struct dm_dev *d, volatile uint8_t *regs)
{
    volatile uint32_t *utr = (volatile uint32_t *)(regs + UFSHCI_UTRLDBR);
    volatile uint32_t *utmr = (volatile uint32_t *)(regs + UFSHCI_UTMRLDBR);
    volatile uint32_t *hce = (volatile uint32_t *)(regs + UFSHCI_HCE);
    uint64_t end = hm_now() + hm_ms(1000);
    while ((*utr || *utmr) && hm_now() < end)
        ;
    if (*utr || *utmr)
        printf("devmgr: %s: transfer slots 0x%x, task slots 0x%x still busy after 1 s: disabled anyway\n",
               d->info.name, (unsigned)*utr, (unsigned)*utmr);
    *hce = 0;
    end = hm_now() + hm_ms(100);
    while ((*hce & UFSHCI_HCE_ON) && hm_now() < end)
        ;
    if (*hce & UFSHCI_HCE_ON)
        printf("devmgr: %s: HCE still 1 after 100 ms (bus mastering goes off anyway)\n", d->info.name);
}

/* An NVMe controller: CC.EN = 0 resets it, which deletes its queues and
 * ends what is in flight; CSTS.RDY reads 0 when that is done, within the
 * controller's own timeout (CAP.TO), bounded here by 2 s. */
static void nvme_disable(struct dm_dev *d, volatile uint8_t *regs)
{
    volatile uint32_t *cc = (volatile uint32_t *)(regs + NVME_REG_CC);
    volatile uint32_t *csts = (volatile uint32_t *)(regs + NVME_REG_CSTS);
    uint64_t cap = *(volatile uint32_t *)(regs + NVME_REG_CAP);
    uint32_t to = NVME_CAP_TO_MS(cap), limit = to != 0 && to < 2000 ? to : 2000;
    *cc = *cc & ~(uint32_t)NVME_CC_EN;
    uint64_t end = hm_now() + hm_ms(limit);
    while ((*csts & NVME_CSTS_RDY) && hm_now() < end)
        ;
    if (*csts & NVME_CSTS_RDY)
        printf("devmgr: %s: CSTS.RDY still 1 %u ms after CC.EN = 0 (bus mastering goes off anyway)\n", d->info.name,
               (unsigned)limit);
}

/* a function whose engine needs more than bus mastering off to stop */
static void pci_reset_engine(struct dm_dev *d, volatile uint8_t *cfg)
{
    int sd = !strcmp(d->info.kind, "sd-host"), ufs = !strcmp(d->info.kind, "ufs-host");
    int nvme = !strcmp(d->info.kind, "nvme");
    if (!sd && !ufs && !nvme)
        return;
    hm_handle_t mem;
    volatile uint8_t *regs = map_bar0(cfg, &mem);
    if (!regs) {
        printf("devmgr: %s: cannot reach its registers: not reset\n", d->info.name);
        return;
    }
    if (sd)
        sdhci_reset(d, regs);
    else if (ufs)
        ufs_disable(d, regs);
    else
        nvme_disable(d, regs);
    unmap_regs(regs, mem);
}

void dm_virtio_reset(struct dm_dev *d)
{
    hm_handle_t mem;
    volatile uint8_t *r = map_regs(d->phys, &mem);
    if (!r) {
        printf("devmgr: %s: cannot reach its registers: not reset\n", d->info.name);
        return;
    }
    *(volatile uint32_t *)(r + VIRTIO_MMIO_STATUS) = 0;
    unmap_regs(r, mem);
}

/* a PCI function: reset what needs it, then no memory decoding and no DMA */
static void pci_stop(struct dm_dev *d);

void dm_dev_reset(struct dm_dev *d)
{
    if (d->host < 0 && !strcmp(d->info.compatible, "virtio,mmio"))
        dm_virtio_reset(d);
    else if (d->host >= 0)
        pci_stop(d);
}

static void pci_stop(struct dm_dev *d)
{
    hm_handle_t mem;
    volatile uint8_t *cfg = map_regs(d->phys, &mem);
    if (!cfg) {
        printf("devmgr: %s: cannot reach its configuration space: not stopped\n", d->info.name);
        return;
    }
    volatile uint16_t *cmd = (volatile uint16_t *)(cfg + PCI_COMMAND);
    uint16_t was = *cmd;
    if (was & PCI_COMMAND_MEMORY)
        pci_reset_engine(d, cfg);
    *cmd = (uint16_t)(was & ~(PCI_COMMAND_MEMORY | PCI_COMMAND_MASTER));
    unmap_regs(cfg, mem);
}

/* Quiet container ct's devices (see above). A device whose data plane a
 * twin serves is left alone: the twin serves on (docs/reliability.md); the
 * LDC's Linux no longer touched its queue (it handed it over), so nothing
 * of the dying LDC's is in flight there. A twin that faulted, or one
 * paused for a new LDC that died in turn, is stopped and its device reset.
 * Returns how many devices twins serve on. */
int dm_quiesce(int ct)
{
    int kept = 0;
    dm_lock_take(&dm_twin_lock);
    for (int i = 0; i < dm_ndevs; i++) {
        struct dm_dev *d = &dm_devs[i];
        if (d->ct != ct)
            continue;
        if (d->twin_proc >= 0 && !strcmp(d->info.dataplane, "twin") && !d->twin_paused) {
            if (!d->twin_orphan) {
                d->twin_orphan = 1;
                d->twin_since = hm_now();
                printf("devmgr: %s: twin %s serves on while %s restarts (device not reset)\n", d->info.name,
                       d->twin, dm_cts[ct].name);
            }
            kept++;
            continue;
        }
        if (d->twin_proc >= 0) {
            /* it faulted; or it is paused and the new LDC died after it may
             * have reset the device, before the hand-back: start clean */
            printf("devmgr: %s: twin %s stopped with its control plane\n", d->info.name, d->twin);
            dm_dev_reset(d);   /* first: nothing in flight when the twin's memory leaves the translation */
            dm_twin_stop_locked(d);
            continue;
        }
        dm_dev_reset(d);
    }
    dm_lock_drop(&dm_twin_lock);
    return kept;
}
