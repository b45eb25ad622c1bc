/*
 * Boot image: the archive packed at build time (scripts/mkbootimg) and loaded
 * by QEMU as the initrd. It holds the ELF images of init and the services and
 * their configuration files. Layout (little endian):
 *   header  { "HMBOOT1\0", u32 count, u32 reserved, u64 total_size }
 *   entries { char name[48], u64 offset, u64 size } x count
 *   data, each file at a 16-byte aligned offset from the image start.
 * Pure logic, host-tested; the kernel uses it to find init.
 */
#ifndef HM_BOOTIMG_H
#define HM_BOOTIMG_H
#include <stdint.h>
#include <stddef.h>

#define HM_BOOTIMG_MAGIC "HMBOOT1"
#define HM_BOOTIMG_NAME 48

struct hm_bootimg_hdr {
    char magic[8];
    uint32_t count;
    uint32_t reserved;
    uint64_t total_size;
};
struct hm_bootimg_ent {
    char name[HM_BOOTIMG_NAME];
    uint64_t offset;
    uint64_t size;
};

/* 0 if the header and every entry lie inside [img, img+size), else -1 */
int hm_bootimg_check(const void *img, size_t size);
/* i-th entry (after a successful check); -1 past the end */
int hm_bootimg_entry(const void *img, unsigned i, const char **name, const void **data, size_t *len);
/* find by name; -1 if absent */
int hm_bootimg_find(const void *img, const char *name, const void **data, size_t *len);
#endif
