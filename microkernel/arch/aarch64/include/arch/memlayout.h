/* Address-space layout and translation-table bits (AArch64, 4 KiB granule). */
#ifndef ARCH_MEMLAYOUT_H
#define ARCH_MEMLAYOUT_H

/* Kernel: all of RAM (and the few device pages the kernel uses) is mapped at
 * KERNEL_VBASE + physical address, so phys_to_virt is one addition. */
#define KERNEL_VBASE       0xffff000000000000
#define KERNEL_TEXT_OFFSET 0x200000          /* from the start of RAM */
#define RAM_BASE_QEMU_VIRT 0x40000000

/* User space (TTBR0): its layout is ABI, in uapi/hm/layout.h */

#ifdef __ASSEMBLER__
#define _U(x) x
#else
#define _U(x) x##ull
#endif

#define PAGE_SHIFT 12
#define PAGE_SIZE  (1 << PAGE_SHIFT)

/* descriptor bits */
#define PTE_VALID     (_U(1) << 0)
#define PTE_TABLE     (_U(3) << 0)
#define PTE_BLOCK     (_U(1) << 0)
#define PTE_PAGE      (_U(3) << 0)
#define PTE_ATTR(i)   ((i) << 2)
#define PTE_AP_EL0    (_U(1) << 6)   /* AP[1]: EL0 access */
#define PTE_AP_RO     (_U(1) << 7)   /* AP[2]: read-only */
#define PTE_SH_INNER  (_U(3) << 8)
#define PTE_AF        (_U(1) << 10)
#define PTE_NG        (_U(1) << 11)
#define PTE_PXN       (_U(1) << 53)
#define PTE_UXN       (_U(1) << 54)
#define PTE_ADDR_MASK 0x0000fffffffff000

/* MAIR indices */
#define MT_DEVICE   0   /* Device-nGnRE */
#define MT_NORMAL   1   /* Normal, write-back cacheable */
#define MT_NORMAL_NC 2  /* Normal, non-cacheable */
#define MAIR_VALUE  0x000000000044ff04

/* T0SZ=16, IRGN0/ORGN0=WBWA, SH0=inner, TG0=4K, T1SZ=16, IRGN1/ORGN1=WBWA,
 * SH1=inner, TG1=4K, AS=1 (16-bit ASIDs; QEMU's cortex-a72 has them) */
#define TCR_VALUE   ((16 << 0) | (_U(1) << 8) | (_U(1) << 10) | (3 << 12) | (0 << 14) | \
                     (16 << 16) | (_U(1) << 24) | (_U(1) << 26) | (3 << 28) | (2 << 30) | \
                     (_U(1) << 36))

/* SCTLR_EL1: M, C, SA, SA0, I, DZE, UCT, nTWI, nTWE, WXN, UCI, SPAN, plus RES1
 * bits. WXN makes any writable mapping non-executable in hardware (W^X). */
#define SCTLR_VALUE 0x34ddd81d
/* the boot map's 1 GiB blocks are RWX, so WXN waits for the final tables */
#define SCTLR_WXN   (1 << 19)
#define SCTLR_BOOT  (SCTLR_VALUE & ~SCTLR_WXN)

#endif
