/* A driver container that holds a PCIe host (kt_dm, devices-msi.conf) and
 * tries for MSI vectors it was not granted: one vector of the NVMe
 * function at 00:01.0 is its by right; a second through that vector's
 * resource, one beyond what the function offers, one for a function that
 * is not there or has no MSI, and the MSI controller's doorbell and SPIs
 * through its MMIO and interrupt grants are refused. With the SMMU, its
 * DMA registrations (HM_DM_DMA_MAP/UNMAP) are tried with what it may and
 * may not map, and the SMMU's registers and interrupts are out of its
 * reach; requests about another container's device (ndc0's disk) are
 * refused. Prints its cases
 * ("ok - msi-ct: ...", counted in kt_dm's run), says ready, then answers
 * devmgr's calls (the heartbeat) until it is killed. Not a test itself. */
#include "ktest.h"
#include "quota_cases.h"
#include <hm/dm.h>
#include <hm/twin.h>
#include <hm/vfs.h>
#include <string.h>
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

/* HM_DM_DMA_MAP of handle h (copied): devmgr's errno, -1 if the call
 * itself failed (a handle we may not pass on); *covered its w0 */
static long dma_map(hm_handle_t dm, long h, uint64_t *covered)
{
    struct hm_msg m = { .tag = HM_TAG(HM_DM_DMA_MAP, 0, 1) };
    buf.handles[0] = (hm_handle_t)h;
    if (hm_call(dm, &m) < 0)
        return -1;
    *covered = m.w[0];
    return HM_TAG_LABEL(m.tag);
}

static long dma_unmap(hm_handle_t dm, uint64_t phys)
{
    struct hm_msg m = { .tag = HM_TAG(HM_DM_DMA_UNMAP, 0, 0), .w = { phys } };
    return hm_call(dm, &m) < 0 ? -1 : (long)HM_TAG_LABEL(m.tag);
}

/* With the SMMU (the board's default): what it may map for its devices'
 * DMA, and that it cannot reach the SMMU itself (virt: registers at
 * 0x09050000, event and error interrupts at INTIDs 106 and 109) */
#define SMMU_REGS 0x09050000ull
static void dma_cases(hm_handle_t dm, hm_handle_t irqres)
{
    uint64_t covered = 0;
    struct hm_mem_info mi;
    long mine = hm_mem_create(4096, HM_MEM_CONTIG);
    KT_CHECK(mine >= 0 && hm_mem_info((hm_handle_t)mine, &mi) == 0, "it makes a page of contiguous memory");
    uint64_t page = mi.phys;
    KT_EQ(dma_map(dm, hm_handle_dup((hm_handle_t)mine, HM_R_READ | HM_R_MAP | HM_R_DUP | HM_R_GRANT, 0), &covered),
          EPERM, "DMA_MAP of its memory through a read-only handle: EPERM (the device would write it)");
    KT_EQ(dma_map(dm, hm_handle_dup((hm_handle_t)mine, HM_R_READ | HM_R_WRITE | HM_R_MAP | HM_R_GRANT, 0), &covered),
          EINVAL, "DMA_MAP of its memory without the duplicate right, for two functions: EINVAL");
    KT_EQ(dma_map(dm, mine, &covered), 0, "DMA_MAP of its own contiguous memory: granted");
    KT_EQ(covered, 2, "for its two PCI functions (host bridge, NVMe), no other device's");
    KT_EQ(dma_unmap(dm, page), 0, "DMA_UNMAP of it: done");
    KT_EQ(dma_unmap(dm, page), ENOENT, "DMA_UNMAP of it again: ENOENT");
    KT_EQ(dma_unmap(dm, 0x40000000), ENOENT, "DMA_UNMAP of memory it never mapped: ENOENT");
    hm_handle_t anon;
    void *p = hm_alloc_pages(4096, &anon);
    KT_EQ(dma_map(dm, p ? anon : HM_HANDLE_INVALID, &covered), EINVAL,
          "DMA_MAP of anonymous memory (no fixed address): EINVAL");
    KT_EQ(dma_map(dm, hm_notif_create(), &covered), EINVAL, "DMA_MAP of a handle that is no memory: EINVAL");
    KT_CHECK(dma_map(dm, hm_start_handle("mmio"), &covered) != 0,
             "DMA_MAP of its device memory window: refused (it may not even pass it on)");
    for (int i = 0; i < 8; i++) {
        char name[12];
        snprintf(name, sizeof name, i ? "mmio%d" : "mmio", i);
        hm_handle_t h = hm_start_handle(name);
        if (h >= 0 && hm_mem_info(h, &mi) == 0 && SMMU_REGS >= mi.phys && SMMU_REGS < mi.phys + mi.size)
            KT_CHECK(0, "no memory window it was given holds the SMMU's registers");
    }
    /* what a mapping per request through devmgr would cost at least
     * (make bench reads it: docs/benchmarks.md "SMMU"): a registration and
     * its removal, one page, each an IPC round trip, a table rebuild for
     * both functions, TLB invalidation and CMD_SYNC. Printed, not judged. */
    enum { PAIRS = 200 };
    int fails = 0;
    uint64_t t0 = hm_now();
    for (int i = 0; i < PAIRS; i++)
        fails += dma_map(dm, mine, &covered) != 0 || dma_unmap(dm, page) != 0;
    uint64_t ns = (hm_now() - t0) * 1000000000ull / hm_time_freq() / PAIRS;
    KT_EQ(fails, 0, "200 registrations and removals in a row all succeed");
    printf("# dma-map-pair %d pairs, %lu ns each\n", PAIRS, (unsigned long)ns);
    long n = hm_notif_create();
    KT_EQ(hm_irq_create(irqres, 106, (hm_handle_t)n, 1, HM_IRQ_EDGE), -HM_ERANGE,
          "its interrupt grant cannot bind the SMMU's event interrupt");
    KT_EQ(hm_irq_create(irqres, 109, (hm_handle_t)n, 1, HM_IRQ_EDGE), -HM_ERANGE,
          "nor its global-error interrupt");
}

