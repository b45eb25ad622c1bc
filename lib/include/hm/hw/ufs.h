/*
 * UFS Host Controller Interface (JESD223, UFSHCI 2.x-4.0): what devmgr
 * needs to stop a controller whose container stops (its DMA engine must not
 * write into freed memory). Register offsets are into BAR 0.
 */
#ifndef HM_HW_UFS_H
#define HM_HW_UFS_H

#define UFSHCI_HCE      0x34   /* Host Controller Enable (32 bits) */
#define UFSHCI_HCE_ON   0x1    /* written 0: the controller resets; reads 0 when done */
#define UFSHCI_UTRLDBR  0x58   /* transfer request doorbell: bit n set while slot n is in flight */
#define UFSHCI_UTMRLDBR 0x78   /* task management request doorbell, likewise */
#endif
