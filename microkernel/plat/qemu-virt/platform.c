/* qemu-virt platform glue: maps the devices the kernel drives, powers off
 * through PSCI, and says which physical ranges and IRQs the kernel keeps. */
#include <kernel/kernel.h>
#include <kernel/plat.h>
#include <kernel/boot.h>

extern volatile uint8_t *gicd, *gicc_or_gicr;
extern int gic_ver;
uint32_t plat_timer_irq = 27;   /* EL1 virtual timer PPI */
uint32_t plat_backstop_irq = 30;   /* EL1 physical timer PPI: the timeouts' backstop */
uint32_t plat_uart_irq = 33;    /* SPI 1 on qemu-virt; fdt_scan reads the real one */

void plat_init(const void *fdt)
{
    (void)fdt;
    struct boot_info *bi = &boot_info;
    kmap_device(bi->uart_pa, ALIGN_UP(bi->uart_size, PAGE_SIZE));
    kmap_device(bi->gicd_pa, ALIGN_UP(bi->gicd_size, PAGE_SIZE));
    kmap_device(bi->gicc_pa, ALIGN_UP(bi->gicc_size, PAGE_SIZE));
    gicd = phys_to_virt(bi->gicd_pa);
    gicc_or_gicr = phys_to_virt(bi->gicc_pa);
    gic_ver = bi->gic_version;
}

bool plat_kernel_owns_phys(uint64_t pa, uint64_t size)
{
    const struct boot_info *bi = &boot_info;
    uint64_t r[4][2] = { { bi->uart_pa, bi->uart_size }, { bi->gicd_pa, bi->gicd_size },
                         { bi->gicc_pa, bi->gicc_size }, { bi->msi_pa, bi->msi_size } };
    for (int i = 0; i < 4; i++)
        if (pa < r[i][0] + r[i][1] && r[i][0] < pa + size)
            return true;
    return false;
}

bool plat_kernel_owns_irq(uint32_t irq)
{
    /* SGIs/PPIs are per-CPU kernel business; MSI SPIs go out through msi_map */
    return irq < 32 || irq == plat_uart_irq || msi_owns_irq(irq);
}

void plat_poweroff(void)
{
    register uint64_t x0 __asm__("x0") = 0x84000008;   /* PSCI SYSTEM_OFF */
    if (boot_info.psci_hvc)
        __asm__ volatile("hvc #0" : "+r"(x0) :: "memory");
    else
        __asm__ volatile("smc #0" : "+r"(x0) :: "memory");
    for (;;)
        __asm__ volatile("wfi");
}
