/* SPDX-License-Identifier: GPL-2.0 */
#ifndef _ASM_HM_DMA_H
#define _ASM_HM_DMA_H
/* every page of the linear region is DMA-capable (it is below 4 GiB) */
#define MAX_DMA_ADDRESS	(~0UL)
#endif
