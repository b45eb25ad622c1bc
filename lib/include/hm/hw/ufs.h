/*
 * UFS Host Controller Interface (JESD223, UFSHCI 2.x-4.0) and the UFS
 * transport protocol's UPIUs (JESD220): what devmgr needs to stop a
 * controller whose container stops (its DMA engine must not write into
 * freed memory), and what the UFS twin (twin/utwin.c) needs to run SCSI
 * reads and writes in single-doorbell mode. Register offsets are into
 * BAR 0; descriptors are little-endian, UPIUs big-endian.
 */
#ifndef HM_HW_UFS_H
#define HM_HW_UFS_H
#include <stdint.h>

#define UFSHCI_CAP      0x00   /* capabilities: bits 4:0 = NUTRS - 1 */
#define UFSHCI_CAP_NUTRS(cap) (((cap) & 0x1f) + 1)
#define UFSHCI_CAP_64BIT (1u << 24)   /* 64-bit addressing */
#define UFSHCI_IS       0x20   /* interrupt status (write 1 to clear) */
#define UFSHCI_IE       0x24   /* interrupt enable */
#define UFSHCI_IS_UTRCS (1u << 0)    /* a transfer request completed (any slot) */
#define UFSHCI_HCS      0x30   /* host controller status */
#define UFSHCI_HCE      0x34   /* Host Controller Enable (32 bits) */
#define UFSHCI_HCE_ON   0x1    /* written 0: the controller resets; reads 0 when done */
#define UFSHCI_UTRLBA   0x50   /* transfer request list base (low, high) */
#define UFSHCI_UTRLBAU  0x54
#define UFSHCI_UTRLDBR  0x58   /* transfer request doorbell: bit n set while slot n is in flight */
#define UFSHCI_UTRLCLR  0x5c   /* clear a slot (write 0 to its bit) */
#define UFSHCI_UTRLRSR  0x60   /* transfer request list run-stop: 1 runs */
#define UFSHCI_UTMRLDBR 0x78   /* task management request doorbell, likewise */

/* UTP transfer request descriptor (32 bytes, one per slot) */
struct ufs_utrd {
    uint32_t dw0;        /* command type, data direction, interrupt */
    uint32_t dw1;
    uint32_t dw2;        /* bits 7:0 the overall command status (OCS) the controller writes */
    uint32_t dw3;
    uint32_t ucd_lo, ucd_hi;             /* command descriptor (128-byte aligned) */
    uint16_t rsp_len, rsp_off;           /* response UPIU, in 32-bit words */
    uint16_t prdt_len, prdt_off;         /* PRDT entries; offset in 32-bit words */
};
#define UFS_UTRD_CMD_SCSI    (1u << 28)   /* UFS storage (UFSHCI 2.0 on): a SCSI command UPIU */
#define UFS_UTRD_INT         (1u << 24)   /* interrupt on completion */
#define UFS_UTRD_NO_DATA     (0u << 25)
#define UFS_UTRD_TO_DEVICE   (1u << 25)
#define UFS_UTRD_FROM_DEVICE (2u << 25)
#define UFS_OCS_SUCCESS      0x0
#define UFS_OCS_INVALID      0xf           /* what the host writes before ringing */

/* a physical region description entry: size is the byte count - 1 (at
 * most 256 KiB per entry; the address 4-byte aligned) */
struct ufs_prd {
    uint64_t addr;
    uint32_t reserved;
    uint32_t size;
};
#define UFS_PRD_MAX (256u * 1024)

/* UPIU header, byte by byte (JESD220 10.6) */
#define UFS_UPIU_COMMAND   0x01   /* transaction type: a command */
#define UFS_UPIU_RESPONSE  0x21   /* its response */
#define UFS_UPIU_FLAG_READ  0x40
#define UFS_UPIU_FLAG_WRITE 0x20
struct ufs_cmd_upiu {
    uint8_t type, flags, lun, tag;
    uint8_t cmd_set, rsvd0, rsvd1, rsvd2;
    uint8_t ehs_len, rsvd3;
    uint8_t seg_len[2];
    uint8_t exp_len[4];   /* expected data transfer length (big-endian) */
    uint8_t cdb[16];
};
struct ufs_rsp_upiu {
    uint8_t type, flags, lun, tag;
    uint8_t cmd_set, rsvd0, response, status;   /* response 0: target success; status: SCSI status */
    uint8_t ehs_len, dev_info;
    uint8_t seg_len[2];
    uint8_t residual[4];
    uint8_t rsvd[16];
    uint8_t sense_len[2];
    uint8_t sense[18];
};
_Static_assert(sizeof(struct ufs_utrd) == 32, "UTRD");
_Static_assert(sizeof(struct ufs_prd) == 16, "PRD");
_Static_assert(sizeof(struct ufs_cmd_upiu) == 32, "command UPIU");

/* SCSI (SBC-3) commands the twin sends, and SCSI status */
#define SCSI_READ_10  0x28
#define SCSI_WRITE_10 0x2a
#define SCSI_SYNCHRONIZE_CACHE_10 0x35
#define SCSI_STATUS_GOOD 0x00
#define SCSI_STATUS_CHECK_CONDITION 0x02
#endif
