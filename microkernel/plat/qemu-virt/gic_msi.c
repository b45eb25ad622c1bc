/*
 * MSI delivery: the kernel owns the MSI controller (a GICv2m frame or the
 * GICv3 ITS) and hands out vectors one at a time. The caller names the
 * source, a device ID (the PCI requester ID) and an event (the vector's
 * index), covered by an MSI resource devmgr granted it; the kernel picks
 * the INTID and returns the write that raises it, which the driver
 * programs into its device. Nobody in user space sees the controller: the
 * ITS's command queue could map any device's events to any interrupt, and
 * the v2m frame raises any of its SPIs (docs/reliability.md).
 */
#include <kernel/kernel.h>
#include <kernel/plat.h>
#include <kernel/boot.h>
#include "gic_msi.h"

#define MSI_MAX_VECS 512

struct msi_vec {
    bool used;
    uint32_t intid, devid, event;
};
static struct msi_vec vecs[MSI_MAX_VECS];
static int kind;

int msi_kind(void) { return kind; }

void msi_init(void)
{
    const struct boot_info *bi = &boot_info;
    int err = -HM_ENOSYS;
    if (bi->msi_kind == 2)
        err = v2m_init(bi->msi_pa, bi->msi_size, bi->v2m_spi_base, bi->v2m_spi_count, bi->wired_spis);
    else if (bi->msi_kind == 3)
        err = its_init(bi->msi_pa, bi->msi_size);
    if (bi->msi_kind && err)
        kprintf("hm: MSI controller at %lx not usable (%d): devices get INTx only\n", bi->msi_pa, err);
    kind = err ? 0 : bi->msi_kind;
}

static struct msi_vec *vec_of(uint32_t intid)
{
    for (int i = 0; i < MSI_MAX_VECS; i++)
        if (vecs[i].used && vecs[i].intid == intid)
            return &vecs[i];
    return NULL;
}

int msi_map(uint32_t devid, uint32_t event, uint32_t *intid, uint64_t *addr, uint32_t *data)
{
    struct msi_vec *free = NULL;
    if (!kind)
        return -HM_ENOSYS;
    if (event >= MSI_MAX_EVENTS)
        return -HM_ERANGE;
    for (int i = 0; i < MSI_MAX_VECS; i++) {
        if (vecs[i].used && vecs[i].devid == devid && vecs[i].event == event)
            return -HM_EBUSY;   /* one interrupt per source: a second map would steal the first */
        if (!vecs[i].used && !free)
            free = &vecs[i];
    }
    if (!free)
        return -HM_ENOSPC;
    int err = kind == 2 ? v2m_alloc(intid, addr, data) : its_map(devid, event, intid, addr, data);
    if (err)
        return err;
    *free = (struct msi_vec){ true, *intid, devid, event };
    return 0;
}

void msi_unmap(uint32_t intid)
{
    struct msi_vec *v = vec_of(intid);
    if (!v)
        return;
    if (kind == 2)
        v2m_free(intid);
    else
        its_unmap(v->devid, v->event, intid);
    v->used = false;
}

bool msi_owns_irq(uint32_t intid)
{
    return kind == 2 && v2m_owns(intid);
}
