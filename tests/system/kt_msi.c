/* MSI vectors (hm_msi_create) on the board's MSI controller: the GICv2m
 * frame (GICv2) or the ITS (GICv3). Only the sources an HM_RES_MSI
 * resource covers are granted, one vector per source; the kernel picks
 * the interrupt and says what write raises it; the MSI SPIs and the
 * controller's registers stay the kernel's (nobody maps the doorbell from
 * a CPU, nobody binds an MSI SPI as a line); a closed vector's source is
 * free again. */
#include "ktest.h"
#include <string.h>

#define V2M_DOORBELL 0x08020040ull   /* QEMU virt: GICv2m frame + MSI_SETSPI_NS */
#define ITS_DOORBELL 0x08090040ull   /* QEMU virt: ITS translation frame + GITS_TRANSLATER */
#define DEVID 8                      /* 00:01.0 */

int main(void)
{
    kt_init("msi");
    char stats[512];
    hm_klog_stats(stats, sizeof stats);
    int its = strstr(stats, "msi=its") != NULL, v2m = strstr(stats, "msi=gicv2m") != NULL;
    KT_CHECK(its || v2m, "the kernel drives the board's MSI controller");
    hm_handle_t root = hm_start_handle("root");
    long n = hm_notif_create();
    long res = hm_resource_create(root, HM_RES_MSI, HM_MSI_SOURCE(DEVID, 0), 2);
    KT_OK(res, "an MSI resource for two vectors of one function");
    uint64_t addr = 0, addr1 = 0;
    uint32_t data = 0, data1 = 0;
    long v0 = hm_msi_create((hm_handle_t)res, HM_MSI_SOURCE(DEVID, 0), (hm_handle_t)n, 1, &addr, &data);
    KT_OK(v0, "vector 0 granted");
    KT_EQ(addr, its ? ITS_DOORBELL : V2M_DOORBELL, "its message goes to the controller's doorbell");
    if (its)
        KT_EQ(data, 0, "ITS: the message's data is the event (the vector's index)");
    else
        KT_CHECK(data >= 80 && data < 144, "GICv2m: the message's data is one of the frame's SPIs");
    long v1 = hm_msi_create((hm_handle_t)res, HM_MSI_SOURCE(DEVID, 1), (hm_handle_t)n, 2, &addr1, &data1);
    KT_OK(v1, "vector 1 granted");
    KT_CHECK(its ? data1 == 1 : data1 != data, "the second vector's message differs from the first's");
    KT_EQ(hm_irq_ctl((hm_handle_t)v0, HM_IRQ_COUNT), 0, "no interrupt counted before a device raised one");
    uint64_t a = 0;
    uint32_t d = 0;
    KT_EQ(hm_msi_create((hm_handle_t)res, HM_MSI_SOURCE(DEVID, 0), (hm_handle_t)n, 4, &a, &d), -HM_EBUSY,
          "a source already bound is refused (a second map would steal it)");
    KT_EQ(hm_msi_create((hm_handle_t)res, HM_MSI_SOURCE(DEVID, 2), (hm_handle_t)n, 4, &a, &d), -HM_ERANGE,
          "a vector beyond the grant is refused");
    KT_EQ(hm_msi_create((hm_handle_t)res, HM_MSI_SOURCE(DEVID + 1, 0), (hm_handle_t)n, 4, &a, &d), -HM_ERANGE,
          "another function's vector is refused");
    long irqres = hm_resource_create(root, HM_RES_IRQ, 40, 2);
    KT_EQ(hm_msi_create((hm_handle_t)irqres, HM_MSI_SOURCE(DEVID, 0), (hm_handle_t)n, 4, &a, &d), -HM_ERANGE,
          "an interrupt-line resource grants no vector");
    KT_EQ(hm_resource_create((hm_handle_t)res, HM_RES_MSI, HM_MSI_SOURCE(DEVID, 0), 3), -HM_ERANGE,
          "an MSI resource cannot be widened");
    KT_EQ(hm_resource_create((hm_handle_t)res, HM_RES_IRQ, data, 1), -HM_ERANGE,
          "an MSI resource gives no interrupt line");
    long narrow = hm_resource_create((hm_handle_t)res, HM_RES_MSI, HM_MSI_SOURCE(DEVID, 1), 1);
    KT_OK(narrow, "a narrower MSI resource can be cut (what devmgr gives a container)");
    long wait_only = hm_handle_dup((hm_handle_t)n, HM_R_WAIT, 0);
    KT_EQ(hm_msi_create((hm_handle_t)res, HM_MSI_SOURCE(DEVID, 1), (hm_handle_t)wait_only, 4, &a, &d), -HM_EPERM,
          "a notification without SIGNAL right is refused");
    KT_EQ(hm_msi_create((hm_handle_t)res, HM_MSI_SOURCE(DEVID, 1), (hm_handle_t)n, 0, &a, &d), -HM_EINVAL,
          "no bits refused");
    KT_EQ(hm_msi_create((hm_handle_t)res, 1ull << 40, (hm_handle_t)n, 1, &a, &d), -HM_EINVAL,
          "a source number beyond 32 bits refused");
    long far = hm_resource_create(root, HM_RES_MSI, HM_MSI_SOURCE(DEVID, 300), 1);
    KT_EQ(hm_msi_create((hm_handle_t)far, HM_MSI_SOURCE(DEVID, 300), (hm_handle_t)n, 4, &a, &d), -HM_ERANGE,
          "an event beyond what the controller maps per device is refused");

    /* the controller is the kernel's: no doorbell mapped from a CPU, no MSI SPI bound as a line */
    KT_EQ(hm_mem_device(root, (its ? ITS_DOORBELL : V2M_DOORBELL) & ~0xfffull, 4096), -HM_ERANGE,
          "the doorbell page cannot be mapped, not even with the root resource");
    if (v2m)
        KT_EQ(hm_irq_create(root, data, (hm_handle_t)n, 8, HM_IRQ_EDGE), -HM_ERANGE,
              "GICv2m: a vector's SPI cannot be bound as a line");
    else
        KT_EQ(hm_irq_create(root, 8192, (hm_handle_t)n, 8, HM_IRQ_EDGE), -HM_ERANGE,
              "ITS: an LPI cannot be bound as a line");
    KT_EQ(hm_irq_ctl((hm_handle_t)v0, HM_IRQ_MASK), 0, "a vector can be masked");
    KT_EQ(hm_irq_ctl((hm_handle_t)v0, HM_IRQ_UNMASK), 0, "and unmasked");

    /* closing the vector unmaps its source: it can be granted again */
    KT_EQ(hm_handle_close((hm_handle_t)v0), 0, "close vector 0");
    long again = hm_msi_create((hm_handle_t)res, HM_MSI_SOURCE(DEVID, 0), (hm_handle_t)n, 1, &a, &d);
    KT_OK(again, "vector 0's source is free again once the vector is gone");
    KT_EQ(a, addr, "the same doorbell");
    return kt_finish();
}
