/*
 * The block benchmark's workloads and data checks, shared by hm's shell
 * `blkbench` (user/sh/blkbench.c) and native Linux's `nativebench`
 * (tests/bench/native-linux/nativebench.c), so that both run the same
 * requests and check the same bytes. Header only: nativebench is built
 * with the cross compiler's own libc.
 *
 * Workload sets: "all" (sequential / random, read / write; 4 KiB, 64 KiB,
 * 1 MiB; queue depth 1 and 32) and "fig10" (the same at 4, 8 .. 512 KiB:
 * HongMeng's Figure 10). Each request in flight has its own buffer.
 *
 * Data: every 4 KiB block the benchmark writes holds, in its first 8
 * bytes, BLKB_MAGIC ^ its byte offset on the device, and a fixed pattern
 * in the rest. A fill pass writes the whole span first (not measured), so
 * every read's blocks are checked by their stamps, and a verify pass at
 * the end reads the span back and checks every byte.
 */
#ifndef HM_BLKBENCH_H
#define HM_BLKBENCH_H
#include <stdint.h>
#include <string.h>

#define BLKB_MAGIC 0x686d2d626c6b0000ull   /* "hm-blk" */
#define BLKB_BLOCK 4096u
#define BLKB_MAX_QD 32
#define BLKB_MAX_BS (1u << 20)

struct blkb_op { const char *name; int write, random; };
static const struct blkb_op blkb_ops[] = {
    { "seqread", 0, 0 }, { "randread", 0, 1 }, { "seqwrite", 1, 0 }, { "randwrite", 1, 1 },
};
static const uint32_t blkb_sizes_all[] = { 4096, 65536, 1u << 20, 0 };
static const uint32_t blkb_sizes_fig10[] = { 4096, 8192, 16384, 32768, 65536, 131072, 262144, 524288, 0 };
static const int blkb_qds[] = { 1, 32 };

/* the sizes of a set, or NULL if there is no such set */
static inline const uint32_t *blkb_sizes(const char *set)
{
    if (!strcmp(set, "all"))
        return blkb_sizes_all;
    if (!strcmp(set, "fig10"))
        return blkb_sizes_fig10;
    return 0;
}

/* word i (1..511) of every block: a fixed pattern */
static inline uint64_t blkb_fill_word(unsigned i) { return 0x9e3779b97f4a7c15ull * (i + 1); }

/* a buffer of len bytes (a multiple of 4 KiB) ready to write at device
 * offset off: the fixed pattern, once (blkb_fill), then the stamps */
static inline void blkb_fill(void *buf, uint32_t len)
{
    uint64_t *w = (uint64_t *)buf;
    for (uint32_t i = 0; i < len / 8; i++)
        w[i] = blkb_fill_word(i % (BLKB_BLOCK / 8));
}

static inline void blkb_stamp(void *buf, uint32_t len, uint64_t off)
{
    for (uint32_t k = 0; k < len / BLKB_BLOCK; k++)
        *(uint64_t *)((char *)buf + (uint64_t)k * BLKB_BLOCK) = BLKB_MAGIC ^ (off + (uint64_t)k * BLKB_BLOCK);
}

/* a read of len bytes from off: -1 if every block carries its stamp (and,
 * full: the whole pattern), else the offset of the first wrong block */
static inline int64_t blkb_check(const void *buf, uint32_t len, uint64_t off, int full)
{
    for (uint32_t k = 0; k < len / BLKB_BLOCK; k++) {
        const uint64_t *w = (const uint64_t *)((const char *)buf + (uint64_t)k * BLKB_BLOCK);
        uint64_t at = off + (uint64_t)k * BLKB_BLOCK;
        if (w[0] != (BLKB_MAGIC ^ at))
            return (int64_t)at;
        for (unsigned i = 1; full && i < BLKB_BLOCK / 8; i++)
            if (w[i] != blkb_fill_word(i))
                return (int64_t)at;
    }
    return -1;
}

/* the benchmark's random generator (xorshift64), one per program */
static inline uint64_t blkb_rand(uint64_t *s)
{
    *s ^= *s << 13;
    *s ^= *s >> 7;
    *s ^= *s << 17;
    return *s;
}
#define BLKB_SEED 88172645463325252ull
#endif
