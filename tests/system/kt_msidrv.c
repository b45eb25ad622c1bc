/* A driver container that holds a PCIe host (kt_dm, devices-msi.conf) and
 * tries for MSI vectors it was not granted: one vector of the NVMe
 * function at 00:01.0 is its by right; a second through that vector's
 * resource, one beyond what the function offers, one for a function that
 * is not there or has no MSI, and the MSI controller's doorbell and SPIs
 * through its MMIO and interrupt grants are refused. Prints its cases
 * ("ok - msi-ct: ...", counted in kt_dm's run), says ready, then answers
 * devmgr's calls (the heartbeat) until it is killed. Not a test itself. */
#include "ktest.h"
#include <hm/dm.h>
#include <errno.h>

#define NVME_WHERE (HM_DM_WHERE_PCI | 0x08)   /* domain 0, bus 0, devfn 00:01.0 */

static struct hm_ipc_buf buf;

/* HM_DM_MSI: devmgr's errno (0 or positive); *res the resource it gave */
static long ask(hm_handle_t dm, uint64_t where, uint64_t index, long *res, uint64_t *devid)
{
    struct hm_msg m = { .tag = HM_TAG(HM_DM_MSI, 0, 0), .w = { where, index, 1 } };
    *res = -1;
    if (hm_call(dm, &m) < 0)
        return -1;
    if (!HM_TAG_LABEL(m.tag) && HM_TAG_NHANDLES(m.tag) == 1) {
        *res = buf.handles[0];
        *devid = m.w[0];
    }
    return HM_TAG_LABEL(m.tag);
}

int main(void)
{
    hm_handle_t dm = hm_start_handle("dm"), ep = hm_start_handle("ep");
    if (dm < 0 || ep < 0)
        return 1;   /* not started as a container */
    kt_init("msi-ct");
    hm_ipc_buf_set(&buf);
    long n = hm_notif_create();
    long res = -1, other = -1;
    uint64_t devid = 0, a = 0;
    uint32_t d = 0;
    KT_EQ(ask(dm, NVME_WHERE, 0, &res, &devid), 0, "devmgr grants vector 0 of its own NVMe function");
    KT_EQ(devid, 8, "with the function's device ID (its requester ID, 00:01.0)");
    long v0 = hm_msi_create((hm_handle_t)res, HM_MSI_SOURCE(devid, 0), (hm_handle_t)n, 1, &a, &d);
    KT_OK(v0, "the grant makes the vector");
    KT_EQ(hm_msi_create((hm_handle_t)res, HM_MSI_SOURCE(devid, 1), (hm_handle_t)n, 2, &a, &d), -HM_ERANGE,
          "the grant covers that one vector, not the next");
    KT_EQ(hm_msi_create((hm_handle_t)res, HM_MSI_SOURCE(devid + 8, 0), (hm_handle_t)n, 2, &a, &d), -HM_ERANGE,
          "nor another function's");
    KT_EQ(hm_resource_create((hm_handle_t)res, HM_RES_MSI, HM_MSI_SOURCE(devid, 0), 8), -HM_ERANGE,
          "the grant cannot be widened");
    KT_EQ(ask(dm, NVME_WHERE, 8, &other, &devid), ERANGE, "a vector beyond the 8 devmgr grants a function: ERANGE");
    KT_EQ(ask(dm, NVME_WHERE, 200, &other, &devid), ERANGE, "a vector far beyond: ERANGE");
    KT_EQ(ask(dm, HM_DM_WHERE_PCI | 0x10, 0, &other, &devid), ENOENT, "a function that is not there: ENOENT");
    KT_EQ(ask(dm, 0x08, 0, &other, &devid), ENOENT, "a where that names no PCI function: ENOENT");
    KT_EQ(ask(dm, HM_DM_WHERE_PCI | 1u << 16 | 0x08, 0, &other, &devid), ENOENT, "the function in another domain: ENOENT");
    KT_EQ(ask(dm, HM_DM_WHERE_PCI | 0x00, 0, &other, &devid), ERANGE,
          "the host bridge (no MSI capability): ERANGE");
    long again = -1;
    KT_EQ(ask(dm, NVME_WHERE, 0, &again, &devid), 0, "vector 0 asked again: granted");
    KT_EQ(hm_msi_create((hm_handle_t)again, HM_MSI_SOURCE(devid, 0), (hm_handle_t)n, 4, &a, &d), -HM_EBUSY,
          "but it cannot be bound twice");
    /* its MMIO and interrupt grants reach neither the doorbell nor the MSI interrupts */
    for (int i = 0; i < 8; i++) {
        char name[12];
        snprintf(name, sizeof name, i ? "mmio%d" : "mmio", i);
        hm_handle_t h = hm_start_handle(name);
        struct hm_mem_info mi;
        if (h >= 0 && hm_mem_info(h, &mi) == 0 && a >= mi.phys && a < mi.phys + mi.size)
            KT_CHECK(0, "no memory window it was given holds the MSI doorbell");
    }
    hm_handle_t irqres = hm_start_handle("irqres");
    KT_CHECK(irqres >= 0, "it holds the host's INTx range");
    KT_EQ(hm_irq_create(irqres, d < 1020 ? d : 8192, (hm_handle_t)n, 8, 0), -HM_ERANGE,
          "its INTx grant cannot bind the vector's interrupt as a line");
    kt_finish();
    struct hm_msg m = { .tag = HM_TAG(HM_DM_READY, 0, 0) };
    hm_call(dm, &m);
    /* serve devmgr (the heartbeat, log requests) until killed */
    for (;;) {
        m = (struct hm_msg){ 0 };
        if (hm_recv(ep, &m, HM_DEADLINE_NEVER) < 0)
            continue;
        m = (struct hm_msg){ .tag = HM_TAG(ENOTSUP, 0, 0) };
        hm_reply(&m);
    }
}
