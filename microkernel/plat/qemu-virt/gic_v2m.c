/*
 * GICv2m MSI frame: a device's write of an INTID to MSI_SETSPI_NS raises
 * that SPI (an edge). The SPI range comes from the device tree
 * (arm,msi-base-spi / arm,msi-num-spis) or else the frame's MSI_TYPER.
 * The frame cannot tell devices apart: what one can forge is in
 * docs/reliability.md.
 */
#include <kernel/kernel.h>
#include <kernel/plat.h>
#include <kernel/boot.h>
#include "gic_msi.h"

#define V2M_MSI_TYPER     0x008
#define V2M_MSI_SETSPI_NS 0x040
#define V2M_MAX_SPIS      1024

static uint64_t frame_pa;
static uint32_t base, count;
static uint64_t used[V2M_MAX_SPIS / 64];
static uint64_t wired_in_range[V2M_MAX_SPIS / 64];   /* a device's line: never ours */

int v2m_init(uint64_t pa, uint64_t size, uint32_t spi_base, uint32_t spi_count, const uint64_t *wired)
{
    if (size < PAGE_SIZE)
        return -HM_EINVAL;
    if (!spi_count) {
        kmap_device(pa, PAGE_SIZE);
        uint32_t typer = *(volatile uint32_t *)((uint8_t *)phys_to_virt(pa) + V2M_MSI_TYPER);
        spi_base = (typer >> 16) & 0x3ff;
        spi_count = typer & 0x3ff;
    }
    if (spi_base < 32 || !spi_count || spi_count > V2M_MAX_SPIS || spi_base + spi_count > gic_max_irq())
        return -HM_ERANGE;
    frame_pa = pa;
    base = spi_base;
    count = spi_count;
    uint32_t skipped = 0, first_skipped = 0;
    for (uint32_t i = 0; i < count; i++) {
        uint32_t intid = base + i;
        if (wired[intid / 64] >> (intid % 64) & 1) {
            /* a device's wired line shares this GIC input: an MSI there
             * would be taken for the device's interrupt, and the device's
             * for the MSI's. Never handed out. */
            used[i / 64] |= 1ull << (i % 64);
            wired_in_range[i / 64] |= 1ull << (i % 64);
            first_skipped = skipped++ ? first_skipped : intid;
            continue;
        }
        gic_set_edge(intid, true);   /* the frame pulses its SPI */
    }
    kprintf("hm: MSI through the GICv2m frame at %lx: SPIs %u-%u (INTIDs)\n", pa, base, base + count - 1);
    if (skipped)
        kprintf("hm: GICv2m: %u of its SPIs from %u are wired to other devices (device tree): not used for MSIs\n",
                skipped, first_skipped);
    return 0;
}

/* the frame's SPIs, but not the wired lines inside its range: those stay
 * the devices' (devmgr creates their interrupts) */
bool v2m_owns(uint32_t intid)
{
    if (!count || intid < base || intid - base >= count)
        return false;
    uint32_t i = intid - base;
    return !(wired_in_range[i / 64] >> (i % 64) & 1);
}

int v2m_alloc(uint32_t *intid, uint64_t *addr, uint32_t *data)
{
    for (uint32_t i = 0; i < count; i++)
        if (!(used[i / 64] >> (i % 64) & 1)) {
            used[i / 64] |= 1ull << (i % 64);
            *intid = base + i;
            *addr = frame_pa + V2M_MSI_SETSPI_NS;
            *data = base + i;
            return 0;
        }
    return -HM_ENOSPC;
}

void v2m_free(uint32_t intid)
{
    if (!v2m_owns(intid))
        return;
    /* an edge the device raised after the vector was disabled stays
     * latched: the next owner of the SPI would take it at its enable */
    gic_clear_pending(intid);
    used[(intid - base) / 64] &= ~(1ull << ((intid - base) % 64));
}
