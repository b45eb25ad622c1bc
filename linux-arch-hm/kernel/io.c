// SPDX-License-Identifier: GPL-2.0
/* ioremap: DC-base maps the device memory devmgr granted the container */
#include <linux/io.h>
#include <linux/export.h>
#include <dc_host.h>

void __iomem *ioremap(phys_addr_t phys, size_t size)
{
	void *va = dc_host_ioremap(phys, size);

	if (!va)
		pr_err("hm: ioremap %pa+%zx: no grant covers it\n", &phys, size);
	return (void __iomem *)va;
}
EXPORT_SYMBOL(ioremap);

void iounmap(volatile void __iomem *addr)
{
	if (addr && dc_host_iounmap((void *)addr))
		pr_warn("hm: iounmap %px: not an ioremap mapping\n", addr);
}
EXPORT_SYMBOL(iounmap);
