/* SPDX-License-Identifier: GPL-2.0 */
#ifndef _ASM_HM_IO_H
#define _ASM_HM_IO_H
#include <linux/types.h>
#include <asm/barrier.h>
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

#define ioremap ioremap
void __iomem *ioremap(phys_addr_t phys, size_t size);
#define iounmap iounmap
void iounmap(volatile void __iomem *addr);

#include <asm-generic/io.h>
#endif
