/*
 * NVM Express controller registers (NVMe base specification 2.0, section
 * 3.1): what devmgr needs to stop a controller whose container stops, so
 * that it does no more DMA into the container's memory. Offsets are into
 * BAR 0.
 */
#ifndef HM_HW_NVME_H
#define HM_HW_NVME_H

#define NVME_REG_CAP   0x00   /* 64 bits; bits 31:24 (TO): ready timeout in 500 ms units */
#define NVME_REG_CC    0x14   /* controller configuration (32 bits) */
#define NVME_REG_CSTS  0x1c   /* controller status (32 bits) */
#define NVME_CC_EN     0x1    /* written 0: the controller resets (its queues are gone) */
#define NVME_CSTS_RDY  0x1    /* reads 0 once the reset is done */
#define NVME_CAP_TO_MS(cap) ((((cap) >> 24) & 0xff) * 500u)
#endif
