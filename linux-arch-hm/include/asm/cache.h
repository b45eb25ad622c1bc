/* SPDX-License-Identifier: GPL-2.0 */
#ifndef _ASM_HM_CACHE_H
#define _ASM_HM_CACHE_H
#define L1_CACHE_SHIFT		6
#define L1_CACHE_BYTES		(1 << L1_CACHE_SHIFT)
/* kmalloc buffers handed to devices start on a cache line of their own */
#define ARCH_DMA_MINALIGN	L1_CACHE_BYTES
#endif
