/*
 * Boot entry. QEMU loads the kernel as an arm64 "Image" (the header below),
 * enters at EL1 with the MMU off and x0 = physical address of the device tree.
 * We build a throw-away 1 GiB-block map (identity in TTBR0 so the next
 * instruction after enabling the MMU still fetches, and the same blocks at
 * KERNEL_VBASE in TTBR1), turn the MMU on, jump to the upper half and call
 * kmain(). kmain replaces these tables with the final W^X ones.
 */
#include <arch/memlayout.h>

    .section .text.head, "ax"
    .global _start
_start:
    b       primary_entry           /* code0 */
    .long   0                       /* code1 */
    .quad   KERNEL_TEXT_OFFSET      /* text_offset: QEMU loads us at RAM base + this */
    .quad   _kernel_image_size      /* image_size */
    .quad   0x2                     /* flags: little endian, 4K pages */
    .quad   0, 0, 0
    .ascii  "ARM\x64"               /* magic */
    .long   0

primary_entry:
    mov     x19, x0                 /* dtb physical address */
    msr     daifset, #0xf
    /* only CPU 0 boots; QEMU keeps the others off until PSCI CPU_ON */

    /* zero .bss (physical addresses: MMU is off) */
    adrp    x1, __bss_start
    add     x1, x1, :lo12:__bss_start
    adrp    x2, __bss_end
    add     x2, x2, :lo12:__bss_end
1:  cmp     x1, x2
    b.hs    2f
    str     xzr, [x1], #8
    b       1b
2:
    /* boot_l0[0] -> boot_l1; boot_l1[0] = 1 GiB device block (UART, GIC);
     * boot_l1[1] = 1 GiB normal block (RAM at 0x40000000) */
    adrp    x1, boot_l0
    adrp    x2, boot_l1
    orr     x3, x2, #3              /* table descriptor */
    str     x3, [x1]
    mov     x3, #0                  /* 0x00000000, AttrIdx 0 (device) */
    ldr     x4, =(PTE_BLOCK | PTE_AF | PTE_ATTR(MT_DEVICE) | PTE_PXN | PTE_UXN)
    orr     x3, x3, x4
    str     x3, [x2]
    mov     x3, #0x40000000
    ldr     x4, =(PTE_BLOCK | PTE_AF | PTE_SH_INNER | PTE_ATTR(MT_NORMAL))
    orr     x3, x3, x4
    str     x3, [x2, #8]

    ldr     x1, =MAIR_VALUE
    msr     mair_el1, x1
    /* TCR: 48-bit VA both halves, 4K granules, WBWA inner-shareable walks;
     * IPS from the CPU's physical address range. */
    ldr     x1, =TCR_VALUE
    mrs     x2, id_aa64mmfr0_el1
    and     x2, x2, #7
    bfi     x1, x2, #32, #3
    msr     tcr_el1, x1
    adrp    x1, boot_l0
    msr     ttbr0_el1, x1
    msr     ttbr1_el1, x1
    isb
    tlbi    vmalle1
    dsb     nsh
    isb
    ldr     x1, =SCTLR_BOOT
    msr     sctlr_el1, x1
    isb

    /* now running in the identity map: jump to the upper half */
    ldr     x1, =upper_half
    br      x1
upper_half:
    ldr     x1, =boot_stack_top
    mov     sp, x1
    ldr     x1, =exception_vectors
    msr     vbar_el1, x1
    isb
    mov     x0, x19
    bl      kmain
3:  wfe
    b       3b

    .section .bss.boot, "aw", %nobits
    .balign 4096
    .global boot_l0
boot_l0:    .space 4096
boot_l1:    .space 4096
    .balign 16
    .global boot_stack_top
boot_stack: .space 16384
boot_stack_top:
