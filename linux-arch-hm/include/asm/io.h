/* SPDX-License-Identifier: GPL-2.0 */
#ifndef _ASM_HM_IO_H
#define _ASM_HM_IO_H
#include <linux/types.h>
#include <asm/barrier.h>
#include <asm/byteorder.h>
/*
 * MMIO: single load and store instructions on the Device-nGnRE mapping
 * DC-base obtains from the microkernel for a granted device (ioremap).
 */
#define __raw_readb __raw_readb
static inline u8 __raw_readb(const volatile void __iomem *a)
{ u8 v; asm volatile("ldrb %w0, [%1]" : "=r"(v) : "r"(a)); return v; }
#define __raw_readw __raw_readw
static inline u16 __raw_readw(const volatile void __iomem *a)
{ u16 v; asm volatile("ldrh %w0, [%1]" : "=r"(v) : "r"(a)); return v; }
#define __raw_readl __raw_readl
static inline u32 __raw_readl(const volatile void __iomem *a)
{ u32 v; asm volatile("ldr %w0, [%1]" : "=r"(v) : "r"(a)); return v; }
#define __raw_readq __raw_readq
static inline u64 __raw_readq(const volatile void __iomem *a)
{ u64 v; asm volatile("ldr %0, [%1]" : "=r"(v) : "r"(a)); return v; }
#define __raw_writeb __raw_writeb
static inline void __raw_writeb(u8 v, volatile void __iomem *a)
{ asm volatile("strb %w0, [%1]" : : "rZ"(v), "r"(a)); }
#define __raw_writew __raw_writew
static inline void __raw_writew(u16 v, volatile void __iomem *a)
{ asm volatile("strh %w0, [%1]" : : "rZ"(v), "r"(a)); }
#define __raw_writel __raw_writel
static inline void __raw_writel(u32 v, volatile void __iomem *a)
{ asm volatile("str %w0, [%1]" : : "rZ"(v), "r"(a)); }
#define __raw_writeq __raw_writeq
static inline void __raw_writeq(u64 v, volatile void __iomem *a)
{ asm volatile("str %x0, [%1]" : : "rZ"(v), "r"(a)); }

/* ordering of MMIO against DMA memory, as arm64 does it */
#define __io_ar(v)	dma_rmb()
#define __io_bw()	dma_wmb()

/*
 * The register watch: one device register page whose 32-bit accesses
 * arch/hm sees (kernel/twin_ufs.c), set when a UFS controller's data plane
 * goes to its twin: Linux shares the controller's interrupt status and
 * doorbell registers with the twin through it. Everything else is a plain
 * load or store; the test is one compare.
 */
extern unsigned long hm_io_watch_page;	/* its virtual address, or 0 */
u32 hm_io_watch_readl(const volatile void __iomem *a);
void hm_io_watch_writel(u32 v, volatile void __iomem *a);

static inline int hm_io_watched(const volatile void __iomem *a)
{
	return __builtin_expect(((unsigned long)a & ~0xfffUL) == hm_io_watch_page, 0);
}

#define readl readl
static inline u32 readl(const volatile void __iomem *a)
{
	u32 v;

	if (hm_io_watched(a))
		return hm_io_watch_readl(a);
	v = __le32_to_cpu((__le32 __force)__raw_readl(a));
	__io_ar(v);
	return v;
}

#define writel writel
static inline void writel(u32 v, volatile void __iomem *a)
{
	__io_bw();
	if (hm_io_watched(a))
		hm_io_watch_writel(v, a);
	else
		__raw_writel((u32 __force)__cpu_to_le32(v), a);
}

#define ioremap ioremap
void __iomem *ioremap(phys_addr_t phys, size_t size);
#define iounmap iounmap
void iounmap(volatile void __iomem *addr);

#include <asm-generic/io.h>
#endif
