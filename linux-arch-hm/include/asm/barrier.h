/* SPDX-License-Identifier: GPL-2.0 */
#ifndef _ASM_HM_BARRIER_H
#define _ASM_HM_BARRIER_H
/*
 * Real aarch64 barriers: virtio rings and SDHCI descriptors are shared with
 * devices, so the compiler barriers of asm-generic are not enough. One CPU
 * runs Linux, but the __smp_* variants stay real: the microkernel may move
 * the container's threads and DC-base's threads read state Linux writes.
 */
#define mb()		asm volatile("dsb sy" ::: "memory")
#define rmb()		asm volatile("dsb ld" ::: "memory")
#define wmb()		asm volatile("dsb st" ::: "memory")
#define dma_mb()	asm volatile("dmb osh" ::: "memory")
#define dma_rmb()	asm volatile("dmb oshld" ::: "memory")
#define dma_wmb()	asm volatile("dmb oshst" ::: "memory")
#define __smp_mb()	asm volatile("dmb ish" ::: "memory")
#define __smp_rmb()	asm volatile("dmb ishld" ::: "memory")
#define __smp_wmb()	asm volatile("dmb ishst" ::: "memory")
#include <asm-generic/barrier.h>
#endif
