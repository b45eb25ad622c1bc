/* Reads the board description QEMU passes (device tree) with libfdt:
 * RAM, the boot image (initrd), console UART, interrupt controller and
 * its MSI frame (GICv2m) or ITS, PSCI. */
#include <kernel/kernel.h>
#include <kernel/boot.h>
#include <libfdt.h>

struct boot_info boot_info;

static int read_reg(const void *fdt, int node, int idx, uint64_t *addr, uint64_t *size)
{
    int len;
    const fdt32_t *p = fdt_getprop(fdt, node, "reg", &len);
    int parent = fdt_parent_offset(fdt, node);
    int ac = fdt_address_cells(fdt, parent), sc = fdt_size_cells(fdt, parent);
    if (!p || ac < 1 || ac > 2 || sc < 0 || sc > 2 || len < (idx + 1) * (ac + sc) * 4)
        return -1;
    p += idx * (ac + sc);
    uint64_t a = 0, s = 0;
    for (int i = 0; i < ac; i++)
        a = (a << 32) | fdt32_to_cpu(*p++);
    for (int i = 0; i < sc; i++)
        s = (s << 32) | fdt32_to_cpu(*p++);
    *addr = a;
    *size = s;
    return 0;
}

static uint64_t read_cells(const fdt32_t *p, int len)
{
    return len == 8 ? ((uint64_t)fdt32_to_cpu(p[0]) << 32) | fdt32_to_cpu(p[1]) : fdt32_to_cpu(p[0]);
}

/* every SPI a node's "interrupts" names (GIC specifiers: <type number
 * flags>, type 0 = SPI); nodes whose parent is another controller are rare
 * on virt and only make us skip a line too many */
static void scan_wired_spis(const void *fdt, struct boot_info *bi)
{
    for (int node = fdt_next_node(fdt, -1, NULL); node >= 0; node = fdt_next_node(fdt, node, NULL)) {
        int len;
        const fdt32_t *p = fdt_getprop(fdt, node, "interrupts", &len);
        if (!p || len <= 0 || len % 12)
            continue;
        for (int i = 0; i < len / 12; i++) {
            uint32_t intid = fdt32_to_cpu(p[3 * i + 1]) + 32;
            if (fdt32_to_cpu(p[3 * i]) == 0 && intid < 1024)
                bi->wired_spis[intid / 64] |= 1ull << (intid % 64);
        }
    }
}

void fdt_scan(const void *fdt, struct boot_info *bi)
{
    if (fdt_check_header(fdt))
        panic("no valid device tree at %p", fdt);
    bi->dtb_size = fdt_totalsize(fdt);
    int node = fdt_path_offset(fdt, "/memory");
    if (node < 0)
        node = fdt_node_offset_by_prop_value(fdt, -1, "device_type", "memory", 7);
    if (node < 0 || read_reg(fdt, node, 0, &bi->ram_base, &bi->ram_size))
        panic("device tree has no memory node");

    int chosen = fdt_path_offset(fdt, "/chosen");
    if (chosen >= 0) {
        int l1, l2;
        const fdt32_t *s = fdt_getprop(fdt, chosen, "linux,initrd-start", &l1);
        const fdt32_t *e = fdt_getprop(fdt, chosen, "linux,initrd-end", &l2);
        bi->bootargs = fdt_getprop(fdt, chosen, "bootargs", NULL);
        if (s && e) {
            bi->initrd_pa = read_cells(s, l1);
            bi->initrd_size = read_cells(e, l2) - bi->initrd_pa;
        }
    }
    node = fdt_node_offset_by_compatible(fdt, -1, "arm,pl011");
    if (node < 0 || read_reg(fdt, node, 0, &bi->uart_pa, &bi->uart_size))
        panic("device tree has no PL011");
    int ilen;
    const fdt32_t *irq = fdt_getprop(fdt, node, "interrupts", &ilen);
    if (irq && ilen >= 12) {
        extern uint32_t plat_uart_irq;
        /* GIC specifier: <type number flags>, type 0 = SPI (INTID 32 + n), 1 = PPI (16 + n) */
        plat_uart_irq = fdt32_to_cpu(irq[1]) + (fdt32_to_cpu(irq[0]) == 0 ? 32 : 16);
    }

    bi->gic_version = 2;
    node = fdt_node_offset_by_compatible(fdt, -1, "arm,cortex-a15-gic");
    if (node < 0) {
        node = fdt_node_offset_by_compatible(fdt, -1, "arm,gic-400");
    }
    if (node < 0) {
        node = fdt_node_offset_by_compatible(fdt, -1, "arm,gic-v3");
        bi->gic_version = 3;
    }
    if (node < 0 || read_reg(fdt, node, 0, &bi->gicd_pa, &bi->gicd_size) ||
        read_reg(fdt, node, 1, &bi->gicc_pa, &bi->gicc_size))
        panic("device tree has no supported GIC");

    node = fdt_node_offset_by_compatible(fdt, -1, bi->gic_version == 2 ? "arm,gic-v2m-frame" : "arm,gic-v3-its");
    if (node >= 0 && !read_reg(fdt, node, 0, &bi->msi_pa, &bi->msi_size)) {
        bi->msi_kind = bi->gic_version == 2 ? 2 : 3;
        int l1, l2;
        const fdt32_t *b = fdt_getprop(fdt, node, "arm,msi-base-spi", &l1);
        const fdt32_t *n = fdt_getprop(fdt, node, "arm,msi-num-spis", &l2);
        if (bi->msi_kind == 2 && b && n && l1 == 4 && l2 == 4) {
            bi->v2m_spi_base = fdt32_to_cpu(*b);   /* an INTID, as in MSI_TYPER */
            bi->v2m_spi_count = fdt32_to_cpu(*n);
        }
    }

    scan_wired_spis(fdt, bi);

    bi->psci_hvc = 1;
    node = fdt_node_offset_by_compatible(fdt, -1, "arm,psci-0.2");
    if (node >= 0) {
        const char *m = fdt_getprop(fdt, node, "method", NULL);
        if (m && !strcmp(m, "smc"))
            bi->psci_hvc = 0;
    }
}