/* one request of a container's about another container's device (ndc0's
 * disk, devices-msi.conf): devmgr's errno */
static long foreign(hm_handle_t dm, uint32_t label, unsigned nwords, unsigned nh, uint64_t w0, uint64_t w1, uint64_t w2)
{
    struct hm_msg m = { .tag = HM_TAG(label, nwords, nh), .w = { w0, w1, w2 } };
    for (unsigned i = 0; i < nh; i++)
        buf.handles[i] = (hm_handle_t)hm_notif_create();
    long r = hm_call(dm, &m);
    return r < 0 ? r : (long)HM_TAG_LABEL(m.tag);
}

/* Requests about a device of another container (ndc0's virtio-mmio disk)
 * through its own "dm" handle: refused, EPERM, whatever the request */
static void foreign_cases(hm_handle_t dm)
{
    uint64_t disk = 0;
    for (uint64_t i = 0; i < 64 && !disk; i++) {
        struct hm_msg m = { .tag = HM_TAG(HM_DM_LSDEV, 0, 0), .w = { i } };
        if (hm_call(dm, &m) < 0 || HM_TAG_LABEL(m.tag))
            break;
        struct hm_dm_dev d;
        memcpy(&d, buf.words, sizeof d);
        if (!strcmp(d.container, "ndc0"))
            disk = m.w[1];
    }
    KT_CHECK(disk, "lsdev shows ndc0's disk, another container's device");
    memset(buf.words, 0, HM_DM_NAME_MAX);
    memcpy(buf.words, "evil", 5);
    KT_EQ(foreign(dm, HM_DM_REGISTER, HM_DM_NAME_MAX / 8, 1, HM_VFS_BLK, 4096, disk), EPERM,
          "REGISTER of a node on another container's device: EPERM");
    memcpy(buf.words, "evil", 5);
    KT_EQ(foreign(dm, HM_DM_REGISTER, HM_DM_NAME_MAX / 8, 1, HM_VFS_BLK, 4096, 0x0a0f0000), EINVAL,
          "REGISTER on an address where no device is: EINVAL");
    memset(buf.words, 0, HM_DM_NAME_MAX);
    memcpy(buf.words, "vda", 4);
    KT_EQ(foreign(dm, HM_DM_RESIZE, HM_DM_NAME_MAX / 8, 0, 0, 1 << 20, 0), EPERM,
          "RESIZE of another container's node (vda): EPERM");
    KT_EQ(foreign(dm, HM_DM_TWIN_PAUSE, 0, 0, disk, 0, 0), EPERM, "TWIN_PAUSE of another container's device: EPERM");
    memset(buf.words, 0, 8 * HM_TWIN_STATE_WORDS);
    memcpy(&buf.words[0], &disk, 8);
    KT_EQ(foreign(dm, HM_DM_TWIN, HM_TWIN_STATE_WORDS, 2, 0, 0, 0), EPERM,
          "a twin hand-off of another container's device: EPERM");
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
    dma_cases(dm, irqres);
    foreign_cases(dm);
    /* devices-msi.conf limits this container: exhaust each kind (kt_dm
     * then shows devmgr and ndc0 serving on) */
    quota_cases("a container");
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
