/*
 * MSI vectors for the PCI functions a container drives (HM_DM_MSI).
 *
 * A container asks for one vector at a time, naming the function by where
 * it sits in its own Linux (HM_DM_WHERE_PCI | domain << 16 | bus << 8 |
 * devfn) and the vector's index. devmgr checks the function is the
 * container's and the index is below what the function's capabilities
 * offer (at most DM_MSI_MAX_VECTORS), and gives it an MSI resource that
 * covers exactly that source: the function's requester ID (the device ID
 * the ITS sees) and that event. The kernel picks the interrupt number.
 * devmgr's argument msi=off refuses every vector: Linux then uses INTx.
 */
#include "devmgr.h"
#include <errno.h>
#include <stdio.h>

int dm_msi_off;

/* HM_DM_MSI: w0 = where, w1 = vector index, w2 = 1 MSI-X / 0 MSI ->
 * w0 = the function's device ID, handles[0] = the resource */
int dm_msi(struct hm_srv_req *r)
{
    int ct = (int)(r->m.badge - DM_CONTAINER_BADGE);
    uint64_t where = r->m.w[0], event = r->m.w[1];
    struct dm_dev *d = dm_pci_function_of(ct, where);
    if (!d)
        return -ENOENT;
    if (dm_msi_off)
        return -ENOTSUP;
    if (event >= d->msi_vecs) {
        printf("devmgr: %s: %s has %u MSI vectors, vector %lu refused\n", dm_cts[ct].name, d->info.name,
               d->msi_vecs, (unsigned long)event);
        return -ERANGE;
    }
    long res = hm_resource_create(dm_root, HM_RES_MSI, HM_MSI_SOURCE(d->bdf, event), 1);
    if (res < 0)
        return -ENOMEM;
    __atomic_or_fetch(&d->msi_granted, 1ull << event, __ATOMIC_SEQ_CST);
    d->msix = r->m.w[2] == 1;
    r->buf->handles[0] = (hm_handle_t)res;
    r->reply_handles = 1;
    r->reply_move = 1;
    r->m.w[0] = d->bdf;
    return 0;
}

/* the vectors its container holds, as lsdev shows them: "msix:2", "" */
void dm_msi_describe(const struct dm_dev *d, char *out, size_t n)
{
    uint64_t g = __atomic_load_n(&d->msi_granted, __ATOMIC_SEQ_CST);
    if (!g) {
        out[0] = 0;
        return;
    }
    snprintf(out, n, "%s:%d", d->msix ? "msix" : "msi", __builtin_popcountll(g));
}

/* container ct starts afresh: the vectors it had died with it */
void dm_msi_forget(int ct)
{
    for (int i = 0; i < dm_ndevs; i++)
        if (dm_devs[i].ct == ct)
            __atomic_store_n(&dm_devs[i].msi_granted, 0, __ATOMIC_SEQ_CST);
}
