/*
 * devmgr's SMMUv3 driver, between its files: smmu.c (registers, queues,
 * stream table entries, events), smmu_pt.c (stage-2 tables) and
 * smmu_domain.c (each PCI function's translation and the memory it maps). Both run under
 * smmu_lock. What the rest of devmgr calls is in devmgr.h (dm_smmu_*).
 */
#ifndef DEVMGR_SMMU_H
#define DEVMGR_SMMU_H
#include <stdint.h>

struct dm_dev;
extern int smmu_lock;

/* smmu.c: 0 or a negative errno (-ENODEV: no SMMU on this board) */
int smmu_init(const void *fdt);
int smmu_present(void);
uint16_t smmu_max_vmid(void);
/* point stream sid at the stage-2 table ttb (VMID vmid), invalidate its
 * cached entry and translations, CMD_SYNC: 0 or -EIO (queue stalled) */
int smmu_ste_translate(uint32_t sid, uint16_t vmid, uint64_t ttb);
/* every access of stream sid aborts; cached entry and translations gone */
int smmu_ste_abort(uint32_t sid, uint16_t vmid);
int smmu_sync(void);

/* smmu_pt.c: stage-2 tables being built (b->err: -ENOSPC past
 * SMMU_PT_MAX_PAGES, -ENOMEM when the pool is out) */
#define SMMU_PT_MAX_PAGES 64
/* descriptors: AF, S2AP, SH, MemAttr */
#define SMMU_PT_RAM      (1ull << 10 | 3ull << 8 | 3ull << 6 | 0xfull << 2)   /* read-write, normal write-back */
#define SMMU_PT_DOORBELL (1ull << 10 | 2ull << 6 | 0x1ull << 2)               /* write-only, device */
struct smmu_pt {
    uint16_t pages[SMMU_PT_MAX_PAGES];   /* pool pages used, for smmu_pt_free */
    int n, err;
    uint64_t l1;                         /* the level-1 table: the STE's S2TTB */
};
int smmu_pt_pool_init(void);             /* 0 or -ENOMEM */
void smmu_pt_begin(struct smmu_pt *b);
void smmu_pt_map(struct smmu_pt *b, uint64_t pa, uint64_t size, uint64_t attr);   /* identity */
void smmu_pt_free(const uint16_t *pages, int n);

/* smmu_domain.c: the confined PCI function with this stream ID, or NULL */
const struct dm_dev *smmu_dev_of_sid(uint32_t sid);
/* its container's start count as its translation knows it (smmu_lock) */
uint32_t smmu_dom_gen(const struct dm_dev *d);
#endif
