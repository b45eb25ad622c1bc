/*
 * The user address space every process has: part of the ABI, because two
 * loaders place programs in it (the kernel loads init, lib/src/spawn.c
 * everything else) and the kernel picks addresses in it (hm_vm_map with
 * va 0). TTBR0 covers [0, HM_USER_VA_MAX) with a 48-bit address space.
 */
#ifndef HM_UAPI_LAYOUT_H
#define HM_UAPI_LAYOUT_H

#define HM_USER_VA_MIN    0x0000000000001000ull   /* page 0 is never mapped */
#define HM_USER_VA_MAX    0x0000800000000000ull
/* program images lie in [HM_USER_VA_MIN, HM_USER_IMAGE_END); mappings the
 * kernel places (hm_vm_map with va 0) start here */
#define HM_USER_IMAGE_END 0x0000001000000000ull
#define HM_USER_MAP_BASE  HM_USER_IMAGE_END
/* a new process's first stack ends here (the startup block sits at its top) */
#define HM_USER_STACK_TOP 0x00007ffffff00000ull

#endif
