/* What the boot path learns from the device tree. */
#ifndef KERNEL_BOOT_H
#define KERNEL_BOOT_H
#include <stdint.h>

struct boot_info {
    uint64_t ram_base, ram_size;
    uint64_t dtb_pa, dtb_size;
    uint64_t initrd_pa, initrd_size;   /* the boot image */
    uint64_t uart_pa, uart_size;
    uint64_t gicd_pa, gicd_size, gicc_pa, gicc_size;   /* gicc = redistributor on v3 */
    int gic_version;
    /* the MSI controller: a GICv2m frame (msi_kind 2, its SPIs from the
     * frame's arm,msi-base-spi / arm,msi-num-spis, else its MSI_TYPER) or
     * a GICv3 ITS (msi_kind 3); msi_kind 0: none */
    int msi_kind;
    uint64_t msi_pa, msi_size;
    uint32_t v2m_spi_base, v2m_spi_count;   /* INTIDs; 0 = read MSI_TYPER */
    /* SPIs some device node's "interrupts" names (bit = INTID): wired
     * lines the GICv2m frame must not hand out as MSIs (QEMU's virt puts
     * the SMMU's four lines inside the frame's range) */
    uint64_t wired_spis[1024 / 64];
    int psci_hvc;
    const char *bootargs;              /* /chosen/bootargs (QEMU -append), or NULL */
};
extern struct boot_info boot_info;

void fdt_scan(const void *fdt, struct boot_info *bi);
void kmap_device(uint64_t pa, uint64_t size);   /* at KERNEL_VBASE + pa, device memory */
void mmu_init_kernel(void);
#endif
