/*
 * Minimal ELF64 (AArch64 executable) parser shared by the kernel (which loads
 * init) and the user-space loader (which loads everything else). It only
 * validates and describes; the caller maps. Pure logic, host-tested.
 */
#ifndef HM_ELF_H
#define HM_ELF_H
#include <stdint.h>
#include <stddef.h>

#define HM_ELF_MAX_SEGS 8
#define HM_ELF_PAGE 4096u   /* segments are page-aligned by this (elf.c's PG) */
#define HM_ELF_R 4
#define HM_ELF_W 2
#define HM_ELF_X 1

struct hm_elf_seg {
    uint64_t vaddr;    /* page-aligned down */
    uint64_t memsz;    /* from vaddr, page-rounded up */
    uint64_t file_off; /* offset in the image of the bytes to copy */
    uint64_t filesz;   /* bytes to copy */
    uint64_t copy_at;  /* offset within the segment where they go */
    uint32_t flags;    /* HM_ELF_R/W/X */
};

enum {
    HM_ELF_OK = 0,
    HM_ELF_ETRUNC = -1,   /* image shorter than a header or segment says */
    HM_ELF_EMAGIC = -2,   /* not ELF64 little-endian AArch64 executable */
    HM_ELF_ESEG = -3,     /* a segment is malformed, overlaps, or too many */
    HM_ELF_EWX = -4,      /* a segment is both writable and executable */
    HM_ELF_ERANGE = -5,   /* a segment lies outside [va_min, va_max) */
};

int hm_elf_parse(const void *img, size_t size, uint64_t va_min, uint64_t va_max,
                 uint64_t *entry, struct hm_elf_seg *segs, int max_segs);
const char *hm_elf_strerror(int err);
#endif
